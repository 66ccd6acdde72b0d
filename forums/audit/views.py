"""The audit log: every change sent to a forum, with filters, links and a CSV export."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from forums.models import AuditEntry
from forums.web import HtmxHttpRequest, render_page, requires
from forums.web.exports import csv_response
from forums.web.paging import CappedPaginator

from . import selectors
from .forms import AuditFilterForm


def _filtered(
    request: HtmxHttpRequest,
) -> tuple[AuditFilterForm, dict, QuerySet[AuditEntry]]:
    form = AuditFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.audit_list(
        actor_id=filters.get("actor"),
        connection_id=filters.get("forum"),
        action=filters.get("action") or "",
        query=(filters.get("q") or "").strip(),
        since=filters.get("since"),
        until=filters.get("until"),
    ).select_related("actor")
    return form, filters, entries


# Counted up to here ("more than 10,000 entries"): a long log is never counted whole.
COUNT_CAP = 10_000


@require_GET
@requires("view_auditentry")
def audit_list(request: HtmxHttpRequest) -> HttpResponse:
    form, filters, entries = _filtered(request)
    page = CappedPaginator(entries, 50, cap=COUNT_CAP).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": selectors.audit_rows(page.object_list),
        "filters": filters,
        "filtered": any(
            filters.get(k) for k in ("actor", "forum", "action", "q", "since", "until")
        ),
        "choices": selectors.audit_filter_choices(
            forum_id=filters.get("forum"), action=filters.get("action") or ""
        ),
        "query": query.urlencode(),
    }
    return render_page(request, "audit/audit_list.html", context, partial="audit-table")


@require_GET
@requires("view_auditentry")
def audit_csv(request: HtmxHttpRequest) -> StreamingHttpResponse:
    """The filtered log as CSV: times in ISO 8601 with the viewer's offset."""
    _form, _filters, entries = _filtered(request)
    header = ["when", "who", "proposed_by", "approved_by", "forum", "action", "action_id",
              "target", "outcome", "message"]  # fmt: skip

    def rows():
        chunk: list = []
        for entry in entries.iterator(chunk_size=1000):
            chunk.append(entry)
            if len(chunk) == 1000:
                yield from _rows(chunk)
                chunk = []
        yield from _rows(chunk)

    def _rows(chunk: list):
        for row in selectors.audit_rows(chunk):
            entry = row.entry
            yield (
                timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
                entry.actor_name or "Forumdeck",
                row.proposed_by,
                row.approved_by,
                entry.connection_name,
                row.label,
                entry.action,
                entry.target,
                entry.get_outcome_display(),
                row.message,
            )

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csv_response(f"forumdeck-audit-{stamp}", header, rows())
