"""``python -m tools.bench``: how the bulk-action engine does against sandbox forums.

Everything runs here, on loopback, in a throwaway environment: a temporary var folder, SQLite
database and filesystem broker, freshly generated secrets, sandbox forums served from this
process, and a REAL Celery worker subprocess (prefork, concurrency 1) doing the work. Actions
go through the same services the web uses (a "bench-proposer" proposes, a "bench-approver"
approves), and each figure is printed as one ``name: value`` line beside a naive baseline
measured in the same run. ``--quick`` runs every measurement at a small scale (the smoke test
does); goals that only mean something at full scale are then printed but not enforced.

Exit status: 0 when every goal is met, 1 when one is missed (each miss is named), 2 when the
benchmark itself could not run.

What each figure means, and the numbers we got: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    # `python -m tools.bench`: the measurement modules (tools.bench_*) import tools.bench; let
    # them get this very module, so its BenchError is the one run() catches.
    sys.modules.setdefault("tools.bench", sys.modules[__name__])

from tools.bench_overview import measure_overview_scale

ROOT = Path(__file__).resolve().parents[1]
SANDBOX_KEY = "bench-sandbox-key-" + "0" * 24
UNPACED_RPM = 6_000_000  # sandbox and connection rate where pacing is not what is measured
CORES = os.cpu_count() or 1
# A timed figure is not reported when the machine's 1-minute load average passed this while it
# was taken: the bench's own work is at most about two runnable tasks (the worker, and this
# process with its sandbox threads), so beyond cores + 2 other work wanted every core as well.
BUSY_LOAD = CORES + 2.0


# --- the machine's load -------------------------------------------------------------------------
def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def load_words() -> str:
    one, five, fifteen = load_average()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min) on {CORES} cores"


def busy_now() -> str:
    """Why a timed figure just taken says more about the machine than the code, or "": the
    1-minute load average (which covers the last minute's measurement) is past BUSY_LOAD."""
    load = load_average()[0]
    if load > BUSY_LOAD:
        return f"machine busy: 1-min load {load:.2f} on {CORES} cores"
    return ""


class LoadWatch:
    """The highest 1-minute load average seen while a figure is taken (sampled every 0.5 s)."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.highest = load_average()[0]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.highest = max(self.highest, load_average()[0])

    def __enter__(self) -> LoadWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.highest = max(self.highest, load_average()[0])

    @property
    def busy(self) -> str:
        """Why a timed figure taken meanwhile says more about the machine than the code, or ""."""
        if self.highest > BUSY_LOAD:
            return f"machine busy: 1-min load reached {self.highest:.2f} on {CORES} cores"
        return ""


# --- environment and processes ------------------------------------------------------------------
def configure_environment(var_dir: Path) -> dict[str, str]:
    """A throwaway environment, set before Django is set up; the worker inherits the same."""
    from cryptography.fernet import Fernet

    values = {
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "FORUMDECK_ENV_FILE": os.devnull,  # never read a developer's .env
        "FORUMDECK_VAR_DIR": str(var_dir),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "FORUMDECK_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "FORUMDECK_ALLOW_HTTP_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{var_dir / 'bench.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",
        "CACHE_URL": f"filecache://{var_dir / 'cache'}",
        "FORUMDECK_LOG_LEVEL": "WARNING",
    }
    for name in ("FORUMDECK_BROKER_DIR", "FORUMDECK_TEST_DB", "DJANGO_STATIC_ROOT"):
        os.environ.pop(name, None)  # anything that would point outside the temp folder
    os.environ.update(values)
    return values


def setup_django() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


class Worker:
    """A real Celery worker subprocess (its own process group, so it is stopped whole)."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self._log_file = log.open("w")
        from dashboard.celery import worker_command

        args = worker_command(hostname=f"bench-{os.getpid()}@%h")
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, "FORUMDECK_LOG_LEVEL": "INFO"},
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float = 60) -> None:
        wait_for(
            lambda: "ready." in self.log.read_text(),
            timeout=timeout,
            what="the Celery worker to start",
            worker=self,
        )

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text()[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log_file.close()


class BenchError(Exception):
    """The benchmark could not measure (as opposed to a missed goal)."""


def wait_for(
    predicate: Callable[[], Any],
    *,
    timeout: float,
    what: str,
    worker: Worker | None = None,
    interval: float = 0.1,
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if worker is not None and worker.process.poll() is not None:
            raise BenchError(f"the worker exited while waiting for {what}\n{worker.tail()}")
        time.sleep(interval)
    detail = f"\n--- worker log ---\n{worker.tail()}" if worker else ""
    raise BenchError(f"timed out after {timeout:g}s waiting for {what}{detail}")


# --- memory of a process tree ---------------------------------------------------------------
def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (from /proc/*/stat parent ids)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after its closing one.
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        tree.extend(children)
        frontier = children
    return tree


def status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler:
    """Samples the worker tree's summed VmRSS and keeps every process's VmHWM (its own peak,
    which the kernel keeps, so nothing between two samples is missed)."""

    def __init__(self, root: int, interval: float = 0.05) -> None:
        self.root = root
        self.interval = interval
        self.peak_rss_kb = 0
        self.hwm_kb: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def sample(self) -> int:
        total = 0
        for pid in process_tree(self.root):
            total += status_kb(pid, "VmRSS")
            self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), status_kb(pid, "VmHWM"))
        self.peak_rss_kb = max(self.peak_rss_kb, total)
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()

    @property
    def peak_mb(self) -> float:
        """The larger of the sampled peak and the sum of each process's own peak."""
        return max(self.peak_rss_kb, sum(self.hwm_kb.values())) / 1024


# --- sandbox forums -----------------------------------------------------------------------------
def start_discourse(*, users: int, per_window: int, window: float = 60.0):
    from forums.sandbox.core import RunningSandbox, SandboxConfig
    from forums.sandbox.discourse import DiscourseSandbox

    # The sandbox's own indexes (forums/sandbox/discourse/state.py) answer a 100,000-user
    # forum's lookups as fast as a small one's: the bench measures the worker, not the sandbox.
    app = DiscourseSandbox(
        SandboxConfig(
            api_key=SANDBOX_KEY,
            api_username="system",
            users=users,
            admin_requests_per_minute=per_window,
            rate_window_seconds=window,
        )
    )
    return RunningSandbox(app).start()


def add_empty_group(app, name: str) -> dict:
    with app.lock:
        gid = app.next_group_id
        app.next_group_id += 1
        app.groups[gid] = app._new_group(gid, name)
        return app.groups[gid]


def plain_users(app, count: int) -> list[dict]:
    """Ordinary accounts: not staff, not suspended or silenced (so every one can be changed)."""
    users = [
        u
        for u in app.users.values()
        if u["id"] > 0
        and not (u["admin"] or u["moderator"])
        and not app.suspended(u)
        and not app.silenced(u)
    ]
    users.sort(key=lambda u: u["id"])
    if len(users) < count:
        raise BenchError(f"the sandbox has {len(users)} plain users, {count} needed")
    return users[:count]


# --- the dashboard side -------------------------------------------------------------------------
@dataclass
class Bench:
    worker: Worker
    quick: bool
    figures: dict[str, Any] = field(default_factory=dict)
    # (figure, goal, met, enforced): a goal that only means something at full scale is shown
    # but not enforced by --quick.
    goals: list[tuple[str, str, bool, bool]] = field(default_factory=list)
    # figure -> why it was not reported (the machine was too busy for it to mean anything)
    busy: dict[str, str] = field(default_factory=dict)
    highest_load: float = 0.0
    _people: tuple | None = None

    def record(self, name: str, value: Any, *, baseline: str = "", goal: str = "") -> None:
        """Print ``name: value``, with what it is measured against (``baseline``: the plain
        script a user would write, measured in this run) and its goal beside it."""
        self.figures[name] = value
        notes = [f"baseline: {baseline}" if baseline else "", f"goal: {goal}" if goal else ""]
        notes = [n for n in notes if n]
        if notes:
            notes.append(load_words())
        self.highest_load = max(self.highest_load, load_average()[0])
        beside = f"    [{'; '.join(notes)}]" if notes else ""
        print(f"{name}: {fmt(value)}{beside}", flush=True)

    def goal(self, name: str, text: str, ok: bool, *, checked: bool = True) -> None:
        self.goals.append((name, text, ok, checked))

    def judge(
        self,
        name: str,
        value: float,
        goal: str,
        *,
        baseline: str,
        checked: bool = True,
        busy: str = "",
    ) -> None:
        """Record a figure that has a goal (``goal``: "<= 1.05", ">= 1", "== 0"), beside its
        baseline. A timed figure taken while the machine was too busy (``busy``: why) is not
        reported: its line says ``busy`` and why, and its goal is neither met nor missed."""
        if busy:
            self.figures[name] = None
            self.busy[name] = f"{busy}; measured {fmt(value)}, not reported"
            print(
                f"{name}: busy    [{self.busy[name]}; baseline: {baseline}; goal: {goal}; "
                f"{load_words()}]",
                flush=True,
            )
            return
        self.record(name, value, baseline=baseline, goal=goal)
        self.goal(name, goal, meets(value, goal), checked=checked)

    def people(self):
        """The bench proposer (a Moderator) and approver (an Approver): four eyes, as on the web."""
        if self._people is None:
            from django.contrib.auth import get_user_model
            from django.contrib.auth.models import Group

            from forums.roles import APPROVER, MODERATOR

            model = get_user_model()
            proposer = model.objects.create_user("bench-proposer", password=None)
            proposer.groups.add(Group.objects.get(name=MODERATOR))
            approver = model.objects.create_user("bench-approver", password=None)
            approver.groups.add(Group.objects.get(name=APPROVER))
            self._people = (proposer, approver)
        return self._people

    def connection(self, sandbox, name: str, rpm: int):
        from forums.connections.services import connection_create

        return connection_create(
            actor=self.people()[1],
            name=name,
            platform="discourse",
            base_url=sandbox.url,
            api_key=SANDBOX_KEY,
            api_username="system",
            requests_per_minute=rpm,
        )

    def propose(self, connection, kind: str, names: list[str], params: dict | None = None):
        from forums.bulk.services import bulk_action_propose

        return bulk_action_propose(
            actor=self.people()[0],
            kind=kind,
            connections=[connection],
            params=params or {},
            targets_text="\n".join(names),
        )

    def wait_state(self, action, states: set[str], timeout: float, what: str):
        from forums.models import BulkAction

        def reached():
            row = BulkAction.objects.filter(pk=action.pk).values_list("state", flat=True).first()
            return row in states

        wait_for(reached, timeout=timeout, what=what, worker=self.worker)
        action.refresh_from_db()
        return action

    def plan(self, action, timeout: float):
        from forums.models import BulkAction

        action = self.wait_state(
            action,
            {BulkAction.State.PENDING_APPROVAL, BulkAction.State.PLAN_FAILED},
            timeout,
            f"bulk action #{action.pk} to be planned",
        )
        if action.state != BulkAction.State.PENDING_APPROVAL:
            raise BenchError(f"planning failed: {action.last_error}")
        return action

    def approve_and_finish(self, action, timeout: float):
        from forums.bulk.services import bulk_action_approve
        from forums.models import BulkAction

        bulk_action_approve(actor=self.people()[1], action=action, plan_hash=action.plan_hash)
        ended = {
            BulkAction.State.SUCCEEDED,
            BulkAction.State.PARTIAL,
            BulkAction.State.FAILED,
            BulkAction.State.CANCELLED,
            BulkAction.State.PENDING_APPROVAL,
        }
        action = self.wait_state(action, ended, timeout, f"bulk action #{action.pk} to finish")
        if action.state == BulkAction.State.PENDING_APPROVAL:
            raise BenchError(f"the run was refused: {action.last_error}")
        return action


def meets(value: float, goal: str) -> bool:
    """Does ``value`` meet ``goal`` ("<= 1.05", ">= 1", "== 0", "< 3")?"""
    op, limit = goal.split()[:2]
    checks = {
        "<=": lambda a, b: a <= b,
        "<": lambda a, b: a < b,
        ">=": lambda a, b: a >= b,
        ">": lambda a, b: a > b,
        "==": lambda a, b: a == b,
    }
    return checks[op](value, float(limit))


def fmt(value: Any) -> str:
    if value is None:
        return "busy"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def item_counts(action) -> dict[str, int]:
    from django.db.models import Count

    return dict(action.items.values_list("state").annotate(n=Count("id")))


# --- measurements -------------------------------------------------------------------------------
def measure_group_add(bench: Bench, count: int = 2000) -> None:
    """Add ``count`` members to a Discourse group: every call of our plan and run (the
    baselines, pydiscourse itself, are in tools.bench_discourse)."""
    # About 4% of seeded accounts are staff, suspended or silenced: seed enough plain ones.
    sandbox = start_discourse(users=count * 11 // 10 + 50, per_window=UNPACED_RPM)
    try:
        app = sandbox.app
        group = add_empty_group(app, "bench-group-add")
        names = [u["username"] for u in plain_users(app, count)]
        connection = bench.connection(sandbox, "Bench group add", UNPACED_RPM)
        action = bench.plan(
            bench.propose(connection, "group_add", names, {"group": group["name"]}), timeout=120
        )
        plan_calls = app.calls.count()
        app.calls.clear()
        action = bench.approve_and_finish(action, timeout=120)
        run = app.calls.records()
        member_puts = [
            c for c in run if c.method == "PUT" and c.path == f"/groups/{group['id']}/members.json"
        ]
        added = len(group["members"])
        counts = item_counts(action)
        if added != count or counts.get("done", 0) != count:
            raise BenchError(f"group add: {added} of {count} added, items {counts}")
        prefix = f"discourse_group_add_{count}"
        # Plan (the group, its members unless it is empty, resolving the names) and run (the
        # member list it checks against, and the adds), every call the sandbox logged.
        bench.record(f"{prefix}_total_calls", plan_calls + len(run))
        bench.record(f"{prefix}_plan_calls", plan_calls)
        bench.record(f"{prefix}_run_calls", len(run))
        bench.record(f"{prefix}_add_calls", len(member_puts))
        bench.record(f"{prefix}_forum_users", sum(1 for u in app.users.values() if u["id"] > 0))
        # The plan needs only who each name is, so it reads trust_level_0's members (every
        # account but staged ones) 1,000 a page, then the staged list for what it lacked.
        bench.goal(f"{prefix}_total_calls", "<= 25", plan_calls + len(run) <= 25)
        bench.goal(f"{prefix}_run_calls", "<= 3", len(run) <= 3)
    finally:
        sandbox.stop()


def naive_suspend(count: int) -> float:
    """One lookup (username -> id) and one suspend per user, as a script over pydiscourse's
    ``user()`` and ``suspend()`` would send."""
    import requests

    sandbox = start_discourse(users=count + 100, per_window=UNPACED_RPM)
    try:
        app = sandbox.app
        names = [u["username"] for u in plain_users(app, count)]
        with requests.Session() as session:
            session.headers.update({"Api-Key": SANDBOX_KEY, "Api-Username": "system"})
            for name in names:
                user = session.get(f"{sandbox.url}/u/{name}.json", timeout=10).json()["user"]
                session.put(
                    f"{sandbox.url}/admin/users/{user['id']}/suspend.json",
                    json={"suspend_until": "2099-01-01T00:00:00Z", "reason": "naive benchmark"},
                    timeout=10,
                ).raise_for_status()
        return round(app.calls.count() / count, 3)
    finally:
        sandbox.stop()


def calls_label(calls: int) -> str:
    """1,000-ish calls read as 1000 in the figure names (the exact count is its own figure)."""
    return str(round(calls, -2) if calls >= 100 else calls)


def count_label(count: int) -> str:
    return f"{count // 1000}k" if count >= 1000 and count % 1000 == 0 else str(count)


def measure_memory(bench: Bench, targets: int = 100_000, idle_kb: int = 0) -> None:
    """Peak RSS of the worker tree while it plans and runs a ``targets``-member group add."""
    sandbox = start_discourse(users=targets, per_window=UNPACED_RPM)
    try:
        app = sandbox.app
        group = add_empty_group(app, "bench-memory")
        names = [u["username"] for u in app.users.values() if u["id"] > 0][:targets]
        connection = bench.connection(sandbox, "Bench memory", UNPACED_RPM)
        label = f"worker_rss_mb_{count_label(targets)}"
        with MemorySampler(bench.worker.pid) as sampler:
            started = time.monotonic()
            action = bench.propose(connection, "group_add", names, {"group": group["name"]})
            action = bench.plan(action, timeout=600)
            planned_in = time.monotonic() - started
            plan_peak = sampler.peak_mb
            started = time.monotonic()
            action = bench.approve_and_finish(action, timeout=600)
            ran_in = time.monotonic() - started
        counts = item_counts(action)
        if len(group["members"]) != targets or counts.get("done", 0) != targets:
            raise BenchError(
                f"memory run: {len(group['members'])} of {targets} added, items {counts}"
            )
        bench.record(label, round(sampler.peak_mb, 1))
        bench.record(f"{label}_while_planning", round(plan_peak, 1))
        bench.record(f"{label}_growth_over_idle", round(sampler.peak_mb - idle_kb / 1024, 1))
        bench.record(f"memory_{count_label(targets)}_plan_s", round(planned_in, 1))
        bench.record(f"memory_{count_label(targets)}_run_s", round(ran_in, 1))
        bench.goal(label, "<= 250", sampler.peak_mb <= 250, checked=not bench.quick)
    finally:
        sandbox.stop()


def idle_rss_kb(worker: Worker) -> int:
    """The worker tree's resting RSS: its children are forked by then, so wait for it to settle."""
    time.sleep(1.0)
    sampler = MemorySampler(worker.pid)
    return max(sampler.sample() for _ in range(5))


# --- main ---------------------------------------------------------------------------------------
def summary(bench: Bench) -> list[str]:
    f = bench.figures
    lines = ["", "Summary"]
    group = next(
        (k for k in f if k.startswith("discourse_group_add_") and k.endswith("_total_calls")),
        None,
    )
    if group:
        g = group.removesuffix("_total_calls")
        n = g.split("_")[3]
        batch = f.get(f"pydiscourse_group_add_{n}_calls")
        loop = next((v for k, v in f.items() if k.startswith("pydiscourse_loop_group_add_")), None)
        lines.append(
            f"- Group add of {n} on a {f[g + '_forum_users']}-user forum: {f[group]} calls in "
            f"all, plan {f[g + '_plan_calls']} + run {f[g + '_run_calls']} "
            f"({f[g + '_add_calls']} adding members); pydiscourse's batch call "
            f"{batch if batch is not None else '-'} (no plan: unknown names dropped silently), "
            f"its per-user loop {loop if loop is not None else '-'}."
        )
    from tools.bench_pacing import summary_lines

    lines.extend(summary_lines(f))
    if "api_calls_per_item_suspend" in f:
        lines.append(
            f"- Suspend: {f['api_calls_per_item_suspend']:.3f} calls per user "
            f"({f['api_calls_per_item_suspend_with_plan']:.3f} with the plan), naive "
            f"{f['naive_api_calls_per_item_suspend']:.2f}."
        )
    memory = next(
        (
            k
            for k in f
            if k.startswith("worker_rss_mb_") and k.count("_") == 3 and k != "worker_rss_mb_idle"
        ),
        None,
    )
    if memory:
        lines.append(
            f"- Worker memory: {f[memory]:.1f} MB at peak planning and running "
            f"{memory.rsplit('_', 1)[1]} targets, {f['worker_rss_mb_idle']:.1f} MB idle "
            f"(prefork worker, concurrency 1, both processes summed)."
        )
    missed = [g for g in bench.goals if g[3] and not g[2]]
    unchecked = [g for g in bench.goals if not g[3]]
    for name, text, ok, checked in bench.goals:
        state = "met" if ok else "MISSED"
        if not checked:
            state += " (not enforced at this scale)"
        lines.append(f"  goal {name} {text}: {state}")
    for name, why in bench.busy.items():
        lines.append(f"  goal {name}: NOT JUDGED ({why})")
    if bench.busy:
        lines.append(
            f"{len(bench.busy)} timed figure(s) not reported: the machine was too busy. "
            "Run the bench again on a quieter machine for them."
        )
    lines.append(
        "All goals met."
        if not missed
        else "Goals missed: "
        + ", ".join(f"{name} (goal {text}, got {fmt(f.get(name))})" for name, text, _, _ in missed)
    )
    if unchecked and bench.quick:
        lines.append("Quick run: scale-dependent goals are shown, not enforced.")
    return lines


PARTS = (
    "bulk_list",
    "audit",
    "group_add",
    "group_sync",
    "nodebb_ban",
    "pacing",
    "unpaced",
    "pydiscourse",
    "propose",
    "suspend_memory",
    "memory",
    "people_search",
    "overview",
    "index",
    "fleet",
    "review",
    "group_add_scale",
)


def measurements(idle_kb: int) -> list[tuple[str, Callable[[Bench, bool], None]]]:
    """Every part of the benchmark, by the name ``--only`` takes, in the order they run."""
    from tools import (
        bench_discourse,
        bench_fleet,
        bench_group_scale,
        bench_groups,
        bench_index,
        bench_lists,
        bench_nodebb,
        bench_pacing,
        bench_people,
        bench_review,
    )

    def memory(bench: Bench, quick: bool) -> None:
        measure_memory(bench, targets=5000 if quick else 100_000, idle_kb=idle_kb)

    parts = [
        # List pages first: each compares a small and a large database of its own rows only.
        ("bulk_list", bench_lists.measure_bulk_list),
        ("audit", bench_lists.measure_audit),
        ("group_add", lambda bench, quick: measure_group_add(bench, 2000)),
        ("group_sync", bench_groups.measure_group_sync),
        ("nodebb_ban", bench_nodebb.measure_nodebb_ban),
        ("pacing", bench_pacing.measure_pacing),
        ("unpaced", bench_pacing.measure_unpaced),
        ("pydiscourse", bench_discourse.measure_pydiscourse_group_add),
        ("propose", bench_discourse.measure_propose),
        ("suspend_memory", bench_discourse.measure_suspend_memory),
        ("memory", memory),
        ("people_search", bench_people.measure_people_search),
        ("overview", measure_overview_scale),
        ("index", bench_index.measure_index),
        ("fleet", bench_fleet.measure_fleet),
        ("review", bench_review.measure_review),
        ("group_add_scale", bench_group_scale.measure_group_add_scale),
    ]
    assert tuple(name for name, _ in parts) == PARTS
    return parts


def run(quick: bool, only: frozenset[str] = frozenset()) -> int:
    var_dir = Path(tempfile.mkdtemp(prefix="forumdeck-bench-"))
    worker = None
    try:
        configure_environment(var_dir)
        setup_django()
        worker = Worker(var_dir / "worker.log")
        worker.wait_ready()
        idle = idle_rss_kb(worker)
        bench = Bench(worker=worker, quick=quick)
        started = time.monotonic()
        print(
            f"# tools.bench ({'quick' if quick else 'full'}): SQLite + filesystem broker in "
            f"{var_dir}, worker pid {worker.pid}",
            flush=True,
        )
        print(f"# {load_words()} at the start", flush=True)
        bench.record("worker_rss_mb_idle", round(idle / 1024, 1))
        for name, measure in measurements(idle):
            if not only or name in only:
                print(f"# part {name}: {load_words()}", flush=True)
                measure(bench, quick)
        total = time.monotonic() - started
        print(f"# {load_words()} at the end", flush=True)
        bench.record("load_avg_1m_highest", round(bench.highest_load, 2))
        bench.record("cores", CORES)
        bench.record("bench_total_s", round(total, 1))
        if not quick and not only:
            # The whole full bench, from the worker's start to the last figure.
            bench.judge(
                "bench_full_minutes",
                round(total / 60, 1),
                "<= 30",
                baseline=f"{CORES}-core machine, highest 1-min load {bench.highest_load:.2f}",
            )
        for line in summary(bench):
            print(line)
        return 1 if any(checked and not ok for _, _, ok, checked in bench.goals) else 0
    except BenchError as exc:
        print(f"benchmark error: {exc}", file=sys.stderr)
        return 2
    finally:
        if worker is not None:
            worker.stop()
        shutil.rmtree(var_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small scale (the smoke test); scale-dependent goals not enforced",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="PART",
        help="run only this part (repeatable): " + ", ".join(PARTS),
    )
    args = parser.parse_args(argv)
    unknown = set(args.only) - set(PARTS)
    if unknown:
        parser.error(f"unknown part {', '.join(sorted(unknown))}; the parts: {', '.join(PARTS)}")
    return run(args.quick, frozenset(args.only))


if __name__ == "__main__":
    sys.exit(main())
