"""How an account stands on its forum, in the forum's own words: its trust level or reputation,
and the states a moderator cares about (suspended until..., not activated, admin). The People
search's rows and the templates (the ``standing`` and ``status_lines`` filters) share them."""

from __future__ import annotations

from datetime import datetime

from django.utils import formats, timezone

from forums.clients import client_class
from forums.clients.platform import PlatformWords
from forums.clients.records import ForumUser, Penalty


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i T")


def _words(platform: str) -> PlatformWords:
    return client_class(platform).words


def status_lines(user: ForumUser, platform: str) -> list[tuple[str, str]]:
    """(css class, words) for each state a moderator cares about, in the forum's own words
    ("Suspended" on Discourse, "Banned" on NodeBB)."""
    words = _words(platform)
    lines = []
    for kind, css in ((Penalty.SUSPEND, "bad"), (Penalty.SILENCE, "warn")):
        if not user.penalised(kind):
            continue
        until = user.suspended_until if kind is Penalty.SUSPEND else user.silenced_until
        reason = user.suspend_reason if kind is Penalty.SUSPEND else user.silence_reason
        when = f" until {_when(until)}" if until else " permanently"
        lines.append(
            (
                css,
                f"{words.penalties[kind].done.capitalize()}{when}"
                + (f": {reason}" if reason else ""),
            )
        )
    if not user.active:
        lines.append(("warn", "Not activated"))
    if user.admin:
        lines.append(("staff", "Admin"))
    elif user.moderator:
        lines.append(("staff", "Moderator"))
    if not lines:
        lines.append(("ok", "Active"))
    return lines


def standing(user: ForumUser, platform: str) -> str:
    """Trust level (Discourse) or reputation (NodeBB), as the forum names it."""
    words = _words(platform)
    value = user.trust_level if user.trust_level is not None else user.reputation
    if value is None:
        return ""
    if words.standing_short == "TL":
        return f"TL{value}"
    return f"{value} {words.standing_short}".strip()
