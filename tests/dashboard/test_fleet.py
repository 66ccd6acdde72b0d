"""The overview's fleet panel: the totals a community manager scans first, and its charts."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from forums.core.audit import audit_record

pytestmark = pytest.mark.django_db
FLEET = {"HX-Request": "true", "HX-Target": "fleet-panel"}


def test_the_overview_loads_the_fleet_panel_on_its_own(viewer_client, discourse_connection):
    chunks = iter(viewer_client.get(reverse("overview")).streaming_content)
    head = next(chunks).decode()
    assert 'id="fleet-panel"' in head and 'hx-trigger="load"' in head
    assert 'href="?wait=1&amp;fleet=1"' in head  # without JavaScript
    # The panel is handed over again first, so the browser starts loading it at once.
    kick = next(chunks).decode()
    assert kick.startswith('<template data-fill="fleet-panel" data-swap="outer">')
    assert 'hx-trigger="load"' in kick
    rest = b"".join(chunks).decode()
    assert "stale of" not in head + kick + rest  # the totals are not part of the page


def test_the_fleet_panel_adds_up_every_forum(viewer_client, viewer, discourse_connection,
                                              nodebb_connection, discourse_sandbox):  # fmt: skip
    audit_record(actor=viewer, action="backup.start", connection=discourse_connection,
                 target="Sandbox Discourse")  # fmt: skip
    response = viewer_client.get(reverse("overview"), headers=FLEET)
    html = response.content.decode()
    assert "<html" not in html and 'id="fleet-panel"' in html and "hx-trigger" not in html
    app = discourse_sandbox.app
    waiting = sum(1 for r in app.reviewables if r["status"] == 0)
    assert re.search(r'id="fleet-reviews".*?<p class="fleet-total[^"]*">(\d+)</p>', html, re.S)
    assert f"{waiting} waiting</a>" in html and "/review" in html
    # the count leads to Forumdeck's own Review list, filtered to that forum
    review = reverse("forums:review-list")
    assert f'href="{review}?forum={discourse_connection.pk}" class="review-in-forumdeck"' in html
    assert '1 <span class="small">stale of 1</span>' in html  # NodeBB offers no backups
    assert "Sandbox Discourse: the last scheduled backup failed" not in html
    assert "Backup started</span> Sandbox Discourse on Sandbox Discourse" in html
    assert re.search(r"<strong>\d+</strong> today · <strong>\d+</strong> this week", html)
    # Two charts, drawn on the server, each with its numbers as text and no inline style.
    for chart in ("review-chart", "backup-chart"):
        svg = re.search(rf'<svg class="bar-chart" id="{chart}".*?</svg>', html, re.S).group(0)
        assert "<title" in svg and "<desc" in svg and "style=" not in svg and "<rect" in svg
    assert "Sandbox Discourse: 27 h old, stale (stale after 26 h)" in html


def test_each_part_only_for_those_who_may_see_it(client, make_user, discourse_connection):
    person = make_user("cards-only")
    person.user_permissions.add(Permission.objects.get(codename="view_forumconnection"))
    client.force_login(person)
    html = client.get(reverse("overview"), headers=FLEET).content.decode()
    assert 'id="fleet-reviews"' in html
    for part in ("fleet-bulk", "fleet-backups", "fleet-events", "fleet-audit"):
        assert f'id="{part}"' not in html


def test_without_javascript_the_panel_comes_with_the_page(viewer_client, discourse_connection):
    for url in ("?wait=1&fleet=1", "?fleet=1"):
        response = viewer_client.get(reverse("overview") + url)
        assert not response.streaming  # nothing a browser without JavaScript would not place
        html = response.content.decode()
        assert "<html" in html and 'id="fleet-backups"' in html
        assert "Healthy" in html and "data-fill" not in html


def test_a_failed_scheduled_backup_shows_on_the_overview(viewer_client, discourse_connection):
    from forums.models import BackupRun

    BackupRun.objects.create(
        connection=discourse_connection,
        trigger=BackupRun.Trigger.SCHEDULE,
        state=BackupRun.State.FAILED,
        message="The forum was down.",
    )
    html = viewer_client.get(reverse("overview"), headers=FLEET).content.decode()
    assert "Sandbox Discourse: the last scheduled backup failed." in html
