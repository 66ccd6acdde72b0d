"""NodeBB: `Authorization: Bearer`, write API under /api/v3, read API under /api/ (see
shared/specs/nodebb). A master token acts as the uid in ``api_username`` via ``_uid``.

Every public method takes keyword-only arguments, hides pagination, unwraps the write API's
``{"status": ..., "response": ...}`` envelope and returns the neutral records of ``records.py``.
Request bodies carry exactly what ``write.yaml`` describes; ``_uid`` and the few fields the spec
omits (``reason`` on unban) travel in the query string. Every departure from the specs is listed,
with the ENDPOINTS.md line that justifies it, in ``tests/contract/nodebb_exemptions.py``.
Nothing here sleeps: a 429 raises ``ForumRateLimited`` with the wait and the caller decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from .base import BaseClient
from .errors import (
    CapabilityNotOffered,
    ForumBadResponse,
    ForumError,
    ForumForbidden,
    ForumNotFound,
    ForumReauthRequired,
    ForumUnauthorized,
)
from .records import (
    Capability,
    ForumGroup,
    ForumTag,
    ForumTopic,
    ForumUser,
    ForumUserDetails,
    GroupMembershipChange,
    HealthReport,
    ModerationEvent,
)

ACP_USERS_PER_PAGE = 100  # /api/admin/manage/users `resultsPerPage`: 50, 100, 250 or 500
USER_SEARCH_FIELDS = frozenset({"username", "fullname", "email", "uid", "ip"})
USER_STATUS_FILTERS = frozenset({"banned", "muted", "verified", "unverified"})
USER_SORTS = frozenset({"postcount", "reputation", "joindate", "lastonline", "flags"})
# find_users(status=...): the ACP list filter for each neutral status ("new" and "staff" are
# worked out by the client: NodeBB has no such filter).
FIND_STATUS_FILTERS: dict[str, str | None] = {
    "": None, "suspended": "banned", "silenced": "muted", "new": None, "staff": None,
}  # fmt: skip
NEW_USER_DAYS = 30
STAFF_GROUPS = ("administrators", "global-moderators")  # slugs
EMAIL_SEARCH_FORBIDDEN = (
    "This forum's API key may not see e-mail addresses: NodeBB lets only administrators "
    "search users by e-mail. Search by username, or use an administrator's token."
)

# The messages NodeBB gives (translated, or raw when a language key is missing) for an unknown
# uid: `[[error:invalid-uid]]` is answered with 401, which is not a credentials problem.
_INVALID_UID_MESSAGES = frozenset({"Invalid User ID", "[[error:invalid-uid]]"})

# Routes behind `middleware.requireAPIReAuth` (NodeBB 4.14.9+, ENDPOINTS.md "Re-auth"): a Bearer
# token never satisfies them, so they answer 401 exactly as a refused token does.
_REAUTH_ROUTES: tuple[tuple[frozenset[str], re.Pattern[str]], ...] = (
    (frozenset({"PUT", "DELETE"}),
     re.compile(r"^/api/v3/groups/administrators/membership/[^/]+/?$")),
    (frozenset({"PUT", "DELETE"}), re.compile(r"^/api/v3/groups/[^/]+/ownership/[^/]+/?$")),
    (frozenset({"POST"}), re.compile(r"^/api/v3/groups/administrators/invites/[^/]+/?$")),
    (frozenset({"PUT"}), re.compile(r"^/api/v3/users/\d+/password/?$")),
    (frozenset({"POST"}), re.compile(r"^/api/v3/users/\d+/(emails|tokens)/?$")),
    (frozenset({"POST"}), re.compile(r"^/api/v3/admin/(tokens|plugins/[^/]+)/?$")),
)  # fmt: skip

REAUTH_MESSAGE = (
    "NodeBB only allows this action after a fresh password login (re-authentication, "
    "NodeBB 4.14.7+), which is not possible with an API token. Do it in NodeBB's admin panel."
)
ADMINISTRATORS_REAUTH_MESSAGE = (
    "NodeBB only lets a freshly re-authenticated browser session change the members of the "
    "administrators group; this is not possible with an API token. Do it in NodeBB's admin panel."
)


def ms_to_datetime(value: Any) -> datetime | None:
    """NodeBB stores times as milliseconds since the epoch; 0, empty or junk is None."""
    try:
        ms = float(value)
    except (TypeError, ValueError):
        return None
    if ms <= 0:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def datetime_to_ms(value: datetime) -> int:
    if value.tzinfo is None:
        raise ValueError("Pass an aware datetime (with a time zone), e.g. datetime.now(UTC).")
    return int(value.timestamp() * 1000)


def _int(value: Any, default: int | None = None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _text(value: Any) -> str:
    """Free text from NodeBB; an untranslated default such as
    ``[[user:info.mute-reason-default]]`` means "no reason given"."""
    text = str(value or "").strip()
    return "" if re.fullmatch(r"\[\[[^\]]+\]\]", text) else text


def _flag(value: Any) -> bool:
    """NodeBB mixes booleans, 0/1 and "0"/"1" for the same fields."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false")
    return bool(value)


class NodeBBClient(BaseClient):
    platform = "nodebb"
    software = "NodeBB"
    review_pages = (("flags", "/flags"), ("post queue", "/post-queue"))
    capabilities = frozenset(
        {
            Capability.USER_SEARCH,
            Capability.USER_BAN,
            Capability.USER_MUTE,
            Capability.USER_DELETE,
            Capability.USER_DELETE_CONTENT,
            Capability.USER_BULK_DELETE,
            Capability.GROUPS,
            Capability.TAGS,
            Capability.TOPIC_RETAG,
            Capability.REVIEW_QUEUE,
        }
    )
    # Not offered, and why (the UI shows "not offered by this forum"):
    # - TAG_RENAME / TAG_DELETE (and creating a tag without a topic): socket.io only
    #   (`admin.tags.*`), which needs a cookie session, never a Bearer token.
    # - GROUP_BATCH_MEMBERS: one uid per PUT/DELETE /groups/{slug}/membership/{uid}.
    # - BACKUPS, CALENDAR, TAG_GROUPS: NodeBB core has none (the calendar plugin lists events
    #   over socket.io only).
    # - USER_SUSPEND / USER_SILENCE / USER_TRUST_LEVEL...: Discourse concepts; NodeBB bans/mutes.

    # --- plumbing ----------------------------------------------------------------------------
    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"}

    def request(self, method: str, path: str, *, params=None, **kwargs) -> Any:
        if self.master_token:
            # A master token must name the acting uid on every call; the query string keeps
            # request bodies exactly as the spec describes them.
            params = dict(params or {})
            params.setdefault("_uid", self.api_username)
        try:
            return super().request(method, path, params=params, **kwargs)
        except ForumReauthRequired:
            raise
        except ForumUnauthorized as exc:
            if self._is_reauth_route(method, path) and self._token_works():
                message = (
                    ADMINISTRATORS_REAUTH_MESSAGE
                    if "/groups/administrators/" in path
                    else REAUTH_MESSAGE
                )
                raise ForumReauthRequired(message, status=exc.status) from None
            raise

    @staticmethod
    def _is_reauth_route(method: str, path: str) -> bool:
        path = path.split("?", 1)[0]
        return any(
            method.upper() in methods and pattern.match(path) for methods, pattern in _REAUTH_ROUTES
        )

    def _token_works(self) -> bool:
        """A re-auth route and a refused token both answer 401; /api/self tells them apart."""
        try:
            super().request("GET", "/api/self", params=self._uid_params())
        except ForumError:
            return False
        return True

    def _uid_params(self) -> dict[str, str] | None:
        return {"_uid": self.api_username} if self.master_token else None

    def raise_for_status(self, response: requests.Response) -> None:
        if response.status_code == 401:
            own = self.error_message(response, self._try_json(response))
            if own in _INVALID_UID_MESSAGES:
                raise ForumNotFound("NodeBB has no user with that id.", status=404)
        super().raise_for_status(response)

    def error_message(self, response: requests.Response, payload: Any) -> str:
        if isinstance(payload, dict):
            status = payload.get("status")
            if isinstance(status, dict) and status.get("message"):
                return str(status["message"])
            if isinstance(payload.get("error"), str):
                return payload["error"]
        return ""

    def _write(
        self, method: str, path: str, *, params: dict | None = None, body: Any = None
    ) -> Any:
        """A write API call, unwrapped from its ``{"status", "response"}`` envelope."""
        payload = self.request(method, path, params=params, json_body=body)
        if payload is None:
            return None
        if not isinstance(payload, dict) or "status" not in payload:
            raise ForumBadResponse("NodeBB's write API answered without its status envelope.")
        return payload.get("response")

    def _read(self, path: str, *, params: dict | list | None = None) -> dict:
        payload = self.request("GET", path, params=params)
        if not isinstance(payload, dict):
            raise ForumBadResponse("NodeBB's read API answered something other than an object.")
        return payload

    @staticmethod
    def _seg(value: Any) -> str:
        return quote(str(value), safe="@")

    # --- records -----------------------------------------------------------------------------
    def _user(self, data: dict, *, ban_reason: str = "") -> ForumUser:
        slug = str(data.get("userslug") or "")
        expire = data.get("banned:expire", data.get("banned_until"))
        muted_until = ms_to_datetime(data.get("mutedUntil"))
        muted = _flag(data.get("muted")) or bool(muted_until and muted_until > datetime.now(tz=UTC))
        fullname = str(data.get("fullname") or "")
        groups = {
            str(g.get("name") if isinstance(g, dict) else g) for g in data.get("groups") or []
        }
        return ForumUser(
            id=int(data.get("uid") or 0),
            username=str(data.get("username") or ""),
            name=fullname,
            email=str(data["email"]) if data.get("email") else None,
            reputation=_int(data.get("reputation")),
            admin=_flag(data.get("administrator"))
            or _flag(data.get("isTargetAdmin"))
            or "administrators" in groups,
            moderator=_flag(data.get("isGlobalModerator")) or "Global Moderators" in groups,
            banned=_flag(data.get("banned")),
            banned_until=ms_to_datetime(expire) if _flag(data.get("banned")) else None,
            ban_reason=_text(ban_reason or data.get("banReason")),
            muted=muted,
            muted_until=muted_until if muted else None,
            mute_reason=_text(data.get("mutedReason")) if muted else "",
            created_at=ms_to_datetime(data.get("joindate")),
            last_seen_at=ms_to_datetime(data.get("lastonline")),
            post_count=_int(data.get("postcount")),
            profile_url=f"{self.base_url}/user/{quote(slug)}" if slug else "",
        )

    @staticmethod
    def _group(data: dict) -> ForumGroup:
        slug = str(data.get("slug") or "")
        return ForumGroup(
            id=slug,
            name=str(data.get("name") or ""),
            full_name=str(data.get("displayName") or data.get("name") or ""),
            slug=slug,
            description=str(data.get("description") or ""),
            user_count=_int(data.get("memberCount")),
            automatic=_flag(data.get("system")),
            visible=not _flag(data.get("hidden")),
        )

    def _topic(self, data: dict) -> ForumTopic:
        slug = str(data.get("slug") or "")
        tags = tuple(
            str(t.get("value") if isinstance(t, dict) else t) for t in data.get("tags") or []
        )
        return ForumTopic(
            id=int(data.get("tid") or 0),
            title=str(data.get("titleRaw") or data.get("title") or ""),
            slug=slug,
            tags=tags,
            category_id=_int(data.get("cid")),
            url=f"{self.base_url}/topic/{slug}" if slug else "",
        )

    @staticmethod
    def _tag_names(response: Any) -> tuple[str, ...]:
        return tuple(
            str(t.get("value") if isinstance(t, dict) else t)
            for t in (response if isinstance(response, list) else [])
            if t
        )

    # --- users: read -------------------------------------------------------------------------
    def iter_users(
        self,
        *,
        query: str = "",
        search_by: str = "username",
        status: str | Iterable[str] | None = None,
        page_size: int = ACP_USERS_PER_PAGE,
        sort_by: str | None = None,
        descending: bool = True,
    ) -> Iterator[ForumUser]:
        """Users from the ACP list (``GET /api/admin/manage/users``), page after page.

        ``search_by`` is ``username`` (default), ``fullname``, ``email``, ``uid`` or ``ip``
        (e-mail and IP search need an administrator). ``status`` filters on ``banned``,
        ``muted``, ``verified`` or ``unverified`` (several may be given). ``sort_by``:
        ``joindate``, ``lastonline``, ``postcount``, ``reputation`` or ``flags``.
        """
        self.require(Capability.USER_SEARCH)
        if search_by not in USER_SEARCH_FIELDS:
            raise ValueError(f"search_by must be one of {sorted(USER_SEARCH_FIELDS)}")
        filters = [status] if isinstance(status, str) else list(status or [])
        unknown = set(filters) - USER_STATUS_FILTERS
        if unknown:
            raise ValueError(f"Unknown user status filter(s): {sorted(unknown)}")
        if sort_by is not None and sort_by not in USER_SORTS:
            raise ValueError(f"sort_by must be one of {sorted(USER_SORTS)}")
        page = 1
        while True:
            params: list[tuple[str, Any]] = [("page", page), ("resultsPerPage", page_size)]
            if query:
                params += [("query", query), ("searchBy", search_by)]
            params += [("filters", f) for f in filters]
            if sort_by:
                params += [("sortBy", sort_by), ("sortDirection", "desc" if descending else "asc")]
            if self.master_token:
                params.append(("_uid", self.api_username))
            payload = self._read_list("/api/admin/manage/users", params)
            users = payload.get("users") or []
            for item in users:
                if isinstance(item, dict):
                    yield self._user(item)
            page_count = _int(payload.get("pageCount"), 1) or 1
            if page >= page_count or not users:
                return
            page += 1

    def _read_list(self, path: str, params: list[tuple[str, Any]]) -> dict:
        # Repeatable query parameters (filters=banned&filters=muted) need a list of pairs; the
        # `_uid` pair is already in it, so bypass the dict-based injection in request().
        payload = BaseClient.request(self, "GET", path, params=params)
        if not isinstance(payload, dict):
            raise ForumBadResponse("NodeBB's read API answered something other than an object.")
        return payload

    def search_users(
        self,
        *,
        query: str = "",
        search_by: str = "username",
        status: str | Iterable[str] | None = None,
        limit: int | None = None,
    ) -> list[ForumUser]:
        """Search (or, with no query, list) users; see ``iter_users``."""
        found: list[ForumUser] = []
        for user in self.iter_users(query=query, search_by=search_by, status=status):
            found.append(user)
            if limit is not None and len(found) >= limit:
                break
        return found

    def list_users(
        self, *, status: str | Iterable[str] | None = None, limit: int | None = None
    ) -> list[ForumUser]:
        return self.search_users(status=status, limit=limit)

    def count_users(self) -> int:
        payload = self._read("/api/admin/manage/users", params={"resultsPerPage": 50})
        count = _int(payload.get("userCount"))
        if count is None:
            raise ForumBadResponse("NodeBB's user list did not say how many users there are.")
        return count

    def get_user(self, *, uid: int) -> ForumUser:
        """One user by uid, with ban reason and mute state from the moderation view."""
        return self._user_with_info(uid)[0]

    def _user_with_info(self, uid: int) -> tuple[ForumUser, dict | None]:
        """The user, and the moderation view (None if the acting user may not see it)."""
        data = self._write("GET", f"/api/v3/users/{int(uid)}")
        if not isinstance(data, dict) or not data.get("uid"):
            raise ForumNotFound("NodeBB has no user with that id.")
        slug = data.get("userslug")
        if not slug:
            return self._user(data), None
        try:
            info = self._read(f"/api/user/{self._seg(slug)}/info")
        except (ForumForbidden, ForumNotFound):
            return self._user(data), None  # the acting user may not see moderation history
        merged = {**data, **{k: v for k, v in info.items() if k in _INFO_FIELDS}}
        bans = ((info.get("history") or {}).get("bans")) or []
        reason = ""
        if _flag(merged.get("banned")) and bans and isinstance(bans[0], dict):
            reason = str(bans[0].get("reason") or "")
        return self._user(merged, ban_reason=reason), info

    def user_details(self, *, user_id: int) -> ForumUserDetails:
        """The user, their groups and their ban and mute history (from the moderation view,
        ``/api/user/{slug}/info``). ``history_offered`` is False when the acting user may not
        see that view."""
        user, info = self._user_with_info(user_id)
        if info is None:
            return ForumUserDetails(user=user)
        groups = tuple(
            str(g.get("name") if isinstance(g, dict) else g)
            for g in info.get("groups") or []
            if g and not str(g.get("name") if isinstance(g, dict) else g).startswith("cid:")
        )
        history = info.get("history") or {}
        events = [
            self._event(kind, entry)
            for kind, key in (("ban", "bans"), ("mute", "mutes"))
            for entry in history.get(key) or []
            if isinstance(entry, dict)
        ]
        oldest = datetime.min.replace(tzinfo=UTC)
        events.sort(key=lambda e: e.at or oldest, reverse=True)
        return ForumUserDetails(
            user=user, groups=groups, history=tuple(events), history_offered=True
        )

    @staticmethod
    def _event(kind: str, entry: dict) -> ModerationEvent:
        by = entry.get("user")
        return ModerationEvent(
            kind=kind,
            at=ms_to_datetime(entry.get("timestamp")),
            # 0 / absent: a permanent ban
            until=ms_to_datetime(entry.get("expire", entry.get("until"))),
            reason=_text(entry.get("reason")),
            by=str(by.get("username") or "") if isinstance(by, dict) else "",
        )

    def find_users(self, *, query: str = "", status: str = "", limit: int = 100) -> list[ForumUser]:
        """Users by username prefix, or by e-mail when ``query`` contains "@" (administrators
        only), filtered by ``status``: "" (everyone), "suspended" (banned), "silenced" (muted),
        "new" (joined in the last 30 days) or "staff" (administrators, global moderators)."""
        if status not in FIND_STATUS_FILTERS:
            raise ValueError(f"status must be one of {sorted(FIND_STATUS_FILTERS)}")
        query = query.strip()
        if limit <= 0:
            return []
        by_email = "@" in query
        try:
            if status == "staff":
                return self._find_staff(query=query, limit=limit)
            return self._find_listed(query=query, by_email=by_email, status=status, limit=limit)
        except ForumForbidden as exc:
            if by_email:
                raise ForumForbidden(EMAIL_SEARCH_FORBIDDEN, status=exc.status) from None
            raise

    def _find_listed(
        self, *, query: str, by_email: bool, status: str, limit: int
    ) -> list[ForumUser]:
        cutoff = None
        if status == "new":
            cutoff = datetime.now(tz=UTC) - timedelta(days=NEW_USER_DAYS)
        found: list[ForumUser] = []
        users = self.iter_users(
            query=query, search_by="email" if by_email else "username",
            status=FIND_STATUS_FILTERS[status], sort_by="joindate" if cutoff else None,
        )  # fmt: skip
        for user in users:
            if cutoff is not None and (user.created_at is None or user.created_at < cutoff):
                break  # newest first: everyone after this one joined earlier
            found.append(user)
            if len(found) >= limit:
                break
        return found

    def _find_staff(self, *, query: str, limit: int) -> list[ForumUser]:
        # No ACP filter for staff: read the two groups, then each member's ACP record (which
        # carries the e-mail address and the administrator flag; member rows do not).
        admins = {u.id for u in self.list_group_members(slug=STAFF_GROUPS[0])}
        moderators = {u.id for u in self.list_group_members(slug=STAFF_GROUPS[1])}
        wanted = query.lower()
        found: list[ForumUser] = []
        for uid in sorted(admins | moderators):
            for user in self.search_users(query=str(uid), search_by="uid", limit=1):
                if user.id != uid:
                    continue
                user = replace(user, admin=user.admin or uid in admins,
                               moderator=user.moderator or uid in moderators)  # fmt: skip
                if (
                    wanted
                    and wanted not in user.username.lower()
                    and wanted not in (user.email or "").lower()
                ):
                    continue
                found.append(user)
            if len(found) >= limit:
                break
        return found[:limit]

    def get_user_by_username(self, *, username: str) -> ForumUser:
        return self._user(self._read(f"/api/user/username/{self._seg(username)}"))

    def get_user_by_email(self, *, email: str) -> ForumUser:
        """Only confirmed e-mail addresses resolve (NodeBB keeps pending ones apart)."""
        return self._user(self._read(f"/api/user/email/{self._seg(email)}"))

    def resolve_uids(self, *, usernames: Iterable[str]) -> dict[str, int]:
        """Username -> uid for the usernames NodeBB knows; unknown ones are left out."""
        found: dict[str, int] = {}
        for username in dict.fromkeys(u.strip() for u in usernames if u and u.strip()):
            try:
                data = self._read(f"/api/user/username/{self._seg(username)}")
            except ForumNotFound:
                continue
            uid = _int(data.get("uid"))
            if uid:
                found[username] = uid
        return found

    # --- users: moderation -------------------------------------------------------------------
    def ban_user(self, *, uid: int, until: datetime | None = None, reason: str = "") -> None:
        """Ban until ``until`` (aware datetime), or permanently when it is None."""
        self.require(Capability.USER_BAN)
        body: dict[str, Any] = {"until": datetime_to_ms(until) if until else 0}
        if reason:
            body["reason"] = reason
        self._write("PUT", f"/api/v3/users/{int(uid)}/ban", body=body)

    def unban_user(self, *, uid: int, reason: str = "") -> None:
        self.require(Capability.USER_BAN)
        # NodeBB reads `req.query.reason || req.body.reason`: without a non-empty ?reason= and
        # without a body it fails with a TypeError (400). The spec declares no body here, so a
        # reason goes in the query and only a reason-less unban sends the empty JSON body.
        params = {"reason": reason} if reason else None
        self._write("DELETE", f"/api/v3/users/{int(uid)}/ban", params=params,
                    body=None if reason else {})  # fmt: skip

    def mute_user(self, *, uid: int, until: datetime, reason: str = "") -> None:
        """Mute until ``until``: NodeBB has no permanent mute (``mutedUntil`` is a time)."""
        self.require(Capability.USER_MUTE)
        if until is None:
            raise ValueError("NodeBB mutes until a time: pass `until`.")
        body: dict[str, Any] = {"until": datetime_to_ms(until)}
        if reason:
            body["reason"] = reason
        self._write("PUT", f"/api/v3/users/{int(uid)}/mute", body=body)

    def unmute_user(self, *, uid: int, reason: str = "") -> None:
        self.require(Capability.USER_MUTE)
        # Always a JSON body: NodeBB fails (400) on an unmute without one (see unban_user).
        self._write(
            "DELETE", f"/api/v3/users/{int(uid)}/mute", body={"reason": reason} if reason else {}
        )

    def delete_user(self, *, uid: int) -> None:
        """Delete the account and everything it posted."""
        self.require(Capability.USER_DELETE)
        self._write("DELETE", f"/api/v3/users/{int(uid)}")

    def delete_user_account(self, *, uid: int) -> None:
        """Delete the account only; its posts stay (shown as from a deleted user)."""
        self.require(Capability.USER_DELETE)
        self._write("DELETE", f"/api/v3/users/{int(uid)}/account")

    def delete_user_content(self, *, uid: int) -> None:
        """Delete everything the user posted; the account stays."""
        self.require(Capability.USER_DELETE_CONTENT)
        self._write("DELETE", f"/api/v3/users/{int(uid)}/content")

    def delete_account(
        self,
        *,
        user_id: int,
        delete_posts: bool = True,
        block_email: bool = False,
        block_ip: bool = False,
    ) -> None:
        """With ``delete_posts``: the account and its content (``DELETE /users/{uid}``); else
        the account only. NodeBB cannot block the e-mail or IP (no USER_DELETE_BLOCK), so
        those flags are ignored."""
        if delete_posts:
            self.delete_user(uid=user_id)
        else:
            self.delete_user_account(uid=user_id)

    def delete_content(self, *, user_id: int) -> None:
        """Everything the user posted; the account stays."""
        self.delete_user_content(uid=user_id)

    def bulk_delete_users(self, *, uids: Iterable[int]) -> int:
        """Delete many accounts and their content in one call; returns how many were sent.

        NodeBB refuses the whole call (400, nothing deleted) when any uid is an administrator,
        so callers should drop admins first.
        """
        self.require(Capability.USER_BULK_DELETE)
        ids = list(dict.fromkeys(int(u) for u in uids))
        if not ids:
            return 0
        # `/users/` with the slash: the spec's path; the real server answers both.
        self._write("DELETE", "/api/v3/users/", body={"uids": ids})
        return len(ids)

    # --- groups ------------------------------------------------------------------------------
    def list_groups(self, *, limit: int | None = None) -> list[ForumGroup]:
        """Every group an administrator sees (incl. hidden and system ones), all pages."""
        self.require(Capability.GROUPS)
        found: list[ForumGroup] = []
        page = 1
        while True:
            payload = self._read("/api/admin/manage/groups", params={"page": page})
            groups = payload.get("groups") or []
            for item in groups:
                if isinstance(item, dict):
                    found.append(self._group(item))
                    if limit is not None and len(found) >= limit:
                        return found
            page_count = _int((payload.get("pagination") or {}).get("pageCount"), 1) or 1
            if page >= page_count or not groups:
                return found
            page += 1

    def get_group(self, *, slug: str) -> ForumGroup:
        self.require(Capability.GROUPS)
        payload = self._read(f"/api/groups/{self._seg(slug)}")
        if not isinstance(payload.get("group"), dict):
            raise ForumNotFound("NodeBB has no group with that name.")
        return self._group(payload["group"])

    def create_group(
        self, *, name: str, description: str = "", hidden: bool = False, private: bool = False
    ) -> ForumGroup:
        self.require(Capability.GROUPS)
        body: dict[str, Any] = {"name": name, "hidden": int(hidden), "private": int(private)}
        if description:
            body["description"] = description
        return self._group(self._write("POST", "/api/v3/groups/", body=body) or {})

    def update_group(
        self,
        *,
        slug: str,
        name: str | None = None,
        description: str | None = None,
        hidden: bool | None = None,
        private: bool | None = None,
    ) -> ForumGroup:
        self.require(Capability.GROUPS)
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if description is not None:
            body["description"] = description
        if hidden is not None:
            body["hidden"] = int(hidden)
        if private is not None:
            body["private"] = int(private)
        return self._group(self._write("PUT", f"/api/v3/groups/{self._seg(slug)}", body=body) or {})

    def delete_group(self, *, slug: str) -> None:
        self.require(Capability.GROUPS)
        self._write("DELETE", f"/api/v3/groups/{self._seg(slug)}")

    def list_group_members(self, *, slug: str, limit: int | None = None) -> list[ForumUser]:
        """Owners first, then members, 20 per call (``after`` / ``nextStart``)."""
        self.require(Capability.GROUPS)
        found: list[ForumUser] = []
        after = 0
        while True:
            data = self._write(
                "GET", f"/api/v3/groups/{self._seg(slug)}/members", params={"after": after}
            )
            users = (data or {}).get("users") or []
            for item in users:
                if isinstance(item, dict):
                    found.append(self._user(item))
                    if limit is not None and len(found) >= limit:
                        return found
            next_start = _int((data or {}).get("nextStart"))
            if not users or next_start is None or next_start <= after:
                return found
            after = next_start

    def add_group_members(
        self, *, slug: str, uids: Iterable[int] = (), usernames: Iterable[str] = ()
    ) -> GroupMembershipChange:
        """Add users one call each (NodeBB has no batch route). Unknown users are skipped."""
        return self._change_members("PUT", slug=slug, uids=uids, usernames=usernames)

    def remove_group_members(
        self, *, slug: str, uids: Iterable[int] = (), usernames: Iterable[str] = ()
    ) -> GroupMembershipChange:
        return self._change_members("DELETE", slug=slug, uids=uids, usernames=usernames)

    def _change_members(
        self, method: str, *, slug: str, uids: Iterable[int], usernames: Iterable[str]
    ) -> GroupMembershipChange:
        self.require(Capability.GROUPS)
        calls_before = self.calls
        usernames = list(usernames)
        targets: list[tuple[str, int]] = [(str(int(u)), int(u)) for u in uids]
        skipped: list[str] = []
        if usernames:
            resolved = self.resolve_uids(usernames=usernames)
            for name in dict.fromkeys(u.strip() for u in usernames if u and u.strip()):
                if name in resolved:
                    targets.append((name, resolved[name]))
                else:
                    skipped.append(name)
        done: list[str] = []
        seen: set[int] = set()
        for label, uid in targets:
            if uid in seen:
                continue
            seen.add(uid)
            try:
                self._write(method, f"/api/v3/groups/{self._seg(slug)}/membership/{uid}")
            except ForumNotFound as exc:
                if "group" in str(exc).lower() and "user" not in str(exc).lower():
                    raise
                skipped.append(label)
                continue
            done.append(label)
        calls = self.calls - calls_before
        if method == "PUT":
            return GroupMembershipChange(added=tuple(done), skipped=tuple(skipped), calls=calls)
        return GroupMembershipChange(removed=tuple(done), skipped=tuple(skipped), calls=calls)

    # --- tags --------------------------------------------------------------------------------
    def list_tags(self) -> list[ForumTag]:
        """Every tag with its topic count (ACP list; the public /api/tags stops at 100)."""
        self.require(Capability.TAGS)
        payload = self._read("/api/admin/manage/tags")
        return [
            ForumTag(name=str(t["value"]), topic_count=_int(t.get("score"), 0) or 0, id=t["value"])
            for t in payload.get("tags") or []
            if isinstance(t, dict) and t.get("value")
        ]

    def list_tag_topics(self, *, tag: str, limit: int | None = None) -> list[ForumTopic]:
        """Topics carrying ``tag``, all pages of ``GET /api/tags/{tag}``."""
        self.require(Capability.TAGS)
        found: list[ForumTopic] = []
        page = 1
        while True:
            payload = self._read(f"/api/tags/{self._seg(tag)}", params={"page": page})
            topics = payload.get("topics") or []
            for item in topics:
                if isinstance(item, dict):
                    found.append(self._topic(item))
                    if limit is not None and len(found) >= limit:
                        return found
            page_count = _int((payload.get("pagination") or {}).get("pageCount"), 1) or 1
            if page >= page_count or not topics:
                return found
            page += 1

    def set_topic_tags(self, *, tid: int, tags: Iterable[str]) -> tuple[str, ...]:
        """Replace a topic's tags; returns the tags it now has."""
        self.require(Capability.TOPIC_RETAG)
        response = self._write("PUT", f"/api/v3/topics/{int(tid)}/tags", body={"tags": list(tags)})
        return self._tag_names(response)

    def add_topic_tags(self, *, tid: int, tags: Iterable[str]) -> tuple[str, ...]:
        """Append tags to a topic; returns the tags it now has."""
        self.require(Capability.TOPIC_RETAG)
        response = self._write(
            "PATCH", f"/api/v3/topics/{int(tid)}/tags", body={"tags": list(tags)}
        )
        return self._tag_names(response)

    def clear_topic_tags(self, *, tid: int) -> None:
        self.require(Capability.TOPIC_RETAG)
        self._write("DELETE", f"/api/v3/topics/{int(tid)}/tags")

    def rename_tag(self, *, name: str, new_name: str) -> None:
        self.require(Capability.TAG_RENAME)  # socket.io only: never offered

    def delete_tag(self, *, name: str) -> None:
        self.require(Capability.TAG_DELETE)  # socket.io only: never offered

    def create_tag(self, *, name: str) -> None:
        raise CapabilityNotOffered(
            "NodeBB does not offer creating a tag on its own through its API (socket.io only); "
            "tags appear when a topic is tagged."
        )

    # --- not offered -------------------------------------------------------------------------
    def list_backups(self) -> list:
        self.require(Capability.BACKUPS)
        return []

    def create_backup(self) -> None:
        self.require(Capability.BACKUPS)

    def list_calendar_events(self, **_: Any) -> list:
        self.require(Capability.CALENDAR)
        return []

    # --- platform-neutral verbs (what forums/bulk calls; see BaseClient) ----------------------
    member_batch_size = 1  # PUT/DELETE /groups/{slug}/membership/{uid}: one uid per call
    # DELETE /users/ takes any number of uids, but one admin among them fails the whole call:
    # a bounded batch keeps such a failure small.
    delete_batch_size = 100
    resolve_batch_size = 1  # one ACP search per target

    def resolve_users(self, *, targets: list[str]) -> dict[str, ForumUser]:
        """Target (username, e-mail or uid; lower-cased) -> ForumUser, one ACP search each, so
        the records carry ban, mute and administrator state. Unknown targets are left out."""
        found: dict[str, ForumUser] = {}
        for target in dict.fromkeys(t.strip().lower() for t in targets if t and t.strip()):
            by = "uid" if target.isdigit() else "email" if "@" in target else "username"
            for user in self.search_users(query=target, search_by=by, limit=ACP_USERS_PER_PAGE):
                if user.matches(target):
                    found[target] = user
                    break
        return found

    @staticmethod
    def _aware(until: datetime | None) -> datetime | None:
        if until is not None and until.tzinfo is None:
            return until.replace(tzinfo=UTC)
        return until

    def suspend(
        self, *, user_id: int, until: datetime | None = None, reason: str, message: str = ""
    ) -> None:
        """NodeBB's nearest equivalent is a ban (it sends no message to the user); ``until``
        None bans permanently (``until: 0``)."""
        self.ban_user(uid=user_id, until=self._aware(until), reason=reason)

    def unsuspend(self, *, user_id: int) -> None:
        self.unban_user(uid=user_id)

    def silence(self, *, user_id: int, until: datetime, reason: str, message: str = "") -> None:
        """NodeBB's nearest equivalent is a mute."""
        self.mute_user(uid=user_id, until=self._aware(until), reason=reason)

    def unsilence(self, *, user_id: int) -> None:
        self.unmute_user(uid=user_id)

    def delete_users(self, *, user_ids: list[int], block_ip_and_email: bool = False) -> int:
        """Accounts and content; NodeBB has no "block IP and e-mail" option."""
        return self.bulk_delete_users(uids=user_ids)

    def find_group(self, *, name: str) -> ForumGroup:
        """By slug, else by name or display name (case-insensitive)."""
        try:
            return self.get_group(slug=name)
        except ForumNotFound:
            wanted = name.strip().lower()
            for group in self.list_groups():
                if wanted in {group.name.lower(), group.slug.lower(), group.full_name.lower()}:
                    return group
            raise

    def group_member_ids(self, *, group: ForumGroup) -> set[int]:
        return {user.id for user in self.list_group_members(slug=group.slug)}

    def add_members(self, *, group: ForumGroup, user_ids: list[int]) -> GroupMembershipChange:
        return self.add_group_members(slug=group.slug, uids=user_ids)

    def remove_members(self, *, group: ForumGroup, user_ids: list[int]) -> GroupMembershipChange:
        return self.remove_group_members(slug=group.slug, uids=user_ids)

    # --- health and counts -------------------------------------------------------------------
    def version(self) -> str:
        """The NodeBB version, from the ACP dashboard (administrators only)."""
        return str(self._read("/api/admin/dashboard").get("version") or "")

    def review_queue_count(self) -> int:
        """Open flags plus queued posts."""
        self.require(Capability.REVIEW_QUEUE)
        flags = self._read("/api/flags", params={"state": "open"})
        return (_int(flags.get("count"), 0) or 0) + self._post_queue_length()

    def _post_queue_length(self) -> int:
        # /api/post-queue has no total: 20 posts a page and pagination.pageCount.
        first = self._read("/api/post-queue")
        posts = len(first.get("posts") or [])
        page_count = _int((first.get("pagination") or {}).get("pageCount"), 1) or 1
        if page_count <= 1:
            return posts
        last = self._read("/api/post-queue", params={"page": page_count})
        return posts * (page_count - 1) + len(last.get("posts") or [])

    def health_check(self) -> HealthReport:
        report = HealthReport(software=self.software)
        try:
            config, report.response_ms = self.timed(lambda: self.request("GET", "/api/config"))
        except ForumUnauthorized:
            # NodeBB refuses a bad Bearer token on every route, even the public config.
            report.reachable = True
            report.credentials_ok = False
            report.error_kind = "auth"
            report.error = "NodeBB did not accept the API token (401 not-authorised)."
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
        try:
            self_user = self.request("GET", "/api/self")
        except ForumUnauthorized:
            report.credentials_ok = False
            report.error_kind = "auth"
            report.error = "NodeBB did not accept the API token (401 not-authorised)."
            return report
        except ForumError as exc:
            report.error, report.error_kind = str(exc), exc.kind
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
            report.review_count = self.review_queue_count()
        except (ForumError, TypeError, ValueError, AttributeError):
            report.notes.append("The flag and post queue counts are not available.")
        return report


# Fields of /api/user/{userslug}/info that describe the target user (the rest is about the
# caller or the page).
_INFO_FIELDS = frozenset(
    {"muted", "mutedUntil", "mutedReason", "banned", "banned:expire", "banned_until",
     "isTargetAdmin", "groups", "email", "fullname"}
)  # fmt: skip
