"""Run the web server, a Celery worker and Celery beat together; Ctrl-C stops them all.

This is what `make run` ends with. With --demo it also serves a sandbox Discourse and a
sandbox NodeBB on loopback and connects them, so a newcomer sees a working dashboard.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from dashboard.celery import beat_command, worker_command


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

    def handle(self, *args, **options) -> None:
        python = sys.executable
        beat_schedule = settings.CELERY_BEAT_SCHEDULE_FILENAME
        commands = {
            "web": [
                python,
                "-m",
                "gunicorn",
                "dashboard.wsgi:application",
                "--bind",
                options["bind"],
                "--worker-class",
                "gthread",
                "--workers",
                "2",
                "--threads",
                "8",
                "--access-logfile",
                "-",
                # Two stacks on one machine (or a test) must not fight over one socket path.
                "--no-control-socket",
            ],
            "worker": worker_command(concurrency=options["concurrency"]),
            "beat": beat_command(schedule=beat_schedule),
        }
        sandboxes = []
        if options["demo"]:
            sandboxes = self._start_demo()
        processes: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop(*_args) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for name, command in commands.items():
            # Own process groups: the terminal's Ctrl-C reaches only us, and we stop the
            # children in order instead of racing them.
            processes[name] = subprocess.Popen(command, start_new_session=True)
        host, _, port = options["bind"].rpartition(":")
        self.stdout.write(
            self.style.SUCCESS(
                f"\nForumdeck is running at http://{host}:{port}/ (web, worker and beat). "
                "Press Ctrl-C to stop.\n"
            )
        )
        exit_code = 0
        parent = os.getppid()
        try:
            while not stopping:
                if os.getppid() != parent:
                    # make was killed without passing the signal on: do not linger.
                    self.stderr.write("The launching process is gone; stopping.")
                    break
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(
                            f"The {name} process exited ({process.returncode}); "
                            "stopping the others."
                        )
                        exit_code = process.returncode or 1
                        stopping = True
                        break
                time.sleep(0.5)
        finally:
            self.stdout.write("Stopping web, worker and beat…")
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for process in processes.values():
                try:
                    process.wait(timeout=max(deadline - time.monotonic(), 0.1))
                except subprocess.TimeoutExpired:
                    process.kill()
            for sandbox in sandboxes:
                sandbox.stop()
        if exit_code:
            sys.exit(exit_code)

    def _start_demo(self) -> list:
        from forums.sandbox.demo import start_demo_sandboxes

        sandboxes = start_demo_sandboxes()
        call_command("demo_connections", *[f"{s.app.platform}={s.url}" for s in sandboxes])
        for sandbox in sandboxes:
            self.stdout.write(f"Demo {sandbox.app.platform} sandbox forum at {sandbox.url}")
        return sandboxes
