"""The sandbox Discourse in-process (its WSGI app and a werkzeug test client), and the
official spec it is checked against."""

from __future__ import annotations

from werkzeug.test import Client

from forums.sandbox.core import SandboxConfig
from forums.sandbox.discourse import DiscourseSandbox
from tests.contract.conftest import SPECS

SPEC_PATH = SPECS / "discourse" / "openapi.json"
KEY = "test-key"
AUTH = {"Api-Key": KEY, "Api-Username": "system"}


def make(limit: int = 10_000, **config) -> tuple[DiscourseSandbox, Client]:
    config.setdefault("users", 120)
    app = DiscourseSandbox(SandboxConfig(api_key=KEY, admin_requests_per_minute=limit, **config))
    return app, Client(app)
