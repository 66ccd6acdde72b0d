"""`make run`'s embedded stack (manage.py runstack) supervises what it starts, with real
processes: a dead worker or beat is started again, a worker whose pool processes were killed
(it then receives tasks and never runs them) is restarted, one that keeps dying stops
everything with a clear message; and the overview turns red when no worker takes tasks
(issue 13, finding 9)."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.cache import cache
from django.core.cache.backends.filebased import FileBasedCache
from django.urls import reverse
from django.utils import timezone

from dashboard.services import HEARTBEAT_KEY
from tests.pages import page_html
from tests.processes import wait_for

ROOT = Path(__file__).resolve().parents[2]
STALE_SECONDS = 8

_APP_PREFIXES = ("DJANGO_", "FORUMDECK_", "CELERY_", "DATABASE_", "CACHE_", "PYTEST_")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ", 1)[1][0] != "Z"


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


@pytest.fixture(scope="module")
def stack_env(tmp_path_factory) -> dict[str, str]:
    """The embedded defaults (SQLite, filesystem broker, file cache) in a folder of their own,
    whatever database and broker the rest of the suite runs on."""
    tmp = tmp_path_factory.mktemp("runstack")
    env = {key: value for key, value in os.environ.items() if not key.startswith(_APP_PREFIXES)}
    env.update(
        DJANGO_SETTINGS_MODULE="dashboard.settings",
        FORUMDECK_ENV_FILE=os.devnull,
        FORUMDECK_VAR_DIR=str(tmp / "var"),
        DATABASE_URL="sqlite:///" + str(tmp / "db.sqlite3"),
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        FORUMDECK_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DJANGO_SECURE_COOKIES="false",
        CELERY_BROKER_URL="filesystem://",
        FORUMDECK_HEARTBEAT_SECONDS="1",
        FORUMDECK_WORKER_STALE_SECONDS=str(STALE_SECONDS),
        XDG_RUNTIME_DIR=str(tmp / "run"),
        PYTHONUNBUFFERED="1",
    )
    (tmp / "run").mkdir(mode=0o700)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    return env


class Stack:
    def __init__(self, env: dict[str, str], log: Path, *extra: str) -> None:
        self.env = env
        self.log = log
        self._file = log.open("w")
        self.cache = FileBasedCache(str(Path(env["FORUMDECK_VAR_DIR"]) / "cache"), {})
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runstack",
                "--bind",
                f"127.0.0.1:{_free_port()}",
                "--concurrency",
                "2",
                *extra,
            ],
            cwd=ROOT,
            env=env,
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, pattern: str, timeout: float = 60) -> re.Match:
        return wait_for(
            lambda: re.search(pattern, self.output()),
            timeout=timeout,
            what=f"runstack to say {pattern!r}",
            on_fail=lambda: self.output()[-5000:],
        )

    def pids(self, name: str) -> list[int]:
        """Every pid the stack announced for ``name``, oldest first."""
        return [
            int(pid)
            for pid in re.findall(
                rf"(?:Started the {name} \(pid (\d+)\)|The {name} .*started it again "
                rf"\(pid (\d+)\))",
                self.output(),
            )
            for pid in pid
            if pid
        ]

    def heartbeat_after(self, moment: float, timeout: float = 60) -> dict:
        """Wait until a worker has taken a task after ``moment`` (wall clock)."""

        def fresh():
            beat = self.cache.get(HEARTBEAT_KEY)
            if beat and timezone.datetime.fromisoformat(beat["at"]).timestamp() > moment:
                return beat
            return None

        return wait_for(
            fresh,
            timeout=timeout,
            what="a worker to take a task",
            on_fail=lambda: self.output()[-5000:],
        )

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._file.close()
        return self.process.returncode


@pytest.fixture
def start_stack(stack_env, tmp_path):
    stacks: list[Stack] = []

    def start(*extra: str) -> Stack:
        stack = Stack(stack_env, tmp_path / f"runstack-{len(stacks)}.log", *extra)
        stacks.append(stack)
        stack.wait_for_output(r"Forumdeck is running at")
        return stack

    yield start
    for stack in stacks:
        everything = [stack.process.pid]
        for name in ("web", "worker", "beat"):
            everything += stack.pids(name)
        stack.stop()
        for pid in everything:  # nothing outlives the test
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.worker
def test_a_worker_or_beat_that_dies_is_started_again(start_stack):
    stack = start_stack()
    stack.heartbeat_after(time.time() - 1)
    worker = stack.pids("worker")[-1]

    killed_at = time.time()
    os.killpg(worker, signal.SIGKILL)  # the worker and its pool, as the OOM killer might
    stack.wait_for_output(r"The worker exited \(killed by SIGKILL\); started it again")
    assert stack.pids("worker")[-1] != worker
    stack.heartbeat_after(killed_at)  # the new worker takes tasks

    beat = stack.pids("beat")[-1]
    os.kill(beat, signal.SIGKILL)
    stack.wait_for_output(r"The beat exited \(killed by SIGKILL\); started it again")
    restarted_at = time.time()
    stack.heartbeat_after(restarted_at + 1)  # beat sends heartbeats again

    pids = [stack.pids(name)[-1] for name in ("web", "worker", "beat")]
    assert stack.stop() == 0
    assert "Stopping web, worker and beat" in stack.output()
    assert not [pid for pid in pids if _alive(pid)]


@pytest.mark.worker
def test_a_worker_whose_pool_processes_were_killed_is_restarted_and_takes_tasks_again(
    start_stack,
):
    stack = start_stack()
    stack.heartbeat_after(time.time() - 1)
    worker = stack.pids("worker")[-1]
    pool = wait_for(
        lambda: len(_children(worker)) == 2 and _children(worker),
        timeout=30,
        what="the worker's two pool processes",
    )
    killed_at = time.time()
    for pid in pool:
        os.kill(pid, signal.SIGKILL)
    # Celery replaces them, but on the filesystem broker the new ones never get a task: the
    # worker still runs and receives tasks, and without supervision stays like that.
    stack.wait_for_output(
        r"The worker has taken no task for \d+ seconds although beat sends one every 1 "
        r"seconds: its pool is stuck; started it again \(pid \d+\)",
        timeout=STALE_SECONDS + 40,
    )
    assert stack.pids("worker")[-1] != worker
    beat = stack.heartbeat_after(killed_at + STALE_SECONDS)
    assert beat["pid"] not in pool
    assert stack.stop() == 0


@pytest.mark.worker
def test_a_worker_that_keeps_dying_stops_everything_with_a_clear_message(start_stack):
    stack = start_stack("--max-restarts", "2", "--restart-window", "120")
    for deaths in range(3):
        worker = stack.pids("worker")[-1]
        os.killpg(worker, signal.SIGKILL)
        if deaths < 2:
            wait_for(
                lambda w=worker: stack.pids("worker")[-1] != w,
                timeout=30,
                what="the worker to be started again",
                on_fail=lambda: stack.output()[-5000:],
            )
    stack.process.wait(timeout=60)
    assert stack.process.returncode == 1
    output = stack.output()
    assert (
        "The worker exited (killed by SIGKILL), and it keeps failing: 3 times in the last "
        "120 seconds. Stopping web, worker and beat." in output
    )
    assert not [pid for name in ("web", "beat") for pid in stack.pids(name) if _alive(pid)]


# --- the overview -----------------------------------------------------------------------------


def _took_a_task(seconds_ago: float) -> None:
    at = timezone.now() - timedelta(seconds=seconds_ago)
    cache.set(HEARTBEAT_KEY, {"at": at.isoformat(), "host": "h", "pid": 1}, 3600)


def test_the_overview_turns_red_when_no_worker_has_taken_a_task_for_a_while(
    viewer_client, settings
):
    settings.FORUMDECK_WORKER_STALE_SECONDS = 60
    _took_a_task(5)
    ok = page_html(viewer_client.get(reverse("overview")))
    assert "Background worker: running (took a task" in ok
    _took_a_task(90)
    stale = page_html(viewer_client.get(reverse("overview")))
    assert 'class="errornote" id="worker-status"' in stale
    assert "No background worker has taken a task for 1" in stale  # "1 minute"


@pytest.mark.worker
def test_a_starting_worker_proves_itself_by_taking_a_task(stack_env, tmp_path):
    """worker_ready used to write the heartbeat itself, from the main process: a worker whose
    pool could not run anything looked alive. Now it sends itself a task."""
    # A broker and cache of its own: no task left over by another test to take.
    cache_dir = tmp_path / "cache"
    shared = FileBasedCache(str(cache_dir), {})
    env = {
        **stack_env,
        "FORUMDECK_HEARTBEAT_SECONDS": "3600",
        "FORUMDECK_BROKER_DIR": str(tmp_path / "broker"),
        "CACHE_URL": f"filecache://{cache_dir}",
    }
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "dashboard",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"proof-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            beat = wait_for(
                lambda: shared.get(HEARTBEAT_KEY),
                timeout=60,
                what="the new worker to take a task",
                on_fail=lambda: log.read_text()[-3000:],
            )
            assert beat["pid"] != worker.pid  # a pool process ran it, not the main process
            wait_for(
                lambda: "Task dashboard.tasks.worker_heartbeat" in log.read_text(),
                timeout=10,
                what="the worker to log the task it took",
            )
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)


@pytest.mark.worker
def test_the_first_admins_password_follows_the_banners_and_ends_the_first_run(
    stack_env, start_stack
):
    """Finding 16: a password printed once scrolled away under the worker's banners."""
    made = subprocess.run(
        [sys.executable, "manage.py", "ensure_admin"],
        cwd=ROOT,
        env={**stack_env, "DJANGO_SUPERUSER_USERNAME": "", "DJANGO_SUPERUSER_PASSWORD": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr[-3000:]
    password = made.stdout.split("password: ")[1].split()[0]
    path = Path(stack_env["FORUMDECK_VAR_DIR"]) / "first-admin.txt"
    assert (path.stat().st_mode & 0o777) == 0o600

    stack = start_stack()
    notice = stack.wait_for_output(r"Sign in at http://\S+ as the first Admin:", timeout=60)
    output = stack.output()
    banner = re.search(r"\S+@\S+ ready\.", output)
    assert banner and banner.start() < notice.start(), output[-3000:]
    assert f"password: {password}" in output[notice.start() :]
    assert stack.stop() == 0
    final = stack.output()
    # Once more at the very end, after everything stopped.
    assert final.rstrip().endswith("=" * 72)
    assert final.count(f"password: {password}") == 2


@pytest.mark.django_db
def test_the_demo_names_its_sandbox_forums_as_their_software_spells_them(monkeypatch):
    """Issue 26, item 22: "Demo Discourse forum (sandbox)", not "Demo discourse sandbox"."""
    import io

    from dashboard.management.commands.runstack import Command

    for platform in ("DISCOURSE", "NODEBB", "USERECHO"):
        monkeypatch.setenv(f"FORUMDECK_DEMO_{platform}_PORT", "0")  # any free port
    out = io.StringIO()
    sandboxes = Command(stdout=out)._start_demo()
    try:
        said = out.getvalue()
    finally:
        for sandbox in sandboxes:
            sandbox.stop()
    for name in ("Demo Discourse", "Demo NodeBB", "Demo UserEcho"):
        assert f"{name} forum (sandbox) at http://127.0.0.1:" in said
    assert "discourse sandbox" not in said.lower()
