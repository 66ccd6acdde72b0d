"""The review queue (issue 24): one list of every forum's waiting items, and many decided at once.

Sandbox forums on loopback from this process, their queues filled in place (the sandboxes'
own ``add_flagged_post`` / ``add_queued_post`` / ``add_flag`` / ``add_queued``, which their
control routes call); pages fetched through ``django.test.Client`` signed in as the bench's
moderator, with the shipped timeouts. Every call is counted from the sandboxes' call logs.
Figures (docs/benchmarks.md, "The review queue"):

- ``review_list_20_over_1``: the Review list page over 20 Discourse forums of ``N`` waiting
  items each, divided by the same page over one such forum (the forum filter), each the median
  of a few "Ask the forums now" loads (``refresh=1``: the page queues the worker's read of
  every forum and answers from the kept rows; each run waits for the worker before the next);
  ``..._cached_20_over_1`` the same for plain loads; ``review_list_first_20_forums_s`` the
  first load, which reads the 20 forums never read before live, once;
  ``review_list_forum_calls_20`` the calls the worker's read of the 20 forums sent, and
  ``review_list_items_read_per_forum`` how many of a forum's ``N`` waiting items are kept;
- ``review_bulk_200_calls_over_minimum``: "decide many" (the area's one harmless decision on
  every ticked item, sent at once) on 200 items of two forums, right after the list page
  showed them: the calls the decision sent, over the fewest the APIs allow (one ``PUT`` per
  Discourse reviewable, a read and a ``PUT`` per NodeBB flag, one call per NodeBB queued post;
  the version and actions come with the page's read, so no read is unavoidable). The same with
  the kept copies forgotten first (``..._cold``): then the fewest add one Discourse list page per
  ten items, the only way to learn their versions;
- ``review_bulk_engine_200_calls_over_minimum``: the destructive way for many items ("Delete the
  post and agree", which goes through the bulk engine: planned by the real worker, approved by
  the second person, run), proposed from the list page's ticks (the page read first, so the
  plan has the kept rows): every call of plan and run over 200 flagged posts of two Discourse
  forums, against one PUT per reviewable and the list pages that name their versions (the
  page's own read of the two queues is printed beside it, ``..._page_calls_before``).
"""

from __future__ import annotations

import math
import statistics
import time
import warnings
from contextlib import ExitStack
from datetime import timedelta

from tools.bench import UNPACED_RPM, Bench, BenchError, LoadWatch, start_discourse
from tools.bench_nodebb import nodebb_connection, start_nodebb

FLEET = 20


# --- filling the queues ---------------------------------------------------------------------
def _fill_discourse(app, count: int) -> list[str]:
    """Exactly ``count`` pending reviewables (the seeded ones dropped): four flagged posts for
    each queued post, a minute apart. Their ids, as the Review area names them."""
    with app.lock:
        app.reviewables = []
        posters = sorted(
            (u for u in app.users.values() if u["id"] > 0 and u["approved"] and not u["admin"]),
            key=lambda u: u["id"],
        )
        topics = sorted(t for t in app.topics if t < 1000)
        if len(posters) < 2 or not topics:
            raise BenchError("the Discourse sandbox has no posters or topics to flag")
        now = app.now
        ids = []
        for n in range(count):
            author, flagger = posters[n % len(posters)], posters[(n + 1) % len(posters)]
            topic, at = topics[n % len(topics)], now - timedelta(minutes=n)
            if n % 5 == 4:
                row = app.add_queued_post(
                    author["id"], topic_id=topic, raw=f"Queued reply number {n}", at=at
                )
            else:
                row = app.add_flagged_post(
                    author["id"],
                    topic_id=topic,
                    raw=f"Flagged post number {n}: buy followers now",
                    flags=[(flagger["id"], 8 if n % 2 else 4)],
                    at=at,
                )
            ids.append(str(row["id"]))
        return ids


def _fill_nodebb(app, flags: int, queued: int) -> list[str]:
    """Exactly ``flags`` open post flags and ``queued`` queued posts wait (the seeded waiting
    ones dropped). Their ids, as the Review area names them."""
    with app.lock:
        state = app.state
        state.flags = [f for f in state.flags if f["state"] in ("resolved", "rejected")]
        state.queue = []
        admins = set(state.groups["administrators"]["members"])
        posters = [uid for uid in sorted(state.users) if uid not in admins][:20]
        ids = [
            f"flag:{app.add_flag(kind='post', uid=posters[n % len(posters)], reason='Spam', by=2)}"
            for n in range(flags)
        ]
        ids += [
            f"queue:{app.add_queued(uid=posters[n % len(posters)], title=f'Queued {n}')}"
            for n in range(queued)
        ]
        return ids


class _ReviewFleet:
    """``size`` sandbox Discourse forums, each with ``waiting`` items in its review queue."""

    def __init__(self, bench: Bench, size: int, waiting: int) -> None:
        self.sandboxes = []
        self.connections = []
        label = f"{len(bench.figures)}-{size}"
        for n in range(size):
            sandbox = start_discourse(users=30, per_window=UNPACED_RPM)
            self.sandboxes.append(sandbox)
            _fill_discourse(sandbox.app, waiting)
            self.connections.append(bench.connection(sandbox, f"Review {label} {n}", UNPACED_RPM))
        self.ids = [c.pk for c in self.connections]

    def calls(self) -> int:
        return sum(s.app.calls.count() for s in self.sandboxes)

    def list_calls(self) -> list[int]:
        return [
            sum(1 for c in s.app.calls.records() if c.path == "/review.json")
            for s in self.sandboxes
        ]

    def clear(self) -> None:
        for sandbox in self.sandboxes:
            sandbox.app.calls.clear()

    def stop(self) -> None:
        from forums.models import ForumConnection

        ForumConnection.objects.filter(pk__in=self.ids).update(enabled=False)
        for sandbox in self.sandboxes:
            sandbox.stop()


def _client(bench: Bench):
    from django.test import Client

    client = Client(SERVER_NAME="localhost")
    client.force_login(bench.people()[0])
    return client


def _list(client, ids: list[int], *, fresh: bool) -> float:
    """The Review list page over the forums ``ids`` (the forum filter), read whole: seconds."""
    from django.urls import reverse

    params: dict = {"forum": ids}
    if fresh:
        params["refresh"] = "1"
    started = time.monotonic()
    response = client.get(reverse("forums:review-list"), params)
    if response.status_code != 200:
        raise BenchError(f"the Review list answered {response.status_code}")
    body = response.content.decode()
    elapsed = time.monotonic() - started
    if 'id="review-table"' not in body:
        raise BenchError("the Review list page shows no queue")
    return elapsed


def _plain_static(stack: ExitStack) -> None:
    from django.conf import settings
    from django.test import override_settings

    # The bench never runs collectstatic: pages name static files as they are.
    stack.enter_context(
        override_settings(
            STORAGES={
                **settings.STORAGES,
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            }
        )
    )
    stack.enter_context(warnings.catch_warnings())
    warnings.filterwarnings("ignore", message="No directory at")


# --- the list -------------------------------------------------------------------------------
def _settled(ids: list[int], timeout: float = 300) -> None:
    """Wait until the worker has read every forum of ``ids`` that "Ask the forums now" queued."""
    from forums.models import ReviewQueueRead

    started = time.monotonic()
    while ReviewQueueRead.objects.filter(
        connection_id__in=ids, requested_at__isnull=False
    ).exists():
        if time.monotonic() - started > timeout:
            raise BenchError("the worker did not read the review queues it was asked to")
        time.sleep(0.05)


def _kept_per_forum(ids: list[int]) -> int:
    from django.db.models import Count

    from forums.models import KeptReviewItem

    counts = KeptReviewItem.objects.filter(connection_id__in=ids).values("connection_id")
    return max((r["n"] for r in counts.annotate(n=Count("pk"))), default=0)


def measure_review_list(bench: Bench, quick: bool) -> None:
    waiting = 50 if quick else 500
    runs = 2 if quick else 5
    median = statistics.median
    with ExitStack() as stack:
        _plain_static(stack)
        client = _client(bench)
        one = _ReviewFleet(bench, 1, waiting)
        stack.callback(one.stop)
        twenty = _ReviewFleet(bench, FLEET, waiting)
        stack.callback(twenty.stop)
        # The first load of a forum never read reads it live, once (then the worker keeps it).
        _list(client, one.ids, fresh=False)
        started = time.monotonic()
        _list(client, twenty.ids, fresh=False)
        first_s = time.monotonic() - started
        one.clear()
        twenty.clear()
        # "Ask the forums now": the page queues the worker's read and answers from the kept
        # rows; each run waits for the worker to finish before the next one (its reads are
        # counted, not timed).
        one_s, twenty_s = [], []
        with LoadWatch() as fresh_load:
            for _ in range(runs):
                one_s.append(_list(client, one.ids, fresh=True))
                _settled(one.ids)
            for _ in range(runs):
                twenty.clear()
                twenty_s.append(_list(client, twenty.ids, fresh=True))
                _settled(twenty.ids)
        calls = twenty.calls()
        per_forum = _kept_per_forum(twenty.ids)
        with LoadWatch() as cached_load:
            one_cached = [_list(client, one.ids, fresh=False) for _ in range(runs)]
            twenty.clear()
            twenty_cached = [_list(client, twenty.ids, fresh=False) for _ in range(runs)]
        cached_calls = twenty.calls()

    bench.record("review_list_waiting_per_forum", waiting)
    bench.record(f"review_list_first_{FLEET}_forums_s", round(first_s, 3))
    bench.record("review_list_1_forum_s", round(median(one_s), 3))
    bench.record(f"review_list_{FLEET}_forums_s", round(median(twenty_s), 3))
    bench.judge(
        f"review_list_{FLEET}_over_1",
        round(median(twenty_s) / median(one_s), 3),
        "<= 1.5",
        baseline=f"the same page over 1 forum of {waiting} waiting items, "
        f"{median(one_s):.3f} s (fresh loads: every forum's read queued for the worker)",
        checked=not quick,
        busy=fresh_load.busy,
    )
    # The worker's read of the 20 forums that one fresh load queued (not inside the page).
    bench.record(f"review_list_forum_calls_{FLEET}", calls)
    bench.record("review_list_items_read_per_forum", per_forum)
    bench.record("review_list_cached_1_forum_s", round(median(one_cached), 3))
    bench.record(f"review_list_cached_{FLEET}_forums_s", round(median(twenty_cached), 3))
    # No goal of its own (its baseline is review_list_cached_1_forum_s): a plain line.
    bench.record(
        f"review_list_cached_{FLEET}_over_1", round(median(twenty_cached) / median(one_cached), 3)
    )
    bench.record(f"review_list_cached_{FLEET}_busy", 1 if cached_load.busy else 0)
    bench.record(f"review_list_cached_forum_calls_{FLEET}", cached_calls)


# --- deciding many --------------------------------------------------------------------------
def _decide_many(client, keys: list[str], decision: str) -> None:
    """The page's "decide many" form, every key ticked (the sandboxes' state is checked after)."""
    from django.urls import reverse

    response = client.post(
        reverse("forums:review-decide-many"), {"picked": keys, "decision": decision}
    )
    if response.status_code != 302:
        raise BenchError(f"decide many answered {response.status_code}")


def _bulk_round(bench: Bench, client, count: int, *, warm: bool) -> dict[str, int]:
    """One "decide many" (reject) of ``count`` items: half on a Discourse forum, half on a
    NodeBB forum (its flags and its queued posts half and half). Calls by kind."""
    from forums.models import KeptReviewItem, ReviewQueueRead

    on_discourse = count // 2
    flags = (count - on_discourse) // 2
    queued = count - on_discourse - flags
    with ExitStack() as stack:
        discourse = start_discourse(users=60, per_window=UNPACED_RPM)
        stack.callback(discourse.stop)
        nodebb = start_nodebb(users=200).start()
        stack.callback(nodebb.stop)
        tag = f"{len(bench.figures)}-{int(warm)}"
        d_conn = bench.connection(discourse, f"Review bulk {tag} D", UNPACED_RPM)
        n_conn = nodebb_connection(bench, nodebb, f"Review bulk {tag} N")
        stack.callback(
            lambda: type(d_conn).objects.filter(pk__in=[d_conn.pk, n_conn.pk]).update(enabled=False)
        )
        d_ids = _fill_discourse(discourse.app, on_discourse)
        n_ids = _fill_nodebb(nodebb.app, flags, queued)
        keys = [f"{d_conn.pk}:{i}" for i in d_ids] + [f"{n_conn.pk}:{i}" for i in n_ids]
        page_s = _list(client, [d_conn.pk, n_conn.pk], fresh=False)  # read once, live
        page_calls = discourse.app.calls.count() + nodebb.app.calls.count()
        if not warm:  # as if never read: the decision reads the queues first
            KeptReviewItem.objects.filter(connection__in=[d_conn, n_conn]).delete()
            ReviewQueueRead.objects.filter(connection__in=[d_conn, n_conn]).delete()
        discourse.app.calls.clear()
        nodebb.app.calls.clear()
        started = time.monotonic()
        _decide_many(client, keys, "reject")
        decided_s = time.monotonic() - started
        ended = time.time()  # the worker's read the decision queued comes after: not counted
        d_calls = [c for c in discourse.app.calls.records() if c.at <= ended]
        n_calls = [c for c in nodebb.app.calls.records() if c.at <= ended]
        _settled([d_conn.pk, n_conn.pk])
        with discourse.app.lock:
            d_left = sum(1 for r in discourse.app.reviewables if r["status"] == 0)
        with nodebb.app.lock:
            n_left = sum(1 for f in nodebb.app.state.flags if f["state"] in ("open", "wip"))
            n_left += len(nodebb.app.state.queue)
        if d_left or n_left:
            raise BenchError(
                f"decide many left {d_left} Discourse and {n_left} NodeBB items waiting"
            )
        return {
            "page_calls": page_calls,
            "page_ms": round(page_s * 1000),
            "decided_ms": round(decided_s * 1000),
            "calls": len(d_calls) + len(n_calls),
            "discourse_calls": len(d_calls),
            "discourse_reads": sum(1 for c in d_calls if c.method == "GET"),
            "nodebb_calls": len(n_calls),
            "nodebb_reads": sum(1 for c in n_calls if c.method == "GET"),
            "on_discourse": on_discourse,
            "flags": flags,
            "queued": queued,
        }


def measure_review_bulk(bench: Bench, quick: bool) -> None:
    count = 20 if quick else 200
    with ExitStack() as stack:
        _plain_static(stack)
        client = _client(bench)
        warm = _bulk_round(bench, client, count, warm=True)
        cold = _bulk_round(bench, client, count, warm=False)
    # The fewest the APIs allow: one PUT per Discourse reviewable (its version came with the
    # list), a read and a PUT per NodeBB flag (Flags.update has no condition: a decision must
    # read the state first), one POST or DELETE per queued post.
    minimum = warm["on_discourse"] + 2 * warm["flags"] + warm["queued"]
    prefix = f"review_bulk_{count}"
    bench.record(f"{prefix}_calls", warm["calls"])
    bench.record(f"{prefix}_minimum_calls", minimum)
    bench.record(f"{prefix}_discourse_calls", warm["discourse_calls"])
    bench.record(f"{prefix}_nodebb_calls", warm["nodebb_calls"])
    bench.record(f"{prefix}_nodebb_reads", warm["nodebb_reads"])
    bench.record(f"{prefix}_page_calls_before", warm["page_calls"])
    bench.record(f"{prefix}_decided_s", round(warm["decided_ms"] / 1000, 3))
    bench.judge(
        f"{prefix}_calls_over_minimum",
        round(warm["calls"] / minimum, 3),
        "<= 1.1",
        baseline=f"{minimum} calls: a PUT per Discourse reviewable, a read and a PUT per NodeBB "
        "flag, one call per queued post",
    )
    # Cold: the kept copies forgotten; the versions must be read again, ten a page at best.
    cold_minimum = minimum + math.ceil(cold["on_discourse"] / 10)
    bench.record(f"{prefix}_cold_calls", cold["calls"])
    bench.record(f"{prefix}_cold_reads", cold["discourse_reads"] + cold["nodebb_reads"])
    bench.record(f"{prefix}_cold_minimum_calls", cold_minimum)
    bench.record(f"{prefix}_cold_calls_over_minimum", round(cold["calls"] / cold_minimum, 3))


def measure_review_bulk_engine(bench: Bench, quick: bool) -> None:
    """A destructive decision ("Delete the post and agree with the flags") on ``count`` flagged
    posts of two Discourse forums: proposed from the Review page's ticks, planned by the real
    worker, approved by the second person and run. Every call of plan and run, against the
    fewest: one PUT per reviewable, and the list pages (ten items a page) that name each
    item's version and actions once for the plan (a stale version is refused with 409 at the
    PUT, so nothing must be read again before it)."""
    from forums.models import BulkAction
    from forums.review.services import review_propose

    count = 20 if quick else 200
    with ExitStack() as stack:
        sandboxes, keys, connections = [], [], []
        for n in range(2):
            sandbox = start_discourse(users=60, per_window=UNPACED_RPM)
            stack.callback(sandbox.stop)
            sandboxes.append(sandbox)
            connection = bench.connection(
                sandbox, f"Review engine {len(bench.figures)} {n}", UNPACED_RPM
            )
            connections.append(connection)
            with sandbox.app.lock:
                sandbox.app.reviewables = []
            ids = []
            while len(ids) < count // 2:  # flagged posts only: each offers delete_and_agree
                ids = [
                    i
                    for i in _fill_discourse(sandbox.app, count // 2 * 5 // 4 + 1)
                    if sandbox.app._find(int(i))["type"] == "ReviewableFlaggedPost"
                ]
            with sandbox.app.lock:
                keep = set(ids[: count // 2])
                sandbox.app.reviewables = [
                    r for r in sandbox.app.reviewables if str(r["id"]) in keep
                ]
            keys += [f"{connection.pk}:{i}" for i in ids[: count // 2]]
        stack.callback(
            lambda: (
                type(connections[0])
                .objects.filter(pk__in=[c.pk for c in connections])
                .update(enabled=False)
            )
        )
        # Proposed from the Review page's ticks: the page was read first (the kept rows).
        _plain_static(stack)
        _list(_client(bench), [c.pk for c in connections], fresh=False)
        page_calls = sum(s.app.calls.count() for s in sandboxes)
        for sandbox in sandboxes:
            sandbox.app.calls.clear()
        action = review_propose(
            actor=bench.people()[0], keys=keys, action_id="delete_and_agree", label="Delete"
        )
        action = bench.plan(action, timeout=300)
        plan_calls = sum(s.app.calls.count() for s in sandboxes)
        for sandbox in sandboxes:
            sandbox.app.calls.clear()
        action = bench.approve_and_finish(action, timeout=600)
        run_calls = sum(s.app.calls.count() for s in sandboxes)
        left = sum(1 for s in sandboxes for r in s.app.reviewables if r["status"] == 0)
        if action.state != BulkAction.State.SUCCEEDED or left:
            raise BenchError(
                f"the review bulk action ended {action.state} with {left} items still waiting"
            )
    minimum = count + math.ceil(count / 2 / 10) * 2
    prefix = f"review_bulk_engine_{count}"
    bench.record(f"{prefix}_page_calls_before", page_calls)
    bench.record(f"{prefix}_plan_calls", plan_calls)
    bench.record(f"{prefix}_run_calls", run_calls)
    bench.record(f"{prefix}_minimum_calls", minimum)
    bench.judge(
        f"{prefix}_calls_over_minimum",
        round((plan_calls + run_calls) / minimum, 3),
        "<= 1.1",
        baseline=f"{minimum} calls: a PUT per reviewable and the list pages (ten a page) that "
        "name their versions",
        checked=not quick,
    )


def measure_review(bench: Bench, quick: bool) -> None:
    measure_review_list(bench, quick)
    measure_review_bulk(bench, quick)
    measure_review_bulk_engine(bench, quick)
