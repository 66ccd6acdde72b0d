"""What a kind of bulk action is: a small class with its parameters, how to tell that a target
needs no change, and how to apply a batch. The engine does the rest (planning, approval,
pacing, retries, resuming), so a new kind never touches it."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django import forms

from forums.clients import ForumClient
from forums.clients.records import Capability, ForumUser
from forums.core.fleet_index.rows import note_seen
from forums.core.targets import ParsedTargets, parse_targets


@dataclass
class Applied:
    """What the forum did with one batch, beyond "done": item id -> reason for the targets it
    skipped (nothing to change, or gone), for those it refused (they end failed, and the
    audit log records each refusal with the forum's reason), and its answer for those done."""

    skipped: dict[int, str] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)
    # What the forum said it did with a target it took (e.g. "Delete post: Discourse approved
    # it."): the item's note and its audit entry say it.
    answers: dict[int, str] = field(default_factory=dict)


@dataclass
class ItemToSend:
    """An item of a run, as a kind sends it: the item's row id and what its target resolved to
    on the forum: the forum's id and name for it (``forum_id``, ``forum_name``), an account
    for most kinds, a topic, a tag or a group for the others; and ``target``, the item's
    target as planned."""

    item_id: int
    forum_id: int
    forum_name: str
    target: str = ""


@dataclass(frozen=True)
class Resolved:
    """What planning found for one target on one forum: its id and name there, and why it
    needs no change ("" if it does)."""

    id: int
    name: str
    reason: str = ""


class Kind:
    key: ClassVar[str]
    label: ClassVar[str]
    done_label: ClassVar[str]  # for the audit log: "suspended", "added to group"
    # The client must offer one of these (e.g. suspend on Discourse, ban on NodeBB).
    capabilities: ClassVar[tuple[Capability, ...]]
    destructive: ClassVar[bool] = False
    # What the approver types DELETE to confirm, for a destructive kind ({n}: planned items).
    destructive_note: ClassVar[str] = "deleting {n} account(s) and their posts"
    form_class: ClassVar[type[forms.Form] | None] = None
    # The plan finds the targets on each forum (a tag's topics, the group to create) instead
    # of being given them.
    discovers_targets: ClassVar[bool] = False
    # Offered on the generic "Propose a bulk action" form; kinds whose parameters a page of
    # their own chooses (a group picked from a list, a tag's topics) are proposed from there.
    from_bulk_form: ClassVar[bool] = True
    # The plan reads flags and e-mails of the accounts it resolves (staff, already suspended);
    # a kind that needs only who each name is (an id) lets the client use a cheaper listing.
    lookup_details: ClassVar[bool] = True
    # The area whose fleet lists a run of this kind makes stale ("groups", "tags"): its
    # cached lists ask the forums again once such a run has sent anything.
    area: ClassVar[str] = ""

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
                    f"{form.fields[f].label or f}: {' '.join(str(m) for m in e)}"
                    if f in form.fields
                    else " ".join(str(m) for m in e)
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

    def parameter_words(self, name: str, value: Any, plan: dict[str, Any], shown: str) -> str:
        """One parameter as the action's page shows it (``shown``: the plain rendering); a kind
        whose parameter is a forum's key for something says its name instead."""
        return shown

    def label_on(self, platform: str = "") -> str:
        """What the kind does, in the words of one forum software (a registry key; "" for
        the fleet's words): the audit log's label for an entry on that forum."""
        return getattr(self, "short", "") or self.label

    def done_on(self, platform: str = "") -> str:
        """ "suspended", "unbanned": what an audit entry on that forum says was done."""
        return self.done_label

    def parse_targets(self, text: str = "", *, csv_data: str | None = None) -> ParsedTargets:
        """The targets a person gave: usernames, e-mail addresses or ids (see targets.py)."""
        return parse_targets(text, csv_data=csv_data)

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

    def discover_targets(
        self, client: ForumClient, ctx: dict[str, Any], params: dict[str, Any]
    ) -> list[str]:
        """The targets on this forum, for a kind that ``discovers_targets``."""
        return []

    def resolve_batch_size(self, client: ForumClient) -> int:
        return client.resolve_batch_size

    def lookup_names(self, targets: Iterable[str]) -> Iterable[str]:
        """The user names ``resolve`` will look up for these targets (the plan tells the client
        beforehand, see ``expect_lookups``); a kind whose targets are not users returns ()."""
        return targets

    def resolve(
        self,
        client: ForumClient,
        ctx: dict[str, Any],
        params: dict[str, Any],
        targets: Sequence[str],
    ) -> dict[str, Resolved]:
        """Planning: target (lower-cased) -> what it is on this forum; unknown targets are
        left out. Default: forum accounts, looked up as ``resolve_users`` does."""
        found = client.resolve_users(targets=list(targets))
        note_seen(found.values())  # a live read: the index takes what it saw
        return {
            key: Resolved(user.id, user.username, self.reason_not_needed(user, ctx, params))
            for key, user in found.items()
        }

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
        targets: Sequence[ItemToSend],
    ) -> dict[int, str]:
        """Just before sending: item id -> reason for targets that no longer need the change
        (or that are gone). Default: look the users up again, 100 per call where possible."""
        fresh = client.resolve_users(targets=[t.forum_name for t in targets])
        note_seen(fresh.values())
        reasons: dict[int, str] = {}
        for target in targets:
            user = fresh.get(target.forum_name.lower())
            if user is None:
                reasons[target.item_id] = f"no longer exists on {client.name}"
            else:
                reason = self.reason_not_needed(user, ctx, params)
                if reason:
                    reasons[target.item_id] = reason
        return reasons

    def index_fields(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """What an account's index row says once this change is done to it (the run writes it
        for each done item, without reading the account again): ``{}`` nothing it knows of,
        None the account is gone."""
        return {}

    def shows_applied(self, reason: str) -> bool:
        """Does this recheck reason show that a change sent earlier is in place? (A call whose
        answer was lost is checked before it is sent again.)"""
        return reason.startswith("already")

    def recheck_calls(self, client: ForumClient | type[ForumClient], count: int) -> int:
        return math.ceil(count / max(client.resolve_batch_size, 1))

    def run_overhead_calls(self, client: ForumClient | type[ForumClient]) -> int:
        """Calls a run makes once per forum before its first batch (see prepare)."""
        return 0

    # --- applying --------------------------------------------------------------------------
    def batch_size(self, client: ForumClient | type[ForumClient]) -> int:
        return 1

    def apply(
        self,
        client: ForumClient,
        ctx: dict[str, Any],
        params: dict[str, Any],
        targets: Sequence[ItemToSend],
    ) -> dict[int, str] | Applied:
        """Send one batch. Return item id -> reason for targets the forum skipped, or an
        ``Applied`` that also names the targets the forum refused; raise a ForumError if the
        whole batch failed."""
        raise NotImplementedError

    def apply_calls(self, client: ForumClient | type[ForumClient], count: int) -> int:
        return math.ceil(count / self.batch_size(client))


def check_each(client_classes: Sequence[type[ForumClient]], check) -> None:
    """Run ``check(cls)`` (a client class's name rule) for each platform chosen; every
    ``ValueError`` becomes one line of a ValidationError, before anything is created."""
    problems: list[str] = []
    for cls in dict.fromkeys(client_classes):
        try:
            check(cls)
        except ValueError as exc:
            if str(exc) not in problems:
                problems.append(str(exc))
    if problems:
        raise forms.ValidationError(problems)


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value
