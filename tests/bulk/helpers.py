"""Shared steps for bulk-action tests: propose, plan, approve, and read the sandbox."""

from __future__ import annotations

from forums.bulk import engine
from forums.bulk.services import bulk_action_approve, bulk_action_propose
from forums.models import BulkAction
from forums.pacing import Priority, book_shape, get_pacer


def usernames(sandbox, count: int, *, skip_staff: bool = True, not_in_group: str = "") -> list[str]:
    """Ordinary, unpenalised users of a sandbox Discourse (optionally not in a group)."""
    members: set[int] = set()
    if not_in_group:
        group = next(g for g in sandbox.app.groups.values() if g["name"] == not_in_group)
        members = set(group["members"])
    users = [
        u
        for u in sandbox.app.users.values()
        if u["id"] > 0
        and not (skip_staff and (u["admin"] or u["moderator"]))
        and u["id"] not in members
        and not u.get("suspended_till")
        and not u.get("silenced_till")
    ]
    return [u["username"] for u in sorted(users, key=lambda u: u["id"])[:count]]


def propose_and_plan(*, proposer, connection, kind, targets, params=None) -> BulkAction:
    action = bulk_action_propose(
        actor=proposer,
        kind=kind,
        connections=[connection],
        params=params or {},
        targets_text="\n".join(targets),
    )
    outcome = engine.plan_action(action.pk)
    assert outcome.again_in is None, outcome.note
    action.refresh_from_db()
    return action


def approve(action: BulkAction, approver) -> BulkAction:
    return bulk_action_approve(actor=approver, action=action, plan_hash=action.plan_hash)


def planned_group_add(
    *, proposer, connection, sandbox, count: int = 3, group: str = "translators"
) -> BulkAction:
    """A planned action adding ``count`` people who are not yet in ``group``."""
    return propose_and_plan(
        proposer=proposer,
        connection=connection,
        kind="group_add",
        targets=usernames(sandbox, count, not_in_group=group),
        params={"group": group},
    )


def booked_calls(connection) -> int:
    """Calls booked in this forum's slot book (either backend) since its ring was laid out."""
    from forums.models import ForumPace
    from forums.pacing import DatabasePacer

    pacer = get_pacer()
    if isinstance(pacer, DatabasePacer):
        row = ForumPace.objects.filter(connection_id=connection.pk).first()
        return row.booked if row else 0
    return int(pacer.redis.hget(pacer.key(connection) + ":ring", "n") or 0)


def exhaust_budget(connection, *, per_minute: int | None = None) -> None:
    """Other Forumdeck work (a bulk run) has just taken every slot of the forum's window.

    ``per_minute``: give the forum this pace first. A test that asks the busy forum afterwards
    wants its slots held for a whole minute: at the tests' 6,000 a minute a slot comes back
    after 10 s, which a busy machine can spend before the page asks."""
    if per_minute is not None:
        connection.requests_per_minute = per_minute
        connection.save(update_fields=["requests_per_minute"])
    pacer = get_pacer()
    ring, _ = book_shape(connection)
    for _ in range(ring):  # the slots still free now (calls made just before took the others)
        booking = pacer.book(connection, max_wait=0, priority=Priority.CHANGE)
        if not booking.booked:
            break
        pacer.finished(connection, booking)
    assert not pacer.book(connection, max_wait=0, priority=Priority.CHANGE).booked
