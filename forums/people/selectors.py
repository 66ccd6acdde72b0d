"""Finding a person on every forum at once.

Each enabled forum is asked in parallel; a forum that fails or is slow gets its own error and
never holds up the others past the deadline. Accounts with the same e-mail address on several
forums are grouped as one person. ``people_search_stream`` gives the answers the moment they
arrive, with everyone found so far grouped again, so a page can show them at once.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Q

from forums.clients import client_class, get_client
from forums.clients.errors import (
    CapabilityNotOffered,
    ForumAnswerTooSlow,
    ForumError,
    ForumNotFound,
    ForumTimeout,
)
from forums.clients.records import Capability, ForumUser, ForumUserDetails
from forums.core.fleet import ForumDidNotAnswer, enabled_connections, fan_out_batches
from forums.core.fleet_index.reads import index_search, indexed_accounts_seen_at, indexed_as_of
from forums.core.fleet_index.rows import index_account_gone, note_account
from forums.core.outcomes import ForumOutcome
from forums.models import AuditEntry, ForumConnection

logger = logging.getLogger(__name__)

STATUSES = {
    "": "Any status",
    "suspended": "Suspended / banned",
    "silenced": "Silenced / muted",
    "new": "Joined in the last 30 days",
    "staff": "Staff",
}
PER_FORUM_LIMIT = 100
CACHE_SECONDS = 120


@dataclass(frozen=True)
class ForumAccount:
    connection_id: int
    connection_name: str
    platform: str
    user: ForumUser


@dataclass
class Person:
    key: str
    email: str
    accounts: list[ForumAccount] = field(default_factory=list)

    @property
    def name(self) -> str:
        return next((a.user.name for a in self.accounts if a.user.name), "")

    @property
    def usernames(self) -> list[str]:
        return sorted({a.user.username for a in self.accounts})

    @property
    def on_several_forums(self) -> bool:
        return len({a.connection_id for a in self.accounts}) > 1


@dataclass
class SearchResult:
    query: str
    status: str
    people: list[Person]
    forums: list[ForumOutcome]
    live: bool = False  # every forum asked now, the index left aside

    @property
    def from_index(self) -> bool:
        """Some forum's line was answered from the index ("Ask the forums now" is offered)."""
        return any(f.as_of is not None for f in self.forums)

    @property
    def account_count(self) -> int:
        return sum(len(p.accounts) for p in self.people)

    @property
    def waiting(self) -> list[ForumOutcome]:
        """The forums asked that have not answered yet."""
        return [f for f in self.forums if f.waiting]


@dataclass(frozen=True)
class SearchProgress:
    """The forums that just answered (one, or several that answered together), and everyone
    found so far (every forum's answer until now)."""

    forums: list[ForumOutcome]
    result: SearchResult


def clean_query(query: str) -> str:
    query = (query or "").strip()
    if len(query) < 2:
        raise ValidationError("Type at least two characters of a username or e-mail address.")
    if len(query) > 200:
        raise ValidationError("That is longer than any username or e-mail address.")
    return query


_WHOLE_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Part of an e-mail address: an @, or a domain's shape ("example.org", "lopez.example.org").
_ADDRESS_PART = re.compile(r"@|[^\s.@]\.[a-z]{2,}(?:\.|$)", re.IGNORECASE)


def _search_note(connection: ForumConnection, query: str) -> str:
    """The forum's own note on what its search cannot find (NodeBB: parts of an e-mail
    address), when the query looks like part of an address: not for a plain username, nor
    for a whole address, which every forum finds."""
    if _WHOLE_ADDRESS.fullmatch(query) or not _ADDRESS_PART.search(query):
        return ""
    return client_class(connection.platform).words.search_note


class _Found(list):
    """One forum's accounts, with what its client said of the read (``read_notes``)."""

    note: str = ""


def _search_one(connection: ForumConnection, query: str, status: str) -> list[ForumUser]:
    with get_client(connection) as client:
        found = _Found(client.find_users(query=query, status=status, limit=PER_FORUM_LIMIT))
        found.note = " ".join(client.read_notes())
        return found


def _cache_key(query: str, status: str, ids: list[int], live: bool = False) -> str:
    raw = f"{query.lower()}|{status}|{','.join(map(str, sorted(ids)))}|{int(live)}"
    return "forumdeck:people:" + hashlib.sha256(raw.encode()).hexdigest()


def people_search(
    *,
    query: str,
    status: str = "",
    connection_ids: list[int] | None = None,
    refresh: bool = False,
    live: bool = False,
) -> SearchResult:
    """Search every chosen (enabled) forum and group the accounts by person: from the fleet
    index for each forum read whole into it, asking the others in parallel (``live``: ask
    every forum now)."""
    if not refresh:
        query, status = _clean(query, status)
        cached = cache.get(
            _cache_key(query, status, [c.pk for c in enabled_connections(connection_ids)], live)
        )
        if cached is not None:
            return cached
    result, answers = people_search_stream(
        query=query, status=status, connection_ids=connection_ids, live=live
    )
    for progress in answers:
        result = progress.result
    return result


def people_search_stream(
    *,
    query: str,
    status: str = "",
    connection_ids: list[int] | None = None,
    live: bool = False,
) -> tuple[SearchResult, Iterator[SearchProgress]]:
    """A new search: every chosen forum as still waiting, and then the answers as they arrive
    (``SearchProgress``: the lines of the forums that answered, one or several that answered
    together, and everyone found so far grouped by person). The query is checked at once
    (``ValidationError``); the forums are asked when the answers are first read. Once every
    forum has answered (or timed out), the whole result is cached for paging, as
    ``people_search`` leaves it.

    A forum whose accounts the fleet index has read whole answers from the index (no call:
    any part of a username, name or e-mail, on every platform), its line saying as of when;
    the others are asked live. ``live``: every forum is asked now."""
    query, status = _clean(query, status)
    connections = enabled_connections(connection_ids)
    as_of = {} if live else indexed_as_of([c.pk for c in connections])
    outcomes = [
        ForumOutcome(c.pk, c.name, as_of=as_of[c.pk], waiting=True)
        if c.pk in as_of
        else ForumOutcome(c.pk, c.name, note=_search_note(c, query), waiting=True)
        for c in connections
    ]
    start = SearchResult(query, status, [], [replace(o) for o in outcomes], live=live)
    return start, _answers(start, connections, outcomes)


def _clean(query: str, status: str) -> tuple[str, str]:
    query = clean_query(query)
    if status not in STATUSES:
        raise ValidationError("Unknown status filter.")
    return query, status


def _answers(
    start: SearchResult, connections: Sequence[ForumConnection], outcomes: list[ForumOutcome]
) -> Iterator[SearchProgress]:
    query, status = start.query, start.status
    by_id = {o.connection_id: o for o in outcomes}
    found: list[ForumAccount] = []
    result = start
    started = time.monotonic()
    indexed = [c for c in connections if by_id[c.pk].as_of is not None]
    if indexed:
        # The index answers for these forums at once, in one batch, before any forum is asked.
        matches = index_search(
            query=query, status=status, connection_ids=[c.pk for c in indexed],
            limit=PER_FORUM_LIMIT,
        )  # fmt: skip
        for connection in indexed:
            found.extend(_take(by_id[connection.pk], connection, matches[connection.pk], 0.0))
        result = SearchResult(
            query, status, _group(found, query), [replace(o) for o in outcomes], live=start.live
        )
        yield SearchProgress([replace(by_id[c.pk]) for c in indexed], result)
    asked = [c for c in connections if by_id[c.pk].as_of is None]
    job = partial(_search_one, query=query, status=status)
    # A batch: the forums that answered while the page showed the last ones, grouped once.
    for batch in fan_out_batches(asked, job, "people-search"):
        answered = []
        for connection, answer in batch:
            outcome = by_id[connection.pk]
            found.extend(_take(outcome, connection, answer, time.monotonic() - started))
            if isinstance(answer, ForumError) and not isinstance(answer, CapabilityNotOffered):
                found.extend(_last_known(outcome, connection, query, status))
            answered.append(replace(outcome))
        # Copies: what was yielded before stays as it was shown.
        result = SearchResult(
            query, status, _group(found, query), [replace(o) for o in outcomes], live=start.live
        )
        yield SearchProgress(answered, result)
    cache.set(
        _cache_key(query, status, [c.pk for c in connections], start.live), result, CACHE_SECONDS
    )


def _take(
    outcome: ForumOutcome,
    connection: ForumConnection,
    answer: list[ForumUser] | BaseException,
    waited: float,
) -> list[ForumAccount]:
    """One forum's answer into its line; the accounts it found."""
    outcome.waiting = False
    if isinstance(answer, ForumTimeout | ForumAnswerTooSlow | ForumDidNotAnswer):
        # However the wait ended (the call's timeout or deadline, or the page's), the line
        # says how long this forum was waited for.
        outcome.error = _did_not_answer(waited)
        return []
    if isinstance(answer, ForumError | ValueError):
        # The client words every failure once (a refused key, not an administrator, not this
        # software): the same words as the Test button and the card. A ValueError is a status
        # this forum cannot filter by.
        outcome.error = str(answer)
        return []
    if isinstance(answer, BaseException):
        # A bug, not the forum: the log gets the traceback, the page one plain line, and the
        # other forums' answers (already on their way to the browser) stay.
        logger.error("People search on %s failed", connection.name, exc_info=answer)
        outcome.error = (
            f"an unexpected error ({type(answer).__name__}) stopped this search; "
            "the server log has the details."
        )
        return []
    outcome.count = len(answer)
    outcome.capped = len(answer) >= PER_FORUM_LIMIT
    outcome.read_note = getattr(answer, "note", "")
    return [ForumAccount(connection.pk, connection.name, connection.platform, u) for u in answer]


def _last_known(
    outcome: ForumOutcome, connection: ForumConnection, query: str, status: str
) -> list[ForumAccount]:
    """A forum that failed now (busy, down, hanging) and that the index holds accounts of:
    its matches as the index last saw them, its line saying so beside its error."""
    seen_at = indexed_accounts_seen_at(connection_ids=[connection.pk]).get(connection.pk)
    if seen_at is None:
        return []
    users = index_search(
        query=query, status=status, connection_ids=[connection.pk], limit=PER_FORUM_LIMIT
    )[connection.pk]
    outcome.last_known_as_of = seen_at
    outcome.count = len(users)
    return [ForumAccount(connection.pk, connection.name, connection.platform, u) for u in users]


def _did_not_answer(seconds: float) -> str:
    waited = f"{seconds:.1f}" if seconds < 10 else f"{seconds:.0f}"
    return f"did not answer in {waited} s, so Forumdeck stopped waiting. Try again later."


def _group(accounts: list[ForumAccount], query: str) -> list[Person]:
    people: dict[str, Person] = {}
    for account in accounts:
        email = (account.user.email or "").strip().lower()
        key = f"email:{email}" if email else f"acct:{account.connection_id}:{account.user.id}"
        person = people.setdefault(key, Person(key=key, email=email))
        person.accounts.append(account)
    q = query.lower()

    def rank(person: Person) -> tuple:
        exact = q == person.email or any(q == a.user.username.lower() for a in person.accounts)
        return (not exact, not person.on_several_forums, person.usernames[0].lower())

    for person in people.values():
        person.accounts.sort(key=lambda a: a.connection_name.lower())
    return sorted(people.values(), key=rank)


def person_accounts(*, email: str) -> list[ForumAccount]:
    """Every account with this e-mail on every enabled forum (for "ban on every forum")."""
    result = people_search(query=email, refresh=True)
    key = f"email:{email.strip().lower()}"
    return next((p.accounts for p in result.people if p.key == key), [])


@dataclass(frozen=True)
class PersonLookup:
    """One account on one forum, read fresh: its details, or why there are none."""

    details: ForumUserDetails | None
    error: str = ""
    gone: bool = False
    # Optional capabilities this forum showed it has (see ``discovered_capabilities``).
    capabilities: frozenset[Capability] = frozenset()


def person_lookup(*, connection: ForumConnection, user_id: int) -> PersonLookup:
    try:
        with get_client(connection) as client:
            details = client.user_details(user_id=user_id)
            try:
                found = client.discovered_capabilities()
            except ForumError:
                found = frozenset()  # not known now: only the platform's fixed ones show
    except ForumNotFound:
        index_account_gone(connection=connection, user_id=user_id)
        return PersonLookup(None, f"This person no longer exists on {connection.name}.", gone=True)
    except ForumError as exc:
        return PersonLookup(None, f"{connection.name} could not be asked: {exc}")
    # A person page read the forum live: the index shows what it saw.
    note_account(connection, details.user)
    return PersonLookup(details, capabilities=found)


def person_audit(*, connection: ForumConnection, user: ForumUser, limit: int = 50):
    """What Forumdeck did to this person: by name or e-mail on any forum, by id on this one."""
    names = [n for n in (user.username, user.email) if n]
    return AuditEntry.objects.filter(
        Q(target__in=names) | _by_forum_id(connection, user.id)
    ).order_by("-created_at")[:limit]


def gone_person_audit(*, connection: ForumConnection, user_id: int, limit: int = 50):
    """What Forumdeck did to a person the forum no longer has (deleted, often by Forumdeck):
    the entries for their id on this forum, and by the names those entries knew them by on
    any forum."""
    by_id = AuditEntry.objects.filter(_by_forum_id(connection, user_id))
    names = {t for t in by_id.values_list("target", flat=True) if t}
    return AuditEntry.objects.filter(
        Q(target__in=names) | _by_forum_id(connection, user_id)
    ).order_by("-created_at")[:limit]


def _by_forum_id(connection: ForumConnection, user_id: int) -> Q:
    return Q(connection=connection, details__user_id=user_id) | Q(
        connection=connection, details__forum_user_id=user_id
    )
