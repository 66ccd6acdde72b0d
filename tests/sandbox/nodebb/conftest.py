"""``sandbox``: the sandbox NodeBB of ``tests/sandbox_fixtures.py`` (``nodebb_sandbox``), served
with the test module's ``SANDBOX_CONFIG``; ``master``: a second one whose key is a master token,
built from the module's ``MASTER_CONFIG``."""

from __future__ import annotations

import copy

import pytest

from forums.sandbox.core import RunningSandbox
from forums.sandbox.registry import SANDBOXES


@pytest.fixture
def sandbox(nodebb_sandbox):
    return nodebb_sandbox


@pytest.fixture
def master(request):
    config = copy.deepcopy(request.module.MASTER_CONFIG)
    with RunningSandbox(SANDBOXES["nodebb"].app(**config)) as running:
        yield running
