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
