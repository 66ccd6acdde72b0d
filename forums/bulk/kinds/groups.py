"""Add many accounts to a group, or remove them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import ClassVar

from django import forms

from forums.clients.records import Capability, ForumGroup

from .base import Kind, Target


class GroupParamsForm(forms.Form):
    group = forms.CharField(
        max_length=255, label="Group", help_text="The group's name (Discourse) or slug (NodeBB)."
    )


class GroupKind(Kind):
    # The plan reads the group's members to skip no-ops: a forum without a member list
    # (UserEcho) is not offered these kinds.
    capabilities = (Capability.GROUP_MEMBERS,)
    form_class = GroupParamsForm
    adding: ClassVar[bool]

    def prepare(self, client, params, frozen=None):
        # The run reuses the group the plan found (and the approver saw): no second look-up,
        # and a group renamed meanwhile is still the same group.
        if frozen and frozen.get("group"):
            group = ForumGroup(**frozen["group"])
        else:
            group = client.get_group(key=params["group"])
        # A group whose members no API token may change (NodeBB's administrators, Discourse's
        # automatic groups) is refused while planning: its members are not even read.
        refusal = client.membership_refusal(group=group)
        if refusal:
            return {"group": group, "members": set(), "refusal": refusal}
        return {"group": group, "members": client.group_member_ids(group=group)}

    def plan_refusal(self, client, ctx, params):
        return ctx.get("refusal", "")

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


class GroupAddKind(GroupKind):
    key = "group_add"
    label = "Add members to a group"
    done_label = "added to group"
    adding = True

    def describe(self, params):
        return f"Add to group {params['group']}"

    def apply(self, client, ctx, params, targets):
        change = client.add_members(group=ctx["group"], user_ids=[t.user_id for t in targets])
        ctx["members"].update(t.user_id for t in targets)
        reasons = skipped_by_forum(change, targets, "already a member")
        reasons.update(missing_on_forum(change, targets, client.name))
        # Discourse drops unknown users from a mixed batch silently: when its answer names
        # fewer users than were sent, the targets it does not name were not added.
        named = {str(n).lower() for n in change.added}
        sent = [t for t in targets if t.item_id not in reasons]
        if change.added and len(named) < len(sent):
            for target in sent:
                if target.username.lower() not in named and str(target.user_id) not in named:
                    reasons[target.item_id] = f"not found on {client.name}"
        return reasons


class GroupRemoveKind(GroupKind):
    key = "group_remove"
    label = "Remove members from a group"
    done_label = "removed from group"
    adding = False

    def describe(self, params):
        return f"Remove from group {params['group']}"

    def apply(self, client, ctx, params, targets):
        change = client.remove_members(group=ctx["group"], user_ids=[t.user_id for t in targets])
        ctx["members"].difference_update(t.user_id for t in targets)
        reasons = skipped_by_forum(change, targets, "not a member")
        reasons.update(missing_on_forum(change, targets, client.name))
        return reasons


def _named(values, targets: Sequence[Target], reason: str) -> dict[int, str]:
    names = {str(v).lower() for v in values}
    if not names:
        return {}
    return {
        t.item_id: reason for t in targets if t.username.lower() in names or str(t.user_id) in names
    }


def skipped_by_forum(change, targets: Sequence[Target], reason: str) -> dict[int, str]:
    return _named(getattr(change, "skipped", ()), targets, reason)


def missing_on_forum(change, targets: Sequence[Target], forum: str) -> dict[int, str]:
    """Targets the forum answered it does not know (gone since the plan)."""
    return _named(getattr(change, "missing", ()), targets, f"not found on {forum}")
