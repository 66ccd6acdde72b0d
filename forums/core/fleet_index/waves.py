"""Beyond search, from the index alone (the spam-wave starting points): accounts new on every
forum in the last hours, and e-mail domains or registration addresses that accounts on more
than one forum share. Reads only; no forum is asked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db.models import Count, F, QuerySet, Value
from django.db.models.functions import Lower, StrIndex, Substr

from forums.models import IndexedAccount

# Mail services so many people use that sharing one says nothing; left out unless asked.
COMMON_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
    "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de",
    "web.de", "mail.ru", "yandex.ru", "qq.com", "163.com", "msn.com",
})  # fmt: skip
TRAITS = {"domain": "e-mail domain", "ip": "registration address"}


def accounts_joined_since(
    *, since: datetime, connection_ids: Sequence[int]
) -> QuerySet[IndexedAccount]:
    """Accounts that joined at or after ``since`` on these forums, newest first."""
    return (
        IndexedAccount.objects.filter(connection_id__in=list(connection_ids), joined_at__gte=since)
        .select_related("connection")
        .order_by("-joined_at", "connection_id", "forum_id")
    )


def _with_trait(trait: str, connection_ids: Sequence[int]) -> Any:
    """The accounts with a ``trait`` column: their e-mail domain or registration address."""
    rows = IndexedAccount.objects.filter(connection_id__in=list(connection_ids))
    if trait == "ip":
        return rows.exclude(registration_ip=None).annotate(trait=F("registration_ip"))
    if trait != "domain":
        raise ValueError(f"unknown trait {trait!r}")
    at = StrIndex("email", Value("@"))
    return rows.filter(email__contains="@").annotate(trait=Lower(Substr("email", at + 1)))


def shared_traits(
    *, trait: str, connection_ids: Sequence[int], common_domains: bool = False
) -> QuerySet:
    """Each domain (``trait="domain"``) or registration address (``"ip"``) that accounts on at
    least two of these forums share: ``{"trait", "forums", "accounts"}``, the most forums first."""
    rows = _with_trait(trait, connection_ids)
    if trait == "domain" and not common_domains:
        rows = rows.exclude(trait__in=COMMON_MAIL_DOMAINS)
    return (
        rows.values("trait")
        .annotate(forums=Count("connection", distinct=True), accounts=Count("pk"))
        .filter(forums__gte=2)
        .order_by("-forums", "-accounts", "trait")
    )


def accounts_sharing(
    *, trait: str, value: str, connection_ids: Sequence[int]
) -> QuerySet[IndexedAccount]:
    """The accounts of these forums with this e-mail domain or registration address."""
    return (
        _with_trait(trait, connection_ids)
        .filter(trait=value.strip().lower())
        .select_related("connection")
        .order_by("connection__name", "username")
    )
