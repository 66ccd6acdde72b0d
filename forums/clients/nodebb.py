"""NodeBB: `Authorization: Bearer`, write API under /api/v3, read API under /api/ (see
shared/specs/nodebb). A master token acts as the uid in ``api_username`` via ``_uid``."""

from __future__ import annotations

from typing import Any

import requests

from .base import BaseClient
from .errors import ForumError, ForumUnauthorized
from .records import Capability, HealthReport


class NodeBBClient(BaseClient):
    platform = "nodebb"
    software = "NodeBB"
    capabilities = frozenset(
        {
            Capability.USER_SEARCH,
            Capability.USER_BAN,
            Capability.USER_MUTE,
            Capability.USER_DELETE,
            Capability.USER_DELETE_CONTENT,
            Capability.USER_BULK_DELETE,
            Capability.GROUPS,
            Capability.TAGS,
            Capability.TOPIC_RETAG,
            Capability.REVIEW_QUEUE,
        }
    )

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"}

    def request(self, method: str, path: str, *, params=None, **kwargs) -> Any:
        if self.master_token:
            # A master token must name the acting uid on every call; the query string keeps
            # request bodies exactly as the spec describes them.
            params = dict(params or {})
            params.setdefault("_uid", self.api_username)
        return super().request(method, path, params=params, **kwargs)

    def error_message(self, response: requests.Response, payload: Any) -> str:
        if isinstance(payload, dict):
            status = payload.get("status")
            if isinstance(status, dict) and status.get("message"):
                return str(status["message"])
            if isinstance(payload.get("error"), str):
                return payload["error"]
        return ""

    def health_check(self) -> HealthReport:
        report = HealthReport(software=self.software)
        try:
            config, report.response_ms = self.timed(lambda: self.request("GET", "/api/config"))
        except ForumError as exc:
            report.error, report.error_kind = str(exc), exc.kind
            return report
        report.reachable = True
        if not isinstance(config, dict) or "relative_path" not in config:
            report.error_kind = "not_a_forum"
            report.error = "The address answered JSON, but not NodeBB's configuration."
            return report
        report.title = str(config.get("siteTitle") or "")
        try:
            self_user = self.request("GET", "/api/self")
        except ForumUnauthorized:
            report.credentials_ok = False
            report.error_kind = "auth"
            report.error = "NodeBB did not accept the API token (401 not-authorised)."
            return report
        except ForumError as exc:
            report.error, report.error_kind = str(exc), exc.kind
            return report
        report.credentials_ok = True
        report.is_admin = bool((self_user or {}).get("isAdmin"))
        if not report.is_admin:
            report.error_kind = "not_admin"
            report.error = "The token works, but acts as a user who is not a NodeBB administrator."
            return report
        try:
            users = self.request("GET", "/api/admin/manage/users", params={"resultsPerPage": 50})
            report.user_count = int(users.get("userCount"))
        except (ForumError, TypeError, ValueError, AttributeError):
            report.notes.append("The user count is not available.")
        try:
            flags = self.request("GET", "/api/flags", params={"state": "open"})
            queue = self.request("GET", "/api/post-queue")
            report.review_count = int(flags.get("count", 0)) + len(queue.get("posts") or [])
        except (ForumError, TypeError, ValueError, AttributeError):
            report.notes.append("The flag and post queue counts are not available.")
        return report
