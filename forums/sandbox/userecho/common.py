"""What every part of the sandbox UserEcho shares: its constants, limits and response helpers."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..core import SandboxConfig

# werkzeug logs every request at INFO through this logger; the sandbox stays quiet.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

API = "/api/v2"
# Routes that only the later reference page lists (ENDPOINTS.md trap 10 [D vs D]): served only
# when named in ``UserEchoSandboxConfig.later_routes``.
LATER_ROUTES = frozenset(
    {
        "user_update",
        "user_delete",
        "user_subscriptions",
        "user_group",
        "forum_update",
        "type_statuses",
    }
)
# 1.5 [I]: the HTTP codes of errors are undocumented; these are the plausible 4xx ones, used
# unless ``error_http_status="200"`` answers every error with 200 and `status:"error"`.
ERROR_CODES = {"invalid": 400, "auth": 401, "scope": 403, "not_found": 404, "method": 405}
DEFAULT_LIMIT = 50  # 1.4 [D] "The default is 50 records"
FILTER_CONDITIONS = ("in", "gt", "gte", "lt", "lte", "contains", "icontains")  # 1.4 [D]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ANONYMOUS_ID = 0  # 1.2 [D] SEED:117 "For an Anonymous user set user_id to 0"


@dataclass
class UserEchoSandboxConfig(SandboxConfig):
    """``api_key`` is the project's API token; ``api_username`` the id of its own user."""

    api_key: str = "sandbox-key"
    api_username: str = "1"
    users: int = 80  # more than one page of 50
    title: str = "Sandbox UserEcho"
    alias: str = "sandbox"  # the project alias in https://{alias}.userecho.com (1.1 [D])
    # 1.2 [D]/[C]: scopes are a subset of read, write and all ("manage" is the same as "all").
    token_scopes: tuple[str, ...] = ("read", "write", "all")
    # More tokens: token -> {"user_id": int, "scopes": [...]}, e.g. a read-only token.
    extra_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    # 1.2 [D] `?access_token=`; [C] CS:25 `Authorization: Bearer`; [I] accept both.
    accept_query_token: bool = True
    accept_bearer: bool = True
    # 1.5 [I]: "4xx" answers errors with a plausible 4xx, "200" with 200 and status "error".
    error_http_status: str = "4xx"
    # 1.3 [D] INTRO says "error"; [C] PHP:93 checks "fail" (trap 12).
    failure_word: str = "error"
    # trap 10: which later-reference routes exist (names from LATER_ROUTES).
    later_routes: Iterable[str] = frozenset()
    # trap 7 [D] for the user_id parameter; [I] whether an unknown user id *in the path*
    # (users/{id}, users/{id}/logout, ...) also answers / acts on the token's own user.
    path_user_fallback: bool = True
    # trap 14: "both" names, "reference" (name, comment_count, vote, text: the names of the
    # docs' object examples and DA's comment body) or "alternate" (display_name,
    # comments_count, votes, comment: INTRO's list sample, DA, the export files).
    field_names: str = "both"
    # trap 15 [C] DA:205-242: topic status/type as "object", "id", or "per_forum" (legacy
    # forums answer ids, newer ones objects).
    status_shape: str = "per_forum"
    details: bool = True  # 1.3 [D] details "may be available"; trap 17: may be missing
    max_limit: int = 100  # 1.4 [D] max undocumented; [C] DA uses 100; larger limits are capped
    # trap 16 [C] DA:393: server filters may be unreliable; these filter fields are ignored.
    ignored_filters: Iterable[str] = frozenset()
    # 4.1 [I] "A topic's `tags` may come back as names": how a topic answers its tags,
    # "objects" ({id, name}), "ids" or "names" (no source settles it).
    topic_tags: str = "objects"
    # trap 2 [I]: whether a topic carries its `forum_id` ([C] export JCO:118-167).
    topic_forum_field: bool = True
    # 3.2 [I] "Review queue (approve) not documented": whether PUT topics honours needs_review.
    put_needs_review: bool = False
    trial_plan: bool = False  # 1.5 / X1 [D] uploads are not available on a trial plan
    # trap 22 [I] "Does deleting a user remove or anonymise their content?": anonymise|remove
    deleted_user_content: str = "anonymise"
    requests_per_minute: int = 0  # 1.5 [I] no documented limit: 0 = none; else 429
    demo_people: bool = True  # the demo's people shared across forums have accounts here


def _now() -> datetime:
    return datetime.now(UTC)


# --- helpers --------------------------------------------------------------------------------
def _scopes(values: Iterable[str]) -> frozenset[str]:
    # 1.2 [I]: "all" in the reference is the "manage" permission of AMEMBER and CS.
    return frozenset("all" if v == "manage" else v for v in values)


def _allowed(needed: str, scopes: frozenset[str]) -> bool:
    """[I] scopes nest: all > write > read; "write, all" rows accept either (2.4)."""
    if needed == "read":
        return bool(scopes & {"read", "write", "all"})
    if needed == "write":
        return bool(scopes & {"write", "all"})
    return "all" in scopes


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _avatar(seed: str) -> str:
    digest = hashlib.md5(seed.lower().encode()).hexdigest()  # noqa: S324 - Gravatar's scheme
    return f"https://www.gravatar.com/avatar/{digest}?d=identicon"


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, list):
        return (1, len(value))
    return (1, value)


def _coerce(current: Any, raw: str) -> Any:
    """A query-string value read as the type of the field it is compared with."""
    if isinstance(current, bool):
        if raw.lower() in ("1", "true"):
            return True
        if raw.lower() in ("0", "false"):
            return False
        raise ValueError(raw)
    if isinstance(current, int | float | list):
        return float(raw) if "." in raw else int(raw)
    return raw


def _matches(current: Any, cond: str, raw: str) -> bool:
    """SEED:89-104 [D]: equality, in, gt/gte/lt/lte, contains (case-sensitive), icontains.
    Dates compare as ISO strings, so a plain date works against full timestamps."""
    if cond == "in":
        wanted = [_coerce(current, part.strip()) for part in raw.split(",") if part.strip()]
        if isinstance(current, list):
            return any(w in current for w in wanted)
        return current in wanted
    if cond in ("contains", "icontains"):
        text = "" if current is None else str(current)
        return raw.lower() in text.lower() if cond == "icontains" else raw in text
    if current is None:
        return raw.lower() in ("", "null", "none") and cond == "eq"
    value = _coerce(current, raw)
    if isinstance(current, list):
        return value in current if cond == "eq" else False
    if cond == "eq":
        return current == value
    return {
        "gt": current > value,
        "gte": current >= value,
        "lt": current < value,
        "lte": current <= value,
    }[cond]
