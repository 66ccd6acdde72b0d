"""NodeBB users: the ACP user list, one user with its moderation view, ban and mute (the
neutral suspend and silence), and deleting accounts and content."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from ..batches import delete_splitting
from ..errors import (
    CapabilityNotOffered,
    ForumBadResponse,
    ForumForbidden,
    ForumNotFound,
    ForumRejected,
)
from ..records import (
    BulkDeleteResult,
    Capability,
    ForumUser,
    ForumUserDetails,
    ModerationEvent,
    Penalty,
    UserListPage,
)
from .base import NodeBBBase, datetime_to_ms, flag, ms_to_datetime, text, to_int

ACP_USERS_PER_PAGE = 100  # /api/admin/manage/users `resultsPerPage`: 50, 100, 250 or 500
ACP_LIST_PAGE = 500  # the largest page of that list: what reading it whole asks for
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
# Fields of /api/user/{userslug}/info that describe the target user (the rest is about the
# caller or the page).
_INFO_FIELDS = frozenset(
    {"muted", "mutedUntil", "mutedReason", "banned", "banned:expire", "banned_until",
     "isTargetAdmin", "groups", "email", "fullname"}
)  # fmt: skip


class NodeBBUsers(NodeBBBase):
    # The plan hands this many targets to one resolve_users(), which reads the whole ACP user
    # list (500 users a call) where that costs fewer calls than one search per target.
    resolve_batch_size = 1000
    # DELETE /users/ takes any number of uids, but one admin among them fails the whole call:
    # a bounded batch keeps such a failure small.
    delete_batch_size = 100
    # ENDPOINTS.md "call by call": 400 [[error:cant-delete-other-admins]].
    refuses_deleting_admins = True

    # --- reading -----------------------------------------------------------------------------
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
        if "muted" in filters and self.forum_release() < (4, 12):
            # NodeBB < 4.12 (src/controllers/admin/users.js getUsers before 85b980b591): no
            # `muted` filter (the whole list comes back) and rows carry no mute state.
            raise CapabilityNotOffered(
                "This forum runs NodeBB before 4.12, whose user list cannot show only muted "
                "people (the filter came with NodeBB 4.12): find them on NodeBB's own pages."
            )

        def page(number: int) -> tuple[list[ForumUser], int | None]:
            params: list[tuple[str, Any]] = [("page", number), ("resultsPerPage", page_size)]
            if query:
                params += [("query", query), ("searchBy", search_by)]
            params += [("filters", f) for f in filters]
            if sort_by:
                params += [("sortBy", sort_by), ("sortDirection", "desc" if descending else "asc")]
            if self.master_token:
                params.append(("_uid", self.api_username))
            payload = self._read_list("/api/admin/manage/users", params)
            self._note_user_count(payload)
            users = [self._user(u) for u in payload.get("users") or [] if isinstance(u, dict)]
            page_count = to_int(payload.get("pageCount"), 1) or 1
            return users, (number + 1 if number < page_count else None)

        return self.paginate(page, start=1)

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

    def user_list_page(self, *, cursor: str = "") -> UserListPage:
        """The ACP list, oldest account first, 500 a page (its largest), with its
        ``userCount``; e-mails are in it for an administrator."""
        self.require(Capability.USER_SEARCH)
        number = int(cursor) if cursor.isdigit() and int(cursor) > 0 else 1
        params: list[tuple[str, Any]] = [
            ("page", number), ("resultsPerPage", ACP_LIST_PAGE),
            ("sortBy", "joindate"), ("sortDirection", "asc"),
        ]  # fmt: skip
        if self.master_token:
            params.append(("_uid", self.api_username))
        payload = self._read_list("/api/admin/manage/users", params)
        users = tuple(self._user(u) for u in payload.get("users") or [] if isinstance(u, dict))
        page_count = to_int(payload.get("pageCount"), 1) or 1
        more = bool(users) and number < page_count
        total = to_int(payload.get("userCount"))
        return UserListPage(users, str(number + 1) if more else "", total)

    def count_users(self) -> int:
        payload = self._read("/api/admin/manage/users", params={"resultsPerPage": 50})
        count = to_int(payload.get("userCount"))
        if count is None:
            raise ForumBadResponse("NodeBB's user list did not say how many users there are.")
        return count

    def get_user(self, *, user_id: int) -> ForumUser:
        """One user by uid, with ban reason and mute state from the moderation view."""
        return self._user_with_info(user_id)[0]

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
        if flag(merged.get("banned")):
            # Newest first, and an unban is an entry of its own: the ban in force is the
            # newest entry that is a ban.
            current = next(
                (b for b in bans if isinstance(b, dict) and self._entry_type(b) == "ban"), None
            )
            reason = str((current or {}).get("reason") or "")
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
            for kind, key in ((Penalty.SUSPEND, "bans"), (Penalty.SILENCE, "mutes"))
            for entry in history.get(key) or []
            if isinstance(entry, dict)
        ]
        oldest = datetime.min.replace(tzinfo=UTC)
        events.sort(key=lambda e: e.at or oldest, reverse=True)
        return ForumUserDetails(
            user=user, groups=groups, history=tuple(events), history_offered=True
        )

    @staticmethod
    def _entry_type(entry: dict) -> str:
        """``ban``, ``unban``, ``mute`` or ``unmute`` (ENDPOINTS.md "call by call": history
        entries carry `type`); entries of older NodeBB versions without one put a penalty on."""
        return str(entry.get("type") or "").strip().lower()

    @classmethod
    def _event(cls, kind: Penalty, entry: dict) -> ModerationEvent:
        by = entry.get("user")
        # An unban or unmute is its own entry ({"type": "unban", "expire": null}): read without
        # its type it would show as a permanent ban.
        lifted = cls._entry_type(entry) in ("unban", "unmute")
        return ModerationEvent(
            kind=kind,
            # `timestamp` and `expire` are strings of milliseconds (hash fields).
            at=ms_to_datetime(entry.get("timestamp")),
            # 0 / absent on a ban: permanent; on a lifting entry: no end at all
            until=None if lifted else ms_to_datetime(entry.get("expire", entry.get("until"))),
            reason=text(entry.get("reason")),
            by=str(by.get("username") or "") if isinstance(by, dict) else "",
            lifted=lifted,
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
        admins = {u.id for u in self.list_group_members(key=STAFF_GROUPS[0])}
        moderators = {u.id for u in self.list_group_members(key=STAFF_GROUPS[1])}
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

    def resolve_users(self, *, targets: Sequence[str]) -> dict[str, ForumUser]:
        """Target (username, e-mail or uid; lower-cased) -> ForumUser, from the ACP user list,
        so the records carry ban, mute and administrator state. Unknown targets are left out.

        NodeBB searches one name per call (a prefix of one field), so the client takes the
        cheaper of two ways: one search per target, or the whole list read 500 users a call
        (``userCount``, the forum's size, says how many calls that is: ENDPOINTS.md "What a
        real NodeBB 4.15.1 answers" / `GET /api/admin/manage/users`). A target matches as the
        one search would: a uid by id, an e-mail address by the (confirmed) address, anything
        else by the username, case aside."""
        wanted = list(dict.fromkeys(t.strip().lower() for t in targets if t and t.strip()))
        found: dict[str, ForumUser] = {}
        if len(wanted) > 1 and self._list_pages(default=1) <= len(wanted):
            found, complete = self._resolve_from_list(wanted)
            if complete:
                return found
            wanted = [t for t in wanted if t not in found]
        for target in wanted:
            user = self._search_one(target)
            if user is not None:
                found[target] = user
        return found

    def _search_one(self, target: str) -> ForumUser | None:
        by = "uid" if target.isdigit() else "email" if "@" in target else "username"
        for user in self.search_users(query=target, search_by=by, limit=ACP_USERS_PER_PAGE):
            if user.matches(target):
                return user
        return None

    def _note_user_count(self, payload: dict) -> None:
        # userCount is the forum's total whatever the query or filters: its size.
        count = to_int(payload.get("userCount"))
        if count is not None:
            self._user_count = count

    def _list_pages(self, *, default: int) -> int:
        """Calls that reading the whole user list takes (``default`` while the size is not
        known yet: the first page of the list tells it)."""
        count = getattr(self, "_user_count", None)
        return default if count is None else max(math.ceil(count / ACP_LIST_PAGE), 1)

    def _resolve_from_list(self, wanted: list[str]) -> tuple[dict[str, ForumUser], bool]:
        """Match ``wanted`` against the whole user list, oldest account first (a user who joins
        meanwhile lands on the last page and moves nobody). Returns what matched, and whether
        the absence of the rest is certain: False when the list changed size while it was read
        (a deletion moves later users up a page, so one may have been passed over), or when
        the list turned out to cost more calls than the searches left."""
        by_id = {t for t in wanted if t.isdigit()}
        by_email = {t for t in wanted if t not in by_id and "@" in t}
        by_name = set(wanted) - by_id - by_email
        found: dict[str, ForumUser] = {}
        first_count: int | None = None
        page = 1
        while True:
            params: list[tuple[str, Any]] = [
                ("page", page), ("resultsPerPage", ACP_LIST_PAGE),
                ("sortBy", "joindate"), ("sortDirection", "asc"),
            ]  # fmt: skip
            if self.master_token:
                params.append(("_uid", self.api_username))
            payload = self._read_list("/api/admin/manage/users", params)
            self._note_user_count(payload)
            if first_count is None:
                first_count = getattr(self, "_user_count", None)
            rows = [u for u in payload.get("users") or [] if isinstance(u, dict)]
            for row in rows:
                user = self._user(row)
                for key, pool in ((str(user.id), by_id), ((user.email or "").lower(), by_email),
                                  (user.username.lower(), by_name)):  # fmt: skip
                    if key in pool:
                        pool.discard(key)
                        found[key] = user
            left = len(by_id) + len(by_email) + len(by_name)
            if not left:
                return found, True
            page_count = to_int(payload.get("pageCount"), 1) or 1
            if page >= page_count or not rows:
                break
            if page == 1 and page_count - 1 > left:
                return found, False  # the rest is cheaper searched one by one
            page += 1
        return found, getattr(self, "_user_count", None) == first_count

    # --- penalties ---------------------------------------------------------------------------
    _PENALTY_ROUTES: ClassVar[dict[Penalty, str]] = {
        Penalty.SUSPEND: "ban",
        Penalty.SILENCE: "mute",
    }

    def penalise(
        self,
        *,
        kind: Penalty,
        user_id: int,
        until: datetime | None,
        reason: str,
        message: str = "",
    ) -> datetime | None:
        """A ban (``until`` None: permanent, ``until: 0``) or a mute (always until a time).
        NodeBB sends the user no message. Returns the end sent (NodeBB answers none)."""
        self.require(kind.capability)
        if until is not None and until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        if until is None and not self.penalty_rules[kind].permanent_allowed:
            raise ValueError("NodeBB mutes until a time: pass `until`.")
        body: dict[str, Any] = {"until": datetime_to_ms(until) if until else 0}
        if reason:
            body["reason"] = reason
        self._write("PUT", f"/api/v3/users/{int(user_id)}/{self._PENALTY_ROUTES[kind]}", body=body)
        return until

    def lift(self, *, kind: Penalty, user_id: int, reason: str = "") -> None:
        self.require(kind.capability)
        route = self._PENALTY_ROUTES[kind]
        # ENDPOINTS.md "call by call": NodeBB reads `req.query.reason || req.body.reason`, so a
        # DELETE with neither a non-empty ?reason= nor a JSON body fails (400, "Cannot read
        # properties of undefined (reading 'reason')") and the user stays banned or muted.
        if kind is Penalty.SUSPEND and reason and self.forum_release() < (4, 11):
            # NodeBB < 4.11 (src/controllers/write/users.js Users.unban before e395fb0919):
            # `api.users.unban(req, {...req.body, uid})` reads the reason from the body only,
            # a ?reason= is lost. (Unmute sends its reason in the body on every release.)
            body = {"reason": reason}
            self._write("DELETE", f"/api/v3/users/{int(user_id)}/{route}", body=body)
            return
        if kind is Penalty.SUSPEND:
            # NodeBB 4.11+: the spec declares no body for unban: a reason goes in the query,
            # and only a reason-less unban sends the empty JSON body.
            params = {"reason": reason} if reason else None
            self._write(
                "DELETE", f"/api/v3/users/{int(user_id)}/{route}", params=params,
                body=None if reason else {},
            )  # fmt: skip
        else:
            body = {"reason": reason} if reason else {}
            self._write("DELETE", f"/api/v3/users/{int(user_id)}/{route}", body=body)

    # --- deleting ----------------------------------------------------------------------------
    def delete_user(
        self,
        *,
        user_id: int,
        delete_posts: bool = True,
        block_email: bool = False,
        block_ip: bool = False,
    ) -> None:
        """With ``delete_posts``: the account and its content (``DELETE /users/{uid}``); else
        the account only, its posts stay (shown as from a deleted user). NodeBB cannot block
        the e-mail or IP (no USER_DELETE_BLOCK), so those flags are ignored."""
        self.require(Capability.USER_DELETE)
        path = f"/api/v3/users/{int(user_id)}" + ("" if delete_posts else "/account")
        self._write("DELETE", path)

    def delete_content(self, *, user_id: int) -> None:
        """Everything the user posted; the account stays."""
        self.require(Capability.USER_DELETE_CONTENT)
        self._write("DELETE", f"/api/v3/users/{int(user_id)}/content")

    def delete_users(
        self, *, user_ids: Sequence[int], block_ip_and_email: bool = False
    ) -> BulkDeleteResult:
        """Delete many accounts and their content, ``delete_batch_size`` per call (NodeBB has
        no "block IP and e-mail" option).

        NodeBB refuses the whole call when any uid is an administrator (400
        `[[error:cant-delete-other-admins]]`, ENDPOINTS.md "call by call") or unknown (404): such
        a batch is split until the refused uids stand alone, so everyone else is deleted and
        each refused uid is in ``refused`` with NodeBB's reason in plain words."""
        self.require(Capability.USER_BULK_DELETE)

        def send(batch: list[int]) -> list[int]:
            # `/users/` with the slash: the spec's path; the real server answers both.
            self._write("DELETE", "/api/v3/users/", body={"uids": batch})
            return []

        return delete_splitting(
            user_ids, send, batch_size=self.delete_batch_size,
            refusals=(ForumRejected, ForumForbidden, ForumNotFound),
        )  # fmt: skip
