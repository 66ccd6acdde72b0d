"""Run the web server, a Celery worker and Celery beat together; Ctrl-C stops them all.

This is what `make run` ends with. With --demo it also serves a sandbox Discourse and a
sandbox NodeBB on loopback and connects them, so a newcomer sees a working dashboard.

It supervises what it starts: a worker or beat that dies is started again (and it says so),
one that keeps dying stops everything with a message saying which and why, and a worker that
still runs but has stopped taking tasks is restarted too. The last happens on the embedded
(filesystem) broker: Celery then runs its pool without an event loop, and pool processes share
one lock to read jobs; a pool process killed while holding it (an idle one usually does)
leaves the new ones waiting for it forever, so the worker receives tasks and never runs them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from dashboard.celery import beat_command, worker_command
from dashboard.services import first_admin_credentials, first_admin_file, worker_last_heartbeat
from dashboard.web_server import WEB_THREADS, default_web_workers

STOP_GRACE_SECONDS = 15
# A pool that is stuck cannot shut down warmly either; don't wait long for it.
STUCK_GRACE_SECONDS = 5
# The first Admin's password is shown again once the worker has taken its first task (its
# banners are printed by then), or after this long at the latest.
FIRST_ADMIN_NOTICE_SECONDS = 20


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


@dataclass
class Child:
    name: str
    command: list[str]
    restartable: bool
    process: subprocess.Popen | None = None
    started_at: float = 0.0  # wall clock, to compare with the worker heartbeat
    deaths: deque[float] = field(default_factory=deque)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def started(self) -> subprocess.Popen:
        """The process, once ``start`` has run."""
        assert self.process is not None, f"the {self.name} was never started"
        return self.process

    def start(self) -> None:
        # Own process groups: the terminal's Ctrl-C reaches only us, we stop the children in
        # order instead of racing them, and a dead main process's pool can be cleared away.
        self.process = subprocess.Popen(self.command, start_new_session=True)
        self.started_at = time.time()

    def kill_group(self) -> None:
        """SIGKILL whatever is left of the process group (pool processes of a dead worker)."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def stop(self, grace: float) -> None:
        """Ask the main process to stop (Celery's warm shutdown stops its own pool; a signal to
        the whole group would kill a pool process that Celery then replaces), then kill the
        group if it takes longer than ``grace``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        self.kill_group()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


class Command(BaseCommand):
    help = "Serve the dashboard with a Celery worker and beat (the embedded stack)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bind", default=os.environ.get("FORUMDECK_BIND", "127.0.0.1:8000"))
        parser.add_argument("--concurrency", type=int, default=2)
        parser.add_argument(
            "--demo",
            action="store_true",
            default=os.environ.get("FORUMDECK_DEMO", "") in ("1", "true", "yes"),
        )
        parser.add_argument(
            "--max-restarts",
            type=int,
            default=5,
            help="Restarts of the worker or beat allowed within --restart-window seconds "
            "before everything stops.",
        )
        parser.add_argument("--restart-window", type=float, default=300.0)

    def say(self, message: str, *, error: bool = False) -> None:
        stream = self.stderr if error else self.stdout
        stream.write(message)
        stream.flush()

    def handle(self, *args, **options) -> None:
        python = sys.executable
        web = [
            python,
            "-m",
            "gunicorn",
            "dashboard.wsgi:application",
            "--bind",
            options["bind"],
            "--worker-class",
            "gthread",
            "--workers",
            str(default_web_workers()),
            "--threads",
            str(WEB_THREADS),
            "--access-logfile",
            "-",
            # Feed tokens travel in URLs: the access log writes them as "…".
            "--logger-class",
            "dashboard.gunicorn_logging.RedactingLogger",
            # Two stacks on one machine (or a test) must not fight over one socket path.
            "--no-control-socket",
        ]
        worker = worker_command(concurrency=options["concurrency"])
        beat = beat_command()
        children = {
            "web": Child("web", web, restartable=False),
            "worker": Child("worker", worker, restartable=True),
            "beat": Child("beat", beat, restartable=True),
        }
        sandboxes = []
        if options["demo"]:
            sandboxes = self._start_demo()
        stopping = False

        def stop(*_args) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for child in children.values():
            child.start()
            self.say(f"Started the {child.name} (pid {child.started.pid}).")
        host, _, port = options["bind"].rpartition(":")
        self.stdout.write(
            self.style.SUCCESS(
                f"\nForumdeck is running at http://{host}:{port}/ (web, worker and beat). "
                "Press Ctrl-C to stop.\n"
            )
        )
        self.stdout.flush()
        exit_code = 0
        parent = os.getppid()
        url = f"http://{host}:{port}/"
        started_wall = time.time()
        notice_due = time.monotonic() + FIRST_ADMIN_NOTICE_SECONDS
        notice_shown = False
        try:
            while not stopping:
                if not notice_shown and self._worker_started(started_wall, notice_due):
                    self._first_admin_notice(url)
                    notice_shown = True
                if os.getppid() != parent:
                    # make was killed without passing the signal on: do not linger.
                    self.say("The launching process is gone; stopping.", error=True)
                    break
                for child in children.values():
                    if child.running:
                        continue
                    code = child.started.returncode
                    if not child.restartable:
                        self.say(
                            f"The {child.name} process exited ({describe_exit(code)}); "
                            "stopping the others.",
                            error=True,
                        )
                        exit_code = code or 1
                        stopping = True
                        break
                    if not self._restart(
                        child, f"exited ({describe_exit(code)})", options, grace=0
                    ):
                        exit_code = 1
                        stopping = True
                        break
                if not stopping and not self._check_worker_takes_tasks(children, options):
                    exit_code = 1
                    stopping = True
                time.sleep(0.5)
        finally:
            self.say("Stopping web, worker and beat…")
            for child in children.values():
                if child.running:
                    with contextlib.suppress(ProcessLookupError):
                        child.started.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            for child in children.values():
                child.stop(grace=max(deadline - time.monotonic(), 0.1))
            for sandbox in sandboxes:
                sandbox.stop()
            # Once more at the end of the first start, where the terminal scrolls no further.
            self._first_admin_notice(url)
        if exit_code:
            sys.exit(exit_code)

    @staticmethod
    def _worker_started(started_wall: float, notice_due: float) -> bool:
        if time.monotonic() >= notice_due:
            return True
        heartbeat = worker_last_heartbeat()
        return heartbeat is not None and heartbeat.timestamp() >= started_wall

    def _first_admin_notice(self, url: str) -> None:
        """The generated first Admin's credentials, while that password still works."""
        try:
            credentials = first_admin_credentials()
        except Exception:  # the database may be gone at shutdown: never fail stopping on this
            return
        if credentials is None:
            return
        username, password = credentials
        rule = "=" * 72
        self.stdout.write(
            self.style.SUCCESS(
                f"\n{rule}\nSign in at {url} as the first Admin:\n"
                f"  username: {username}\n  password: {password}\n"
                f"Change this password after signing in (People & roles); until then it is "
                f"also in\n{first_admin_file()} (readable only by you).\n{rule}\n"
            )
        )
        self.stdout.flush()

    def _restart(self, child: Child, why: str, options: dict, *, grace: float) -> bool:
        """Start ``child`` again, or say it keeps dying and return False."""
        now = time.monotonic()
        child.deaths.append(now)
        while child.deaths and now - child.deaths[0] > options["restart_window"]:
            child.deaths.popleft()
        if len(child.deaths) > options["max_restarts"]:
            self.say(
                f"The {child.name} {why}, and it keeps failing: {len(child.deaths)} times in "
                f"the last {options['restart_window']:g} seconds. Stopping web, worker and "
                f"beat. Its output above says why; fix that, then start again with `make run`.",
                error=True,
            )
            child.stop(grace=grace)
            return False
        child.stop(grace=grace)  # the dead main process's pool, or a stuck worker
        child.start()
        self.say(f"The {child.name} {why}; started it again (pid {child.started.pid}).", error=True)
        return True

    def _check_worker_takes_tasks(self, children: dict[str, Child], options: dict) -> bool:
        """Restart a worker that runs but has taken no task for a while, although beat keeps
        sending it one. False when that worker keeps failing."""
        worker, beat = children["worker"], children["beat"]
        stale_after = settings.FORUMDECK_WORKER_STALE_SECONDS
        now = time.time()
        if not (worker.running and beat.running):
            return True
        # Judge only a worker, and a beat, that have had the time to show it.
        if now - max(worker.started_at, beat.started_at) < stale_after:
            return True
        heartbeat = worker_last_heartbeat()
        last = max(heartbeat.timestamp() if heartbeat else 0.0, worker.started_at)
        idle = now - last
        if idle < stale_after:
            return True
        return self._restart(
            worker,
            f"has taken no task for {idle:.0f} seconds although beat sends one every "
            f"{settings.FORUMDECK_HEARTBEAT_SECONDS:g} seconds: its pool is stuck",
            options,
            grace=STUCK_GRACE_SECONDS,
        )

    def _start_demo(self) -> list:
        from forums.sandbox.demo import start_demo_sandboxes

        sandboxes = start_demo_sandboxes()
        call_command("demo_connections", *[f"{s.app.platform}={s.url}" for s in sandboxes])
        for sandbox in sandboxes:
            # Its own title ("Demo Discourse forum"), as the software spells its name.
            self.stdout.write(f"{sandbox.app.config.title} (sandbox) at {sandbox.url}")
        return sandboxes
