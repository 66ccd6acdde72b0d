"""The fleet index under load (issue 23): many people on the index's pages at once, and the
index's first sync beside a bulk run.

``concurrent_20_throughput_over_1``: the dashboard served as a self-hoster serves it (gunicorn,
gthread, the worker and thread counts of docker/entrypoint.sh and ``manage.py runstack``, in a
subprocess on a loopback port, in the bench's throwaway environment) over a fleet of indexed
forums (``tools.bench_index._IndexedFleet``), signed in as the bench's moderator. For People
search, Groups, Tags and the overview: requests per second with 20 clients asking at once
(each asks again as soon as its answer is read to its end) divided by the same with one client.
Two cores bound it near 2. The load average is printed beside it.

``sync_share_of_budget``: a sandbox Discourse with a known limit, a suspend run through the
real worker, and the index's first sync of that forum running at the same time (its steps
driven as ``forums.tasks.sync_index`` drives them: a step, then the next after the countdown
it asks for). From the sandbox's call log: the share of the forum's calls between the run's
first and last that the sync sent (goal: at most ``FORUMDECK_INDEX_SYNC_SHARE``), and the run's
time over its floor beside the same run without the sync (goal: within 3 %).

What the figures mean and the numbers we got: docs/benchmarks.md, "The fleet index under load".
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dashboard.web_server import WEB_THREADS, default_web_workers
from tools.bench import (
    ROOT,
    UNPACED_RPM,
    Bench,
    BenchError,
    item_counts,
    plain_users,
    process_tree,
    start_discourse,
    wait_for,
)
from tools.bench_index import QUERY, _IndexedFleet
from tools.bench_pacing import planned_suspension

# The shipped web server: docker/entrypoint.sh `web` (WEB_CONCURRENCY: a worker per core and one
# more, GUNICORN_THREADS 8, gthread) and dashboard/management/commands/runstack.py (the same, on
# loopback).
WEB_WORKERS = default_web_workers()
CLIENTS = 20
PAGES = {
    "people": ("/forums/people/", {"q": QUERY}),
    "groups": ("/forums/groups/", {}),
    "tags": ("/forums/tags/", {}),
    "overview": ("/", {}),
}


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


# --- 1. many people at once ---------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Gunicorn:
    """The dashboard's WSGI app under gunicorn with the shipped settings, in a subprocess of
    its own (its own process group) that inherits the bench's environment (database, cache,
    secrets, broker)."""

    def __init__(self, log: Path) -> None:
        from django.conf import settings

        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise warns else
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_file = log.open("w")
        args = [
            sys.executable, "-m", "gunicorn", "dashboard.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}",
            "--worker-class", "gthread",
            "--workers", str(WEB_WORKERS),
            "--threads", str(WEB_THREADS),
            "--timeout", "60", "--graceful-timeout", "30", "--keep-alive", "5",
            "--access-logfile", "-", "--error-logfile", "-",
            "--logger-class", "dashboard.gunicorn_logging.RedactingLogger",
            "--no-control-socket",
        ]  # fmt: skip
        env = {
            **os.environ,
            # The image collects static files when it is built; the bench has no such step, and
            # the pages measured here only name their files (WhiteNoise serves them apart).
            "DJANGO_STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        }
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        import requests

        def answers() -> bool:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                return requests.get(self.url + "/accounts/login/", timeout=5).status_code < 500
            except requests.RequestException:
                return False

        wait_for(answers, timeout=60, what="gunicorn to answer")

    def stop(self) -> None:
        import signal

        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=35)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log_file.close()


def cpu_seconds(root: int) -> float:
    """User and system CPU time used so far by ``root``'s process tree (live processes)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


def _session_cookie(bench: Bench) -> str:
    from django.test import Client

    client = Client()
    client.force_login(bench.people()[0])
    return client.cookies["sessionid"].value


@dataclass
class Load:
    requests: int
    seconds: float
    medians: float
    server_cores: float = 0.0  # CPU seconds the server used per second of the load
    client_cores: float = 0.0  # the same for this process (the clients)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def _load(
    url: str, params: dict, cookie: str, clients: int, seconds: float, server: int = 0
) -> Load:
    """``clients`` threads, each with its own connection, asking for the page again as soon as
    the last answer is read to its end, for ``seconds``; the requests answered over the time
    from the first request to the last answer."""
    import requests

    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    until = [0.0]

    def client() -> None:
        with requests.Session() as session:
            session.cookies.set("sessionid", cookie)
            start.wait()
            while time.monotonic() < until[0]:
                began = time.monotonic()
                try:
                    response = session.get(url, params=params, timeout=60)
                    _ = response.content
                    ok = response.status_code == 200
                except requests.RequestException as exc:
                    ok, response = False, None
                    errors.append(str(exc))
                took = time.monotonic() - began
                with lock:
                    if ok:
                        times.append(took)
                    elif response is not None:
                        errors.append(f"{url} answered {response.status_code}")
                if errors:
                    return

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    server_cpu = cpu_seconds(server) if server else 0.0
    client_cpu = sum(os.times()[:2])
    began = time.monotonic()
    until[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join(timeout=120)
    ended = time.monotonic()
    server_cpu = (cpu_seconds(server) - server_cpu) if server else 0.0
    client_cpu = sum(os.times()[:2]) - client_cpu
    if errors:
        raise BenchError(f"{url}: {errors[0]}")
    if not times:
        raise BenchError(f"{url}: no answer in {seconds:g} s")
    took = ended - began
    return Load(len(times), took, statistics.median(times), server_cpu / took, client_cpu / took)


def measure_concurrency(bench: Bench, quick: bool) -> None:
    from forums.models import ForumConnection

    forums = 5 if quick else 20
    sizes = (
        {"accounts": 300, "groups": 20, "tags": 50}
        if quick
        else {"accounts": 5_000, "groups": 100, "tags": 500}
    )
    seconds = 1.5 if quick else 10.0
    with ExitStack() as stack:
        # Only the fleet's forums on the overview: earlier parts leave their forums (stopped
        # sandboxes) enabled.
        others = list(ForumConnection.objects.filter(enabled=True).values_list("pk", flat=True))
        ForumConnection.objects.filter(pk__in=others).update(enabled=False)
        stack.callback(lambda: ForumConnection.objects.filter(pk__in=others).update(enabled=True))
        fleet = _IndexedFleet(bench, forums, **sizes)
        stack.callback(fleet.stop)
        cookie = _session_cookie(bench)
        server = _Gunicorn(Path(os.environ["FORUMDECK_VAR_DIR"]) / "gunicorn.log")
        stack.callback(server.stop)
        server.wait_ready()
        print(
            f"# fleet: {forums} forums x ({sizes['accounts']} accounts, {sizes['groups']} "
            f"groups, {sizes['tags']} tags); gunicorn gthread, {WEB_WORKERS} workers x "
            f"{WEB_THREADS} threads; {seconds:g} s a load",
            flush=True,
        )
        worst = None
        for page, (path, params) in PAGES.items():
            query = {**params, "forum": fleet.ids} if path != "/" else {}
            url = server.url + path
            # Warm both processes (templates, the cards' cached health for the overview).
            _load(url + ("?wait=1" if path == "/" else ""), query, cookie, 2, 0.01)
            one = _load(url, query, cookie, 1, seconds, server.process.pid)
            if path == "/":
                _load(url + "?wait=1", query, cookie, 1, 0.01)  # health still cached
            many = _load(url, query, cookie, CLIENTS, seconds, server.process.pid)
            ratio = many.per_second / one.per_second
            name = f"concurrent_{CLIENTS}_throughput_over_1_{page}"
            bench.record(f"{name}_one_median_s", round(one.medians, 3))
            bench.record(f"{name}_{CLIENTS}_median_s", round(many.medians, 3))
            bench.record(f"{name}_one_per_s", round(one.per_second, 2))
            # Where the time went: the cores the server's processes kept busy (2 at most on
            # this machine, less when other work has them), and the clients' own.
            bench.record(f"{name}_server_cores_one", round(one.server_cores, 2))
            bench.record(f"{name}_server_cores_{CLIENTS}", round(many.server_cores, 2))
            bench.record(f"{name}_client_cores_{CLIENTS}", round(many.client_cores, 2))
            # The server's CPU time per answer, 20 clients over one: about 1 when answering at
            # once costs nothing extra (no lock spun on, no work repeated), so the ratio above
            # is the cores the machine gave the server, not the app's.
            if one.server_cores and many.server_cores:
                per_answer = (many.server_cores / many.per_second) / (
                    one.server_cores / one.per_second
                )
                bench.record(f"{name}_cpu_per_answer_{CLIENTS}_over_1", round(per_answer, 3))
            bench.record(name, round(ratio, 3))
            if worst is None or ratio < worst[1]:
                worst = (page, ratio)
        assert worst is not None
        name = f"concurrent_{CLIENTS}_throughput_over_1"
        print(f"# worst page: {worst[0]}; load average {load_average()}", flush=True)
        bench.record(name, round(worst[1], 3))
        bench.record(f"{name}_load_1min", round(os.getloadavg()[0], 2))
        bench.goal(name, ">= 1.7", worst[1] >= 1.7, checked=not quick)


# --- 2. the sync beside a bulk run --------------------------------------------------------------
# The forum allows ``per_window`` calls in any ``window`` seconds (a real Discourse's limit
# with its window shortened, as tools/bench_pacing.py does, so the run takes about a minute).
FULL = {"window": 4, "per_window": 120, "items": 1800, "users": 12_000}
QUICK = {"window": 1, "per_window": 20, "items": 60, "users": 2_000}


SYNC_PATHS = {"/about.json", "/groups.json", "/tags.json"}


def is_sync_call(record) -> bool:
    """The first sync's reads: the whole user list oldest first (the run's re-checks read the
    list too, filtered, not ordered by creation), the account count (``/about.json``, which a
    run's client may read once for the version: counted as the sync's, the stricter way), the
    groups and the tags. Every other call to the forum is the run's."""
    if record.path == "/admin/users/list/active.json":
        return "order=created" in record.query
    return record.path in SYNC_PATHS


@dataclass
class SyncRun:
    calls: int  # every call the forum answered from the run's first call to its last
    run_calls: int
    sync_calls: int  # of ``calls``, the sync's
    sync_calls_total: int  # the sync's, from its start to the run's end
    first_to_last: float
    rate_limited: int
    records: list = field(default_factory=list, repr=False)  # the forum's log, from the start

    def floor(self, allowance: int, rate: float) -> float:
        """The run's own calls: (calls - the window's allowance) / rate."""
        return max(self.run_calls - allowance, 1) / rate


@contextmanager
def _syncing(connection, on: bool):
    """The forum's first sync, step after step as the worker's task takes them (``sync_index``:
    a step, then a retry after the countdown it asks for), in a thread of this process: the
    bench's one worker process stays the run's (the shipped worker runs two)."""
    if not on:
        yield
        return
    from django.db import connection as db

    from forums.index.sync import index_sync_start, index_sync_step

    index_sync_start(connection=connection, force=True)
    stop = threading.Event()
    failed: list[BaseException] = []

    def loop() -> None:
        try:
            while not stop.is_set():
                step = index_sync_step(connection_id=connection.pk)
                if step.again_in is None:
                    return
                stop.wait(step.again_in)
        except BaseException as exc:  # noqa: BLE001 - reported by the bench below
            failed.append(exc)
        finally:
            db.close()

    thread = threading.Thread(target=loop, name="bench-index-sync", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=60)
    if failed:
        raise BenchError(f"the index sync failed: {failed[0]!r}")


def sync_run(bench: Bench, cfg: dict, name: str, *, sync: bool) -> SyncRun:
    window, per_window, items = cfg["window"], cfg["per_window"], cfg["items"]
    sandbox = start_discourse(users=cfg["users"], per_window=per_window, window=window)
    try:
        app = sandbox.app
        names = [u["username"] for u in plain_users(app, items)]
        connection, action = planned_suspension(
            bench, sandbox, name, per_window * 60 // window, window, names
        )
        time.sleep(window * 1.1)  # the plan's calls leave the window: the run starts afresh
        mark = time.time()
        with _syncing(connection, sync):
            if sync:  # the sync under way before the run starts, as it would be
                wait_for(
                    lambda: any(is_sync_call(r) for r in app.calls.records() if r.at >= mark),
                    timeout=30,
                    what="the index sync's first call",
                )
            action = bench.approve_and_finish(action, timeout=max(120, items * 0.5))
            records = [r for r in app.calls.records() if r.at >= mark]
        run = [r for r in records if not is_sync_call(r)]
        if not run:
            raise BenchError(f"{name}: the run sent no call")
        start, end = run[0].at, run[-1].at
        during = [r for r in records if start <= r.at <= end]
        counts = item_counts(action)
        if counts.get("done", 0) != items:
            raise BenchError(f"{name}: items {counts}")
        return SyncRun(
            calls=len(during),
            run_calls=len(run),
            sync_calls=sum(1 for r in during if is_sync_call(r)),
            sync_calls_total=sum(1 for r in records if is_sync_call(r) and r.at <= end),
            first_to_last=end - start,
            rate_limited=sum(1 for r in records if r.status == 429),
            records=records,
        )
    finally:
        connection_disable(name)
        sandbox.stop()


def connection_disable(name: str) -> None:
    from forums.models import ForumConnection

    ForumConnection.objects.filter(name=name).update(enabled=False)


def measure_sync_share(bench: Bench, quick: bool) -> None:
    from django.conf import settings

    cfg = QUICK if quick else FULL
    allowance, rate = cfg["per_window"], cfg["per_window"] / cfg["window"]
    share = float(settings.FORUMDECK_INDEX_SYNC_SHARE)
    alone = sync_run(bench, cfg, "Bench run alone", sync=False)
    beside = sync_run(bench, cfg, "Bench run with sync", sync=True)
    alone_ratio = alone.first_to_last / alone.floor(allowance, rate)
    beside_ratio = beside.first_to_last / beside.floor(allowance, rate)
    sync_share = beside.sync_calls / beside.calls
    change = beside_ratio / alone_ratio - 1
    print(
        f"# sync share: {allowance} calls in any {cfg['window']} s, {cfg['items']} suspended, "
        f"a {cfg['users']}-account forum synced beside",
        flush=True,
    )
    bench.record("sync_share_configured", share)
    bench.record("sync_share_run_calls", beside.run_calls)
    bench.record("sync_share_sync_calls_during_run", beside.sync_calls)
    bench.record("sync_share_sync_calls_until_run_end", beside.sync_calls_total)
    bench.record("sync_share_of_budget", round(sync_share, 4))
    bench.record("sync_share_run_alone_s", round(alone.first_to_last, 3))
    bench.record("sync_share_run_beside_sync_s", round(beside.first_to_last, 3))
    bench.record("sync_share_run_alone_over_floor", round(alone_ratio, 3))
    bench.record("sync_share_run_beside_sync_over_floor", round(beside_ratio, 3))
    bench.record("sync_share_run_time_change", round(change, 4))
    bench.record("sync_share_rate_limited_responses", alone.rate_limited + beside.rate_limited)
    bench.record("sync_share_load_1min", round(os.getloadavg()[0], 2))
    print(f"# load average {load_average()}", flush=True)
    bench.goal("sync_share_of_budget", f"<= {share:g}", sync_share <= share)
    bench.goal(
        "sync_share_run_time_change", "within +-0.03", abs(change) <= 0.03, checked=not quick
    )
    bench.goal(
        "sync_share_rate_limited_responses",
        "== 0",
        alone.rate_limited + beside.rate_limited == 0,
    )


# --- 3. a change made on the forum, seen in search ----------------------------------------------
def measure_webhook_to_index(bench: Bench, quick: bool) -> None:
    """``webhook_to_index_s``: a moderator suspends someone on the forum itself (its own API,
    not Forumdeck); the forum's webhook job delivers the signed change to the dashboard served
    by gunicorn, whose receiver writes the index: seconds from the forum's answer until the
    index (what People search reads) shows the account suspended. The worst of the runs."""
    import requests

    from forums.index.services import index_webhook_connect
    from forums.index.sync import index_sync_start, index_sync_step
    from forums.models import IndexedAccount, IndexSync
    from forums.sandbox.core import RunningSandbox, SandboxConfig
    from forums.sandbox.discourse import DiscourseSandbox
    from tools.bench import SANDBOX_KEY

    runs = 3 if quick else 10
    app = DiscourseSandbox(
        SandboxConfig(
            api_key=SANDBOX_KEY,
            api_username="system",
            users=200,
            admin_requests_per_minute=UNPACED_RPM,
            # The dashboard is on loopback, which a forum refuses for a webhook unless told.
            allowed_internal_hosts="127.0.0.1",
        )
    )
    sandbox = RunningSandbox(app).start()
    server = _Gunicorn(Path(tempfile.mkdtemp(prefix="bench-webhook-")) / "gunicorn.log")
    connection = bench.connection(sandbox, "Bench webhook", UNPACED_RPM)
    try:
        server.wait_ready()
        index_sync_start(connection=connection, force=True)
        wait_for(
            lambda: (
                index_sync_step(connection_id=connection.pk) is not None
                and IndexSync.objects.get(connection=connection).state == IndexSync.State.COMPLETE
            ),
            timeout=120,
            what="the forum's first sync",
        )
        url = f"{server.url}/forums/index/webhook/{connection.pk}/"
        index_webhook_connect(connection=connection, url=url, actor=bench.people()[1])
        plain = [
            u["id"]
            for u in app.users.values()
            if u["id"] > 0 and not (u["admin"] or u["moderator"] or u.get("suspended_till"))
        ][:runs]
        seen = []
        for uid in plain:
            answer = requests.put(
                f"{sandbox.url}/admin/users/{uid}/suspend.json",
                headers={"Api-Key": SANDBOX_KEY, "Api-Username": "system"},
                json={"suspend_until": "2099-01-01", "reason": "bench: a spam wave"},
                timeout=10,
            )
            started = time.monotonic()
            if answer.status_code != 200:
                raise BenchError(f"the sandbox did not suspend #{uid}: {answer.status_code}")
            wait_for(
                lambda uid=uid: IndexedAccount.objects.filter(
                    connection=connection, forum_id=uid, suspended=True
                ).exists(),
                timeout=30,
                what=f"the suspension of #{uid} to reach the index",
                interval=0.02,
            )
            seen.append(time.monotonic() - started)
        bench.record("webhook_to_index_median_s", round(statistics.median(seen), 3))
        bench.judge(
            "webhook_to_index_s",
            round(max(seen), 3),
            "<= 2",
            baseline="without a webhook, the next cheap poll: every FORUMDECK_INDEX_POLL_SECONDS "
            "(60 s by default)",
        )
    finally:
        server.stop()
        connection.enabled = False
        connection.save(update_fields=["enabled"])
        sandbox.stop()


def measure_fleet(bench: Bench, quick: bool) -> None:
    measure_concurrency(bench, quick)
    measure_sync_share(bench, quick)
    measure_webhook_to_index(bench, quick)
