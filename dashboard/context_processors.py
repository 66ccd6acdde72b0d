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
    }
