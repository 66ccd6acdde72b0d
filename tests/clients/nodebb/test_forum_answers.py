"""The NodeBB client against the sandbox NodeBB: what a real NodeBB 4.15.1 answers
(ENDPOINTS.md "call by call")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from forums.clients.errors import (
    ForumUnauthorized,
)
from forums.clients.records import Penalty

from .helpers import (  # noqa: F401 - the config of this module's sandbox
    MASTER,
    MASTER_CONFIG,
    SANDBOX_CONFIG,
    TOKEN,
    _fresh,
    make_client,
    plain_uid,
)


# --- what a real NodeBB 4.15.1 answers (ENDPOINTS.md "call by call") ------------------------
def test_unban_and_unmute_without_a_reason_send_an_empty_json_body(client, sandbox):
    # The sandbox, like NodeBB 4.15.1, refuses a body-less DELETE (400 "Cannot read properties
    # of undefined (reading 'reason')") and the user stays banned: the client sends `{}`.
    uid = plain_uid(sandbox)
    state = sandbox.app.state.users[uid]
    client.penalise(kind=Penalty.SUSPEND, user_id=uid, until=None, reason="spam")
    client.penalise(kind=Penalty.SILENCE, user_id=uid,
                    until=datetime.now(UTC) + timedelta(days=1), reason="heat")  # fmt: skip
    sandbox.app.calls.clear()
    client.lift(kind=Penalty.SUSPEND, user_id=uid)
    client.lift(kind=Penalty.SILENCE, user_id=uid, reason="Calmer now")
    sent = [(r.method, r.path, r.body, r.status) for r in sandbox.app.calls.records()]
    assert sent == [
        ("DELETE", f"/api/v3/users/{uid}/ban", {}, 200),
        ("DELETE", f"/api/v3/users/{uid}/mute", {"reason": "Calmer now"}, 200),
    ]
    assert not state["banned"] and not state["mutedUntil"]
    user = client.get_user(user_id=uid)
    assert not user.suspended and not user.silenced


def test_a_body_less_unban_is_what_the_sandbox_refuses(sandbox):
    # The rule the test above depends on, seen from outside the client: without a body or a
    # ?reason= the forum answers 400 and the ban stays.
    import requests

    uid = plain_uid(sandbox)
    sandbox.app.state.users[uid]["banned"] = True
    answer = requests.delete(
        f"{sandbox.url}/api/v3/users/{uid}/ban",
        headers={"Authorization": f"Bearer {TOKEN}", "User-Agent": "Forumdeck-test"},
        timeout=5,
    )
    assert answer.status_code == 400 and "reading 'reason'" in answer.text
    assert sandbox.app.state.users[uid]["banned"]


def test_moderation_history_shows_an_unban_as_an_unban(client, sandbox):
    uid = plain_uid(sandbox)
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    client.penalise(kind=Penalty.SUSPEND, user_id=uid, until=until, reason="Spam links")
    client.lift(kind=Penalty.SUSPEND, user_id=uid, reason="Appeal accepted")
    client.penalise(kind=Penalty.SILENCE, user_id=uid, until=until, reason="Heated")
    client.lift(kind=Penalty.SILENCE, user_id=uid)
    history = client.user_details(user_id=uid).history
    newest = {(e.kind, e.lifted): e for e in reversed(history)}
    unban = newest[(Penalty.SUSPEND, True)]
    ban = newest[(Penalty.SUSPEND, False)]
    # NodeBB records an unban as an entry of its own with "expire": null; read without its
    # `type` it was a permanent ban.
    assert unban.until is None and unban.reason == "Appeal accepted" and unban.by == "admin"
    assert ban.until == until and ban.reason == "Spam links"
    assert newest[(Penalty.SILENCE, True)].until is None
    assert newest[(Penalty.SILENCE, False)].until == until
    # `timestamp` is a string of milliseconds: parsed, and in order (newest first)
    assert all(e.at is not None and e.at.tzinfo is not None for e in history)
    assert [e.at for e in history] == sorted((e.at for e in history), reverse=True)
    assert not client.get_user(user_id=uid).suspended


def test_a_banned_users_reason_is_the_ban_in_force_not_an_earlier_unban(client, sandbox):
    uid = plain_uid(sandbox)
    client.penalise(kind=Penalty.SUSPEND, user_id=uid, until=None, reason="First time")
    client.lift(kind=Penalty.SUSPEND, user_id=uid, reason="Forgiven")
    client.penalise(kind=Penalty.SUSPEND, user_id=uid, until=None, reason="Second time")
    assert client.get_user(user_id=uid).suspend_reason == "Second time"


def test_health_check_judges_the_token_by_api_self_not_api_config(sandbox):
    # /api/config answers a bad token with the guest config (200); /api/self answers 401 with
    # the bare string "not-authorized".
    report = make_client(sandbox, token="no-such-token").health_check()
    assert report.reachable and report.credentials_ok is False and report.error_kind == "auth"
    assert "refused the API token" in report.error
    assert report.title == "Sandbox NodeBB"  # the guest config still said which forum it is
    self_calls = [r for r in sandbox.app.calls.records() if r.path == "/api/self"]
    assert [r.status for r in self_calls] == [401]


def test_a_master_token_used_without_a_uid_is_explained(master_sandbox):
    # Sent as a user token, NodeBB answers the read API with a 500 error page carrying
    # [[error:api.master-token-no-uid]]: the report says what to change, without brackets.
    report = make_client(master_sandbox, token=MASTER, uid="", master=False).health_check()
    assert report.reachable and report.credentials_ok is False and report.error_kind == "auth"
    assert "master token" in report.error and "uid" in report.error and "[[" not in report.error
    # Marked as a master token but without a uid: refused before anything is sent.
    master_sandbox.app.calls.clear()
    no_uid = make_client(master_sandbox, token=MASTER, uid="", master=True)
    assert "uid" in no_uid.health_check().error
    with pytest.raises(ForumUnauthorized, match="uid"):
        no_uid.get_user(user_id=1)
    assert master_sandbox.app.calls.records() == []


def test_untranslated_language_keys_become_plain_words():
    from forums.clients.nodebb.base import language_key, plain_words

    known = plain_words("[[error:cant-delete-other-admins]]")
    assert known.startswith("NodeBB does not let anyone delete an administrator")
    assert plain_words("[[error:some-new-thing]]") == "Some new thing"
    assert plain_words("[[error:user-too-new, 10]]") == "User too new (10)"
    assert plain_words("Failed: [[error:no-user]]") == "Failed: NodeBB has no such user."
    assert plain_words("You can't ban other admins!") == "You can't ban other admins!"
    assert language_key("[[error:cant-delete-other-admins]]") == "cant-delete-other-admins"
    assert language_key("Invalid User ID") == ""


def test_membership_of_administrators_is_refused_before_anything_is_sent(client, sandbox):
    group = client.get_group(key="administrators")
    refusal = client.membership_refusal(group=group)
    assert "not possible with an API token" in refusal
    assert client.membership_refusal(group=client.get_group(key="translators")) == ""
