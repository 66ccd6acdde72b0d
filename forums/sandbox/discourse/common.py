"""What every part of the sandbox Discourse shares: its constants, limits and response helpers."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core import SlidingWindowLimiter, json_response

Stamp = tuple[SlidingWindowLimiter, float]

# The sandbox is for tests and demos: werkzeug's one line per request is noise there.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

AVATAR = "/letter_avatar_proxy/v4/letter/{initial}/8c91f0/{{size}}.png"
MEMBERS_LIMIT = 1000  # GroupsController: members `limit` cap and ADD_MEMBERS_LIMIT
TOPICS_PER_PAGE = 30
USERS_PER_PAGE = 100
GROUPS_PER_PAGE = 36
REVIEW_PER_PAGE = 10
TRUST_LEVEL_NAMES = {"newuser": 0, "basic": 1, "member": 2, "regular": 3, "leader": 4}
BULK_OPERATIONS = {
    "change_category", "close", "archive", "unlist", "relist", "delete",
    "change_notification_level", "reset_read", "dismiss_posts", "archive_messages",
    "move_messages_to_inbox", "change_tags", "append_tags",
}  # fmt: skip
MAX_STAFF_DELETE_POST_COUNT = 5  # User::MAX_STAFF_DELETE_POST_COUNT
MAX_FILTER_TERMS = 100  # AdminUserIndexQuery::MAX_FILTER_TERMS
FILTER_SPLIT = re.compile(r"[,\s]+")  # AdminUserIndexQuery::FILTER_SPLIT_REGEX
PENALTY_REASON_MAX = 300  # User::Suspend / User::Silence: reason length maximum
EVENTS_MAX_LIMIT = 200
ICS_MAX_OCCURRENCES = 500
INVALID_ACCESS = (
    "You are not permitted to view the requested resource. The API username or key is invalid."
)
# What a guardian refusal says to a valid key (e.g. suspending or anonymizing staff).
NOT_PERMITTED = "You are not permitted to view the requested resource."
NOT_FOUND = "The requested URL or resource could not be found."
# The wording of these I18n strings is paraphrased (config/locales/server.en.yml is not quoted);
# their keys and where they appear are the source's.
CANNOT_BULK_DELETE = "Some of the selected users cannot be deleted."  # user.cannot_bulk_delete
# Routes behind AdminConstraint in config/routes.rb (the rest of /admin is StaffConstraint).
ADMIN_ONLY_ENDPOINTS = frozenset(
    {"user_log_out", "group_create", "group_delete", "backups_list", "backup_create",
     "backups_status", "backup_send_link", "backup_cancel", "web_hooks_list", "web_hook_show",
     "web_hook_create", "web_hook_update", "web_hook_delete"}
)  # fmt: skip
BACKUP_ENDPOINTS = frozenset({"backups_list", "backup_create", "backups_status",
                              "backup_send_link", "backup_cancel"})  # fmt: skip


def iso(value: datetime | None) -> str | None:
    """Discourse's timestamp format: ``2024-05-01T10:00:00.000Z``."""
    if value is None:
        return None
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def error(status: int, message: str, error_type: str = "invalid_parameters", **extra) -> Response:
    return json_response({"errors": [message], "error_type": error_type, **extra}, status)


def json_error(message: str, status: int = 422) -> Response:
    """``render_json_error(message)``: the errors list alone, no ``error_type``."""
    return json_response({"errors": [message]}, status)


def invalid_params(name: str) -> Response:
    """``Discourse::InvalidParameters.new(name)``, as ApplicationController renders it."""
    return error(400, f"You supplied invalid parameters to the request: {name}")


def invalid_access(message: str = NOT_PERMITTED) -> Response:
    # ENDPOINTS.md "Rules" / error shapes: guardian refusals are 403 {errors, error_type}
    return error(403, message, "invalid_access")


def failed(status: int, **fields: Any) -> Response:
    # ENDPOINTS.md "Rules" / error shapes: contract errors are 400 {failed:"FAILED", errors}
    return json_response({"failed": "FAILED", **fields}, status)


def server_error() -> Response:
    """An exception the controller does not rescue: Rails' own 500 for a JSON request."""
    return json_response({"status": 500, "error": "Internal Server Error"}, 500)


def is_present(value: Any) -> bool:
    """Ruby's ``present?``: nil, false, empty and whitespace-only strings are blank."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict):
        return bool(value)
    return True


def ruby_to_s(value: Any) -> str:
    """``value.to_s`` as Ruby prints it (an Array becomes its inspect form)."""
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in value) + "]"
    return "" if value is None else str(value)


def active_record_int(text: str) -> int | None:
    """How ActiveRecord casts a string id in ``where(id: ...)``: a leading integer, else nil."""
    match = re.match(r"\s*([+-]?\d+)", text)
    return int(match.group(1)) if match else None


def _set_nested(target: dict, key: str, value: Any) -> None:
    """Rails-style form keys: ``group[name]``, ``user_ids[]``, ``operation[tags][]``."""
    parts = re.findall(r"[^\[\]]+|\[\]", key)
    node = target
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        following = parts[index + 1] if not last else None
        if last:
            node[part] = value
        elif following == "[]":
            node.setdefault(part, []).extend(value if isinstance(value, list) else [value])
            return
        else:
            node = node.setdefault(part, {})


def params_of(request: Request) -> dict[str, Any]:
    """Query string, form fields and a JSON body merged, as Rails' ``params`` would."""
    merged: dict[str, Any] = {}
    for source in (request.args, request.form):
        for key in source:
            values = source.getlist(key)
            _set_nested(merged, key, values if key.endswith("[]") else values[-1])
    if request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            merged.update(body)
    return merged


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1", "on"))


def comma_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str | int):
        return [v.strip() for v in str(value).split(",") if v.strip()]
    return []
