"""Changing tags. A change one forum makes in one call (Discourse: rename, merge, delete,
create, delete unused, tag groups) is made directly and audited with the forum's answer; a
change that touches topics or more than one forum becomes a bulk action another person
approves (NodeBB's rename is retagging every topic that carries the tag).

Bad input raises ``ValidationError`` with a plain message before anything is sent: a name
the forum would refuse, renaming onto a tag that exists (merge instead), merging a tag into
itself, a tag that vanished since the page loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from forums.bulk.kinds import get_kind
from forums.bulk.kinds.tags import TagChangeKind
from forums.bulk.services import bulk_action_propose
from forums.clients import ForumClient, client_class
from forums.clients.errors import ForumError, ForumRateLimited
from forums.clients.records import Capability
from forums.core.audit import audit_change
from forums.core.connections import client_or_invalid
from forums.core.fleet_index.reads import indexed_tag_names
from forums.core.outcomes import ChangeOutcome
from forums.models import BulkAction, ForumConnection

from .selectors import forget_tags

CHANGES = {"rename": "tag_rename", "merge": "tag_merge", "delete": "tag_delete"}
DIRECT = {
    "rename": Capability.TAG_RENAME,
    "merge": Capability.TAG_MERGE,
    "delete": Capability.TAG_DELETE,
}


def clean_tag_name(connections: Iterable[ForumConnection], name: str) -> str:
    """The name as every chosen forum would store it; refused by any: a plain message."""
    results = set()
    for connection in connections:
        try:
            results.add(client_class(connection.platform).check_tag_name(name))
        except ValueError as exc:
            raise ValidationError(f"{connection.name}: {exc}") from None
    if len(results) > 1:
        raise ValidationError(
            f"The forums would store “{name}” differently ({', '.join(sorted(results))}): "
            "choose a name they all keep as it is."
        )
    return results.pop() if results else name.strip()


def _tags_now(connections: Sequence[ForumConnection], scope: str = "") -> dict[int, set[str]]:
    """Each forum's tag names, read now (not from the cache): the check before a change.
    ``scope``: on a forum whose tags live per space, the names in that space only. A forum
    whose budget is taken for now (other Forumdeck work, or it asked to wait) is checked against
    what the index last saw of it, so a change "everywhere" never leaves it out: the plan and
    the run wait for its budget and check it again there."""
    names = {}
    for connection in connections:
        with client_or_invalid(connection) as client:
            spaced = bool(scope and client.tag_scope_note)
            try:
                names[connection.pk] = {
                    t.name.lower() for t in client.list_tags() if not spaced or t.scope == scope
                }
            except ForumRateLimited as exc:
                known = indexed_tag_names(connection_ids=[connection.pk]).get(connection.pk)
                if known is None:
                    raise ValidationError(f"{connection.name} could not be asked: {exc}") from None
                names[connection.pk] = known
            except ForumError as exc:
                raise ValidationError(f"{connection.name} could not be asked: {exc}") from None
    return names


def _check_change(
    change: str, connections: Sequence[ForumConnection], params: dict[str, Any]
) -> dict[str, Any]:
    """The bad-input rules of a rename, merge or delete, against the forums as they are now."""
    tag = params["tag"]
    now = _tags_now(connections)
    missing = [c.name for c in connections if tag.lower() not in now[c.pk]]
    if missing:
        raise ValidationError(
            f"“{tag}” is not a tag on {', '.join(missing)} (any more): it was renamed, merged "
            "or deleted since the page was loaded. Untick that forum. Nothing was sent."
        )
    if change == "rename":
        new = clean_tag_name(connections, params.get("new_name", ""))
        if new.lower() == tag.lower():
            raise ValidationError("The new name is the tag's name already.")
        taken = [c.name for c in connections if new.lower() in now[c.pk]]
        if taken:
            raise ValidationError(
                f"“{new}” already is a tag on {', '.join(taken)}: merge {tag} into {new} instead "
                "(its topics move over). Nothing was sent."
            )
        return {"tag": tag, "new_name": new}
    if change == "merge":
        into = clean_tag_name(connections, params.get("into", ""))
        if into.lower() == tag.lower():
            raise ValidationError("A tag cannot be merged into itself.")
        absent = [
            c.name
            for c in connections
            if client_class(c.platform).supports(Capability.TAG_MERGE)
            and into.lower() not in now[c.pk]
        ]
        if absent:
            raise ValidationError(
                f"“{into}” is not a tag on {', '.join(absent)}: rename {tag} to {into} there "
                "instead. Nothing was sent."
            )
        return {"tag": tag, "into": into}
    return {"tag": tag}


def tag_change(
    *,
    actor: User,
    change: str,
    connections: Sequence[ForumConnection],
    params: dict[str, Any],
) -> ChangeOutcome:
    """Rename, merge or delete a tag on the chosen forums: directly where it is one forum that
    does it in one call, otherwise as a bulk action with a plan."""
    if change not in CHANGES:
        raise ValidationError("Unknown change.")
    if not connections:
        raise ValidationError("Choose at least one forum.")
    kind = get_kind(CHANGES[change])
    for connection in connections:
        if not kind.offered_by(client_class(connection.platform)):
            raise ValidationError(f"{connection.name} does not offer this ({kind.label}).")
    clean = _check_change(change, connections, params)
    if params.get("scope") and change != "merge":
        clean["scope"] = str(params["scope"])  # one space only, where tags live per space
    single = connections[0] if len(connections) == 1 else None
    if single is not None and client_class(single.platform).supports(DIRECT[change]):
        return _change_directly(actor=actor, change=change, connection=single, params=clean)
    if not actor.has_perm("forums.propose_bulkaction"):
        raise ValidationError("This change is a bulk action, and you cannot propose those.")
    action = bulk_action_propose(
        actor=actor, kind=kind.key, connections=list(connections), params=clean
    )
    return ChangeOutcome(
        True,
        f"Proposed bulk action #{action.pk}: {kind.describe(clean)}. Forumdeck is planning it "
        "now; then another person approves it.",
        action,
    )


def _change_directly(
    *, actor: User, change: str, connection: ForumConnection, params: dict[str, Any]
) -> ChangeOutcome:
    kind = get_kind(CHANGES[change])
    assert isinstance(kind, TagChangeKind)
    with client_or_invalid(connection) as client:
        try:
            kind.apply_direct(client, params)
        except ForumError as exc:
            audit_change(
                actor=actor,
                action=f"tag.{change}",
                connection=connection,
                target=params["tag"],
                ok=False,
                message=str(exc),
                details=params,
            )
            return ChangeOutcome(False, f"{connection.name} refused: {exc}")
    forget_tags(connection)
    message = f"{kind.describe(params)} on {connection.name}: done."
    audit_change(
        actor=actor,
        action=f"tag.{change}",
        connection=connection,
        target=params["tag"],
        ok=True,
        message=message,
        details=params,
    )
    return ChangeOutcome(True, message)


def tag_create(
    *, actor: User, connections: Sequence[ForumConnection], name: str, scope: str = ""
) -> ChangeOutcome:
    """Create a tag: at once on one forum, as a bulk action on several. Forums that do not
    create tags on their own are refused with the reason, before anything is sent.
    ``scope``: on a forum whose tags live per space (a UserEcho project's forums), that space
    only; otherwise every space that lacks it."""
    if not connections:
        raise ValidationError("Choose at least one forum.")
    unable = [
        c.name for c in connections if not client_class(c.platform).supports(Capability.TAG_CREATE)
    ]
    if unable:
        raise ValidationError(
            f"{', '.join(unable)}: creating a tag on its own is not offered by this forum (a tag "
            "appears there when a topic is given it)."
        )
    name = clean_tag_name(connections, name)
    now = _tags_now(connections, scope=scope)
    taken = [c.name for c in connections if name.lower() in now[c.pk]]
    if taken:
        raise ValidationError(f"“{name}” already is a tag on {', '.join(taken)}.")
    if len(connections) > 1:
        if not actor.has_perm("forums.propose_bulkaction"):
            raise ValidationError("Creating on several forums is a bulk action.")
        params = {"tag": name, **({"scope": scope} if scope else {})}
        action = bulk_action_propose(
            actor=actor, kind="tag_create", connections=list(connections), params=params
        )
        return ChangeOutcome(True, f"Proposed bulk action #{action.pk}: create tag {name}.", action)
    connection = connections[0]
    with client_or_invalid(connection) as client:
        try:
            # That space only, where the forum's tags live per space (its verbs take scope=).
            only: dict[str, str] = {"scope": scope} if scope and client.tag_scope_note else {}
            client.create_tag(name=name, **only)
        except ForumError as exc:
            audit_change(
                actor=actor,
                action="tag.create",
                connection=connection,
                target=name,
                ok=False,
                message=str(exc),
                details={"tag": name},
            )
            return ChangeOutcome(False, f"{connection.name} refused: {exc}")
    forget_tags(connection)
    where = (
        f" (only in {scope})" if scope and client_class(connection.platform).tag_scope_note else ""
    )
    message = f"Created tag {name} on {connection.name}{where}."
    audit_change(
        actor=actor,
        action="tag.create",
        connection=connection,
        target=name,
        ok=True,
        message=message,
        details={"tag": name},
    )
    return ChangeOutcome(True, message)


def tags_delete_unused(*, actor: User, connection: ForumConnection, confirm: str) -> ChangeOutcome:
    """Delete every tag no topic carries, in the forum's one call (Discourse)."""
    if not client_class(connection.platform).supports(Capability.TAG_DELETE_UNUSED):
        raise ValidationError(f"{connection.name}: deleting unused tags is not offered.")
    if confirm.strip() != "DELETE":
        raise ValidationError("Type DELETE to confirm.")
    with client_or_invalid(connection) as client:
        try:
            before = sum(1 for t in client.list_tags() if t.topic_count == 0)
            client.delete_unused_tags()
        except ForumError as exc:
            audit_change(
                actor=actor,
                action="tag.delete_unused",
                connection=connection,
                target="unused tags",
                ok=False,
                message=str(exc),
                details={},
            )
            return ChangeOutcome(False, f"{connection.name} refused: {exc}")
    forget_tags(connection)
    message = f"Deleted the unused tags of {connection.name} ({before} had no topics)."
    audit_change(
        actor=actor,
        action="tag.delete_unused",
        connection=connection,
        target="unused tags",
        ok=True,
        message=message,
        details={"unused": before},
    )
    return ChangeOutcome(True, message)


# --- retag topics -----------------------------------------------------------------------------
def topics_by_forum(
    text: str, connections: Sequence[ForumConnection]
) -> tuple[dict[ForumConnection, list[str]], list[str]]:
    """Pasted topic addresses or ids -> each forum's topic ids, and the lines that name no
    topic (with why). An address belongs to the chosen forum at its address; a bare id needs
    exactly one forum chosen."""
    found: dict[ForumConnection, list[str]] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for token in line.replace(",", " ").split():
            if token.isdigit():
                if len(connections) != 1:
                    problems.append(f"line {number}: {token}: a bare id needs one forum chosen")
                    continue
                found.setdefault(connections[0], []).append(str(int(token)))
                continue
            owner = _forum_of(token, connections)
            if owner is None:
                problems.append(f"line {number}: {token[:200]}: not an address of a chosen forum")
                continue
            topic_id = client_class(owner.platform).topic_id_from_url(token)
            if topic_id is None:
                problems.append(f"line {number}: {token[:200]}: not a topic address")
                continue
            found.setdefault(owner, []).append(str(topic_id))
    return found, problems


def _forum_of(url: str, connections: Sequence[ForumConnection]) -> ForumConnection | None:
    parts = urlsplit(url)
    for connection in connections:
        base = urlsplit(connection.base_url)
        if parts.netloc.lower() == base.netloc.lower() and parts.path.startswith(
            base.path.rstrip("/")
        ):
            return connection
    return None


def retag_propose(
    *,
    actor: User,
    connections: Sequence[ForumConnection],
    params: dict[str, Any],
    topics_text: str = "",
    topic_ids: dict[ForumConnection, list[str]] | None = None,
) -> BulkAction:
    """Add, remove or replace tags on many topics as one bulk action: every topic carrying
    ``params["tag"]`` on the chosen forums, or the topics pasted (addresses or ids) or ticked
    on a tag's page (``topic_ids``)."""
    if not connections:
        raise ValidationError("Choose at least one forum.")
    if params.get("tag"):
        return bulk_action_propose(
            actor=actor, kind="retag_tagged", connections=list(connections), params=params
        )
    if topic_ids is None:
        topic_ids, problems = topics_by_forum(topics_text, connections)
        if problems:
            raise ValidationError(
                ["Some lines name no topic; correct them. Nothing was proposed.", *problems[:20]]
            )
    if not any(topic_ids.values()):
        raise ValidationError("Choose topics: paste their addresses or ids, or tick them.")
    return bulk_action_propose(
        actor=actor, kind="retag", params=params, targets_by_connection=topic_ids
    )


# --- tag groups (Discourse) -----------------------------------------------------------------
def _tag_group_client(connection: ForumConnection) -> ForumClient:
    if not client_class(connection.platform).supports(Capability.TAG_GROUPS):
        raise ValidationError(f"{connection.name}: tag groups are not offered by this forum.")
    return client_or_invalid(connection)


def tag_group_save(
    *,
    actor: User,
    connection: ForumConnection,
    tag_group_id: int | None,
    name: str,
    tag_names: list[str],
    parent_tag_names: list[str],
    one_per_topic: bool,
) -> ChangeOutcome:
    """Create a tag group, or change one. A change always sends the whole tag list: Discourse
    empties a group whose PUT leaves ``tag_names`` out."""
    tags = [clean_tag_name([connection], t) for t in tag_names]
    parents = [clean_tag_name([connection], t) for t in parent_tag_names]
    details = {"name": name, "tag_names": tags, "parent_tag_names": parents,
               "one_per_topic": one_per_topic}  # fmt: skip
    with _tag_group_client(connection) as client:
        try:
            if tag_group_id is None:
                client.create_tag_group(
                    name=name, tag_names=tags, parent_tag_names=parents, one_per_topic=one_per_topic
                )
                verb = "Created"
            else:
                if not any(g.id == tag_group_id for g in client.list_tag_groups()):
                    raise ValidationError(
                        f"That tag group is no longer on {connection.name}. Nothing was sent."
                    )
                client.update_tag_group(tag_group_id=tag_group_id, name=name, tag_names=tags,
                                        parent_tag_names=parents,
                                        one_per_topic=one_per_topic)  # fmt: skip
                verb = "Saved"
        except ForumError as exc:
            audit_change(
                actor=actor,
                action="tag_group.save",
                connection=connection,
                target=name,
                ok=False,
                message=str(exc),
                details=details,
            )
            return ChangeOutcome(False, f"{connection.name} refused: {exc}")
    forget_tags(connection)
    message = f"{verb} tag group {name} on {connection.name} ({len(tags)} tags)."
    audit_change(
        actor=actor,
        action="tag_group.save",
        connection=connection,
        target=name,
        ok=True,
        message=message,
        details=details,
    )
    return ChangeOutcome(True, message)


def tag_group_delete(
    *, actor: User, connection: ForumConnection, tag_group_id: int, confirm: str
) -> ChangeOutcome:
    with _tag_group_client(connection) as client:
        group = next((g for g in client.list_tag_groups() if g.id == tag_group_id), None)
        if group is None:
            raise ValidationError(f"That tag group is no longer on {connection.name}.")
        if confirm.strip() != group.name:
            raise ValidationError(f"Type the tag group's name exactly (“{group.name}”) to confirm.")
        try:
            client.delete_tag_group(tag_group_id=tag_group_id)
        except ForumError as exc:
            audit_change(
                actor=actor,
                action="tag_group.delete",
                connection=connection,
                target=group.name,
                ok=False,
                message=str(exc),
                details={"tag_group_id": tag_group_id},
            )
            return ChangeOutcome(False, f"{connection.name} refused: {exc}")
    message = f"Deleted tag group {group.name} from {connection.name} (its tags stay)."
    audit_change(
        actor=actor,
        action="tag_group.delete",
        connection=connection,
        target=group.name,
        ok=True,
        message=message,
        details={"tag_group_id": tag_group_id},
    )
    return ChangeOutcome(True, message)
