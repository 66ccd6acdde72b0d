"""Discourse: `Api-Key` + `Api-Username` headers, `.json` routes (see shared/specs/discourse)."""

from __future__ import annotations

from typing import Any

import requests

from .base import BaseClient, _retry_after
from .errors import ForumError, ForumNotFound, ForumUnauthorized
from .records import Capability, HealthReport


class DiscourseClient(BaseClient):
    platform = "discourse"
    software = "Discourse"
    capabilities = frozenset(
        {
            Capability.USER_SEARCH,
            Capability.USER_SUSPEND,
            Capability.USER_SILENCE,
            Capability.USER_LOG_OUT,
            Capability.USER_TRUST_LEVEL,
            Capability.USER_ANONYMIZE,
            Capability.USER_DELETE,
            Capability.USER_BULK_DELETE,
            Capability.USER_APPROVE,
            Capability.USER_ACTIVATE,
            Capability.GROUPS,
            Capability.GROUP_BATCH_MEMBERS,
            Capability.TAGS,
            Capability.TAG_GROUPS,
            Capability.TAG_RENAME,
            Capability.TAG_DELETE,
            Capability.TOPIC_RETAG,
            Capability.BACKUPS,
            Capability.CALENDAR,
            Capability.REVIEW_QUEUE,
        }
    )

    def auth_headers(self, api_key: str) -> dict[str, str]:
        headers = {"Api-Key": api_key}
        if self.api_username:
            headers["Api-Username"] = self.api_username
        return headers

    def error_message(self, response: requests.Response, payload: Any) -> str:
        if isinstance(payload, dict):
            errors = payload.get("errors")
            if isinstance(errors, list) and errors:
                return " ".join(str(e) for e in errors)
            if isinstance(payload.get("error"), str):
                return payload["error"]
            if isinstance(payload.get("message"), str):
                return payload["message"]
        return ""

    def retry_after_seconds(self, response: requests.Response, payload: Any) -> float:
        # The admin-key bucket answers JSON with extras.wait_seconds; the per-IP middleware
        # answers text/plain with only the header.
        fallback = 60.0
        if isinstance(payload, dict):
            wait = (payload.get("extras") or {}).get("wait_seconds")
            if isinstance(wait, int | float):
                fallback = float(wait)
                if not response.headers.get("Retry-After"):
                    return fallback
        return _retry_after(response.headers.get("Retry-After"), fallback)

    # --- health ------------------------------------------------------------------------------
    def health_check(self) -> HealthReport:
        report = HealthReport(software=self.software)
        try:
            info, report.response_ms = self.timed(
                lambda: self.request("GET", "/site/basic-info.json")
            )
        except ForumError as exc:
            report.error, report.error_kind = str(exc), exc.kind
            if isinstance(exc, ForumNotFound):
                report.reachable = True
                report.error = (
                    "The address answered, but not like a Discourse forum "
                    "(no /site/basic-info.json). Check the address and the forum software."
                )
                report.error_kind = "not_a_forum"
            return report
        if not isinstance(info, dict) or "title" not in info:
            report.reachable = True
            report.error_kind = "not_a_forum"
            report.error = "The address answered JSON, but not Discourse's site information."
            return report
        report.reachable = True
        report.title = str(info.get("title") or "")
        try:
            about = self.request("GET", "/about.json").get("about", {})
            report.version = str(about.get("version") or "")
            stats = about.get("stats") or {}
            count = stats.get("users_count", stats.get("user_count"))
            report.user_count = int(count) if count is not None else None
        except ForumError:
            report.notes.append("The forum does not publish its version (/about.json).")
        self._check_admin(report)
        if report.is_admin:
            try:
                report.review_count = int(self.request("GET", "/review/count.json")["count"])
            except (ForumError, KeyError, TypeError, ValueError):
                report.notes.append("The review queue count is not available.")
        return report

    def _check_admin(self, report: HealthReport) -> None:
        try:
            self.request("GET", "/admin/users/list/staff.json")
        except ForumNotFound:
            # Discourse hides admin routes behind 404 for a bad key *and* for a non-admin user;
            # the public profile route tells the two apart (403 for an invalid key).
            pass
        except ForumError as exc:
            report.error, report.error_kind = str(exc), exc.kind
            return
        else:
            report.credentials_ok = report.is_admin = True
            return
        try:
            profile = self.request("GET", f"/u/{self.api_username or 'system'}.json")
        except (ForumUnauthorized, ForumNotFound, ForumError) as exc:
            report.credentials_ok = False
            report.error_kind = "auth"
            report.error = (
                "Discourse did not accept the API key or the API username "
                f"({exc.status or exc.kind}). Check both, and that the key is not revoked."
            )
            return
        user = (profile or {}).get("user", {}) if isinstance(profile, dict) else {}
        report.credentials_ok = True
        report.is_admin = bool(user.get("admin"))
        report.error_kind = "not_admin"
        report.error = (
            "The key works, but Discourse refused an admin route: create an admin API key "
            "(All users, Global scope) for an admin user."
        )
