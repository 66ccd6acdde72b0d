"""Groups in bulk: add many accounts to a group or remove them, create a group on several
forums, delete a group that has members, and bring a group in step with another forum's."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, ClassVar

from django import forms

from forums.clients import ForumClient, client_class, supported_platforms
from forums.clients.errors import ForumNotFound
from forums.clients.records import Capability, ForumGroup
from forums.core.targets import ParsedTargets, Rejected, TargetLine

from .base import ItemToSend, Kind, Resolved, check_each


class GroupParamsForm(forms.Form):
    group = forms.CharField(max_length=255, label="Group")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].help_text = (
            f"The group's {_group_key_words()}. Starting from the group's page under Groups "
            "chooses it for you."
        )


def _group_key_words() -> str:
    """ "name (Discourse) or slug (NodeBB)": what each platform offering these kinds names a
    group by, in its client's words."""
    by_word: dict[str, list[str]] = {}
    for platform in supported_platforms():
        cls = client_class(platform)
        if all(c in cls.capabilities for c in GroupKind.capabilities):
            by_word.setdefault(cls.words.group_key, []).append(cls.software)
    return " or ".join(f"{word} ({', '.join(names)})" for word, names in by_word.items()) or "name"


class GroupKind(Kind):
    area = "groups"
    # The plan reads the group's members to skip no-ops: a forum without a member list
    # (UserEcho) is not offered these kinds.
    capabilities = (Capability.GROUP_MEMBERS,)
    form_class = GroupParamsForm
    adding: ClassVar[bool]
    lookup_details = False  # members are compared by id

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
        if not frozen and group.user_count == 0:
            # The group just read says it has no members: no member list to read. (A run
            # starts from the frozen group, whose count is old: it always reads the list.)
            return {"group": group, "members": set()}
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
            is_member = target.forum_id in ctx["members"]
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
        change = client.add_members(group=ctx["group"], user_ids=[t.forum_id for t in targets])
        ctx["members"].update(t.forum_id for t in targets)
        reasons = skipped_by_forum(change, targets, "already a member")
        reasons.update(missing_on_forum(change, targets, client.name))
        # Discourse drops unknown users from a mixed batch silently: when its answer names
        # fewer users than were sent, the targets it does not name were not added.
        named = {str(n).lower() for n in change.added}
        sent = [t for t in targets if t.item_id not in reasons]
        if change.added and len(named) < len(sent):
            for target in sent:
                if target.forum_name.lower() not in named and str(target.forum_id) not in named:
                    reasons[target.item_id] = f"not found on {client.name}"
        return reasons


class GroupRemoveKind(GroupKind):
    key = "group_remove"
    label = "Remove members from a group"
    done_label = "removed from group"
    adding = False

    def describe(self, params):
        return f"Remove from group {params['group']}"

    def shows_applied(self, reason):
        # A removal sent before whose answer was lost: no longer a member is the change.
        return reason == "not a member"

    def apply(self, client, ctx, params, targets):
        change = client.remove_members(group=ctx["group"], user_ids=[t.forum_id for t in targets])
        ctx["members"].difference_update(t.forum_id for t in targets)
        reasons = skipped_by_forum(change, targets, "not a member")
        reasons.update(missing_on_forum(change, targets, client.name))
        return reasons


def _named(values, targets: Sequence[ItemToSend], reason: str) -> dict[int, str]:
    names = {str(v).lower() for v in values}
    if not names:
        return {}
    return {
        t.item_id: reason
        for t in targets
        if t.forum_name.lower() in names or str(t.forum_id) in names
    }


def skipped_by_forum(change, targets: Sequence[ItemToSend], reason: str) -> dict[int, str]:
    return _named(getattr(change, "skipped", ()), targets, reason)


def missing_on_forum(change, targets: Sequence[ItemToSend], forum: str) -> dict[int, str]:
    """Targets the forum answered it does not know (gone since the plan)."""
    return _named(getattr(change, "missing", ()), targets, f"not found on {forum}")


# --- create a group on several forums -------------------------------------------------------
class GroupCreateForm(forms.Form):
    name = forms.CharField(max_length=255, label="Name")
    full_name = forms.CharField(max_length=100, required=False, label="Full name")
    description = forms.CharField(
        max_length=3000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    visible = forms.BooleanField(
        required=False, initial=True, label="Visible to everyone (otherwise members and staff)"
    )
    private = forms.BooleanField(
        required=False, label="Private: joining needs approval (where the forum has it)"
    )


class GroupCreateKind(Kind):
    """One item per forum: the group to create there."""

    key = "group_create"
    area = "groups"
    label = "Create a group"
    done_label = "group created"
    capabilities = (Capability.GROUPS,)
    form_class = GroupCreateForm
    discovers_targets = True
    from_bulk_form = False

    def check_forums(self, client_classes, params):
        check_each(client_classes, lambda cls: cls.check_group_name(params["name"]))

    def describe(self, params):
        return f"Create group {params['name']}"

    def discover_targets(self, client, ctx, params):
        return [params["name"]]

    def resolve_batch_size(self, client):
        return 1

    def _exists(self, client: ForumClient, name: str) -> bool:
        try:
            client.get_group(key=name)
        except ForumNotFound:
            return False
        return True

    def resolve(self, client, ctx, params, targets):
        return {
            t.lower(): Resolved(
                0, t, "already exists on this forum" if self._exists(client, t) else ""
            )
            for t in targets
        }

    def recheck(self, client, ctx, params, targets):
        return {
            t.item_id: "already exists on this forum"
            for t in targets
            if self._exists(client, t.target)
        }

    def recheck_calls(self, client, count):
        return count

    def apply(self, client, ctx, params, targets):
        # `private` only where the forum has private groups (the client class says so).
        extra = {"private": bool(params.get("private"))} if client.group_private_help else {}
        for _ in targets:
            client.create_group(
                name=params["name"],
                full_name=params.get("full_name") or "",
                description=params.get("description") or "",
                visible=bool(params.get("visible")),
                **extra,
            )
        return {}


# --- delete a group (with its members) ------------------------------------------------------
class GroupDeleteForm(forms.Form):
    group = forms.CharField(max_length=255, label="Group")


class GroupDeleteKind(Kind):
    """One item per forum: the group to delete there. A group with members goes through an
    approval, so a second person sees who loses it."""

    key = "group_delete"
    area = "groups"
    label = "Delete a group"
    done_label = "group deleted"
    capabilities = (Capability.GROUPS,)
    form_class = GroupDeleteForm
    destructive = True
    destructive_note = "deleting the group on {n} forum(s), with every membership in it"
    discovers_targets = True
    from_bulk_form = False

    def describe(self, params):
        return f"Delete group {params['group']}"

    def discover_targets(self, client, ctx, params):
        return [params["group"]]

    def resolve_batch_size(self, client):
        return 1

    def resolve(self, client, ctx, params, targets):
        found = {}
        for target in targets:
            try:
                group = client.get_group(key=target)
            except ForumNotFound:
                continue
            reason = client.automatic_group_reason if group.automatic else ""
            count = f"{group.user_count} members" if group.user_count is not None else "members"
            found[target.lower()] = Resolved(0, f"{group.name} ({count})", reason)
        return found

    def recheck(self, client, ctx, params, targets):
        reasons = {}
        for target in targets:
            try:
                client.get_group(key=target.target)
            except ForumNotFound:
                reasons[target.item_id] = "already deleted"
        return reasons

    def recheck_calls(self, client, count):
        return count

    def apply(self, client, ctx, params, targets):
        for target in targets:
            client.delete_group(key=target.target)
        return {}


# --- sync a group from one forum to others ---------------------------------------------------
ADD, REMOVE = "add:", "remove:"
_SYNC_LINE = re.compile(r"^(add|remove):(\S{1,200})$", re.IGNORECASE)


class GroupSyncForm(forms.Form):
    source = forms.CharField(max_length=400, label="Source")
    # Connection name -> the group's key there (JSON); set by the sync page, never typed.
    groups = forms.JSONField(label="Target groups")
    remove = forms.BooleanField(required=False, label="Also remove people not in the source")

    def clean_groups(self) -> dict[str, str]:
        groups = self.cleaned_data["groups"]
        if (
            not isinstance(groups, dict)
            or not groups
            or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in groups.items())
        ):
            raise forms.ValidationError("Choose a target group on each target forum.")
        return groups


class GroupSyncKind(Kind):
    """Targets are ``add:<username>`` / ``remove:<username>`` on each target forum, as the sync
    page worked them out (people matched by e-mail, then username); the plan checks each
    against the forum again, and the run adds and removes in the forum's batches."""

    key = "group_sync"
    area = "groups"
    label = "Sync a group across forums"
    done_label = "synced into group"
    capabilities = (Capability.GROUP_MEMBERS,)  # the run reads the group's members
    form_class = GroupSyncForm
    from_bulk_form = False
    # Members are compared by id: the plan needs only who each name is, so it resolves through
    # the forum's cheapest read (Discourse: trust_level_0, 1,000 a page, not the admin list).
    lookup_details = False

    def describe(self, params):
        # The target groups by name are in the parameters (parameter_words): the plan knows
        # them; here only each forum's key would be at hand.
        targets = ", ".join(sorted(params["groups"]))
        removing = ", removing people not in it" if params.get("remove") else ""
        return f"Sync group {params['source']} to {targets}{removing}"

    def parameter_words(self, name, value, plan, shown):
        if name != "groups" or not isinstance(value, dict):
            return shown
        # The plan read each target group (frozen per forum): its name, not its key.
        frozen = plan.get("frozen") or {}
        names = {}
        for row in plan.get("per_connection") or []:
            group = (frozen.get(str(row.get("connection"))) or {}).get("group") or {}
            if group.get("name"):
                names[row.get("name")] = group["name"]
        return "\n".join(
            f"{forum}: {names.get(forum, key)}" for forum, key in sorted(value.items())
        )

    def parse_targets(self, text="", *, csv_data=None):
        result = ParsedTargets()
        seen: dict[str, int] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            match = _SYNC_LINE.match(line)
            if not match:
                result.junk.append(Rejected(number, line[:200], "not add:<name> or remove:<name>"))
                continue
            value = f"{match.group(1).lower()}:{match.group(2)}"
            name = match.group(2).lower()
            if name in seen:
                result.duplicates.append(
                    Rejected(number, line[:200], f"already given on line {seen[name]}")
                )
                continue
            seen[name] = number
            result.targets.append(TargetLine(number, value, match.group(1).lower()))
        return result

    def prepare(self, client, params, frozen=None):
        if frozen and frozen.get("group"):
            group = ForumGroup(**frozen["group"])
        else:
            key = params["groups"].get(client.name)
            if not key:
                raise ForumNotFound(
                    f"The sync names no group on {client.name} (was the forum renamed since it "
                    "was proposed? Propose the sync again)."
                )
            group = client.get_group(key=key)
        refusal = client.membership_refusal(group=group)  # e.g. NodeBB's administrators
        if refusal:
            return {"group": group, "members": set(), "refusal": refusal}
        return {"group": group, "members": client.group_member_ids(group=group)}

    def plan_refusal(self, client, ctx, params):
        return ctx.get("refusal", "")

    def freeze(self, ctx):
        return {"group": asdict(ctx["group"])}

    def run_overhead_calls(self, client) -> int:
        return 1

    def lookup_names(self, targets):
        return (self._split(t)[1] for t in targets)

    @staticmethod
    def _split(target: str) -> tuple[bool, str]:
        op, _, name = target.partition(":")
        return op.lower() == "add", name

    def _reason(self, adding: bool, is_member: bool) -> str:
        if adding and is_member:
            return "already a member"
        if not adding and not is_member:
            return "already not a member"
        return ""

    def resolve(self, client, ctx, params, targets):
        names = {t: self._split(t) for t in targets}
        found = client.resolve_users(targets=[name for _, name in names.values()])
        resolved = {}
        for target, (adding, name) in names.items():
            user = found.get(name.lower())
            if user is not None:
                reason = self._reason(adding, user.id in ctx["members"])
                resolved[target.lower()] = Resolved(user.id, user.username, reason)
        return resolved

    def recheck(self, client, ctx, params, targets):
        reasons = {}
        for target in targets:
            adding, _ = self._split(target.target)
            reason = self._reason(adding, target.forum_id in ctx["members"])
            if reason:
                reasons[target.item_id] = reason
        return reasons

    def recheck_calls(self, client, count):
        return 0  # the members read once per run (run_overhead_calls)

    def batch_size(self, client):
        return client.member_batch_size

    def apply(self, client, ctx, params, targets):
        adds = [t for t in targets if self._split(t.target)[0]]
        removes = [t for t in targets if not self._split(t.target)[0]]
        skipped: dict[int, str] = {}
        if adds:
            change = client.add_members(group=ctx["group"], user_ids=[t.forum_id for t in adds])
            ctx["members"].update(t.forum_id for t in adds)
            skipped |= skipped_by_forum(change, adds, "already a member")
            skipped |= missing_on_forum(change, adds, client.name)
        if removes:
            change = client.remove_members(
                group=ctx["group"], user_ids=[t.forum_id for t in removes]
            )
            ctx["members"].difference_update(t.forum_id for t in removes)
            skipped |= skipped_by_forum(change, removes, "already not a member")
            skipped |= missing_on_forum(change, removes, client.name)
        return skipped

    def apply_calls(self, client, count):
        # Adds and removes go in separate calls: at most one more than the batches.
        return super().apply_calls(client, count) + (1 if client.member_batch_size > 1 else 0)


def sync_params(*, source: str, groups: dict[str, str], remove: bool) -> dict[str, Any]:
    """The parameters of a group sync, as the sync page builds them."""
    return {"source": source, "groups": groups, "remove": remove}
