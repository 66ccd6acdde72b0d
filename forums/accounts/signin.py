"""The sign-in page's form and django-allauth's account rules for Forumdeck.

Local accounts sign in with a username and a password (django-axes counts the failures, as
allauth's login calls ``authenticate()``); nobody signs up (Admins create local accounts in
People & roles, and people of the organisation's identity provider get theirs at their first
sign-in, see ``oidc.py``).
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import LoginForm
from allauth.core import context
from django.http import HttpRequest


class SignInForm(LoginForm):
    """allauth's login form with the username posted as ``username`` (Django's name for it,
    which django-axes reads when it says who is locked out, and which scripts and password
    managers already use)."""

    def __init__(self, *args, **kwargs) -> None:
        data = kwargs.get("data", args[0] if args else None)
        if data is not None and "username" in data and "login" not in data:
            data = data.copy()
            data["login"] = data["username"]
            if args:
                args = (data, *args[1:])
            else:
                kwargs["data"] = data
        super().__init__(*args, **kwargs)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """No sign-up form: an Admin creates local accounts (People & roles)."""
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """allauth asks "confirm it's you" (password or second factor) before second factors
        change. A person who signs in only through the identity provider and has no second
        factor yet has nothing to confirm with: they set up their first one right after
        signing in, instead of being refused."""
        required = super().is_reauthentication_required(app=app, **kwargs)
        request = getattr(context, "request", None)
        user = getattr(request, "user", None)
        if required and user is not None and user.is_authenticated:
            return bool(self.get_reauthentication_methods(user))
        return required
