"""What a kind of bulk action is: a small class with its parameters, how to tell that a target
needs no change, and how to apply a batch. The engine does the rest (planning, approval,
pacing, retries, resuming), so a new kind never touches it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django import forms

from forums.clients import ForumClient
from forums.clients.records import Capability, ForumUser


@dataclass
class Applied:
    """What the forum did with one batch, beyond "done": item id -> reason for the targets it
    skipped (nothing to change, or gone), and for those it refused (they end failed, and the
    audit log records each refusal with the forum's reason)."""

    skipped: dict[int, str] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)


@dataclass
class Target:
    """What a kind sees of an item: the resolved user and the item's row id."""

    item_id: int
    user_id: int
    username: str


class Kind:
    key: ClassVar[str]
    label: ClassVar[str]
    done_label: ClassVar[str]  # for the audit log: "suspended", "added to group"
    # The client must offer one of these (e.g. suspend on Discourse, ban on NodeBB).
    capabilities: ClassVar[tuple[Capability, ...]]
    destructive: ClassVar[bool] = False
    form_class: ClassVar[type[forms.Form] | None] = None

    # --- parameters ------------------------------------------------------------------------
    def clean_params(self, data: dict[str, Any]) -> dict[str, Any]:
        """Validate a plain dict of the kind's parameters (as ``params_from`` made it, or as a
        caller gives it); raise forms.ValidationError with a clear message."""
        if self.form_class is None:
            return {}
        form = self.form_class(data)
        if not form.is_valid():
            raise forms.ValidationError(
                [
                    f"{form.fields[f].label or f}: {' '.join(e)}"
                    if f in form.fields
                    else " ".join(e)
                    for f, e in form.errors.items()
                ]
            )
        return self.params_from(form.cleaned_data)

    def params_from(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        """A bound form's cleaned data as JSON the plan keeps (and the approval hashes)."""
        return {k: jsonable(v) for k, v in cleaned.items()}

    def check_forums(self, client_classes: Sequence[type[ForumClient]], params: dict) -> None:
        """Refuse (forms.ValidationError) parameters one of the chosen forums cannot take."""

    def describe(self, params: dict[str, Any]) -> str:
        return self.label

    def offered_by(self, client: ForumClient | type[ForumClient]) -> bool:
        return any(client.supports(c) for c in self.capabilities)

    # --- planning and re-checking ----------------------------------------------------------
    def prepare(
        self, client: ForumClient, params: dict[str, Any], frozen: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Fetch what the checks need once per plan or run (e.g. a group's members).
        ``frozen`` is what ``freeze`` kept from the plan: a run acts on exactly that."""
        return {}

    def plan_refusal(self, client: ForumClient, ctx: dict[str, Any], params: dict[str, Any]) -> str:
        """Why this forum cannot take this action at all, decided while planning (before anyone
        approves it), in plain words; "" when it can. Every target on that forum is then
        skipped with this reason, and a plan where no forum can is refused."""
        return ""

    def freeze(self, ctx: dict[str, Any]) -> dict[str, Any]:
        """What the plan keeps for the run (JSON, covered by the approval's hash)."""
        return {}

    def reason_not_needed(
        self, user: ForumUser, ctx: dict[str, Any], params: dict[str, Any]
    ) -> str:
        """Why this user needs no change ("already suspended"), or "" if it is needed."""
        return ""

    def recheck(
        self,
        client: ForumClient,
        ctx: dict[str, Any],
        params: dict[str, Any],
        targets: Sequence[Target],
    ) -> dict[int, str]:
        """Just before sending: item id -> reason for targets that no longer need the change
        (or that are gone). Default: look the users up again, 100 per call where possible."""
        fresh = client.resolve_users(targets=[t.username for t in targets])
        reasons: dict[int, str] = {}
        for target in targets:
            user = fresh.get(target.username.lower())
            if user is None:
                reasons[target.item_id] = f"no longer exists on {client.name}"
            else:
                reason = self.reason_not_needed(user, ctx, params)
                if reason:
                    reasons[target.item_id] = reason
        return reasons

    def shows_applied(self, reason: str) -> bool:
        """Does this recheck reason show that a change sent earlier is in place? (A call whose
        answer was lost is checked before it is sent again.)"""
        return reason.startswith("already")

    def recheck_calls(self, client: ForumClient, count: int) -> int:
        return math.ceil(count / max(client.resolve_batch_size, 1))

    def run_overhead_calls(self, client: ForumClient) -> int:
        """Calls a run makes once per forum before its first batch (see prepare)."""
        return 0

    # --- applying --------------------------------------------------------------------------
    def batch_size(self, client: ForumClient) -> int:
        return 1

    def apply(
        self,
        client: ForumClient,
        ctx: dict[str, Any],
        params: dict[str, Any],
        targets: Sequence[Target],
    ) -> dict[int, str] | Applied:
        """Send one batch. Return item id -> reason for targets the forum skipped, or an
        ``Applied`` that also names the targets the forum refused; raise a ForumError if the
        whole batch failed."""
        raise NotImplementedError

    def apply_calls(self, client: ForumClient, count: int) -> int:
        return math.ceil(count / self.batch_size(client))


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value
