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
            default=None,
            help="the forum release the sandbox plays, where it plays several: "
            + "; ".join(
                f"{s.label} {', '.join(s.releases)}" for s in SANDBOXES.values() if s.releases
            ),
        )

    def handle(self, *args, **options) -> None:
        platform = options["platform"]
        sandbox_spec = SANDBOXES[platform]
        extra = {}
        if options["release"]:
            # Generic: the registry says which releases a sandbox plays (its config's
            # `release`), so no platform is named here.
            if options["release"] not in sandbox_spec.releases:
                offered = ", ".join(sandbox_spec.releases) or "one release only"
                raise CommandError(
                    f"The {sandbox_spec.label} sandbox plays {offered}; not “{options['release']}”."
                )
            extra["release"] = options["release"]
        app = sandbox_spec.app(
            api_key=options["api_key"] or sandbox_spec.demo_key,
            api_username=options["api_username"],
            admin_requests_per_minute=options["rate"],
            users=options["users"],
            seed=options["seed"],
            **extra,
        )
        sandbox = RunningSandbox(app, host=options["host"], port=options["port"]).start()
        self.stdout.write(
            self.style.SUCCESS(
                f"Sandbox {platform} at {sandbox.url} (key {app.config.api_key!r}, "
                f"user {app.config.api_username!r}"
                + (f", release {options['release']}" if options["release"] else "")
                + "). Ctrl-C stops it."
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
