"""The NodeBB client's tests: ``sandbox`` is the sandbox NodeBB of ``tests/sandbox_fixtures.py``
(``nodebb_sandbox``, fresh for every test, served with the test module's ``SANDBOX_CONFIG``),
``master_sandbox`` a second one whose key is a master token (the module's ``MASTER_CONFIG``),
``client`` a NodeBBClient for the first."""

from __future__ import annotations

import copy

import pytest

from forums.sandbox.core import RunningSandbox
from forums.sandbox.registry import SANDBOXES

from .helpers import make_client


def _master_app(request):
    return SANDBOXES["nodebb"].app(**copy.deepcopy(request.module.MASTER_CONFIG))


@pytest.fixture
def sandbox(nodebb_sandbox):
    return nodebb_sandbox


@pytest.fixture(scope="module")
def _master_server(request):
    with RunningSandbox(_master_app(request)) as running:
        yield running


@pytest.fixture
def master_sandbox(request, _master_server):
    return _master_server.serve(_master_app(request))


@pytest.fixture
def client(sandbox):
    with make_client(sandbox) as c:
        yield c
