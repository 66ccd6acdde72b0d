"""Discourse health: is it there, is it Discourse, does the key work and have admin rights.

The same steps answer ``access_problem`` (the diagnosis a call asks for when Discourse hides an
admin route behind 404), so the Test button and every page explain a failure in one way.
"""

from __future__ import annotations

from typing import Any

from ..errors import (
    ForumError,
    ForumForbidden,
    ForumIsForumdeck,
    ForumNotAForum,
    ForumNotFound,
    ForumUnauthorized,
)
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

    # --- the steps of a check ------------------------------------------------------------------
    def _identify(self) -> tuple[dict[str, Any] | None, int | None, ForumError | None]:
        """Is it Discourse, and does it take the key? (site info, milliseconds, problem)."""
        try:
            info, ms = self.timed(lambda: self.request("GET", "/site/basic-info.json"))
        except ForumIsForumdeck as exc:
            return None, None, exc
        except (ForumUnauthorized, ForumForbidden) as exc:
            # An invalid Api-Key is refused on every route with 403 invalid_access.
            return None, None, self.credentials_refused(status=exc.status)
        except ForumNotAForum as exc:
            return None, None, exc  # already in this platform's words (a web page)
        except ForumNotFound as exc:
            return None, None, self.not_this_software(status=exc.status)
        except ForumError as exc:
            return None, None, exc
        if not isinstance(info, dict) or "title" not in info:
            return (
                None,
                ms,
                self.not_this_software(
                    detail="It answered JSON, but not Discourse's site information."
                ),
            )
        return info, ms, None

    def _admin_problem(self) -> ForumError | None:
        """Does the key act as an administrator? None when it does."""
        try:
            self.request("GET", "/admin/users/list/staff.json")
        except ForumNotFound:
            # Discourse hides admin routes behind 404 for a bad key *and* for a non-admin user;
            # the public profile route tells the two apart (403 for an invalid key).
            pass
        except ForumError as exc:
            return exc
        else:
            return None
        try:
            profile = self.request("GET", f"/u/{self._seg(self.api_username or 'system')}.json")
        except (ForumUnauthorized, ForumForbidden, ForumNotFound) as exc:
            return self.credentials_refused(status=exc.status)
        except ForumError as exc:
            return exc
        if not isinstance(profile, dict) or not isinstance(profile.get("user"), dict):
            return self.credentials_refused(status=404)
        return self.not_admin(status=404)

    def access_problem(self) -> ForumError | None:
        with self.diagnosing():
            _info, _ms, problem = self._identify()
            return problem or self._admin_problem()

    def health_check(self) -> HealthReport:
        report = HealthReport(software=self.software)
        with self.diagnosing():
            info, report.response_ms, problem = self._identify()
            if problem is None:
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
                problem = self._admin_problem()
            self.remember_access(problem)
            if problem is not None:
                return self.health_failure(report, problem, identified=info is not None)
            report.credentials_ok = report.is_admin = True
            try:
                report.review_count = self.review_count()
            except ForumError:
                report.notes.append("The review queue count is not available.")
        return report
