"""What can be done to one forum account: the registry the People pages render from.

Each ``UserAction`` names the capability that offers it, its label in the forum's own words
(the client class says "Suspend" or "Ban"), whether it destroys something, and the form that
asks only what the forum needs. ``actions_for(client_cls)`` lists those a forum offers, keyed by
the word the forum uses (``/ban/`` on NodeBB, ``/suspend/`` on Discourse).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from forums.clients import ForumClient
from forums.clients.records import Capability, ForumUser, Penalty
from forums.web.durations import describe_until

from .forms import ActionForm, ConfirmForm, DeleteForm, PenaltyForm, TrustLevelForm

Runner = Callable[[Any, ForumUser, dict[str, Any]], str]


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
    penalty: Penalty | None = field(default=None)
    # Does it make sense for this account as it is now (no Unsuspend on an active one)?
    fits: Callable[[ForumUser], bool] = field(default=lambda user: True)

    def offered_by(
        self, client_cls: type[ForumClient], extra: Collection[Capability] = frozenset()
    ) -> bool:
        """``extra``: optional capabilities this forum showed it has (see
        ``discovered_capabilities``)."""

        def has(capability: Capability) -> bool:
            return client_cls.supports(capability) or capability in extra

        return has(self.capability) and not (self.unless is not None and has(self.unless))

    def form(
        self,
        data: Any = None,
        *,
        client_cls: type[ForumClient],
        user: ForumUser | None = None,
        **kwargs: Any,
    ) -> ActionForm:
        """The form to render (or bind) for this action; an empty one if it asks nothing."""
        cls = self.form_class or ActionForm
        return cls(data, client_cls=client_cls, user=user, penalty=self.penalty, **kwargs)


def _penalise(kind: Penalty, done: str) -> Runner:
    def run(client: ForumClient, user: ForumUser, data: dict[str, Any]) -> str:
        client.penalise(
            kind=kind, user_id=user.id, until=data.get("until"), reason=data.get("reason", ""),
            message=data.get("message", ""),
        )  # fmt: skip
        return f"{user.username} is {done} {describe_until(data.get('until'))}."

    return run


def _lift(kind: Penalty, done: str) -> Runner:
    def run(client: ForumClient, user: ForumUser, data: dict[str, Any]) -> str:
        client.lift(kind=kind, user_id=user.id)
        return f"{user.username} is no longer {done}."

    return run


def _call(method: str, words: str, **fixed: Any) -> Runner:
    """A client method taking ``user_id`` (and ``fixed`` keywords)."""

    def run(client: ForumClient, user: ForumUser, data: dict[str, Any]) -> str:
        getattr(client, method)(user_id=user.id, **fixed)
        return words.format(username=user.username)

    return run


def _trust_level(client: Any, user: ForumUser, data: dict[str, Any]) -> str:
    client.set_trust_level(user_id=user.id, level=data["level"])
    return f"{user.username} now has trust level {data['level']}."


def _anonymize(client: Any, user: ForumUser, data: dict[str, Any]) -> str:
    new_name = client.anonymize_user(user_id=user.id)
    return f"{user.username} is anonymized" + (f" (now {new_name})." if new_name else ".")


def _delete(client: ForumClient, user: ForumUser, data: dict[str, Any]) -> str:
    posts = bool(data.get("delete_posts"))
    client.delete_user(
        user_id=user.id,
        delete_posts=posts,
        block_email=bool(data.get("block_email")),
        block_ip=bool(data.get("block_ip")),
    )
    return f"{user.username} is deleted" + (" with their posts." if posts else ".")


def _penalised(kind: Penalty) -> Callable[[ForumUser], bool]:
    return lambda user: user.penalised(kind)


def _unpenalised(kind: Penalty) -> Callable[[ForumUser], bool]:
    return lambda user: not user.penalised(kind)


def _penalty_actions(client_cls: type[ForumClient]) -> list[UserAction]:
    actions = []
    for kind in Penalty:
        words = client_cls.penalty_words(kind)
        actions += [
            UserAction(words.verb.lower(), words.verb, kind.capability, False, PenaltyForm,
                       _penalise(kind, words.done), penalty=kind,
                       fits=_unpenalised(kind)),
            UserAction(words.lift.lower(), words.lift, kind.capability, False, None,
                       _lift(kind, words.done), penalty=kind,
                       fits=_penalised(kind)),
        ]  # fmt: skip
    return actions


_OTHER_ACTIONS: tuple[UserAction, ...] = (
    UserAction("log_out", "Log out everywhere", Capability.USER_LOG_OUT, False, None,
               _call("log_out", "{username} is logged out of every session.")),
    UserAction("trust_level", "Set trust level", Capability.USER_TRUST_LEVEL, False,
               TrustLevelForm, _trust_level),
    UserAction("approve", "Approve", Capability.USER_APPROVE, False, None,
               _call("approve_user", "{username} is approved."),
               # Only where the forum says accounts wait for approval and this one does.
               fits=lambda user: user.approved is False and user.active),
    UserAction("activate", "Activate", Capability.USER_ACTIVATE, False, None,
               _call("activate_user", "{username} is activated."),
               fits=lambda user: not user.active),
    UserAction("deactivate", "Deactivate", Capability.USER_ACTIVATE, False, None,
               _call("deactivate_user", "{username} is deactivated."),
               fits=lambda user: user.active),
    UserAction("anonymize", "Anonymize", Capability.USER_ANONYMIZE, True, ConfirmForm,
               _anonymize),
    UserAction("delete", "Delete", Capability.USER_DELETE, True, DeleteForm, _delete,
               unless=Capability.USER_DELETE_CONTENT, reread=False),
    # Forums that delete an account and its content separately (NodeBB).
    UserAction("delete_account", "Delete account (keep posts)", Capability.USER_DELETE_CONTENT,
               True, ConfirmForm,
               _call("delete_user", "{username}'s account is deleted; their posts stay.",
                     delete_posts=False),
               reread=False),
    UserAction("delete_content", "Delete posts (keep account)", Capability.USER_DELETE_CONTENT,
               True, ConfirmForm,
               _call("delete_content", "Everything {username} posted is deleted.")),
    UserAction("delete_both", "Delete account and posts", Capability.USER_DELETE_CONTENT, True,
               ConfirmForm,
               _call("delete_user", "{username} is deleted with everything they posted.",
                     delete_posts=True),
               reread=False),
)  # fmt: skip


def actions_for(
    client_cls: type[ForumClient], extra: Collection[Capability] = frozenset()
) -> list[UserAction]:
    """The actions this forum offers, in display order (``extra``: see offered_by)."""
    every = _penalty_actions(client_cls) + list(_OTHER_ACTIONS)
    return [action for action in every if action.offered_by(client_cls, extra)]


def actions_fitting(
    client_cls: type[ForumClient], user: ForumUser, extra: Collection[Capability] = frozenset()
) -> list[UserAction]:
    """The actions this forum offers that make sense for ``user`` as read now: no Unsuspend on
    an account that is not suspended, no Approve on an approved one."""
    return [action for action in actions_for(client_cls, extra) if action.fits(user)]


def find_action(
    client_cls: type[ForumClient], key: str, extra: Collection[Capability] = frozenset()
) -> UserAction | None:
    return next((a for a in actions_for(client_cls, extra) if a.key == key), None)
