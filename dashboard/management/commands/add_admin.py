from __future__ import annotations

import os
import secrets

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from forums.accounts.services import admin_add_by_operator


class Command(BaseCommand):
    help = (
        "Make USERNAME an Admin, creating the account if it does not exist. Run by the "
        "operator on the server: no Forumdeck account made it, so it is in nobody's hands and "
        "counts as independent of every other Admin (how a fresh install gets its second "
        "person; see docs/trust.md). A new account's password comes from "
        "FORUMDECK_NEW_ADMIN_PASSWORD, or is generated and printed once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")

    def handle(self, *args, username: str, email: str, **options) -> None:
        given = os.environ.get("FORUMDECK_NEW_ADMIN_PASSWORD", "")
        password = given or secrets.token_urlsafe(12)
        try:
            user, created = admin_add_by_operator(username=username, email=email, password=password)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        name = user.get_username()
        if not created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{name} is an Admin now (made on the command line: independent of every "
                    "other Admin). Their password is unchanged."
                )
            )
        elif given:
            self.stdout.write(self.style.SUCCESS(f"Created the Admin {name} (independent)."))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created the Admin {name}, independent of every other Admin.\n"
                    f"  username: {name}\n  password: {password}\n"
                    "Give it to its holder in person; they change it after signing in."
                )
            )
