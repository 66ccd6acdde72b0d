"""Turn a pasted list or an uploaded CSV into targets, reporting every line it cannot use.

A target is a username, an e-mail address or a numeric forum id. Nothing is dropped silently:
blank lines are the only lines left out without a word; junk and duplicates are listed with
their line numbers.

The input is read line by line from an iterable of text pieces, so a million-line upload is
never held whole, and a line that is broken (an unclosed quote, a field of megabytes) is one
junk line: it never swallows the lines after it.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

MAX_TARGETS = 100_000
# No target is this long; a longer line is reported as junk and only its start is kept.
MAX_LINE_CHARS = 4096
# Stored and read in pieces of this many characters.
CHUNK_CHARS = 512 * 1024
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
# Discourse: letters, digits, _ . -; NodeBB is more lenient (spaces are not allowed in a list).
_USERNAME = re.compile(r"^[\w.\-]{1,60}$", re.UNICODE)
_ID = re.compile(r"^\d{1,18}$")
_SPLIT = re.compile(r"[,;\t]")
_BREAK = re.compile(r"\r\n|\r|\n")
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
class TargetLine:
    """One target read from a pasted list or an uploaded CSV: its line number, and what it
    names (a username, an e-mail address or an id; a kind may read topics or groups)."""

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
    targets: list[TargetLine] = field(default_factory=list)
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


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    text: str  # at most MAX_LINE_CHARS characters
    too_long: bool


def iter_lines(chunks: Iterable[str], max_chars: int = MAX_LINE_CHARS) -> Iterator[Line]:
    """Every line of the text given in pieces (line breaks: \\n, \\r\\n or \\r, also across
    pieces), numbered from 1. A line longer than ``max_chars`` keeps only its start."""
    number = 0
    parts: list[str] = []
    size = 0
    too_long = False
    skip_lf = False  # the last piece ended with \r: a \n starting the next one is the same break

    def add(text: str) -> None:
        nonlocal size, too_long
        room = max_chars - size
        if len(text) > room:
            too_long = True
            text = text[:room]
        if text:
            parts.append(text)
            size += len(text)

    for chunk in chunks:
        if skip_lf and chunk.startswith("\n"):
            chunk = chunk[1:]
        skip_lf = chunk.endswith("\r")
        start = 0
        for brk in _BREAK.finditer(chunk):
            add(chunk[start : brk.start()])
            number += 1
            yield Line(number, "".join(parts), too_long)
            parts, size, too_long = [], 0, False
            start = brk.end()
        add(chunk[start:])
    if parts or too_long:
        yield Line(number + 1, "".join(parts), too_long)


def _long_line(line: Line) -> Rejected:
    return Rejected(
        line.number,
        line.text[:200],
        f"the line is longer than {MAX_LINE_CHARS} characters (no target is that long)",
    )


def _tokens_from_text(lines: Iterable[Line]) -> Iterator[tuple[int, str] | Rejected]:
    for line in lines:
        if line.too_long:
            yield _long_line(line)
            continue
        for token in _SPLIT.split(line.text):
            if token.strip():
                yield line.number, token.strip()


def _csv_row(line: Line) -> list[str] | Rejected:
    try:
        return next(csv.reader([line.text], strict=True), [])
    except csv.Error as exc:
        if "NUL" in str(exc):
            reason = "the line holds a NUL character: is this a text (CSV) file?"
        else:
            reason = "a quote is not closed, or is not where CSV allows one"
        return Rejected(line.number, line.text[:200], reason)


def _tokens_from_csv(lines: Iterable[Line]) -> Iterator[tuple[int, str] | Rejected]:
    columns = [0]
    for line in lines:
        if line.too_long:
            yield _long_line(line)
            continue
        row = _csv_row(line)
        if isinstance(row, Rejected):
            yield row
            continue
        if not any(cell.strip() for cell in row):
            continue
        if line.number == 1:
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
        yield line.number, cells[0] if cells else ",".join(row)


class TargetParser:
    """Reads targets from text pieces, keeping count of what it could not use.

    ``keep`` bounds how many junk and duplicate lines are kept for display (all are counted),
    so that a million junk lines do not fill the memory of whoever parses them.
    """

    def __init__(self, *, csv: bool = False, limit: int = MAX_TARGETS, keep: int | None = None):
        self.csv = csv
        self.limit = limit
        self.keep = keep
        self.count = 0
        self.junk: list[Rejected] = []
        self.junk_count = 0
        self.duplicates: list[Rejected] = []
        self.duplicate_count = 0
        self.too_many = False
        # Bounded by ``limit``: targets past it are refused before they are remembered.
        self._seen: dict[str, int] = {}

    def _reject(self, into: list[Rejected], rejected: Rejected) -> None:
        if self.keep is None or len(into) < self.keep:
            into.append(rejected)

    def targets(self, chunks: Iterable[str]) -> Iterator[TargetLine]:
        lines = iter_lines(chunks)
        tokens = _tokens_from_csv(lines) if self.csv else _tokens_from_text(lines)
        for token in tokens:
            if isinstance(token, Rejected):
                self.junk_count += 1
                self._reject(self.junk, token)
                continue
            number, text = token
            try:
                classified = classify(text)
            except ValueError:
                self.junk_count += 1
                self._reject(self.junk, Rejected(number, text[:200], _reason(text)))
                continue
            if classified is None:
                continue
            kind, value = classified
            key = value.lower()
            first = self._seen.get(key)
            if first is not None:
                self.duplicate_count += 1
                self._reject(
                    self.duplicates, Rejected(number, text[:200], f"already given on line {first}")
                )
                continue
            if self.count >= self.limit:
                self.too_many = True
                self.junk_count += 1
                self._reject(
                    self.junk, Rejected(number, text[:200], f"more than {self.limit} targets")
                )
                continue
            self._seen[key] = number
            self.count += 1
            yield TargetLine(number, value, kind)


def parse_targets(
    text: str = "", *, csv_data: str | None = None, limit: int = MAX_TARGETS
) -> ParsedTargets:
    """Parse a paste (one per line or comma-separated) or a CSV (a username/email/id column,
    or the first column), all at once: for short lists."""
    parser = TargetParser(csv=csv_data is not None, limit=limit)
    targets = list(parser.targets([csv_data if csv_data is not None else text]))
    return ParsedTargets(targets, parser.junk, parser.duplicates, parser.too_many)


def first_target(text: str) -> tuple[TargetLine | None, list[Rejected]]:
    """The first usable target of a paste, and the junk before it: a quick check that a
    proposal has something to plan, without parsing the rest."""
    parser = TargetParser(keep=5)
    return next(parser.targets([text]), None), parser.junk


# --- uploaded files ---------------------------------------------------------------------------
ENCODINGS = ("utf-8-sig", "cp1252")


def _pieces(file: IO[bytes], size: int) -> Iterator[bytes]:
    file.seek(0)
    while piece := file.read(size):
        yield piece


def detect_encoding(file: IO[bytes]) -> str | None:
    """The first of ENCODINGS that decodes the whole file (read in pieces), or None."""
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for piece in _pieces(file, CHUNK_CHARS):
                decoder.decode(piece)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def decoded_pieces(file: IO[bytes], encoding: str, size: int = CHUNK_CHARS) -> Iterator[str]:
    """The file's text in pieces of about ``size`` characters."""
    decoder = codecs.getincrementaldecoder(encoding)()
    for piece in _pieces(file, size):
        text = decoder.decode(piece)
        if text:
            yield text
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


def text_pieces(text: str, size: int = CHUNK_CHARS) -> Iterator[str]:
    for start in range(0, len(text), size):
        yield text[start : start + size]
