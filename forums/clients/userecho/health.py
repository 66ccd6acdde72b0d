"""UserEcho health: reachable, token accepted, what the token may do (as far as the API
reveals it), the project's forums, its users and its review queue."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from ..errors import ForumError, ForumForbidden, ForumNotFound, ForumUnauthorized
from ..records import Capability, HealthReport
from .base import UserEchoBase


class UserEchoHealth(UserEchoBase):
    def health_check(self, *, known: dict | None = None) -> HealthReport:
        """At once: the token's own user (reachable, token accepted), user groups (the "all"
        permission), the project's forums and, unless ``known``, the user count; then, at
        once again, the review queue and, unless ``known``, the later routes' probe."""
        report = HealthReport(software=self.software, version="API v2")
        known = known or {}
        jobs = [lambda: self.timed(self.own_user), lambda: self.count("users/groups"),
                self.list_forums]  # fmt: skip
        if "user_count" not in known:
            jobs.append(lambda: self.count("users"))
        me, groups, forums, *users = self.together(*jobs)
        try:
            me, report.response_ms = self.unwrap(me)
        except ForumUnauthorized as exc:
            report.reachable = True
            report.credentials_ok = False
            report.error_kind = "auth"
            report.error = str(exc)  # the client's one wording (credentials_refused)
            return report
        except ForumError as exc:
            report.error, report.error_kind = str(exc), exc.kind
            return report
        report.reachable = True
        report.credentials_ok = True
        # 1.2 / trap 11: no route says what a token may do. Listing user groups needs "all"
        # (SEED:16) and reads nothing else, so it shows whether the token has it; "all" is the
        # widest permission and includes write ([I] the scopes nest).
        try:
            self.unwrap(groups)
        except ForumForbidden:
            report.is_admin = False
            report.error_kind = "not_admin"
            report.error = (
                f"The token works (it acts as {me.name or me.username}), but lacks UserEcho's "
                "“all” (manage) permission: logging users out and user groups need it, and a "
                "read-only token cannot change anything. Make a token with read, write and all "
                "under Setup → Advanced features → API."
            )
        except ForumError as exc:
            report.notes.append(f"Whether the token has the “all” permission is unknown: {exc}")
        else:
            report.is_admin = True
            report.notes.append(
                f"The token has the “all” permission and acts as {me.name or me.username}."
            )
        try:
            forums = self.unwrap(forums)
            names = ", ".join(f.name for f in forums)
            report.title = f"{len(forums)} forum{'s' if len(forums) != 1 else ''}: {names}"
        except ForumError as exc:
            report.notes.append(f"The project's forums are not available: {exc}")
            forums = []
        if users:
            with contextlib.suppress(ForumError):
                report.user_count = self.unwrap(users[0])
        else:
            report.user_count = known["user_count"]
        if report.user_count is None:
            report.notes.append("The user count is not available.")
        later: list[Callable[[], object]] = [self.review_count] if forums else []
        if "capabilities" in known:
            self._later = frozenset(Capability(c) for c in known["capabilities"])
        else:
            later.append(self.discovered_capabilities)
        answers = self.together(*later)
        if forums:
            try:
                report.review_count = self.unwrap(answers.pop(0))
            except ForumError:
                report.notes.append("The topics waiting for review are not available.")
        found_ok = self._check_later_routes(report, answers[0] if answers else None)
        if not known and found_ok and report.user_count is not None:
            report.lasting = {"user_count": report.user_count,
                              "capabilities": report.capabilities}  # fmt: skip
        return report

    def discovered_capabilities(self) -> frozenset[Capability]:
        """Trap 10: UserEcho's later reference adds routes the seed lacks (delete a user,
        group membership). They cannot be tried without changing data, but the same reference
        adds a read route, the token user's own subscriptions (U9); UserEcho is one hosted
        service, so a project that answers it has the later reference's routes. Asked once per
        client; a route missing after all answers "not offered" on its first call."""
        if self._later is None:
            try:
                self.call("GET", f"users/{self.own_user().id}/subscriptions")
            except ForumNotFound:
                self._later = frozenset()
            else:
                self._later = frozenset(self.optional_capabilities)
        return frozenset(c for c in self._later if self.found_routes.get(c) is not False)

    def _check_later_routes(self, report: HealthReport, answer: Any = None) -> bool:
        """Say which of the later routes this project has; False when that is unknown.
        ``answer``: the probe's outcome when it was already asked (``together``)."""
        try:
            found = self.unwrap(answer) if answer is not None else self.discovered_capabilities()
        except ForumError as exc:
            report.notes.append(f"Whether deleting users is offered is unknown: {exc}")
            return False
        if not found:
            report.notes.append(
                "This project's API is UserEcho's documented reference: deleting users is "
                "not offered."
            )
            return True
        report.capabilities = sorted(c.value for c in found)
        # Only what a page offers: no page changes one user's groups (GROUP_MEMBERSHIP), since
        # every member page needs a group's member list, which UserEcho does not give.
        report.notes.append(
            "This project's API has UserEcho's later routes: deleting users is offered."
        )
        return True
