"""Changing groups. One forum's group is changed directly (audited with the forum's answer);
a change that reaches several forums, or removes a group with members, or touches many
people, becomes a bulk action another person approves.

Bad input (a name the forum would refuse, a name already taken, a group that vanished since
the page loaded, an automatic group) raises ``ValidationError`` with a plain message before
anything is sent. A forum that refuses comes back as ``GroupOutcome(ok=False)`` in its words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from forums.bulk.kinds.groups import sync_params
from forums.bulk.services import bulk_action_propose
from forums.clients import ForumClient, client_class
from forums.clients.errors import ForumError, ForumNotFound, ForumRateLimited
from forums.clients.records import ForumGroup
from forums.core.audit import audit_change
from forums.core.connections import client_or_invalid
from forums.core.fleet_index.reads import indexed_group
from forums.core.outcomes import ChangeOutcome
from forums.models import BulkAction, ForumConnection

from .selectors import forget_groups, group_sync_preview, recalled_sync_preview


@dataclass(frozen=True)
class GroupOutcome(ChangeOutcome):
    group: ForumGroup | None = None


def _name(connection: ForumConnection, name: str) -> str:
    try:
        return client_class(connection.platform).check_group_name(name)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _current(client: ForumClient, connection: ForumConnection, key: str) -> ForumGroup:
    """The group as the forum has it now; gone or automatic: a plain refusal."""
    try:
        group = client.get_group(key=key)
    except ForumNotFound:
        raise ValidationError(
            f"There is no group “{key}” on {connection.name} any more: it was deleted or renamed "
            "since the page was loaded. Nothing was sent."
        ) from None
    if group.automatic:
        raise ValidationError(f"{group.name} on {connection.name}: {client.automatic_group_reason}")
    return group


def _private_offered(connection: ForumConnection) -> bool:
    """The forum has private groups (joining needs approval): only then is ``private`` sent."""
    return bool(client_class(connection.platform).group_private_help)


def _taken(client: ForumClient, name: str) -> bool:
    try:
        client.get_group(key=name)
    except ForumNotFound:
        return False
    return True


def group_create(
    *,
    actor: User,
    connection: ForumConnection,
    name: str,
    full_name: str = "",
    description: str = "",
    visible: bool = True,
    private: bool = False,
) -> GroupOutcome:
    """Create a group on one forum (``private`` only where the forum has private groups)."""
    name = _name(connection, name)
    with client_or_invalid(connection) as client:
        if _taken(client, name):
            raise ValidationError(
                f"{connection.name} already has a group named “{name}”. Nothing was sent."
            )
        details: dict[str, Any] = {"name": name, "full_name": full_name, "visible": visible}
        extra: dict[str, Any] = {}
        if _private_offered(connection):
            details["private"] = extra["private"] = bool(private)
        try:
            group = client.create_group(
                name=name,
                full_name=full_name,
                description=description,
                visible=visible,
                **extra,
            )
        except ForumError as exc:
            audit_change(
                actor=actor,
                action="group.create",
                connection=connection,
                target=name,
                ok=False,
                message=str(exc),
                details=details,
            )
            return GroupOutcome(False, f"{connection.name} refused to create {name}: {exc}")
    forget_groups(connection)
    message = f"Created group {group.name or name} on {connection.name}."
    audit_change(
        actor=actor,
        action="group.create",
        connection=connection,
        target=name,
        ok=True,
        message=message,
        details=details,
    )
    return GroupOutcome(True, message, group=group)


def group_create_propose(
    *,
    actor: User,
    connections: Sequence[ForumConnection],
    name: str,
    full_name: str = "",
    description: str = "",
    visible: bool = True,
    private: bool = False,
) -> BulkAction:
    """Create the same group on several forums: one approved action, one item per forum."""
    for connection in connections:
        name = _name(connection, name)
    taken = []
    for connection in connections:
        with client_or_invalid(connection) as client:
            try:
                there = _taken(client, name)
            except ForumRateLimited:
                # Busy now (other Forumdeck work, or it asked to wait): it stays in the plan,
                # checked by what the index last saw of it; the plan asks it again when its
                # budget allows, and the run waits for it.
                there = indexed_group(connection_id=connection.pk, name=name) is not None
            if there:
                taken.append(connection.name)
    if taken:
        raise ValidationError(
            f"“{name}” already exists on {', '.join(taken)}: untick "
            f"{'that forum' if len(taken) == 1 else 'those forums'}. Nothing was proposed."
        )
    return bulk_action_propose(
        actor=actor,
        kind="group_create",
        connections=list(connections),
        params={"name": name, "full_name": full_name, "description": description,
                "visible": visible, "private": private},
    )  # fmt: skip


def group_update(
    *,
    actor: User,
    connection: ForumConnection,
    key: str,
    name: str,
    full_name: str,
    description: str,
    visible: bool,
    private: bool | None = None,
) -> GroupOutcome:
    """Change one forum's group: its name, full name, description and visibility (and
    whether joining needs approval, where the forum has private groups)."""
    name = _name(connection, name)
    with client_or_invalid(connection) as client:
        current = _current(client, connection, key)
        if name.lower() != current.name.lower() and _taken(client, name):
            raise ValidationError(
                f"{connection.name} already has a group named “{name}”. Nothing was sent."
            )
        changes: dict[str, Any] = {
            "name": name if name != current.name else None,
            "full_name": full_name if full_name != current.full_name else None,
            "description": description if description != current.description else None,
            "visible": visible if visible != current.visible else None,
        }
        if private is not None and _private_offered(connection):
            changes["private"] = private if private != current.private else None
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            return GroupOutcome(True, f"Nothing to change on {current.name}.", group=current)
        try:
            group = client.update_group(key=current.key, **changes)
        except ForumError as exc:
            audit_change(
                actor=actor,
                action="group.update",
                connection=connection,
                target=current.name,
                ok=False,
                message=str(exc),
                details=changes,
            )
            return GroupOutcome(
                False, f"{connection.name} refused the change: {exc}", group=current
            )
    forget_groups(connection)
    message = f"Saved {group.name} on {connection.name} ({', '.join(sorted(changes))} changed)."
    audit_change(
        actor=actor,
        action="group.update",
        connection=connection,
        target=current.name,
        ok=True,
        message=message,
        details=changes,
    )
    return GroupOutcome(True, message, group=group)


def group_delete(
    *, actor: User, connection: ForumConnection, key: str, confirm: str
) -> GroupOutcome:
    """Delete one forum's group: at once when it has no members, else as an approved action
    (a second person sees who loses the group). ``confirm`` must repeat its name."""
    with client_or_invalid(connection) as client:
        group = _current(client, connection, key)
        if confirm.strip() != group.name:
            raise ValidationError(f"Type the group's name exactly (“{group.name}”) to confirm.")
        # Members, or none can tell. Forumdeck's own acting user alone (a forum that makes the
        # creator a member) is nobody else's membership: deleted at once.
        if (group.user_count is None or group.user_count) and not (
            group.user_count == 1 and client.acting_user_is_sole_member(group=group)
        ):
            action = bulk_action_propose(
                actor=actor, kind="group_delete", connections=[connection],
                params={"group": group.key},
            )  # fmt: skip
            members = (
                f"has {group.user_count} member(s)"
                if group.user_count is not None
                else "may have members (the forum does not say)"
            )
            return GroupOutcome(
                True,
                f"{group.name} {members}: proposed bulk action #{action.pk} to delete it. "
                "Another person approves it before anything is sent.",
                group=group,
                action=action,
            )
        try:
            client.delete_group(key=group.key)
        except ForumError as exc:
            audit_change(
                actor=actor,
                action="group.delete",
                connection=connection,
                target=group.name,
                ok=False,
                message=str(exc),
                details={"group": group.key},
            )
            return GroupOutcome(
                False, f"{connection.name} refused to delete it: {exc}", group=group
            )
    forget_groups(connection)
    message = f"Deleted group {group.name} from {connection.name}."
    audit_change(
        actor=actor,
        action="group.delete",
        connection=connection,
        target=group.name,
        ok=True,
        message=message,
        details={"group": group.key},
    )
    return GroupOutcome(True, message, group=group)


def group_members_propose(
    *,
    actor: User,
    connections: Sequence[ForumConnection],
    key: str,
    adding: bool,
    targets_text: str = "",
    csv_file: IO[bytes] | None = None,
    csv_encoding: str | None = None,
) -> BulkAction:
    """Add (or remove) the given people to this group on each chosen forum, as one bulk
    action: the group is the one the page showed, checked on every forum first."""
    if not connections:
        raise ValidationError("Choose at least one forum.")
    for connection in connections:
        with client_or_invalid(connection) as client:
            _current(client, connection, key)
    return bulk_action_propose(
        actor=actor,
        kind="group_add" if adding else "group_remove",
        connections=list(connections),
        params={"group": key},
        targets_text=targets_text,
        csv_file=csv_file,
        csv_encoding=csv_encoding,
    )


def group_sync_propose(
    *,
    actor: User,
    source: ForumConnection,
    source_key: str,
    targets: Sequence[tuple[ForumConnection, str]],
    remove: bool = False,
    preview_token: str = "",
    user_id: int | None = None,
) -> BulkAction:
    """Bring the target groups in step with the source group as one approved action: the
    difference the page showed this person (``preview_token``), or, when that is gone, worked
    out again now. Either way the plan checks every line against the forum again."""
    kept = recalled_sync_preview(
        preview_token, user_id=actor.pk if user_id is None else user_id, source=source,
        source_key=source_key, targets=targets, remove=remove,
    )  # fmt: skip
    if kept is not None:
        by_pk = {c.pk: c for c, _ in targets}
        return bulk_action_propose(
            actor=actor,
            kind="group_sync",
            params=sync_params(
                source=kept.label,
                groups={by_pk[pk].name: kept.groups[pk] for pk in kept.targets},
                remove=remove,
            ),
            targets_by_connection={by_pk[pk]: t for pk, t in kept.targets.items()},
        )
    preview = group_sync_preview(source=source, source_key=source_key, targets=targets,
                                 remove=remove)  # fmt: skip
    if preview.error:
        raise ValidationError(preview.error)
    problems = [f"{f.connection.name}: {f.error}" for f in preview.forums if f.error]
    if problems:
        raise ValidationError(problems)
    if not preview.changes:
        raise ValidationError("The groups are already in step: there is nothing to change.")
    changing = preview.targets_by_connection()
    groups = {
        f.connection.name: f.group.key
        for f in preview.forums
        if f.connection in changing and f.group is not None
    }
    return bulk_action_propose(
        actor=actor,
        kind="group_sync",
        params=sync_params(source=preview.label, groups=groups, remove=remove),
        targets_by_connection=changing,
    )
