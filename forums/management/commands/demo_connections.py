from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from forums.clients import supported_platforms
from forums.core.audit import audit_record
from forums.models import ForumConnection
from forums.sandbox.demo import DEMO_KEYS, DEMO_NAMES, DEMO_USERNAMES


class Command(BaseCommand):
    help = "Connect (or reconnect) the demo sandbox forums: platform=url pairs."

    def add_arguments(self, parser) -> None:
        parser.add_argument("targets", nargs="+", help="e.g. discourse=http://127.0.0.1:4100")

    def handle(self, *args, **options) -> None:
        for target in options["targets"]:
            platform, _, url = target.partition("=")
            if platform not in DEMO_KEYS or not url:
                raise CommandError(f"Expected platform=url, got {target!r}")
            name = DEMO_NAMES[platform]
            if platform not in supported_platforms():
                # The sandbox is served (e.g. UserEcho before its client exists); a connection
                # Forumdeck cannot talk to would only show errors.
                self.stdout.write(f"{name} served at {url}, not connected: no client yet")
                continue
            key = DEMO_KEYS[platform]
            connection, created = ForumConnection.objects.update_or_create(
                name=name,
                defaults={
                    "platform": platform,
                    "base_url": url,
                    "api_username": DEMO_USERNAMES[platform],
                    "api_key": key,
                    "api_key_last4": key[-4:],
                    "enabled": True,
                },
            )
            if created:
                audit_record(
                    actor=None,
                    action="connection.create",
                    connection=connection,
                    target=name,
                    message="Demo sandbox forum connected by make demo.",
                )
            self.stdout.write(f"{'Connected' if created else 'Reconnected'} {name} at {url}")
