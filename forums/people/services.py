"""Single-user moderation: what can be done to one forum account, and doing it.

``ACTIONS`` is the registry the People pages render from: each ``UserAction`` names the
capability that offers it, its label in the forum's own words (Discourse suspends and silences,
NodeBB bans and mutes), whether it destroys something, and the form that asks only what the
forum needs. ``user_moderate`` validates, checks the account still exists, runs the action,
re-reads the account and writes an ``AuditEntry`` for every change it sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from .clients import get_client
from .clients.base import BaseClient
from .clients.errors import ForumError, ForumNotFound
from .clients.records import Capability, ForumUser
from .models import AuditEntry, ForumConnection
from .services import audit_record

REASON_MAX_LENGTH = 300
MESSAGE_MAX_LENGTH = 2000

# --- durations and dates ----------
_UNITS: dict[str, timedelta] = {}
for _names, _step in (
    (("m", "min", "mins", "minute", "minutes"), timedelta(minutes=1)),
    (("h", "hr", "hrs", "hour", "hours"), timedelta(hours=1)),
    (("d", "day", "days"), timedelta(days=1)),
    (("w", "wk", "wks", "week", "weeks"), timedelta(weeks=1)),
    (("mo", "month", "months"), timedelta(days=30)),
    (("y", "yr", "yrs", "year", "years"), timedelta(days=365)),
):
    _UNITS.update(dict.fromkeys(_names, _step))
_DURATION = re.compile(r"^(\d{1,6})\s*([a-z]+)$")
PERMANENT_WORDS = frozenset({"permanent", "permanently", "forever"})
UNTIL_HELP = 'A date and time, or a duration such as "7 days", "12 hours" or "2 weeks".'


def parse_until(text: str, *, now: datetime | None = None) -> datetime | None:
    """When a penalty ends: an aware datetime, or None for "permanent" / "forever".

    Accepts a duration ("7 days", "7d", "2 weeks", "12 hours", "90 minutes", "1 month" = 30
    days, "1 year" = 365 days) or a date / date and time: ISO 8601 or what
    ``<input type="datetime-local">`` sends. A value without a time zone is in the current
    Django time zone (the browser's, set by the middleware); a bare date means its midnight.
    Raises ``ValidationError`` for anything else and for a time that is not in the future.
    """
    now = now or timezone.now()
    raw = str(text or "").strip()
    value = " ".join(raw.lower().split())
    if not value:
        raise ValidationError("Say until when. " + UNTIL_HELP, code="required")
    if value in PERMANENT_WORDS:
        return None
    match = _DURATION.match(value)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        if unit not in _UNITS:
            raise ValidationError(
                f'"{raw}" is not a duration Forumdeck understands. {UNTIL_HELP}', code="invalid"
            )
        if amount == 0:
            raise ValidationError("The duration must be longer than zero.", code="past")
        try:
            return now + amount * _UNITS[unit]
        except OverflowError:
            raise ValidationError(f'"{raw}" is too far in the future.', code="invalid") from None
    when = _parse_datetime(raw)
    if when is None:
        raise ValidationError(
            f'"{raw}" is neither a date nor a duration. {UNTIL_HELP}', code="invalid"
        )
    if when <= now:
        shown = timezone.localtime(when).strftime("%Y-%m-%d %H:%M")
        raise ValidationError(f"{shown} is in the past: choose a time in the future.", code="past")
    return when


def _parse_datetime(text: str) -> datetime | None:
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        parsed = datetime(day.year, day.month, day.day)
    if timezone.is_naive(parsed):
        try:
            parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
        except (ValueError, OverflowError):
            return None
    return parsed


def describe_until(until: datetime | None) -> str:
    if until is None:
        return "permanently"
    return "until " + timezone.localtime(until).strftime("%Y-%m-%d %H:%M %Z")


# --- forms ----------
class UntilField(forms.CharField):
    """A date or a duration (see ``parse_until``); cleans to an aware datetime or None.

    ``permanent_allowed``: "permanent" / "forever" (and, when not required, an empty value)
    mean no end; otherwise both are refused.
    """

    def __init__(self, *, permanent_allowed: bool = True, **kwargs: Any) -> None:
        self.permanent_allowed = permanent_allowed
        kwargs.setdefault("help_text", UNTIL_HELP)
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> datetime | None:
        text = super().clean(value)
        if not text:
            return None  # not required: no end
        until = parse_until(text)
        if until is None and not self.permanent_allowed:
            raise ValidationError("This forum needs an end time here.", code="permanent")
        return until


def reason_field(*, required: bool) -> forms.CharField:
    return forms.CharField(
        label="Reason",
        required=required,
        max_length=REASON_MAX_LENGTH,
        widget=forms.TextInput(attrs={"maxlength": REASON_MAX_LENGTH}),
    )


class ActionForm(forms.Form):
    """Base of every action form.

    ``username`` (hidden) is the account's name as the page showed it: it names the account in
    messages and is what a destructive action's ``confirm`` must repeat. Construct with
    ``user=`` (a ForumUser, fills ``username``) and ``capabilities=`` (the client's) when
    rendering; ``user_moderate`` passes the capabilities itself.
    """

    username = forms.CharField(required=False, max_length=255, widget=forms.HiddenInput)
    confirm_required = False

    def __init__(
        self,
        *args: Any,
        user: ForumUser | None = None,
        capabilities: frozenset[Capability] | set[Capability] = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.capabilities = frozenset(capabilities)
        if user is not None:
            self.fields["username"].initial = user.username
        if self.confirm_required:
            self.fields["confirm"] = forms.CharField(
                label="Type the username to confirm",
                max_length=255,
                strip=False,
                help_text="This cannot be undone.",
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.confirm_required and "confirm" in data:
            expected = (data.get("username") or (self.user.username if self.user else "")).strip()
            if not expected:
                raise ValidationError("The username to confirm is missing.", code="no_username")
            if data["confirm"] != expected:
                self.add_error(
                    "confirm",
                    ValidationError(
                        f'Type the username exactly as shown ("{expected}") to confirm.',
                        code="confirm",
                    ),
                )
        return data


class DiscoursePenaltyForm(ActionForm):
    """Discourse suspend / silence: an end, a reason (required), an optional e-mail."""

    until = UntilField(label="Until")
    reason = reason_field(required=True)
    message = forms.CharField(
        label="Message to the user",
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional. Discourse e-mails it to the user.",
    )


class BanForm(ActionForm):
    until = UntilField(
        label="Until",
        required=False,
        help_text=UNTIL_HELP + " Leave empty for a permanent ban.",
    )
    reason = reason_field(required=False)


class MuteForm(ActionForm):
    until = UntilField(
        label="Until",
        permanent_allowed=False,
        help_text=UNTIL_HELP + " NodeBB has no permanent mute.",
    )
    reason = reason_field(required=False)


TRUST_LEVELS = [
    (0, "0: new user"),
    (1, "1: basic user"),
    (2, "2: member"),
    (3, "3: regular"),
    (4, "4: leader"),
]


class TrustLevelForm(ActionForm):
    level = forms.TypedChoiceField(label="Trust level", choices=TRUST_LEVELS, coerce=int)


class ConfirmForm(ActionForm):
    confirm_required = True


class DiscourseDeleteForm(ActionForm):
    confirm_required = True

    delete_posts = forms.BooleanField(label="Delete their posts too", required=False,
                                      initial=True)  # fmt: skip
    block_email = forms.BooleanField(label="Block their e-mail address", required=False)
    block_ip = forms.BooleanField(label="Block their IP address", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if Capability.USER_DELETE_BLOCK not in self.capabilities:
            del self.fields["block_email"]
            del self.fields["block_ip"]


# --- the registry ----------
Runner = Callable[[BaseClient, ForumUser, dict[str, Any]], str]


@dataclass(frozen=True)
class UserAction:
    """One thing a moderator can do to one account.

    ``run(client, user, cleaned_data)`` sends it and returns what happened, in words.
    ``unless``: hidden where the forum offers that capability (it has finer actions instead).
    """

    key: str
    label: str
    capability: Capability
    destructive: bool
    form_class: type[ActionForm] | None
    run: Runner
    unless: Capability | None = None
    reread: bool = True  # read the account again afterwards (not after deleting it)

    def offered_by(self, client: BaseClient) -> bool:
        return client.supports(self.capability) and not (
            self.unless is not None and client.supports(self.unless)
        )

    def form(self, data: Any = None, *, client: BaseClient, user: ForumUser | None = None,
             **kwargs: Any) -> ActionForm:  # fmt: skip
        """The form to render (or bind) for this action; an empty one if it asks nothing."""
        cls = self.form_class or ActionForm
        return cls(data, user=user, capabilities=client.capabilities, **kwargs)


def _suspend(noun: str) -> Runner:
    def run(client: BaseClient, user: ForumUser, data: dict[str, Any]) -> str:
        client.suspend(user_id=user.id, until=data.get("until"), reason=data.get("reason", ""),
                       message=data.get("message", ""))  # fmt: skip
        return f"{user.username} is {noun} {describe_until(data.get('until'))}."

    return run


def _silence(noun: str) -> Runner:
    def run(client: BaseClient, user: ForumUser, data: dict[str, Any]) -> str:
        client.silence(user_id=user.id, until=data.get("until"), reason=data.get("reason", ""),
                       message=data.get("message", ""))  # fmt: skip
        return f"{user.username} is {noun} {describe_until(data.get('until'))}."

    return run


def _lift(verb: str, words: str) -> Runner:
    def run(client: BaseClient, user: ForumUser, data: dict[str, Any]) -> str:
        getattr(client, verb)(user_id=user.id)
        return f"{user.username} {words}."

    return run


def _call(method: str, words: str, **fixed: Any) -> Runner:
    """A client method taking ``user_id`` (and ``fixed`` keywords)."""

    def run(client: BaseClient, user: ForumUser, data: dict[str, Any]) -> str:
        getattr(client, method)(user_id=user.id, **fixed)
        return words.format(username=user.username)

    return run


def _trust_level(client: BaseClient, user: ForumUser, data: dict[str, Any]) -> str:
    client.set_trust_level(user_id=user.id, level=data["level"])  # type: ignore[attr-defined]
    return f"{user.username} now has trust level {data['level']}."


def _anonymize(client: BaseClient, user: ForumUser, data: dict[str, Any]) -> str:
    new_name = client.anonymize_user(user_id=user.id)  # type: ignore[attr-defined]
    return f"{user.username} is anonymized" + (f" (now {new_name})." if new_name else ".")


def _delete(client: BaseClient, user: ForumUser, data: dict[str, Any]) -> str:
    posts = bool(data.get("delete_posts"))
    client.delete_account(
        user_id=user.id,
        delete_posts=posts,
        block_email=bool(data.get("block_email")),
        block_ip=bool(data.get("block_ip")),
    )
    return f"{user.username} is deleted" + (" with their posts." if posts else ".")


_ACTIONS: tuple[UserAction, ...] = (
    # Discourse
    UserAction("suspend", "Suspend", Capability.USER_SUSPEND, False, DiscoursePenaltyForm,
               _suspend("suspended")),
    UserAction("unsuspend", "Unsuspend", Capability.USER_SUSPEND, False, None,
               _lift("unsuspend", "is no longer suspended")),
    UserAction("silence", "Silence", Capability.USER_SILENCE, False, DiscoursePenaltyForm,
               _silence("silenced")),
    UserAction("unsilence", "Unsilence", Capability.USER_SILENCE, False, None,
               _lift("unsilence", "is no longer silenced")),
    UserAction("log_out", "Log out everywhere", Capability.USER_LOG_OUT, False, None,
               _call("log_out_user", "{username} is logged out of every session.")),
    UserAction("trust_level", "Set trust level", Capability.USER_TRUST_LEVEL, False,
               TrustLevelForm, _trust_level),
    UserAction("approve", "Approve", Capability.USER_APPROVE, False, None,
               _call("approve_user", "{username} is approved.")),
    UserAction("activate", "Activate", Capability.USER_ACTIVATE, False, None,
               _call("activate_user", "{username} is activated.")),
    UserAction("deactivate", "Deactivate", Capability.USER_ACTIVATE, False, None,
               _call("deactivate_user", "{username} is deactivated.")),
    UserAction("anonymize", "Anonymize", Capability.USER_ANONYMIZE, True, ConfirmForm,
               _anonymize, reread=True),
    UserAction("delete", "Delete", Capability.USER_DELETE, True, DiscourseDeleteForm, _delete,
               unless=Capability.USER_DELETE_CONTENT, reread=False),
    # NodeBB
    UserAction("ban", "Ban", Capability.USER_BAN, False, BanForm, _suspend("banned")),
    UserAction("unban", "Unban", Capability.USER_BAN, False, None,
               _lift("unsuspend", "is no longer banned")),
    UserAction("mute", "Mute", Capability.USER_MUTE, False, MuteForm, _silence("muted")),
    UserAction("unmute", "Unmute", Capability.USER_MUTE, False, None,
               _lift("unsilence", "is no longer muted")),
    UserAction("delete_account", "Delete account (keep posts)", Capability.USER_DELETE_CONTENT,
               True, ConfirmForm,
               _call("delete_account", "{username}'s account is deleted; their posts stay.",
                     delete_posts=False),
               reread=False),
    UserAction("delete_content", "Delete posts (keep account)", Capability.USER_DELETE_CONTENT,
               True, ConfirmForm,
               _call("delete_content", "Everything {username} posted is deleted.")),
    UserAction("delete_both", "Delete account and posts", Capability.USER_DELETE_CONTENT, True,
               ConfirmForm,
               _call("delete_account", "{username} is deleted with everything they posted.",
                     delete_posts=True),
               reread=False),
)  # fmt: skip
ACTIONS: dict[str, UserAction] = {a.key: a for a in _ACTIONS}


def actions_for(client: BaseClient) -> list[UserAction]:
    """The actions this forum offers, in display order."""
    return [action for action in _ACTIONS if action.offered_by(client)]


# --- the service ----------
@dataclass(frozen=True)
class ModerationOutcome:
    ok: bool
    message: str
    user: ForumUser | None = None


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
    client = get_client(connection)
    try:
        return _moderate(actor=actor, connection=connection, client=client,
                         user_id=int(user_id), action=action, data=data)  # fmt: skip
    finally:
        client.close()


def _moderate(
    *,
    actor: Any,
    connection: ForumConnection,
    client: BaseClient,
    user_id: int,
    action: str,
    data: dict[str, Any],
) -> ModerationOutcome:
    chosen = ACTIONS.get(action)
    if chosen is None or not chosen.offered_by(client):
        raise ValidationError(
            f"{connection.name} ({client.software}) does not offer “{action}”.",
            code="not_offered",
        )
    form = chosen.form(data, client=client)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    cleaned = {k: v for k, v in form.cleaned_data.items() if k not in {"username", "confirm"}}
    shown = form.cleaned_data.get("username") or f"#{user_id}"

    try:
        user = client.user_details(user_id=user_id).user
    except ForumNotFound:
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
        return ModerationOutcome(False, str(exc), user)
    audit_record(**audit, outcome=AuditEntry.Outcome.SUCCESS, message=message)
    if not chosen.reread:
        return ModerationOutcome(True, message, None)
    try:
        fresh = client.user_details(user_id=user_id).user
    except ForumError:
        fresh = None  # done; the new state shows on the next read
    return ModerationOutcome(True, message, fresh)
