"""``sandbox``: the sandbox Discourse of ``tests/sandbox_fixtures.py`` (``discourse_sandbox``),
served with the test module's ``SANDBOX_CONFIG``; ``spec``: Discourse's official openapi.json."""

from __future__ import annotations

import json

import pytest

from .in_process import SPEC_PATH


@pytest.fixture
def sandbox(discourse_sandbox):
    return discourse_sandbox


@pytest.fixture(scope="module")
def spec() -> dict:
    if not SPEC_PATH.exists():
        pytest.skip(f"{SPEC_PATH} is not there")
    return json.loads(SPEC_PATH.read_text())
