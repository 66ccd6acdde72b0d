"""Every write Forumdeck makes and every live read it does keeps the index right, without a
sync: a bulk run's done items, a plan's lookups and a person page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from forums.bulk import engine
from forums.models import IndexedAccount
from tests.bulk.helpers import approve, propose_and_plan
from tests.index.test_people_search import clear_calls, search, sync

pytestmark = pytest.mark.django_db

EMAIL = "ola.berg@northwind.example"


@pytest.fixture
def ola(discourse_sandbox):
    return discourse_sandbox.app.add_person(username="ola_berg", email=EMAIL, name="Ola Berg")


def test_a_bulk_suspension_shows_in_search_from_the_index_without_a_sync(
    moderator_client, moderator, approver, ola, discourse_connection, discourse_sandbox
):
    sync(discourse_connection)
    assert "Nobody matches" in search(moderator_client, q="ola_berg", status="suspended")
    action = propose_and_plan(proposer=moderator, connection=discourse_connection,
                              kind="suspend", targets=["ola_berg"],
                              params={"reason": "spam wave", "until": "7 days"})  # fmt: skip
    approve(action, approver)
    assert engine.run_action(action.pk).again_in is None
    assert discourse_sandbox.app.users[ola]["suspended_till"]
    clear_calls([discourse_sandbox])
    html = search(moderator_client, q="ola_berg", status="suspended")
    assert discourse_sandbox.app.calls.records() == []  # from the index
    assert "ola_berg" in html and "Suspended until" in html
    row = IndexedAccount.objects.get(connection=discourse_connection, forum_id=ola)
    assert row.suspended and row.suspended_until > timezone.now() + timedelta(days=6)
    # Lifting it in bulk clears it the same way.
    action = propose_and_plan(proposer=moderator, connection=discourse_connection,
                              kind="unsuspend", targets=["ola_berg"])  # fmt: skip
    approve(action, approver)
    assert engine.run_action(action.pk).again_in is None
    assert "Nobody matches" in search(moderator_client, q="ola_berg", status="suspended")


def test_a_plans_lookup_brings_what_it_saw_into_the_index(
    moderator_client, moderator, ola, discourse_connection, discourse_sandbox
):
    sync(discourse_connection)
    # Someone suspends Ola on the forum itself; the index has not heard of it.
    discourse_sandbox.app.users[ola]["suspended_till"] = timezone.now() + timedelta(days=3)
    assert "Nobody matches" in search(moderator_client, q="ola_berg", status="suspended")
    action = propose_and_plan(proposer=moderator, connection=discourse_connection,
                              kind="suspend", targets=["ola_berg"],
                              params={"reason": "spam wave", "until": "7 days"})  # fmt: skip
    assert action.plan["planned"] == 0  # already suspended: nothing to do
    assert "ola_berg" in search(moderator_client, q="ola_berg", status="suspended")
