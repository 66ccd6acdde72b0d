"""Discourse health: is it there, is it Discourse, does the key work and have admin rights."""

from __future__ import annotations

from ..errors import ForumError, ForumForbidden, ForumNotFound, ForumUnauthorized
from ..records import HealthReport
from .base import DiscourseBase, to_int


class DiscourseHealth(DiscourseBase):
    def site_title(self) -> str:
        return str(
            self._dict(self._json("GET", "/site/basic-info.json"), "site info").get("title") or ""
        )

    def _about(self) -> dict:
        return self._dict(self._json("GET", "/about.json"), "about").get("about") or {}

    def version(self) -> str:
        """The Discourse version string (from /about.json)."""
        return str(self._about().get("version") or "")

    def user_count(self) -> int | None:
        stats = self._about().get("stats") or {}
        return to_int(stats.get("users_count", stats.get("user_count")))

    def review_count(self) -> int:
        """Items waiting in the review queue (flags, queued posts, users to approve)."""
        payload = self._dict(self._json("GET", "/review/count.json"), "a count")
        return to_int(payload.get("count")) or 0

    def health_check(self) -> HealthReport:
        report = HealthReport(software=self.software)
        try:
            info, report.response_ms = self.timed(
                lambda: self.request("GET", "/site/basic-info.json")
            )
        except (ForumUnauthorized, ForumForbidden) as exc:
            # An invalid Api-Key is refused on every route with 403 invalid_access.
            report.reachable = True
            report.credentials_ok = False
            report.error_kind = "auth"
            report.error = (
                "Discourse refused the credentials: the API key or the API username is not "
                f"valid (HTTP {exc.status}). Check both, and that the key is not revoked."
            )
            return report
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
            about = self._about()
            report.version = str(about.get("version") or "")
            stats = about.get("stats") or {}
            count = stats.get("users_count", stats.get("user_count"))
            report.user_count = int(count) if count is not None else None
        except ForumError:
            report.notes.append("The forum does not publish its version (/about.json).")
        self._check_admin(report)
        if report.is_admin:
            try:
                report.review_count = self.review_count()
            except ForumError:
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
            profile = self.request("GET", f"/u/{self._seg(self.api_username or 'system')}.json")
        except ForumError as exc:
            report.credentials_ok = False
            report.error_kind = "auth"
            report.error = (
                "Discourse refused the credentials: the API key or the API username is not "
                f"valid ({exc.status or exc.kind}). Check both, and that the key is not revoked."
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
