"""People & roles: Forumdeck's accounts, their roles, and confirming each other's changes."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from forums.models import AccountChange
from forums.web import HtmxHttpRequest, render_page, requires

from . import selectors, services
from .forms import AccountCreateForm, AccountPasswordForm, AccountRolesForm, AccountSearchForm
from .recording import as_account_holder
from .second_factor import second_factor_required


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@require_GET
@requires("auth.view_user")
@second_factor_required
def account_list(request: HtmxHttpRequest) -> HttpResponse:
    search = AccountSearchForm(request.GET)
    q = search.cleaned_data.get("q", "").strip() if search.is_valid() else ""
    page = Paginator(selectors.account_list(search=q), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "query": urlencode({"q": q}) if q else "",
        "pending": _pending_for(request.user, selectors.pending_changes()),
    }
    return render_page(request, "accounts/account_list.html", context, partial="account-table")


@require_http_methods(["GET", "POST"])
@requires("auth.add_user")
@second_factor_required
def account_create(request: HtmxHttpRequest) -> HttpResponse:
    form = AccountCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.account_create(
                actor=request.user,
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                roles=data["roles"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            waiting = selectors.pending_changes().filter(user=user).exists()
            messages.success(
                request,
                f"Created {user.get_username()}."
                + (
                    f" {', '.join(r for r in data['roles'] if r in services.PRIVILEGED)} "
                    f"{services.WAITS}."
                    if waiting
                    else ""
                ),
            )
            return redirect("forums:account-detail", pk=user.pk)
    return render_page(request, "accounts/account_form.html", {"form": form})


def _detail(request: HtmxHttpRequest, person, roles_form=None, password_form=None):
    changes = selectors.account_changes(user=person)
    context = {
        "person": person,
        "roles": [g.name for g in person.groups.all()],
        "roles_form": roles_form
        or AccountRolesForm(
            initial={
                "roles": [g.name for g in person.groups.all()],
                "is_active": person.is_active,
            }
        ),
        "password_form": password_form or AccountPasswordForm(),
        "changes": Paginator(changes, 25).get_page(request.GET.get("page")),
        "own": person.pk == request.user.pk,
        "pending": _pending_for(request.user, selectors.pending_changes().filter(user=person)),
    }
    return render_page(request, "accounts/account_detail.html", context)


@require_GET
@requires("auth.view_user")
@second_factor_required
def account_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_object_or_404(get_user_model(), pk=pk))


@require_POST
@requires("auth.change_user")
@second_factor_required
def account_roles(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=pk)
    form = AccountRolesForm(request.POST)
    if form.is_valid():
        try:
            changes = services.account_update(
                actor=request.user,
                user=person,
                roles=form.cleaned_data["roles"],
                is_active=form.cleaned_data["is_active"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            waits = [c for c in changes if c.state == AccountChange.State.PENDING]
            text = f"Saved {person.get_username()}." if changes else "Nothing changed."
            if waits:
                text += " " + "; ".join(c.summary for c in waits) + f": {services.WAITS}."
            messages.success(request, text)
            return redirect("forums:account-detail", pk=person.pk)
    return _detail(request, person, roles_form=form)


@require_POST
@requires("auth.change_user")
@second_factor_required
def account_password(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=pk)
    form = AccountPasswordForm(request.POST)
    if form.is_valid():
        try:
            services.account_set_password(
                actor=request.user, user=person, password=form.cleaned_data["password1"]
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                f"The new password for {person.get_username()} {services.WAITS}; until then "
                "the old one works.",
            )
            return redirect("forums:account-detail", pk=person.pk)
    return _detail(request, person, password_form=form)


@require_POST
@requires("forums.confirm_accountchange")
@second_factor_required(recent=True)
def account_change_confirm(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(AccountChange, pk=pk)
    try:
        services.account_change_confirm(actor=request.user, change=change)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"Confirmed: {change.user.get_username()}, {change.summary}. In effect now."
        )
    return _back(request, change)


@require_POST
@requires("forums.confirm_accountchange")
@second_factor_required
def account_change_decline(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(AccountChange, pk=pk)
    try:
        services.account_change_decline(actor=request.user, change=change)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Declined: {change.user.get_username()}, {change.summary}.")
    return _back(request, change)


def _back(request: HtmxHttpRequest, change: AccountChange) -> HttpResponse:
    if request.POST.get("next") == "list":
        return redirect("forums:account-list")
    return redirect("forums:account-detail", pk=change.user_id)


def _pending_for(viewer, changes) -> list[AccountChange]:
    """Pending grants, each with why this viewer may not confirm it ("" when they may)."""
    rows = list(changes)
    for change in rows:
        change.refusal = selectors.may_answer(change, viewer)
    return rows


@require_GET
@requires("axes.view_accessattempt")
@second_factor_required
def lockout_list(request: HtmxHttpRequest) -> HttpResponse:
    """Sign-in lockouts (django-axes), each with its own Unlock button."""
    return render_page(request, "accounts/lockouts.html", {"locked": selectors.locked_out()})


@require_POST
@requires("axes.delete_accessattempt")
@second_factor_required
def lockout_unlock(request: HtmxHttpRequest) -> HttpResponse:
    username = request.POST.get("username", "").strip()
    if not username:
        messages.error(request, "Choose an account to unlock.")
    else:
        services.account_unlock(actor=request.user, username=username)
        messages.success(request, f"Unlocked {username}: they can sign in again now.")
    return redirect("forums:lockout-list")


@method_decorator(as_account_holder(), name="form_valid")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's own password change, recorded as the holder's change to their account."""


@method_decorator(as_account_holder(), name="form_valid")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset from an e-mailed link, recorded as the holder's change too."""
