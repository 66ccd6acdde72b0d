"""Who is independent of whom: the one place every approval, every confirmation of an
account change and every privilege change asks (see docs/trust.md).

The model, in three rules:

- An account is *in the hands of* everyone who created it, set its password, changed its
  roles or let it sign in again (every applied ``AccountChange`` made by another account),
  and, transitively, in the hands of everyone those accounts are in the hands of. Its
  holder's own changes (their own password, say) never take it out of anyone's hands.
  Deactivating an account gives nobody power over it, so it does not count.
- Changes made outside Forumdeck's pages (``changed_by`` empty: the operator on the command
  line, ``manage.py add_admin``; a sign-in through the organisation's identity provider) put
  the account in no account's hands.
- Two accounts are independent when no account holds both: neither is in the other's hands,
  and no third account holds them both. One person with one Admin account can therefore
  create as many accounts as they like: every one of them is in that Admin's hands, and none
  of them counts as a second person for anything that Admin, or any of them, proposes.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import F, Q
from django.utils import timezone

from forums.models import AccountChange

Kind = AccountChange.Kind
_VERBS: dict[str, str] = {
    Kind.CREATED: "created",
    Kind.ROLES: "given other roles",
    Kind.PASSWORD: "given a new password",
    Kind.ACTIVE: "let sign in again",
    Kind.SUPERUSER: "given or denied superuser status",
    Kind.PERMISSIONS: "given other permissions",
}


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


@dataclass(frozen=True)
class _Edge:
    """``user`` is in ``by``'s hands through this change."""

    user_id: int
    by_id: int
    kind: str
    at: datetime


class Hands:
    """Every account's controllers, read once from the applied account changes."""

    def __init__(self) -> None:
        self._up: dict[int, list[_Edge]] = defaultdict(list)
        rows = (
            AccountChange.objects.filter(
                state=AccountChange.State.APPLIED, changed_by__isnull=False
            )
            .exclude(changed_by=F("user"))  # the holder's own changes
            # A deactivation gives nobody power (both the service's and the signals' summaries
            # of one start so; see accounts.services and accounts.recording).
            .exclude(Q(kind=Kind.ACTIVE) & Q(summary__startswith="deactivated"))
            .order_by("created_at", "id")
            .values_list("user_id", "changed_by_id", "kind", "created_at")
        )
        for user_id, by_id, kind, at in rows:
            self._up[user_id].append(_Edge(user_id, by_id, kind, at))
        self._names: dict[int, str] = {}

    def holders(self, user_id: int) -> dict[int, list[_Edge]]:
        """The account itself and everyone it is in the hands of, each with the shortest
        chain of changes that puts it there (from ``user_id`` upwards)."""
        paths: dict[int, list[_Edge]] = {user_id: []}
        queue = deque([user_id])
        while queue:
            current = queue.popleft()
            for edge in self._up.get(current, ()):
                if edge.by_id not in paths:
                    paths[edge.by_id] = [*paths[current], edge]
                    queue.append(edge.by_id)
        return paths

    def name(self, user_id: int) -> str:
        if user_id not in self._names:
            User = get_user_model()
            self._names.update({u.pk: u.get_username() for u in User.objects.filter(pk=user_id)})
        return self._names.get(user_id, f"account #{user_id}")

    def _chain(self, path: list[_Edge], viewer_id: int | None) -> str:
        """'created by sock (time), whose account was given a new password by ada (time)'"""

        def who(pk: int) -> str:
            return "you" if pk == viewer_id else self.name(pk)

        parts = []
        for i, edge in enumerate(path):
            lead = "" if i == 0 else "whose account was "
            parts.append(f"{lead}{_VERBS[edge.kind]} by {who(edge.by_id)} ({_when(edge.at)})")
        return ", ".join(parts)

    def refusal(self, a: User, b: User) -> str:
        """Why ``a`` (the approver, confirmer or stopper: "you") does not count as independent
        of ``b``, or "" when no account holds both."""
        if a.pk == b.pk:
            return "It is the same account."
        mine, theirs = self.holders(a.pk), self.holders(b.pk)
        shared = set(mine) & set(theirs)
        if not shared:
            return ""
        you, them = a.pk, b.get_username()
        if a.pk in theirs:
            return f"{them}'s account was {self._chain(theirs[a.pk], you)}."
        if b.pk in mine:
            return f"Your account was {self._chain(mine[b.pk], you)}."
        # A third account holds both: the one reached by the shortest chains.
        third = min(shared, key=lambda pk: (len(mine[pk]) + len(theirs[pk]), pk))
        return (
            f"{self.name(third)} holds both: your account was "
            f"{self._chain(mine[third], you)}, and {them}'s was {self._chain(theirs[third], you)}."
        )


def approval_refusal(*, approver: User, proposer: User) -> str:
    """Why ``approver`` may not approve what ``proposer`` proposed, or "" (both sides are
    looked at: see the module's rules)."""
    if approver.pk == proposer.pk:
        return "You proposed this action; someone else must approve it."
    why = Hands().refusal(approver, proposer)
    if not why:
        return ""
    name = proposer.get_username()
    return (
        f"You cannot approve what {name} proposes: one person could hold both accounts. {why} "
        f"Someone independent of {name} must approve it."
    )


def approvers_query():
    """Active accounts that may approve bulk actions by their role."""
    User = get_user_model()
    perm = Q(groups__permissions__codename="approve_bulkaction") | Q(
        user_permissions__codename="approve_bulkaction"
    )
    return User.objects.filter(Q(is_superuser=True) | perm, is_active=True).distinct()


def independent_approvers(proposer: User, *, hands: Hands | None = None) -> list:
    """The accounts that could approve what ``proposer`` proposes today."""
    hands = hands or Hands()
    theirs = set(hands.holders(proposer.pk))
    return [
        user
        for user in approvers_query().order_by("username")
        if user.pk != proposer.pk and not set(hands.holders(user.pk)) & theirs
    ]


ADVICE = (
    "What to do: the operator runs “python manage.py add_admin <name>” on the server (an "
    "Admin made on the command line is in nobody's hands), or an Admin independent of {who} "
    "grants Approver to a colleague in People & roles. See docs/trust.md."
)


def nobody_can_approve(proposer: User, *, viewer: User | None = None,
                       hands: Hands | None = None) -> str:  # fmt: skip
    """ "" when someone could approve what ``proposer`` proposes; else what to say, and what
    to do about it, to ``viewer``."""
    hands = hands or Hands()
    if independent_approvers(proposer, hands=hands):
        return ""
    you = viewer is not None and viewer.pk == proposer.pk
    who = "you" if you else proposer.get_username()
    others = [u for u in approvers_query() if u.pk != proposer.pk]
    if not others:
        why = "there is no other Approver or Admin"
    else:
        why = (
            f"every Approver and Admin ({', '.join(sorted(u.get_username() for u in others))}) "
            f"was created or changed by {who}, or shares a creator with {who}"
        )
    return f"No one can approve this yet: {why}. " + ADVICE.format(who=who)


def is_admin(user: User) -> bool:
    from forums.roles import ADMIN

    return user.is_active and (user.is_superuser or user.groups.filter(name=ADMIN).exists())


def may_stop(user: User, action) -> str:
    """Why ``user`` may not stop (cancel) this bulk action, or "": its proposer, every Admin,
    and anyone who may approve it (independent of its proposer) may."""
    if not user.is_active:
        return "Your account may not sign in."
    if action.proposed_by_id == user.pk or is_admin(user):
        return ""
    if user.has_perm("forums.approve_bulkaction"):
        why = approval_refusal(approver=user, proposer=action.proposed_by)
        return f"You may not stop it: {why}" if why else ""
    return "Only its proposer, an Approver independent of them, or an Admin may stop it."
