from __future__ import annotations

from django.db import models

from .crypto import get_keyring


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet-encrypted value; Python code only ever sees plaintext.

    Reading a value the keyring cannot open raises ``DecryptionError``: ciphertext is never
    handed back as if it were the secret. Lists that do not need the secret should ``defer()``
    it so that they keep working while an operator repairs the keyring.
    """

    description = "Text encrypted at rest with the Forumdeck keyring"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return get_keyring().decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return get_keyring().encrypt(value)
