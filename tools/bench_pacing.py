"""The per-forum slot book, measured: a paced run against the true floor, and the same run while
the overview keeps refreshing that forum's health (paced, and, as the baseline, not paced).

The true floor of a run against a forum that allows N calls in any W seconds is
(calls - N) / rate: the first N go at once, then the rate. The sandbox is set to 100 calls in
any 2 s (3,000/min), the connection is told the same, and the run is ten windows' allowance,
so the burst is a tenth of it and the floor is mostly the rate's.

Why 3,000/min and not faster: the floor assumes a window's allowance leaves in no time, but one
worker sends about 150 calls a second here (some 6.6 ms of its own work per suspended user), so
each window's burst itself takes time. At 100 calls a second that is two thirds of every
window (1.11 x the floor on a quiet machine); at 50 a second, a third (about 1.05); at a real
Discourse's 60 a minute, nothing measurable.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

from tools.bench import (
    SANDBOX_KEY,
    UNPACED_RPM,
    Bench,
    BenchError,
    LoadWatch,
    calls_label,
    fmt,
    item_counts,
    naive_suspend,
    plain_users,
    start_discourse,
)

# 100 calls in any 2 s: 3,000 a minute, a window a run fills ten times over.
# 972 users make about 1,000 calls (one re-check per 100 users, a few more pages): a whole number
# of windows' allowance, where the sliding log's own minimum and the true floor agree.
FULL = {"window": 2, "per_window": 100, "items": 972, "naive_items": 200}
# --quick: 20 calls in any 1 s, a run of about five windows' allowance.
QUICK = {"window": 1, "per_window": 20, "items": 100, "naive_items": 50}
HEALTH_EVERY = 0.5  # seconds between two refreshes of the forum's card


@dataclass
class Run:
    calls: int  # every call the forum answered from the run's first call to its last
    run_calls: int  # of those, the run's own
    first_to_last: float
    from_approval: float
    rate_limited: int  # 429s the forum sent from approval to the end (run and health checks)
    run_rate_limited: int
    max_in_window: int
    failed_items: int
    plan_calls: int
    health_checks: int = 0
    busy_cards: int = 0  # cards that said "busy" instead of asking the forum
    # calls the forum answered in each whole window from the run's first call (tumbling)
    window_counts: tuple[int, ...] = ()

    def floor(self, allowance: int, rate: float) -> float:
        """(calls - the window's allowance) / rate: the least time any pacer could take."""
        return max(self.calls - allowance, 1) / rate


def planned_suspension(bench: Bench, sandbox, name: str, rpm: int, window: int, names):
    """A connection to ``sandbox`` at ``rpm`` counted in ``window`` seconds, and a week's
    suspension of ``names`` proposed and planned on it: (connection, action)."""
    return plan_suspension(bench, bench.connection(sandbox, name, rpm), window, names)


def plan_suspension(bench: Bench, connection, window: int, names, timeout: float = 120):
    """``connection`` counted in ``window`` seconds, and a week's suspension of ``names``
    proposed and planned on it: (connection, action). Any platform's connection."""
    from datetime import timedelta

    from django.utils import timezone

    from forums.connections.services import connection_update

    connection = connection_update(
        actor=bench.people()[1], connection=connection, rate_window_seconds=window
    )
    until = (timezone.now() + timedelta(days=7)).isoformat()
    action = bench.plan(
        bench.propose(
            connection, "suspend", names, {"reason": "Forumdeck benchmark", "until": until}
        ),
        timeout=timeout,
    )
    return connection, action


def paced_run(bench: Bench, cfg: dict, name: str, *, overview: str = "") -> Run:
    """Suspend ``cfg["items"]`` users at the forum's own limit. ``overview``: "" (none),
    "paced" (a thread refreshes the forum's card every HEALTH_EVERY s, as the overview does),
    or "unpaced" (the same, with health checks outside the book: the old way)."""

    window, per_window, items = cfg["window"], cfg["per_window"], cfg["items"]
    rpm = per_window * 60 // window
    sandbox = start_discourse(users=items * 11 // 10 + 50, per_window=per_window, window=window)
    try:
        app = sandbox.app
        names = [u["username"] for u in plain_users(app, items)]
        connection, action = planned_suspension(bench, sandbox, name, rpm, window, names)
        plan_calls = app.calls.count()
        if per_window < UNPACED_RPM:
            time.sleep(window * 1.1)  # the plan's calls leave the window: the run starts afresh
        checks = {"n": 0, "busy": 0}
        mark = time.time()
        with health_refresher(connection, checks, paced=overview != "unpaced", on=bool(overview)):
            action = bench.approve_and_finish(action, timeout=max(120, items * 0.2))
        records = [r for r in app.calls.records() if r.at >= mark]
        run = [r for r in records if is_run_call(r)]
        if not run:
            raise BenchError(f"{name}: the run sent no call")
        start, end = run[0].at, run[-1].at
        counts = item_counts(action)
        wanted = set(names)
        suspended = sum(
            1 for u in app.users.values() if u["username"] in wanted and app.suspended(u)
        )
        if suspended != items or counts.get("done", 0) != items:
            raise BenchError(f"{name}: {suspended} of {items} suspended, items {counts}")
        return Run(
            calls=sum(1 for r in records if start <= r.at <= end),
            run_calls=len(run),
            first_to_last=end - start,
            from_approval=(action.finished_at - action.approved_at).total_seconds(),
            rate_limited=sum(1 for r in records if r.status == 429),
            run_rate_limited=sum(1 for r in run if r.status == 429),
            max_in_window=app.calls.max_in_any_window(float(window)),
            failed_items=counts.get("failed", 0),
            plan_calls=plan_calls,
            health_checks=checks["n"],
            busy_cards=checks["busy"],
            window_counts=tuple(
                sum(1 for r in records if start + k * window <= r.at < start + (k + 1) * window)
                for k in range(int((end - start) // window))
            ),
        )
    finally:
        sandbox.stop()


def is_run_call(record) -> bool:
    """The suspend run's calls: the re-checks (the active users' list) and the suspends. A
    health check reads other routes (the site's info, the staff list, the API user...)."""
    return record.path.endswith("/suspend.json") or record.path == "/admin/users/list/active.json"


@contextmanager
def health_refresher(connection, checks: dict, *, paced: bool, on: bool):
    """A thread that refreshes the forum's card every HEALTH_EVERY s through the overview's
    own code path (``connection_health(refresh=True)``); with ``paced=False`` its calls do
    not take slots from the book (as before this change)."""
    if not on:
        yield
        return
    from django.db import connection as db

    from forums import pacing
    from forums.connections.selectors import connection_health

    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.is_set():
                report = connection_health(connection=connection, refresh=True)
                checks["n"] += 1
                if "busy with other Forumdeck work" in (report.error or ""):
                    checks["busy"] += 1
                stop.wait(HEALTH_EVERY)
        finally:
            db.close()

    original = pacing.pace_for
    if not paced:
        pacing.pace_for = lambda *args, **kwargs: None  # get_client then adds no pacer
    thread = threading.Thread(target=loop, name="bench-overview", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
        pacing.pace_for = original


def measure_pacing(bench: Bench, quick: bool) -> None:
    cfg = QUICK if quick else FULL
    allowance, rate = cfg["per_window"], cfg["per_window"] / cfg["window"]

    # 1. The paced run alone, against the true floor.
    run = paced_run(bench, cfg, "Bench paced")
    n = f"paced_{calls_label(run.calls)}"
    floor = run.floor(allowance, rate)
    ratio = run.first_to_last / floor
    bench.record(f"{n}_calls", run.calls)
    bench.record(f"{n}_window_allowance", allowance)
    bench.record(f"{n}_floor_s", round(floor, 3))
    # The least a sliding log allows exactly: call k goes a window after call k - N, so the
    # last goes (calls - 1) // N windows after the first (up to a window over the floor).
    bench.record(f"{n}_sliding_log_minimum_s", (run.calls - 1) // allowance * cfg["window"])
    bench.record(f"{n}_first_to_last_call_s", round(run.first_to_last, 3))
    bench.judge(
        f"{n}_time_over_floor",
        round(ratio, 3),
        "<= 1.05",
        baseline=f"the true floor {floor:.2f} s (no script can beat it)",
        checked=not quick,
        busy=limit_not_reached(run, allowance, cfg["window"]),
    )
    bench.record(f"{n}_wall_s_from_approval", round(run.from_approval, 3))
    bench.record(f"{n}_wall_over_floor_from_approval", round(run.from_approval / floor, 3))
    bench.record(f"{n}_failed_items", run.failed_items)
    bench.record(f"{n}_rate_limited_responses", run.rate_limited)
    bench.record(f"{n}_max_calls_in_any_{cfg['window']}s_window", run.max_in_window)
    bench.goal(f"{n}_failed_items", "== 0", run.failed_items == 0)
    bench.goal(f"{n}_rate_limited_responses", "== 0", run.rate_limited == 0)
    items = cfg["items"]
    per_item = run.run_calls / items
    bench.record("api_calls_per_item_suspend", round(per_item, 3))
    bench.record(
        "api_calls_per_item_suspend_with_plan", round((run.run_calls + run.plan_calls) / items, 3)
    )
    bench.goal("api_calls_per_item_suspend", "<= 1.05", per_item <= 1.05)
    bench.record("naive_api_calls_per_item_suspend", naive_suspend(cfg["naive_items"]))

    # 2. The same run while the overview refreshes the forum's card, its calls in the book.
    with_overview = paced_run(bench, cfg, "Bench paced overview", overview="paced")
    floor = with_overview.floor(allowance, rate)
    ratio = with_overview.first_to_last / floor
    bench.record("paced_with_overview_calls", with_overview.calls)
    bench.record("paced_with_overview_health_checks", with_overview.health_checks)
    bench.record("paced_with_overview_busy_cards", with_overview.busy_cards)
    bench.record("paced_with_overview_floor_s", round(floor, 3))
    bench.record("paced_with_overview_first_to_last_call_s", round(with_overview.first_to_last, 3))
    bench.record("paced_with_overview_rate_limited_responses", with_overview.rate_limited)
    bench.judge(
        "paced_with_overview_time_over_floor",
        round(ratio, 3),
        "<= 1.10",
        baseline=f"the true floor {floor:.2f} s",
        checked=not quick,
        busy=limit_not_reached(with_overview, allowance, cfg["window"]),
    )
    bench.record("paced_with_overview_failed_items", with_overview.failed_items)
    bench.goal(
        "paced_with_overview_rate_limited_responses", "== 0", with_overview.rate_limited == 0
    )

    # 3. Baseline: the same, the health checks not paced (every call but the run's, before).
    unpaced = paced_run(bench, cfg, "Bench unpaced overview", overview="unpaced")
    floor = unpaced.floor(allowance, rate)
    bench.record("unpaced_overview_calls", unpaced.calls)
    bench.record("unpaced_overview_health_checks", unpaced.health_checks)
    bench.record("unpaced_overview_rate_limited_responses", unpaced.rate_limited)
    bench.record("unpaced_overview_run_rate_limited_responses", unpaced.run_rate_limited)
    bench.record("unpaced_overview_first_to_last_call_s", round(unpaced.first_to_last, 3))
    bench.record("unpaced_overview_time_over_floor", round(unpaced.first_to_last / floor, 3))


def limit_not_reached(run: Run, allowance: int, window: float) -> str:
    """Why a paced figure means nothing (or ""): in most of the run's whole windows the forum
    answered fewer calls than it allows (below 90%; a pacer at the limit fills each one), so
    the forum's limit did not hold the run back; the machine, not the pacer, set its pace."""
    counts = sorted(run.window_counts) or [run.max_in_window]
    median = counts[len(counts) // 2]
    if median >= 0.9 * allowance:
        return ""
    return (
        f"the forum's limit was not reached (a median {median} of {allowance} calls in the "
        f"run's {len(counts)} whole {window:g} s windows): the machine was too busy"
    )


def engine_unpaced(bench: Bench, items: int) -> tuple[float, int]:
    """The engine suspends ``items`` users with no limit anywhere: seconds per call from its
    first call to its last, and its calls."""
    cfg = {"window": 60, "per_window": UNPACED_RPM, "items": items}
    run = paced_run(bench, cfg, f"Bench unpaced {items}")
    return run.first_to_last / max(run.run_calls - 1, 1), run.run_calls


def requests_loop(items: int) -> float:
    """The baseline: a bare ``requests`` loop suspending ``items`` users whose ids it already
    knows (one PUT each): seconds per call, first call to last."""
    import requests

    sandbox = start_discourse(users=items * 11 // 10 + 50, per_window=UNPACED_RPM)
    try:
        app = sandbox.app
        ids = [u["id"] for u in plain_users(app, items)]
        with requests.Session() as session:
            session.headers.update({"Api-Key": SANDBOX_KEY, "Api-Username": "system"})
            started = time.monotonic()
            for uid in ids:
                session.put(
                    f"{sandbox.url}/admin/users/{uid}/suspend.json",
                    json={"suspend_until": "2099-01-01T00:00:00Z", "reason": "baseline"},
                    timeout=10,
                ).raise_for_status()
            return (time.monotonic() - started) / max(items - 1, 1)
    finally:
        sandbox.stop()


def measure_unpaced(bench: Bench, quick: bool) -> None:
    """``unpaced_1000_engine_over_requests_loop``: the engine's own cost per call when nothing
    paces it, over a bare loop's."""
    items = 100 if quick else 972
    with LoadWatch() as load:
        engine_s, calls = engine_unpaced(bench, items)
        loop_s = requests_loop(items)
    name = f"unpaced_{calls_label(calls)}"
    bench.record(f"{name}_engine_ms_per_call", round(engine_s * 1000, 3))
    bench.record(f"{name}_requests_loop_ms_per_call", round(loop_s * 1000, 3))
    bench.judge(
        f"{name}_engine_over_requests_loop",
        round(engine_s / loop_s, 3),
        "<= 3",
        baseline=f"a bare requests loop, {loop_s * 1000:.2f} ms a call",
        checked=not quick,
        busy=load.busy,
    )


def summary_lines(f: dict) -> list[str]:
    """The paced figures in words, for tools.bench's summary."""
    lines = []
    paced = next(
        (
            k
            for k in f
            if k.startswith("paced_") and k.endswith("_time_over_floor") and k[6].isdigit()
        ),
        None,
    )
    if paced:
        p = paced[: -len("_time_over_floor")]
        lines.append(
            f"- Paced run: {f[p + '_calls']} calls in "
            f"{f[p + '_first_to_last_call_s']:.2f} s first to last call, "
            f"{fmt(f[paced])}x the true floor of {f[p + '_floor_s']:.2f} s ((calls - the "
            f"window's {f[p + '_window_allowance']}) / rate; "
            f"{f[p + '_wall_over_floor_from_approval']:.3f}x counting from approval); "
            f"{f[p + '_rate_limited_responses']} rate-limited responses, "
            f"{f[p + '_failed_items']} failed items."
        )
    if "paced_with_overview_time_over_floor" in f:
        lines.append(
            f"- Paced run with the overview refreshing the forum every {HEALTH_EVERY:g} s: "
            f"{f['paced_with_overview_rate_limited_responses']} rate-limited responses, "
            f"{fmt(f['paced_with_overview_time_over_floor'])}x the floor of all "
            f"{f['paced_with_overview_calls']} calls; with the health checks unpaced (before): "
            f"{f['unpaced_overview_rate_limited_responses']} rate-limited responses, "
            f"{f['unpaced_overview_time_over_floor']:.3f}x."
        )
    return lines
