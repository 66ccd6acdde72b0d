"""A platform's own connection settings, declared by its client (``ForumClient.settings_schema``).

Every connection row keeps them in one field (``ForumConnection.settings``); the connection
form draws one input per declared setting, the services clean them through the schema, and the
client reads them back as ``self.settings``. Neutral code never names one: a platform that
needs something more (a master-token flag, a second secret) declares it here, not as a column.

A secret setting is sealed (``forums.crypto``) as soon as it is cleaned, shown again only as
its hint (its last four characters), and opened only by ``get_client``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from forums.crypto import Sealed, fingerprint, get_keyring, reveal


class SettingsProblem(Exception):
    """A connection's settings this platform cannot work with: field name -> message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors.values()))


@dataclass(frozen=True)
class Setting:
    """One setting a platform needs beyond the address, the key and the acting user.

    ``kind`` is ``"text"`` or ``"flag"`` (a checkbox); ``secret`` text is write-only and
    encrypted at rest. ``validator`` takes the cleaned value and returns it (possibly
    normalised) or raises ``ValueError`` with a message for the person filling the form."""

    name: str
    label: str
    help: str = ""
    kind: Literal["text", "flag"] = "text"
    secret: bool = False
    required: bool = False
    validator: Callable[[Any], Any] | None = None

    @property
    def default(self) -> Any:
        return False if self.kind == "flag" else ""


def clean_settings(
    schema: tuple[Setting, ...],
    given: Mapping[str, Any],
    *,
    stored: Mapping[str, Any] | None = None,
    software: str = "This forum",
) -> dict[str, Any]:
    """``given`` cleaned through ``schema``: only declared names, flags as booleans, text
    stripped and checked, secrets sealed. An empty secret keeps the ``stored`` one. Raises
    ``SettingsProblem`` naming every setting that cannot work."""
    stored = stored or {}
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for setting in schema:
        value = given.get(setting.name, setting.default)
        if setting.kind == "flag":
            cleaned[setting.name] = bool(value)
            continue
        if isinstance(value, Sealed):  # a stored secret handed back unchanged
            cleaned[setting.name] = value
            continue
        value = "" if value is None else str(value).strip()
        if not value and setting.secret and isinstance(stored.get(setting.name), Sealed):
            cleaned[setting.name] = stored[setting.name]
            continue
        if not value:
            if setting.required:
                errors[setting.name] = f"{software} needs the {setting.label.lower()}."
            elif not setting.secret:
                cleaned[setting.name] = ""
            continue
        if setting.validator is not None:
            try:
                value = setting.validator(value)
            except ValueError as exc:
                errors[setting.name] = str(exc)
                continue
        cleaned[setting.name] = seal(value) if setting.secret else value
    if errors:
        raise SettingsProblem(errors)
    return cleaned


def seal(value: str) -> Sealed:
    """A secret sealed under the newest key, with its hint (the last four characters)."""
    return Sealed(get_keyring().encrypt(value), hint=value[-4:])


def reveal_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings with every secret opened (``DecryptionError`` if no key opens one)."""
    return {k: reveal(v) if isinstance(v, Sealed) else v for k, v in settings.items()}


def changed_settings(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[str]:
    """The names of the settings that differ; an unset flag or empty text is no setting."""
    old, new = old or {}, new or {}
    return sorted(n for n in {*old, *new} if (old.get(n) or None) != (new.get(n) or None))


def settings_binding(settings: Mapping[str, Any]) -> dict[str, Any]:
    """What an approval binds: plain values as they are, secrets as fingerprints (stable
    across key rotation; "undecryptable" when no key opens them). Unset ones are left out,
    so a row saved before a setting existed binds as it did."""
    from forums.crypto import DecryptionError

    bound: dict[str, Any] = {}
    for name, value in sorted(settings.items()):
        if not value:
            continue
        if isinstance(value, Sealed):
            try:
                value = fingerprint(value)
            except DecryptionError:
                value = "undecryptable"
        bound[name] = value
    return bound
