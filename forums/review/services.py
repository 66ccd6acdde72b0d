"""Deciding review queue items: one in place, or many at once with one harmless decision.

Every decision sent is audited with the forum's answer (``forums.core.audit``). Destructive
decisions (deleting posts or accounts, suspending or silencing the author) are never sent from
here: they are proposed as a bulk action (``review_decide``), planned, and sent only once a
second person approves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from forums.bulk.kinds import get_kind
from forums.bulk.kinds.review import AUTHOR
from forums.bulk.services import bulk_action_propose
from forums.clients import client_class, get_client
from forums.clients.errors import ForumError, ForumNotFound, ReviewItemStale
from forums.clients.records import ReviewItem
from forums.core.audit import audit_change
from forums.core.fleet import enabled_connections, fan_out
from forums.models import BulkAction, ForumConnection
from forums.pacing import Priority

from .selectors import KIND_WORDS, MANY, ask_forums_now, forget_items, queues

STALE = ReviewItemStale.default_message


@dataclass(frozen=True)
class Decided:
    """What one decision came to: done (with the forum's answer), stale, or refused."""

    ok: bool
    message: str
    stale: bool = False
    key: str = ""


def _target(item: ReviewItem) -> str:
    who = f" by {item.author_username}" if item.author_username else ""
    return f"{KIND_WORDS[item.kind]} {item.item_id}{who}"


def _by_connection(keys: Sequence[str]) -> dict[int, list[str]]:
    wanted: dict[int, list[str]] = {}
    for key in keys:
        pk, _, item_id = key.partition(":")
        if pk.isdigit() and item_id:
            wanted.setdefault(int(pk), []).append(item_id)
    return wanted


def review_propose(
    *, actor: User, keys: Sequence[str], action_id: str, label: str = ""
) -> BulkAction:
    """A decision that deletes or penalises, on the ticked items (``<connection id>:<item
    id>``), proposed as one bulk action: planned, then approved by a second person."""
    if not actor.has_perm("forums.propose_bulkaction"):
        raise ValidationError("Deciding this is a bulk action, and you cannot propose those.")
    wanted = _by_connection(keys)
    connections = enabled_connections(list(wanted))
    if not connections:
        raise ValidationError("Tick the items to decide first.")
    return bulk_action_propose(
        actor=actor,
        kind="review_decide",
        params={"action": action_id, "label": label[:200]},
        targets_by_connection={c: wanted[c.pk] for c in connections},
    )


def review_propose_spam(*, actor: User, keys: Sequence[str], penalty: dict[str, str]) -> BulkAction:
    """ "Delete the posts and suspend the authors" on the ticked items (``<connection id>:<item
    id>``), proposed as ONE bulk action across their forums (``review_spam``): each forum's
    items, then one ``author:<username>`` for each distinct author of them (as the queue shows
    them now). ``penalty``: the usual penalty form's until, reason and message."""
    if not actor.has_perm("forums.propose_bulkaction"):
        raise ValidationError("Deciding this is a bulk action, and you cannot propose those.")
    wanted = _by_connection(keys)
    if not wanted:
        raise ValidationError("Tick the items to decide first.")
    kind = get_kind("review_spam")
    connections = [
        c for c in enabled_connections(list(wanted)) if kind.offered_by(client_class(c.platform))
    ]
    if not connections:
        raise ValidationError(
            "None of the ticked items is on a forum where Forumdeck can both decide review "
            "items and suspend or ban their authors."
        )
    targets: dict[ForumConnection, list[str]] = {}
    for connection, answer in queues(connections):
        known = {} if isinstance(answer, BaseException) else {i.item_id: i for i in answer}
        items = list(dict.fromkeys(wanted[connection.pk]))
        authors = dict.fromkeys(
            known[i].author_username for i in items if i in known and known[i].author_username
        )
        targets[connection] = items + [f"{AUTHOR}{name}" for name in authors]
    return bulk_action_propose(
        actor=actor, kind="review_spam", params=dict(penalty), targets_by_connection=targets
    )


def _send(client, item: ReviewItem, action_id: str) -> Decided:
    action = next((a for a in item.actions if a.id == action_id), None)
    if action is None:
        return Decided(False, "The forum does not offer this decision on this item now.")
    if action.destructive:
        return Decided(
            False,
            f"“{action.label}” deletes or penalises: propose it for a second person's approval "
            "instead.",
        )
    try:
        answer = client.review_decide(item=item, action_id=action_id)
    except ReviewItemStale as exc:
        return Decided(False, str(exc), stale=True)
    except ForumNotFound:
        return Decided(False, STALE, stale=True)
    except ForumError as exc:
        return Decided(False, str(exc))
    return Decided(True, answer)


def review_decide(
    *,
    actor: User,
    connection: ForumConnection,
    item_id: str,
    action_id: str,
    version: int | None = None,
) -> Decided:
    """Apply one decision to one item as the forum holds it now. ``version``: the one the page
    showed; when the forum has moved on since, the forum refuses and the answer says so."""
    item: ReviewItem | None = None
    try:
        with get_client(connection, priority=Priority.CHANGE) as client:
            item = client.review_item(item_id=item_id)
            if item.status != "pending":
                decided = Decided(False, STALE, stale=True)
            else:
                if version is not None:
                    item = dataclasses.replace(item, version=version)
                decided = _send(client, item, action_id)
    except ForumNotFound:
        decided = Decided(False, STALE, stale=True)
    except ForumError as exc:
        decided = Decided(False, str(exc))
    if decided.ok or decided.stale:
        forget_items(connection, [item_id])
    ask_forums_now([connection])  # the kept rows catch up with the forum's answer
    audit_change(
        actor=actor,
        action="review.decide",
        connection=connection,
        ok=decided.ok,
        message=decided.message,
        target=_target(item) if item else f"Review item {item_id}",
        details={"item_id": item_id, "decision": action_id},
    )
    return dataclasses.replace(decided, key=f"{connection.pk}:{item_id}")


def _pick(item: ReviewItem, decision: str) -> str:
    offered = {a.id for a in item.actions if not a.destructive}
    return next((a for a in MANY[decision] if a in offered), "")


def review_decide_many(*, actor: User, keys: Sequence[str], decision: str) -> list[Decided]:
    """One harmless decision (``approve``, ``ignore`` or ``reject``) on every ticked item
    (``<connection id>:<item id>``). Forums are asked in parallel, each forum's items one after
    the other, every call taking its slot in that forum's slot book as a change."""
    if decision not in MANY:
        raise ValueError("Choose approve, ignore or reject.")
    wanted = _by_connection(keys)
    connections = enabled_connections(list(wanted))
    items: dict[int, dict[str, ReviewItem]] = {}
    for connection, answer in queues(connections):
        if not isinstance(answer, BaseException):
            items[connection.pk] = {i.item_id: i for i in answer}

    Sent = tuple[str, ReviewItem | None, str, Decided]

    def run(connection: ForumConnection) -> list[Sent]:
        done: list[Sent] = []
        known = items.get(connection.pk, {})
        with get_client(connection, priority=Priority.CHANGE) as client:
            for item_id in wanted[connection.pk]:
                item = known.get(item_id)
                if item is None:
                    done.append((item_id, None, "", Decided(False, STALE, stale=True)))
                    continue
                action_id = _pick(item, decision)
                if not action_id:
                    note = f"{KIND_WORDS[item.kind]}: the forum offers no such decision here."
                    done.append((item_id, item, "", Decided(False, note)))
                    continue
                done.append((item_id, item, action_id, _send(client, item, action_id)))
        return done

    results: list[Decided] = []
    for connection, sent in fan_out(connections, run, "review"):
        if isinstance(sent, BaseException):
            if not isinstance(sent, ForumError):
                raise sent
            for item_id in wanted[connection.pk]:
                results.append(Decided(False, str(sent), key=f"{connection.pk}:{item_id}"))
            continue
        for item_id, item, action_id, decided in sent:
            if action_id:
                audit_change(
                    actor=actor,
                    action="review.decide",
                    connection=connection,
                    ok=decided.ok,
                    message=decided.message,
                    target=_target(item) if item else f"Review item {item_id}",
                    details={"item_id": item_id, "decision": action_id, "many": True},
                )
            results.append(dataclasses.replace(decided, key=f"{connection.pk}:{item_id}"))
        forget_items(connection, [i for i, _, _, d in sent if d.ok or d.stale])
    ask_forums_now(connections)  # the kept rows catch up with the forums' answers
    return results
