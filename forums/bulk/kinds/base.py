"""The kinds of bulk action. A kind is a small class: its parameters, how to tell that a target
needs no change, and how to apply a batch. The engine does the rest (planning, approval,
pacing, retries, resuming), so a new kind never touches it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django import forms
from django.utils import timezone

from forums.clients.base import BaseClient
from forums.clients.records import Capability, ForumGroup, ForumUser

REASON_MAX = 300  # Discourse's suspend/silence reason column; NodeBB accepts more


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
        """Validate the kind's parameters; raise forms.ValidationError with a clear message."""
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
        return {k: _jsonable(v) for k, v in form.cleaned_data.items()}

    def describe(self, params: dict[str, Any]) -> str:
        return self.label

    def offered_by(self, client: BaseClient) -> bool:
        return any(client.supports(c) for c in self.capabilities)

    # --- planning and re-checking ----------------------------------------------------------
    def prepare(
        self, client: BaseClient, params: dict[str, Any], frozen: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Fetch what the checks need once per plan or run (e.g. a group's members).
        ``frozen`` is what ``freeze`` kept from the plan: a run acts on exactly that."""
        return {}

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
        client: BaseClient,
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

    def recheck_calls(self, client: BaseClient, count: int) -> int:
        return math.ceil(count / max(client.resolve_batch_size, 1))

    def run_overhead_calls(self, client: BaseClient) -> int:
        """Calls a run makes once per forum before its first batch (see prepare)."""
        return 0

    # --- applying --------------------------------------------------------------------------
    def batch_size(self, client: BaseClient) -> int:
        return 1

    def apply(
        self,
        client: BaseClient,
        ctx: dict[str, Any],
        params: dict[str, Any],
        targets: Sequence[Target],
    ) -> dict[int, str]:
        """Send one batch. Return item id -> reason for targets the forum skipped; raise a
        ForumError if the whole batch failed."""
        raise NotImplementedError

    def apply_calls(self, client: BaseClient, count: int) -> int:
        return math.ceil(count / self.batch_size(client))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def parse_until(value: str) -> datetime:
    return datetime.fromisoformat(value)


class _PenaltyForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX,
        strip=True,
        help_text="Shown to the user and in the forum's staff log.",
    )
    until = forms.DateTimeField(
        required=False,
        label="Until",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="An end date (in your time zone), or leave empty and give a duration.",
    )
    duration_days = forms.IntegerField(
        required=False, min_value=1, max_value=36500, label="Duration (days)"
    )
    message = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional e-mail to the user (Discourse).",
    )

    def clean(self):
        data = super().clean()
        until, days = data.get("until"), data.get("duration_days")
        if until and days:
            raise forms.ValidationError("Give an end date or a duration, not both.")
        if not until and not days:
            raise forms.ValidationError("Give an end date or a duration in days.")
        if days:
            until = timezone.now() + timedelta(days=days)
        if until <= timezone.now():
            raise forms.ValidationError("The end date is in the past.")
        data["until"] = until
        data.pop("duration_days", None)
        return data


class _PenaltyKind(Kind):
    """Put a penalty on (or lift it): suspend/ban, or silence/mute. The two differ only in
    names: the client verb, the state a user is in, and the words."""

    verb: ClassVar[str]  # the client's neutral verb: suspend, unsuspend, silence, unsilence
    state: ClassVar[str]  # the ForumUser property: is_suspended or is_silenced
    words: ClassVar[str]  # "suspended or banned", "silenced or muted"
    short: ClassVar[str] = ""  # "Suspend/ban": how a description names it
    lifting: ClassVar[bool] = False

    def describe(self, params):
        if self.lifting:
            return self.label
        until = params["until"][:16].replace("T", " ")
        return f"{self.short} until {until}: {params['reason']}"

    def reason_not_needed(self, user, ctx, params):
        penalised = getattr(user, self.state)
        if self.lifting:
            return "" if penalised else f"not {self.words}"
        if penalised:
            return f"already {self.words}"
        if user.admin:
            return "is an administrator (forums refuse to penalise admins)"
        return ""

    def apply(self, client, ctx, params, targets):
        send = getattr(client, self.verb)
        for target in targets:
            if self.lifting:
                send(user_id=target.user_id)
            else:
                send(
                    user_id=target.user_id,
                    until=parse_until(params["until"]),
                    reason=params["reason"],
                    message=params.get("message") or "",
                )
        return {}


class SuspendKind(_PenaltyKind):
    key = verb = "suspend"
    label = "Suspend (Discourse) / ban (NodeBB)"
    done_label = "suspended"
    capabilities = (Capability.USER_SUSPEND, Capability.USER_BAN)
    form_class = _PenaltyForm
    state, words, short = "is_suspended", "suspended or banned", "Suspend/ban"


class UnsuspendKind(_PenaltyKind):
    key = verb = "unsuspend"
    label = "Unsuspend (Discourse) / unban (NodeBB)"
    done_label = "unsuspended"
    capabilities = SuspendKind.capabilities
    state, words, lifting = "is_suspended", "suspended or banned", True


class SilenceKind(_PenaltyKind):
    key = verb = "silence"
    label = "Silence (Discourse) / mute (NodeBB)"
    done_label = "silenced"
    capabilities = (Capability.USER_SILENCE, Capability.USER_MUTE)
    form_class = _PenaltyForm
    state, words, short = "is_silenced", "silenced or muted", "Silence/mute"


class UnsilenceKind(_PenaltyKind):
    key = verb = "unsilence"
    label = "Unsilence (Discourse) / unmute (NodeBB)"
    done_label = "unsilenced"
    capabilities = SilenceKind.capabilities
    state, words, lifting = "is_silenced", "silenced or muted", True


class _DeleteForm(forms.Form):
    block_ip_and_email = forms.BooleanField(
        required=False,
        label="Block their IP and e-mail (Discourse)",
        help_text="Discourse's bulk delete always deletes the users' posts too.",
    )


class DeleteUsersKind(Kind):
    key = "delete_users"
    label = "Delete users and their posts"
    done_label = "deleted"
    capabilities = (Capability.USER_BULK_DELETE,)
    destructive = True
    form_class = _DeleteForm

    def describe(self, params):
        extra = ", blocking IP and e-mail" if params.get("block_ip_and_email") else ""
        return f"Delete users and their posts{extra}"

    def reason_not_needed(self, user, ctx, params):
        if user.admin:
            return "is an administrator (forums refuse to delete admins)"
        return ""

    def batch_size(self, client):
        return client.delete_batch_size

    def apply(self, client, ctx, params, targets):
        client.delete_users(
            user_ids=[t.user_id for t in targets],
            block_ip_and_email=bool(params.get("block_ip_and_email")),
        )
        return {}


class _GroupForm(forms.Form):
    group = forms.CharField(
        max_length=255, label="Group", help_text="The group's name (Discourse) or slug (NodeBB)."
    )


class _GroupKind(Kind):
    capabilities = (Capability.GROUPS,)
    form_class = _GroupForm
    adding: ClassVar[bool]

    def prepare(self, client, params, frozen=None):
        # The run reuses the group the plan found (and the approver saw): no second look-up,
        # and a group renamed meanwhile is still the same group.
        if frozen and frozen.get("group"):
            group = ForumGroup(**frozen["group"])
        else:
            group = client.find_group(name=params["group"])
        return {"group": group, "members": client.group_member_ids(group=group)}

    def freeze(self, ctx):
        return {"group": asdict(ctx["group"])}

    def recheck(self, client, ctx, params, targets):
        # The member list fetched when this run started answers for every target at once; a
        # crashed run starts a new one, so its "sending" items are checked against fresh data.
        reasons = {}
        for target in targets:
            is_member = target.user_id in ctx["members"]
            if is_member and self.adding:
                reasons[target.item_id] = "already a member"
            elif not is_member and not self.adding:
                reasons[target.item_id] = "not a member"
        return reasons

    def recheck_calls(self, client, count):
        return 0  # counted once per run in run_overhead_calls

    def run_overhead_calls(self, client) -> int:
        return 1  # the group's members (one call per 1,000 on Discourse)

    def reason_not_needed(self, user, ctx, params):
        is_member = user.id in ctx["members"]
        if self.adding and is_member:
            return "already a member"
        if not self.adding and not is_member:
            return "not a member"
        return ""

    def batch_size(self, client):
        return client.member_batch_size


class GroupAddKind(_GroupKind):
    key = "group_add"
    label = "Add members to a group"
    done_label = "added to group"
    adding = True

    def describe(self, params):
        return f"Add to group {params['group']}"

    def apply(self, client, ctx, params, targets):
        change = client.add_members(group=ctx["group"], user_ids=[t.user_id for t in targets])
        ctx["members"].update(t.user_id for t in targets)
        return _skipped(change, targets, "the forum skipped it")


class GroupRemoveKind(_GroupKind):
    key = "group_remove"
    label = "Remove members from a group"
    done_label = "removed from group"
    adding = False

    def describe(self, params):
        return f"Remove from group {params['group']}"

    def apply(self, client, ctx, params, targets):
        change = client.remove_members(group=ctx["group"], user_ids=[t.user_id for t in targets])
        ctx["members"].difference_update(t.user_id for t in targets)
        return _skipped(change, targets, "the forum skipped it")


def _skipped(change, targets: Sequence[Target], reason: str) -> dict[int, str]:
    skipped = {str(s).lower() for s in getattr(change, "skipped", ())}
    if not skipped:
        return {}
    return {
        t.item_id: reason
        for t in targets
        if t.username.lower() in skipped or str(t.user_id) in skipped
    }


KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        GroupAddKind(),
        GroupRemoveKind(),
        SuspendKind(),
        UnsuspendKind(),
        SilenceKind(),
        UnsilenceKind(),
        DeleteUsersKind(),
    )
}


def get_kind(key: str) -> Kind:
    try:
        return KINDS[key]
    except KeyError:
        raise forms.ValidationError(f"Unknown kind of bulk action: {key}") from None
