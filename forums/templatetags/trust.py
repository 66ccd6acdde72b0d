"""``{% nobody_can_approve_notice %}``: on a page whose form turns into a bulk action (groups,
tags), say before proposing when nobody could approve what this person proposes, and what to
do (see forums.accounts.independence)."""

from __future__ import annotations

from django import template

from forums.accounts.independence import nobody_can_approve

register = template.Library()


@register.inclusion_tag("bulk/_nobody_can_approve.html", takes_context=True)
def nobody_can_approve_notice(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm("forums.propose_bulkaction"):
        return {"notice": ""}
    return {"notice": nobody_can_approve(user, viewer=user)}
