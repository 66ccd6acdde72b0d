"""When a penalty ends: one parser and one form field for single and bulk actions alike.

People type a duration ("7 days", "2 weeks", "12 hours"), "permanent", or a date (with or
without a time, in their own time zone).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

_UNITS: dict[str, timedelta] = {}
for _names, _step in (
    (("m", "min", "mins", "minute", "minutes"), timedelta(minutes=1)),
    (("h", "hr", "hrs", "hour", "hours"), timedelta(hours=1)),
    (("d", "day", "days"), timedelta(days=1)),
    (("w", "wk", "wks", "week", "weeks"), timedelta(weeks=1)),
    (("mo", "month", "months"), timedelta(days=30)),
    (("y", "yr", "yrs", "year", "years"), timedelta(days=365)),
):
    _UNITS.update(dict.fromkeys(_names, _step))
_DURATION = re.compile(r"^(\d{1,6})\s*([a-z]+)$")
PERMANENT_WORDS = frozenset({"permanent", "permanently", "forever"})
UNTIL_HELP = (
    'A duration such as "7 days", "12 hours" or "2 weeks", or a date such as 2026-12-31 or '
    '"31 Dec 2026 18:00" (your time zone).'
)
# Dates people write besides ISO 8601, each unambiguous: the month is a name, or the order is
# day.month.year with dots. (A slashed date is refused: 03/04 is March or April by country.)
_DATE_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%d.%m.%Y")
_TIME_FORMATS = ("", " %H:%M")
_SLASHED = re.compile(r"^\d{1,2}/\d{1,2}/\d{2,4}")
UNTIL_PLACEHOLDER = "e.g. 7 days, 2 weeks, 2026-12-31"


def parse_until(text: str, *, now: datetime | None = None) -> datetime | None:
    """When a penalty ends: an aware datetime, or None for "permanent" / "forever".

    Accepts a duration ("7 days", "7d", "2 weeks", "12 hours", "90 minutes", "1 month" = 30
    days, "1 year" = 365 days) or a date / date and time: ISO 8601 or what
    ``<input type="datetime-local">`` sends. A value without a time zone is in the current
    Django time zone (the browser's, set by the middleware); a bare date means its midnight.
    Raises ``ValidationError`` for anything else and for a time that is not in the future.
    """
    now = now or timezone.now()
    raw = str(text or "").strip()
    value = " ".join(raw.lower().split())
    if not value:
        raise ValidationError("Say until when. " + UNTIL_HELP, code="required")
    if value in PERMANENT_WORDS:
        return None
    match = _DURATION.match(value)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        if unit not in _UNITS:
            raise ValidationError(
                f'"{raw}" is not a duration Forumdeck understands. {UNTIL_HELP}', code="invalid"
            )
        if amount == 0:
            raise ValidationError("The duration must be longer than zero.", code="past")
        try:
            return now + amount * _UNITS[unit]
        except OverflowError:
            raise ValidationError(f'"{raw}" is too far in the future.', code="invalid") from None
    when = _parse_datetime(raw)
    if when is None and _SLASHED.match(raw):
        raise ValidationError(
            f'"{raw}" could be read as two different dates (day/month or month/day). Write '
            "it as 2026-12-31 or 31 Dec 2026.",
            code="ambiguous",
        )
    if when is None:
        raise ValidationError(
            f'"{raw}" is neither a date nor a duration. {UNTIL_HELP}', code="invalid"
        )
    if when <= now:
        shown = timezone.localtime(when).strftime("%Y-%m-%d %H:%M")
        raise ValidationError(f"{shown} is in the past: choose a time in the future.", code="past")
    return when


def _parse_datetime(text: str) -> datetime | None:
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            written = _parse_written(text)
            if written is None:
                return None
            parsed = written
        else:
            parsed = datetime(day.year, day.month, day.day)
    if timezone.is_naive(parsed):
        try:
            parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
        except (ValueError, OverflowError):
            return None
    return parsed


def _parse_written(text: str) -> datetime | None:
    """ "31 Dec 2026", "December 31, 2026 18:00", "31.12.2026": naive, or None."""
    cleaned = " ".join(text.replace(",", " ").split())
    for day_format in _DATE_FORMATS:
        for time_format in _TIME_FORMATS:
            try:
                return datetime.strptime(cleaned, day_format + time_format)
            except ValueError:
                continue
    return None


def describe_until(until: datetime | None) -> str:
    if until is None:
        return "permanently"
    return "until " + timezone.localtime(until).strftime("%Y-%m-%d %H:%M %Z")


class UntilField(forms.CharField):
    """A date or a duration (see ``parse_until``); cleans to an aware datetime or None.

    ``permanent_allowed``: "permanent" / "forever" (and, when not required, an empty value)
    mean no end; otherwise both are refused.
    """

    def __init__(
        self, *, permanent_allowed: bool = True, extra_help: str | None = None, **kwargs: Any
    ) -> None:
        self.permanent_allowed = permanent_allowed
        help_text = UNTIL_HELP
        if permanent_allowed:
            help_text = help_text[:-1] + ', or "permanent".'
        kwargs.setdefault("help_text", f"{help_text} {extra_help}" if extra_help else help_text)
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"placeholder": UNTIL_PLACEHOLDER, "autocomplete": "off", "size": 34}
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> datetime | None:
        text = super().clean(value)
        if not text:
            return None  # not required: no end
        until = parse_until(text)
        if until is None and not self.permanent_allowed:
            raise ValidationError("This forum needs an end time here.", code="permanent")
        return until
