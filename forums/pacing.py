"""One slot book per forum, shared by every call from every page, task, worker and host.

A forum limits its API the way Discourse's RateLimiter does: at most N requests in any W
seconds, a sliding log of timestamps (ENDPOINTS.md "Rate limits"; the sandbox's
``SlidingWindowLimiter``). The book models exactly that: call k may go at

    max(now, answer of call k - N  +  W  +  margin, time of call k - 1, any hold)

so a run first sends the window's allowance at once and then keeps the rate, and no window of W
seconds ever holds more than N of our calls: its time is (calls - N) / rate, the true floor.
N is the connection's ``rate_allowance`` (requests per minute x window / 60), W its
``rate_window_seconds``. A slot counts from its call's *answer* (``finished``), not from when the
call was booked to leave: the forum counted the call somewhere in between, so a call that left
late (a busy thread, a slow transaction) never lets the next window's call arrive early. Until
the answer is in, the slot's next booking waits (a call whose process died stops counting after
``STALE_SECONDS``).

The book is a ring of the latest N call times (O(1) a booking): slot ``k % N`` holds call k - N.
It lives in Redis when Celery's broker is Redis (a hash, one Lua script a booking), else in the
database (``ForumPace`` + ``ForumPaceSlot`` rows, one ring row per slot, made the first time
that slot is booked and locked through the ``ForumPace`` row).

A big allowance keeps the ring small: past ``RING_CAP`` slots the window is cut into ``k`` equal
parts, each allowing ``N // k`` calls (``book_shape``). Any window of W seconds is covered by k
such parts, so it holds at most k x (N // k) <= N calls: never over the limit, at the price of a
burst of N // k instead of N (6,000/min on a 60 s window: 1,000 at once, then 1,000 per 10 s).
A limit edited to fewer slots keeps the latest calls; one edited up adds free slots.

Every call takes its slot here (``forums.clients.get_client`` paces by default): health checks,
searches, person pages, group, tag, backup and calendar reads, and bulk runs. Nobody sleeps long
for a slot: a task waits at most ``MAX_INLINE_WAIT`` and is rescheduled beyond it; a web page at
most ``WEB_INLINE_WAIT``, beyond which the call fails at once with a plain "busy" message (the
overview card, the search row or the person page says so) instead of hanging. A refused wait
books nothing. A 429's Retry-After or an outage's back-off is a hold (``hold_until``): nobody
calls that forum before it ends.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from enum import IntEnum
from functools import lru_cache
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F

logger = logging.getLogger(__name__)

# The margin added to each window. A slot counts from its call's answer, by when the forum has
# surely counted the call, so the next call cannot arrive inside the old window whatever the
# delays on the way; the margin only absorbs clock granularity and rounding.
MARGIN_SECONDS = 0.002
# At most this many slots per forum's ring (rows in the database, entries in Redis).
RING_CAP = 1000
# A booked call that never reported its answer (its process died) stops holding its slot this
# long after its time: by then it has surely reached the forum, or never will.
STALE_SECONDS = 30.0
# How soon to ask again for a slot whose last call is still out, once that call's time is due.
POLL_SECONDS = 0.005
# A worker waits inline for a slot at most this long; a later slot is not booked, and the task
# is rescheduled for it instead (a long sleep would hold the worker and outlive the action's
# lease).
MAX_INLINE_WAIT = 10.0
# A web request waits at most this long per call: a page never hangs on a busy forum. A health
# check's 4-7 calls each find a slot within a second or two while a run keeps the forum's rate;
# only a forum whose window a run has just filled (or that asked us to wait) is "busy".
WEB_INLINE_WAIT = 3.0


class Priority(IntEnum):
    """Who asks for a slot, most urgent first. A change (a single action, a bulk run, a cancel)
    takes any slot the forum's window allows. A read a person waits for (a page) takes a slot
    only while the window keeps ``FORUMDECK_PACE_CHANGE_RESERVE`` of its slots free for
    changes, else it waits a bounded time (the page's inline wait) and then the page answers
    from the index. The index's sync and polls take a slot only while the window is at most
    ``FORUMDECK_INDEX_SYNC_SHARE`` used (so they never take more than that share of the
    forum's budget, and none of a budget others use) and never while a change is waiting."""

    CHANGE = 0
    READ = 1
    SYNC = 2


# A change refused a slot counts as waiting this long past the time it was told to come back
# (the task's retry): the sync stays off the forum until then.
CHANGE_WAIT_GRACE_SECONDS = 5.0


def slots_needed(connection, priority: Priority) -> int:
    """How many of the window's slots must be free now for a booking of ``priority`` to take
    one: 1 for a change; for a read, 1 plus the changes' reserve; for the sync, enough that
    after its call at most the sync's share of the window is used."""
    ring, _ = book_shape(connection)
    if priority == Priority.CHANGE:
        return 1
    if priority == Priority.READ:
        reserve = math.floor(ring * settings.FORUMDECK_PACE_CHANGE_RESERVE)
        return 1 + min(reserve, ring - 1)
    room = max(math.floor(ring * settings.FORUMDECK_INDEX_SYNC_SHARE), 1)
    return ring - room + 1


class Booking(NamedTuple):
    delay: float  # booked: seconds until the slot; refused: seconds until worth asking again
    booked: bool  # False: not booked (too far away, or the slot's last call is still out)
    slot_no: int = 0  # where in the ring: the call's answer is recorded there (``finished``)
    at: float | str = 0.0  # the booked time, as the book stores it (identifies the booking)
    in_flight: bool = False  # refused because the slot's last call has no answer yet
    # refused because the booking's priority leaves the forum's free slots to more urgent work
    # for ``delay`` more seconds (within the wait asked for: ask again then)
    yielded: bool = False


class Answer(NamedTuple):
    """A booked call's answer came in at ``at`` (time.time()): its slot's next use waits a
    window from then."""

    booking: Booking
    at: float


def book_shape(connection) -> tuple[int, float]:
    """(slots in the ring, seconds each slot's next use waits): N calls in W seconds, or, for a
    big N, N // k calls in W / k seconds with k the fewest parts that keep the ring within
    ``RING_CAP``."""
    window = float(max(connection.rate_window_seconds, 1))
    allowance = max(connection.requests_per_minute * connection.rate_window_seconds // 60, 1)
    parts = math.ceil(allowance / RING_CAP)
    return allowance // parts, window / parts


def gap_after(window: float) -> float:
    """How long after call k - N call k may go: the window and its margin."""
    return window + MARGIN_SECONDS


def pacing_seconds(connection, calls: int) -> float:
    """How long the book makes ``calls`` calls take, at the least: the first ring's worth at
    once, then a ring's worth per (margined) window."""
    ring, window = book_shape(connection)
    return max(calls - ring, 0) / ring * gap_after(window)


# SQLite's writers do not queue: one that finds the database locked sleeps and tries again (the
# busy handler backs off up to tens of milliseconds), so twenty threads booking at once (the
# overview, a people search) mostly waited on each other's sleeps; taking turns on a lock still
# cost each booking a connection of its own and a transaction, slowed by the threads' other
# work: 80 bookings added 0.3 s to the overview of 20 forums. So on SQLite one thread per
# process writes the bookings and answers: whatever is waiting goes in one transaction, through
# one connection kept open while there is work. The bookings and answers waiting are decided
# together in four statements (``_book_all``): a page's fan-out books 20 forums at once, and
# one by one each took five statements of its own while the others queued behind it. (Should
# the statements fail, each is written again on its own, so one failure stays its own.)
# Other processes still meet SQLite's busy timeout; PostgreSQL (row locks) and Redis are not
# concerned, and a thread already inside a transaction (on SQLite it holds the write lock)
# writes its own, as before.
class _Write:
    """A request waiting for the writer, and what came of it."""

    __slots__ = ("request", "done", "value", "error")

    def __init__(self, request: _BookRequest) -> None:
        self.request = request  # a booking or answers: written with the others (_book_all)
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class _BookRequest(NamedTuple):
    """One write of the slot book: ``answers`` to record, then, when ``book``, a booking."""

    connection: Any
    answers: tuple[Answer, ...]
    book: bool = False
    max_wait: float = float("inf")
    priority: Priority = Priority.CHANGE


class _Writer:
    """This process's pacing writer: one thread with one database connection while there is
    work, writing whatever bookings and answers are waiting in one transaction. (Started again
    in a forked child, where the parent's thread does not exist.)"""

    IDLE_SECONDS = 5.0  # then its connection is closed until the next write

    def __init__(self) -> None:
        self._reset()
        # A child forked while another thread held the lock would find it held for ever.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self.lock = threading.Lock()
        self.wake = threading.Condition(self.lock)
        self.queue: list[_Write] = []
        self.thread: threading.Thread | None = None

    def _ensure_thread(self) -> None:
        """(With the lock held.) Start the writer if this process has none alive."""
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._loop, name="pacer-writer", daemon=True)
            self.thread.start()

    def run(self, request: _BookRequest) -> Any:
        write = _Write(request)
        with self.lock:
            self._ensure_thread()
            self.queue.append(write)
            self.wake.notify()
        while not write.done.wait(1.0):
            with self.lock:
                self._ensure_thread()  # never wait on a writer that is gone
        if write.error is not None:
            raise write.error
        return write.value

    def _loop(self) -> None:
        while True:  # every error is handed to the writes it concerns: the loop never ends
            with self.lock:
                if not self.queue:
                    self.wake.wait(self.IDLE_SECONDS)
                batch, self.queue = self.queue, []
            if not batch:
                self._close()
                continue
            try:
                with transaction.atomic():
                    _book_writes(batch)
            except BaseException as exc:  # the commit failed: nothing of the batch was written
                for write in batch:
                    write.value, write.error = None, write.error or exc
                self._close()  # a broken connection is not kept
            finally:
                for write in batch:
                    write.done.set()

    @staticmethod
    def _close() -> None:
        try:
            db_connection.close()
        except Exception:  # noqa: BLE001 - a connection that cannot even close is gone anyway
            logger.warning("The pacing writer could not close its database connection")


_WRITER = _Writer()


def _booked_together(request: _BookRequest) -> Booking | None:
    """Write ``request`` to the book: on SQLite through this process's pacing writer, with
    every other booking and answer waiting, in a few statements for all of them
    (``_book_all``); elsewhere, or inside a transaction, directly."""
    if db_connection.vendor != "sqlite" or db_connection.in_atomic_block:
        return _book_all([request])[0]
    return _WRITER.run(request)


def _book_writes(writes: list[_Write]) -> None:
    """(The writer's transaction.) The waiting bookings and answers, together; should that
    fail, each on its own, so that a write that fails fails only for its caller."""
    if not writes:
        return
    try:
        values = _book_all([w.request for w in writes])
    except Exception:  # noqa: BLE001 - retried one by one below, each with its own error
        logger.info("Pacing writes failed together; writing them one by one", exc_info=True)
    else:
        for write, value in zip(writes, values, strict=True):
            write.value = value
        return
    for write in writes:
        try:
            write.value = _book_all([write.request])[0]
        except Exception as exc:
            write.error = exc


def _book_all(requests: list[_BookRequest]) -> list[Booking | None]:
    """Every request's answers, then each booking (None for answers alone), in order, in a
    few statements however many requests there are: the answers in one, the heads of the
    forums booked locked and their rings read in two, everything decided here (``_Book``),
    and what changed written in two more.

    A forum's first booking, or one whose ring size changed (its limit was edited), first
    creates its head or lays its ring out (``DatabasePacer._lay_out``), after the answers."""
    from forums.models import ForumPace

    with transaction.atomic():
        answered = [
            (a.at, a.at, False, r.connection.pk, a.booking.slot_no, float(a.booking.at), True)
            for r in requests
            for a in r.answers
        ]
        if answered:
            with db_connection.cursor() as cursor:
                cursor.executemany(_statements().answer, answered)
        booking_ids = sorted({r.connection.pk for r in requests if r.book})
        if not booking_ids:
            return [None] * len(requests)
        heads = ForumPace.objects.select_for_update().filter(connection_id__in=booking_ids)
        rows = {row.pk: row for row in heads}
        checked: set[int] = set()
        for request in requests:
            cid = request.connection.pk
            if not request.book or cid in checked:
                continue
            checked.add(cid)
            ring = book_shape(request.connection)[0]
            row = rows.get(cid)
            if row is None:  # locked once it exists: another booking may have laid it out
                ForumPace.objects.get_or_create(connection_id=cid)
                row = rows[cid] = ForumPace.objects.select_for_update().get(connection_id=cid)
            if row.ring_size != ring:
                DatabasePacer._lay_out(row, ring)
        rings: dict[int, dict[int, list[Any]]] = {cid: {} for cid in booking_ids}
        with db_connection.cursor() as cursor:
            cursor.execute(
                _statements().rings.format(", ".join(["%s"] * len(booking_ids))), booking_ids
            )
            for cid, slot_no, at, pending in cursor.fetchall():
                rings[cid][slot_no] = [at, bool(pending)]
        book = _Book(rows, rings)
        results = [book.take(r) if r.book else None for r in requests]
        book.write()
    return results


class _Book:
    """Forums' heads (``ForumPace``) and rings (slot number -> [at, pending]) read once, the
    bookings decided on them in memory (``take``: the order of the rules is the book's own),
    and what changed written at the end (``write``)."""

    def __init__(self, rows: dict[int, Any], rings: dict[int, dict[int, list[Any]]]) -> None:
        self.rows = rows
        self.rings = rings
        self.changed_slots: set[tuple[int, int]] = set()
        self.changed_rows: set[int] = set()

    def take(self, request: _BookRequest) -> Booking:
        cid = request.connection.pk
        ring_slots = self.rings[cid]
        connection, priority, max_wait = request.connection, request.priority, request.max_wait
        row = self.rows[cid]
        ring, window = book_shape(connection)
        gap = gap_after(window)
        slot_no = row.booked % ring
        now = time.time()
        if priority != Priority.CHANGE:
            # A read or the sync leaves the forum's free slots to more urgent work (see
            # ``Priority``): refused while fewer than it needs are free.
            if priority == Priority.SYNC and row.change_waiting_until > now:
                wait = row.change_waiting_until - now
                return Booking(wait, False, slot_no, yielded=wait <= max_wait)
            when = _nth_free(
                [(at, pending) for at, pending in ring_slots.values()],
                ring=ring, need=slots_needed(connection, priority), gap=gap, now=now,
                not_before=row.next_slot,
            )  # fmt: skip
            if when > now:
                return Booking(when - now, False, slot_no, yielded=when - now <= max_wait)
        previous = ring_slots.get(slot_no)
        slot = max(now, row.next_slot)
        if previous is not None:
            at, pending = previous
            if pending and now < at + STALE_SECONDS:
                # That call is out (or about to leave): when the forum counts it is known
                # once its answer is in. Ask again then; refuse if even the earliest slot
                # it leaves is too far.
                refused = Booking(max(at - now, 0.0) + POLL_SECONDS, False, slot_no)
                if max(slot, at + gap) - now > max_wait:
                    return self._refused(
                        row, priority, now, refused._replace(delay=max(slot, at + gap) - now)
                    )
                return refused._replace(in_flight=True)
            # A stale call counts as arrived at the latest when it went stale.
            slot = max(slot, (at + STALE_SECONDS if pending else at) + gap)
        if slot - now > max_wait:
            return self._refused(row, priority, now, Booking(slot - now, False, slot_no))
        ring_slots[slot_no] = [slot, True]
        self.changed_slots.add((cid, slot_no))
        row.next_slot, row.booked = slot, row.booked + 1
        self.changed_rows.add(cid)
        return Booking(max(slot - now, 0.0), True, slot_no, slot)

    def _refused(self, row, priority: Priority, now: float, refused: Booking) -> Booking:
        """A change refused a slot is waiting for the forum until it comes back for it: the
        sync keeps off the forum until then."""
        if priority == Priority.CHANGE:
            until = now + refused.delay + CHANGE_WAIT_GRACE_SECONDS
            if row.change_waiting_until < until:
                row.change_waiting_until = until
                self.changed_rows.add(row.pk)
        return refused

    def write(self) -> None:
        """What changed, in one statement for the slots and one for the heads (each run once
        per row by the database driver): the ORM's bulk helpers cost more Python per row
        than the whole decision does."""
        statements = _statements()
        with db_connection.cursor() as cursor:
            if self.changed_slots:
                cursor.executemany(
                    statements.upsert_slot,
                    [
                        (connection_id, slot_no, *self.rings[connection_id][slot_no])
                        for connection_id, slot_no in sorted(self.changed_slots)
                    ],
                )
            if self.changed_rows:
                cursor.executemany(
                    statements.update_head,
                    [
                        (row.next_slot, row.booked, row.change_waiting_until, row.pk)
                        for row in (self.rows[c] for c in sorted(self.changed_rows))
                    ],
                )


class _Statements(NamedTuple):
    answer: str  # a call's answer: its slot, if still the call's, counts from when it came
    rings: str  # the rings of some forums (``{}``: their ids' placeholders)
    upsert_slot: str  # a slot written whether or not its row exists yet
    update_head: str


@functools.cache
def _statements() -> _Statements:
    """The slot book's own statements, named from the models (only names go into them; the
    values are parameters). SQLite and PostgreSQL both take them."""
    from forums.models import ForumPace, ForumPaceSlot

    def name(model: Any, field: str) -> str:
        return db_connection.ops.quote_name(str(model._meta.get_field(field).column))

    slots = db_connection.ops.quote_name(ForumPaceSlot._meta.db_table)
    cid, no, at, pending = (
        name(ForumPaceSlot, f) for f in ("connection", "slot_no", "at", "pending")
    )
    heads = db_connection.ops.quote_name(ForumPace._meta.db_table)
    key, next_slot, booked, waiting = (
        name(ForumPace, f) for f in ("connection", "next_slot", "booked", "change_waiting_until")
    )
    return _Statements(
        answer=(
            f"UPDATE {slots} SET {at} = CASE WHEN {at} < %s THEN %s ELSE {at} END, "  # noqa: S608
            f"{pending} = %s WHERE {cid} = %s AND {no} = %s AND {at} = %s AND {pending} = %s"
        ),
        rings=f"SELECT {cid}, {no}, {at}, {pending} FROM {slots} WHERE {cid} IN ({{}})",  # noqa: S608
        upsert_slot=(
            f"INSERT INTO {slots} ({cid}, {no}, {at}, {pending}) VALUES (%s, %s, %s, %s) "  # noqa: S608
            f"ON CONFLICT ({cid}, {no}) DO UPDATE SET {at} = excluded.{at}, "
            f"{pending} = excluded.{pending}"
        ),
        update_head=(
            f"UPDATE {heads} SET {next_slot} = %s, {booked} = %s, {waiting} = %s "  # noqa: S608
            f"WHERE {key} = %s"
        ),
    )


def _nth_free(
    slots: list[tuple[float, bool]],
    *,
    ring: int,
    need: int,
    gap: float,
    now: float,
    not_before: float,
) -> float:
    """When the ``need``-th of the ring's slots is free: a slot never used is free now, one
    whose call is answered a window after its answer, one whose call is still out not before
    a moment from now; none before ``not_before`` (a hold, or a call booked ahead)."""
    frees = [0.0] * max(ring - len(slots), 0)
    for at, pending in slots:
        free = at + gap
        if pending and now < at + STALE_SECONDS:
            free = max(free, now + POLL_SECONDS)
        frees.append(free)
    frees.sort()
    return max(frees[min(need, len(frees)) - 1], not_before)


class DatabasePacer:
    """The book in the database: ``ForumPace`` (booked count, ring size, not-before time) locked
    with SELECT ... FOR UPDATE (on SQLite the IMMEDIATE transaction serialises bookings, and
    one writer thread per process writes them, see _Writer), and
    ``ForumPaceSlot`` rows, the ring. Four short statements for a booking, or for all the
    bookings and answers the writer finds waiting (``_book_all``)."""

    def reserve(self, connection, max_wait: float = float("inf")) -> tuple[float, bool]:
        """Book the forum's next slot if it is at most ``max_wait`` away, for a call that is
        over as soon as it leaves; return (seconds to wait, booked)."""
        booking = self.book(connection, max_wait)
        if booking.booked:
            self.finished(connection, booking)
        return booking.delay, booking.booked

    def book(
        self,
        connection,
        max_wait: float = float("inf"),
        priority: Priority = Priority.CHANGE,
        answers: tuple[Answer, ...] = (),
    ) -> Booking:
        """Book the forum's next slot; ``answers`` (calls answered since, see ``Pace``) are
        recorded first, in the same transaction."""
        booking = _booked_together(_BookRequest(connection, answers, True, max_wait, priority))
        assert booking is not None
        return booking

    def finished(self, connection, booking: Booking) -> None:
        """The call booked in ``booking`` has its answer (or gave up): the forum counted it by
        now at the latest, so its slot's next use waits a window from now."""
        self.answered(connection, (Answer(booking, time.time()),))

    def answered(self, connection, answers: tuple[Answer, ...]) -> None:
        """Record calls' answers (each at its own time) in one write."""
        if answers:
            _booked_together(_BookRequest(connection, tuple(answers)))

    @staticmethod
    def _lay_out(row, ring: int) -> None:
        """A new ring size (the forum's limit was edited, or a first booking): keep the latest
        ``ring`` call times, the oldest in slot 0, and book from slot 0."""
        from forums.models import ForumPace, ForumPaceSlot

        slots = ForumPaceSlot.objects.filter(connection_id=row.pk)
        times = sorted(slots.values_list("at", "pending"))[-ring:]
        slots.delete()
        ForumPaceSlot.objects.bulk_create(
            ForumPaceSlot(connection_id=row.pk, slot_no=i + ring - len(times), at=at, pending=p)
            for i, (at, p) in enumerate(times)
        )
        # Slots 0 .. ring - len(times) - 1 are empty: free now, as they were before the change.
        ForumPace.objects.filter(pk=row.pk).update(ring_size=ring, booked=0)
        row.ring_size, row.booked = ring, 0

    def hold_until(self, connection, until: float) -> None:
        """Nobody calls this forum before ``until`` (after a 429 or an outage)."""
        from django.db.models import Case, Value, When

        from forums.models import ForumPace

        ForumPace.objects.get_or_create(connection_id=connection.pk)
        ForumPace.objects.filter(connection_id=connection.pk).update(
            next_slot=Case(When(next_slot__lt=until, then=Value(until)), default=F("next_slot"))
        )


# KEYS: the ring (a hash: "size"; "n", calls booked since it was laid out; slot number -> call
# time; "p" .. slot number, present while that call is out), the not-before time, and until
# when a change waits for the forum.
# ARGV: ring size, gap after a slot's call, longest wait, seconds to keep the keys, seconds
# after which a call that is still out counts as arrived, how soon to ask again, the
# priority (0 change, 1 read, 2 sync), the free slots it needs, a refused change's grace.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ring = tonumber(ARGV[1])
local gap = tonumber(ARGV[2])
local size = tonumber(redis.call('HGET', KEYS[1], 'size') or '0')
if size ~= ring then
  local times = {}
  for i = 0, size - 1 do
    local at = redis.call('HGET', KEYS[1], tostring(i))
    if at then
      table.insert(times, {tonumber(at), redis.call('HGET', KEYS[1], 'p' .. i), at})
    end
  end
  table.sort(times, function(a, b) return a[1] < b[1] end)
  local keep = math.min(#times, ring)
  redis.call('DEL', KEYS[1])
  for j = 1, keep do
    local entry = times[#times - keep + j]
    local slot_no = tostring(ring - keep + j - 1)
    redis.call('HSET', KEYS[1], slot_no, entry[3])
    if entry[2] then redis.call('HSET', KEYS[1], 'p' .. slot_no, '1') end
  end
  redis.call('HSET', KEYS[1], 'size', ring, 'n', 0)
end
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local slot_no = tostring(n % ring)
local not_before = tonumber(redis.call('GET', KEYS[2]) or '0')
local slot = math.max(now, not_before)
local priority = tonumber(ARGV[7])
local longest = tonumber(ARGV[3])
local function refused(delay)
  if priority == 0 then
    local until_ = now + delay + tonumber(ARGV[9])
    if until_ > tonumber(redis.call('GET', KEYS[3]) or '0') then
      redis.call('SET', KEYS[3], string.format('%.6f', until_), 'EX', math.ceil(until_ - now) + 1)
    end
  end
  return {tostring(delay), 0, slot_no, '', 0, 0}
end
if priority == 2 then
  local waiting = tonumber(redis.call('GET', KEYS[3]) or '0')
  if waiting > now then
    return {tostring(waiting - now), 0, slot_no, '', 0, (waiting - now <= longest) and 1 or 0}
  end
end
if priority > 0 then
  local frees = {}
  local fields = redis.call('HGETALL', KEYS[1])
  local times, out = {}, {}
  for i = 1, #fields, 2 do
    local name = fields[i]
    if string.sub(name, 1, 1) == 'p' then
      out[string.sub(name, 2)] = true
    elseif name ~= 'size' and name ~= 'n' then
      times[name] = tonumber(fields[i + 1])
    end
  end
  for i = 0, ring - 1 do
    local at = times[tostring(i)]
    local free = 0
    if at then
      free = at + gap
      if out[tostring(i)] and now < at + tonumber(ARGV[5]) then
        free = math.max(free, now + tonumber(ARGV[6]))
      end
    end
    table.insert(frees, free)
  end
  table.sort(frees)
  local when = math.max(frees[math.min(tonumber(ARGV[8]), #frees)], not_before)
  if when > now then
    return {tostring(when - now), 0, slot_no, '', 0, (when - now <= longest) and 1 or 0}
  end
end
local previous = redis.call('HGET', KEYS[1], slot_no)
if previous then
  local at = tonumber(previous)
  if redis.call('HGET', KEYS[1], 'p' .. slot_no) then
    if now < at + tonumber(ARGV[5]) then
      local earliest = math.max(slot, at + gap)
      if earliest - now > longest then
        return refused(earliest - now)
      end
      return {tostring(math.max(at - now, 0) + tonumber(ARGV[6])), 0, slot_no, '', 1, 0}
    end
    at = at + tonumber(ARGV[5])
  end
  slot = math.max(slot, at + gap)
end
if slot - now > longest then
  return refused(slot - now)
end
local keep = math.ceil(slot - now) + tonumber(ARGV[4])
local text = string.format('%.6f', slot)
redis.call('HSET', KEYS[1], slot_no, text, 'p' .. slot_no, '1', 'n', n + 1)
redis.call('EXPIRE', KEYS[1], keep)
redis.call('SET', KEYS[2], text, 'EX', keep)
return {tostring(slot - now), 1, slot_no, text, 0, 0}
"""
# ARGV: the slot number, its call time as booked, and how long ago (by our clock, when the
# script was sent) the answer came in: a run's answers kept back for its next booking count
# from when they came, as the database book records them, never from when they were written
# (a one-call-a-window forum would otherwise push every next call a whole window out, past a
# task's longest wait, for ever). An age measured before the script runs only makes the
# answer later than it was, never earlier, whatever the two clocks say.
_FINISHED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000 - math.max(tonumber(ARGV[3] or '0'), 0)
local at = redis.call('HGET', KEYS[1], ARGV[1])
if at == ARGV[2] and redis.call('HDEL', KEYS[1], 'p' .. ARGV[1]) == 1 then
  if now > tonumber(at) then
    redis.call('HSET', KEYS[1], ARGV[1], string.format('%.6f', now))
  end
end
return 1
"""
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = tonumber(ARGV[1])
if until_ > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], string.format('%.6f', until_), 'EX',
    math.max(math.ceil(until_ - now), 0) + tonumber(ARGV[2]))
end
return 1
"""
# Keys outlive their last slot by this long (a ring is never needed a window after its last
# call; the margin covers clocks and long holds).
_KEEP_SECONDS = 86400 * 2


class RedisPacer:
    """The same book in Redis: atomic scripts, timed by the Redis server's clock."""

    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url)
        self._reserve = self.redis.register_script(_RESERVE)
        self._finished = self.redis.register_script(_FINISHED)
        self._hold = self.redis.register_script(_HOLD)

    @staticmethod
    def key(connection) -> str:
        # Redis outlives databases: a connection id reused by a new database (a fresh install
        # or a test database on the same Redis) must not inherit an old forum's slots, so the
        # key also names the moment the connection was created.
        return f"forumdeck:pace:{connection.pk}:{connection.created_at.timestamp():.6f}"

    def reserve(self, connection, max_wait: float = float("inf")) -> tuple[float, bool]:
        booking = self.book(connection, max_wait)
        if booking.booked:
            self.finished(connection, booking)
        return booking.delay, booking.booked

    def book(
        self,
        connection,
        max_wait: float = float("inf"),
        priority: Priority = Priority.CHANGE,
        answers: tuple[Answer, ...] = (),
    ) -> Booking:
        """Book the forum's next slot; ``answers`` (calls answered since, see ``Pace``) are
        recorded first, in the same round trip (one pipeline). Each answer counts from when
        the script runs, by the Redis clock: no earlier than it came in."""
        ring, window = book_shape(connection)
        limit = max_wait if max_wait != float("inf") else 1e12
        key = self.key(connection)
        pipe = self.redis.pipeline(transaction=False)
        sent = time.time()
        for answer in answers:
            self._finished(
                keys=[key + ":ring"],
                args=[answer.booking.slot_no, answer.booking.at, f"{sent - answer.at:.6f}"],
                client=pipe,
            )
        self._reserve(
            keys=[key + ":ring", key, key + ":change"],
            args=[
                ring,
                gap_after(window),
                limit,
                _KEEP_SECONDS + int(window),
                STALE_SECONDS,
                POLL_SECONDS,
                int(priority),
                slots_needed(connection, priority),
                CHANGE_WAIT_GRACE_SECONDS,
            ],
            client=pipe,
        )
        delay, booked, slot_no, at, in_flight, yielded = pipe.execute()[-1]
        return Booking(
            max(float(delay), 0.0),
            bool(int(booked)),
            int(slot_no),
            at.decode() if isinstance(at, bytes) else at,
            bool(int(in_flight)),
            bool(int(yielded)),
        )

    def finished(self, connection, booking: Booking) -> None:
        self._finished(keys=[self.key(connection) + ":ring"], args=[booking.slot_no, booking.at])

    def answered(self, connection, answers: tuple[Answer, ...]) -> None:
        if not answers:
            return
        pipe = self.redis.pipeline(transaction=False)
        sent = time.time()
        for answer in answers:
            self._finished(
                keys=[self.key(connection) + ":ring"],
                args=[answer.booking.slot_no, answer.booking.at, f"{sent - answer.at:.6f}"],
                client=pipe,
            )
        pipe.execute()

    def hold_until(self, connection, until: float) -> None:
        # Redis time and ours may differ a little; the hold is in our clock, good enough
        # for a wait measured in seconds.
        seconds, micros = self.redis.time()
        offset = time.time() - (seconds + micros / 1e6)
        self._hold(keys=[self.key(connection)], args=[until - offset, _KEEP_SECONDS])


@lru_cache(maxsize=1)
def _pacer_for(broker_url: str):
    if broker_url.startswith(("redis://", "rediss://")):
        return RedisPacer(broker_url)
    return DatabasePacer()


def get_pacer():
    return _pacer_for(settings.CELERY_BROKER_URL)


def in_task() -> bool:
    """True inside a Celery task (a worker, or a task run eagerly), False in a web request."""
    from celery import current_task

    return bool(current_task)  # a proxy: false outside a task


def inline_wait_limit() -> float:
    """How long this process may wait for one slot: a worker's task, or a person's page."""
    return MAX_INLINE_WAIT if in_task() else WEB_INLINE_WAIT


class SlotRefused(Exception):
    """No slot within the wait allowed: the client turns it into ``ForumRateLimited`` (with
    this ``retry_after``), so the slot book needs nothing from the HTTP layer above it."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Pace:
    """``BaseClient.pacer``: called before each call, it waits for this forum's next slot (at
    most ``max_wait``, default ``inline_wait_limit()`` when the call is made), runs ``then``
    (the bulk engine's cancel check) and returns the booking; ``finished(booking)`` is called
    when the call's answer (or failure) is in, so that the slot's next use is counted from
    when the forum surely counted this call, not from when it was booked to leave."""

    def __init__(
        self,
        connection,
        max_wait: float | None = None,
        then: Callable[[], None] | None = None,
        priority: Priority = Priority.READ,
        batched: bool = False,
        waiting: Callable[[float], None] | None = None,
    ) -> None:
        self.connection = connection
        self.max_wait = max_wait
        self.then = then
        # Told how long the call is about to wait for its slot, before it sleeps (the bulk
        # engine holds its run's lease over the wait); it may raise to give the slot up.
        self.waiting = waiting
        self.priority = priority
        # ``batched``: a run sending one call after another (the bulk engine). Its answers are
        # not written one by one: each goes with the next booking, in the same transaction
        # (DatabasePacer) or round trip (RedisPacer), and those left when the client closes
        # go in one write (``flush``). One write a call instead of two. An answer kept back
        # only delays its slot's next use (never lets a call in early): it is recorded at the
        # time it came in (the database stores that time; Redis subtracts its age, measured
        # when the script is sent, from its own clock).
        self.batched = batched
        self._answers: list[Answer] = []
        self._lock = threading.Lock()

    def _take_answers(self) -> tuple[Answer, ...]:
        with self._lock:
            answers, self._answers = tuple(self._answers), []
        return answers

    def __call__(self) -> Booking:
        limit = inline_wait_limit() if self.max_wait is None else self.max_wait
        pacer = get_pacer()
        started = time.monotonic()
        while True:
            waited = time.monotonic() - started
            answers = self._take_answers()
            booking = (
                pacer.book(
                    self.connection,
                    max_wait=max(limit - waited, 0.0),
                    priority=self.priority,
                    answers=answers,
                )  # fmt: skip
                if answers
                else pacer.book(
                    self.connection, max_wait=max(limit - waited, 0.0), priority=self.priority
                )
            )
            if booking.booked or not (booking.in_flight or booking.yielded):
                break
            # The slot's last call is still out, or more urgent work has the forum's free
            # slots for now: ask again then (within the wait allowed).
            if self.waiting is not None:
                self.waiting(booking.delay)
            time.sleep(booking.delay)
        if not booking.booked:
            # Other Forumdeck work (or a forum's Retry-After) holds this forum's next slots:
            # come back then, never sleep for it here.
            raise SlotRefused(
                f"{self.connection.name} is busy with other Forumdeck work or asked to wait; "
                f"its next free slot is in {booking.delay:.0f} s.",
                retry_after=booking.delay,
            )
        try:
            if booking.delay > 0:
                if self.waiting is not None:
                    self.waiting(booking.delay)
                time.sleep(booking.delay)
            if self.then is not None:
                self.then()
        except BaseException:
            self.finished(booking)  # no call leaves: the slot is free a window after its time
            raise
        return booking

    def finished(self, booking: Booking) -> None:
        if self.batched:
            with self._lock:
                self._answers.append(Answer(booking, time.time()))
            return
        get_pacer().finished(self.connection, booking)

    def flush(self) -> None:
        """Write the answers kept back (``batched``): the client is done with the forum."""
        answers = self._take_answers()
        if answers:
            get_pacer().answered(self.connection, answers)


def pace_for(
    connection,
    max_wait: float | None = None,
    then: Callable[[], None] | None = None,
    priority: Priority = Priority.READ,
    batched: bool = False,
    waiting: Callable[[float], None] | None = None,
) -> Pace:
    """The pacer for every client of this forum (see ``Pace``): a read a person waits for
    unless ``priority`` says it is a change or the index's sync."""
    return Pace(connection, max_wait, then, priority, batched, waiting)
