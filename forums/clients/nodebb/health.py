"""NodeBB health: is it there, is it NodeBB, does the token work and act as an administrator."""

from __future__ import annotations

from ..errors import ForumError, ForumServerError, ForumUnauthorized
from ..records import Capability, HealthReport
from .base import MASTER_TOKEN_UID_MESSAGE, UNTRANSLATED, NodeBBBase, to_int


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

    def health_check(self) -> HealthReport:
        report = HealthReport(software=self.software)
        if self.master_token and not str(self.api_username).strip().isdigit():
            report.credentials_ok = False
            report.error_kind = "auth"
            report.error = MASTER_TOKEN_UID_MESSAGE
            return report
        # Reachable, and NodeBB? /api/config answers anyone: a bad token gets the guest config
        # (ENDPOINTS.md "call by call"), so it only says "this is NodeBB", never "the token
        # works".
        try:
            config, report.response_ms = self.timed(lambda: self.request("GET", "/api/config"))
        except ForumServerError as exc:
            if exc.code == "api.master-token-no-uid":  # a master token sent as a user token
                report.reachable = True
                report.credentials_ok = False
                report.error_kind = "auth"
                report.error = UNTRANSLATED["error:api.master-token-no-uid"]
                return report
            report.error, report.error_kind = str(exc), exc.kind
            return report
        except ForumError as exc:
            report.error, report.error_kind = str(exc), exc.kind
            return report
        report.reachable = True
        if not isinstance(config, dict) or "relative_path" not in config:
            report.error_kind = "not_a_forum"
            report.error = "The address answered JSON, but not NodeBB's configuration."
            return report
        report.title = str(config.get("siteTitle") or "")
        # The token: /api/self answers a bad token with 401 and the bare string
        # "not-authorized", and a master token without `_uid` with a 500 error page JSON
        # carrying `[[error:api.master-token-no-uid]]` (ENDPOINTS.md "call by call").
        try:
            self_user = self.request("GET", "/api/self")
        except ForumUnauthorized as exc:
            report.credentials_ok = False
            report.error_kind = "auth"
            report.error = (
                str(exc)
                if exc.message == MASTER_TOKEN_UID_MESSAGE
                else "NodeBB did not accept the API token (401 not-authorised): check it, and "
                "that it was not deleted or rolled in NodeBB's admin panel."
            )
            return report
        except ForumServerError as exc:
            if exc.code == "api.master-token-no-uid":
                report.credentials_ok = False
                report.error_kind = "auth"
                report.error = UNTRANSLATED["error:api.master-token-no-uid"]
                return report
            report.error, report.error_kind = str(exc), exc.kind
            return report
        except ForumError as exc:
            report.error, report.error_kind = str(exc), exc.kind
            return report
        if not isinstance(self_user, dict) or not to_int(self_user.get("uid")):
            report.credentials_ok = False
            report.error_kind = "auth"
            report.error = "NodeBB answered as if to a guest: the API token was not accepted."
            return report
        report.credentials_ok = True
        report.is_admin = bool((self_user or {}).get("isAdmin"))
        if not report.is_admin:
            report.error_kind = "not_admin"
            report.error = "The token works, but acts as a user who is not a NodeBB administrator."
            return report
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
