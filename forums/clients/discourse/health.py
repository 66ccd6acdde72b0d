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
    ForumRateLimited,
    ForumUnauthorized,
    ForumUnavailable,
)
from ..records import HealthReport
from .base import DiscourseBase, to_int
from .versions import unsupported_note


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
    def _site_info(self) -> tuple[Any, int]:
        return self.timed(lambda: self.request("GET", "/site/basic-info.json"))

    def _staff(self) -> Any:
        return self.request("GET", "/admin/users/list/staff.json")

    def _identify(
        self, answer: Any = None
    ) -> tuple[dict[str, Any] | None, int | None, ForumError | None]:
        """Is it Discourse, and does it take the key? (site info, milliseconds, problem).
        ``answer``: the site info call's outcome when it was already asked (``together``)."""
        try:
            info, ms = self.unwrap(answer) if answer is not None else self._site_info()
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

    def _admin_problem(self, answer: Any = None) -> ForumError | None:
        """Does the key act as an administrator? None when it does. ``answer``: the staff
        list call's outcome when it was already asked."""
        try:
            self.unwrap(answer) if answer is not None else self._staff()
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

    def _version_note(self, report: HealthReport) -> None:
        """Keep the version for the calls that depend on it (versions.py) and say on the card
        when the forum is older than the oldest supported release."""
        note = unsupported_note(self.remember_version(report.version))
        if note:
            report.notes.append(note)

    def _review(self, report: HealthReport, answer: Any) -> None:
        try:
            report.review_count = self.unwrap(answer)
        except ForumError:
            report.notes.append("The review queue count is not available.")

    def health_check(self, *, known: dict | None = None) -> HealthReport:
        with self.diagnosing():
            if known:
                report = self._live_check(known)
                if report is not None:
                    return report
            return self._full_check()

    def _full_check(self) -> HealthReport:
        """Four calls at once: site info (is it Discourse, does it take the key), about (version
        and users), the staff list (admin rights) and the review count; a 404 from the staff
        list costs one more (the profile route tells a bad key from a non-admin one)."""
        report = HealthReport(software=self.software)
        site, about, staff, review = self.together(
            self._site_info, self._about, self._staff, self.review_count
        )
        info, report.response_ms, problem = self._identify(site)
        if problem is None:
            assert info is not None  # _identify gives the site info when it finds no problem
            report.reachable = True
            report.title = str(info.get("title") or "")
            try:
                about = self.unwrap(about)
                report.version = str(about.get("version") or "")
                self._version_note(report)
                stats = about.get("stats") or {}
                count = stats.get("users_count", stats.get("user_count"))
                report.user_count = int(count) if count is not None else None
                report.lasting = {
                    "title": report.title,
                    "version": report.version,
                    "user_count": report.user_count,
                }
            except ForumError:
                report.notes.append("The forum does not publish its version (/about.json).")
            problem = self._admin_problem(staff)
        self.remember_access(problem)
        if problem is not None:
            report.lasting = {}
            return self.health_failure(report, problem, identified=info is not None)
        report.credentials_ok = report.is_admin = True
        self._review(report, review)
        return report

    def _live_check(self, known: dict) -> HealthReport | None:
        """Two calls at once: the staff list (reachable, the key works as an administrator's)
        and the review count; the rest is ``known``. None: something else went wrong, and the
        full check explains it."""
        staff, review = self.together(lambda: self.timed(self._staff), self.review_count)
        report = HealthReport(software=self.software)
        if isinstance(staff, ForumUnavailable | ForumRateLimited):
            # The full check would meet the same wall, in the same words, with more calls.
            self.remember_access(staff)
            return self.health_failure(report, staff)
        if isinstance(staff, BaseException) or not isinstance(staff[0], list):
            return None
        self.remember_access(None)
        report.response_ms = staff[1]
        report.reachable = report.credentials_ok = report.is_admin = True
        report.title = str(known.get("title") or "")
        report.version = str(known.get("version") or "")
        self._version_note(report)
        report.user_count = known.get("user_count")
        self._review(report, review)
        return report
