from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from dashboard.services import first_admin_write
from forums.roles import ADMIN


class Command(BaseCommand):
    help = (
        "Create a first Admin account if nobody can sign in yet. Credentials come from "
        "DJANGO_SUPERUSER_USERNAME / DJANGO_SUPERUSER_PASSWORD / DJANGO_SUPERUSER_EMAIL, or a "
        "password is generated and printed once."
    )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        User = get_user_model()
        if (
            User.objects.filter(is_superuser=True).exists()
            or User.objects.filter(groups__name=ADMIN).exists()
        ):
            self.stdout.write("An Admin account exists; nothing to do.")
            return
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME") or "admin"
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD") or ""
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(username=username, email=email, password=password)
        user.groups.add(Group.objects.get(name=ADMIN))
        if generated:
            path = first_admin_write(username=username, password=password)
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nCreated the first Admin account.\n  username: {username}\n"
                    f"  password: {password}\nIt is also in {path} (readable only by you) "
                    "until you change it: sign in and change it (People & roles). `make run` "
                    "shows it again once the worker has started.\n"
                )
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Created the first Admin account {username}."))
