"""Lifting a penalty in bulk: the audit log and the person page name it in the forum's own
words (Unban, Unmute, Unsuspend), and a lift whose answer was lost is found applied on retry
and audited, never reported as "skipped: not suspended"."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from forums.bulk import engine
from forums.clients import get_client
from forums.clients.records import Penalty
from forums.models import AuditEntry, BulkAction, ForumPace
from tests.bulk.helpers import approve, propose_and_plan, usernames

pytestmark = pytest.mark.django_db

LOST = "found applied on retry (the forum's first answer was lost)"


def penalised(connection, names_ids: list[tuple[str, int]], penalty: Penalty) -> None:
    """Put ``penalty`` on each person through the forum's own API."""
    with get_client(connection) as client:
        for _, user_id in names_ids:
            client.penalise(
                kind=penalty,
                user_id=user_id,
                until=timezone.now() + timedelta(days=30),
                reason="spam wave",
            )


def nodebb_people(app, count: int, prefix: str) -> list[tuple[str, int]]:
    return [
        (f"{prefix}{n}", app.add_person(username=f"{prefix}{n}", email=f"{prefix}{n}@example.org"))
        for n in range(count)
    ]


def discourse_people(sandbox, count: int) -> list[tuple[str, int]]:
    by_name = {u["username"]: u["id"] for u in sandbox.app.users.values()}
    return [(name, by_name[name]) for name in usernames(sandbox, count)]


def run_lift(moderator, approver, connection, kind: str, names: list[str]) -> BulkAction:
    action = propose_and_plan(proposer=moderator, connection=connection, kind=kind, targets=names)
    assert action.plan["planned"] == len(names), action.plan
    approve(action, approver)
    for _ in range(5):
        if engine.run_action(action.pk).again_in is None:
            break
        ForumPace.objects.update(next_slot=0)
    action.refresh_from_db()
    assert action.state == BulkAction.State.SUCCEEDED, action.last_error
    return action


def page_text(client, url: str) -> str:
    """The page's words, without the audit filter's list of every action."""
    response = client.get(url)
    assert response.status_code == 200
    body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode()
    return html.unescape(re.sub(r"<select.*?</select>", "", body, flags=re.S))


@pytest.mark.parametrize(
    ("kind", "penalty", "label", "done", "wrong"),
    [
        ("unsuspend", Penalty.SUSPEND, "Bulk: Unban", "unbanned", "Suspend/ban"),
        ("unsilence", Penalty.SILENCE, "Bulk: Unmute", "unmuted", "Silence/mute"),
    ],
)
def test_a_nodebb_unban_and_unmute_say_so_in_the_audit_log_and_on_the_person_page(
    moderator, approver, viewer_client, nodebb_connection, nodebb_sandbox,
    kind, penalty, label, done, wrong,
):  # fmt: skip
    people = nodebb_people(nodebb_sandbox.app, 2, f"lift{kind}")
    penalised(nodebb_connection, people, penalty)
    action = run_lift(moderator, approver, nodebb_connection, kind, [n for n, _ in people])
    entries = AuditEntry.objects.filter(bulk_action=action, action=f"bulk.{kind}")
    assert sorted(e.target for e in entries) == sorted(n for n, _ in people)
    assert all(e.message.startswith(f"{done} by bulk action") for e in entries)
    log = page_text(viewer_client, reverse("forums:audit-list"))
    person = page_text(
        viewer_client, reverse("forums:person-detail", args=[nodebb_connection.pk, people[0][1]])
    )
    overview = page_text(viewer_client, reverse("overview") + "?fleet=1")
    for text in (log, person, overview):
        assert label in text
        assert wrong not in text


def test_a_discourse_unsuspend_says_unsuspend(
    moderator, approver, viewer_client, discourse_connection, discourse_sandbox
):
    people = discourse_people(discourse_sandbox, 2)
    penalised(discourse_connection, people, Penalty.SUSPEND)
    action = run_lift(
        moderator, approver, discourse_connection, "unsuspend", [n for n, _ in people]
    )
    entry = AuditEntry.objects.filter(bulk_action=action, action="bulk.unsuspend").first()
    assert entry is not None and entry.message.startswith("unsuspended by bulk action")
    for url in (
        reverse("forums:audit-list"),
        reverse("forums:person-detail", args=[discourse_connection.pk, people[0][1]]),
    ):
        text = page_text(viewer_client, url)
        assert "Bulk: Unsuspend" in text
        assert "Bulk: Suspend" not in text


@pytest.mark.parametrize(
    ("platform_fixture", "kind", "penalty"),
    [
        ("discourse", "unsuspend", Penalty.SUSPEND),
        ("discourse", "unsilence", Penalty.SILENCE),
        ("nodebb", "unsuspend", Penalty.SUSPEND),
        ("nodebb", "unsilence", Penalty.SILENCE),
    ],
)
def test_lifts_whose_answers_were_lost_are_done_and_audited(
    request, moderator, approver, platform_fixture, kind, penalty
):
    if platform_fixture == "discourse":
        sandbox = request.getfixturevalue("discourse_sandbox")
        connection = request.getfixturevalue("discourse_connection")
        people = discourse_people(sandbox, 4)
    else:
        sandbox = request.getfixturevalue("nodebb_sandbox")
        connection = request.getfixturevalue("nodebb_connection")
        people = nodebb_people(sandbox.app, 4, f"lost{kind}")
    penalised(connection, people, penalty)
    names = [n for n, _ in people]
    action = propose_and_plan(proposer=moderator, connection=connection, kind=kind, targets=names)
    assert action.plan["planned"] == 4, action.plan
    approve(action, approver)
    # The forum lifts all four, and every answer is lost on the way back (a 502 each time).
    sandbox.app.config.faults.lost_answers = 4
    for _ in range(12):
        if engine.run_action(action.pk).again_in is None:
            break
        ForumPace.objects.update(next_slot=0)  # skip the backoff's wait
    action.refresh_from_db()
    assert sandbox.app.config.faults.lost_answers == 0  # four lifts reached the forum
    assert action.state == BulkAction.State.SUCCEEDED, action.last_error
    items = list(action.items.filter(planned=True))
    assert {(i.state, i.error) for i in items} == {("done", LOST)}
    entries = AuditEntry.objects.filter(
        bulk_action=action, action=f"bulk.{kind}", outcome=AuditEntry.Outcome.SUCCESS
    )
    assert sorted(e.target for e in entries) == sorted(names)
    assert all(LOST in e.message and e.actor == approver for e in entries)


def test_a_removal_from_a_group_whose_answer_was_lost_is_done_and_audited(
    moderator, approver, discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    group = next(g for g in app.groups.values() if g["name"] == "translators")
    names = [app.users[uid]["username"] for uid in sorted(group["members"])[:3]]
    action = propose_and_plan(proposer=moderator, connection=discourse_connection,
                              kind="group_remove", targets=names,
                              params={"group": "translators"})  # fmt: skip
    assert action.plan["planned"] == 3, action.plan
    approve(action, approver)
    app.config.faults.lost_answers = 1  # the forum removes all three; the answer is lost
    assert engine.run_action(action.pk).again_in is not None
    ForumPace.objects.update(next_slot=0)
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == BulkAction.State.SUCCEEDED, action.last_error
    assert set(action.items.values_list("state", "error")) == {("done", LOST)}
    entries = AuditEntry.objects.filter(bulk_action=action, action="bulk.group_remove")
    assert sorted(e.target for e in entries) == sorted(names)
