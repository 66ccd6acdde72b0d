"""NodeBB health: is it there, is it NodeBB, does the token work and act as an administrator."""

from __future__ import annotations

from typing import Any

from ..errors import (
    ForumError,
    ForumIsForumdeck,
    ForumNotAForum,
    ForumNotFound,
    ForumRateLimited,
    ForumServerError,
    ForumUnauthorized,
    ForumUnavailable,
)
from ..records import Capability, HealthReport
from .base import (
    MASTER_TOKEN_UID_MESSAGE,
    OLDEST_SUPPORTED,
    UNTRANSLATED,
    NodeBBBase,
    parse_release,
    to_int,
)

# ENDPOINTS.md "call by call": a master token without `_uid` gets a 500 error page JSON on the
# read API, carrying this untranslated key.
MASTER_TOKEN_NO_UID = "api.master-token-no-uid"


class NodeBBHealth(NodeBBBase):
    def version(self) -> str:
        """The NodeBB version, from the ACP dashboard (administrators only)."""
        version = str(self._read("/api/admin/dashboard").get("version") or "")
        if version:
            self.__dict__["_forum_version"] = version  # forum_release() needs no call then
        return version

    def review_count(self) -> int:
        """Open flags plus queued posts (both asked at once)."""
        self.require(Capability.REVIEW_QUEUE)
        flags, queue = self.together(self._open_flags, self._post_queue_length)
        return self.unwrap(flags) + self.unwrap(queue)

    def _open_flags(self) -> int:
        return to_int(self._read("/api/flags", params={"state": "open"}).get("count"), 0) or 0

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
    def _uid_problem(self) -> ForumError | None:
        """A master token acts as the uid given with it: without one, nothing is sent."""
        if self.master_token and not str(self.api_username).strip().isdigit():
            return ForumUnauthorized(MASTER_TOKEN_UID_MESSAGE)
        return None

    def _config(self) -> tuple[Any, int]:
        return self.timed(lambda: self.request("GET", "/api/config"))

    def _self(self) -> Any:
        return self.request("GET", "/api/self")

    def _identify(
        self, answer: Any = None
    ) -> tuple[dict[str, Any] | None, int | None, ForumError | None]:
        """Is it NodeBB? (config, milliseconds, problem). /api/config answers a bad token with
        the guest config (ENDPOINTS.md "call by call"), so it never judges the token: that is
        /api/self's job (``_admin_problem``). ``answer``: the config call's outcome when it
        was already asked (``together``)."""
        uid_problem = self._uid_problem()
        if uid_problem is not None:
            return None, None, uid_problem
        try:
            config, ms = self.unwrap(answer) if answer is not None else self._config()
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

    def _admin_problem(self, answer: Any = None) -> ForumError | None:
        """Does the token work, as an administrator? ENDPOINTS.md "call by call": /api/self
        answers a bad token with 401 and the bare string "not-authorized", and a master token
        without `_uid` with the 500 error page of `[[error:api.master-token-no-uid]]`.
        ``answer``: the /api/self call's outcome when it was already asked."""
        try:
            self_user = self.unwrap(answer) if answer is not None else self._self()
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

    def _review(self, report: HealthReport, flags: Any, queue: Any) -> None:
        try:
            self.require(Capability.REVIEW_QUEUE)
            report.review_count = self.unwrap(flags) + self.unwrap(queue)
        except (ForumError, TypeError, ValueError, AttributeError):
            report.notes.append("The flag and post queue counts are not available.")

    def health_check(self, *, known: dict | None = None) -> HealthReport:
        with self.diagnosing():
            uid_problem = self._uid_problem()
            if uid_problem is not None:  # refused before anything is sent
                self.remember_access(uid_problem)
                report = self.health_failure(HealthReport(software=self.software), uid_problem)
                report.reachable = None  # nothing was sent: whether it answers is not known
                return report
            if known:
                live = self._live_check(known)
                if live is not None:
                    return live
            return self._full_check()

    def _full_check(self) -> HealthReport:
        """Six calls at once: the config (is it NodeBB), /api/self (the token, as an
        administrator), the ACP dashboard (version), the user list (its count), open flags
        and the post queue (a seventh when the queue has more than one page)."""
        report = HealthReport(software=self.software)
        config, self_user, version, users, flags, queue = self.together(
            self._config,
            self._self,
            self.version,
            self.count_users,  # type: ignore[attr-defined]  # NodeBBUsers', in NodeBBClient
            self._open_flags,
            self._post_queue_length,
        )
        config, report.response_ms, problem = self._identify(config)
        if problem is None:
            assert config is not None  # _identify gives the config when it finds no problem
            report.reachable = True
            report.title = str(config.get("siteTitle") or "")
            problem = self._admin_problem(self_user)
        self.remember_access(problem)
        if problem is not None:
            return self.health_failure(report, problem, identified=config is not None)
        report.credentials_ok = report.is_admin = True
        learned = True
        try:
            report.version = self.unwrap(version)
        except ForumError:
            report.notes.append("The NodeBB version is not available.")
            learned = False
        else:
            release = parse_release(report.version)
            if release is not None and release < OLDEST_SUPPORTED:
                report.notes.append(
                    f"NodeBB {report.version} is older than the oldest release Forumdeck "
                    "supports (NodeBB 3.x): some actions may fail or read wrongly. Upgrade the "
                    "forum."
                )
        try:
            report.user_count = self.unwrap(users)
        except ForumError:
            report.notes.append("The user count is not available.")
            learned = False
        self._review(report, flags, queue)
        if learned:
            report.lasting = {
                "title": report.title,
                "version": report.version,
                "user_count": report.user_count,
            }
        return report

    def _live_check(self, known: dict) -> HealthReport | None:
        """Three calls at once (a fourth for a long post queue): /api/self (reachable, the
        token works as an administrator's), open flags and the post queue; the rest is
        ``known``. None: something else went wrong, and the full check explains it."""
        answer, flags, queue = self.together(
            lambda: self.timed(self._self), self._open_flags, self._post_queue_length
        )
        report = HealthReport(software=self.software)
        if isinstance(answer, ForumUnavailable | ForumRateLimited):
            # The full check would meet the same wall, in the same words, with more calls.
            self.remember_access(answer)
            return self.health_failure(report, answer)
        if isinstance(answer, BaseException) or self._admin_problem(answer[0]) is not None:
            return None
        self.remember_access(None)
        report.response_ms = answer[1]
        report.reachable = report.credentials_ok = report.is_admin = True
        report.title = str(known.get("title") or "")
        report.version = str(known.get("version") or "")
        report.user_count = known.get("user_count")
        self._review(report, flags, queue)
        return report
