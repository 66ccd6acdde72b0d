"""The fleet index's first sync, as the sandbox forums see it: every account read, resumable,
within its share of the forum's budget."""

from __future__ import annotations

import pytest

from forums.index.sync import (
    index_sync_start,
    index_sync_step,
    seconds_for,
    step_calls,
)
from forums.models import IndexedAccount, IndexedGroup, IndexedTag, IndexSync
from tests.conftest import SANDBOX_DISCOURSE_KEY
from tests.factories import ForumConnectionFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/users/list/active.json"


@pytest.fixture
def big_discourse():
    """A sandbox Discourse with three pages of accounts."""
    from forums.sandbox.core import RunningSandbox, SandboxConfig
    from forums.sandbox.discourse import DiscourseSandbox

    app = DiscourseSandbox(
        SandboxConfig(
            api_key=SANDBOX_DISCOURSE_KEY,
            api_username="system",
            admin_requests_per_minute=6000,
            users=250,
        )
    )
    with RunningSandbox(app) as sandbox:
        yield sandbox


@pytest.fixture
def big_connection(big_discourse):
    return ForumConnectionFactory(
        name="Big Discourse",
        base_url=big_discourse.url,
        api_key=SANDBOX_DISCOURSE_KEY,
        api_username="system",
        requests_per_minute=6000,
    )


def run_to_end(connection, max_calls=None) -> list:
    steps = []
    for _ in range(200):
        step = index_sync_step(connection_id=connection.pk, max_calls=max_calls)
        steps.append(step)
        if step.again_in is None:
            return steps
    raise AssertionError("the sync never ended")


def forum_accounts(sandbox) -> dict[int, dict]:
    return {uid: u for uid, u in sandbox.app.users.items() if uid > 0}


def test_first_sync_reads_every_account_group_and_tag(big_discourse, big_connection):
    index_sync_start(connection=big_connection)
    run_to_end(big_connection)
    sync = IndexSync.objects.get(connection=big_connection)
    accounts = forum_accounts(big_discourse)
    assert sync.state == IndexSync.State.COMPLETE and sync.accounts_complete_at is not None
    assert sync.accounts_seen == len(accounts) == IndexedAccount.objects.count()
    some = next(iter(accounts.values()))
    row = IndexedAccount.objects.get(connection=big_connection, forum_id=some["id"])
    assert row.username == some["username"] and row.email == some["email"]
    assert some["email"].split("@")[0].lower() in row.haystack
    assert IndexedGroup.objects.filter(connection=big_connection).exists()
    assert IndexedTag.objects.filter(connection=big_connection).exists()
    # One call per page of 100, and no page read twice.
    pages = [c for c in big_discourse.app.calls.records() if c.path == LIST]
    assert len(pages) == 3


def test_a_killed_sync_resumes_from_its_cursor(big_discourse, big_connection):
    index_sync_start(connection=big_connection)
    # The about page and the first page of the list, then the worker "dies".
    index_sync_step(connection_id=big_connection.pk, max_calls=2)
    sync = IndexSync.objects.get(connection=big_connection)
    assert sync.accounts_seen == 100 and sync.accounts_cursor == "2"
    assert sync.state == IndexSync.State.RUNNING
    assert sync.accounts_total == len(forum_accounts(big_discourse))
    big_discourse.app.calls.clear()
    run_to_end(big_connection)
    pages = [c.query for c in big_discourse.app.calls.records() if c.path == LIST]
    assert len(pages) == 2 and all("page=1&" not in q for q in pages)
    assert IndexedAccount.objects.count() == len(forum_accounts(big_discourse))


def test_one_step_takes_at_most_its_share_of_the_budget(big_discourse, big_connection):
    big_connection.requests_per_minute = 60
    big_connection.save()
    assert step_calls(big_connection) == 12  # 20 % of Discourse's 60 a minute
    big_connection.requests_per_minute = 10
    big_connection.save()
    assert step_calls(big_connection) == 2
    index_sync_start(connection=big_connection)
    step = index_sync_step(connection_id=big_connection.pk)
    assert step.calls == 2  # the forum's size and the list's first page
    assert IndexSync.objects.get(connection=big_connection).accounts_seen == 100
    # ... and it asks to come back once those calls are 20 % of the forum's rate: 2 calls at
    # 10 a minute are 12 s of its time, so 60 s of the index's.
    assert step.again_in == pytest.approx(seconds_for(big_connection, 2)) == pytest.approx(60)


@pytest.mark.django_db(transaction=True)
def test_the_sync_holds_no_transaction_while_the_forum_answers(
    big_discourse, big_connection, monkeypatch
):
    """A call waits for its slot and then for the forum; on SQLite a transaction holds the
    database's one write lock, so a bulk run could not book its own calls meanwhile. Only the
    answers are written in a transaction (each page with the cursor for the next)."""
    from django.db import connection as db

    from forums.index import sync as sync_module

    asked_inside: list[tuple[str, bool]] = []
    real_get_client = sync_module.get_client

    class Watched:
        def __init__(self, client):
            self._client = client

        def __enter__(self):
            self._client.__enter__()
            return self

        def __exit__(self, *exc):
            return self._client.__exit__(*exc)

        def __getattr__(self, name):
            value = getattr(self._client, name)
            if name in {"user_list_page", "list_groups", "list_tags"}:

                def asked(*args, **kwargs):
                    asked_inside.append((name, db.in_atomic_block))
                    return value(*args, **kwargs)

                return asked
            return value

    monkeypatch.setattr(
        sync_module, "get_client", lambda *a, **kw: Watched(real_get_client(*a, **kw))
    )
    index_sync_start(connection=big_connection)
    run_to_end(big_connection)
    assert {name for name, _ in asked_inside} == {"user_list_page", "list_groups", "list_tags"}
    assert not any(inside for _, inside in asked_inside)
    assert IndexedAccount.objects.count() == len(forum_accounts(big_discourse))
    assert IndexSync.objects.get(connection=big_connection).state == IndexSync.State.COMPLETE


def test_a_new_read_drops_accounts_deleted_meanwhile(big_discourse, big_connection):
    index_sync_start(connection=big_connection)
    run_to_end(big_connection)
    gone = next(iter(forum_accounts(big_discourse)))
    del big_discourse.app.users[gone]
    index_sync_start(connection=big_connection)
    run_to_end(big_connection)
    assert not IndexedAccount.objects.filter(forum_id=gone).exists()
    assert IndexedAccount.objects.count() == len(forum_accounts(big_discourse))


def test_a_second_worker_does_not_read_the_same_page(big_discourse, big_connection):
    index_sync_start(connection=big_connection)
    IndexSync.objects.filter(connection=big_connection).update(lease_until="2999-01-01T00:00:00Z")
    step = index_sync_step(connection_id=big_connection.pk)
    assert step.again_in is None and step.calls == 0
    assert big_discourse.app.calls.count(path=LIST) == 0


def test_nodebb_sync(nodebb_sandbox, nodebb_connection):
    index_sync_start(connection=nodebb_connection)
    run_to_end(nodebb_connection)
    sync = IndexSync.objects.get(connection=nodebb_connection)
    assert sync.state == IndexSync.State.COMPLETE
    rows = IndexedAccount.objects.filter(connection=nodebb_connection)
    assert rows.count() == sync.accounts_total > 0
    assert rows.exclude(email="").exists()


def test_userecho_sync(userecho_sandbox, userecho_connection):
    index_sync_start(connection=userecho_connection)
    run_to_end(userecho_connection)
    sync = IndexSync.objects.get(connection=userecho_connection)
    assert sync.state == IndexSync.State.COMPLETE
    rows = IndexedAccount.objects.filter(connection=userecho_connection)
    assert rows.count() == sync.accounts_total > 50  # more than one page
    assert rows.exclude(email="").exists()


def test_a_dead_forum_keeps_the_sync_waiting_with_its_error():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = ForumConnectionFactory(name="Dead forum", base_url=f"http://127.0.0.1:{port}")
    index_sync_start(connection=dead)
    step = index_sync_step(connection_id=dead.pk)
    sync = IndexSync.objects.get(connection=dead)
    assert step.again_in and sync.state == IndexSync.State.RUNNING
    assert "refused" in sync.error.lower()


def test_substring_search_has_an_index_on_either_database(big_discourse, big_connection):
    from django.db import connection

    from forums.core.fleet_index.reads import accounts_matching

    index_sync_start(connection=big_connection)
    run_to_end(big_connection)
    some = next(u for uid, u in big_discourse.app.users.items() if uid > 1)
    part = some["email"][2:9]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'indexed_account_haystack_trgm'"
            )
            assert "gin_trgm_ops" in cursor.fetchone()[0]
        else:
            # SQLite: an FTS5 trigram table kept by triggers answers searches of 3+ characters.
            assert "forums_indexedaccount_fts" in str(accounts_matching(query=part).query)
            cursor.execute(
                "SELECT count(*) FROM forums_indexedaccount_fts "
                "WHERE forums_indexedaccount_fts MATCH %s",
                [f'"{part}"'],
            )
            assert cursor.fetchone()[0] >= 1
    found = accounts_matching(query=part.upper()).values_list("forum_id", flat=True)
    assert some["id"] in set(found)


def test_the_cheap_poll_finds_new_accounts_and_penalties_made_on_the_forum(
    big_discourse, big_connection
):
    from datetime import timedelta

    from django.utils import timezone

    from forums.index.sync import index_poll, poll_calls

    index_sync_start(connection=big_connection)
    run_to_end(big_connection)
    users = big_discourse.app.users
    lifted, suspended = [uid for uid in users if uid > 1][:2]
    IndexedAccount.objects.filter(forum_id=lifted).update(suspended=True)  # lifted on the forum
    users[suspended]["suspended_till"] = timezone.now() + timedelta(days=2)
    users[suspended]["suspended_at"] = timezone.now()
    newcomer = big_discourse.app.add_person(username="newcomer", email="new@example.org")
    big_discourse.app.calls.clear()

    made = index_poll(connection_id=big_connection.pk)

    assert 0 < made <= poll_calls(big_connection)
    assert made == len(big_discourse.app.calls.records())
    assert IndexedAccount.objects.get(forum_id=newcomer).username == "newcomer"
    assert IndexedAccount.objects.get(forum_id=suspended).suspended
    assert not IndexedAccount.objects.get(forum_id=lifted).suspended
    assert IndexSync.objects.get(connection=big_connection).polled_at is not None
    # Only the list's last page was read again, not the whole list.
    assert big_discourse.app.calls.count(path=LIST) == 1


def test_a_poll_takes_its_share_of_the_forum_over_its_interval(big_connection, settings):
    from forums.index.sync import poll_calls

    settings.FORUMDECK_INDEX_POLL_SECONDS = 60
    big_connection.requests_per_minute = 60
    assert poll_calls(big_connection) == 12
    settings.FORUMDECK_INDEX_POLL_SECONDS = 10
    assert poll_calls(big_connection) == 2


def test_pointing_a_connection_at_another_forum_empties_its_index(
    big_discourse, big_connection, admin_user, discourse_sandbox
):
    from forums.connections.services import connection_update

    index_sync_start(connection=big_connection)
    run_to_end(big_connection)
    assert IndexedAccount.objects.filter(connection=big_connection).exists()
    connection_update(
        actor=admin_user, connection=big_connection, base_url=discourse_sandbox.url,
        api_key=SANDBOX_DISCOURSE_KEY,
    )  # fmt: skip
    assert not IndexedAccount.objects.filter(connection=big_connection).exists()
    assert not IndexSync.objects.filter(connection=big_connection).exists()
    assert not IndexedGroup.objects.filter(connection=big_connection).exists()


def test_a_forum_that_cannot_list_its_accounts_stops_and_is_asked_live(monkeypatch):
    from forums.core.fleet_index.reads import indexed_as_of
    from tests.fake_platform import registered

    with registered(monkeypatch):
        elsewhere = ForumConnectionFactory(
            name="Elsewhere", platform="fakeboard", base_url="http://127.0.0.1:9"
        )
        index_sync_start(connection=elsewhere)
        step = index_sync_step(connection_id=elsewhere.pk)
    sync = IndexSync.objects.get(connection=elsewhere)
    assert step.again_in is None and sync.state == IndexSync.State.FAILED
    assert "does not offer this through its API (listing users)" in sync.error
    assert indexed_as_of([elsewhere.pk]) == {}  # People search keeps asking it live


def test_beat_starts_resumes_renews_and_polls(settings, big_connection):
    from datetime import timedelta

    from django.utils import timezone

    from forums.index.sync import index_polls_due, index_syncs_due

    settings.FORUMDECK_INDEX_AUTO_START = True
    assert index_syncs_due() == [big_connection.pk]
    sync = IndexSync.objects.get(connection=big_connection)
    assert sync.state == IndexSync.State.RUNNING and sync.generation == 1
    assert index_syncs_due() == []  # just started: its own task takes the steps
    now = timezone.now()
    IndexSync.objects.update(next_step_at=now - timedelta(hours=1))  # its worker died
    assert index_syncs_due() == [big_connection.pk]
    IndexSync.objects.update(
        state=IndexSync.State.COMPLETE, accounts_complete_at=now - timedelta(hours=48)
    )
    assert index_syncs_due() == [big_connection.pk]  # read whole again
    assert IndexSync.objects.get().generation == 2
    IndexSync.objects.update(
        state=IndexSync.State.COMPLETE, accounts_complete_at=now, polled_at=None
    )
    assert index_syncs_due() == [] and index_polls_due() == [big_connection.pk]
    IndexSync.objects.update(polled_at=now)
    assert index_polls_due() == []
