from __future__ import annotations

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_can_view_connections": user.has_perm("forums.view_forumconnection"),
        "nav_can_manage_connections": user.has_perm("forums.change_forumconnection"),
        "nav_can_view_audit": user.has_perm("forums.view_auditentry"),
        "nav_can_view_bulk": user.has_perm("forums.view_bulkaction"),
        "nav_bulk_waiting": _waiting_for(user),
    }


def _waiting_for(user) -> int:
    """Bulk actions this person could approve now (never their own)."""
    if not user.has_perm("forums.approve_bulkaction"):
        return 0
    from forums.models import BulkAction

    return (
        BulkAction.objects.filter(state=BulkAction.State.PENDING_APPROVAL)
        .exclude(proposed_by=user)
        .count()
    )
