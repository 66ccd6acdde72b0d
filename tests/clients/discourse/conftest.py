"""The Discourse client's tests: ``server`` is the sandbox Discourse of
``tests/sandbox_fixtures.py`` (``discourse_sandbox``, fresh for every test, served with the test
module's ``SANDBOX_CONFIG``), ``sandbox`` its app, ``client`` a DiscourseClient for it."""

from __future__ import annotations

import pytest

from forums.sandbox.discourse import DiscourseSandbox

from .helpers import make_client


@pytest.fixture
def server(discourse_sandbox):
    return discourse_sandbox


@pytest.fixture
def sandbox(discourse_sandbox) -> DiscourseSandbox:
    return discourse_sandbox.app


@pytest.fixture
def client(discourse_sandbox):
    with make_client(discourse_sandbox.url) as c:
        yield c
