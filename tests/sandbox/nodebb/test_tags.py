"""The sandbox NodeBB: topic tags and site-wide tag changes."""

from __future__ import annotations

import pytest

from .served import (  # noqa: F401 - the config of this module's sandbox
    AGENT,
    MASTER,
    MASTER_CONFIG,
    SANDBOX_CONFIG,
    TOKEN,
    call,
    in_a_week,
    plain_uid,
    user,
)


# --- topic tags ---------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_topic_tag_answers_are_tag_objects(sandbox, method):
    """Row "`PUT`/`PATCH /api/v3/topics/{tid}/tags`": tag objects {value, valueEncoded, class}."""
    r = call(sandbox, method, "/api/v3/topics/3/tags", json={"tags": ["release notes"]})
    assert r.status_code == 200
    tags = r.json()["response"]
    assert all(set(t) == {"value", "valueEncoded", "class"} for t in tags)
    assert {"value": "release-notes", "valueEncoded": "release-notes",
            "class": "release-notes"} in tags  # fmt: skip


# --- site-wide tag changes ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v3/tags", {"tag": "new-tag"}),
        ("PUT", "/api/v3/tags/help", {"value": "assist"}),
        ("DELETE", "/api/v3/tags/help", None),
        ("PUT", "/api/v3/admin/tags/help", {"newName": "assist"}),
        ("DELETE", "/api/v3/admin/tags", {"tags": ["help"]}),
    ],
)
def test_there_is_no_rest_route_for_site_wide_tag_changes(sandbox, method, path, body):
    """Row "site-wide tag rename / delete / create": no REST route; every tried `/api/v3` path
    answers 404 "Invalid API call"."""
    r = call(sandbox, method, path, json=body)
    assert r.status_code == 404
    assert r.json()["status"] == {"code": "not-found", "message": "Invalid API call"}


def test_socket_io_refuses_a_bearer_token(sandbox):
    """Row "site-wide tag rename / delete / create": socket.io takes the user only from the
    session cookie, so a Bearer token alone is refused (403 on connect)."""
    r = call(sandbox, "GET", "/socket.io/", params={"EIO": 4, "transport": "polling"})
    assert r.status_code == 403


# --- issue 22, finding 7 --------------------------------------------------------------------------
def test_a_tag_shorter_than_three_characters_is_silently_dropped(sandbox):
    """Row "PUT topic tags with a tag shorter than minimumTagLength": 200, the tag dropped."""
    r = call(sandbox, "PUT", "/api/v3/topics/3/tags", json={"tags": ["ab", "release"]})
    assert r.status_code == 200
    assert [t["value"] for t in r.json()["response"]] == ["release"]
    assert sandbox.app.state.topics[3]["tags"] == ["release"]
    r = call(sandbox, "PUT", "/api/v3/topics/3/tags", json={"tags": ["ab"]})
    assert r.status_code == 200 and r.json()["response"] == []


def test_braces_are_removed_and_long_tags_cut(sandbox):
    """Row "the same PUT with { } in a tag": stored lower-cased without them; utils.cleanUpTag
    cuts a tag to maximumTagLength (15)."""
    r = call(sandbox, "PUT", "/api/v3/topics/3/tags",
             json={"tags": ["{TAG}", "abcdefghijklmnopqrst"]})  # fmt: skip
    assert [t["value"] for t in r.json()["response"]] == ["tag", "abcdefghijklmno"]


def test_a_tag_retagged_away_stays_with_no_topics(sandbox):
    """Row "a tag whose last topic was retagged away": it stays with score 0 in the ACP list,
    and /api/tags/{tag} lists 0 topics."""
    call(sandbox, "PUT", "/api/v3/topics/3/tags", json={"tags": ["lonely-tag"]})
    call(sandbox, "PUT", "/api/v3/topics/3/tags", json={"tags": ["release"]})
    tags = call(sandbox, "GET", "/api/admin/manage/tags").json()["tags"]
    assert {"lonely-tag": 0}.items() <= {t["value"]: t["score"] for t in tags}.items()
    page = call(sandbox, "GET", "/api/tags/lonely-tag")
    assert page.status_code == 200 and page.json()["topics"] == []
