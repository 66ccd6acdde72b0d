"""NodeBB health: is it there, is it NodeBB, does the token work and act as an administrator."""

from __future__ import annotations

from typing import Any

from ..errors import (
    ForumError,
    ForumIsForumdeck,
    ForumNotAForum,
    ForumNotFound,
    ForumServerError,
    ForumUnauthorized,
)
from ..records import Capability, HealthReport
from .base import MASTER_TOKEN_UID_MESSAGE, UNTRANSLATED, NodeBBBase, to_int

# ENDPOINTS.md "call by call": a master token without `_uid` gets a 500 error page JSON on the
# read API, carrying this untranslated key.
MASTER_TOKEN_NO_UID = "api.master-token-no-uid"


class NodeBBHealth(NodeBBBase):
    def version(self) -> str:
        """The NodeBB version, from the ACP dashboard (administrators only)."""
        return str(self._read("/api/admin/dashboard").get("version") or "")

    def review_count(self) -> int:
        """Open flags plus queued posts."""
        self.require(Capability.REVIEW_QUEUE)
        flags = self._read("/api/flags", params={"state": "open"})
        return (to_int(flags.get("count"), 0) or 0) + self._post_queue_length()

    def _post_queue_length(self) -> int:
        # /api/post-queue has no total: 20 posts a page and pagination.pageCount.
        first = self._read("/api/post-queue")
        posts = len(first.get("posts") or [])
        page_count = to_int((first.get("pagination") or {}).get("pageCount"), 1) or 1
        if page_count <= 1:
            return posts
        last = self._read("/api/post-queue", params={"page": page_count})
        return posts * (page_count - 1) + len(last.get("posts") or [])

    # --- the steps of a check ------------------------------------------------------------------
    def _identify(self) -> tuple[dict[str, Any] | None, int | None, ForumError | None]:
        """Is it NodeBB? (config, milliseconds, problem). /api/config answers a bad token with
        the guest config (ENDPOINTS.md "call by call"), so it never judges the token: that is
        /api/self's job (``_admin_problem``)."""
        if self.master_token and not str(self.api_username).strip().isdigit():
            return None, None, ForumUnauthorized(MASTER_TOKEN_UID_MESSAGE)
        try:
            config, ms = self.timed(lambda: self.request("GET", "/api/config"))
        except ForumServerError as exc:
            if exc.code == MASTER_TOKEN_NO_UID:  # a master token used as a user token
                return None, None, self._master_token_without_uid(exc)
            return None, None, exc
        except ForumUnauthorized as exc:
            # Not NodeBB 4.15.1's answer (a guest config), but a proxy in front may refuse.
            return None, None, self.credentials_refused(status=exc.status)
        except (ForumIsForumdeck, ForumNotAForum) as exc:
            return None, None, exc
        except ForumNotFound as exc:
            return None, None, self.not_this_software(status=exc.status)
        except ForumError as exc:
            return None, None, exc
        if not isinstance(config, dict) or "relative_path" not in config:
            return (
                None,
                ms,
                self.not_this_software(detail="It answered JSON, but not NodeBB's configuration."),
            )
        return config, ms, None

    def _admin_problem(self) -> ForumError | None:
        """Does the token work, as an administrator? ENDPOINTS.md "call by call": /api/self
        answers a bad token with 401 and the bare string "not-authorized", and a master token
        without `_uid` with the 500 error page of `[[error:api.master-token-no-uid]]`."""
        try:
            self_user = self.request("GET", "/api/self")
        except ForumUnauthorized as exc:
            if exc.message == MASTER_TOKEN_UID_MESSAGE:  # refused before sending
                return exc
            return self.credentials_refused(status=exc.status)
        except ForumServerError as exc:
            if exc.code == MASTER_TOKEN_NO_UID:
                return self._master_token_without_uid(exc)
            return exc
        except ForumError as exc:
            return exc
        if not isinstance(self_user, dict) or not to_int(self_user.get("uid")):
            return self.credentials_refused()  # answered as to a guest
        if not self_user.get("isAdmin"):
            return self.not_admin()
        return None

    @staticmethod
    def _master_token_without_uid(exc: ForumError) -> ForumUnauthorized:
        return ForumUnauthorized(
            UNTRANSLATED[f"error:{MASTER_TOKEN_NO_UID}"], status=exc.status, code=exc.code
        )

    def access_problem(self) -> ForumError | None:
        with self.diagnosing():
            _config, _ms, problem = self._identify()
            return problem or self._admin_problem()

    def health_check(self) -> HealthReport:
        report = HealthReport(software=self.software)
        with self.diagnosing():
            config, report.response_ms, problem = self._identify()
            if problem is None:
                report.reachable = True
                report.title = str(config.get("siteTitle") or "")
                problem = self._admin_problem()
            self.remember_access(problem)
            if problem is not None:
                return self.health_failure(report, problem, identified=config is not None)
            report.credentials_ok = report.is_admin = True
            try:
                report.version = self.version()
            except ForumError:
                report.notes.append("The NodeBB version is not available.")
            try:
                report.user_count = self.count_users()
            except ForumError:
                report.notes.append("The user count is not available.")
            try:
                report.review_count = self.review_count()
            except (ForumError, TypeError, ValueError, AttributeError):
                report.notes.append("The flag and post queue counts are not available.")
        return report
