"""The audit log: every change sent to a forum, with filters."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from forums.web import HtmxHttpRequest, render_page, requires

from . import selectors
from .forms import AuditFilterForm


@require_GET
@requires("view_auditentry")
def audit_list(request: HtmxHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.audit_list(
        actor_id=filters.get("actor"),
        connection_id=filters.get("forum"),
        action=filters.get("action") or "",
    ).select_related("actor")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "choices": selectors.audit_filter_choices(),
        "query": query.urlencode(),
    }
    return render_page(request, "audit/audit_list.html", context, partial="audit-table")
