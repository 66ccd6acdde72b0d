"""Discourse: `Api-Key` + `Api-Username` headers, `.json` routes (see shared/specs/discourse).

Every method takes keyword-only arguments, hides pagination and batching, and returns the
neutral records from ``records.py``. Request bodies are JSON shaped as ``openapi.json`` shows
them; routes and fields the spec lacks follow ``ENDPOINTS.md`` (and are listed, with the line
that justifies each, in ``tests/contract/discourse_exemptions.py``). Nothing here sleeps: a 429
raises ``ForumRateLimited`` with the server's wait and the caller decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

import requests

from .base import BaseClient, parse_retry_after
from .errors import (
    ForumBadResponse,
    ForumError,
    ForumForbidden,
    ForumNotFound,
    ForumRejected,
    ForumUnauthorized,
)
from .records import (
    Backup,
    BackupStatus,
    CalendarEvent,
    Capability,
    ForumGroup,
    ForumTag,
    ForumTagGroup,
    ForumTopic,
    ForumUser,
    ForumUserDetails,
    GroupMembershipChange,
    HealthReport,
    ModerationEvent,
)

USERS_PER_PAGE = 100  # /admin/users/list/{flag}.json (AdminUserIndexQuery)
GROUPS_PER_PAGE = 36  # /groups.json, desktop user agent
GROUP_MEMBERS_MAX_LIMIT = 1000  # /groups/{name}/members.json `limit` cap
GROUP_MEMBERS_BATCH = 1000  # GroupsController::ADD_MEMBERS_LIMIT
BULK_DELETE_BATCH = 100  # /admin/users/destroy-bulk.json takes 1..100 ids
EVENTS_MAX_LIMIT = 200  # /discourse-post-event/events.json `limit` 1..200
# Discourse's own "forever" (the time shortcut in its suspend/silence modals) is now + 1000
# years; the server calls anything past 100 years "suspended forever".
FOREVER = timedelta(days=1000 * 365)
# find_users(status=...) -> the admin list flag. "new" is the trust level 0 list: the `new`
# flag only orders by creation date, it filters nothing.
FIND_STATUS_FLAGS = {
    "": "active", "suspended": "suspended", "silenced": "silenced", "new": "newuser",
    "staff": "staff",
}  # fmt: skip

USER_FLAGS = frozenset(
    {
        "active", "new", "staff", "admins", "moderators", "silenced", "suspended", "pending",
        "staged", "newuser", "basic", "member", "regular", "leader",
    }
)  # fmt: skip


class DiscourseGroupUpdateNeedsChoice(ForumRejected):
    """The change touches default notification levels of a group that has members.

    Discourse refuses it (422 with ``user_count``) until told whether existing members get the
    new defaults too: call again with ``update_existing_users=True`` or ``False``.
    """

    kind = "needs_choice"

    def __init__(self, message: str, *, user_count: int, status: int | None = 422) -> None:
        self.user_count = user_count
        super().__init__(message, status=status)


class DiscourseOperationRunning(ForumRejected):
    """Discourse answered 200 but did not start the backup: one is already running."""

    kind = "operation_running"


def _dt(value: Any) -> datetime | None:
    """Discourse timestamps are ISO 8601 (``2024-05-01T10:00:00.000Z``); anything else is None."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(value: datetime) -> str:
    """A naive datetime is taken as UTC; Discourse parses any ISO 8601 string."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _clean(values: Iterable[Any]) -> list[str]:
    """Strip, drop empties and duplicates, keep order."""
    seen: dict[str, None] = {}
    for value in values:
        text = str(value).strip()
        if text and text.lower() not in {k.lower() for k in seen}:
            seen[text] = None
    return list(seen)


class DiscourseClient(BaseClient):
    platform = "discourse"
    software = "Discourse"
    review_pages = (("review queue", "/review"),)
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
        return parse_retry_after(response.headers.get("Retry-After"), fallback)

    # --- small helpers -----------------------------------------------------------------------
    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        payload = self.request(method, path, **kwargs)
        return payload if payload is not None else {}

    def _dict(self, payload: Any, what: str) -> dict:
        if not isinstance(payload, dict):
            raise ForumBadResponse(f"Discourse answered something other than {what}.")
        return payload

    # --- users -------------------------------------------------------------------------------
    def _user(self, data: dict) -> ForumUser:
        username = str(data.get("username") or "")
        suspended_until = _dt(data.get("suspended_till"))
        silenced_until = _dt(data.get("silenced_till"))
        return ForumUser(
            id=int(data.get("id") or 0),
            username=username,
            name=str(data.get("name") or ""),
            email=data.get("email") or None,
            trust_level=_int(data.get("trust_level")),
            active=bool(data.get("active", True)),
            admin=bool(data.get("admin")),
            moderator=bool(data.get("moderator")),
            suspended_until=suspended_until,
            suspend_reason=str(data.get("suspend_reason") or data.get("full_suspend_reason") or "")
            if suspended_until
            else "",
            silenced_until=silenced_until,
            silence_reason=str(data.get("silence_reason") or data.get("full_silence_reason") or "")
            if silenced_until
            else "",
            created_at=_dt(data.get("created_at")),
            last_seen_at=_dt(data.get("last_seen_at")),
            post_count=_int(data.get("post_count")),
            profile_url=f"{self.base_url}/u/{quote(username)}" if username else "",
        )

    def iter_users(
        self,
        *,
        flag: str = "active",
        filter: str | None = None,
        email: str | None = None,
        order: str | None = None,
        asc: bool = False,
        show_emails: bool = False,
        max_users: int | None = None,
    ) -> Iterator[ForumUser]:
        """Users from the admin list, 100 a page, until the list ends or ``max_users``.

        ``flag``: active, new, staff, admins, moderators, silenced, suspended, pending, staged
        or a trust level name. ``filter``: a username/e-mail substring (or several exact names
        separated by commas). ``email``: one exact address. ``show_emails`` is written to the
        forum's staff action log, so it is off unless asked for.
        """
        if flag not in USER_FLAGS:
            raise ValueError(f"unknown Discourse user list {flag!r}")
        params: dict[str, Any] = {}
        if filter:
            params["filter"] = filter
        if email:
            params["email"] = email
        if order:
            params["order"] = order
        if asc:
            params["asc"] = "true"
        if show_emails:
            params["show_emails"] = "true"
        yielded, page = 0, 1
        while True:
            rows = self._json(
                "GET", f"/admin/users/list/{flag}.json", params={**params, "page": page}
            )
            if not isinstance(rows, list):
                raise ForumBadResponse("Discourse's user list was not a list.")
            for row in rows:
                if max_users is not None and yielded >= max_users:
                    return
                yield self._user(row)
                yielded += 1
            if len(rows) < USERS_PER_PAGE or (max_users is not None and yielded >= max_users):
                return
            page += 1

    def list_users(
        self,
        *,
        flag: str = "active",
        filter: str | None = None,
        email: str | None = None,
        order: str | None = None,
        asc: bool = False,
        show_emails: bool = False,
        limit: int | None = 100,
    ) -> list[ForumUser]:
        """``iter_users`` as a list of at most ``limit`` users (None: all of them)."""
        return list(
            self.iter_users(
                flag=flag, filter=filter, email=email, order=order, asc=asc,
                show_emails=show_emails, max_users=limit,
            )
        )  # fmt: skip

    def get_user(self, *, user_id: int) -> ForumUser:
        """The admin view: suspension and silence details included."""
        return self._user(self._admin_user(user_id))

    def _admin_user(self, user_id: int) -> dict:
        return self._dict(self._json("GET", f"/admin/users/{int(user_id)}.json"), "a user")

    @staticmethod
    def _by(value: Any) -> str:
        return str(value.get("username") or "") if isinstance(value, dict) else ""

    def user_details(self, *, user_id: int) -> ForumUserDetails:
        """The admin view: the user, their groups and the penalties in force now.

        ``history_offered`` is False: Discourse keeps past penalties only in the staff action
        log, which this view does not carry.
        """
        data = self._admin_user(user_id)
        user = self._user(data)  # a missing user is a 404 (ForumNotFound)
        rows = data.get("groups") or []
        groups = tuple(str(g["name"]) for g in rows if isinstance(g, dict) and g.get("name"))
        history: list[ModerationEvent] = []
        if user.suspended_until:
            history.append(ModerationEvent(
                kind="suspension", at=_dt(data.get("suspended_at")), until=user.suspended_until,
                reason=user.suspend_reason, by=self._by(data.get("suspended_by")),
            ))  # fmt: skip
        if user.silenced_until:
            history.append(ModerationEvent(
                kind="silence", at=_dt(data.get("silenced_at")), until=user.silenced_until,
                reason=user.silence_reason, by=self._by(data.get("silenced_by")),
            ))  # fmt: skip
        return ForumUserDetails(user=user, groups=groups, history=tuple(history))

    def find_users(self, *, query: str = "", status: str = "", limit: int = 100) -> list[ForumUser]:
        """Users whose username or e-mail contains ``query`` ("" lists them), by ``status``:
        "" (everyone), "suspended", "silenced", "new" (trust level 0) or "staff"."""
        if status not in FIND_STATUS_FLAGS:
            raise ValueError(f"status must be one of {sorted(FIND_STATUS_FLAGS)}")
        if limit <= 0:
            return []
        # show_emails is needed to group one person's accounts across forums by e-mail
        # address; Discourse writes every such listing to its staff action log.
        return self.list_users(
            flag=FIND_STATUS_FLAGS[status], filter=query.strip() or None, show_emails=True,
            limit=int(limit),
        )  # fmt: skip

    def get_user_by_username(self, *, username: str) -> ForumUser:
        payload = self._dict(self._json("GET", f"/u/{quote(username, safe='')}.json"), "a user")
        return self._user(payload.get("user") or {})

    def get_user_by_email(self, *, email: str) -> ForumUser | None:
        """The account with exactly this address, or None. (``active`` lists every account.)"""
        for user in self.iter_users(flag="active", email=email, max_users=1):
            return user if user.email else replace(user, email=email)
        return None

    # Suspend and silence are one request shape with other names:
    # route, the field carrying the end date, the answer's object, and its end-date field.
    _PENALTIES: ClassVar[dict[str, tuple[str, str, str]]] = {
        "suspend": ("suspend_until", "suspension", "suspended_till"),
        "silence": ("silenced_till", "silence", "silenced_till"),
    }

    def _penalise(
        self, route: str, *, user_id: int, until: datetime, reason: str, message: str | None
    ) -> datetime | None:
        """Put the penalty on; returns the end date the forum recorded."""
        till_field, answer_key, answer_field = self._PENALTIES[route]
        body: dict[str, Any] = {till_field: _iso(until), "reason": reason}
        if message:
            body["message"] = message
        payload = self._json("PUT", f"/admin/users/{int(user_id)}/{route}.json", json_body=body)
        return _dt(((payload or {}).get(answer_key) or {}).get(answer_field))

    def suspend_user(
        self, *, user_id: int, until: datetime, reason: str, message: str | None = None
    ) -> datetime | None:
        """Suspend until ``until``; ``message`` (if given) is e-mailed to the user."""
        return self._penalise(
            "suspend", user_id=user_id, until=until, reason=reason, message=message
        )

    def unsuspend_user(self, *, user_id: int) -> None:
        self._json("PUT", f"/admin/users/{int(user_id)}/unsuspend.json")

    def silence_user(
        self, *, user_id: int, until: datetime, reason: str, message: str | None = None
    ) -> datetime | None:
        return self._penalise(
            "silence",
            user_id=user_id,
            until=until,
            reason=reason,
            message=message,
        )

    def unsilence_user(self, *, user_id: int) -> None:
        self._json("PUT", f"/admin/users/{int(user_id)}/unsilence.json")

    def log_out_user(self, *, user_id: int) -> None:
        self._json("POST", f"/admin/users/{int(user_id)}/log_out.json")

    def set_trust_level(self, *, user_id: int, level: int) -> None:
        if level not in range(5):
            raise ValueError("A Discourse trust level is 0 to 4.")
        self._json(
            "PUT", f"/admin/users/{int(user_id)}/trust_level.json", json_body={"level": level}
        )

    def anonymize_user(self, *, user_id: int) -> str:
        """Returns the anonymous username the account now has."""
        payload = self._json("PUT", f"/admin/users/{int(user_id)}/anonymize.json")
        return str((payload or {}).get("username") or "")

    def delete_user(
        self,
        *,
        user_id: int,
        delete_posts: bool = False,
        block_email: bool = False,
        block_ip: bool = False,
    ) -> None:
        """Without ``delete_posts`` Discourse refuses (403) to delete a user who has posts."""
        body = {"delete_posts": delete_posts, "block_email": block_email, "block_ip": block_ip}
        self._json("DELETE", f"/admin/users/{int(user_id)}.json", json_body=body)

    def delete_account(
        self,
        *,
        user_id: int,
        delete_posts: bool = True,
        block_email: bool = False,
        block_ip: bool = False,
    ) -> None:
        """Delete one account (by default with its posts), optionally blocking its e-mail
        address and IP from signing up again."""
        self.delete_user(
            user_id=user_id, delete_posts=delete_posts, block_email=block_email, block_ip=block_ip
        )

    def bulk_delete_users(
        self, *, user_ids: Iterable[int], block_ip_and_email: bool = False
    ) -> int:
        """Delete users (and always their posts) 100 per call; returns the number of calls."""
        ids = list(dict.fromkeys(int(i) for i in user_ids))
        calls = 0
        for batch in _chunks(ids, BULK_DELETE_BATCH):
            self._json(
                "DELETE",
                "/admin/users/destroy-bulk.json",
                json_body={"user_ids": list(batch), "block_ip_and_email": block_ip_and_email},
            )
            calls += 1
        return calls

    def approve_user(self, *, user_id: int) -> None:
        self._json("PUT", f"/admin/users/{int(user_id)}/approve.json")

    def activate_user(self, *, user_id: int) -> None:
        self._json("PUT", f"/admin/users/{int(user_id)}/activate.json")

    def deactivate_user(self, *, user_id: int) -> None:
        self._json("PUT", f"/admin/users/{int(user_id)}/deactivate.json")

    # --- groups ------------------------------------------------------------------------------
    @staticmethod
    def _group(data: dict) -> ForumGroup:
        return ForumGroup(
            id=int(data.get("id") or 0),
            name=str(data.get("name") or ""),
            full_name=str(data.get("full_name") or data.get("display_name") or ""),
            slug=str(data.get("name") or ""),
            description=str(data.get("bio_raw") or ""),
            user_count=_int(data.get("user_count")),
            automatic=bool(data.get("automatic")),
            # 0 = public; anything else hides the group from some viewers.
            visible=not _int(data.get("visibility_level")),
        )

    def iter_groups(self, *, filter: str | None = None) -> Iterator[ForumGroup]:
        """Every group, 36 a page (pages are 0-based)."""
        page, seen = 0, 0
        while True:
            params: dict[str, Any] = {"page": page}
            if filter:
                params["filter"] = filter
            payload = self._dict(self._json("GET", "/groups.json", params=params), "groups")
            groups = payload.get("groups") or []
            for group in groups:
                yield self._group(group)
            seen += len(groups)
            total = _int(payload.get("total_rows_groups")) or 0
            if (
                len(groups) < GROUPS_PER_PAGE
                or not payload.get("load_more_groups")
                or seen >= total
            ):
                return
            page += 1

    def list_groups(self, *, filter: str | None = None) -> list[ForumGroup]:
        return list(self.iter_groups(filter=filter))

    def get_group(self, *, name: str) -> ForumGroup:
        payload = self._dict(self._json("GET", f"/groups/{quote(name, safe='')}.json"), "a group")
        return self._group(payload.get("group") or {})

    def get_group_by_id(self, *, group_id: int) -> ForumGroup:
        payload = self._dict(self._json("GET", f"/groups/by-id/{int(group_id)}.json"), "a group")
        return self._group(payload.get("group") or {})

    @staticmethod
    def _group_fields(
        *,
        name: str,
        full_name: str | None,
        bio: str | None,
        visibility_level: int | None,
        public_admission: bool | None,
        public_exit: bool | None,
        default_notification_level: int | None,
        usernames: Iterable[str] = (),
    ) -> dict[str, Any]:
        group: dict[str, Any] = {"name": name}
        optional = {
            "full_name": full_name,
            "bio_raw": bio,
            "visibility_level": visibility_level,
            "public_admission": public_admission,
            "public_exit": public_exit,
            "default_notification_level": default_notification_level,
        }
        group.update({k: v for k, v in optional.items() if v is not None})
        names = _clean(usernames)
        if names:
            group["usernames"] = ",".join(names)
        return group

    def create_group(
        self,
        *,
        name: str,
        full_name: str | None = None,
        bio: str | None = None,
        visibility_level: int | None = None,
        public_admission: bool | None = None,
        public_exit: bool | None = None,
        default_notification_level: int | None = None,
        usernames: Iterable[str] = (),
    ) -> ForumGroup:
        group = self._group_fields(
            name=name, full_name=full_name, bio=bio, visibility_level=visibility_level,
            public_admission=public_admission, public_exit=public_exit,
            default_notification_level=default_notification_level, usernames=usernames,
        )  # fmt: skip
        payload = self._dict(
            self._json("POST", "/admin/groups.json", json_body={"group": group}), "a group"
        )
        return self._group(payload.get("basic_group") or payload.get("group") or {})

    def update_group(
        self,
        *,
        group_id: int,
        name: str,
        full_name: str | None = None,
        bio: str | None = None,
        visibility_level: int | None = None,
        public_admission: bool | None = None,
        public_exit: bool | None = None,
        default_notification_level: int | None = None,
        update_existing_users: bool | None = None,
    ) -> None:
        """Change a group. ``name`` is the group's name after the change (the spec requires it).

        When a change to default notification levels would reach existing members and
        ``update_existing_users`` is None, Discourse refuses; that becomes
        ``DiscourseGroupUpdateNeedsChoice`` carrying how many members it would touch.
        """
        group = self._group_fields(
            name=name, full_name=full_name, bio=bio, visibility_level=visibility_level,
            public_admission=public_admission, public_exit=public_exit,
            default_notification_level=default_notification_level,
        )  # fmt: skip
        params = None
        if update_existing_users is not None:
            params = {"update_existing_users": "true" if update_existing_users else "false"}
        response = self._send_keeping_422(
            "PUT", f"/groups/{int(group_id)}.json", params=params, json_body={"group": group}
        )
        if response.status_code == 422:
            payload = self._try_json(response) or {}
            count = _int(payload.get("user_count")) if isinstance(payload, dict) else None
            if count is not None:
                raise DiscourseGroupUpdateNeedsChoice(
                    f"This change would also apply to the {count} existing members' notification "
                    "settings. Choose whether existing members get the new defaults.",
                    user_count=count,
                )
            super().raise_for_status(response)
        self.decode(response)

    def delete_group(self, *, group_id: int) -> None:
        self._json("DELETE", f"/admin/groups/{int(group_id)}.json")

    def iter_group_members(
        self, *, name: str, page_size: int = GROUP_MEMBERS_MAX_LIMIT
    ) -> Iterator[ForumUser]:
        """Members (owners included once), ``limit``/``offset`` pages of at most 1,000."""
        limit = max(1, min(page_size, GROUP_MEMBERS_MAX_LIMIT))
        offset = 0
        path = f"/groups/{quote(name, safe='')}/members.json"
        while True:
            payload = self._dict(
                self._json("GET", path, params={"limit": limit, "offset": offset}), "members"
            )
            members = payload.get("members") or []
            for member in members:
                yield self._user(member)
            total = _int((payload.get("meta") or {}).get("total"))
            offset += len(members)
            if len(members) < limit or (total is not None and offset >= total):
                return

    def list_group_members(self, *, name: str) -> list[ForumUser]:
        return list(self.iter_group_members(name=name))

    @staticmethod
    def _member_targets(
        usernames: Iterable[str], user_ids: Iterable[int], emails: Iterable[str]
    ) -> tuple[str, list[str]]:
        given = [
            (field, values)
            for field, values in (
                ("usernames", _clean(usernames)),
                ("user_ids", _clean(str(int(i)) for i in user_ids)),
                ("user_emails", _clean(emails)),
            )
            if values
        ]
        if len(given) != 1:
            raise ValueError("Give exactly one of usernames, user_ids or emails.")
        return given[0]

    def add_group_members(
        self,
        *,
        group_id: int,
        usernames: Iterable[str] = (),
        user_ids: Iterable[int] = (),
        emails: Iterable[str] = (),
    ) -> GroupMembershipChange:
        """Add members, at most 1,000 per call (the server's limit), as comma strings.

        ``added`` lists the usernames Discourse reported for each batch; a batch in which every
        user already was a member (Discourse's 422) lands in ``skipped`` instead of failing,
        and so do usernames Discourse did not know.
        """
        field, values = self._member_targets(usernames, user_ids, emails)
        added: list[str] = []
        skipped: list[str] = []
        calls = 0
        for batch in _chunks(values, GROUP_MEMBERS_BATCH):
            calls += 1
            response = self._send_keeping_422(
                "PUT", f"/groups/{int(group_id)}/members.json", json_body={field: ",".join(batch)}
            )
            if response.status_code == 422:
                payload = self._try_json(response)
                text = self.error_message(response, payload).lower()
                if "already" in text:
                    skipped.extend(batch)
                    continue
                super().raise_for_status(response)
            payload = self.decode(response) or {}
            reported = [str(u) for u in payload.get("usernames") or [] if u]
            added.extend(reported)
            if field == "usernames":
                known = {u.lower() for u in reported}
                skipped.extend(u for u in batch if u.lower() not in known)
        return GroupMembershipChange(added=tuple(added), skipped=tuple(skipped), calls=calls)

    def remove_group_members(
        self,
        *,
        group_id: int,
        usernames: Iterable[str] = (),
        user_ids: Iterable[int] = (),
        emails: Iterable[str] = (),
    ) -> GroupMembershipChange:
        """Remove members, 1,000 per call; ``skipped`` holds those who were not members."""
        field, values = self._member_targets(usernames, user_ids, emails)
        removed: list[str] = []
        skipped: list[str] = []
        calls = 0
        for batch in _chunks(values, GROUP_MEMBERS_BATCH):
            calls += 1
            payload = self._json(
                "DELETE",
                f"/groups/{int(group_id)}/members.json",
                json_body={field: ",".join(batch)},
            )
            removed.extend(str(u) for u in (payload or {}).get("usernames") or [] if u)
            skipped.extend(str(u) for u in (payload or {}).get("skipped_usernames") or [] if u)
            if field == "usernames":  # Discourse drops unknown names without a word
                named = {u.lower() for u in removed + skipped}
                skipped.extend(u for u in batch if u.lower() not in named)
        return GroupMembershipChange(removed=tuple(removed), skipped=tuple(skipped), calls=calls)

    _keep_422 = False

    def _send_keeping_422(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """``send`` that hands a 422 back for the caller to read instead of raising it."""
        self._keep_422 = True
        try:
            return self.send(method, path, **kwargs)
        finally:
            self._keep_422 = False

    def raise_for_status(self, response: requests.Response) -> None:
        if response.status_code == 422 and self._keep_422:
            return
        super().raise_for_status(response)

    # --- tags --------------------------------------------------------------------------------
    def list_tags(self) -> list[ForumTag]:
        """All tags with topic counts; works with both the old (id = name) and new shapes."""
        payload = self._dict(self._json("GET", "/tags.json"), "tags")
        tags = list(payload.get("tags") or [])
        # Tags may also sit per category or per tag group in `extras`.
        extras = payload.get("extras") or {}
        for holder in (extras.get("categories") or []) + (extras.get("tag_groups") or []):
            if isinstance(holder, dict):
                tags.extend(holder.get("tags") or [])
        result: dict[str, ForumTag] = {}
        for tag in tags:
            if not isinstance(tag, dict):
                continue
            raw_id = tag.get("id")
            name = tag.get("name") or tag.get("text")
            if not name and isinstance(raw_id, str):
                name = raw_id  # before 2025-12 the id *was* the name
            if not name:
                continue
            result.setdefault(
                str(name),
                ForumTag(
                    name=str(name),
                    topic_count=_int(tag.get("count", tag.get("topic_count"))) or 0,
                    id=raw_id if isinstance(raw_id, int) else str(name),
                ),
            )
        return list(result.values())

    def iter_tag_topics(self, *, tag: str, max_topics: int | None = None) -> Iterator[ForumTopic]:
        """Topics carrying ``tag``, page by page (0-based) until the list ends."""
        page, yielded, seen_ids = 0, 0, set()
        path = f"/tag/{quote(tag, safe='')}.json"
        while True:
            params = {"page": page} if page else None
            payload = self._dict(self._json("GET", path, params=params), "a topic list")
            topic_list = payload.get("topic_list") or {}
            topics = topic_list.get("topics") or []
            fresh = 0
            for topic in topics:
                topic_id = _int(topic.get("id"))
                if topic_id is None or topic_id in seen_ids:
                    continue
                seen_ids.add(topic_id)
                fresh += 1
                if max_topics is not None and yielded >= max_topics:
                    return
                yield self._topic(topic)
                yielded += 1
            if not fresh or not topic_list.get("more_topics_url"):
                return
            page += 1

    def list_tag_topics(self, *, tag: str, limit: int | None = None) -> list[ForumTopic]:
        return list(self.iter_tag_topics(tag=tag, max_topics=limit))

    def _topic(self, data: dict) -> ForumTopic:
        tags = []
        for tag in data.get("tags") or []:
            if isinstance(tag, dict):
                tag = tag.get("name") or tag.get("id")
            if tag:
                tags.append(str(tag))
        topic_id = int(data.get("id") or 0)
        slug = str(data.get("slug") or "")
        return ForumTopic(
            id=topic_id,
            title=str(data.get("title") or ""),
            slug=slug,
            tags=tuple(tags),
            category_id=_int(data.get("category_id")),
            url=f"{self.base_url}/t/{slug or 'topic'}/{topic_id}",
        )

    def rename_tag(self, *, name: str, new_name: str) -> None:
        self._json("PUT", f"/tag/{quote(name, safe='')}.json", json_body={"tag": {"id": new_name}})

    def delete_tag(self, *, name: str) -> None:
        self._json("DELETE", f"/tag/{quote(name, safe='')}.json")

    def retag_topics(
        self, *, topic_ids: Iterable[int], tags: Iterable[str], append: bool = False
    ) -> list[int]:
        """Replace the tags of these topics (an empty list clears them), or append to them.

        Returns the ids Discourse reports as changed.
        """
        body = {
            "topic_ids": [int(i) for i in topic_ids],
            "operation": {"type": "append_tags" if append else "change_tags", "tags": _clean(tags)},
        }
        payload = self._json("PUT", "/topics/bulk.json", json_body=body)
        return [int(i) for i in (payload or {}).get("topic_ids") or []]

    # --- tag groups --------------------------------------------------------------------------
    @staticmethod
    def _tag_group(data: dict) -> ForumTagGroup:
        def names(*keys: str) -> tuple[str, ...]:
            for key in keys:
                values = data.get(key)
                if isinstance(values, list):
                    return tuple(
                        str(v.get("name") if isinstance(v, dict) else v)
                        for v in values
                        if v is not None and (not isinstance(v, dict) or v.get("name"))
                    )
            return ()

        return ForumTagGroup(
            id=int(data.get("id") or 0),
            name=str(data.get("name") or ""),
            tag_names=names("tag_names", "tags"),
            parent_tag_names=names("parent_tag_name", "parent_tag"),
            one_per_topic=bool(data.get("one_per_topic")),
        )

    def list_tag_groups(self) -> list[ForumTagGroup]:
        payload = self._dict(self._json("GET", "/tag_groups.json"), "tag groups")
        return [self._tag_group(g) for g in payload.get("tag_groups") or []]

    def get_tag_group(self, *, tag_group_id: int) -> ForumTagGroup:
        payload = self._dict(
            self._json("GET", f"/tag_groups/{int(tag_group_id)}.json"), "a tag group"
        )
        return self._tag_group(payload.get("tag_group") or {})

    def create_tag_group(
        self,
        *,
        name: str,
        tag_names: Iterable[str] = (),
        parent_tag_names: Iterable[str] = (),
        one_per_topic: bool | None = None,
    ) -> ForumTagGroup:
        """Create a tag group; named tags that do not exist yet are created with it."""
        body: dict[str, Any] = {"name": name}
        if tags := _clean(tag_names):
            body["tag_names"] = tags
        if parents := _clean(parent_tag_names):
            body["parent_tag_name"] = parents
        if one_per_topic is not None:
            body["one_per_topic"] = one_per_topic
        payload = self._dict(self._json("POST", "/tag_groups.json", json_body=body), "a tag group")
        return self._tag_group(payload.get("tag_group") or {})

    def update_tag_group(
        self,
        *,
        tag_group_id: int,
        name: str | None = None,
        tag_names: Iterable[str] | None = None,
        parent_tag_names: Iterable[str] | None = None,
        one_per_topic: bool | None = None,
    ) -> ForumTagGroup:
        """Change a tag group. Discourse resets any list left out to empty, so the current
        tags (and parent tag) are read first and always sent: a rename keeps the group's tags."""
        current = self.get_tag_group(tag_group_id=tag_group_id)
        body: dict[str, Any] = {
            "name": name if name is not None else current.name,
            "tag_names": _clean(tag_names) if tag_names is not None else list(current.tag_names),
            "parent_tag_name": _clean(parent_tag_names)
            if parent_tag_names is not None
            else list(current.parent_tag_names),
            "one_per_topic": current.one_per_topic if one_per_topic is None else one_per_topic,
        }
        payload = self._dict(
            self._json("PUT", f"/tag_groups/{int(tag_group_id)}.json", json_body=body),
            "a tag group",
        )
        group = payload.get("tag_group")
        return self._tag_group(group) if isinstance(group, dict) else current

    def delete_tag_group(self, *, tag_group_id: int) -> None:
        self._json("DELETE", f"/tag_groups/{int(tag_group_id)}.json")

    # --- backups -----------------------------------------------------------------------------
    def list_backups(self) -> list[Backup]:
        payload = self._json("GET", "/admin/backups.json")
        if not isinstance(payload, list):
            raise ForumBadResponse("Discourse's backup list was not a list.")
        return [
            Backup(
                filename=str(b.get("filename") or ""),
                size=_int(b.get("size")) or 0,
                last_modified=_dt(b.get("last_modified")),
            )
            for b in payload
            if isinstance(b, dict)
        ]

    def create_backup(self, *, with_uploads: bool = False) -> None:
        """Start a backup. Discourse says "already running" with HTTP 200, so that becomes
        ``DiscourseOperationRunning``."""
        # The controller compares params[:with_uploads] == "true": send the string.
        body = {"with_uploads": "true" if with_uploads else "false"}
        payload = self._json("POST", "/admin/backups.json", json_body=body)
        if isinstance(payload, dict) and payload.get("failed"):
            raise DiscourseOperationRunning(
                "Discourse did not start the backup: "
                + str(payload.get("message") or "another backup or restore is running."),
                status=200,
            )

    def backup_status(self) -> BackupStatus:
        payload = self._dict(self._json("GET", "/admin/backups/status.json"), "a backup status")
        return BackupStatus(
            is_running=bool(payload.get("is_operation_running")),
            can_rollback=bool(payload.get("can_rollback")),
            allow_restore=bool(payload.get("allow_restore")),
        )

    def send_backup_download_link(self, *, filename: str) -> None:
        """Discourse e-mails the acting admin a download link (there is no token-less download)."""
        self._json("PUT", f"/admin/backups/{quote(filename, safe='')}")

    # --- calendar ----------------------------------------------------------------------------
    def _event(self, data: dict) -> CalendarEvent | None:
        starts_at = _dt(data.get("starts_at"))
        if starts_at is None:
            return None
        post = data.get("post") or {}
        url = str(data.get("url") or "")
        if not url.startswith("http") and post.get("url"):
            url = f"{self.base_url}{post['url']}"
        topic = post.get("topic") or {}
        return CalendarEvent(
            id=int(data.get("id") or 0),
            name=str(data.get("name") or topic.get("title") or ""),
            starts_at=starts_at,
            ends_at=_dt(data.get("ends_at")),
            timezone=str(data.get("timezone") or ""),
            all_day=bool(data.get("all_day")),
            category_id=_int(data.get("category_id")),
            url=url,
            location=str(data.get("location") or ""),
            description=str(data.get("description") or ""),
        )

    def _event_params(
        self,
        *,
        after: datetime | None,
        before: datetime | None,
        category_id: int | None,
        include_subcategories: bool,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if after is not None:
            params["after"] = _iso(after)
        if before is not None:
            params["before"] = _iso(before)
        if category_id is not None:
            params["category_id"] = int(category_id)
            if include_subcategories:
                params["include_subcategories"] = "true"
        return params

    def iter_events(
        self,
        *,
        after: datetime,
        before: datetime,
        category_id: int | None = None,
        include_subcategories: bool = False,
        page_size: int = EVENTS_MAX_LIMIT,
    ) -> Iterator[CalendarEvent]:
        """Events starting between ``after`` and ``before``, oldest first.

        The route has no page parameter: when a page is full, the next one starts at the last
        start time seen (events already returned are skipped).
        """
        limit = max(1, min(page_size, EVENTS_MAX_LIMIT))
        seen: set[int] = set()
        cursor = after if after.tzinfo else after.replace(tzinfo=UTC)
        while True:
            params = self._event_params(
                after=cursor, before=before, category_id=category_id,
                include_subcategories=include_subcategories,
            )  # fmt: skip
            params.update(order="asc", limit=limit)
            payload = self._dict(
                self._json("GET", "/discourse-post-event/events.json", params=params), "events"
            )
            rows = payload.get("events") or []
            fresh = 0
            last_start = cursor
            for row in rows:
                event = self._event(row)
                if event is None or event.id in seen:
                    continue
                seen.add(event.id)
                fresh += 1
                last_start = max(last_start, event.starts_at)
                yield event
            if len(rows) < limit or not fresh:
                return
            cursor = last_start

    def list_events(
        self,
        *,
        after: datetime,
        before: datetime,
        category_id: int | None = None,
        include_subcategories: bool = False,
    ) -> list[CalendarEvent]:
        return list(
            self.iter_events(
                after=after, before=before, category_id=category_id,
                include_subcategories=include_subcategories,
            )
        )  # fmt: skip

    def export_events_ics(
        self,
        *,
        after: datetime | None = None,
        before: datetime | None = None,
        category_id: int | None = None,
        include_subcategories: bool = False,
    ) -> str:
        """The forum's own iCalendar feed for these events (text/calendar)."""
        params = self._event_params(
            after=after, before=before, category_id=category_id,
            include_subcategories=include_subcategories,
        )  # fmt: skip
        return self.request(
            "GET",
            "/discourse-post-event/events.ics",
            params=params or None,
            expect="text",
            headers={"Accept": "text/calendar"},
        )

    # --- site info and counts ----------------------------------------------------------------
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
        return _int(stats.get("users_count", stats.get("user_count")))

    def review_count(self) -> int:
        """Items waiting in the review queue (flags, queued posts, users to approve)."""
        payload = self._dict(self._json("GET", "/review/count.json"), "a count")
        return _int(payload.get("count")) or 0

    # --- health ------------------------------------------------------------------------------
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
            profile = self.request("GET", f"/u/{quote(self.api_username or 'system')}.json")
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

    # --- platform-neutral verbs (see BaseClient) ---------------------------------------------
    member_batch_size = GROUP_MEMBERS_BATCH
    delete_batch_size = BULK_DELETE_BATCH
    resolve_batch_size = 100  # the admin list's filter takes up to 100 exact terms

    def resolve_users(self, *, targets: list[str]) -> dict[str, ForumUser]:
        """Usernames and e-mails 100 per call (the list's multi-term filter matches exactly);
        numeric ids one call each."""
        wanted = [t.strip().lower() for t in targets if t and t.strip()]
        found: dict[str, ForumUser] = {}
        ids = [t for t in wanted if t.isdigit()]
        names = [t for t in wanted if not t.isdigit()]
        for batch in _chunks(names, self.resolve_batch_size):
            batch_set = set(batch)
            has_email = any("@" in t for t in batch)
            if len(batch) == 1 and has_email:
                user = self.get_user_by_email(email=batch[0])
                users = [user] if user else []
            else:
                # One term is a substring search; several are exact. Match exactly either way.
                users = self.iter_users(
                    flag="active", filter=",".join(batch), show_emails=has_email
                )
            missing = set(batch_set)
            for user in users:
                for key in (user.username.lower(), (user.email or "").lower()):
                    if key in batch_set:
                        found[key] = user
                        missing.discard(key)
                if not missing:
                    break  # every name matched: a full page needs no second look
        for user_id in ids:
            try:
                found[user_id] = self.get_user(user_id=int(user_id))
            except ForumNotFound:
                continue
        return found

    @staticmethod
    def _until(until: datetime | None) -> datetime:
        return until if until is not None else datetime.now(UTC) + FOREVER

    def suspend(
        self, *, user_id: int, until: datetime | None = None, reason: str, message: str = ""
    ) -> None:
        """``until`` None: permanently (Discourse's own "forever", 1000 years from now)."""
        self.suspend_user(
            user_id=user_id, until=self._until(until), reason=reason, message=message or None
        )

    def unsuspend(self, *, user_id: int) -> None:
        self.unsuspend_user(user_id=user_id)

    def silence(
        self, *, user_id: int, until: datetime | None = None, reason: str, message: str = ""
    ) -> None:
        """``until`` None: permanently (as for ``suspend``)."""
        self.silence_user(
            user_id=user_id, until=self._until(until), reason=reason, message=message or None
        )

    def unsilence(self, *, user_id: int) -> None:
        self.unsilence_user(user_id=user_id)

    def delete_users(self, *, user_ids: list[int], block_ip_and_email: bool = False) -> int:
        return self.bulk_delete_users(user_ids=user_ids, block_ip_and_email=block_ip_and_email)

    def find_group(self, *, name: str) -> ForumGroup:
        return self.get_group(name=name)

    def group_member_ids(self, *, group: ForumGroup) -> set[int]:
        return {user.id for user in self.iter_group_members(name=group.name)}

    def add_members(self, *, group: ForumGroup, user_ids: list[int]) -> GroupMembershipChange:
        return self.add_group_members(group_id=int(group.id), user_ids=user_ids)

    def remove_members(self, *, group: ForumGroup, user_ids: list[int]) -> GroupMembershipChange:
        return self.remove_group_members(group_id=int(group.id), user_ids=user_ids)
