from __future__ import annotations

from django.db import models

from .crypto import Sealed, get_keyring


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet-encrypted value.

    A loaded value stays sealed (``crypto.Sealed``) until ``crypto.reveal`` opens it, which
    ``forums.clients.get_client`` alone does: a row whose key the keyring cannot open still
    loads, lists and edits, and only calls to its forum fail, with a plain message. Assigning a
    plain string stores it encrypted; a sealed value is written back as it was.
    """

    description = "Text encrypted at rest with the Forumdeck keyring"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return Sealed(value)

    def to_python(self, value):
        if isinstance(value, Sealed) or value is None:
            return value
        return super().to_python(value)

    def get_prep_value(self, value):
        if isinstance(value, Sealed):
            return value.stored
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return get_keyring().encrypt(value)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return value.stored if isinstance(value, Sealed) else self.get_prep_value(value)
