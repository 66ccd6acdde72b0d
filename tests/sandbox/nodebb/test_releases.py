"""The sandbox NodeBB playing NodeBB 3.12 (forums/sandbox/nodebb/releases.py): where the
routes and answers Forumdeck uses differ from 4.15, and the switch that starts it."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from forums.sandbox.nodebb.releases import RELEASES, release_named
from forums.sandbox.registry import SANDBOXES

from .served import AGENT, TOKEN, call, in_a_week, plain_uid, user  # noqa: F401

SANDBOX_CONFIG = {"nodebb": {"api_key": TOKEN, "users": 60, "release": "3.12"}}


def history(sb, uid: int, kind: str) -> list[dict]:
    slug = sb.app.state.users[uid]["userslug"]
    info = call(sb, "GET", f"/api/user/{slug}/info").json()
    return info["history"]["bans" if kind == "ban" else "mutes"]


def test_the_dashboard_answers_the_release_version(sandbox):
    assert call(sandbox, "GET", "/api/admin/dashboard").json()["version"] == "3.12.7"


@pytest.mark.parametrize("kind", ["ban", "mute"])
def test_a_3x_lift_without_a_body_works_and_reads_the_reason_from_the_body_only(sandbox, kind):
    """Before 4.11 Users.unban/unmute spread `req.body`: no body is fine, ?reason= ignored."""
    uid = plain_uid(sandbox)
    flag = "banned" if kind == "ban" else "muted"
    call(sandbox, "PUT", f"/api/v3/users/{uid}/{kind}", json={"until": in_a_week()})
    assert call(sandbox, "DELETE", f"/api/v3/users/{uid}/{kind}").status_code == 200
    assert user(sandbox, uid)[flag] is False
    call(sandbox, "PUT", f"/api/v3/users/{uid}/{kind}", json={"until": in_a_week()})
    call(sandbox, "DELETE", f"/api/v3/users/{uid}/{kind}", params={"reason": "lost"})
    call(sandbox, "PUT", f"/api/v3/users/{uid}/{kind}", json={"until": in_a_week()})
    call(sandbox, "DELETE", f"/api/v3/users/{uid}/{kind}", json={"reason": "appeal"})
    reasons = [e["reason"] for e in history(sandbox, uid, kind) if e["type"] == f"un{kind}"]
    assert reasons[0] == "appeal" and "lost" not in reasons


def test_a_3x_token_may_change_administrators_and_owners(sandbox):
    """No requireAPIReAuth before 4.14.7."""
    uid = plain_uid(sandbox)
    r = call(sandbox, "PUT", f"/api/v3/groups/administrators/membership/{uid}")
    assert r.status_code == 200 and uid in sandbox.app.state.groups["administrators"]["members"]
    r = call(sandbox, "PUT", f"/api/v3/groups/gardeners/ownership/{uid}")
    assert r.status_code == 200 and uid in sandbox.app.state.groups["Gardeners"]["owners"]


def test_a_3x_acp_list_has_no_muted_filter_and_no_mute_state(sandbox):
    """Before 4.12 `filters=muted` is no filter: the whole list, rows without mutedUntil."""
    uid = plain_uid(sandbox)
    call(sandbox, "PUT", f"/api/v3/users/{uid}/mute", json={"until": in_a_week()})
    page = call(sandbox, "GET", "/api/admin/manage/users",
                params={"filters": "muted", "resultsPerPage": 100}).json()  # fmt: skip
    assert len(page["users"]) == len(sandbox.app.state.users)
    assert not any("mutedUntil" in row or "muted" in row for row in page["users"])


def test_3x_tag_objects_carry_value_escaped(sandbox):
    r = call(sandbox, "PUT", "/api/v3/topics/3/tags", json={"tags": ["release"]})
    assert r.json()["response"] == [
        {"value": "release", "valueEscaped": "release", "valueEncoded": "release",
         "class": "release"}
    ]  # fmt: skip


def test_the_registry_names_every_release_the_sandbox_plays():
    assert set(SANDBOXES["nodebb"].releases) == set(RELEASES)
    assert release_named("3.12.7").name == "3.12"
    with pytest.raises(ValueError, match="3.12"):
        release_named("2.8")


def test_manage_py_sandbox_starts_the_release_asked_for(monkeypatch):
    started = []

    class Fake:
        url = "http://127.0.0.1:1"

        def __init__(self, app, **kwargs):
            started.append(app)

        def start(self):
            return self

        def stop(self):
            pass

    def stop_at_once(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr("forums.management.commands.sandbox.RunningSandbox", Fake)
    monkeypatch.setattr("forums.management.commands.sandbox.time.sleep", stop_at_once)
    call_command("sandbox", "nodebb", "--release", "3.12", "--users", "5")
    assert started[0].config.release == "3.12" and started[0].config.version == "3.12.7"
    with pytest.raises(CommandError, match="plays 4.15, 3.12"):
        call_command("sandbox", "nodebb", "--release", "2.8", "--users", "5")
