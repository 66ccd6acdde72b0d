"""Bulk actions without surprises (issue 14, findings 1, 6, 8, 9, 10, 11 and 12)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from forums.bulk import engine
from forums.bulk.services import BulkActionError
from forums.models import BulkAction
from tests.bulk.helpers import approve, planned_group_add, propose_and_plan, usernames

pytestmark = pytest.mark.django_db


def detail(client, action, **headers) -> str:
    return client.get(
        reverse("forums:bulk-detail", args=[action.pk]), headers=headers
    ).content.decode()


def members_already(sandbox, count: int, group: str = "translators") -> list[str]:
    found = next(g for g in sandbox.app.groups.values() if g["name"] == group)
    ids = sorted(found["members"])[:count]
    return [sandbox.app.users[i]["username"] for i in ids]


def test_a_plan_that_changes_nothing_can_only_be_closed(
    moderator, approver, approver_client, discourse_connection, discourse_sandbox
):
    action = propose_and_plan(
        proposer=moderator,
        connection=discourse_connection,
        kind="group_add",
        targets=[*members_already(discourse_sandbox, 1), "nobody_at_all"],
        params={"group": "translators"},
    )
    assert action.plan["planned"] == 0
    html = detail(approver_client, action)
    assert "Approve and run" not in html and "Nothing to approve" in html
    assert "Close this action" in html
    # 1 of each: singular verbs.
    assert "2 need no change or were not found" in html
    with pytest.raises(BulkActionError, match="changes nothing"):
        approve(action, approver)
    forged = approver_client.post(
        reverse("forums:bulk-approve", args=[action.pk]), {"plan_hash": action.plan_hash}
    )
    assert forged.status_code == 302
    action.refresh_from_db()
    assert action.state == BulkAction.State.PENDING_APPROVAL
    closed = approver_client.post(reverse("forums:bulk-cancel", args=[action.pk]), follow=True)
    assert "Closed: its plan changed nothing, so nothing was sent." in closed.content.decode()
    action.refresh_from_db()
    assert action.state == BulkAction.State.CANCELLED


def test_one_skipped_target_reads_in_the_singular(
    moderator, viewer_client, discourse_connection, discourse_sandbox
):
    action = propose_and_plan(
        proposer=moderator,
        connection=discourse_connection,
        kind="group_add",
        targets=[*usernames(discourse_sandbox, 2, not_in_group="translators"), "nobody_at_all"],
        params={"group": "translators"},
    )
    assert "1 needs no change or was not found" in detail(viewer_client, action)


def test_the_approval_lists_every_parameter_in_the_viewers_zone(
    moderator, approver_client, discourse_connection, discourse_sandbox
):
    action = propose_and_plan(
        proposer=moderator,
        connection=discourse_connection,
        kind="suspend",
        targets=usernames(discourse_sandbox, 2),
        params={
            "reason": "Spam wave",
            "until": "2031-01-15T12:00:00+00:00",
            "message": "Please read the rules.",
        },
    )
    approver_client.cookies["forumdeck_tz"] = "America/New_York"
    html = detail(approver_client, action)
    params = re.search(r'<section class="parameters".*?</section>', html, re.S).group(0)
    assert "Reason" in params and "Spam wave" in params
    assert "Message to the users" in params and "Please read the rules." in params
    assert "2031-01-15 07:00 EST" in params and "until 2031" not in params
    # The title is worded for this viewer too, never in the proposer's (or UTC) words.
    heading = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
    assert "2031-01-15 07:00 EST" in heading and "UTC" not in heading
    listing = approver_client.get(reverse("forums:bulk-list")).content.decode()
    assert "2031-01-15 07:00 EST" in listing


def test_reject_is_not_a_red_button_beside_cancel(
    moderator, approver_client, discourse_connection, discourse_sandbox
):
    from django.test import Client

    moderator_client = Client()
    moderator_client.force_login(moderator)
    action = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=2
    )
    html = detail(approver_client, action)
    assert "Approve and run" in html
    reject = re.search(r'<button type="submit" class="([^"]*)">Reject</button>', html).group(1)
    assert "deletelink" not in reject
    assert "Cancel this action" not in html  # the approver answers with Approve or Reject
    assert "Cancel this action" in detail(moderator_client, action)  # the proposer withdraws


def test_the_bulk_delete_confirmation_has_no_browser_pattern(
    moderator, approver_client, discourse_connection, discourse_sandbox
):
    action = propose_and_plan(
        proposer=moderator,
        connection=discourse_connection,
        kind="delete_users",
        targets=usernames(discourse_sandbox, 2),
    )
    html = detail(approver_client, action)
    field = re.search(r'<input id="confirm"[^>]*>', html).group(0)
    assert "pattern=" not in field and "required" not in field
    assert 'data-confirm-phrase="DELETE"' in field
    assert re.search(r"<button[^>]*data-needs-phrase[^>]*>Approve and run", html)
    assert "Block their IP and e-mail" in html  # every parameter, the block option too
    wrong = approver_client.post(
        reverse("forums:bulk-approve", args=[action.pk]),
        {"plan_hash": action.plan_hash, "confirm": "delete"},
        follow=True,
    )
    assert "Type DELETE to confirm" in wrong.content.decode()


def test_the_plan_table_refreshes_with_the_bar(
    moderator, approver, approver_client, discourse_connection, discourse_sandbox
):
    action = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=3
    )
    approve(action, approver)
    BulkAction.objects.filter(pk=action.pk).update(
        state=BulkAction.State.RUNNING, started_at=datetime.now(UTC)
    )
    first_two = list(action.items.filter(planned=True).order_by("id")[:2])
    for item in first_two:
        item.state = "done"
    engine._save(first_two, ["state"])  # as the run writes them, with the action's counts
    fragment = detail(
        approver_client, action, **{"HX-Request": "true", "HX-Target": "bulk-progress"}
    )
    assert "2 done" in fragment
    oob_table = r'<table class="plan-table[^"]*" id="plan-table" hx-swap-oob="true">.*?</table>'
    table = re.search(oob_table, fragment, re.S).group(0)
    done_cell = re.search(r'data-label="Done">(\d+)<', table).group(1)
    assert done_cell == "2"


def test_the_items_export_says_when_each_was_sent_and_what_the_forum_answered(
    moderator, approver, viewer_client, discourse_connection, discourse_sandbox
):
    action = propose_and_plan(
        proposer=moderator,
        connection=discourse_connection,
        kind="group_add",
        targets=[*usernames(discourse_sandbox, 2, not_in_group="translators"), "nobody_here"],
        params={"group": "translators"},
    )
    approve(action, approver)
    started = datetime.now(UTC)
    engine.run_action(action.pk)
    viewer_client.cookies["forumdeck_tz"] = "Europe/Berlin"
    response = viewer_client.get(reverse("forums:bulk-items-csv", args=[action.pk]))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    done = [r for r in rows if r["state"] == "done"]
    assert len(done) == 2
    for row in done:
        sent = datetime.fromisoformat(row["sent_at"])
        assert sent.utcoffset() is not None and sent.utcoffset().total_seconds() in (3600, 7200)
        assert sent >= started.replace(microsecond=0)
        assert row["forum_answer"] == "accepted (HTTP 200)"
    [skipped] = [r for r in rows if r["target"] == "nobody_here"]
    assert skipped["sent_at"] == "" and skipped["forum_answer"].startswith("not sent: not found")
    assert "updated_at" not in rows[0]  # it was the planning time for every row


def test_bulk_form_errors_sit_on_their_fields(moderator_client, discourse_connection):
    html = moderator_client.post(
        reverse("forums:bulk-create"),
        {"connections": [discourse_connection.pk], "kind": "suspend", "targets": "alice",
         "until": "soon"},
    ).content.decode()  # fmt: skip
    assert "Please correct the details below." in html
    assert "reason: This field is required." not in html
    reason_row = r'<div class="form-row errors">\s*<ul class="errorlist" id="id_reason_error">'
    assert re.search(reason_row, html)
    assert '"soon" is neither a date nor a duration' in html.replace("&quot;", '"')
    assert "e.g. 7 days, 2 weeks, 2026-12-31" in html  # the same examples as single actions
    assert not BulkAction.objects.exists()
