"""The sandbox UserEcho in the demo and the sandbox command."""

from __future__ import annotations

import io
import re

import pytest
import requests
from django.core.management import call_command

from forums.sandbox.core import RunningSandbox
from forums.sandbox.demo import DEMO_KEYS, DEMO_PEOPLE, start_demo_sandboxes
from forums.sandbox.userecho import UserEchoSandbox

from .commands import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    call,
    data,
)


# --- the demo and the command ----------------------------------------------------------------
def test_demo_people_have_accounts_on_all_three_sandboxes(monkeypatch):
    """`start_demo_sandboxes()` serves UserEcho on FORUMDECK_DEMO_USERECHO_PORT with the demo's
    people (and the admin's e-mail) in it, as on the Discourse and NodeBB sandboxes."""
    for platform in ("DISCOURSE", "NODEBB"):
        monkeypatch.setenv(f"FORUMDECK_DEMO_{platform}_PORT", "0")
    with RunningSandbox(UserEchoSandbox()) as probe:  # a port that is free right now
        port = probe.port
    monkeypatch.setenv("FORUMDECK_DEMO_USERECHO_PORT", str(port))
    running = start_demo_sandboxes()
    try:
        by_platform = {s.app.platform: s for s in running}
        assert set(by_platform) == {"discourse", "nodebb", "userecho"}
        userecho = by_platform["userecho"]
        assert userecho.port == port
        token = DEMO_KEYS["userecho"]
        for person in (*DEMO_PEOPLE, {"email": "admin@example.com"}):
            found = data(
                call(
                    userecho,
                    "GET",
                    "users.json",
                    token=token,
                    params={"filter__email": person["email"]},
                )
            )
            assert len(found) == 1, person["email"]
            if "usernames" in person:
                assert found[0]["slug"] == person["usernames"]["userecho"]
                assert found[0]["name"] == person["name"]
            discourse = by_platform["discourse"].app
            assert any(u["email"] == person["email"] for u in discourse.users.values())
            assert by_platform["nodebb"].app.find_user("email", person["email"])
        # A reset (the control route) keeps them: they are part of the seed.
        requests.post(f"{userecho.url}/__sandbox__/reset", timeout=5)
        assert data(
            call(
                userecho,
                "GET",
                "users.json",
                token=token,
                params={"filter__email": DEMO_PEOPLE[0]["email"]},
            )
        )
    finally:
        for sandbox in running:
            sandbox.stop()


def test_manage_py_sandbox_userecho_serves_it(monkeypatch):
    """`manage.py sandbox userecho` serves the sandbox until interrupted."""
    from forums.management.commands import sandbox as command

    out = io.StringIO()
    seen = {}

    def instead_of_sleeping(_seconds):
        url = re.search(r"at (http://\S+) ", out.getvalue()).group(1)
        seen["me"] = requests.get(
            f"{url}/api/v2/users/current.json",
            timeout=5,
            params={"access_token": DEMO_KEYS["userecho"]},
        ).json()
        raise KeyboardInterrupt

    monkeypatch.setattr(command.time, "sleep", instead_of_sleeping)
    call_command("sandbox", "userecho", "--users", "20", stdout=out)
    assert "Sandbox userecho at http://127.0.0.1:" in out.getvalue()
    assert seen["me"]["data"]["email"] == "admin@example.com"


@pytest.mark.django_db
def test_demo_connections_serves_but_does_not_connect_a_platform_without_client(monkeypatch):
    """A sandbox whose platform has no client yet (as UserEcho had before its client) is
    served but never connected: a connection Forumdeck cannot talk to would only show errors."""
    from forums.management.commands import demo_connections
    from forums.models import ForumConnection

    monkeypatch.setattr(demo_connections, "supported_platforms", lambda: ["discourse", "nodebb"])
    out = io.StringIO()
    call_command("demo_connections", "userecho=http://127.0.0.1:4300", stdout=out)
    assert "Demo UserEcho served at http://127.0.0.1:4300, not connected" in out.getvalue()
    assert not ForumConnection.objects.filter(platform="userecho").exists()
