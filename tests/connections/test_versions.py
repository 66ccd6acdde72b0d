"""A Discourse forum older than the oldest supported release says so on its card, in plain
words (issue 22); a supported one does not."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.urls import reverse

from forums.sandbox.discourse import DiscourseSandbox
from forums.sandbox.discourse.releases import RELEASES

pytestmark = [pytest.mark.django_db, pytest.mark.every_release]

UNSUPPORTED = "older than the oldest release Forumdeck supports"


def card(client, connection) -> str:
    url = reverse("forums:connection-card", args=[connection.pk]) + "?refresh=1"
    return client.get(url).content.decode()


def test_a_supported_forum_shows_its_version_and_no_warning(
    admin_client_, discourse_connection, discourse_release
):
    html = card(admin_client_, discourse_connection)
    assert RELEASES[discourse_release].version in html
    assert UNSUPPORTED not in html


def test_an_old_forum_says_it_is_unsupported_on_its_card(
    admin_client_, discourse_connection, monkeypatch
):
    old = replace(RELEASES["3.4"], name="3.1", version="3.1.4")
    monkeypatch.setattr(DiscourseSandbox, "release", property(lambda self: old))
    html = card(admin_client_, discourse_connection)
    assert "3.1.4" in html and UNSUPPORTED in html
    assert "ask its administrator to upgrade" in html
