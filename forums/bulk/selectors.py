"""Reading bulk actions: lists, progress, and the ones nobody is working on."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from forums.accounts.independence import Hands
from forums.models import BulkAction
from forums.pacing import book_shape, gap_after
from forums.web.durations import UntilField, describe_until

from .counts import tally
from .kinds import KINDS
from .kinds.penalties import until_of

State = BulkAction.State

STATE_GROUPS = {
    "waiting": [State.PENDING_APPROVAL],
    "active": [State.PLANNING, State.QUEUED, State.RUNNING],
    "finished": list(BulkAction.FINISHED),
}


def bulk_action_list(*, state_group: str = "", proposed_by=None) -> QuerySet[BulkAction]:
    """Newest first. Each action's counts come with the page that shows it (one query for the
    page's actions, see ``with_tallies``), never from counting items: the list costs the same
    whatever the actions planned."""
    actions = (
        BulkAction.objects.select_related("proposed_by", "approved_by")
        .prefetch_related("connections", "counts")
        .order_by("-created_at", "-id")
    )
    if state_group:
        actions = actions.filter(state__in=STATE_GROUPS[state_group])
    if proposed_by is not None:
        actions = actions.filter(proposed_by=proposed_by)
    return actions


def with_tallies(actions: Iterable[BulkAction]) -> list[BulkAction]:
    """The actions, each with ``tally``: its items' counts summed over its forums."""
    actions = list(actions)
    for action in actions:
        action.tally = tally(action.counts.all())  # type: ignore[attr-defined]  # for the list
    return actions


def bulk_waiting_for(user) -> int:
    """Bulk actions this person could approve now (never their own, nor those their account's
    history forbids: see accounts.independence)."""
    if not user.has_perm("forums.approve_bulkaction"):
        return 0
    waiting = BulkAction.objects.filter(state=State.PENDING_APPROVAL).exclude(proposed_by=user)
    per_proposer = waiting.values_list("proposed_by").annotate(n=Count("id"))
    if not per_proposer:
        return 0
    hands = Hands()  # both sides count: read the accounts' history once
    proposers = get_user_model().objects.in_bulk([pk for pk, _ in per_proposer])
    return sum(n for pk, n in per_proposer if not hands.refusal(user, proposers[pk]))


def stalled_actions(now=None) -> QuerySet[BulkAction]:
    """Actions that should be moving but nobody is working on (crashed or lost tasks)."""
    now = now or timezone.now()
    return BulkAction.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        Q(not_before__isnull=True) | Q(not_before__lte=now),
        state__in=[State.PLANNING, State.QUEUED, State.RUNNING],
        updated_at__lt=now - timedelta(seconds=5),
    )


@dataclass
class Progress:
    total: int
    done: int
    skipped: int  # skipped while planning or while running
    failed: int
    open: int
    percent: int
    eta_seconds: int | None
    skipped_while_planning: int = 0
    # A cancelled action: a call went out for these (or may have: "sending"); the rest of the
    # planned targets never left Forumdeck.
    sent: int = 0
    not_sent: int = 0

    @property
    def eta_words(self) -> str:
        """ "about 40 s", "about 12 min": whole units, as a person reads a wait."""
        if self.eta_seconds is None:
            return ""
        if self.eta_seconds < 90:
            return f"about {self.eta_seconds} s"
        return f"about {round(self.eta_seconds / 60)} min"


def count_rows(action: BulkAction) -> list:
    """The counts kept with the action (bulk.counts), one row a forum: read once for a page
    that shows them twice, so the bar and the plan table never come from two moments of a
    run (on PostgreSQL each query sees what was committed when it starts)."""
    return list(action.counts.all())


def progress(action: BulkAction, rows: list | None = None) -> Progress:
    """From the counts kept with the action (``count_rows``): one small read, however many
    items it has. The targets it accounts for are those the plan sends and those it skipped
    while planning (not found, no change needed, refused), so the counts add up."""
    rows = count_rows(action) if rows is None else rows
    t = tally(rows)
    eta = _eta_seconds(action, rows) if t.open else None
    sent = not_sent = 0
    if action.state == State.CANCELLED:
        sent, not_sent = t.sent, t.not_sent
    return Progress(
        t.total,
        t.done,
        t.skipped_all,
        t.failed,
        t.open,
        t.percent,
        eta,
        t.skipped_in_plan,
        sent,
        not_sent,
    )


def _eta_seconds(action: BulkAction, rows: list) -> int:
    """How long the calls still to make take at each forum's pace (forums run side by side).
    From what is left and the pace alone, not from the time spent so far: a wait never makes
    the estimate climb, and each finished item brings it down."""
    plan = {p["connection"]: p for p in action.plan.get("per_connection", [])}
    connections = {c.pk: c for c in action.connections.all()}
    longest = 0.0
    for row in rows:
        left = tally([row]).open
        connection = connections.get(row.connection_id)
        if not left or connection is None:
            continue
        planned = plan.get(row.connection_id, {})
        per_item = planned["calls"] / planned["planned"] if planned.get("planned") else 1.0
        ring, window = book_shape(connection)
        longest = max(longest, math.ceil(left * per_item) / ring * gap_after(window))
    return max(round(longest), 1)


def progress_by_connection(
    action: BulkAction, rows: list | None = None
) -> dict[int, dict[str, int]]:
    """connection id -> {state: count} over the counted items (planned, or skipped while
    planning): the per-forum result."""
    rows = count_rows(action) if rows is None else rows
    return {row.connection_id: tally([row]).per_state() for row in rows}


def waiting_until(action: BulkAction):
    """When an active action that is waiting for its forum (a Retry-After, or a forum that
    could not be reached) tries again; None when it is not waiting."""
    if (
        action.state in BulkAction.ACTIVE
        and action.not_before
        and action.not_before > timezone.now()
    ):
        return action.not_before
    return None


def bulk_action_title(action: BulkAction) -> str:
    """What the action does, worded now, in the viewer's time zone ("Suspend/ban until
    2031-01-15 00:00 CET: spam"). The description the plan stored was worded at proposal
    time, in the proposer's zone; it is only the fallback."""
    kind = KINDS.get(action.kind)
    if kind is not None:
        try:
            return kind.describe(action.params)
        except (KeyError, TypeError, ValueError):
            pass  # parameters from an older version: the stored words still say it
    return action.plan.get("description") or action.kind


def bulk_action_parameters(action: BulkAction) -> list[tuple[str, str]]:
    """Every parameter the run will use, as (label, value in words), for the approver: the
    message to the users, the end date, the block options, the group."""
    kind = KINDS.get(action.kind)
    if kind is None or kind.form_class is None:
        return []
    rows = []
    for name, field in kind.form_class().fields.items():
        label = str(field.label or name.replace("_", " ").capitalize())
        value = action.params.get(name)
        if isinstance(field, UntilField):
            try:
                shown = describe_until(until_of(action.params)).removeprefix("until ")
            except (TypeError, ValueError):
                shown = str(value)
        elif isinstance(field, forms.BooleanField):
            shown = "yes" if value else "no"
        elif value in (None, "", []):
            shown = "none"
        elif isinstance(value, list | tuple):
            shown = ", ".join(str(v) for v in value)  # tags, not a Python list
        else:
            shown = str(value)
        shown = kind.parameter_words(name, value, action.plan, shown)
        rows.append((label, shown))
    return rows
