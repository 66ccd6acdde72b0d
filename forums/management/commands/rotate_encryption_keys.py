from __future__ import annotations

import json

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from forums.core.audit import audit_record
from forums.crypto import DecryptionError, get_keyring
from forums.fields import SEALED_KEY, EncryptedJSONField, EncryptedTextField


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret under the newest key in FORUMDECK_ENCRYPTION_KEYS. "
        "Put the new key first, keep the old ones after it, run this, then drop the old keys."
    )

    def handle(self, *args, **options) -> None:
        keyring = get_keyring()
        rotated = current = 0
        failures: list[str] = []
        with transaction.atomic():
            for model in apps.get_models():
                fields = [
                    f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)
                ]
                for field in fields:
                    # The raw column: no decryption on load, no other field touched.
                    for pk, stored in self._raw(model, field):
                        if not stored or keyring.is_current(stored):
                            current += 1
                            continue
                        try:
                            new = keyring.rotate(stored)
                        except DecryptionError as exc:
                            failures.append(f"{model._meta.label} #{pk}: {exc}")
                            continue
                        self._write_raw(model, field, pk, new)
                        rotated += 1
                settings_fields = [
                    f for f in model._meta.concrete_fields if isinstance(f, EncryptedJSONField)
                ]
                for json_field in settings_fields:
                    # Each sealed value inside the JSON, the rest of it untouched.
                    for pk, stored in self._raw(model, json_field):
                        values = json.loads(stored) if isinstance(stored, str) else stored
                        changed = False
                        for name, value in (values or {}).items():
                            if not (isinstance(value, dict) and SEALED_KEY in value):
                                continue
                            if keyring.is_current(value[SEALED_KEY]):
                                current += 1
                                continue
                            try:
                                value[SEALED_KEY] = keyring.rotate(value[SEALED_KEY])
                            except DecryptionError as exc:
                                failures.append(f"{model._meta.label} #{pk} ({name}): {exc}")
                                continue
                            changed = True
                            rotated += 1
                        if changed:
                            self._write_raw(model, json_field, pk, json.dumps(values))
            if failures:
                raise CommandError(
                    "Nothing was changed, because some secrets cannot be decrypted with the "
                    "configured keys:\n  " + "\n  ".join(failures)
                )
            audit_record(
                actor=None,
                action="encryption.rotate",
                target=f"key {keyring.newest_id}",
                message=f"Re-encrypted {rotated} secret(s); {current} already used the newest key.",
                details={
                    "rotated": rotated,
                    "already_current": current,
                    "newest_key_id": keyring.newest_id,
                },
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {rotated} secret(s) under key {keyring.newest_id}; "
                f"{current} already used it. Older keys can now be removed from the keyring."
            )
        )

    @staticmethod
    def _raw(model, field) -> list[tuple]:
        from django.db import connection

        table = connection.ops.quote_name(model._meta.db_table)
        pk_col = connection.ops.quote_name(model._meta.pk.column)
        col = connection.ops.quote_name(field.column)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {pk_col}, {col} FROM {table}")  # noqa: S608 - names quoted
            return list(cursor.fetchall())

    @staticmethod
    def _write_raw(model, field, pk, value: str) -> None:
        from django.db import connection

        table = connection.ops.quote_name(model._meta.db_table)
        pk_col = connection.ops.quote_name(model._meta.pk.column)
        col = connection.ops.quote_name(field.column)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {col} = %s WHERE {pk_col} = %s",  # noqa: S608
                [value, pk],
            )
