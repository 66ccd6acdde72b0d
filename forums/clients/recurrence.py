"""Expanding a forum's recurrence rule (an RFC 5545 RRULE) with a budget that really stops.

A forum's rule is data from outside: ``FREQ=SECONDLY`` from the year 2000 would have
dateutil walk eight hundred million dates before the month a person looks at, and a rule that
never matches (``FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30``) walks every day to the year 9999 even
with an ``UNTIL``. dateutil cannot be interrupted between the dates it examines, so the rule
is read first and refused, with a plain note on the event, where its cost has no bound:

- more often than daily (hourly, minutely, secondly): the forum lists such dates itself, and
  the calendar shows the event once;
- parts other than the ones forums write (FREQ, INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY,
  BYMONTH, WKST), an absurd INTERVAL, a month day no listed month has, a week-day ordinal no
  month or year has;
- a start so far back that the dates before the range cannot be skipped (a daily or weekly
  rule without COUNT moves its start forward by whole periods instead; anything else may start
  at most ``MAX_PAST_YEARS`` before the range).

What passes is then walked with a count of the dates examined (``MAX_EXAMINED``) and of the
dates kept (the caller's ``limit``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dateutil.rrule import rrulestr

SUB_DAILY = {"SECONDLY": "every second", "MINUTELY": "every minute", "HOURLY": "every hour"}
EXPANDED = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "WKST"}
MAX_RULE_LENGTH = 300
MAX_INTERVAL = 1000
MAX_EXAMINED = 20_000  # dates looked at before giving up (a few tenths of a second)
MAX_PAST_YEARS = 50  # a rule that cannot skip ahead may start this long before the range
_MONTH_DAYS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30,
               12: 31}  # fmt: skip
_ORDINAL_MAX = {"MONTHLY": 5, "YEARLY": 53}


@dataclass(frozen=True)
class Expansion:
    """The dates a rule gives in a range; ``note`` says, in plain words, why they are not all
    there (empty when they are)."""

    starts: list[datetime] = field(default_factory=list)
    note: str = ""


def _parts(rule: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for piece in rule.strip().strip(";").split(";"):
        if not piece.strip():
            continue  # "INTERVAL=2;;UNTIL=…": the older plugin's every_two_weeks with an end
        name, _, value = piece.partition("=")
        parts[name.strip().upper()] = value.strip().upper()
    return parts


def _numbers(value: str) -> list[int] | None:
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        return None


def too_frequent(rule: str) -> str:
    """ "it repeats every second" for a rule more often than daily, else ""."""
    freq = _parts(rule[:MAX_RULE_LENGTH]).get("FREQ", "") if rule else ""
    return f"it repeats {SUB_DAILY[freq]}" if freq in SUB_DAILY else ""


def rule_problem(rule: str) -> str:
    """Why Forumdeck does not expand this rule itself, in plain words ("" if it does)."""
    if len(rule) > MAX_RULE_LENGTH:
        return "its repeat rule is too long to read"
    frequent = too_frequent(rule)
    if frequent:
        return frequent
    parts = _parts(rule)
    freq = parts.get("FREQ", "")
    if freq not in EXPANDED:
        return "its repeat rule has no frequency Forumdeck reads"
    unknown = sorted(set(parts) - PARTS)
    if unknown:
        return f"its repeat rule uses {', '.join(unknown)[:60]}, which Forumdeck does not expand"
    interval = _numbers(parts.get("INTERVAL", "1"))
    if not interval or len(interval) != 1 or not 1 <= interval[0] <= MAX_INTERVAL:
        return "its repeat rule has an interval Forumdeck does not read"
    month_days = _numbers(parts.get("BYMONTHDAY", ""))
    months = _numbers(parts.get("BYMONTH", "")) or list(_MONTH_DAYS)
    if month_days is None or any(m not in _MONTH_DAYS for m in months):
        return "its repeat rule names days or months that do not exist"
    if month_days and not any(0 < abs(d) <= _MONTH_DAYS[m] for m in months for d in month_days):
        return "its repeat rule names a date no month has"
    ordinals = [day[:-2] for day in parts.get("BYDAY", "").split(",") if len(day) > 2]
    if ordinals:
        top = _ORDINAL_MAX.get(freq, 0)
        numbers = _numbers(",".join(ordinals))
        if numbers is None or not any(0 < abs(n) <= top for n in numbers):
            return "its repeat rule names a week day no month or year has"
    return ""


def expand(
    rule_text: str,
    *,
    first: datetime,
    start: datetime,
    end: datetime,
    until: datetime | None = None,
    limit: int = 1000,
) -> Expansion:
    """The starts in [start, end) of the series ``rule_text`` that began at ``first``, at most
    ``limit``; or none, with a note, where the rule is refused or its budget ran out."""
    problem = rule_problem(rule_text)
    if problem:
        return Expansion(note=problem)
    parts = _parts(rule_text)
    freq, interval = parts["FREQ"], int(parts.get("INTERVAL", "1"))
    if freq in ("DAILY", "WEEKLY") and "COUNT" not in parts:
        # Whole periods later the rule gives the same dates: skip the ones before the range.
        period = timedelta(days=interval) if freq == "DAILY" else timedelta(weeks=interval)
        if first < start - period:
            first += period * ((start - first) // period - 1)
    elif start - first > timedelta(days=365 * MAX_PAST_YEARS):
        return Expansion(note=f"it started in {first.year}, too long ago to count its dates")
    try:
        rule = rrulestr(rule_text, dtstart=first)
    except (ValueError, TypeError, OverflowError):
        return Expansion(note="its repeat rule cannot be read")
    found: list[datetime] = []
    examined = 0
    try:
        for begin in rule:
            examined += 1
            if begin >= end or (until is not None and begin > until) or len(found) >= limit:
                break
            if begin >= start:
                found.append(begin)
            if examined >= MAX_EXAMINED:
                return Expansion(found, "it has too many dates to count them all")
    except (ValueError, OverflowError):  # a date past the year 9999
        pass
    return Expansion(found)
