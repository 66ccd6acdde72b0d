"""The sandbox Discourse enforces the real rules on tags: tag groups and retagging."""

from __future__ import annotations

from .served import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    configure,
    get,
    send,
)


# --- tag groups ---------------------------------------------------------------------------------
def test_tag_group_put_resets_what_it_leaves_out(sandbox):
    """Row "tag groups": a PUT that omits tag_names / parent_tag_name resets them to [], and one
    that omits one_per_topic resets it to false."""
    groups = get(sandbox, "/tag_groups.json").json()["tag_groups"]
    status = next(g for g in groups if g["one_per_topic"] and g["tags"])
    r = send(sandbox, "PUT", f"/tag_groups/{status['id']}.json", json={"name": "Renamed"})
    assert r.status_code == 200
    after = get(sandbox, f"/tag_groups/{status['id']}.json").json()["tag_group"]
    assert after["name"] == "Renamed"
    assert after["tag_names"] == [] and after["parent_tag_name"] == []
    assert after["one_per_topic"] is False


# --- retag --------------------------------------------------------------------------------------
def test_retag_answers_every_editable_topic(sandbox):
    """Row "retag": PUT /topics/bulk.json answers topic_ids = every topic the key may edit,
    not only the changed ones."""
    topics = sandbox.app.topics
    tagged = next(t for t in topics.values() if t["tags"] == ["bug"])["id"]
    untagged = next(t for t in topics.values() if not t["tags"])["id"]
    body = {"topic_ids": [tagged, untagged, 999_999],
            "operation": {"type": "append_tags", "tags": ["bug"]}}  # fmt: skip
    r = send(sandbox, "PUT", "/topics/bulk.json", json=body)
    assert r.status_code == 200
    assert r.json()["topic_ids"] == sorted([tagged, untagged])  # the first one did not change


def test_remove_tags_is_missing_from_older_versions(sandbox):
    """Row "retag": remove_tags is missing from older versions."""
    body = {"topic_ids": [1], "operation": {"type": "remove_tags", "tags": ["bug"]}}
    assert send(sandbox, "PUT", "/topics/bulk.json", json=body).status_code == 200
    configure(sandbox, bulk_remove_tags=False)
    r = send(sandbox, "PUT", "/topics/bulk.json", json=body)
    assert r.status_code == 400
    assert r.json()["errors"] == ["You supplied invalid parameters to the request: operation"]
