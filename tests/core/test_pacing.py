"""The per-forum slot book: the window's allowance at once, then the forum's rate, never more in
any window (the sandbox's call log is the judge), and never a long sleep in a page or a worker."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.db import connections

from forums import pacing
from forums.clients import get_client
from forums.pacing import (
    MAX_INLINE_WAIT,
    WEB_INLINE_WAIT,
    DatabasePacer,
    Priority,
    RedisPacer,
    book_shape,
    gap_after,
    get_pacer,
    pace_for,
)
from tests.conftest import SANDBOX_DISCOURSE_KEY
from tests.factories import ForumConnectionFactory

pytestmark = pytest.mark.django_db


# --- the two books ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def redis_url():
    """A Redis for the Redis book: the broker's when it is Redis, else a private redis-server
    on a loopback port (skipped where there is none, except in CI)."""
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("redis://"):
        yield settings.CELERY_BROKER_URL
        return
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("FORUMDECK_REQUIRE_ALL"):
            pytest.fail("redis-server is required in CI")
        pytest.skip("redis-server is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(params=["database", "redis"])
def pacer(request):
    if request.param == "database":
        return DatabasePacer()
    return RedisPacer(request.getfixturevalue("redis_url"))


def book(pacer, connection, n: int, max_wait: float = float("inf")) -> list[float]:
    """Book n slots for calls answered as soon as they are booked; the times booked."""
    times = []
    for _ in range(n):
        booking = pacer.book(connection, max_wait=max_wait)
        assert booking.booked
        times.append(float(booking.at))  # the time the book gave it...
        pacer.finished(connection, booking)  # ... and its answer came at once
    return times


@dataclass
class Timed:
    """One booking with the bounds of the times around it, read on this side: a busy machine
    may pause the test anywhere, so the checks below compare the book's times with these
    bounds, not with a fixed budget."""

    at: float  # the time the book gave the call
    booked_by: float  # the booking was answered by then (so ``at`` never waits past it idly)
    answered_from: float  # the call's answer was reported between these two
    answered_by: float


def book_timed(pacer, connection, n: int) -> list[Timed]:
    """``book``, keeping each booking's bounds."""
    timed = []
    for _ in range(n):
        booking = pacer.book(connection)
        booked_by = time.time()
        assert booking.booked
        answered_from = time.time()
        pacer.finished(connection, booking)
        timed.append(Timed(float(booking.at), booked_by, answered_from, time.time()))
    return timed


def assert_each_waits_one_window_after_the_call_n_before(timed: list[Timed], n: int, gap: float):
    """Call k goes one window (``gap``) after call k - n counted (its time, or its answer if
    that came later): not sooner (the window would hold n + 1 calls), and not later than that,
    than the call before it, or than its own booking (the book adds no wait of its own). 0.05 s
    absorbs clock reads and rounding, not the machine's pauses."""
    for k in range(n, len(timed)):
        before = timed[k - n]
        earliest = max(before.at, before.answered_from) + gap
        latest = max(max(before.at, before.answered_by) + gap, timed[k - 1].at, timed[k].booked_by)
        assert earliest - 0.05 <= timed[k].at <= latest + 0.05, (k, timed[k], timed[k - n])


def most_in_any_window(times: list[float], window: float) -> int:
    times, best, start = sorted(times), 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_the_windows_allowance_goes_at_once_then_one_window_after_each_call(pacer):
    connection = ForumConnectionFactory(requests_per_minute=600, rate_window_seconds=1)
    assert connection.rate_allowance == 10
    timed = book_timed(pacer, connection, 13)
    # The burst: no wait, each goes as soon as it is booked.
    assert all(t.at <= t.booked_by for t in timed[:10])
    # Then each waits for the call ten before it to leave the window.
    assert_each_waits_one_window_after_the_call_n_before(timed, 10, gap_after(1.0))


def test_no_window_of_the_book_holds_more_than_the_allowance(pacer):
    connection = ForumConnectionFactory(requests_per_minute=300, rate_window_seconds=2)
    timed = book_timed(pacer, connection, 40)
    times = [t.at for t in timed]
    assert most_in_any_window(times, 2.0) == 10
    # The true floor: (calls - allowance) / rate, and the margin on top of it; never sooner,
    # and no later than the answers this run reported allow (each call one window after the
    # answer of the call ten before it).
    assert times[-1] - times[0] >= (40 - 10) / 10 * gap_after(2.0) - 0.05
    assert_each_waits_one_window_after_the_call_n_before(timed, 10, gap_after(2.0))


def test_forums_are_paced_separately(pacer):
    a = ForumConnectionFactory(requests_per_minute=60, rate_window_seconds=60)
    b = ForumConnectionFactory(requests_per_minute=60, rate_window_seconds=60)
    book(pacer, a, 60)
    assert pacer.reserve(a, max_wait=0)[1] is False  # a's window is full for a minute
    assert pacer.reserve(b)[0] < 0.5  # b is free while a is busy


def test_a_hold_keeps_every_call_back_and_books_nothing_while_refused(pacer):
    connection = ForumConnectionFactory(requests_per_minute=600)
    pacer.hold_until(connection, time.time() + 45)
    delay, booked = pacer.reserve(connection, max_wait=MAX_INLINE_WAIT)
    assert not booked and delay == pytest.approx(45, abs=2)
    # A shorter hold never shortens a longer one.
    pacer.hold_until(connection, time.time() + 5)
    assert pacer.reserve(connection, max_wait=0)[0] == pytest.approx(45, abs=2)
    # Nothing was booked: once the hold ends, the whole allowance is there.
    pacer.hold_until(connection, time.time() + 0.2)  # (a fresh forum: its own book)
    fresh = ForumConnectionFactory(requests_per_minute=600, rate_window_seconds=1)
    hold_ends = time.time() + 0.3
    pacer.hold_until(fresh, hold_ends)
    timed = book_timed(pacer, fresh, 10)
    # Every one of the ten goes when the hold ends (or at once, if the hold is over by the
    # time it is booked): none waits a window for another.
    assert all(hold_ends - 0.05 <= t.at <= max(hold_ends, t.booked_by) + 0.05 for t in timed)


def test_a_smaller_limit_takes_effect_at_once(pacer):
    connection = ForumConnectionFactory(requests_per_minute=600, rate_window_seconds=1)
    book(pacer, connection, 10)
    connection.requests_per_minute = 300  # 5 a second now: the latest 5 calls fill the window
    assert pacer.reserve(connection, max_wait=0)[1] is False


def test_a_larger_limit_adds_slots_to_the_window(pacer):
    connection = ForumConnectionFactory(requests_per_minute=600, rate_window_seconds=1)
    book(pacer, connection, 10)
    connection.requests_per_minute = 1200  # 20 a second: ten more fit in this window
    times = book(pacer, connection, 10, max_wait=0.5)
    assert max(times) - time.time() < 0.5
    assert pacer.reserve(connection, max_wait=0)[1] is False


def test_a_big_allowance_keeps_a_small_ring_and_never_more_in_any_window(pacer, monkeypatch):
    monkeypatch.setattr(pacing, "RING_CAP", 10)
    # 25 in any 3 s: the ring holds 8 slots, each reused 1 s later (3 parts of 8 <= 25).
    connection = ForumConnectionFactory(requests_per_minute=500, rate_window_seconds=3)
    assert book_shape(connection) == (8, 1.0)
    times = book(pacer, connection, 30)
    assert most_in_any_window(times, 3.0) <= 25
    assert max(times[:8]) - time.time() < 0.1  # the burst
    if isinstance(pacer, DatabasePacer):
        from forums.models import ForumPaceSlot

        assert ForumPaceSlot.objects.filter(connection=connection).count() == 8


def test_a_slot_counts_from_the_answer_of_its_last_call(pacer, monkeypatch):
    """The forum counts a call when it arrives, which may be well after the call was booked to
    leave: the call k + N is booked only once call k has its answer, a window after it."""
    stale = 3.0  # long beside the steps below, however busy the machine
    monkeypatch.setattr(pacing, "STALE_SECONDS", stale)
    connection = ForumConnectionFactory(requests_per_minute=120, rate_window_seconds=1)
    first, second = pacer.book(connection), pacer.book(connection)
    assert first.booked and second.booked and first.delay < 0.1 and second.delay < 0.1
    third = pacer.book(connection, max_wait=5)
    assert not third.booked and third.in_flight  # the first call is still out
    time.sleep(0.3)  # the first call's answer comes late
    answered_from = time.time()
    pacer.finished(connection, first)
    answered_by = time.time()
    third = pacer.book(connection, max_wait=5)
    assert third.booked
    # One window after the answer, not after the booking.
    assert answered_from + gap_after(1.0) - 0.05 <= float(third.at)
    assert float(third.at) <= answered_by + gap_after(1.0) + 0.05
    # A call whose process died never answers: its slot is free again once it is stale.
    assert pacer.book(connection, max_wait=5).in_flight  # the second call: out for now
    deadline = time.monotonic() + 60
    while not (fourth := pacer.book(connection, max_wait=5)).booked:
        assert fourth.in_flight and time.monotonic() < deadline
        time.sleep(0.05)
    assert time.time() >= float(second.at) + stale - 0.05  # freed by staleness, not sooner


def test_a_call_that_never_leaves_frees_its_slot():
    connection = ForumConnectionFactory(requests_per_minute=60, rate_window_seconds=1)

    def cancelled():
        raise RuntimeError("cancelled while waiting")

    with pytest.raises(RuntimeError):
        pace_for(connection, then=cancelled)()
    delay, booked = get_pacer().reserve(connection, max_wait=5)
    assert booked and delay == pytest.approx(gap_after(1.0), abs=0.1)  # not STALE_SECONDS


def test_a_60_per_minute_forum_answers_a_page_without_waiting():
    """Most forums allow 60 a minute: a page's few calls go at once, not a second apart."""
    connection = ForumConnectionFactory(requests_per_minute=60)
    delays = [get_pacer().reserve(connection)[0] for _ in range(7)]
    assert max(delays) < 0.1


# --- waiting: a page never hangs, a worker is rescheduled ---------------------------------------
def test_a_page_does_not_wait_for_a_busy_forum_and_books_nothing(monkeypatch):
    connection = ForumConnectionFactory(name="Busy forum", requests_per_minute=60)
    book(get_pacer(), connection, 60)  # a run just sent the window's allowance
    wait = pace_for(connection)
    slept: list[float] = []
    monkeypatch.setattr(pacing.time, "sleep", slept.append)
    with pytest.raises(pacing.SlotRefused) as exc:
        wait()
    assert slept == []  # no sleep
    assert "Busy forum is busy with other Forumdeck work" in str(exc.value)
    assert exc.value.retry_after == pytest.approx(60, abs=2)


def test_a_held_forum_reschedules_a_task_instead_of_sleeping(monkeypatch):
    connection = ForumConnectionFactory(name="Held forum", requests_per_minute=600)
    get_pacer().hold_until(connection, time.time() + 45)
    monkeypatch.setattr(pacing, "in_task", lambda: True)
    wait = pace_for(connection)
    slept: list[float] = []
    monkeypatch.setattr(pacing.time, "sleep", slept.append)
    with pytest.raises(pacing.SlotRefused) as exc:
        wait()
    assert slept == []  # no sleep
    assert exc.value.retry_after == pytest.approx(45, abs=2)
    assert "Held forum" in str(exc.value)


def test_a_task_waits_longer_inline_than_a_page(monkeypatch):
    from celery import shared_task

    seen = {}

    @shared_task
    def probe():
        seen["limit"] = pacing.inline_wait_limit()

    probe.apply()
    assert seen["limit"] == MAX_INLINE_WAIT
    assert pacing.inline_wait_limit() == WEB_INLINE_WAIT < MAX_INLINE_WAIT
    # A slot 5 s away: a task sleeps for it, a page does not.
    connection = ForumConnectionFactory(requests_per_minute=600)
    get_pacer().hold_until(connection, time.time() + 5)
    slept = []
    monkeypatch.setattr(pacing.time, "sleep", slept.append)
    with pytest.raises(pacing.SlotRefused):
        pace_for(connection)()
    monkeypatch.setattr(pacing, "in_task", lambda: True)
    pace_for(connection)()
    assert slept and slept[0] == pytest.approx(5, abs=1)


# --- judged by the forum: the sandbox's call log ------------------------------------------------
def _burst_of_calls(discourse_sandbox, monkeypatch, threads: int = 4, each: int = 4) -> None:
    """16 calls through get_client from 4 threads at once, as a page's fan-out sends them."""
    app = discourse_sandbox.app
    app.config.rate_window_seconds = 1.0
    app.config.admin_requests_per_minute = 5  # the sandbox's limit is per its window
    connection = ForumConnectionFactory(
        base_url=discourse_sandbox.url,
        api_key=SANDBOX_DISCOURSE_KEY,
        requests_per_minute=300,  # 5 in any 1 s, as the forum counts
        rate_window_seconds=1,
    )
    app.calls.clear()
    errors = []
    bookings = []
    pacer = pacing.get_pacer()
    book_one = pacer.book

    def booked(*args, **kwargs):
        booking = book_one(*args, **kwargs)
        if booking.booked:
            bookings.append(booking)
        return booking

    monkeypatch.setattr(pacer, "book", booked)

    def job():
        try:
            with get_client(connection, pacer=pace_for(connection, max_wait=30)) as client:
                for _ in range(each):
                    client.request("GET", "/admin/users/list/active.json")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's own, when it booked through one

    workers = [threading.Thread(target=job) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    calls = sorted(app.calls.records(), key=lambda r: r.at)
    assert len(calls) == threads * each
    assert app.calls.count(status=429) == 0
    assert app.calls.max_in_any_window(1.0) == 5
    # The burst: the book let the first five go at once (however long a busy machine took to
    # send them), and the forum saw the sixth one window after the first.
    assert len(bookings) == threads * each
    assert [b.delay for b in sorted(bookings, key=lambda b: float(b.at))[:5]] == [0] * 5
    assert calls[5].at - calls[0].at >= 1.0


def test_threads_never_send_more_than_the_forum_allows_in_any_window(
    discourse_sandbox, pacer, monkeypatch
):
    monkeypatch.setattr(pacing, "get_pacer", lambda: pacer)
    _burst_of_calls(discourse_sandbox, monkeypatch)


@pytest.mark.django_db(transaction=True)
def test_threads_with_their_own_database_connections_share_one_book(discourse_sandbox, monkeypatch):
    """As in production: every thread books through its own connection, each booking its own
    transaction (SQLite: BEGIN IMMEDIATE under WAL; PostgreSQL: SELECT ... FOR UPDATE)."""
    database_pacer = DatabasePacer()
    monkeypatch.setattr(pacing, "get_pacer", lambda: database_pacer)
    _burst_of_calls(discourse_sandbox, monkeypatch)


@pytest.mark.django_db(transaction=True)
def test_forty_threads_booking_at_once_each_get_their_own_slot_and_failures_stay_apart():
    """A page's fan-out books from many threads at once. On SQLite one writer thread per
    process writes what is waiting together (elsewhere each thread writes its own): every
    booking still gets a slot of its own, the book counts all of them, and a write that fails
    fails only for its caller."""
    from forums.models import ForumPace

    database_pacer = DatabasePacer()
    connection = ForumConnectionFactory(requests_per_minute=600)  # 600 in any minute
    bookings, errors = [], []
    start = threading.Barrier(41)

    def job():
        try:
            start.wait(timeout=10)
            booking = database_pacer.book(connection)
            database_pacer.finished(connection, booking)
            bookings.append(booking)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    # A booking that cannot be written (a forum whose limit is unreadable) among them.
    broken = SimpleNamespace(pk=connection.pk, requests_per_minute=None, rate_window_seconds=60)

    def broken_write():
        start.wait(timeout=10)
        try:
            pacing._booked_together(pacing._BookRequest(broken, (), True))
            errors.append("the failed write did not raise")
        except TypeError:
            pass  # its own failure, and nobody else's
        finally:
            connections.close_all()

    workers = [threading.Thread(target=job) for _ in range(40)]
    workers.append(threading.Thread(target=broken_write))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    assert len(bookings) == 40 and all(b.booked and b.delay == 0 for b in bookings)
    assert sorted(b.slot_no for b in bookings) == list(range(40))
    assert ForumPace.objects.get(connection_id=connection.pk).booked == 40


@pytest.mark.django_db(transaction=True)
def test_a_pacing_writer_that_is_gone_is_replaced_and_nothing_waits_for_it(monkeypatch):
    """The writer thread is the process's only way to book on SQLite: should it be gone (a
    forked child, a crash), the next booking starts another instead of waiting for ever."""
    from django.db import connection as db

    if db.vendor != "sqlite":
        pytest.skip("only SQLite books through the writer thread")
    gone = threading.Thread(target=lambda: None)
    gone.start()
    gone.join()
    writer = pacing._Writer()
    writer.thread = gone
    monkeypatch.setattr(pacing, "_WRITER", writer)
    connection = ForumConnectionFactory(requests_per_minute=600)
    booking = DatabasePacer().book(connection)
    assert booking.booked and booking.delay == 0
    assert writer.thread is not gone and writer.thread.is_alive()


# --- priorities: changes first, then reads a person waits for, then the index's sync ------------
def book_as(pacer, connection, n: int, priority, max_wait: float = 0.0) -> int:
    """Book up to n slots of ``priority`` that need no wait; how many were booked."""
    booked = 0
    for _ in range(n):
        booking = pacer.book(connection, max_wait=max_wait, priority=priority)
        if not booking.booked:
            break
        pacer.finished(connection, booking)
        booked += 1
    return booked


def test_a_read_leaves_the_changes_their_reserve(pacer, settings):
    settings.FORUMDECK_PACE_CHANGE_RESERVE = 0.2  # 2 of a window of 10
    connection = ForumConnectionFactory(requests_per_minute=10, rate_window_seconds=60)
    assert book_as(pacer, connection, 20, Priority.READ) == 8  # reads stop two short
    refused = pacer.book(connection, max_wait=0, priority=Priority.READ)
    assert not refused.booked and not refused.yielded
    assert refused.delay == pytest.approx(60, abs=2)  # room for a read again in a window
    assert book_as(pacer, connection, 20, Priority.CHANGE) == 2  # the changes' reserve is there


def test_a_read_waits_for_a_change_already_queued(pacer):
    connection = ForumConnectionFactory(requests_per_minute=10, rate_window_seconds=60)
    assert book_as(pacer, connection, 10, Priority.CHANGE) == 10
    queued = pacer.book(connection, priority=Priority.CHANGE)  # goes in a window
    assert queued.booked and queued.delay == pytest.approx(60, abs=2)
    read = pacer.book(connection, max_wait=0, priority=Priority.READ)
    assert not read.booked and read.delay >= queued.delay - 1


def test_the_sync_takes_only_its_share_of_the_window(pacer, settings):
    settings.FORUMDECK_INDEX_SYNC_SHARE = 0.2
    connection = ForumConnectionFactory(requests_per_minute=10, rate_window_seconds=60)
    assert book_as(pacer, connection, 10, Priority.SYNC) == 2  # 20 % of 10
    # Everything else still has the rest of the window.
    assert book_as(pacer, connection, 10, Priority.READ) == 7  # (one left for changes)
    assert book_as(pacer, connection, 10, Priority.CHANGE) == 1
    other = ForumConnectionFactory(requests_per_minute=10, rate_window_seconds=60)
    assert book_as(pacer, other, 3, Priority.CHANGE) == 3
    # A window with 3 of 10 used has no room for the sync's share of 2.
    assert book_as(pacer, other, 10, Priority.SYNC) == 0


def test_the_sync_takes_no_slot_while_a_change_waits(pacer, settings):
    settings.FORUMDECK_INDEX_SYNC_SHARE = 0.5
    connection = ForumConnectionFactory(requests_per_minute=10, rate_window_seconds=60)
    pacer.hold_until(connection, time.time() + 0.3)  # the forum asked to wait a moment
    change = pacer.book(connection, max_wait=0, priority=Priority.CHANGE)
    assert not change.booked  # the change is told to come back when the hold ends
    # The hold is over (a read a person waits for gets its slot again) ...
    deadline = time.time() + 10
    while book_as(pacer, connection, 1, Priority.READ) == 0:
        assert time.time() < deadline
    # ... but the sync keeps off the forum until the change has come back for its slot.
    sync = pacer.book(connection, max_wait=0, priority=Priority.SYNC)
    assert not sync.booked
    assert 0 < sync.delay <= pacing.CHANGE_WAIT_GRACE_SECONDS + 1
    assert book_as(pacer, connection, 1, Priority.CHANGE) == 1


def test_a_read_a_person_waits_for_waits_a_bounded_time_then_is_refused(monkeypatch, settings):
    settings.FORUMDECK_PACE_CHANGE_RESERVE = 0.2
    connection = ForumConnectionFactory(name="Busy forum", requests_per_minute=10)
    assert book_as(get_pacer(), connection, 8, Priority.CHANGE) == 8
    slept: list[float] = []
    monkeypatch.setattr(pacing.time, "sleep", slept.append)
    with pytest.raises(pacing.SlotRefused) as exc:
        pace_for(connection)()  # a page's read: two slots are left, for changes
    assert slept == []
    assert exc.value.retry_after == pytest.approx(60, abs=2)
    booking = pace_for(connection, priority=Priority.CHANGE)()  # a change still goes at once
    assert booking.booked


# --- a run's calls: each answer goes with the next booking ----------------------------------------
def test_a_runs_answers_go_with_its_next_booking_and_the_window_still_holds(pacer, monkeypatch):
    """A batched pace (the bulk engine's) writes each call's answer with the next booking, in
    one write: the windows hold exactly as with an answer written at once, and the answers
    left when the client closes are written then."""
    monkeypatch.setattr(pacing, "get_pacer", lambda: pacer)
    connection = ForumConnectionFactory(requests_per_minute=300, rate_window_seconds=1)
    pace = pace_for(connection, max_wait=30, priority=Priority.CHANGE, batched=True)
    times = []
    for _ in range(17):
        booking = pace()
        times.append(float(booking.at))
        pace.finished(booking)  # kept back: written with the next booking
    assert most_in_any_window(times, 1.0) == 5
    assert times[-1] - times[0] >= (17 - 5) / 5 * gap_after(1.0) - 0.05
    # The last answer is still kept back: once the ring comes round to its slot, that call
    # counts as out ...
    for _ in range(4):
        other = pacer.book(connection, max_wait=30)
        assert other.booked
        pacer.finished(connection, other)
    assert pacer.book(connection, max_wait=5).in_flight
    pace.flush()
    # ... and once written, the slot is free a window after that answer, as ever.
    assert pacer.book(connection, max_wait=5).booked


def test_an_answer_kept_back_counts_from_when_it_came_not_from_when_it_is_written(
    pacer, monkeypatch
):
    """A run's answer rides with its next booking, but the forum's window runs from when the
    answer came: on a forum allowing one call every 2 s, a call booked a second after the last
    answer waits the second left, not a whole window more. (Redis once counted from the
    write: at 6 a minute in 10 s every next call sat 10.05 s out, past a task's longest wait,
    and a run rescheduled itself for ever.)"""
    monkeypatch.setattr(pacing, "get_pacer", lambda: pacer)
    connection = ForumConnectionFactory(requests_per_minute=30, rate_window_seconds=2)
    assert book_shape(connection) == (1, 2.0)
    pace = pace_for(connection, max_wait=30, priority=Priority.CHANGE, batched=True)
    pace.finished(pace())
    answered = time.time()
    time.sleep(1.0)
    booking = pace()  # the answer goes with this booking, a second after it came
    assert float(booking.at) <= answered + gap_after(2.0) + 0.25
    assert float(booking.at) >= answered + gap_after(2.0) - 0.25  # and the window still holds
    pace.finished(booking)
    pace.flush()


def test_a_batched_pace_writes_once_a_call_not_twice(monkeypatch):
    """On the database book: a call paced one by one opens two transactions (the booking, then
    its answer); batched, one (the answer rides with the next booking)."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    database_pacer = DatabasePacer()
    monkeypatch.setattr(pacing, "get_pacer", lambda: database_pacer)
    writes = {"n": 0}
    booked_together = pacing._booked_together

    def counted(request):
        writes["n"] += 1
        return booked_together(request)

    monkeypatch.setattr(pacing, "_booked_together", counted)

    def per_call(batched: bool) -> tuple[float, float]:
        connection = ForumConnectionFactory(requests_per_minute=6000, rate_window_seconds=60)
        pace = pace_for(connection, max_wait=30, priority=Priority.CHANGE, batched=batched)
        pace.finished(pace())  # the first booking lays the ring out: not counted
        pace.flush()
        writes["n"] = 0
        with CaptureQueriesContext(db) as queries:
            for _ in range(20):
                pace.finished(pace())
            pace.flush()
        return writes["n"] / 20, len(queries) / 20

    one_by_one, batched = per_call(False), per_call(True)
    assert one_by_one[0] == 2
    assert batched[0] == pytest.approx(1.05)  # 20 bookings, and the last answer on closing
    assert batched[1] <= one_by_one[1]
    print(f"writes/queries a call: one by one {one_by_one}, batched {batched}")


@pytest.mark.django_db(transaction=True)
def test_a_batched_client_never_sends_more_than_the_forum_allows(
    discourse_sandbox, pacer, monkeypatch
):
    """Judged by the sandbox's call log: a run's client (batched answers) keeps to 5 calls in
    any 1 s, and on closing leaves no call counted as out."""
    monkeypatch.setattr(pacing, "get_pacer", lambda: pacer)
    app = discourse_sandbox.app
    app.config.rate_window_seconds = 1.0
    app.config.admin_requests_per_minute = 5
    connection = ForumConnectionFactory(
        base_url=discourse_sandbox.url, api_key=SANDBOX_DISCOURSE_KEY,
        requests_per_minute=300, rate_window_seconds=1,
    )  # fmt: skip
    app.calls.clear()
    pace = pace_for(connection, max_wait=30, priority=Priority.CHANGE, batched=True)
    with get_client(connection, pacer=pace) as client:
        for _ in range(13):
            client.request("GET", "/admin/users/list/active.json")
    assert app.calls.count(status=429) == 0
    assert app.calls.max_in_any_window(1.0) == 5
    assert pace._answers == []  # written when the client closed


# --- bookings written together (the SQLite writer's batches) ----------------------------------
def _laid_out(n: int, per_minute: int = 600) -> list:
    """``n`` forums, each booked once already (its ring laid out), that call answered."""
    database_pacer = DatabasePacer()
    forums = [ForumConnectionFactory(requests_per_minute=per_minute) for _ in range(n)]
    for forum in forums:
        database_pacer.finished(forum, database_pacer.book(forum))
    return forums


def test_a_fan_out_of_twenty_bookings_is_written_in_a_few_statements():
    """A page asking 20 forums books 20 slots at once; the writer decides all of them on one
    read of the forums' books and writes them in two statements (one by one, each took five
    of its own while the others queued). Every forum still gets its own next slot."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from forums.models import ForumPace

    forums = _laid_out(20)
    requests = [pacing._BookRequest(f, (), True, 3.0, Priority.READ) for f in forums]
    with CaptureQueriesContext(db) as queries:
        bookings = pacing._book_all(requests)
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"].upper()]
    assert len(statements) <= 4, statements
    assert all(b is not None and b.booked and b.delay == 0 for b in bookings)
    assert [b.slot_no for b in bookings] == [1] * 20  # each forum's second slot
    assert set(ForumPace.objects.filter(pk__in=[f.pk for f in forums]).values_list(
        "booked", flat=True
    )) == {2}  # fmt: skip


def test_a_batch_records_each_answer_before_the_booking_after_it_and_books_in_order():
    """Two calls fill a two-call ring; a batch carries their answers and then three bookings
    of the same forum: the first two take the answered slots a window after the answers
    (never before), the third is told to wait for the first of those."""
    database_pacer = DatabasePacer()
    forum = ForumConnectionFactory(requests_per_minute=2, rate_window_seconds=60)
    first = database_pacer.book(forum)
    second = database_pacer.book(forum)
    answered = time.time()
    answers = (pacing.Answer(first, answered), pacing.Answer(second, answered))
    results = pacing._book_all(
        [
            pacing._BookRequest(forum, answers),
            pacing._BookRequest(forum, (), True, 120.0, Priority.CHANGE),
            pacing._BookRequest(forum, (), True, 120.0, Priority.CHANGE),
            pacing._BookRequest(forum, (), True, 30.0, Priority.CHANGE),
        ]
    )
    assert results[0] is None  # answers alone
    third, fourth, refused = results[1:]
    assert third.booked and fourth.booked and (third.slot_no, fourth.slot_no) == (0, 1)
    assert third.at >= answered + gap_after(60.0) and fourth.at >= third.at
    assert not refused.booked and refused.delay > 30.0  # a window away: refused, not booked
    again = database_pacer.book(forum, max_wait=0.0)
    assert not again.booked  # the book holds what the batch wrote


def test_a_booking_that_fails_in_a_batch_fails_alone():
    """Should the batch's statements fail, each booking is written again on its own: the
    broken one gets its own error, the others their slots."""
    forums = _laid_out(3)
    broken = SimpleNamespace(pk=forums[0].pk, requests_per_minute=None, rate_window_seconds=60)
    writes = [
        pacing._Write(pacing._BookRequest(f, (), True, 3.0, Priority.READ))
        for f in [forums[1], broken, forums[2]]
    ]
    pacing._book_writes(writes)
    assert isinstance(writes[1].error, TypeError)
    assert writes[0].error is None and writes[0].value.booked
    assert writes[2].error is None and writes[2].value.booked
