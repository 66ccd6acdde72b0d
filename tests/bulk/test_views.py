"""Bulk actions in the browser's terms: forms, fragments, permissions, export."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from html import escape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from forums.bulk import engine, selectors
from forums.bulk.services import BulkActionError, bulk_action_propose
from forums.models import BulkAction
from forums.roles import APPROVER, MODERATOR
from tests.bulk.helpers import approve, planned_group_add, propose_and_plan, usernames

pytestmark = pytest.mark.django_db


def propose_post(client, connection, **overrides):
    data = {
        "connections": [connection.pk],
        "kind": "group_add",
        "group": "translators",
        "targets": "alice\nbob",
    }
    data.update(overrides)
    return client.post(reverse("forums:bulk-create"), data)


def test_moderator_proposes_and_sees_the_plan_with_junk_line_numbers(
    moderator_client, discourse_connection, discourse_sandbox
):
    names = usernames(discourse_sandbox, 3, not_in_group="translators")
    pasted = "\n".join([names[0], "what is this?", *names[1:]])
    # As on a group's members form: the unreadable line stops the form, listed with its
    # number, and nothing is proposed until it is corrected or left out on purpose.
    stopped = propose_post(moderator_client, discourse_connection, targets=pasted)
    html = stopped.content.decode()
    assert stopped.status_code == 200 and not BulkAction.objects.exists()
    assert "1 line(s) cannot be read (listed below)" in html
    assert "line 2: <code>what is this?</code>" in html
    assert "Leave out the lines listed above and propose the rest" in html
    assert names[0] in html  # the paste is kept for correcting
    response = propose_post(
        moderator_client, discourse_connection, targets=pasted, accept_junk="on"
    )
    action = BulkAction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("forums:bulk-detail", args=[action.pk])
    reading = moderator_client.get(response["Location"]).content.decode()
    assert "Reading the list of targets" in reading and 'hx-trigger="every 1s"' in reading
    assert engine.parse_action_targets(action) is None  # the planning task's first step
    planning = moderator_client.get(response["Location"]).content.decode()
    assert "Looking up 3 targets" in planning and 'hx-trigger="every 1s"' in planning
    engine.plan_action(action.pk)
    html = moderator_client.get(response["Location"]).content.decode()
    assert "<strong>3</strong> will be changed" in html
    assert "line 2: <code>what is this?</code>" in html
    assert "Waiting for someone else to approve" in html
    assert "Approve and run" not in html


def test_parameters_are_checked_before_anything_is_created(moderator_client, discourse_connection):
    response = propose_post(
        moderator_client,
        discourse_connection,
        kind="suspend",
        reason="spam",
        until="2001-01-01T10:00",
    )
    assert "is in the past: choose a time in the future." in response.content.decode()
    response = propose_post(moderator_client, discourse_connection, targets="")
    assert "Paste targets or upload a CSV file." in response.content.decode()
    assert not BulkAction.objects.exists()


def test_csv_upload_with_junk_lines(moderator_client, discourse_connection):
    upload = SimpleUploadedFile(
        "people.csv", b"username,email\nalice,a@x.org\n,,\nbob smith,\n", content_type="text/csv"
    )
    propose_post(moderator_client, discourse_connection, targets="", csv_file=upload)
    action = BulkAction.objects.get()
    engine.plan_action(action.pk)
    action.refresh_from_db()
    assert action.plan["targets"] == 1
    assert action.plan["junk"] == [
        {
            "line": 4,
            "text": "bob smith",
            "reason": "usernames have no spaces (separate targets with commas or new lines)",
        }
    ]


def test_viewer_cannot_propose_and_approver_cannot_forge_for_themselves(
    viewer_client, client, make_user, discourse_connection, discourse_sandbox
):
    assert propose_post(viewer_client, discourse_connection).status_code == 403
    both = make_user("bea", MODERATOR, APPROVER)
    action = planned_group_add(
        proposer=both, connection=discourse_connection, sandbox=discourse_sandbox, count=2
    )
    client.force_login(both)
    page = client.get(reverse("forums:bulk-detail", args=[action.pk])).content.decode()
    assert "Approve and run" not in page
    forged = client.post(
        reverse("forums:bulk-approve", args=[action.pk]), {"plan_hash": action.plan_hash}
    )
    assert forged.status_code == 403
    action.refresh_from_db()
    assert action.state == BulkAction.State.PENDING_APPROVAL and action.approved_by is None


def test_approver_approves_and_watches_progress_until_polling_stops(
    moderator, approver_client, approver, discourse_connection, discourse_sandbox
):
    action = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=5
    )
    url = reverse("forums:bulk-detail", args=[action.pk])
    page = approver_client.get(url).content.decode()
    assert "Approve and run" in page and action.plan_hash in page
    assert '<span class="badge"' in page  # "waiting for your approval" in the navigation
    approver_client.post(
        reverse("forums:bulk-approve", args=[action.pk]), {"plan_hash": action.plan_hash}
    )
    action.refresh_from_db()
    assert action.state == BulkAction.State.QUEUED and action.approved_by == approver

    fragment = approver_client.get(
        url, headers={"HX-Request": "true", "HX-Target": "bulk-progress"}
    )
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert 'id="bulk-progress"' in html and "<html" not in html and "every 1s" in html
    engine.run_action(action.pk)
    done = approver_client.get(url, headers={"HX-Request": "true", "HX-Target": "bulk-progress"})
    assert done.status_code == 286  # htmx stops polling
    assert "100%" in done.content.decode() and "5 done" in done.content.decode()
    items = approver_client.get(
        url + "?item_state=done", headers={"HX-Request": "true", "HX-Target": "bulk-items"}
    )
    assert 'id="bulk-items"' in items.content.decode()
    assert "5 items" in items.content.decode()


def test_deleting_users_needs_a_typed_confirmation(
    moderator, approver_client, discourse_connection, discourse_sandbox
):
    action = propose_and_plan(
        proposer=moderator,
        connection=discourse_connection,
        kind="delete_users",
        targets=usernames(discourse_sandbox, 2),
    )
    page = approver_client.get(reverse("forums:bulk-detail", args=[action.pk])).content.decode()
    assert "Type <strong>DELETE</strong> to confirm" in page
    approver_client.post(
        reverse("forums:bulk-approve", args=[action.pk]),
        {"plan_hash": action.plan_hash, "confirm": "yes"},
    )
    action.refresh_from_db()
    assert action.state == BulkAction.State.PENDING_APPROVAL


def test_reject_with_reason_is_shown_to_everyone(
    moderator, moderator_client, approver, discourse_connection, discourse_sandbox, client
):
    action = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=2
    )
    client.force_login(approver)
    client.post(reverse("forums:bulk-reject", args=[action.pk]), {"reason": "Wrong group"})
    page = moderator_client.get(reverse("forums:bulk-detail", args=[action.pk])).content.decode()
    assert "Rejected" in page and "Wrong group" in page


def test_csv_export_lists_every_item_and_defuses_formulas(
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
    engine.run_action(action.pk)
    action.items.filter(target="nobody_here").update(error='=HYPERLINK("x")')
    first, second = action.items.filter(state="done").order_by("id")
    # A leading tab or carriage return makes some spreadsheets read a formula too.
    action.items.filter(pk=first.pk).update(forum_username="\t=cmd|'/C calc'!A0")
    action.items.filter(pk=second.pk).update(forum_username="\r@SUM(A1)")
    response = viewer_client.get(reverse("forums:bulk-items-csv", args=[action.pk]))
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["forum", "target", "forum_user_id"]
    assert len(rows) == 4
    assert sum(row[4] == "done" for row in rows) == 2
    assert "'=HYPERLINK" in body
    assert {row[3] for row in rows if row[4] == "done"} == {"'\t=cmd|'/C calc'!A0", "'\r@SUM(A1)"}
    assert response["Content-Disposition"].endswith('.csv"')


def test_list_filters_and_empty_state(
    viewer_client, moderator, discourse_connection, discourse_sandbox
):
    empty = viewer_client.get(reverse("forums:bulk-list")).content.decode()
    assert "No bulk actions yet." in empty
    planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=2
    )
    waiting = viewer_client.get(
        reverse("forums:bulk-list") + "?state=waiting", headers={"HX-Request": "true"}
    ).content.decode()
    assert 'id="bulk-table"' in waiting and "Add to group translators" in waiting
    finished = viewer_client.get(reverse("forums:bulk-list") + "?state=finished").content
    assert b"No bulk action matches these filters." in finished


def test_a_forum_with_bulk_history_is_disabled_not_deleted(
    moderator, admin_client_, discourse_connection, discourse_sandbox
):
    planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=2
    )
    response = admin_client_.post(
        reverse("forums:connection-delete", args=[discourse_connection.pk]), follow=True
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "has bulk actions in its history" in html and "Disable it instead" in html
    discourse_connection.refresh_from_db()  # still there


def test_the_propose_form_says_when_no_forum_can_be_chosen(moderator_client):
    html = moderator_client.get(reverse("forums:bulk-create")).content.decode()
    assert "No enabled forum is connected." in html


# --- uploads ----------------------------------------------------------------------------------
def test_an_upload_over_the_limit_is_refused_unread_and_the_other_fields_are_kept(
    moderator_client, discourse_connection, settings
):
    settings.FORUMDECK_MAX_UPLOAD_BYTES = 1024 * 1024
    big = SimpleUploadedFile("huge.csv", b"username\n" + b"someone\n" * 700_000)  # 5.6 MB
    response = propose_post(
        moderator_client, discourse_connection, targets="alice", group="translators", csv_file=big
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The file is larger than 1 MB, the most Forumdeck accepts" in page
    # Read no further than the fields before the file: the rest never left the socket.
    assert response.wsgi_request._stream._pos < 256 * 1024
    assert 'value="translators"' in page and "\nalice</textarea>" in page
    assert not BulkAction.objects.exists()


def test_a_long_list_is_stored_whole_and_read_by_the_planning_task(
    moderator_client, discourse_connection
):
    from forums.models import BulkActionItem, BulkTargetChunk

    lines = [f"member{n:06d}@example.com" for n in range(120_000)]  # about 3 MB
    text = "email\n" + "\n".join(lines) + "\n"
    upload = SimpleUploadedFile("members.csv", text.encode(), content_type="text/csv")
    response = propose_post(moderator_client, discourse_connection, targets="", csv_file=upload)
    action = BulkAction.objects.get()
    assert response.status_code == 302 and action.state == BulkAction.State.PLANNING
    # The request stored the list, whole (not cut at 1 MB), and parsed none of it.
    assert not BulkActionItem.objects.exists()
    chunks = BulkTargetChunk.objects.filter(action=action).order_by("seq")
    assert chunks.count() > 1
    assert "".join(chunks.values_list("text", flat=True)) == text
    assert engine.parse_action_targets(action) is None
    action.refresh_from_db()
    assert action.plan["targets"] == 100_000 and action.plan["too_many"]
    assert action.plan["junk_count"] == 20_000
    assert action.plan["junk"][0] == {
        "line": 100_002,
        "text": lines[100_000],
        "reason": "more than 100000 targets",
    }
    assert BulkActionItem.objects.filter(action=action).count() == 100_000


def test_a_list_that_is_all_junk_fails_its_plan_saying_why(moderator_client, discourse_connection):
    upload = SimpleUploadedFile(
        "x.csv", b'username\n"unclosed,\nbad name\n', content_type="text/csv"
    )
    propose_post(moderator_client, discourse_connection, targets="", csv_file=upload)
    action = BulkAction.objects.get()
    engine.plan_action(action.pk)
    page = moderator_client.get(reverse("forums:bulk-detail", args=[action.pk])).content.decode()
    assert "Plan failed" in page and "No usable targets were given." in page
    assert "line 2: a quote is not closed" in page and "line 3: usernames have no spaces" in page


def test_a_paste_too_large_for_a_form_gets_a_page_that_says_so(moderator_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = moderator_client.post(
        reverse("forums:bulk-create"), {"kind": "group_add", "targets": "alice\n" * 5_000}
    )
    assert response.status_code == 400
    assert "For a long list of targets, upload it as a CSV file" in response.content.decode()


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


def _running_group_add(moderator, approver, connection, sandbox) -> BulkAction:
    """An approved group add of 3 people, running, nothing done yet."""
    action = planned_group_add(proposer=moderator, connection=connection, sandbox=sandbox, count=3)
    approve(action, approver)
    BulkAction.objects.filter(pk=action.pk).update(
        state=BulkAction.State.RUNNING, started_at=datetime.now(UTC)
    )
    return action


def _done(items) -> None:
    """``items`` done, written as the run writes them (with the action's counts)."""
    items = list(items)
    for item in items:
        item.state = "done"
    engine._save(items, ["state"])


def _bar_fragment_done_cell(fragment: str) -> str:
    """The Done cell of the plan table that travels with the bar (out of band)."""
    oob_table = r'<table class="plan-table[^"]*" id="plan-table" hx-swap-oob="true">.*?</table>'
    table = re.search(oob_table, fragment, re.S).group(0)
    return re.search(r'data-label="Done">(\d+)<', table).group(1)


def test_the_plan_table_refreshes_with_the_bar(
    moderator, approver, approver_client, discourse_connection, discourse_sandbox
):
    action = _running_group_add(moderator, approver, discourse_connection, discourse_sandbox)
    _done(action.items.filter(planned=True).order_by("id")[:2])
    fragment = detail(
        approver_client, action, **{"HX-Request": "true", "HX-Target": "bulk-progress"}
    )
    assert "2 done" in fragment
    assert _bar_fragment_done_cell(fragment) == "2"


def test_the_bar_and_the_plan_table_never_show_two_moments_of_a_run(
    moderator, approver, approver_client, discourse_connection, discourse_sandbox, monkeypatch
):
    """On PostgreSQL each query sees what was committed when it starts: the bar read 3 done
    and the plan table, read a moment later in the same request, 10, once a run's group of
    outcomes was committed between the two. Both now come from one read of the counts."""
    from forums.bulk import selectors

    action = _running_group_add(moderator, approver, discourse_connection, discourse_sandbox)
    _done(action.items.filter(planned=True).order_by("id")[:1])
    read_progress = selectors.progress

    def progress_then_the_run_commits(action, rows=None):
        shown = read_progress(action, rows)
        # The run's next group lands between the two reads.
        _done(action.items.filter(planned=True, state="pending"))
        return shown

    monkeypatch.setattr(selectors, "progress", progress_then_the_run_commits)
    fragment = detail(
        approver_client, action, **{"HX-Request": "true", "HX-Target": "bulk-progress"}
    )
    assert "1 done" in fragment
    assert _bar_fragment_done_cell(fragment) == "1"


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


# --- issue 26, item 14 -----------------------------------------------------------------------
def test_a_group_sync_names_its_target_groups(
    moderator, viewer_client, nodebb_connection, nodebb_sandbox
):
    app = nodebb_sandbox.app
    members = set(app.state.groups["Support Team"]["members"])
    outsider = next(u for u in app.state.users.values() if u["uid"] > 2 and u["uid"] not in members)
    action = bulk_action_propose(
        actor=moderator, kind="group_sync",
        params={"source": "Elsewhere: Support", "groups": {"Sandbox NodeBB": "support-team"},
                "remove": False},
        targets_by_connection={nodebb_connection: [f"add:{outsider['username']}"]},
    )  # fmt: skip
    assert engine.plan_action(action.pk).again_in is None
    html = viewer_client.get(reverse("forums:bulk-detail", args=[action.pk])).content.decode()
    parameters = html[html.index('id="parameters-heading"') :].split("</section>")[0]
    assert "<dt>Target groups</dt><dd>Sandbox NodeBB: Support Team</dd>" in parameters
    assert "support-team" not in html and "{&#x27;" not in html


def test_the_csv_file_sits_right_below_the_targets(moderator_client, discourse_connection):
    """Issue 26, item 22: "…or a CSV file" is the other way to give the targets, so it is
    drawn next to them (and still sent last, so a refused file loses no other field)."""
    html = moderator_client.get(reverse("forums:bulk-create")).content.decode()
    targets, csv_file = html.index('id="id_targets"'), html.index('id="id_csv_file"')
    between = html[targets:csv_file]
    assert "<fieldset" not in between and "kind-params" not in between
    assert html.rindex("kind-params", 0, targets) < targets  # the details come before both
    after = html[html.index(">", csv_file) : html.index('value="Make the plan"')]
    assert 'name="' not in after  # the file is still the last field sent


def test_an_action_waiting_for_approval_shows_its_plan_not_a_progress_bar(
    moderator, viewer_client, discourse_connection, discourse_sandbox
):
    names = usernames(discourse_sandbox, 3, not_in_group="translators")
    action = propose_and_plan(
        proposer=moderator,
        connection=discourse_connection,
        kind="group_add",
        targets=[*names, "nobody-by-this-name"],  # skipped while planning: not found
        params={"group": "translators"},
    )
    assert action.state == BulkAction.State.PENDING_APPROVAL
    html = viewer_client.get(reverse("forums:bulk-list")).content.decode()
    table = html.split('id="bulk-table"')[1]  # (above it: actions no one can approve yet)
    row = table.split(f">#{action.pk}</a>")[1].split("</tr>")[0]
    assert "<progress" not in row
    assert "Planned: 3 to change, 1 skipped" in row
    page = viewer_client.get(reverse("forums:bulk-detail", args=[action.pk])).content.decode()
    assert "<progress" not in page


def test_a_run_waiting_for_forumdecks_pace_says_so_and_its_estimate_never_climbs(
    moderator, approver, approver_client, discourse_connection, discourse_sandbox
):
    from datetime import timedelta

    from forums.bulk.services import bulk_action_cancel

    action = propose_and_plan(
        proposer=moderator,
        connection=discourse_connection,
        kind="suspend",  # one call per person
        targets=usernames(discourse_sandbox, 8),
        params={"reason": "spam wave", "until": "7 days"},
    )
    # Four calls a minute: the run sends the window's four, then waits for Forumdeck's book.
    type(discourse_connection).objects.filter(pk=discourse_connection.pk).update(
        requests_per_minute=4
    )
    approve(action, approver)
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == BulkAction.State.RUNNING
    note = action.last_error
    assert note.startswith(
        "Waiting for Forumdeck's pace for Sandbox Discourse (4 calls a minute): about "
    )
    assert "asked to wait" not in note and "rate limit" not in note
    seconds = note.split("about ")[1].removesuffix(" s.")
    assert seconds.isdigit()  # whole seconds, not 15.3929

    assert 0 < selectors.progress(action).done < 8  # some sent, the rest waits
    url = reverse("forums:bulk-detail", args=[action.pk])
    html = approver_client.get(url).content.decode()
    shown = escape(note)
    assert shown in html and f'class="errornote">{shown}' not in html  # a wait, not an error
    first = re.search(r"about (\d+) (s|min) left", html)
    assert first is not None
    # The run waited (as it does at a slow pace): the time spent must not raise the estimate.
    BulkAction.objects.filter(pk=action.pk).update(
        started_at=action.started_at - timedelta(minutes=5)
    )
    later = re.search(r"about (\d+) (s|min) left", approver_client.get(url).content.decode())
    assert later is not None and later.groups() == first.groups()

    # Cancelled while waiting: a finished action keeps no red "waiting" notice.
    bulk_action_cancel(actor=moderator, action=action)
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == BulkAction.State.CANCELLED
    page = approver_client.get(url).content.decode()
    assert "Waiting for Forumdeck" not in page
