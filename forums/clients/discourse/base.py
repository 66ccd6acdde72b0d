"""Discourse's transport: `Api-Key` + `Api-Username` headers, `.json` routes, its error and
rate-limit shapes (see shared/specs/discourse), and the record every resource shares (users).

Request bodies are JSON shaped as ``openapi.json`` shows them; routes and fields the spec lacks
follow ``ENDPOINTS.md`` (and are listed, with the line that justifies each, in
``tests/contract/discourse_exemptions.py``). Nothing here sleeps: a 429 raises
``ForumRateLimited`` with the server's wait and the caller decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from ..base import parse_retry_after
from ..errors import (
    ForumBadResponse,
    ForumBusy,
    ForumForbidden,
    ForumNotFound,
    ForumRejected,
)
from ..platform import (
    ForumClient,
    PenaltyRules,
    PenaltyWords,
    PlatformWords,
    Rate,
    SettingsProblem,
)
from ..records import Capability, ForumUser, Penalty, unique_names
from .capability_notes import CAPABILITY_NOTES
from .versions import DiscourseVersion, parse_version

REASON_MAX_LENGTH = 300  # app/services/user/suspend.rb, silence.rb: reason ≤ 300 characters

# ENDPOINTS.md "Rules" / bad key: "403 on ordinary routes, 404 on /admin/*. A granular (scoped)
# key that lacks a scope gets the same answer, so say 'invalid, revoked, or missing the scope
# for this call'".
KEY_HINT = "the API key may be invalid, revoked, or missing the scope for this call"
ADMIN_NOT_FOUND = (
    "Discourse answered “not found” on an admin route: the item does not exist, or "
    + KEY_HINT
    + " (Discourse hides admin routes behind “not found”)."
)
# ENDPOINTS.md "Rules" / admin-only routes: "`log_out`, backups, group delete and the other
# `AdminConstraint` routes answer **404** to a moderator's key".
ADMIN_ONLY_ROUTES = re.compile(r"^/admin/(users/\d+/log_out|backups|groups)(\.json|/|$)")
ADMIN_ONLY_NOT_FOUND = (
    "Only an administrator's API key may do this on Discourse: it answers “not found” here "
    "to a key that acts as a moderator. Otherwise " + KEY_HINT + "."
)


class DiscourseGroupUpdateNeedsChoice(ForumRejected):
    """The change touches default notification levels of a group that has members.

    Discourse refuses it (422 with ``user_count``) until told whether existing members get the
    new defaults too: call again with ``update_existing_users=True`` or ``False``.
    """

    kind = "needs_choice"

    def __init__(self, message: str, *, user_count: int, status: int | None = 422) -> None:
        self.user_count = user_count
        super().__init__(message, status=status)


class DiscourseOperationRunning(ForumBusy):
    """Discourse answered 200 but did not start the backup: one is already running."""


def dt(value: Any) -> datetime | None:
    """Discourse timestamps are ISO 8601 (``2024-05-01T10:00:00.000Z``); anything else is None."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        parsed.astimezone(UTC)  # a moment past the calendar's ends (year 1 at +14:00) is None
    except (ValueError, OverflowError):
        return None
    return parsed


def iso(value: datetime) -> str:
    """A naive datetime is taken as UTC; Discourse parses any ISO 8601 string."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


clean = unique_names  # the resource modules' short name for it


class DiscourseBase(ForumClient):
    platform = "discourse"
    software = "Discourse"
    review_pages = (("review queue", "/review"),)
    capability_notes = CAPABILITY_NOTES
    capabilities = frozenset(
        {
            Capability.USER_SEARCH,
            Capability.USER_SUSPEND,
            Capability.USER_SILENCE,
            Capability.USER_LOG_OUT,
            Capability.USER_TRUST_LEVEL,
            Capability.USER_ANONYMIZE,
            Capability.USER_DELETE,
            Capability.USER_DELETE_BLOCK,
            Capability.USER_BULK_DELETE,
            Capability.USER_APPROVE,
            Capability.USER_ACTIVATE,
            Capability.GROUPS,
            Capability.GROUP_MEMBERS,
            Capability.GROUP_BATCH_MEMBERS,
            Capability.TAGS,
            Capability.TAG_CREATE,
            Capability.TAG_GROUPS,
            Capability.TAG_RENAME,
            Capability.TAG_MERGE,
            Capability.TAG_DELETE,
            Capability.TAG_DELETE_UNUSED,
            Capability.TOPIC_RETAG,
            Capability.BACKUPS,
            Capability.CALENDAR,
            Capability.REVIEW_QUEUE,
            Capability.REVIEW_ITEMS,
        }
    )
    # Its documented admin limit: 60 admin API requests a minute per site, one bucket for every
    # key, counted over 60 s (ENDPOINTS.md "Rate limits"; GlobalSetting
    # max_admin_api_reqs_per_minute).
    default_pace = Rate(per_minute=60, window_seconds=60)
    words = PlatformWords(
        penalties={
            Penalty.SUSPEND: PenaltyWords(
                "Suspend", "suspended", "Unsuspend", "unsuspended", "Suspension"
            ),
            Penalty.SILENCE: PenaltyWords(
                "Silence", "silenced", "Unsilence", "unsilenced", "Silence"
            ),
        },
        standing="Trust level",
        standing_short="TL",
        key_help="An admin API key: Admin → API → New key, user level “All users”, scope “Global”.",
        rate_help="Discourse allows 60 admin requests per minute per site by default, counted "
        "over a 60 s window.",
        username_label="API username",
        username_help="The username calls act as (e.g. system).",
        # ENDPOINTS.md "Rules" / bad key: a scoped key missing a scope gets the same answer.
        credentials_refused="Discourse refused the credentials: the API key or the API "
        "username is not valid, the key was revoked, or it lacks the scope for this call. "
        "Check both (Edit this forum).",
        not_admin="The API key works, but not as an administrator: Discourse refused its admin "
        "routes. Create an admin API key (All users, Global scope) acting as an admin user.",
    )
    penalty_rules = {
        # ENDPOINTS.md "Rules" / suspend / silence: "Staff: 403" (moderators included).
        Penalty.SUSPEND: PenaltyRules(
            reason_required=True,
            reason_max_length=REASON_MAX_LENGTH,
            sends_message=True,
            staff_refused=True,
        ),
        Penalty.SILENCE: PenaltyRules(
            reason_required=True,
            reason_max_length=REASON_MAX_LENGTH,
            sends_message=True,
            staff_refused=True,
        ),
    }

    # --- the forum's version (versions.py) -------------------------------------------------
    _forum_version: DiscourseVersion | None = None
    _forum_version_read = False

    def remember_version(self, text: object) -> DiscourseVersion | None:
        """Keep the version a health check read (``/about.json`` or its kept ``lasting``
        values), so the calls this client sends next choose their shape without asking."""
        self._forum_version = parse_version(text)
        self._forum_version_read = True
        return self._forum_version

    def forum_version(self) -> DiscourseVersion | None:
        """The forum's Discourse version, read once per client from ``/about.json``; None when
        the forum does not say (the ranges then take a current release)."""
        if not self._forum_version_read:
            try:
                about = self._dict(self._json("GET", "/about.json"), "about").get("about")
            except (ForumNotFound, ForumForbidden, ForumBadResponse):
                about = None  # a forum that hides /about.json: take a current release
            version = about.get("version") if isinstance(about, dict) else None
            self.remember_version(version)
        return self._forum_version

    @classmethod
    def validate_settings(
        cls,
        *,
        base_url: str,
        api_username: str,
        settings: dict[str, Any] | None = None,
        stored: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        checked = super().validate_settings(
            base_url=base_url, api_username=api_username, settings=settings, stored=stored
        )
        if not checked["api_username"]:
            raise SettingsProblem(
                {"api_username": "Discourse needs the username the key acts as (e.g. system)."}
            )
        return checked

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

    def raise_for_status(self, response: requests.Response) -> None:
        try:
            super().raise_for_status(response)
        except (ForumForbidden, ForumNotFound, ForumRejected) as exc:
            payload = self._try_json(response)
            if isinstance(payload, dict) and isinstance(payload.get("error_type"), str):
                exc.code = payload["error_type"]  # invalid_access, not_found, ...
            own = self.scrub(self.error_message(response, payload)).strip()
            exc.detail = own
            path = self._route(response)
            if path.startswith("/admin/") and exc.status in (403, 404):
                if exc.status == 404:
                    message = (
                        ADMIN_ONLY_NOT_FOUND if ADMIN_ONLY_ROUTES.match(path) else ADMIN_NOT_FOUND
                    )
                else:
                    message = f"Discourse refused: {own or 'not permitted'}. If it should be "
                    message += f"allowed, {KEY_HINT}."
                exc.message = message
                exc.args = (message,)
            raise

    def _route(self, response: requests.Response) -> str:
        """The path of the call, relative to the forum's base URL (forums may live in a
        sub-folder)."""
        path = urlsplit(response.url or "").path
        prefix = urlsplit(self.base_url).path.rstrip("/")
        return path[len(prefix) :] if prefix and path.startswith(prefix) else path

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
        return parse_retry_after(response.headers.get("Retry-After"), fallback)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return super().request(method, path, **kwargs)
        except ForumNotFound as exc:
            # ENDPOINTS.md "Rules" / bad key: 404 on /admin/* for a bad key and for a key
            # without admin rights alike. Ask what is wrong before calling it "not found".
            if path.startswith("/admin/"):
                raise self.explained(exc) from None
            raise

    # --- small helpers -----------------------------------------------------------------------
    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        payload = self.request(method, path, **kwargs)
        return payload if payload is not None else {}

    @staticmethod
    def _seg(value: Any) -> str:
        """One path segment, every reserved character escaped."""
        return quote(str(value), safe="")

    @staticmethod
    def _dict(payload: Any, what: str) -> dict:
        if not isinstance(payload, dict):
            raise ForumBadResponse(f"Discourse answered something other than {what}.")
        return payload

    def _user(self, data: dict) -> ForumUser:
        username = str(data.get("username") or "")
        suspended_until = dt(data.get("suspended_till"))
        silenced_until = dt(data.get("silenced_till"))
        return ForumUser(
            id=int(data.get("id") or 0),
            username=username,
            name=str(data.get("name") or ""),
            email=data.get("email") or None,
            trust_level=to_int(data.get("trust_level")),
            active=bool(data.get("active", True)),
            approved=bool(data["approved"]) if "approved" in data else None,
            admin=bool(data.get("admin")),
            moderator=bool(data.get("moderator")),
            suspended=suspended_until is not None,
            suspended_until=suspended_until,
            suspend_reason=str(data.get("suspend_reason") or data.get("full_suspend_reason") or "")
            if suspended_until
            else "",
            silenced=silenced_until is not None,
            silenced_until=silenced_until,
            silence_reason=str(data.get("silence_reason") or data.get("full_silence_reason") or "")
            if silenced_until
            else "",
            created_at=dt(data.get("created_at")),
            last_seen_at=dt(data.get("last_seen_at")),
            post_count=to_int(data.get("post_count")),
            profile_url=f"{self.base_url}/u/{quote(username)}" if username else "",
            registration_ip=str(data.get("registration_ip_address") or ""),
        )
