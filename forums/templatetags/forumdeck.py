from __future__ import annotations

from django import template
from django.utils import formats, timezone

register = template.Library()


def _when(value) -> str:
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i T")


@register.filter
def status_lines(user) -> list[tuple[str, str]]:
    """(css class, words) for each state a moderator cares about, in the forum's terms."""
    lines = []
    if user.suspended_until:
        lines.append(
            (
                "bad",
                f"Suspended until {_when(user.suspended_until)}"
                + (f": {user.suspend_reason}" if user.suspend_reason else ""),
            )
        )
    if user.banned:
        until = f" until {_when(user.banned_until)}" if user.banned_until else " permanently"
        lines.append(
            ("bad", f"Banned{until}" + (f": {user.ban_reason}" if user.ban_reason else ""))
        )
    if user.silenced_until:
        lines.append(
            (
                "warn",
                f"Silenced until {_when(user.silenced_until)}"
                + (f": {user.silence_reason}" if user.silence_reason else ""),
            )
        )
    if user.muted:
        until = f" until {_when(user.muted_until)}" if user.muted_until else ""
        lines.append(
            ("warn", f"Muted{until}" + (f": {user.mute_reason}" if user.mute_reason else ""))
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


@register.filter
def standing(user) -> str:
    if user.trust_level is not None:
        return f"TL{user.trust_level}"
    if user.reputation is not None:
        return f"{user.reputation} rep."
    return ""
