"""The sandbox UserEcho: forums, types, categories, tags and access lists."""

from __future__ import annotations

from .commands import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    call,
    data,
    error,
    state,
    tag_named,
)


# --- forums, types, categories, tags, access list --------------------------------------------
def test_forum_create_from_a_template_ignores_other_settings(sandbox):
    """F2 [D] P-FORUM-C: template_forum_id copies settings; other params except name ignored."""
    made = data(
        call(
            sandbox,
            "POST",
            "forums.json",
            json={"name": "Copy", "template_forum_id": 2, "type": "PRIVATE"},
        )
    )
    assert made["type"] == {"id": 5, "name": "HELPDESK"} and made["topic_count"] == 0
    assert [t["name"] for t in data(call(sandbox, "GET", f"forums/{made['id']}/types.json"))] == [
        "Questions",
        "Problems",
    ]
    assert error(call(sandbox, "POST", "forums.json", json={"name": "Bad", "type": "WIKI"}), 400)
    assert error(call(sandbox, "POST", "forums.json", json={"type": "PUBLIC"}), 400)


def test_forum_delete_takes_the_id_in_the_body_and_removes_its_content(sandbox):
    """F4 [D listed], id in the body [I]; trap 9: irreversible; the default forum stays [I]."""
    assert "default forum" in error(call(sandbox, "DELETE", "forums.json", json={"id": 1}), 400)
    assert data(call(sandbox, "DELETE", "forums.json", json={"id": 2})) is True
    assert [f["id"] for f in data(call(sandbox, "GET", "forums.json"))] == [1, 3]
    assert not any(t["forum_id"] == 2 for t in state(sandbox).topics.values())
    assert error(call(sandbox, "GET", "forums/2/tags.json"), 404)


def test_types_categories_and_tags_belong_to_one_forum(sandbox):
    """T1, C1, TG1 [D]; trap 4 [I]: the same tag name lives in several forums under different
    ids, and one forum's id is not found in another."""
    bugs = [tag_named(sandbox, f, "bug") for f in (1, 2, 3)]
    assert len(set(bugs)) == 3
    forum2 = data(call(sandbox, "GET", "forums/2/tags.json"))
    assert {t["name"] for t in forum2} == {"bug", "urgent", "login", "billing", "howto", "api"}
    assert [t["name"] for t in data(call(sandbox, "GET", "forums/2/types.json"))] == [
        "Questions",
        "Problems",
    ]
    cats = data(call(sandbox, "GET", "forums/1/categories.json"))
    assert {c["name"] for c in cats} >= {"Dashboard", "Billing"}
    assert sum(c["topic_count"] for c in cats) == sum(
        1 for t in state(sandbox).topics.values() if t["forum_id"] == 1 and t["category_id"]
    )
    # Forum 2's "bug" cannot be renamed through forum 1.
    assert error(call(sandbox, "PUT", "forums/1/tags.json", json={"id": bugs[1], "name": "x"}), 404)
    assert state(sandbox).tags[bugs[1]]["name"] == "bug"


def test_tag_and_category_writes_on_the_collection(sandbox):
    """TG2-TG4, C2-C4 [D] exist; bodies [I]: {name}, {id, name}, {id} (or ?id=)."""
    tag = data(call(sandbox, "POST", "forums/1/tags.json", json={"name": "billing"}))
    assert tag["name"] == "billing" and state(sandbox).tags[tag["id"]]["forum_id"] == 1
    assert error(call(sandbox, "POST", "forums/1/tags.json", json={"name": "Billing"}), 400)
    assert (
        data(
            call(sandbox, "PUT", "forums/1/tags.json", json={"id": tag["id"], "name": "invoices"})
        )["name"]
        == "invoices"
    )
    assert data(call(sandbox, "DELETE", "forums/1/tags.json", params={"id": tag["id"]})) is True
    cat = data(call(sandbox, "POST", "forums/2/categories.json", json={"name": "Mobile"}))
    assert cat == {"id": cat["id"], "name": "Mobile", "topic_count": 0}
    assert (
        data(
            call(sandbox, "PUT", "forums/2/categories.json", json={"id": cat["id"], "name": "Apps"})
        )["name"]
        == "Apps"
    )
    assert data(call(sandbox, "DELETE", "forums/2/categories.json", json={"id": cat["id"]}))
    assert error(call(sandbox, "DELETE", "forums/2/categories.json", json={"id": cat["id"]}), 404)
    assert error(call(sandbox, "PUT", "forums/2/categories.json", json={"name": "no id"}), 400)


def test_deleting_a_tag_or_category_detaches_it_from_topics(sandbox):
    """Trap 9 [I]: deleting a tag or category presumably detaches it from topics."""
    topic = next(t for t in state(sandbox).topics.values() if t["tag_ids"] and t["category_id"])
    tag, category, fid = topic["tag_ids"][0], topic["category_id"], topic["forum_id"]
    data(call(sandbox, "DELETE", f"forums/{fid}/tags.json", json={"id": tag}))
    data(call(sandbox, "DELETE", f"forums/{fid}/categories.json", json={"id": category}))
    shown = data(call(sandbox, "GET", f"topics/{topic['id']}.json"))
    assert tag not in [t["id"] for t in shown["tags"]] and shown["category"] is None


def test_access_list_of_a_private_forum(sandbox):
    """A1-A3 [D] "For private forums only"; body {emails} [I]."""
    emails = data(call(sandbox, "GET", "forums/3/access_list.json", params={"limit": 100}))
    assert len(emails) == 24 and all("@" in e for e in emails)
    after = data(
        call(
            sandbox,
            "POST",
            "forums/3/access_list.json",
            json={"emails": ["New.Tester@example.com"]},
        )
    )
    assert "new.tester@example.com" in after
    after = data(
        call(
            sandbox,
            "DELETE",
            "forums/3/access_list.json",
            params={"emails": "new.tester@example.com"},
        )
    )
    assert "new.tester@example.com" not in after
    assert "private forums only" in error(call(sandbox, "GET", "forums/1/access_list.json"), 400)
    assert error(call(sandbox, "POST", "forums/3/access_list.json", json={"emails": ["x"]}), 400)
