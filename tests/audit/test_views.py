"""The audit log a person can use (issue 14, findings 10 and 13): words for actions, search
by target and person, a date range, links, proposer and approver, CSV, the viewer's zone."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forums.audit.labels import action_label
from forums.bulk import engine
from forums.core.audit import audit_record
from forums.models import AuditEntry
from tests.bulk.helpers import approve, propose_and_plan, usernames
from tests.factories import ForumConnectionFactory

pytestmark = pytest.mark.django_db


def rows(client, **params) -> str:
    return client.get(
        reverse("forums:audit-list"), params, headers={"HX-Request": "true"}
    ).content.decode()


def test_action_ids_have_human_labels():
    assert action_label("user.suspend") == "Suspend (one person)"
    assert action_label("user.ban") == "Ban (one person)"
    assert action_label("bulk.group_add") == "Bulk: Add members to a group"
    assert action_label("bulk.suspend") == "Bulk: Suspend/ban"
    assert action_label("connection.test") == "Forum tested"
    assert action_label("something.new") == "something.new"  # never hidden


def test_search_by_target_or_person_and_a_date_range(viewer_client, admin_user, moderator):
    forum = ForumConnectionFactory(name="Forum A")
    audit_record(actor=moderator, action="user.suspend", connection=forum, target="robin_vale",
                 details={"user_id": 7})  # fmt: skip
    audit_record(actor=admin_user, action="connection.test", connection=forum, target="Forum A")
    old = audit_record(actor=admin_user, action="connection.create", connection=forum,
                       target="Forum A", message="long ago")  # fmt: skip
    # Entries are append-only: move this one back in time with SQL.
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute(
            "UPDATE forums_auditentry SET created_at = %s WHERE id = %s",
            [datetime.now(UTC) - timedelta(days=40), old.pk],
        )
    by_target = rows(viewer_client, q="robin")
    assert "robin_vale" in by_target and "Forum tested" not in by_target
    assert "Suspend (one person)" in by_target  # a label, not user.suspend
    by_person = rows(viewer_client, q="moe")
    assert "robin_vale" in by_person and "Forum tested" not in by_person
    today = timezone.localdate()
    recent = rows(viewer_client, since=(today - timedelta(days=7)).isoformat(),
                  until=today.isoformat())  # fmt: skip
    assert "long ago" not in recent and "robin_vale" in recent
    back_then = rows(viewer_client, until=(today - timedelta(days=30)).isoformat())
    assert "long ago" in back_then and "robin_vale" not in back_then
    wrong = rows(viewer_client, since=today.isoformat(), until=(today - timedelta(days=1)))
    assert "The end of the range comes before its start." in wrong
    # The person's target links to their page on that forum.
    assert reverse("forums:person-detail", args=[forum.pk, 7]) in by_target


def test_bulk_entries_name_proposer_and_approver_and_link_the_action(
    moderator, approver, viewer_client, discourse_connection, discourse_sandbox
):
    action = propose_and_plan(
        proposer=moderator,
        connection=discourse_connection,
        kind="group_add",
        targets=usernames(discourse_sandbox, 2, not_in_group="translators"),
        params={"group": "translators"},
    )
    approve(action, approver)
    engine.run_action(action.pk)
    html = rows(viewer_client, action="bulk.group_add")
    assert "Bulk: Add members to a group" in html
    assert "proposer: moe · approver: april" in html
    person_links = [
        reverse("forums:person-detail", args=[discourse_connection.pk, item.forum_user_id])
        for item in action.items.filter(state="done")
    ]
    assert all(link in html for link in person_links)
    proposal = rows(viewer_client, action="bulk.propose")
    assert reverse("forums:bulk-detail", args=[action.pk]) in proposal
    assert "proposer: moe" in proposal
    # "bulk action #N" finds every entry of that action.
    found = rows(viewer_client, q=f"#{action.pk}")
    assert "Bulk action proposed" in found and "Bulk action approved" in found


def test_times_in_messages_follow_the_viewers_zone(
    moderator, viewer_client, discourse_connection, discourse_sandbox
):
    propose_and_plan(
        proposer=moderator,
        connection=discourse_connection,
        kind="suspend",
        targets=usernames(discourse_sandbox, 1),
        params={"reason": "spam", "until": "2031-01-15T12:00:00+00:00"},
    )
    viewer_client.cookies["forumdeck_tz"] = "America/New_York"
    html = rows(viewer_client, action="bulk.propose")
    assert "until 2031-01-15 07:00 EST" in html and "12:00 UTC" not in html


def test_the_export_follows_the_filters_and_defuses_formulas(viewer_client, moderator):
    forum = ForumConnectionFactory(name="Forum A")
    audit_record(actor=moderator, action="user.suspend", connection=forum,
                 target='=HYPERLINK("http://x")', message="+1 spam")  # fmt: skip
    audit_record(actor=moderator, action="connection.test", connection=forum, target="Forum A")
    response = viewer_client.get(reverse("forums:audit-csv"), {"action": "user.suspend"})
    assert response["Content-Disposition"].startswith('attachment; filename="forumdeck-audit-')
    body = b"".join(response.streaming_content).decode()
    table = list(csv.DictReader(io.StringIO(body)))
    assert len(table) == 1
    [row] = table
    assert row["target"] == '\'=HYPERLINK("http://x")' and row["message"] == "'+1 spam"
    assert row["action"] == "Suspend (one person)" and row["action_id"] == "user.suspend"
    assert datetime.fromisoformat(row["when"]).utcoffset() is not None
    page = viewer_client.get(reverse("forums:audit-list"), {"action": "user.suspend"})
    assert reverse("forums:audit-csv") + "?action=user.suspend" in page.content.decode()


# --- a long log costs what one page costs ---------------------------------------------------
def seed(count: int, **fields) -> None:
    """``count`` entries at once (the log is append-only: bulk_create is how a test fills it)."""
    AuditEntry.objects.bulk_create(
        [AuditEntry(action="connection.test", target=f"t{i}", **fields) for i in range(count)],
        batch_size=1000,
    )


def test_a_long_log_says_more_than_10000_and_still_pages(viewer_client, moderator):
    seed(10_020)
    seed(30, actor=moderator, actor_name="moe")
    page = rows(viewer_client)
    assert "Page 1 of 200+ (more than 10,000 entries)" in page and "Older ›" in page
    assert "page=2" in page
    last = rows(viewer_client, page=200)
    assert "Page 200 of 200+" in last and "narrow the filters to see the rest" in last
    assert "Older ›" not in last and "‹ Newer" in last
    # Filtered below the cap: counted exactly, and only the filtered entries are shown.
    mine = rows(viewer_client, actor=moderator.pk)
    assert "Page 1 of 1 (30 entries)" in mine and "more than" not in mine
    assert mine.count("<tr class=") == 30


def test_filter_choices_come_from_the_forums_and_people_not_from_the_log(viewer_client, admin_user):
    quiet_forum = ForumConnectionFactory(name="Quiet forum")  # no entry yet: listed anyway
    gone = ForumConnectionFactory(name="Gone forum")
    audit_record(actor=admin_user, action="connection.test", connection=gone, target="Gone forum")
    gone_id = gone.pk
    gone.delete()
    html = viewer_client.get(reverse("forums:audit-list")).content.decode()
    assert f'<option value="{quiet_forum.pk}" >Quiet forum</option>' in html
    assert "Gone forum" not in html.split('name="forum"')[1].split("</select>")[0]
    assert ">vera</option>" in html  # a person who has done nothing yet
    assert ">Bulk: Add members to a group</option>" in html  # an action nobody took yet
    # A link to a deleted forum's entries keeps its filter, and finds them.
    chosen = viewer_client.get(reverse("forums:audit-list"), {"forum": gone_id}).content.decode()
    assert f'<option value="{gone_id}" selected>Gone forum (deleted)</option>' in chosen
    assert "No entries match" not in chosen and "Forum tested" in chosen
    quiet = rows(viewer_client, forum=quiet_forum.pk)
    assert "No entries match these filters" in quiet


def test_the_page_sends_the_same_queries_however_long_the_log(viewer_client, admin_user):
    forum = ForumConnectionFactory(name="Forum A")

    def page_queries() -> list[str]:
        with CaptureQueriesContext(db) as queries:
            response = viewer_client.get(reverse("forums:audit-list"), {"forum": forum.pk})
            assert response.status_code == 200
        return [q["sql"] for q in queries.captured_queries]

    seed(3, connection=forum, connection_name="Forum A")
    few = page_queries()
    seed(3_000, connection=forum, connection_name="Forum A")
    seed(3_000, actor=admin_user, actor_name="ada")
    many = page_queries()
    assert len(many) == len(few)
    assert not [sql for sql in many if "DISTINCT" in sql.upper()]
    # The one count stops at the cap instead of counting the whole log.
    [count] = [sql for sql in many if "COUNT(" in sql.upper() and "auditentry" in sql]
    assert "LIMIT 10001" in count
