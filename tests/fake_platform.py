"""A small fourth platform that exists only in tests: "Fakeboard".

It proves the recipe in docs/architecture.md ("Adding a platform"): a client class that
declares its capabilities, words, notes and settings, registered in
``forums.clients.registry.PLATFORMS``, is enough for the connection form, its settings, the
help texts and docs/capabilities.md to know it; and its sandbox (a ``SandboxApp`` answering
what the client asks), registered in ``forums.sandbox.registry.SANDBOXES``, is enough for the
demo, the ``sandbox`` command and the test fixtures to serve it. No other file names it.
``registered()`` puts both in their registries for one test only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from forums.clients import ForumClient, PlatformWords, Setting
from forums.clients.errors import ForumError
from forums.clients.records import Capability, HealthReport
from forums.sandbox.core import SandboxApp, SandboxConfig, json_response
from forums.sandbox.demo_people import DEMO_PEOPLE
from forums.sandbox.registry import Sandbox

SIGNING_SECRET = "fakeboard-signing-secret-WXYZ"


def _region(value: str) -> str:
    value = value.lower()
    if value not in ("eu", "us"):
        raise ValueError("Fakeboard keeps a forum's data in eu or us: give one of those.")
    return value


class FakeboardClient(ForumClient):
    platform = "fakeboard"
    software = "Fakeboard"
    documented_version = "0.1"
    capabilities = frozenset({Capability.USER_SEARCH, Capability.GROUPS, Capability.GROUP_MEMBERS})
    capability_notes = {
        "find_users": "`GET /api/people?q=`",
        "backups": "not offered (Fakeboard keeps none)",
    }
    words = PlatformWords(
        penalties=ForumClient.words.penalties,
        key_help="A key from Fakeboard's Settings → Keys.",
        username_label="Acting handle",
        username_help="The handle every call acts as.",
        group_key="handle",
        rate_help="Fakeboard allows 10 calls a minute.",
    )
    settings_schema = (
        Setting("region", "Region", help="Where the forum's data lives.", validator=_region,
                required=True),
        Setting("signing_secret", "Signing secret", help="Fakeboard signs every call with it.",
                secret=True, required=True),
    )  # fmt: skip

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"X-Fakeboard-Key": api_key}

    def health_check(self, *, known: dict | None = None) -> HealthReport:
        report = HealthReport()
        try:
            self.request("GET", "/api/health")
        except ForumError as exc:
            return self.health_failure(report, exc)
        report.reachable = report.credentials_ok = report.is_admin = True
        report.software = self.software
        return report


class FakeboardSandbox(SandboxApp):
    """The sandbox Fakeboard: the key in ``X-Fakeboard-Key``, ``GET /api/health`` and
    ``GET /api/people?q=`` over its people (the demo's among them, by e-mail)."""

    platform = "fakeboard"

    def rules(self) -> list[Rule]:
        return [
            Rule("/api/health", endpoint="health", methods=["GET"]),
            Rule("/api/people", endpoint="people", methods=["GET"]),
        ]

    def reset(self) -> None:
        self.accounts: dict[int, dict[str, Any]] = {}
        # Its own demo people (``seeds_demo_people``): handles from their e-mail addresses,
        # since forums/sandbox/demo_people.py names no Fakeboard handles.
        for person in DEMO_PEOPLE:
            self.add_person(
                username=person["email"].split("@")[0], email=person["email"], name=person["name"]
            )

    def add_person(self, *, username: str, email: str, name: str = "") -> int:
        with self.lock:
            new_id = len(self.accounts) + 1
            self.accounts[new_id] = {"id": new_id, "handle": username, "email": email,
                                     "name": name}  # fmt: skip
            return new_id

    def before_endpoint(self, request: Request, endpoint: str) -> Response | None:
        if request.headers.get("X-Fakeboard-Key") != self.config.api_key:
            return json_response({"error": "unknown key"}, 401)
        return None

    def health(self, request: Request) -> Response:
        return json_response({"title": self.config.title, "people": len(self.accounts)})

    def people(self, request: Request) -> Response:
        query = request.args.get("q", "").lower()
        return json_response(
            [a for a in self.accounts.values() if query in f"{a['handle']} {a['email']}".lower()]
        )


def _fakeboard_sandbox(config: dict[str, Any]) -> SandboxApp:
    return FakeboardSandbox(SandboxConfig(**config))


FAKEBOARD_SANDBOX = Sandbox(
    platform="fakeboard",
    label="Fakeboard",
    factory=_fakeboard_sandbox,
    sandbox_acting_as="moderator-bot",
    demo_port=4400,
    demo_key="demo-fakeboard-key-0123",
    demo_acting_as="moderator-bot",
    test_key="fakeboard-sandbox-key-0123456789",
    test_acting_as="moderator-bot",
    seeds_demo_people=True,
)


@contextlib.contextmanager
def registered(monkeypatch) -> Iterator[type[FakeboardClient]]:
    """Fakeboard in ``PLATFORMS`` and its sandbox in ``SANDBOXES`` for the duration (and out of
    them afterwards)."""
    from forums.clients import registry
    from forums.sandbox import registry as sandbox_registry

    with monkeypatch.context() as patch:
        patch.setitem(registry.PLATFORMS, FakeboardClient.platform, FakeboardClient)
        patch.setitem(sandbox_registry.SANDBOXES, FAKEBOARD_SANDBOX.platform, FAKEBOARD_SANDBOX)
        yield FakeboardClient
