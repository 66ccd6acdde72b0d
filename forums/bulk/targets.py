"""Turn a pasted list or an uploaded CSV into targets, reporting every line it cannot use.

A target is a username, an e-mail address or a numeric forum id. Nothing is dropped silently:
blank lines are the only lines left out without a word; junk and duplicates are listed with
their line numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

MAX_TARGETS = 100_000
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
# Discourse: letters, digits, _ . -; NodeBB is more lenient (spaces are not allowed in a list).
_USERNAME = re.compile(r"^[\w.\-]{1,60}$", re.UNICODE)
_ID = re.compile(r"^\d{1,18}$")
_SPLIT = re.compile(r"[,;\t]")
_HEADER_NAMES = {
    "username": "username",
    "user": "username",
    "email": "email",
    "e-mail": "email",
    "id": "id",
    "user_id": "id",
    "uid": "id",
}


@dataclass(frozen=True, slots=True)
class Target:
    line: int
    value: str  # normalised: lower-cased e-mail, username without "@", digits for ids
    kind: str  # "username" | "email" | "id"


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    text: str
    reason: str


@dataclass
class ParsedTargets:
    targets: list[Target] = field(default_factory=list)
    junk: list[Rejected] = field(default_factory=list)
    duplicates: list[Rejected] = field(default_factory=list)
    too_many: bool = False

    @property
    def values(self) -> list[str]:
        return [t.value for t in self.targets]


def classify(token: str) -> tuple[str, str] | None:
    token = token.strip().strip('"').strip()
    if not token:
        return None
    if _EMAIL.match(token):
        return "email", token.lower()
    if _ID.match(token):
        return "id", str(int(token))
    name = token[1:] if token.startswith("@") else token
    if _USERNAME.match(name):
        return "username", name
    raise ValueError(token)


def _reason(token: str) -> str:
    if "@" in token and not token.startswith("@"):
        return "not a valid e-mail address"
    if " " in token.strip():
        return "usernames have no spaces (separate targets with commas or new lines)"
    return "not a username, e-mail address or numeric id"


def _tokens_from_text(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        for token in _SPLIT.split(line):
            if token.strip():
                yield number, token.strip()


def _tokens_from_csv(data: str) -> Iterator[tuple[int, str]]:
    rows = csv.reader(io.StringIO(data))
    columns = [0]
    for number, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            continue
        if number == 1:
            header = [cell.strip().lower() for cell in row]
            named = {
                _HEADER_NAMES[cell]: i
                for i, cell in reversed(list(enumerate(header)))
                if cell in _HEADER_NAMES
            }
            if named:
                # A username says most about who is meant, then an e-mail, then an id.
                columns = [named[k] for k in ("username", "email", "id") if k in named]
                continue
        cells = [row[c].strip() for c in columns if c < len(row) and row[c].strip()]
        yield number, cells[0] if cells else ",".join(row)


def parse_targets(
    text: str = "", *, csv_data: str | None = None, limit: int = MAX_TARGETS
) -> ParsedTargets:
    """Parse a paste (one per line or comma-separated) or a CSV (a username/email/id column,
    or the first column)."""
    result = ParsedTargets()
    seen: dict[str, int] = {}
    tokens: Iterable[tuple[int, str]] = (
        _tokens_from_csv(csv_data) if csv_data is not None else _tokens_from_text(text)
    )
    for number, token in tokens:
        try:
            classified = classify(token)
        except ValueError:
            result.junk.append(Rejected(number, token[:200], _reason(token)))
            continue
        if classified is None:
            continue
        kind, value = classified
        key = value.lower()
        if key in seen:
            result.duplicates.append(
                Rejected(number, token[:200], f"already given on line {seen[key]}")
            )
            continue
        if len(result.targets) >= limit:
            result.too_many = True
            result.junk.append(Rejected(number, token[:200], f"more than {limit} targets"))
            continue
        seen[key] = number
        result.targets.append(Target(number, value, kind))
    return result
