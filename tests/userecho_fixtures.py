"""The sandbox UserEcho for the UserEcho client, people and browser tests (import the fixtures
you need into a test module, as ``tests/conftest.py`` does with ``celery_stack``)."""

from __future__ import annotations

import copy

import pytest

from forums.clients.userecho import UserEchoClient
from forums.sandbox.core import RunningSandbox
from forums.sandbox.userecho import UserEchoSandbox, UserEchoSandboxConfig

USERECHO_TOKEN = "sandbox-userecho-token-0123456789abcdef"
READ_TOKEN = "sandbox-userecho-read-token-0123456789"  # the owner's read-only token
AGENT_TOKEN = "sandbox-userecho-agent-token-0123456789"  # the support agent: read and write
OWNER = 1  # the token's own user (the project owner)
BASE_CONFIG = {
    "api_key": USERECHO_TOKEN,
    "extra_tokens": {
        READ_TOKEN: {"user_id": OWNER, "scopes": ["read"]},
        AGENT_TOKEN: {"user_id": 2, "scopes": ["read", "write"]},
    },
}


@pytest.fixture(scope="module")
def _userecho_server():
    app = UserEchoSandbox(UserEchoSandboxConfig(**copy.deepcopy(BASE_CONFIG)))
    with RunningSandbox(app) as running:
        yield running


@pytest.fixture
def userecho_sandbox(_userecho_server):
    """One sandbox UserEcho per module; fresh config, state and call log for every test."""
    app = _userecho_server.app
    app.config = UserEchoSandboxConfig(**copy.deepcopy(BASE_CONFIG))
    app.calls.clear()
    app.reset()
    return _userecho_server


@pytest.fixture
def userecho(userecho_sandbox):
    """A factory of clients for the sandbox: userecho() or userecho(api_key=READ_TOKEN)."""
    made: list[UserEchoClient] = []

    def make(**kwargs) -> UserEchoClient:
        options = {
            "base_url": userecho_sandbox.url,
            "api_key": USERECHO_TOKEN,
            "allow_http_hosts": ["127.0.0.1"],
            **kwargs,
        }
        client = UserEchoClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def userecho_connection(db, userecho_sandbox):
    from forums.models import Platform
    from tests.factories import ForumConnectionFactory

    return ForumConnectionFactory(
        name="Sandbox UserEcho",
        platform=Platform.USERECHO,
        base_url=userecho_sandbox.url,
        api_key=USERECHO_TOKEN,
        api_username="",
        requests_per_minute=6000,
    )
