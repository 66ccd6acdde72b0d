"""How many items of a bulk action stand where, kept as the items change.

Every write that moves an item between the counted buckets goes through ``save_items`` or
``update_items``: each reads the rows it is about to change (locked, on databases that lock
rows), changes them, and adds the difference to the action's ``BulkItemCounts`` in the same
transaction. A crash therefore loses the change and its count together, and pages read a
handful of numbers instead of counting every item ever planned.

The buckets (see ``BulkItemCounts``): a planned item counts in ``planned``, in ``sent`` once a
call went out for it (attempts > 0), and in ``done``, ``skipped`` or ``failed`` by its state;
an item the plan looked up and skipped counts in ``skipped_in_plan``. Items not yet looked up
count nowhere, so newly created items change no count.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet

from forums.models import BulkActionItem, BulkItemCounts

# BulkActionItem.State values (not imported from the model class to keep this table plain).
DONE, SKIPPED, FAILED = "done", "skipped", "failed"
TRACKED = ("planned", "resolved", "state", "attempts")
BUCKETS = ("planned", "sent", "done", "skipped", "failed", "skipped_in_plan")
_ROW = ("pk", "action_id", "connection_id", *TRACKED)
_IDS_PER_QUERY = 500  # SQLite's 999 parameters


@dataclass(frozen=True)
class Tally:
    """One action's counts (summed over its forums), in the words the pages use."""

    planned: int = 0
    sent: int = 0
    done: int = 0
    skipped: int = 0  # skipped by the run (nothing to do any more)
    failed: int = 0
    skipped_in_plan: int = 0

    @property
    def total(self) -> int:
        """The targets a run accounts for: those it sends, and those the plan skipped."""
        return self.planned + self.skipped_in_plan

    @property
    def skipped_all(self) -> int:
        return self.skipped + self.skipped_in_plan

    @property
    def finished(self) -> int:
        return self.done + self.failed + self.skipped_all

    @property
    def open(self) -> int:
        """Planned, and still pending or being sent."""
        return self.planned - self.done - self.failed - self.skipped

    @property
    def not_sent(self) -> int:
        return self.planned - self.sent

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else math.floor(self.finished * 100 / self.total)

    def per_state(self) -> dict[str, int]:
        """{state: n} over the counted items, as the per-forum table shows them."""
        return {"done": self.done, "skipped": self.skipped_all, "failed": self.failed}


def tally(rows: Iterable[BulkItemCounts]) -> Tally:
    """The sum of some ``BulkItemCounts`` rows (an action's forums, often prefetched)."""
    sums: Counter[str] = Counter()
    for row in rows:
        for name in BUCKETS:
            sums[name] += getattr(row, name)
    return Tally(**sums)


def buckets_of(planned: bool, resolved: bool, state: str, attempts: int) -> tuple[str, ...]:
    """The counts one item with these values adds 1 to."""
    if planned:
        found = ["planned"]
        if attempts > 0:
            found.append("sent")
        if state in (DONE, SKIPPED, FAILED):
            found.append(str(state))
        return tuple(found)
    if resolved and state == SKIPPED:
        return ("skipped_in_plan",)
    return ()


Key = tuple[int, int]  # (action id, connection id)


def _add(deltas: dict[Key, Counter], key: Key, row: Mapping, sign: int) -> None:
    for name in buckets_of(row["planned"], row["resolved"], row["state"], row["attempts"]):
        deltas.setdefault(key, Counter())[name] += sign


def _locked_rows(queryset: QuerySet) -> list[dict]:
    rows = queryset.select_for_update().order_by("pk").values_list(*_ROW)
    return [dict(zip(_ROW, row, strict=True)) for row in rows]


# The two statements every item write adds, in plain SQL: through the ORM they cost about
# 0.3 ms each, which doubled the engine's own time per item of a paced run. Only quoted
# table and column names are put in the text; every value is a parameter (hence the noqa).
def _rows_by_id(ids: Sequence[int]) -> list[dict]:
    """The tracked values of these items, locked until the transaction ends (where the
    database locks rows: PostgreSQL; SQLite writes one transaction at a time anyway)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in ("id", *_ROW[1:]))
    table = quote(BulkActionItem._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    sql = f"SELECT {columns} FROM {table} WHERE {quote('id')} IN ({marks}) ORDER BY {quote('id')}"  # noqa: S608
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, list(ids))
        return [dict(zip(_ROW, row, strict=True)) for row in cursor.fetchall()]


def _apply(deltas: dict[Key, Counter]) -> None:
    quote = connection.ops.quote_name
    table = quote(BulkItemCounts._meta.db_table)
    for (action_id, connection_id), delta in deltas.items():
        change = {name: n for name, n in delta.items() if n}
        if not change:
            continue
        sets = ", ".join(f"{quote(name)} = {quote(name)} + %s" for name in change)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {sets} "  # noqa: S608
                f"WHERE {quote('action_id')} = %s AND {quote('connection_id')} = %s",
                [*change.values(), action_id, connection_id],
            )
            updated = cursor.rowcount
        if not updated:
            # An action from before counts were kept (or made by hand in a test): count it
            # once, now, after this change (the items already show it).
            recount(action_id, connection_ids=[connection_id])


def save_items(items: Sequence, fields: Sequence[str]) -> None:
    """Write ``fields`` of ``items`` (model instances): one UPDATE per distinct set of values,
    and the counts they move, in one transaction."""
    groups: dict[tuple, list[int]] = {}
    for item in items:
        groups.setdefault(tuple(getattr(item, f) for f in fields), []).append(item.pk)
    if not groups:
        return
    tracked = [f for f in fields if f in TRACKED]
    with transaction.atomic():
        before: dict[int, dict] = {}
        if tracked:
            ids = [pk for pks in groups.values() for pk in pks]
            for start in range(0, len(ids), _IDS_PER_QUERY):
                part = _rows_by_id(ids[start : start + _IDS_PER_QUERY])
                before.update((row["pk"], row) for row in part)
        deltas: dict[Key, Counter] = {}
        for values, ids in groups.items():
            new = dict(zip(fields, values, strict=True))
            for start in range(0, len(ids), _IDS_PER_QUERY):
                BulkActionItem.objects.filter(pk__in=ids[start : start + _IDS_PER_QUERY]).update(
                    **new
                )
            for pk in ids if tracked else ():
                old = before.get(pk)
                if old is None:
                    continue  # deleted meanwhile: its update changed nothing
                key = (old["action_id"], old["connection_id"])
                _add(deltas, key, old, -1)
                _add(deltas, key, {**old, **new}, +1)
        _apply(deltas)


def update_items(queryset: QuerySet, **values) -> int:
    """``queryset.update(**values)`` (constant values), keeping the counts right: only the rows
    read (and locked) here change, so the counts match exactly what was written."""
    with transaction.atomic():
        rows = _locked_rows(queryset)
        ids = [row["pk"] for row in rows]
        for start in range(0, len(ids), _IDS_PER_QUERY):
            BulkActionItem.objects.filter(pk__in=ids[start : start + _IDS_PER_QUERY]).update(
                **values
            )
        deltas: dict[Key, Counter] = {}
        for row in rows:
            key = (row["action_id"], row["connection_id"])
            _add(deltas, key, row, -1)
            _add(deltas, key, {**row, **values}, +1)
        _apply(deltas)
    return len(ids)


def start_counts(action, connections: Iterable) -> None:
    """Zero counts for a new action's forums (its items, not looked up yet, count nowhere)."""
    BulkItemCounts.objects.bulk_create(
        [BulkItemCounts(action=action, connection=c) for c in connections],
        ignore_conflicts=True,
    )


def recount(action_id: int, connection_ids: Sequence[int] | None = None) -> None:
    """Count the action's items again and store the result (the data migration's way, and the
    check the tests make against the kept counts)."""
    with transaction.atomic():
        items = BulkActionItem.objects.filter(action_id=action_id)
        if connection_ids is not None:
            items = items.filter(connection_id__in=connection_ids)
        found = counted(items)
        keys = set(found) | {
            (action_id, c)
            for c in (
                connection_ids
                if connection_ids is not None
                else items.values_list("connection_id", flat=True).distinct()
            )
        }
        for key in keys:
            numbers = found.get(key, {})
            BulkItemCounts.objects.update_or_create(
                action_id=key[0],
                connection_id=key[1],
                defaults={name: numbers.get(name, 0) for name in BUCKETS},
            )


def counted(items: QuerySet) -> dict[Key, dict[str, int]]:
    """(action, connection) -> counts, counted from the items themselves (one grouped query)."""
    rows = (
        items.order_by()
        .values("action_id", "connection_id", "planned", "resolved", "state")
        .annotate(n=Count("pk"), n_sent=Count("pk", filter=Q(attempts__gt=0)))
    )
    result: dict[Key, dict[str, int]] = {}
    for row in rows:
        numbers = result.setdefault(
            (row["action_id"], row["connection_id"]), dict.fromkeys(BUCKETS, 0)
        )
        for name in buckets_of(row["planned"], row["resolved"], row["state"], 0):
            numbers[name] += row["n"]
        if row["planned"]:
            numbers["sent"] += row["n_sent"]
    return result
