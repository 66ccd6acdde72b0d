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
        "waiting": selectors.changes_waiting_for_confirmation(),
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
            messages.success(
                request,
                f"Created {user.get_username()}. Until a second Admin confirms it, the account "
                "approves nothing for a while.",
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
        "waiting_ids": set(
            selectors.changes_waiting_for_confirmation()
            .filter(user=person)
            .values_list("pk", flat=True)
        ),
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
            messages.success(
                request, f"Saved {person.get_username()}." if changes else "Nothing changed."
            )
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
            messages.success(request, f"Set a new password for {person.get_username()}.")
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
        messages.success(request, f"Confirmed: {change.user.get_username()}, {change.summary}.")
    if request.POST.get("next") == "list":
        return redirect("forums:account-list")
    return redirect("forums:account-detail", pk=change.user_id)


@method_decorator(as_account_holder(), name="form_valid")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's own password change, recorded as the holder's change to their account."""


@method_decorator(as_account_holder(), name="form_valid")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset from an e-mailed link, recorded as the holder's change too."""
