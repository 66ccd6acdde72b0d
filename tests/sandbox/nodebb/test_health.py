"""The sandbox NodeBB: the post queue the overview counts."""

from __future__ import annotations

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


# --- post queue ---------------------------------------------------------------------------------
def test_the_post_queue_adds_custom_reasons(sandbox):
    """Row "`/api/post-queue`": adds `customReasons`."""
    page = call(sandbox, "GET", "/api/post-queue").json()
    assert isinstance(page["customReasons"], list) and page["customReasons"]
    assert page["posts"]
