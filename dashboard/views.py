from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from forums.connections import selectors

from .services import worker_last_heartbeat


@require_GET
@permission_required("forums.view_forumconnection", raise_exception=True)
def overview(request: HttpRequest) -> HttpResponse:
    heartbeat = worker_last_heartbeat()
    stale_after = timedelta(
        seconds=max(settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]["schedule"] * 4, 120)
    )
    context = {
        "connections": selectors.connection_list(enabled_only=True),
        "disabled_count": selectors.connection_list().filter(enabled=False).count(),
        "heartbeat": heartbeat,
        "worker_stale": heartbeat is None or timezone.now() - heartbeat > stale_after,
    }
    return render(request, "dashboard/overview.html", context)
