"""forums/people (actions, services) against the Discourse and NodeBB sandboxes: what a
moderator sees."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from forums.clients import get_client
from forums.clients.discourse import DiscourseClient
from forums.clients.errors import ForumForbidden, ForumNotFound
from forums.clients.nodebb import NodeBBClient
from forums.clients.records import Capability, Penalty
from forums.crypto import reveal
from forums.models import AuditEntry
from forums.people.actions import actions_for, find_action
from forums.people.services import user_moderate
from forums.web.durations import parse_until

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


class Forum:
    """One sandbox forum with a connection and a fresh person on it."""

    def __init__(self, platform, sandbox, connection):
        self.platform = platform
        self.app = sandbox.app
        self.connection = connection
        self.uid = self.app.add_person(username="maria", email="maria.lopez@example.org",
                                       name="Maria Lopez")  # fmt: skip
        self.app.calls.clear()

    def client(self):
        return get_client(self.connection)

    def exists(self, uid=None) -> bool:
        uid = self.uid if uid is None else uid
        users = self.app.users if self.platform == "discourse" else self.app.state.users
        return uid in users

    def sent(self) -> list:
        return self.app.calls.records()

    def moderate(self, actor, action, data=None, uid=None):
        return user_moderate(actor=actor, connection=self.connection,
                             user_id=self.uid if uid is None else uid, action=action,
                             data={"username": "maria", **(data or {})})  # fmt: skip


@pytest.fixture
def discourse(discourse_sandbox, discourse_connection):
    return Forum("discourse", discourse_sandbox, discourse_connection)


@pytest.fixture
def nodebb(nodebb_sandbox, nodebb_connection):
    return Forum("nodebb", nodebb_sandbox, nodebb_connection)


@pytest.fixture(params=["discourse", "nodebb"])
def forum(request):
    return request.getfixturevalue(request.param)


def entries(action: str | None = None):
    # What was sent to forums (the accounts the fixtures create are audited too).
    qs = AuditEntry.objects.exclude(action__startswith="account.").order_by("id")
    return list(qs.filter(action=action) if action else qs)


# --- parse_until ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("7 days", timedelta(days=7)),
        ("7d", timedelta(days=7)),
        ("  7   Days ", timedelta(days=7)),
        ("2 weeks", timedelta(weeks=2)),
        ("12 hours", timedelta(hours=12)),
        ("12h", timedelta(hours=12)),
        ("90 minutes", timedelta(minutes=90)),
        ("1 month", timedelta(days=30)),
        ("1 year", timedelta(days=365)),
    ],
)
def test_parse_until_durations(text, delta):
    assert parse_until(text, now=NOW) == NOW + delta


@pytest.mark.parametrize("text", ["permanent", "Forever", " FOREVER "])
def test_parse_until_permanent_is_none(text):
    assert parse_until(text, now=NOW) is None


def test_parse_until_dates_in_the_browsers_time_zone():
    with timezone.override("Europe/Berlin"):
        # what <input type="datetime-local"> sends: no zone, so Berlin time (UTC+2 in summer)
        assert parse_until("2030-07-01T10:00", now=NOW) == datetime(2030, 7, 1, 8, 0, tzinfo=UTC)
        assert parse_until("2030-07-01", now=NOW) == datetime(2030, 6, 30, 22, 0, tzinfo=UTC)
    assert parse_until("2030-07-01T10:00:00Z", now=NOW) == datetime(2030, 7, 1, 10, tzinfo=UTC)
    assert parse_until("2030-07-01T10:00+02:00", now=NOW) == datetime(2030, 7, 1, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["1 Jul 2030 10:00", "1 July 2030 10:00", "Jul 1, 2030 10:00", "July 1 2030 10:00",
     "01.07.2030 10:00", "2030-07-01 10:00"],
)  # fmt: skip
def test_parse_until_reads_dates_as_people_write_them(text):
    with timezone.override("Europe/Berlin"):
        assert parse_until(text, now=NOW) == datetime(2030, 7, 1, 8, 0, tzinfo=UTC)


def test_parse_until_refuses_a_date_that_reads_two_ways():
    with pytest.raises(ValidationError) as exc:
        parse_until("03/04/2031", now=NOW)
    assert "two different dates" in exc.value.messages[0] and "31 Dec 2026" in exc.value.messages[0]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("7 dayz", "not a duration"),
        ("soonish", "neither a date nor a duration"),
        ("", "until when"),
        ("2030-05-01", "in the past"),
        ("2030-06-01T11:59", "in the past"),
        ("0 days", "longer than zero"),
        ("999999 years", "too far"),
    ],
)
def test_parse_until_refuses_with_a_clear_message(text, words):
    with pytest.raises(ValidationError) as exc:
        parse_until(text, now=NOW)
    assert words in exc.value.messages[0]


# --- what is offered -------------------------------------------------------------------------
def test_actions_for_offers_each_platform_its_own_words(discourse, nodebb):
    on_discourse = {a.key: a.label for a in actions_for(discourse.client())}
    on_nodebb = {a.key: a.label for a in actions_for(nodebb.client())}
    assert list(on_discourse) == [
        "suspend", "unsuspend", "silence", "unsilence", "log_out", "trust_level", "approve",
        "activate", "deactivate", "anonymize", "delete",
    ]  # fmt: skip
    assert on_discourse["suspend"] == "Suspend" and on_discourse["silence"] == "Silence"
    assert list(on_nodebb) == [
        "ban", "unban", "mute", "unmute", "delete_account", "delete_content", "delete_both",
    ]  # fmt: skip
    assert on_nodebb["ban"] == "Ban" and on_nodebb["mute"] == "Mute"
    assert on_nodebb["unban"] == "Unban" and on_nodebb["unmute"] == "Unmute"
    every = actions_for(DiscourseClient) + actions_for(NodeBBClient)
    destructive = {a.key for a in every if a.destructive}
    assert destructive == {"anonymize", "delete", "delete_account", "delete_content",
                           "delete_both"}  # fmt: skip


def test_forms_ask_only_what_the_forum_needs(discourse, nodebb):
    d, n = DiscourseClient, NodeBBClient

    def form(cls, key):
        return find_action(cls, key).form(client_cls=cls)

    suspend = form(d, "suspend")
    assert {"until", "reason", "message"} <= set(suspend.fields)
    assert suspend.fields["reason"].required and suspend.fields["reason"].max_length == 300
    ban = form(n, "ban")
    assert "message" not in ban.fields
    assert not ban.fields["reason"].required and not ban.fields["until"].required
    assert form(n, "mute").fields["until"].required
    assert {"delete_posts", "block_email", "block_ip", "confirm"} <= set(form(d, "delete").fields)
    assert "confirm" in form(n, "delete_both").fields

    class NoBlockDiscourse(DiscourseClient):
        capabilities = DiscourseClient.capabilities - {Capability.USER_DELETE_BLOCK}

    fields = set(form(NoBlockDiscourse, "delete").fields)
    assert "delete_posts" in fields and not fields & {"block_email", "block_ip"}


# --- Discourse: every action shows -----------------------------------------------------------
def test_discourse_suspend_and_unsuspend(discourse, moderator):
    outcome = discourse.moderate(
        moderator,
        "suspend",
        {"until": "7 days", "reason": "Spam links", "message": "Please read the guidelines."},
    )
    state = discourse.app.users[discourse.uid]
    assert outcome.ok and "maria is suspended until" in outcome.message
    assert outcome.user.suspended and outcome.user.suspend_reason == "Spam links"
    left = state["suspended_till"] - datetime.now(UTC)
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)
    body = next(r.body for r in discourse.sent() if r.path.endswith("/suspend.json"))
    assert body["message"] == "Please read the guidelines."

    outcome = discourse.moderate(moderator, "unsuspend")
    assert outcome.ok and not outcome.user.suspended
    assert discourse.app.users[discourse.uid]["suspended_till"] is None

    audit = entries("user.suspend")[0]
    assert audit.outcome == AuditEntry.Outcome.SUCCESS and audit.target == "maria"
    assert audit.actor == moderator and audit.connection_id == discourse.connection.pk
    assert audit.details["user_id"] == discourse.uid and audit.details["reason"] == "Spam links"
    assert entries("user.unsuspend")[0].outcome == AuditEntry.Outcome.SUCCESS


def test_discourse_forever_uses_discourses_own_far_future(discourse, moderator):
    outcome = discourse.moderate(moderator, "suspend", {"until": "forever", "reason": "Troll"})
    assert outcome.ok and "permanently" in outcome.message
    till = discourse.app.users[discourse.uid]["suspended_till"]
    assert till.year >= datetime.now(UTC).year + 999
    assert entries("user.suspend")[0].details["until"] == "permanent"


def test_discourse_silence_and_unsilence(discourse, moderator):
    outcome = discourse.moderate(moderator, "silence", {"until": "2 weeks", "reason": "Heated"})
    assert outcome.ok and outcome.user.silenced
    assert discourse.app.silenced(discourse.app.users[discourse.uid])
    outcome = discourse.moderate(moderator, "unsilence")
    assert outcome.ok and not outcome.user.silenced


def test_discourse_trust_level_activation_approval_log_out(discourse, moderator):
    state = discourse.app.users[discourse.uid]
    outcome = discourse.moderate(moderator, "trust_level", {"level": "3"})
    assert outcome.ok and outcome.user.trust_level == 3 and state["trust_level"] == 3

    outcome = discourse.moderate(moderator, "deactivate")
    assert outcome.ok and outcome.user.active is False and state["active"] is False
    outcome = discourse.moderate(moderator, "activate")
    assert outcome.ok and outcome.user.active is True and state["active"] is True

    state["approved"] = False
    assert discourse.moderate(moderator, "approve").ok and state["approved"] is True

    outcome = discourse.moderate(moderator, "log_out")
    assert outcome.ok and "logged out" in outcome.message
    assert discourse.app.calls.count("POST", f"/admin/users/{discourse.uid}/log_out.json") == 1


def test_discourse_anonymize_needs_the_exact_username(discourse, moderator):
    outcome = discourse.moderate(moderator, "anonymize", {"confirm": "maria"})
    assert outcome.ok and outcome.user.username.startswith("anon")
    assert discourse.app.users[discourse.uid]["username"] == outcome.user.username
    assert entries("user.anonymize")[0].target == "maria"


def test_discourse_delete_with_posts_and_blocks(discourse, moderator):
    outcome = discourse.moderate(
        moderator,
        "delete",
        {"confirm": "maria", "delete_posts": "on", "block_email": "on", "block_ip": "on"},
    )
    assert outcome.ok and outcome.user is None and not discourse.exists()
    assert "deleted with their posts" in outcome.message
    body = next(r.body for r in discourse.sent() if r.method == "DELETE")
    assert body == {"delete_posts": True, "block_email": True, "block_ip": True}
    details = entries("user.delete")[0].details
    assert details["block_email"] is True and details["user_id"] == discourse.uid


def test_discourse_delete_without_posts_is_refused_for_a_poster(discourse, moderator):
    discourse.app.users[discourse.uid]["post_count"] = 4
    outcome = discourse.moderate(moderator, "delete", {"confirm": "maria"})
    assert not outcome.ok and "has 4 posts" in outcome.message and discourse.exists()
    audit = entries("user.delete")[0]
    assert audit.outcome == AuditEntry.Outcome.FAILURE and "has 4 posts" in audit.message


# --- NodeBB: every action shows ---------------------------------------------------------------
def test_nodebb_ban_permanent_and_timed_then_unban(nodebb, moderator):
    outcome = nodebb.moderate(moderator, "ban", {"until": "", "reason": "Ban evasion"})
    user = nodebb.app.state.users[nodebb.uid]
    assert outcome.ok and "maria is banned permanently" in outcome.message
    assert outcome.user.suspended and outcome.user.suspended_until is None
    assert user["banned"] and user["banned_expire"] == 0

    assert nodebb.moderate(moderator, "unban").ok and not user["banned"]
    outcome = nodebb.moderate(moderator, "ban", {"until": "3 days"})
    assert outcome.ok and outcome.user.suspended_until is not None
    assert outcome.user.suspended_until - datetime.now(UTC) > timedelta(days=2, hours=23)
    outcome = nodebb.moderate(moderator, "unban")
    assert outcome.ok and not outcome.user.suspended


def test_nodebb_mute_needs_an_end_then_unmute(nodebb, moderator):
    outcome = nodebb.moderate(moderator, "mute", {"until": "12 hours", "reason": "Cool off"})
    assert outcome.ok and outcome.user.silenced and outcome.user.silence_reason == "Cool off"
    assert nodebb.app.state.users[nodebb.uid]["mutedUntil"] > datetime.now(UTC).timestamp() * 1000
    outcome = nodebb.moderate(moderator, "unmute")
    assert outcome.ok and not outcome.user.silenced
    with pytest.raises(ValidationError) as exc:
        nodebb.moderate(moderator, "mute", {"until": "forever"})
    assert "needs an end time" in str(exc.value.message_dict["until"])


def _give_topic(forum) -> int:
    tid = min(forum.app.state.topics)
    forum.app.state.topics[tid]["uid"] = forum.uid
    forum.app.state.users[forum.uid]["postcount"] = 1
    return tid


def test_nodebb_delete_content_keeps_the_account(nodebb, moderator):
    tid = _give_topic(nodebb)
    outcome = nodebb.moderate(moderator, "delete_content", {"confirm": "maria"})
    assert outcome.ok and outcome.user is not None and outcome.user.post_count == 0
    assert nodebb.exists() and tid not in nodebb.app.state.topics


def test_nodebb_delete_account_keeps_the_posts(nodebb, moderator):
    tid = _give_topic(nodebb)
    outcome = nodebb.moderate(moderator, "delete_account", {"confirm": "maria"})
    assert outcome.ok and outcome.user is None and "posts stay" in outcome.message
    assert not nodebb.exists() and tid in nodebb.app.state.topics
    assert nodebb.app.calls.count("DELETE", f"/api/v3/users/{nodebb.uid}/account") == 1


def test_nodebb_delete_both(nodebb, moderator):
    tid = _give_topic(nodebb)
    outcome = nodebb.moderate(moderator, "delete_both", {"confirm": "maria"})
    assert outcome.ok and not nodebb.exists() and tid not in nodebb.app.state.topics
    assert entries("user.delete_both")[0].outcome == AuditEntry.Outcome.SUCCESS


# --- the forum refusing ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("platform", "action", "words"),
    [
        ("discourse", "suspend", "You are not permitted"),
        ("nodebb", "ban", "You can't ban other admins!"),
    ],
)
def test_the_forum_refusing_is_reported_in_its_words_and_audited(
    request, moderator, platform, action, words
):
    forum = request.getfixturevalue(platform)
    outcome = user_moderate(actor=moderator, connection=forum.connection, user_id=1,
                            action=action, data={"until": "7 days", "reason": "Test"})  # fmt: skip
    assert outcome.ok is False and words in outcome.message
    assert outcome.user is not None and not outcome.user.suspended
    audit = entries(f"user.{action}")[0]
    assert audit.outcome == AuditEntry.Outcome.FAILURE and words in audit.message
    assert audit.target == "admin" and audit.details["user_id"] == 1
    stored = json.dumps(audit.details) + audit.message
    assert reveal(forum.connection.api_key) not in stored


# --- bad input is refused before anything is sent ---------------------------------------------
BAD_INPUT = [
    ("discourse", "suspend", {"until": "2020-01-01", "reason": "r"}, "until", "in the past"),
    ("discourse", "suspend", {"until": "7 dayz", "reason": "r"}, "until", "not a duration"),
    ("discourse", "suspend", {"until": "7 days", "reason": "x" * 301}, "reason", "at most 300"),
    ("discourse", "silence", {"until": "7 days"}, "reason", "required"),
    ("discourse", "trust_level", {"level": "7"}, "level", "not one of the available"),
    ("discourse", "delete", {"confirm": "Maria"}, "confirm", 'exactly as shown ("maria")'),
    ("discourse", "anonymize", {}, "confirm", "required"),
    ("nodebb", "ban", {"until": "2020-01-01T10:00"}, "until", "in the past"),
    ("nodebb", "mute", {"until": "7 dayz"}, "until", "not a duration"),
    ("nodebb", "ban", {"reason": "y" * 301}, "reason", "at most 300"),
    ("nodebb", "delete_both", {"confirm": "maria "}, "confirm", "exactly as shown"),
]


@pytest.mark.parametrize(("platform", "action", "data", "field", "words"), BAD_INPUT)
def test_bad_input_is_refused_before_any_call(request, moderator, platform, action, data,
                                              field, words):  # fmt: skip
    forum = request.getfixturevalue(platform)
    with pytest.raises(ValidationError) as exc:
        forum.moderate(moderator, action, data)
    assert words in " ".join(exc.value.message_dict[field])
    assert forum.sent() == [] and entries() == [] and forum.exists()


@pytest.mark.parametrize(
    ("platform", "action"),
    [("discourse", "ban"), ("discourse", "delete_content"), ("nodebb", "suspend"),
     ("nodebb", "trust_level"), ("nodebb", "anonymize"), ("nodebb", "no_such_action")],
)  # fmt: skip
def test_an_action_the_forum_does_not_offer_is_refused(request, moderator, platform, action):
    forum = request.getfixturevalue(platform)
    with pytest.raises(ValidationError) as exc:
        forum.moderate(moderator, action, {"until": "7 days", "reason": "r"})
    assert "does not offer" in exc.value.messages[0]
    assert forum.sent() == [] and entries() == []


# --- the account vanished in between ---------------------------------------------------------
def test_a_user_deleted_since_the_search_no_longer_exists(forum, moderator):
    found = forum.client().find_users(query="maria")
    assert [u.username for u in found] == ["maria"]
    if forum.platform == "discourse":
        forum.app._remove_user(forum.uid)
    else:
        forum.app._remove(forum.uid, account=True, content=True)
    action = "suspend" if forum.platform == "discourse" else "ban"
    outcome = forum.moderate(moderator, action, {"until": "7 days", "reason": "Spam"})
    assert outcome.ok is False and outcome.user is None
    assert outcome.message == f"maria no longer exists on {forum.connection.name}."
    assert entries() == []


def test_without_a_username_the_gone_user_is_named_by_id(discourse, moderator):
    outcome = user_moderate(actor=moderator, connection=discourse.connection, user_id=98765,
                            action="log_out", data={})  # fmt: skip
    assert not outcome.ok and outcome.message == "#98765 no longer exists on Sandbox Discourse."


def test_a_renamed_account_is_not_deleted_on_an_old_confirmation(discourse, moderator):
    discourse.app.users[discourse.uid]["username"] = "maria_new"
    outcome = discourse.moderate(moderator, "delete", {"confirm": "maria"})
    assert not outcome.ok and "now called maria_new" in outcome.message
    assert discourse.exists() and entries() == []


# --- finding people --------------------------------------------------------------------------
def test_discourse_find_users_by_status(discourse, moderator):
    client = discourse.client()
    found = client.find_users(query="maria.lopez@")
    assert [(u.username, u.email) for u in found] == [("maria", "maria.lopez@example.org")]
    assert "show_emails=true" in discourse.sent()[-1].query

    since = datetime.now(UTC) - timedelta(days=30)  # before the client's own cutoff
    new = client.find_users(status="new")
    # Joined in the last 30 days (maria was just added), whatever the trust level.
    assert "maria" in {u.username for u in new} and all(u.created_at >= since for u in new)
    staff = client.find_users(status="staff")
    assert staff and all(u.staff for u in staff) and "admin" in {u.username for u in staff}

    assert client.find_users(status="suspended", query="maria") == []
    discourse.moderate(moderator, "suspend", {"until": "1 day", "reason": "r"})
    discourse.moderate(moderator, "silence", {"until": "1 day", "reason": "r"})
    for status in ("suspended", "silenced"):
        listed = client.find_users(status=status)
        assert "maria" in {u.username for u in listed}
        assert all(u.suspended if status == "suspended" else u.silenced for u in listed)
    assert len(client.find_users(limit=7)) == 7
    with pytest.raises(ValueError):
        client.find_users(status="banned")


def test_nodebb_find_users_by_status(nodebb, moderator):
    client = nodebb.client()
    assert [u.username for u in client.find_users(query="mari")] == ["maria"]
    found = client.find_users(query="maria.lopez@example")
    assert [(u.username, u.email) for u in found] == [("maria", "maria.lopez@example.org")]

    # the seeded users all joined more than 30 days ago; maria joined just now
    assert [u.username for u in client.find_users(status="new")] == ["maria"]
    staff = {u.username: u for u in client.find_users(status="staff")}
    assert set(staff) == {"admin", "moderator"}
    assert staff["admin"].admin and staff["moderator"].moderator and staff["admin"].email

    nodebb.moderate(moderator, "ban", {"reason": "r"})
    assert "maria" in {u.username for u in client.find_users(status="suspended")}
    assert all(u.suspended for u in client.find_users(status="suspended"))
    nodebb.moderate(moderator, "mute", {"until": "1 day"})
    assert "maria" in {u.username for u in client.find_users(status="silenced")}
    with pytest.raises(ValueError):
        client.find_users(status="muted")


def test_nodebb_email_search_with_a_non_admin_token_says_why(nodebb):
    member = NodeBBClient(base_url=nodebb.connection.base_url, api_key="member-token",
                          api_username="20", allow_http_hosts=["127.0.0.1"])  # fmt: skip
    with pytest.raises(ForumForbidden) as exc:
        member.find_users(query="maria.lopez@example.org")
    assert "may not see e-mail addresses" in str(exc.value)


# --- one person's details --------------------------------------------------------------------
def test_discourse_details_show_groups_and_the_penalty_in_force(discourse, moderator):
    group = next(g for g in discourse.app.groups.values() if not g["automatic"])
    group["members"][discourse.uid] = datetime.now(UTC)
    discourse.moderate(moderator, "suspend", {"until": "3 days", "reason": "Spam"})
    details = discourse.client().user_details(user_id=discourse.uid)
    assert details.user.username == "maria" and group["name"] in details.groups
    assert details.history_offered is False
    [event] = details.history
    assert (event.kind, event.reason, event.by) == (Penalty.SUSPEND, "Spam", "system")
    assert event.until == details.user.suspended_until and event.at is not None
    with pytest.raises(ForumNotFound):
        discourse.client().user_details(user_id=98765)


def test_nodebb_details_show_groups_and_the_whole_history(nodebb, moderator):
    nodebb.app.state.groups["Translators"]["members"].append(nodebb.uid)
    nodebb.moderate(moderator, "ban", {"until": "2 days", "reason": "Spam"})
    nodebb.moderate(moderator, "unban")
    nodebb.moderate(moderator, "mute", {"until": "1 day", "reason": "Cool off"})
    details = nodebb.client().user_details(user_id=nodebb.uid)
    assert details.history_offered is True
    assert {"Translators", "registered-users"} <= set(details.groups)
    kinds = {e.kind: e for e in details.history}
    assert set(kinds) == {Penalty.SUSPEND, Penalty.SILENCE}
    ban, mute = kinds[Penalty.SUSPEND], kinds[Penalty.SILENCE]
    assert ban.reason == "Spam" and ban.by == "admin"
    assert ban.until is not None and mute.reason == "Cool off"
    assert not details.user.suspended and details.user.silenced
    with pytest.raises(ForumNotFound):
        nodebb.client().user_details(user_id=98765)
