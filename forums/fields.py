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


SEALED_KEY = "$sealed"


def _to_stored(value):
    """The JSON a settings mapping is stored as: each sealed value as ``{"$sealed": ...}``."""
    if not isinstance(value, dict):
        return value
    stored = {}
    for name, item in value.items():
        if isinstance(item, Sealed):
            item = {SEALED_KEY: item.stored, "hint": item.hint}
        stored[name] = item
    return stored


def _from_stored(value):
    if not isinstance(value, dict):
        return value
    loaded = {}
    for name, item in value.items():
        if isinstance(item, dict) and SEALED_KEY in item:
            item = Sealed(item[SEALED_KEY], hint=item.get("hint", ""))
        loaded[name] = item
    return loaded


class EncryptedJSONField(models.JSONField):
    """A JSON object of settings whose secret values are sealed (``crypto.Sealed``).

    Plain values are stored as they are; a ``Sealed`` value is stored as
    ``{"$sealed": "fd1:<key id>:<token>", "hint": "…"}`` and loads sealed again, so, as with
    ``EncryptedTextField``, a row whose secrets no key opens still loads, lists and edits.
    Which values are secret is the caller's to decide (``forums.clients.settings_schema`` seals them
    from the platform's schema); this field only keeps sealed values sealed.
    """

    description = "JSON settings with secret values encrypted at rest"

    def from_db_value(self, value, expression, connection):
        return _from_stored(super().from_db_value(value, expression, connection))

    def get_prep_value(self, value):
        return super().get_prep_value(_to_stored(value))

    def value_to_string(self, obj):
        return _to_stored(self.value_from_object(obj))

    def validate(self, value, model_instance):
        super().validate(_to_stored(value), model_instance)
