"""The sandbox UserEcho: topics, comments, voters and field drift."""

from __future__ import annotations

import pytest

from .commands import (
    OWNER,
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    call,
    data,
    error,
    state,
    tag_named,
    topic_in,
)


# --- topics ---------------------------------------------------------------------------------
def test_topic_lists_by_forum_user_category_tag_and_search(sandbox):
    """P1, P4-P7 [D]; P5 `query` [C CPBOT]."""
    topics = state(sandbox).topics.values()
    first = call(sandbox, "GET", "forums/1/topics.json").json()
    assert first["details"]["count"] == 64 and len(first["data"]) == 50
    author = topic_in(sandbox, 1)["author_id"]
    mine = data(call(sandbox, "GET", f"forums/1/users/{author}/topics.json"))
    assert mine and {t["author"]["id"] for t in mine} == {author}
    assert {t["forum_id"] for t in mine} == {1}
    everywhere = data(call(sandbox, "GET", f"users/{author}/topics.json"))
    assert len(everywhere) == sum(t["author_id"] == author for t in topics)
    found = data(call(sandbox, "GET", "forums/1/topics/search.json", params={"query": "csv"}))
    assert found and all("csv" in (t["header"] + t["description"]).lower() for t in found)
    assert error(call(sandbox, "GET", "forums/1/topics/search.json"), 400)
    category = next(t["category_id"] for t in topics if t["category_id"])
    in_category = data(call(sandbox, "GET", f"categories/{category}/topics.json"))
    assert {t["category"]["id"] for t in in_category} == {category}
    bug = tag_named(sandbox, 2, "bug")
    tagged = data(call(sandbox, "GET", f"tags/{bug}/topics.json"))
    assert tagged and all(bug in [t["id"] for t in x["tags"]] for x in tagged)
    assert {t["forum_id"] for t in tagged} == {2}


def test_topic_shape(sandbox):
    """2.5 [D] P-TOPIC-C fields (HTML description, status/type objects, vote, custom_fields)."""
    topic = next(t for t in state(sandbox).topics.values() if t["forum_id"] == 1 and t["votes"])
    shown = data(call(sandbox, "GET", f"topics/{topic['id']}.json"))
    assert shown["description"].startswith("<p>")
    assert set(shown["status"]) == {"id", "name", "color", "updated"}
    assert shown["type"]["name"] in ("Ideas", "Problems", "Questions")
    up = sum(v > 0 for v in topic["votes"].values())
    assert shown["vote"]["positive"] == up and shown["vote"]["total"] == 2 * up - len(
        topic["votes"]
    )
    assert shown["custom_fields"] == [
        {"id": 1, "code_name": "cf_1", "name": "Plan", "value": topic["custom_fields"]["cf_1"]}
    ]
    assert shown["url"].startswith("https://sandbox.userecho.com/en/communities/1/topics/")
    assert shown["forum_id"] == 1
    sandbox.app.configure(topic_forum_field=False)  # trap 2 [I]: a topic may not say its forum
    assert "forum_id" not in data(call(sandbox, "GET", f"topics/{topic['id']}.json"))


def test_retag_replaces_the_whole_tag_list(sandbox):
    """P3 [D] P-TOPIC-U; traps 2, 3, 5: PUT forums/{fid}/topics with the id in the body;
    `tags` replaces the list, omitted leaves it, [] / null clear it."""
    topic = topic_in(sandbox, 1)
    tid = topic["id"]
    ux, api = tag_named(sandbox, 1, "ux"), tag_named(sandbox, 1, "api")
    shown = data(call(sandbox, "PUT", "forums/1/topics.json", json={"id": tid, "tags": [ux, api]}))
    assert sorted(t["name"] for t in shown["tags"]) == ["api", "ux"]
    untouched = data(
        call(sandbox, "PUT", "forums/1/topics.json", json={"id": tid, "header": "Renamed topic"})
    )
    assert sorted(t["name"] for t in untouched["tags"]) == ["api", "ux"]
    assert untouched["header"] == "Renamed topic"
    for empty in ([], None):
        data(call(sandbox, "PUT", "forums/1/topics.json", json={"id": tid, "tags": [ux]}))
        cleared = data(
            call(sandbox, "PUT", "forums/1/topics.json", json={"id": tid, "tags": empty})
        )
        assert cleared["tags"] == []


def test_retag_refuses_other_forums_tags_names_and_topics(sandbox):
    """Trap 4 [I] tag ids are forum-local; P-TOPIC-C [D] tags are integer ids; trap 2: the
    topic must be addressed through its own forum."""
    topic = topic_in(sandbox, 1)
    before = list(topic["tag_ids"])
    other_bug = tag_named(sandbox, 2, "bug")
    for tags in ([other_bug], ["bug"], "bug"):
        assert error(
            call(sandbox, "PUT", "forums/1/topics.json", json={"id": topic["id"], "tags": tags}),
            400,
        )
    assert topic["tag_ids"] == before
    assert error(
        call(sandbox, "PUT", "forums/2/topics.json", json={"id": topic["id"], "tags": []}), 404
    )
    assert error(call(sandbox, "PUT", "forums/1/topics.json", json={"tags": []}), 400)
    assert topic["tag_ids"] == before


def test_status_and_type_come_as_objects_or_as_ids(sandbox):
    """Trap 15 [C DA:205-242]: legacy forums (forum 3) answer bare ids; status_shape switches."""
    legacy = data(call(sandbox, "GET", "forums/3/topics.json"))
    assert all(isinstance(t["status"], int) and isinstance(t["type"], int) for t in legacy)
    modern = data(call(sandbox, "GET", "forums/1/topics.json"))
    assert all(isinstance(t["status"], dict) and isinstance(t["type"], dict) for t in modern)
    sandbox.app.configure(status_shape="id")
    assert all(
        isinstance(t["status"], int) for t in data(call(sandbox, "GET", "forums/1/topics.json"))
    )
    sandbox.app.configure(status_shape="object")
    assert all(
        isinstance(t["type"], dict) for t in data(call(sandbox, "GET", "forums/3/topics.json"))
    )


def test_status_and_type_are_accepted_as_an_id_or_an_object(sandbox):
    """P3 `status` [C DA:833] (undocumented); an id or {"id": ...} [I]; a type change starts
    at the new type's first status [I]."""
    topic = topic_in(sandbox, 1)
    statuses = state(sandbox).types[topic["type_id"]]["statuses"]
    shown = data(
        call(
            sandbox, "PUT", "forums/1/topics.json", json={"id": topic["id"], "status": statuses[1]}
        )
    )
    assert shown["status"]["id"] == statuses[1]
    shown = data(
        call(
            sandbox,
            "PUT",
            "forums/1/topics.json",
            json={"id": topic["id"], "status": {"id": statuses[0]}},
        )
    )
    assert shown["status"]["id"] == statuses[0]
    foreign = next(s for s in state(sandbox).statuses if s not in statuses)
    assert error(
        call(sandbox, "PUT", "forums/1/topics.json", json={"id": topic["id"], "status": foreign}),
        400,
    )
    other_type = next(
        t
        for t in state(sandbox).types.values()
        if t["forum_id"] == 1 and t["id"] != topic["type_id"]
    )
    moved = data(
        call(
            sandbox,
            "PUT",
            "forums/1/topics.json",
            json={"id": topic["id"], "type": {"id": other_type["id"]}},
        )
    )
    assert moved["type"]["id"] == other_type["id"]
    assert moved["status"]["id"] == other_type["statuses"][0]


def test_category_assignment_and_custom_fields_on_update(sandbox):
    """P3 [D]: category id of this forum, null clears; custom_fields merge, null clears."""
    topic = topic_in(sandbox, 2)
    category = next(c["id"] for c in state(sandbox).categories.values() if c["forum_id"] == 2)
    shown = data(
        call(
            sandbox,
            "PUT",
            "forums/2/topics.json",
            json={"id": topic["id"], "category": category, "custom_fields": {"cf_1": "Free"}},
        )
    )
    assert shown["category"]["id"] == category and shown["custom_fields"][0]["value"] == "Free"
    shown = data(
        call(
            sandbox,
            "PUT",
            "forums/2/topics.json",
            json={"id": topic["id"], "category": None, "custom_fields": None},
        )
    )
    assert shown["category"] is None and shown["custom_fields"] == []
    forum1_category = next(c for c in state(sandbox).categories.values() if c["forum_id"] == 1)
    assert error(
        call(
            sandbox,
            "PUT",
            "forums/2/topics.json",
            json={"id": topic["id"], "category": forum1_category["id"]},
        ),
        400,
    )


def test_needs_review_on_update_is_ignored_unless_switched_on(sandbox):
    """3.2 [I] "Review queue (approve) not documented": ignored by default."""
    topic = topic_in(sandbox, 1, needs_review=True)
    shown = data(
        call(
            sandbox, "PUT", "forums/1/topics.json", json={"id": topic["id"], "needs_review": False}
        )
    )
    assert shown["needs_review"] is True
    sandbox.app.configure(put_needs_review=True)
    shown = data(
        call(
            sandbox, "PUT", "forums/1/topics.json", json={"id": topic["id"], "needs_review": False}
        )
    )
    assert shown["needs_review"] is False


def test_topic_create_and_delete(sandbox):
    """P2 [D] header + type required, tags ids of the forum, needs_review; P9 [D] delete."""
    bug = tag_named(sandbox, 1, "bug")
    made = data(
        call(
            sandbox,
            "POST",
            "forums/1/topics.json",
            json={
                "header": "Export to PDF",
                "type": 1,
                "tags": [bug],
                "description": "<p>Please</p>",
                "needs_review": True,
                "user_id": 9,
            },
        )
    )
    assert made["author"]["id"] == 9 and made["needs_review"] is True
    assert made["status"]["name"] == "New" and [t["name"] for t in made["tags"]] == ["bug"]
    for body in ({"type": 1}, {"header": "x"}, {"header": "x", "type": 4}):
        assert error(call(sandbox, "POST", "forums/1/topics.json", json=body), 400), body
    data(call(sandbox, "POST", f"topics/{made['id']}/comments.json", json={"text": "hi"}))
    assert data(call(sandbox, "DELETE", f"topics/{made['id']}.json")) is True
    assert error(call(sandbox, "GET", f"topics/{made['id']}.json"), 404)
    assert not any(c["topic_id"] == made["id"] for c in state(sandbox).comments.values())
    assert error(call(sandbox, "DELETE", f"topics/{made['id']}.json"), 404)


def test_anonymous_topics_follow_the_forum_setting(sandbox):
    """SEED:117 [D] user_id=0 is anonymous; P-FORUM-C allow_anonymous_topic [D]."""
    body = {"header": "Anonymous idea", "type": 1, "user_id": 0}
    assert error(call(sandbox, "POST", "forums/1/topics.json", json=body), 403)
    state(sandbox).forums[1]["allow_anonymous_topic"] = True
    assert data(call(sandbox, "POST", "forums/1/topics.json", json=body))["author"]["id"] == 0


# --- comments, voters, field drift -----------------------------------------------------------
def test_comments_list_and_create(sandbox):
    """K1-K3: [C] DA body {text, is_official}; only agents post official answers [I]."""
    topic = next(
        t
        for t in state(sandbox).topics.values()
        if any(c["topic_id"] == t["id"] for c in state(sandbox).comments.values())
    )
    listed = data(call(sandbox, "GET", f"topics/{topic['id']}/comments.json"))
    assert [c["created"] for c in listed] == sorted(c["created"] for c in listed)
    official = data(
        call(
            sandbox,
            "POST",
            f"topics/{topic['id']}/comments.json",
            json={"text": "Fixed in 2.1", "is_official": True},
        )
    )
    assert official["is_official"] is True and official["author"]["id"] == OWNER
    customer = data(
        call(
            sandbox,
            "POST",
            f"topics/{topic['id']}/comments.json",
            json={"text": "Me too", "is_official": True, "user_id": 9},
        )
    )
    assert customer["is_official"] is False
    assert error(call(sandbox, "POST", f"topics/{topic['id']}/comments.json", json={}), 400)
    assert data(call(sandbox, "GET", "users/9/comments.json"))[0]["text"] == "Me too"


def test_voters(sandbox):
    """V1 [D]; shape [I]: users with their vote."""
    topic = next(t for t in state(sandbox).topics.values() if len(t["votes"]) > 2)
    voters = data(call(sandbox, "GET", f"topics/{topic['id']}/voters.json"))
    assert {v["id"]: v["vote"] for v in voters} == topic["votes"]


@pytest.mark.parametrize(
    ("mode", "present", "absent"),
    [
        (
            "both",
            {
                "name",
                "display_name",
                "comment_count",
                "comments_count",
                "vote",
                "votes",
                "text",
                "comment",
            },
            set(),
        ),
        (
            "reference",
            {"name", "comment_count", "vote", "text"},
            {"display_name", "comments_count", "votes", "comment"},
        ),
        (
            "alternate",
            {"display_name", "comments_count", "votes", "comment"},
            {"name", "comment_count", "vote", "text"},
        ),
    ],
)
def test_field_names_drift(sandbox, mode, present, absent):
    """Trap 14: name/display_name, comment_count/comments_count, vote/votes, text/comment."""
    sandbox.app.configure(field_names=mode)
    topic = next(
        t
        for t in state(sandbox).topics.values()
        if any(c["topic_id"] == t["id"] for c in state(sandbox).comments.values())
    )
    keys = set(data(call(sandbox, "GET", "users/5.json")))
    keys |= set(data(call(sandbox, "GET", f"topics/{topic['id']}.json")))
    keys |= set(data(call(sandbox, "GET", f"topics/{topic['id']}/comments.json"))[0])
    assert present <= keys and not (absent & keys)


@pytest.mark.parametrize("shape", ["objects", "ids", "names"])
def test_a_topics_tags_come_in_the_configured_shape(sandbox, shape):
    """4.1 [I] "A topic's `tags` may come back as names": objects, ids or names."""
    sandbox.app.configure(topic_tags=shape)
    topic = next(t for t in state(sandbox).topics.values() if t["tag_ids"])
    tags = data(call(sandbox, "GET", f"topics/{topic['id']}.json"))["tags"]
    rows = [state(sandbox).tags[i] for i in topic["tag_ids"]]
    expected = {
        "objects": [{"id": r["id"], "name": r["name"]} for r in rows],
        "ids": [r["id"] for r in rows],
        "names": [r["name"] for r in rows],
    }[shape]
    assert tags == expected
