"""What the calendar tests share: a second sandbox Discourse beside the fixture's."""

from __future__ import annotations

import pytest

from tests.conftest import SANDBOX_DISCOURSE_KEY


@pytest.fixture
def calm_forum(db):
    """A second sandbox Discourse that answers at once, with ordinary events."""
    from forums.sandbox.core import RunningSandbox, SandboxConfig
    from forums.sandbox.discourse import DiscourseSandbox
    from tests.factories import ForumConnectionFactory

    app = DiscourseSandbox(
        SandboxConfig(api_key=SANDBOX_DISCOURSE_KEY, admin_requests_per_minute=6000, users=20)
    )
    with RunningSandbox(app) as sandbox:
        yield sandbox, ForumConnectionFactory(
            name="Calm Discourse", base_url=sandbox.url, api_key=SANDBOX_DISCOURSE_KEY,
            api_username="system", requests_per_minute=6000,
        )  # fmt: skip
