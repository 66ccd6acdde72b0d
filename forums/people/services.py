"""Single-user moderation: run one action on one forum account.

``user_moderate`` validates, checks the account still exists, runs the action, re-reads the
account and writes an ``AuditEntry`` for every change it sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError

from forums.clients import ForumClient, get_client
from forums.clients.errors import ForumError, ForumNotFound
from forums.clients.records import ForumUser, ForumUserDetails
from forums.core.audit import audit_record
from forums.core.fleet_index.rows import index_account_gone, note_account
from forums.models import AuditEntry, ForumConnection
from forums.pacing import Priority

from .actions import find_action

# Actions never sent for the account the API key acts as (the client says which it is).
TOKEN_USER_GUARDED = frozenset({"log_out", "delete", "delete_account"})


@dataclass(frozen=True)
class ModerationOutcome:
    """What happened. ``details``: the account read again afterwards (None after a delete or
    when the re-read failed); ``before``: the account as it was, which names it in the audit
    log, so the person page can refresh every part the action touched."""

    ok: bool
    message: str
    user: ForumUser | None = None
    details: ForumUserDetails | None = None
    before: ForumUser | None = None

    @property
    def gone(self) -> bool:
        """The action deleted the account."""
        return self.ok and self.before is not None and self.user is None and self.details is None


def _audit_details(user_id: int, data: dict[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = {"user_id": user_id}
    for key, value in data.items():
        if key in {"confirm", "username"}:
            continue
        if isinstance(value, datetime):
            value = value.isoformat()
        details[key] = value
    if "until" in data and data["until"] is None:
        details["until"] = "permanent"
    return details


def user_moderate(
    *,
    actor: Any,
    connection: ForumConnection,
    user_id: int,
    action: str,
    data: dict[str, Any],
) -> ModerationOutcome:
    """Run one action on one account of ``connection``.

    Raises ``ValidationError`` before anything is sent (action not offered, bad duration, past
    date, reason too long, wrong confirmation). Otherwise never raises for a forum problem:
    the account being gone, or the forum refusing, comes back as ``ok=False`` with the forum's
    own words. Every change sent is audited as ``user.<action>``, succeeded or failed.
    """
    try:
        client = get_client(connection, priority=Priority.CHANGE)
    except ForumError as exc:
        return ModerationOutcome(False, str(exc))
    try:
        return _moderate(actor=actor, connection=connection, client=client,
                         user_id=int(user_id), action=action, data=data)  # fmt: skip
    finally:
        client.close()


def _moderate(
    *,
    actor: Any,
    connection: ForumConnection,
    client: ForumClient,
    user_id: int,
    action: str,
    data: dict[str, Any],
) -> ModerationOutcome:
    cls = type(client)
    chosen = find_action(cls, action)
    if chosen is None and find_action(cls, action, cls.optional_capabilities):
        # Offered only where the forum has an optional capability (UserEcho): ask it.
        try:
            chosen = find_action(cls, action, client.discovered_capabilities())
        except ForumError as exc:
            return ModerationOutcome(False, str(exc))
    if chosen is None:
        raise ValidationError(
            f"{connection.name} ({client.software}) does not offer “{action}”.",
            code="not_offered",
        )
    form = chosen.form(data, client_cls=type(client))
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    cleaned = {k: v for k, v in form.cleaned_data.items() if k not in {"username", "confirm"}}
    shown = form.cleaned_data.get("username") or f"#{user_id}"

    try:
        user = client.user_details(user_id=user_id).user
    except ForumNotFound:
        index_account_gone(connection=connection, user_id=user_id)
        return ModerationOutcome(False, f"{shown} no longer exists on {connection.name}.")
    except ForumError as exc:
        return ModerationOutcome(False, str(exc))
    confirmed = form.cleaned_data.get("username")
    if chosen.destructive and confirmed and user.username != confirmed:
        return ModerationOutcome(
            False,
            f"#{user_id} on {connection.name} is now called {user.username}, not {confirmed}: "
            "nothing was done. Check it is the right account and confirm again.",
            user,
            before=user,
        )

    if chosen.key in TOKEN_USER_GUARDED and client.is_token_user(user_id=user.id):
        # Never log out everywhere (or delete) the account the API key acts as: the client
        # refuses too; said here before anything is sent.
        return ModerationOutcome(
            False,
            f"{user.username} is the account Forumdeck's API key acts as on {connection.name}: "
            f"Forumdeck does not {chosen.label.lower()} it. Do it on the forum itself if you "
            "mean it.",
            user,
            before=user,
        )
    audit = {
        "actor": actor,
        "action": f"user.{chosen.key}",
        "connection": connection,
        "target": user.username,
        "details": _audit_details(user_id, cleaned),
    }
    try:
        message = chosen.run(client, user, cleaned)
    except ForumError as exc:
        audit_record(**audit, outcome=AuditEntry.Outcome.FAILURE, message=str(exc))
        return ModerationOutcome(False, str(exc), user, before=user)
    audit_record(**audit, outcome=AuditEntry.Outcome.SUCCESS, message=message)
    if not chosen.reread:
        # Only deletions are not read again: the account is gone from the index too.
        index_account_gone(connection=connection, user_id=user_id)
        return ModerationOutcome(True, message, None, before=user)
    try:
        fresh = client.user_details(user_id=user_id)
    except ForumError:
        # Done; the new state shows on the next read. The account as it was still names it.
        return ModerationOutcome(True, message, user, before=user)
    # What the forum says now is what People search shows from the index.
    note_account(connection, fresh.user)
    return ModerationOutcome(True, message, fresh.user, details=fresh, before=user)
