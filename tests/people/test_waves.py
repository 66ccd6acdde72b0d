"""Beyond search, from the index: accounts new on every forum in the last hours, and accounts on
several forums that share an e-mail domain or registration address; each a starting point for
one bulk action (plan, approval, paced run), and neither asks a forum."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from forums.models import BulkAction, IndexedAccount, IndexSync

pytestmark = pytest.mark.django_db


def indexed(connection, rows):
    IndexSync.objects.create(
        connection=connection, state=IndexSync.State.COMPLETE, accounts_complete_at=timezone.now()
    )
    now = timezone.now()
    for n, (username, email, hours_ago, ip) in enumerate(rows, start=100):
        IndexedAccount.objects.create(
            connection=connection, forum_id=n, username=username, name="", email=email,
            joined_at=now - timedelta(hours=hours_ago), registration_ip=ip,
            haystack=f"{username}\n{email}",
        )  # fmt: skip


@pytest.fixture
def wave(discourse_sandbox, nodebb_sandbox, discourse_connection, nodebb_connection):
    indexed(discourse_connection, [
        ("spinner_1", "s1@spam-wave.example", 1, "203.0.113.7"),
        ("spinner_2", "s2@spam-wave.example", 3, "203.0.113.8"),
        ("old_timer", "ot@gmail.com", 30, "198.51.100.1"),
        ("lonely", "l@only-here.example", 2, None),
    ])  # fmt: skip
    indexed(nodebb_connection, [
        ("spinnerthree", "s3@SPAM-wave.example", 2, "203.0.113.7"),
        ("someone", "so@gmail.com", 50, None),
    ])  # fmt: skip
    for sandbox in (discourse_sandbox, nodebb_sandbox):
        sandbox.app.calls.clear()
    return (discourse_sandbox, nodebb_sandbox)


def names(html: str) -> list[str]:
    return re.findall(r'/forums/people/\d+/\d+/">([^<]+)</a>', html)


def no_forum_asked(wave) -> bool:
    return all(not sandbox.app.calls.records() for sandbox in wave)


def test_new_accounts_on_every_forum_newest_first(viewer_client, wave, userecho_connection):
    html = viewer_client.get(reverse("forums:people-new"), {"hours": 24}).content.decode()
    assert names(html) == ["spinner_1", "spinnerthree", "lonely", "spinner_2"]
    assert "Not in the index yet, so not counted: Sandbox UserEcho" in html
    longer = viewer_client.get(reverse("forums:people-new"), {"hours": 48}).content.decode()
    assert "old_timer" in names(longer) and "someone" not in names(longer)
    assert "Propose a bulk action" not in html  # a viewer proposes nothing
    assert no_forum_asked(wave)


def test_new_accounts_page_through(viewer_client, discourse_connection):
    indexed(discourse_connection, [(f"bot_{n:02d}", f"b{n}@x.example", n / 10, None)
                                   for n in range(60)])  # fmt: skip
    first = viewer_client.get(reverse("forums:people-new"), {"hours": 12}).content.decode()
    assert len(names(first)) == 50 and names(first)[0] == "bot_00"
    assert "Page 1 of 2" in first and "60 accounts" in first
    second = viewer_client.get(
        reverse("forums:people-new"),
        {"hours": 12, "page": 2},
        headers={"HX-Request": "true", "HX-Target": "wave-table"},
    ).content.decode()
    assert names(second) == [f"bot_{n:02d}" for n in range(50, 60)]
    assert "<html" not in second  # the table alone for htmx


def test_new_accounts_become_one_bulk_action(moderator_client, wave, discourse_connection,
                                             nodebb_connection):  # fmt: skip
    page = moderator_client.get(reverse("forums:people-new"), {"hours": 4}).content.decode()
    assert "All 4 accounts" in page and "Propose a bulk action" in page
    proposal = moderator_client.post(
        reverse("forums:people-new-propose"), {"hours": 4, "kind": "suspend"}
    ).content.decode()
    assert "Sandbox Discourse</strong>: spinner_1, lonely, spinner_2" in proposal
    assert "Sandbox NodeBB</strong>: spinnerthree" in proposal
    assert f'action="{reverse("forums:people-bulk")}"' in proposal
    accounts = re.findall(r'name="account" value="([^"]+)"', proposal)
    response = moderator_client.post(
        reverse("forums:people-bulk"),
        {"kind": "suspend", "confirm_step": "1", "reason": "Spam wave", "until": "30 days",
         "account": accounts},
    )  # fmt: skip
    action = BulkAction.objects.get()
    assert response["Location"] == reverse("forums:bulk-detail", args=[action.pk])
    assert {(i.connection_id, i.target) for i in action.items.all()} == {
        (discourse_connection.pk, "spinner_1"), (discourse_connection.pk, "lonely"),
        (discourse_connection.pk, "spinner_2"), (nodebb_connection.pk, "spinnerthree"),
    }  # fmt: skip
    assert no_forum_asked(wave)


def test_nothing_new_proposes_nothing(moderator_client, wave):
    response = moderator_client.post(
        reverse("forums:people-new-propose"), {"hours": 24, "kind": "suspend"}, follow=True
    )
    assert "spinner_1" in response.content.decode()  # back on the page; there are some
    empty = moderator_client.post(
        reverse("forums:people-new-propose"), {"hours": 1, "kind": "nonsense"}, follow=True
    )
    assert "Choose what to do" in empty.content.decode() and not BulkAction.objects.exists()


def test_domains_shared_across_forums(viewer_client, wave):
    html = viewer_client.get(reverse("forums:people-shared")).content.decode()
    assert "spam-wave.example" in html and "3 accounts on 2 forums" in html
    groups = re.findall(r'<h2 id="shared-\d+" class="url">([^<]+)</h2>', html)
    assert groups == ["spam-wave.example"]  # gmail.com left out, only-here.example on one forum
    assert set(names(html)) == {"spinner_1", "spinner_2", "spinnerthree"}
    common = viewer_client.get(reverse("forums:people-shared"), {"common": "on"}).content.decode()
    assert re.findall(r'<h2 id="shared-\d+" class="url">([^<]+)</h2>', common) == [
        "spam-wave.example",
        "gmail.com",
    ]
    assert "2 accounts on 2 forums" in common
    assert no_forum_asked(wave)


def test_registration_addresses_shared_across_forums(viewer_client, wave):
    html = viewer_client.get(reverse("forums:people-shared"), {"trait": "ip"}).content.decode()
    assert "203.0.113.7" in html and "2 accounts on 2 forums" in html
    assert set(names(html)) == {"spinner_1", "spinnerthree"}
    assert "203.0.113.8" not in html.replace("203.0.113.8</td>", "")  # one forum only: no group


SHARED = {"trait": "domain", "value": "spam-wave.example", "kind": "suspend"}


def test_a_viewer_proposes_nothing(viewer_client, wave):
    assert viewer_client.post(reverse("forums:people-shared-propose"), SHARED).status_code == 403
    assert (
        viewer_client.post(
            reverse("forums:people-new-propose"), {"hours": 4, "kind": "suspend"}
        ).status_code
        == 403
    )


def test_a_shared_domain_becomes_one_bulk_action(moderator_client, wave):
    proposal = moderator_client.post(
        reverse("forums:people-shared-propose"), SHARED
    ).content.decode()
    assert "Sandbox Discourse</strong>: spinner_1, spinner_2" in proposal
    assert "Sandbox NodeBB</strong>: spinnerthree" in proposal
    assert "accounts sharing spam-wave.example" in proposal


def test_shared_groups_page_through(viewer_client, discourse_connection, nodebb_connection):
    for connection in (discourse_connection, nodebb_connection):
        indexed(connection, [(f"u{connection.pk}_{n}", f"x@d{n:02d}.example", 1, None)
                             for n in range(25)])  # fmt: skip
    first = viewer_client.get(reverse("forums:people-shared")).content.decode()
    assert "Page 1 of 2" in first and "25 domains" in first
    second = viewer_client.get(reverse("forums:people-shared"), {"page": 2}).content.decode()
    assert second.count('class="shared-group"') == 5
