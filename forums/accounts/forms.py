from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation

from .services import ROLES

_ROLE_HELP = (
    "Viewer reads; Moderator acts on single people and proposes bulk actions; Approver "
    "approves what someone else proposed; Admin manages forums and accounts. Superusers are "
    "made only on the command line."
)


def _role_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label="Roles",
        choices=[(r, r) for r in ROLES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_ROLE_HELP,
    )


class _PasswordPair(forms.Form):
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        data = super().clean() or self.cleaned_data  # None keeps cleaned_data
        if data.get("password1") and data.get("password2") != data.get("password1"):
            self.add_error("password2", "The two passwords differ.")
        return data


class AccountCreateForm(_PasswordPair):
    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    roles = _role_field()

    field_order = ["username", "email", "roles", "password1", "password2"]


class AccountRolesForm(forms.Form):
    roles = _role_field()
    is_active = forms.BooleanField(
        label="May sign in",
        required=False,
        help_text="Deactivate instead of deleting: what a person did stays in the audit log.",
    )


class AccountPasswordForm(_PasswordPair):
    pass


class AccountSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
