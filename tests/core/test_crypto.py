from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection as db

from forums.clients import get_client
from forums.clients.errors import ForumKeyUndecryptable
from forums.crypto import DecryptionError, Keyring, get_keyring, key_id, reveal
from forums.models import AuditEntry, ForumConnection
from tests.factories import ForumConnectionFactory

SECRET = "d1scourse-admin-key-0123456789abcdef-PLAIN"


def raw_key_column(pk: int) -> str:
    with db.cursor() as cursor:
        cursor.execute("SELECT api_key FROM forums_forumconnection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_round_trip_and_key_id_prefix():
    key = Fernet.generate_key().decode()
    ring = Keyring((key,))
    stored = ring.encrypt(SECRET)
    assert stored.startswith(f"fd1:{key_id(key)}:")
    assert SECRET not in stored
    assert ring.decrypt(stored) == SECRET


def test_wrong_keyring_raises_instead_of_returning_ciphertext():
    stored = Keyring((Fernet.generate_key().decode(),)).encrypt(SECRET)
    other = Keyring((Fernet.generate_key().decode(),))
    with pytest.raises(DecryptionError, match="not in FORUMDECK_ENCRYPTION_KEYS"):
        other.decrypt(stored)


def test_tampered_value_raises():
    key = Fernet.generate_key().decode()
    ring = Keyring((key,))
    stored = ring.encrypt(SECRET)
    with pytest.raises(DecryptionError, match="does not decrypt"):
        ring.decrypt(stored[:-6] + "AAAAAA")
    with pytest.raises(DecryptionError, match="format"):
        ring.decrypt("plain-text-key")


@pytest.mark.django_db
def test_raw_column_never_holds_the_plaintext():
    conn = ForumConnectionFactory(api_key=SECRET)
    raw = raw_key_column(conn.pk)
    assert SECRET not in raw
    assert raw.startswith(f"fd1:{get_keyring().newest_id}:")
    assert reveal(ForumConnection.objects.get(pk=conn.pk).api_key) == SECRET


@pytest.mark.django_db
def test_undecryptable_row_loads_but_its_key_is_never_returned(settings):
    conn = ForumConnectionFactory(api_key=SECRET)
    settings.FORUMDECK_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    # The row loads (pages that list or edit it keep working while the keyring is repaired)...
    loaded = ForumConnection.objects.get(pk=conn.pk)
    assert loaded.name == conn.name and SECRET not in repr(loaded.api_key)
    # ...but the key is an error, never ciphertext handed back as if it were the secret.
    with pytest.raises(DecryptionError):
        reveal(loaded.api_key)
    with pytest.raises(ForumKeyUndecryptable, match="cannot be decrypted .* enter it again"):
        get_client(loaded)
    # Saving the row again keeps the stored value exactly as it was.
    before = raw_key_column(conn.pk)
    loaded.name = "Renamed"
    loaded.save()
    assert raw_key_column(conn.pk) == before


@pytest.mark.django_db
def test_rotation_k1_then_k1_k2_then_rotate_then_drop_k1(settings):
    k1, k2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FORUMDECK_ENCRYPTION_KEYS = [k1]
    rows = [ForumConnectionFactory(api_key=f"{SECRET}-{i}") for i in range(3)]
    assert all(raw_key_column(r.pk).startswith(f"fd1:{key_id(k1)}:") for r in rows)

    settings.FORUMDECK_ENCRYPTION_KEYS = [k2, k1]  # newest first
    # Before rotation old rows still read, new writes use K2.
    assert reveal(ForumConnection.objects.get(pk=rows[0].pk).api_key) == f"{SECRET}-0"
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    assert all(raw_key_column(r.pk).startswith(f"fd1:{key_id(k2)}:") for r in rows)

    settings.FORUMDECK_ENCRYPTION_KEYS = [k2]  # K1 dropped
    for i, row in enumerate(rows):
        assert reveal(ForumConnection.objects.get(pk=row.pk).api_key) == f"{SECRET}-{i}"
    entry = AuditEntry.objects.get(action="encryption.rotate")
    assert entry.details["rotated"] == 3


@pytest.mark.django_db
def test_rotation_refuses_and_changes_nothing_when_a_row_cannot_be_decrypted(settings):
    from django.core.management.base import CommandError

    k1, k2, k3 = (Fernet.generate_key().decode() for _ in range(3))
    settings.FORUMDECK_ENCRYPTION_KEYS = [k1]
    good = ForumConnectionFactory(api_key="good-key-1111")
    settings.FORUMDECK_ENCRYPTION_KEYS = [k3]
    ForumConnectionFactory(api_key="lost-key-2222")  # sealed by a key we will not have
    before = raw_key_column(good.pk)
    settings.FORUMDECK_ENCRYPTION_KEYS = [k2, k1]
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("rotate_encryption_keys")
    assert raw_key_column(good.pk) == before


def raw_settings_column(pk: int) -> dict:
    import json

    with db.cursor() as cursor:
        cursor.execute("SELECT settings FROM forums_forumconnection WHERE id = %s", [pk])
        return json.loads(cursor.fetchone()[0])


@pytest.mark.django_db
def test_secret_settings_are_rotated_too_and_plain_ones_left_alone(settings):
    from forums.clients.settings_schema import reveal_settings, seal

    k1, k2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FORUMDECK_ENCRYPTION_KEYS = [k1]
    row = ForumConnectionFactory(settings={"region": "eu", "secret": seal("setting-SECRET")})
    stored = raw_settings_column(row.pk)
    assert stored["region"] == "eu" and stored["secret"]["hint"] == "CRET"
    assert stored["secret"]["$sealed"].startswith(f"fd1:{key_id(k1)}:")
    assert "setting-SECRET" not in str(stored)

    settings.FORUMDECK_ENCRYPTION_KEYS = [k2, k1]
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    rotated = raw_settings_column(row.pk)
    assert rotated["secret"]["$sealed"].startswith(f"fd1:{key_id(k2)}:")
    assert rotated["region"] == "eu" and rotated["secret"]["hint"] == "CRET"
    # The API key and the secret setting: two secrets re-encrypted.
    assert AuditEntry.objects.get(action="encryption.rotate").details["rotated"] == 2

    settings.FORUMDECK_ENCRYPTION_KEYS = [k2]  # K1 dropped
    loaded = ForumConnection.objects.get(pk=row.pk)
    assert reveal_settings(loaded.settings) == {"region": "eu", "secret": "setting-SECRET"}


@pytest.mark.django_db
def test_an_undecryptable_secret_setting_fails_only_the_forums_calls(settings):
    from forums.clients.settings_schema import seal

    settings.FORUMDECK_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    row = ForumConnectionFactory(settings={"secret": seal("lost-setting")})
    settings.FORUMDECK_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    row.api_key = SECRET  # the key itself entered again under the new key; the setting not
    row.save()
    loaded = ForumConnection.objects.get(pk=row.pk)  # the row still loads
    assert "lost-setting" not in repr(loaded.settings)
    with pytest.raises(ForumKeyUndecryptable, match="secret setting .* enter it again"):
        get_client(loaded)
