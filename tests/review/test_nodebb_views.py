"""The Review area with a NodeBB forum beside a Discourse one: NodeBB's flags and post queue in
the same list as Discourse's reviewables, and decided in place on the NodeBB sandbox."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forums.models import AuditEntry

from .test_views import HTMX, a_flag

pytestmark = pytest.mark.django_db


def a_queued_post(app, title="A question about themes"):
    uid = next(
        uid for uid, u in sorted(app.state.users.items())
        if uid > 2 and not u["banned"] and not u["mutedUntil"]
    )  # fmt: skip
    with app.lock:
        queue_id = app.add_queued(uid=uid, title=title, content="Is <b>this</b> the place?")
    return queue_id, app.state.users[uid]


def test_a_nodebb_queued_post_is_listed_beside_a_discourse_flag(
    viewer_client, discourse_connection, discourse_sandbox, nodebb_connection, nodebb_sandbox
):
    row, _, _ = a_flag(discourse_sandbox.app)
    queue_id, author = a_queued_post(nodebb_sandbox.app)
    html = viewer_client.get(reverse("forums:review-list")).content.decode()
    assert f'data-item="{discourse_connection.pk}:{row["id"]}"' in html
    key = f'data-item="{nodebb_connection.pk}:queue:{queue_id}"'
    assert key in html
    line = html[html.index(key) :].split("</tr>")[0]
    assert "Post waiting for approval" in line and "A question about themes" in line
    assert author["username"] in line
    assert "<b>this</b>" not in line  # the forum's text, never its markup
    flags = html.count(f'data-item="{nodebb_connection.pk}:flag:')
    assert flags == sum(f["state"] in ("open", "wip") for f in nodebb_sandbox.app.state.flags)


def test_rejecting_a_nodebb_queued_post_removes_it_on_the_forum(
    moderator_client, discourse_connection, discourse_sandbox, nodebb_connection, nodebb_sandbox
):
    app = nodebb_sandbox.app
    queue_id, author = a_queued_post(app)
    moderator_client.get(reverse("forums:review-list"))
    body = {"connection": nodebb_connection.pk, "item": f"queue:{queue_id}", "action": "reject"}
    text = moderator_client.post(reverse("forums:review-decide"), body, headers=HTMX)
    text = text.content.decode()
    assert "Done." in text and "NodeBB removed the queued post" in text
    assert queue_id not in {q["id"] for q in app.state.queue}
    assert app.state.notifications[-1]["uid"] == author["uid"]  # NodeBB told the author
    entry = AuditEntry.objects.get(action="review.decide")
    assert entry.outcome == "success" and "Post waiting for approval" in entry.target
    # the same decision again: someone (here, us) decided it meanwhile
    again = moderator_client.post(reverse("forums:review-decide"), body, headers=HTMX)
    assert "Not decided." in again.content.decode()


def test_resolving_nodebb_flags_many_at_once(moderator_client, nodebb_connection, nodebb_sandbox):
    app = nodebb_sandbox.app
    waiting = [f for f in app.state.flags if f["state"] == "open"][:3]
    keys = [f"{nodebb_connection.pk}:flag:{f['flagId']}" for f in waiting]
    moderator_client.get(reverse("forums:review-list"))
    response = moderator_client.post(
        reverse("forums:review-decide-many"), {"picked": keys, "decision": "ignore"}, follow=True
    )
    assert f"{len(keys)} of {len(keys)} decided." in response.content.decode()
    assert all(f["state"] == "resolved" for f in waiting)
