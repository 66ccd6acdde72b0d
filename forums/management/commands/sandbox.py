from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from forums.sandbox.core import RunningSandbox
from forums.sandbox.registry import SANDBOXES


class Command(BaseCommand):
    help = "Serve a sandbox forum (simulated {}) on a loopback port.".format(
        ", ".join(s.label for s in SANDBOXES.values())
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("platform", choices=list(SANDBOXES))
        parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--api-key", default=None, help="the key the sandbox accepts")
        parser.add_argument("--api-username", default=None)
        parser.add_argument(
            "--rate",
            type=int,
            default=60,
            help="Discourse admin requests per minute (the real default is 60)",
        )
        parser.add_argument("--users", type=int, default=300)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--release",
            default="",
            help="the forum software release to play, e.g. 3.4 (Discourse); "
            "empty plays the current one (Django keeps --version for itself)",
        )

    def handle(self, *args, **options) -> None:
        platform = options["platform"]
        sandbox_spec = SANDBOXES[platform]
        extra = {"release": options["release"]} if options["release"] else {}
        try:
            app = sandbox_spec.app(
                api_key=options["api_key"] or sandbox_spec.demo_key,
                api_username=options["api_username"],
                admin_requests_per_minute=options["rate"],
                users=options["users"],
                seed=options["seed"],
                **extra,
            )
        except ValueError as exc:  # a release the sandbox cannot play names those it can
            raise CommandError(str(exc)) from exc
        sandbox = RunningSandbox(app, host=options["host"], port=options["port"]).start()
        release = f" release {options['release']}" if options["release"] else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Sandbox {platform}{release} at {sandbox.url} (key {app.config.api_key!r}, "
                f"user {app.config.api_username!r}). Ctrl-C stops it."
            ),
            ending="\n",
        )
        self.stdout.flush()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            sandbox.stop()
