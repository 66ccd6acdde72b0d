"""What a platform client is: HTTP (``base.BaseClient``) plus every area interface, and the
description of its platform that the pages need (its words, its penalty rules, how to check a
connection's settings). Nothing outside ``forums/clients`` asks which software it talks to; it
asks the client class.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .areas import Backups, Calendar, Groups, Health, Pushes, Review, Tags, UserModeration
from .base import BaseClient
from .errors import (
    ForumError,
    ForumKeyUndecryptable,
    ForumNotAdmin,
    ForumNotAForum,
    ForumUnauthorized,
    ForumUnavailable,
    ForumURLRefused,
)
from .records import HealthReport, Penalty
from .settings_schema import Setting, SettingsProblem, clean_settings

_UNKNOWN = object()


@dataclass(frozen=True)
class PenaltyWords:
    """How a forum names one penalty: "Suspend" / "suspended" / "Unsuspend"."""

    verb: str  # "Suspend", "Ban"
    done: str  # "suspended", "banned"
    lift: str  # "Unsuspend", "Unban"
    lifted: str  # "unsuspended", "unbanned"
    noun: str = ""  # "Suspension", "Ban": an entry in a history


@dataclass(frozen=True)
class PenaltyRules:
    """What a forum asks for when a penalty is put on."""

    reason_required: bool = False
    reason_max_length: int | None = None
    permanent_allowed: bool = True
    until_required: bool = True  # False: an empty "until" means permanently
    sends_message: bool = False  # the forum e-mails the user a message given with it
    staff_refused: bool = False  # the forum refuses it for moderators too, not only admins


@dataclass(frozen=True)
class Rate:
    """A pace: ``per_minute`` calls a minute, counted as the forum counts them, in any
    ``window_seconds`` (``per_minute x window_seconds / 60`` calls in any window). What a
    platform declares as its ``default_pace``: a new connection starts with it, and its form
    shows it for the chosen platform; a connection keeps whatever pace it was saved with."""

    per_minute: int
    window_seconds: int = 60


@dataclass(frozen=True)
class PlatformWords:
    """The forum's own vocabulary, for labels, kind names, status lines and help texts."""

    penalties: dict[Penalty, PenaltyWords]
    standing: str = ""  # "Trust level", "Reputation"
    standing_short: str = ""  # "TL", "rep."
    key_help: str = ""  # where the API key is made
    group_key: str = "name"  # what names a group in its address: "name", "slug"
    username_label: str = "API username"
    username_help: str = ""
    address_help: str = "The forum's address, e.g. https://forum.example.com"
    rate_help: str = ""  # the forum's own limit, said beside the pace fields
    extra: dict[str, str] = field(default_factory=dict)
    # One explanation per failure ({software} is the platform's name): the health check and
    # every call say these, so each page explains the same failure the same way.
    credentials_refused: str = (
        "{software} refused the API key: it is not valid, or it was revoked. Enter it again "
        "(Edit this forum)."
    )
    not_admin: str = (
        "The API key works, but not as an administrator of {software}: Forumdeck needs an "
        "administrator's key."
    )
    not_this_software: str = (
        "The address answers, but not like a {software} forum. Check the address (the forum's "
        "base URL) and that {software} is the right platform for it."
    )
    # Said next to a search this forum can only partly answer ("" when it answers all of it).
    search_note: str = ""


__all__ = [
    "ForumClient",
    "PenaltyRules",
    "PenaltyWords",
    "PlatformWords",
    "Rate",
    "Setting",
    "SettingsProblem",
]


class ForumClient(
    BaseClient, Health, UserModeration, Groups, Tags, Backups, Calendar, Review, Pushes
):
    """The base of every platform client: HTTP plus the area interfaces and a description."""

    words: ClassVar[PlatformWords] = PlatformWords(
        penalties={
            Penalty.SUSPEND: PenaltyWords(
                "Suspend", "suspended", "Unsuspend", "unsuspended", "Suspension"
            ),
            Penalty.SILENCE: PenaltyWords(
                "Silence", "silenced", "Unsilence", "unsilenced", "Silence"
            ),
        }
    )
    penalty_rules: ClassVar[dict[Penalty, PenaltyRules]] = {
        Penalty.SUSPEND: PenaltyRules(),
        Penalty.SILENCE: PenaltyRules(),
    }
    # The platform's own connection settings (beyond address, key and acting user): the
    # connection form draws them, ``ForumConnection.settings`` keeps them, ``self.settings``
    # holds them (secrets opened) in a client.
    settings_schema: ClassVar[tuple[Setting, ...]] = ()
    # The pace a new connection to this platform starts with: what the forum allows (or bears)
    # out of the box. Changeable per connection on its form.
    default_pace: ClassVar[Rate] = Rate(per_minute=60, window_seconds=60)
    # For docs/capabilities.md (``tools/capabilities.py``): this platform's column heading
    # ("NodeBB (4.15)"), a paragraph before the table, and per row its words.
    documented_version: ClassVar[str] = ""
    capability_intro: ClassVar[str] = ""
    capability_notes: ClassVar[dict[str, str]] = {}

    @classmethod
    def penalty_words(cls, kind: Penalty) -> PenaltyWords:
        return cls.words.penalties[kind]

    # --- diagnosis: one explanation per failure ----------------------------------------------
    _diagnosing: bool = False
    _access: Any = _UNKNOWN

    @contextlib.contextmanager
    def diagnosing(self) -> Iterator[None]:
        """While the health check (or a diagnosis) runs, ambiguous answers stay as they are."""
        before, self._diagnosing = self._diagnosing, True
        try:
            yield
        finally:
            self._diagnosing = before

    def explained(self, exc: ForumError) -> ForumError:
        """``exc``, or what is really wrong with the connection when the answer was ambiguous
        (e.g. a 404 that a bad key causes too). The diagnosis runs once per client."""
        if self._diagnosing:
            return exc
        if self._access is _UNKNOWN:
            with self.diagnosing():
                try:
                    self._access = self.access_problem()
                except ForumError as problem:
                    self._access = problem
        return self._access or exc

    # --- what a read had to do differently, for the page to say ---------------------------
    def note_read(self, text: str) -> None:
        """Remember, in plain words, that an answer came a way the page should mention (a
        filter the forum ignored, read in full instead)."""
        notes = self.__dict__.setdefault("_read_notes", [])
        if text not in notes:
            notes.append(text)

    def read_notes(self) -> list[str]:
        return list(self.__dict__.get("_read_notes", []))

    def remember_access(self, problem: ForumError | None) -> None:
        """A health check's verdict answers later diagnoses on this client too."""
        self._access = problem

    def health_failure(
        self, report: HealthReport, problem: ForumError, *, identified: bool = False
    ) -> HealthReport:
        """Fill a report from the problem that stopped the check, in the problem's words.
        ``identified``: the forum already answered as this platform does."""
        report.error, report.error_kind = str(problem), problem.kind
        report.reachable = not isinstance(
            problem, ForumUnavailable | ForumURLRefused | ForumKeyUndecryptable
        )
        if isinstance(problem, ForumNotAdmin):
            report.credentials_ok, report.is_admin = True, False
        elif isinstance(problem, ForumUnauthorized):
            report.credentials_ok = False
        if not identified:
            # Nothing proved it is this platform: the pages must not claim it is.
            report.software = ""
        return report

    def _say(self, template: str) -> str:
        return template.format(software=self.software or "the forum software")

    def credentials_refused(
        self, *, status: int | None = None, detail: str = ""
    ) -> ForumUnauthorized:
        return ForumUnauthorized(self._say(self.words.credentials_refused), status=status)

    def not_admin(self, *, status: int | None = None) -> ForumNotAdmin:
        return ForumNotAdmin(self._say(self.words.not_admin), status=status)

    def not_this_software(self, *, detail: str = "", status: int | None = None) -> ForumNotAForum:
        text = self._say(self.words.not_this_software)
        if detail:
            first, _, rest = text.partition(". ")
            text = f"{first}: {detail[0].lower()}{detail[1:]} {rest}".strip()
        return ForumNotAForum(text, status=status)

    @classmethod
    def penalty_reason_problem(cls, kind: Penalty, reason: str) -> str:
        """Why this forum would refuse ``reason`` for this penalty (missing, too long), in
        plain words; "" when it takes it. The form, the bulk plan and the client all ask this
        before anything is sent."""
        rules = cls.penalty_rules[kind]
        words = cls.penalty_words(kind)
        reason = reason or ""
        if rules.reason_required and not reason.strip():
            return f"{cls.software} needs a reason to {words.verb.lower()} someone."
        limit = rules.reason_max_length
        if limit is not None and len(reason) > limit:
            return (
                f"{cls.software} takes a {words.verb.lower()} reason of at most {limit} "
                f"characters; this one has {len(reason)}."
            )
        return ""

    @classmethod
    def validate_settings(
        cls,
        *,
        base_url: str,
        api_username: str,
        settings: dict[str, Any] | None = None,
        stored: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A connection's settings cleaned for this platform: ``{"api_username": ...,
        "settings": {...}}``, the settings through ``settings_schema`` (an empty secret keeps
        the ``stored`` one). Raises ``SettingsProblem`` naming each field that cannot work; a
        platform adds its own checks across fields by overriding this."""
        return {
            "api_username": api_username.strip(),
            "settings": cls.clean_settings(settings or {}, stored=stored),
        }

    @classmethod
    def clean_settings(
        cls, given: dict[str, Any], *, stored: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return clean_settings(cls.settings_schema, given, stored=stored, software=cls.software)
