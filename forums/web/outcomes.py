"""The answer to a change a person asked for (``forums.core.outcomes.ChangeOutcome``): one
way for every page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from forums.core.outcomes import ChangeOutcome
from forums.models import BulkAction


def proposed_or_done(
    request: HttpRequest, outcome: ChangeOutcome, form: forms.Form, done_url: str
) -> HttpResponse | None:
    """Proposed as a bulk action: to its page. Done: to ``done_url``. Both with the outcome's
    message. Refused: the message on the form, and None (the caller draws the form again)."""
    if outcome.action is not None:
        messages.success(request, outcome.message)
        return redirect("forums:bulk-detail", pk=outcome.action.pk)
    if outcome.ok:
        messages.success(request, outcome.message)
        return redirect(done_url)
    form.add_error(None, outcome.message)
    return None


def planning_proposed(request: HttpRequest, action: BulkAction) -> HttpResponse:
    """A bulk action just proposed from a page: to its page, saying what happens next."""
    messages.success(
        request,
        f"Proposed bulk action #{action.pk}. Forumdeck is planning it now; then another "
        "person approves it.",
    )
    return redirect("forums:bulk-detail", pk=action.pk)
