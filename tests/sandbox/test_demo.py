"""The demo and the ``sandbox`` command serve every sandbox of the registry, and the demo's
connections hold exactly what the connection form would store (issue 26, item 1: the demo
stored UserEcho's acting uid as "1" where the form stores nothing, so saving its edit form
unchanged asked for a key the newcomer never had)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from forums.clients.registry import PLATFORMS
from forums.connections.forms import ConnectionForm
from forums.crypto import reveal
from forums.models import ForumConnection
from forums.sandbox.demo import DEMO_NAMES, start_demo_sandboxes
from forums.sandbox.registry import SANDBOXES


def test_every_platform_has_a_sandbox_and_every_sandbox_a_client():
    assert set(SANDBOXES) == set(PLATFORMS)
    for platform, sandbox in SANDBOXES.items():
        app = sandbox.test_app()
        assert app.platform == platform
        assert app.config.api_key == sandbox.test_key


@pytest.mark.parametrize("platform", sorted(SANDBOXES))
def test_the_demo_stores_what_the_connection_form_stores(settings, platform):
    settings.FORUMDECK_ALLOW_HTTP_HOSTS = ["127.0.0.1"]
    settings.FORUMDECK_ALLOW_PRIVATE_HOSTS = ["127.0.0.1"]
    sandbox = SANDBOXES[platform]
    checked = PLATFORMS[platform].validate_settings(
        base_url="http://127.0.0.1:4100", api_username=sandbox.demo_acting_as
    )
    assert checked["api_username"] == sandbox.demo_acting_as


@pytest.fixture
def demo(monkeypatch):
    for platform in SANDBOXES:
        monkeypatch.setenv(f"FORUMDECK_DEMO_{platform.upper()}_PORT", "0")
    running = start_demo_sandboxes()
    yield {s.app.platform: s for s in running}
    for sandbox in running:
        sandbox.stop()


@pytest.mark.django_db
def test_saving_a_demo_connection_unchanged_and_disabling_it_need_no_key(admin_client_, demo):
    assert set(demo) == set(SANDBOXES)
    out = io.StringIO()
    call_command("demo_connections", *[f"{p}={s.url}" for p, s in demo.items()], stdout=out)
    for platform in SANDBOXES:
        connection = ForumConnection.objects.get(name=DEMO_NAMES[platform])
        assert connection.api_username == SANDBOXES[platform].demo_acting_as
        form = ConnectionForm(instance=connection)
        data = {name: form[name].value() for name in form.fields if name != "api_key"}
        data = {k: ("on" if v is True else v) for k, v in data.items() if v not in (None, False)}
        response = admin_client_.post(
            reverse("forums:connection-update", args=[connection.pk]), {**data, "api_key": ""}
        )
        page = response.content.decode()
        assert "enter the API key again" not in page, platform
        assert response.status_code == 302, (platform, page[:3000])
        connection.refresh_from_db()
        assert connection.enabled and reveal(connection.api_key) == SANDBOXES[platform].demo_key
        response = admin_client_.post(reverse("forums:connection-toggle", args=[connection.pk]))
        assert response.status_code in (200, 302), platform
        connection.refresh_from_db()
        assert not connection.enabled


def test_the_sandbox_command_offers_every_sandbox():
    from forums.management.commands.sandbox import Command

    parser = Command().create_parser("manage.py", "sandbox")
    platform = next(a for a in parser._actions if a.dest == "platform")
    assert list(platform.choices) == list(SANDBOXES)
