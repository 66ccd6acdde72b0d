"""The keyring that encrypts forum API keys at rest.

Keys come from ``FORUMDECK_ENCRYPTION_KEYS`` (Fernet keys, newest first), never from
``SECRET_KEY``. A stored value is ``fd1:<key id>:<fernet token>``: the key id names which key
sealed it, so a missing key is reported by id (never by guessing), and rotation can tell which
rows still need re-encrypting.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "fd1"


class DecryptionError(Exception):
    """A stored secret cannot be decrypted with the configured keyring."""


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def generate_key() -> str:
    return Fernet.generate_key().decode()


@dataclass(frozen=True)
class Keyring:
    keys: tuple[str, ...]

    @property
    def newest_id(self) -> str:
        return key_id(self.keys[0])

    def _fernets(self) -> dict[str, Fernet]:
        return {key_id(k): Fernet(k.encode()) for k in self.keys}

    def encrypt(self, plaintext: str) -> str:
        token = Fernet(self.keys[0].encode()).encrypt(plaintext.encode()).decode()
        return f"{PREFIX}:{self.newest_id}:{token}"

    def decrypt(self, stored: str) -> str:
        try:
            prefix, kid, token = stored.split(":", 2)
        except ValueError:
            raise DecryptionError(
                "The stored secret is not in Forumdeck's encrypted format."
            ) from None
        if prefix != PREFIX:
            raise DecryptionError("The stored secret is not in Forumdeck's encrypted format.")
        fernet = self._fernets().get(kid)
        if fernet is None:
            raise DecryptionError(
                f"The secret was encrypted with key id {kid}, which is not in "
                "FORUMDECK_ENCRYPTION_KEYS. Add that key back to the keyring."
            )
        try:
            return fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise DecryptionError(
                f"The secret sealed with key id {kid} does not decrypt: the key or the stored "
                "value was changed."
            ) from None

    def rotate(self, stored: str) -> str:
        """Re-encrypt a stored value under the newest key (MultiFernet keeps the timestamp)."""
        self.decrypt(stored)  # a clear error for a value no key opens
        _, kid, token = stored.split(":", 2)
        multi = MultiFernet([Fernet(k.encode()) for k in self.keys])
        return f"{PREFIX}:{self.newest_id}:{multi.rotate(token.encode()).decode()}"

    def is_current(self, stored: str) -> bool:
        return stored.startswith(f"{PREFIX}:{self.newest_id}:")


@lru_cache(maxsize=8)
def _keyring_for(keys: tuple[str, ...]) -> Keyring:
    if not keys:
        raise ImproperlyConfigured(
            "FORUMDECK_ENCRYPTION_KEYS is empty: set at least one Fernet key (newest first)."
        )
    for key in keys:
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"FORUMDECK_ENCRYPTION_KEYS holds a value that is not a Fernet key "
                f"(key id {key_id(key)}). Generate one with "
                "`python manage.py generate_encryption_key`."
            ) from None
    return Keyring(keys)


def get_keyring() -> Keyring:
    return _keyring_for(tuple(k.strip() for k in settings.FORUMDECK_ENCRYPTION_KEYS if k.strip()))


class Sealed:
    """A stored secret as loaded from the database: still encrypted.

    Rows load without decrypting, so a key the keyring cannot open breaks only the call that
    needs it (``reveal``, from ``get_client``), never the page that lists the row. It never
    prints its contents.
    """

    __slots__ = ("hint", "stored")

    def __init__(self, stored: str, hint: str = "") -> None:
        self.stored = stored
        # What may be shown of it (a secret setting's last four characters), or "".
        self.hint = hint

    def __repr__(self) -> str:
        return "<sealed secret>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.stored == self.stored

    def __hash__(self) -> int:
        return hash(self.stored)


def reveal(value: str | Sealed | None) -> str:
    """The plaintext of a secret: opened here (``DecryptionError`` if no key opens it), or a
    plaintext just assigned and not yet saved."""
    if isinstance(value, Sealed):
        return get_keyring().decrypt(value.stored)
    return value or ""


def fingerprint(value: str | Sealed | None) -> str:
    """A short, stable fingerprint of a secret (for approvals: "the key changed"), computed
    from its plaintext so that re-encryption under a new key leaves it unchanged."""
    plain = reveal(value)
    return hashlib.sha256(b"forumdeck-key-fingerprint:" + plain.encode()).hexdigest()[:16]
