"""Adding a platform is the documented list: a test-only platform, registered and nothing
else, is offered by the connection form with its own settings, worded in its help texts, kept
with its secret sealed, and given its column in docs/capabilities.md; its sandbox, registered
beside it, is served by the demo and the ``sandbox`` command and gets the sandbox fixtures."""

from __future__ import annotations

import re
import socket

import pytest
from django.db import connection as db
from django.urls import reverse

from forums.bulk.kinds.groups import GroupParamsForm
from forums.bulk.kinds.penalties import PenaltyParamsForm
from forums.clients import get_client
from forums.crypto import Sealed
from forums.models import ForumConnection
from forums.sandbox.demo import start_demo_sandboxes
from forums.sandbox.registry import SANDBOXES
from tests import sandbox_fixtures
from tests.fake_platform import FAKEBOARD_SANDBOX, SIGNING_SECRET, registered
from tests.pages import page_html
from tools.capabilities import render

pytestmark = pytest.mark.django_db

# fakeboard_server, fakeboard_sandbox, fakeboard_client and fakeboard_connection: what
# tests/sandbox_fixtures.py makes for every entry of SANDBOXES when it is imported (Fakeboard's
# entry is there only while a test runs, so this module asks for its set itself).
globals().update(sandbox_fixtures._fixtures(FAKEBOARD_SANDBOX))

KEY = "fakeboard-api-key-0123456789"


@pytest.fixture
def fakeboard(monkeypatch):
    with registered(monkeypatch) as cls:
        yield cls


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: Fakeboard's health check finds no forum there."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def form_data(port: int, **overrides) -> dict:
    data = {
        "name": "Fake community",
        "platform": "fakeboard",
        "base_url": f"http://127.0.0.1:{port}",
        "api_username": "moderator-bot",
        "api_key": KEY,
        "settings__fakeboard__region": "EU",
        "settings__fakeboard__signing_secret": SIGNING_SECRET,
        "requests_per_minute": 10,
        "enabled": "on",
    }
    data.update(overrides)
    return data


def test_the_form_offers_it_with_its_own_settings_and_words(admin_client_, fakeboard):
    html = page_html(admin_client_.get(reverse("forums:connection-create")))
    assert re.search(r'<option value="fakeboard">Fakeboard</option>', html)
    fieldset = re.search(
        r'<fieldset[^>]*data-platform="fakeboard"[^>]*>(.*?)</fieldset>', html, re.S
    ).group(1)
    assert "Fakeboard settings" in fieldset
    assert re.search(r'<input type="text" name="settings__fakeboard__region"', fieldset)
    assert "Where the forum&#x27;s data lives." in fieldset
    # The secret is a password input, never filled in.
    assert re.search(r'<input type="password" name="settings__fakeboard__signing_secret"', fieldset)
    # Help lines in its own words, each marked so the page shows the chosen platform's only.
    for words in (
        "Acting handle. The handle every call acts as.",
        "A key from Fakeboard&#x27;s Settings → Keys.",
        "Fakeboard allows 10 calls a minute.",
    ):
        assert f'<span data-platform="fakeboard">Fakeboard: {words}</span>' in html
    # The other platforms' settings are still there, in their own fieldsets.
    assert 'data-platform="nodebb"' in html


def test_its_settings_are_checked_by_its_schema(admin_client_, fakeboard, closed_port):
    url = reverse("forums:connection-create")
    html = page_html(
        admin_client_.post(url, form_data(closed_port, settings__fakeboard__region="mars"))
    )
    assert "Fakeboard keeps a forum&#x27;s data in eu or us" in html
    html = page_html(
        admin_client_.post(url, form_data(closed_port, settings__fakeboard__signing_secret=""))
    )
    assert "Fakeboard needs the signing secret." in html
    assert SIGNING_SECRET not in html and KEY not in html
    assert not ForumConnection.objects.exists()


def test_its_secret_is_sealed_shown_only_by_its_hint_and_kept(
    admin_client_, fakeboard, closed_port
):
    response = admin_client_.post(
        reverse("forums:connection-create"), form_data(closed_port), follow=True
    )
    # Saved, but its test found no forum at that address, so it waits disabled.
    assert "but not enabled: its test failed" in page_html(response)
    connection = ForumConnection.objects.get(name="Fake community")
    assert connection.platform == "fakeboard" and not connection.enabled
    assert connection.settings["region"] == "eu"
    assert isinstance(connection.settings["signing_secret"], Sealed)
    with db.cursor() as cursor:
        cursor.execute("SELECT settings FROM forums_forumconnection WHERE id = %s", [connection.pk])
        raw = cursor.fetchone()[0]
    assert SIGNING_SECRET not in raw and '"region": "eu"' in raw
    # Only the client sees it opened.
    assert get_client(connection).settings == {"region": "eu", "signing_secret": SIGNING_SECRET}

    edit_url = reverse("forums:connection-update", args=[connection.pk])
    edit = page_html(admin_client_.get(edit_url))
    assert SIGNING_SECRET not in edit
    assert "Stored, ending in …WXYZ. Leave empty to keep it." in edit
    assert re.search(r'name="settings__fakeboard__region"[^>]*value="eu"', edit)

    # Renamed with the secret left empty: the sealed secret stays as it was, no key needed.
    before = connection.settings["signing_secret"]
    admin_client_.post(
        edit_url,
        form_data(
            closed_port, name="Fake forum", api_key="", settings__fakeboard__signing_secret=""
        ),
    )
    connection.refresh_from_db()
    assert connection.name == "Fake forum"
    assert connection.settings["signing_secret"] == before


def test_its_column_is_in_the_capabilities_table(fakeboard):
    table = render()
    header = next(line for line in table.splitlines() if line.startswith("| capability"))
    assert header.endswith("| Fakeboard (0.1) |")
    rows = {line.split(" | ")[0]: line for line in table.splitlines() if line.startswith("| ")}
    assert rows["| find users"].endswith("| `GET /api/people?q=` |")
    assert rows["| backups"].endswith("| not offered (Fakeboard keeps none) |")
    assert rows["| suspend / unsuspend"].endswith("| not offered |")
    assert rows["| groups"].endswith("| offered |")


def test_bulk_help_texts_use_its_words(fakeboard):
    group_help = GroupParamsForm().fields["group"].help_text
    assert group_help.startswith(
        "The group's name (Discourse) or slug (NodeBB) or handle (Fakeboard)."
    )
    # Fakeboard sends no message with a penalty: not named among the forums that do.
    message_help = PenaltyParamsForm().fields["message"].help_text
    assert "Discourse" in message_help and "Fakeboard" not in message_help


def test_its_sandbox_gets_the_fixtures_every_sandbox_gets(
    fakeboard, fakeboard_sandbox, fakeboard_client, fakeboard_connection
):
    report = fakeboard_client(settings={"region": "eu"}).health_check()
    assert report.ok and report.software == "Fakeboard"
    # The connection row points at the same sandbox, with the key that sandbox accepts.
    assert fakeboard_connection.platform == "fakeboard"
    assert fakeboard_connection.base_url == fakeboard_sandbox.url
    assert get_client(fakeboard_connection).health_check().ok
    assert fakeboard_sandbox.app.calls.count("GET", "/api/health", status=200) == 2
    # A wrong key is refused by the sandbox, and the client says so.
    refused = fakeboard_client(api_key="not-the-key").health_check()
    assert refused.reachable and not refused.ok


def test_the_demo_and_the_sandbox_command_serve_it(fakeboard, monkeypatch):
    from forums.management.commands.sandbox import Command

    assert SANDBOXES["fakeboard"] is FAKEBOARD_SANDBOX
    parser = Command().create_parser("manage.py", "sandbox")
    choices = next(a for a in parser._actions if a.dest == "platform").choices
    assert "fakeboard" in choices
    for platform in SANDBOXES:
        monkeypatch.setenv(f"FORUMDECK_DEMO_{platform.upper()}_PORT", "0")
    running = start_demo_sandboxes()
    try:
        served = {s.app.platform: s for s in running}
        assert set(served) == set(SANDBOXES)
        demo = fakeboard(
            base_url=served["fakeboard"].url,
            api_key=FAKEBOARD_SANDBOX.demo_key,
            api_username=FAKEBOARD_SANDBOX.demo_acting_as,
            allow_http_hosts=["127.0.0.1"],
        )
        with demo:
            assert demo.health_check().ok
        # The demo's people are on it too, so the People page can show them across forums.
        people = served["fakeboard"].app.accounts.values()
        assert "maria.lopez@example.org" in {person["email"] for person in people}
    finally:
        for sandbox in running:
            sandbox.stop()
