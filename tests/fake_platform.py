"""A small fourth platform that exists only in tests: "Fakeboard".

It proves the recipe in docs/architecture.md ("Adding a platform"): a client class that
declares its capabilities, words, notes and settings, registered in
``forums.clients.registry.PLATFORMS``, is enough for the connection form, its settings, the
help texts and docs/capabilities.md to know it; no other file names it. ``registered()`` puts
it in the registry for one test only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from forums.clients import ForumClient, PlatformWords, Setting
from forums.clients.errors import ForumError
from forums.clients.records import Capability, HealthReport

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


@contextlib.contextmanager
def registered(monkeypatch) -> Iterator[type[FakeboardClient]]:
    """Fakeboard in ``PLATFORMS`` for the duration (and out of it afterwards)."""
    from forums.clients import registry

    with monkeypatch.context() as patch:
        patch.setitem(registry.PLATFORMS, FakeboardClient.platform, FakeboardClient)
        yield FakeboardClient
