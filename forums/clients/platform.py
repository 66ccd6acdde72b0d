"""What a platform client is: HTTP (``base.BaseClient``) plus every area interface, and the
description of its platform that the pages need (its words, its penalty rules, how to check a
connection's settings). Nothing outside ``forums/clients`` asks which software it talks to; it
asks the client class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .areas import Backups, Calendar, Groups, Health, Tags, UserModeration
from .base import BaseClient
from .records import Penalty


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


@dataclass(frozen=True)
class PlatformWords:
    """The forum's own vocabulary, for labels, kind names, status lines and help texts."""

    penalties: dict[Penalty, PenaltyWords]
    standing: str = ""  # "Trust level", "Reputation"
    standing_short: str = ""  # "TL", "rep."
    key_help: str = ""  # where the API key is made
    username_label: str = "API username"
    username_help: str = ""
    address_help: str = "The forum's address, e.g. https://forum.example.com"
    extra: dict[str, str] = field(default_factory=dict)


class SettingsProblem(Exception):
    """A connection's settings this platform cannot work with: field name -> message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors.values()))


class ForumClient(BaseClient, Health, UserModeration, Groups, Tags, Backups, Calendar):
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
    # Whether the connection form's "master token" box means anything for this platform.
    uses_master_token: ClassVar[bool] = False

    @classmethod
    def penalty_words(cls, kind: Penalty) -> PenaltyWords:
        return cls.words.penalties[kind]

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
        cls, *, base_url: str, api_username: str, master_token: bool = False
    ) -> dict[str, Any]:
        """The settings this platform needs, cleaned (``api_username``, ``master_token``);
        raises ``SettingsProblem`` naming each field that cannot work."""
        return {"api_username": api_username.strip(), "master_token": False}
