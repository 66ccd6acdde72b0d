"""Reading accounts, their changes, and whether an account may approve someone's action."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from forums.models import AccountChange

Kind = AccountChange.Kind
_VERBS: dict[str, str] = {
    Kind.CREATED: "created",
    Kind.ROLES: "given other roles",
    Kind.PASSWORD: "given a new password",
    Kind.ACTIVE: "activated or deactivated",
    Kind.SUPERUSER: "given or denied superuser status",
    Kind.PERMISSIONS: "given other permissions",
}


def account_list(*, search: str = "") -> QuerySet:
    qs = get_user_model().objects.prefetch_related("groups").order_by("username")
    if search:
        qs = qs.filter(
            Q(username__icontains=search)
            | Q(email__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
        )
    return qs


def account_changes(*, user: User) -> QuerySet[AccountChange]:
    return AccountChange.objects.filter(user=user).select_related("changed_by", "confirmed_by")


def changes_waiting_for_confirmation(*, now: datetime | None = None) -> QuerySet[AccountChange]:
    """Recent changes made in Forumdeck that no second Admin has confirmed: until one does (or
    the cooling-off period is over), the account approves nothing."""
    now = now or timezone.now()
    return (
        AccountChange.objects.filter(
            confirmed_by__isnull=True,
            changed_by__isnull=False,
            created_at__gt=now - settings.FORUMDECK_APPROVER_COOLING_OFF,
        )
        .select_related("user", "changed_by")
        .order_by("-created_at", "-id")
    )


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


class _Hands:
    """Which accounts are in one person's hands: theirs, and any account they (or an account
    in their hands) created or last set the password of, until its holder set their own
    password. Judged as it was at a given moment, so a password changed later does not
    launder what such an account did before."""

    def __init__(self, person_id: int) -> None:
        self.person_id = person_id
        self.credentials: dict[int, list[tuple[datetime, int | None]]] = defaultdict(list)
        rows = AccountChange.objects.filter(kind__in=[Kind.CREATED, Kind.PASSWORD]).order_by(
            "created_at", "id"
        )
        for user_id, by, at in rows.values_list("user_id", "changed_by_id", "created_at"):
            self.credentials[user_id].append((at, by))

    def _holder(self, user_id: int, at: datetime) -> int | None:
        holder = None
        for when, by in self.credentials.get(user_id, ()):
            if when > at:
                break
            holder = by if by != user_id else None
        return holder

    def hold(self, user_id: int | None, at: datetime) -> bool:
        seen: set[int] = set()
        while user_id is not None and user_id not in seen:
            if user_id == self.person_id:
                return True
            seen.add(user_id)
            user_id = self._holder(user_id, at)
        return False


def approval_refusal(*, approver: User, proposer: User, now: datetime | None = None) -> str:
    """Why ``approver`` may not approve what ``proposer`` proposed, or "".

    Four eyes that hold against any one account: not one's own proposal; not through an
    account the proposer (or an account in their hands) created or changed, ever; and not
    within FORUMDECK_APPROVER_COOLING_OFF of any change to the approver's account made in
    Forumdeck, unless a second Admin (not the proposer) confirmed it.
    """
    if approver.pk == proposer.pk:
        return "You proposed this action; someone else must approve it."
    changes = list(
        AccountChange.objects.filter(user=approver)
        .select_related("changed_by")
        .order_by("created_at", "id")
    )
    if not changes:
        return ""
    name = proposer.get_username()
    hands = _Hands(proposer.pk)
    for change in changes:
        changer = change.changed_by  # selected with the change
        if changer is not None and hands.hold(changer.pk, change.created_at):
            by = name if changer.pk == proposer.pk else (
                f"{changer.get_username()}, an account {name} created or gave a "
                "password"
            )  # fmt: skip
            return (
                f"Your account was {_VERBS[change.kind]} by {by} ({_when(change.created_at)}), "
                f"so you cannot approve what {name} proposes: someone whose account {name} "
                "never touched must approve it."
            )
    now = now or timezone.now()
    cooling = settings.FORUMDECK_APPROVER_COOLING_OFF
    for change in reversed(changes):
        if change.changed_by is None or change.created_at <= now - cooling:
            continue  # the command line, or long enough ago
        if change.confirmed_by_id is not None and not hands.hold(
            change.confirmed_by_id, change.confirmed_at or now
        ):
            continue  # a second Admin, independent of the proposer, confirmed it
        by = change.changed_by.get_username()
        hours = cooling.total_seconds() / 3600
        return (
            f"Your account was {_VERBS[change.kind]} by {by} ({_when(change.created_at)}): after "
            f"an account change, approvals wait {hours:g} hours (until "
            f"{_when(change.created_at + cooling)}) unless a second Admin confirms the change "
            "in People & roles."
        )
    return ""
