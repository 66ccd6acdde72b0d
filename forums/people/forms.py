"""People: the search form and the small form each single action asks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from forums.clients import ForumClient
from forums.clients.records import Capability, ForumUser, Penalty
from forums.web.confirm import confirm_field
from forums.web.durations import UntilField
from forums.web.forms import FleetSearchForm

from .selectors import STATUSES

REASON_MAX_LENGTH = 300
MESSAGE_MAX_LENGTH = 2000


class SearchForm(FleetSearchForm):
    q = forms.CharField(label="Username or e-mail", required=False, max_length=200)
    status = forms.ChoiceField(label="Status", required=False, choices=list(STATUSES.items()))


def reason_field(*, required: bool, max_length: int | None = None) -> forms.CharField:
    limit = min(max_length or REASON_MAX_LENGTH, REASON_MAX_LENGTH)
    return forms.CharField(
        label="Reason",
        required=required,
        max_length=limit,
        widget=forms.TextInput(attrs={"maxlength": limit}),
    )


class ActionForm(forms.Form):
    """Base of every action form.

    ``username`` (hidden) is the account's name as the page showed it: it names the account in
    messages and is what a destructive action's ``confirm`` must repeat. Built for one forum's
    client class (``client_cls``), whose capabilities and rules shape the fields.
    """

    username = forms.CharField(required=False, max_length=255, widget=forms.HiddenInput)
    confirm_required = False

    def __init__(
        self,
        *args: Any,
        client_cls: type[ForumClient],
        user: ForumUser | None = None,
        penalty: Penalty | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.client_cls = client_cls
        self.user = user
        self.penalty = penalty
        if user is not None:
            self.fields["username"].initial = user.username
        if self.confirm_required:
            # The phrase to type is shown up front, in the label; site.js keeps the red button
            # disabled until it is typed (without JavaScript the server checks the same).
            phrase = self._expected_username()
            self.fields["confirm"] = confirm_field(
                phrase,
                label=f"Type {phrase} to confirm" if phrase else "Type the username to confirm",
            )

    def _expected_username(self) -> str:
        if self.user is not None:
            return self.user.username
        if self.is_bound:
            return str(self.data.get("username") or "").strip()
        return ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data  # None keeps cleaned_data
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


class PenaltyForm(ActionForm):
    """Suspend / ban, silence / mute: shaped by the forum's rules for that penalty."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assert self.penalty is not None, "PenaltyForm needs the penalty it puts on"
        rules = self.client_cls.penalty_rules[self.penalty]
        words = self.client_cls.penalty_words(self.penalty)
        until_help = None
        if not rules.permanent_allowed:
            until_help = f"{self.client_cls.software} has no permanent {words.verb.lower()}."
        elif not rules.until_required:
            until_help = f"Leave empty to {words.verb.lower()} permanently."
        self.fields["until"] = UntilField(
            label="Until",
            required=rules.until_required,
            permanent_allowed=rules.permanent_allowed,
            extra_help=until_help,
        )
        self.fields["reason"] = reason_field(
            required=rules.reason_required, max_length=rules.reason_max_length
        )
        if rules.sends_message:
            self.fields["message"] = forms.CharField(
                label="Message to the user",
                required=False,
                max_length=MESSAGE_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=f"Optional. {self.client_cls.software} e-mails it to the user.",
            )


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


class DeleteForm(ActionForm):
    """Delete an account, optionally with its posts and (where offered) blocking it."""

    confirm_required = True

    # Off by default: deleting an account is enough for most cases, and posts are the part
    # that cannot be had back.
    delete_posts = forms.BooleanField(
        label="Delete their posts too",
        required=False,
        initial=False,
        help_text="Off: only the account is deleted. A forum may refuse to delete an account "
        "that has posts without them, and says so.",
    )
    block_email = forms.BooleanField(label="Block their e-mail address", required=False)
    block_ip = forms.BooleanField(label="Block their IP address", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.client_cls.supports(Capability.USER_DELETE_BLOCK):
            del self.fields["block_email"]
            del self.fields["block_ip"]
        # A forum that decides itself what becomes of the posts (UserEcho) says so instead.
        note = self.client_cls.words.extra.get("delete_user")
        if note:
            del self.fields["delete_posts"]
            self.fields["confirm"].help_text = f"{note} This cannot be undone."


class NewAccountsForm(forms.Form):
    """Accounts new on every forum: how far back, in hours."""

    hours = forms.IntegerField(
        label="Joined in the last", min_value=1, max_value=24 * 31, initial=24, required=False,
        help_text="hours", widget=forms.NumberInput(attrs={"size": 4}),
    )  # fmt: skip


class SharedForm(forms.Form):
    """Accounts on several forums that share an e-mail domain or a registration address."""

    trait = forms.ChoiceField(
        label="Sharing",
        choices=[("domain", "an e-mail domain"), ("ip", "a registration address")],
        initial="domain", required=False,
    )  # fmt: skip
    common = forms.BooleanField(
        label="Include common mail services (gmail.com and the like)", required=False
    )
