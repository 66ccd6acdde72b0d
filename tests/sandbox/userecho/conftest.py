"""``sandbox``: the sandbox UserEcho of ``tests/sandbox_fixtures.py`` (``userecho_sandbox``),
served with the test module's ``SANDBOX_CONFIG``."""

from __future__ import annotations

import pytest


@pytest.fixture
def sandbox(userecho_sandbox):
    return userecho_sandbox
