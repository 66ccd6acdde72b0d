"""Discourse users: the admin user list, one user, penalties, log out, delete, and the
Discourse-only verbs (trust level, anonymize, approve, activate)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from ..errors import ForumBadResponse, ForumNotFound
from ..records import (
    BulkDeleteResult,
    ForumUser,
    ForumUserDetails,
    ModerationEvent,
    Penalty,
)
from .base import DiscourseBase, chunks, dt, iso

USERS_PER_PAGE = 100  # /admin/users/list/{flag}.json (AdminUserIndexQuery)
BULK_DELETE_BATCH = 100  # /admin/users/destroy-bulk.json takes 1..100 ids
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


class DiscourseUsers(DiscourseBase):
    resolve_batch_size = 100  # the admin list's filter takes up to 100 terms
    delete_batch_size = BULK_DELETE_BATCH

    # --- reading -----------------------------------------------------------------------------
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
        or a trust level name. ``filter``: a username/e-mail substring (or several terms
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

        def page(number: int) -> tuple[list[ForumUser], int | None]:
            rows = self._json(
                "GET", f"/admin/users/list/{flag}.json", params={**params, "page": number}
            )
            if not isinstance(rows, list):
                raise ForumBadResponse("Discourse's user list was not a list.")
            users = [self._user(row) for row in rows if isinstance(row, dict)]
            return users, (number + 1 if len(rows) >= USERS_PER_PAGE else None)

        return self.paginate(page, start=1, limit=max_users)

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
        if not user.email and user.username:
            user = replace(user, email=self._email_of(user))
        rows = data.get("groups") or []
        groups = tuple(str(g["name"]) for g in rows if isinstance(g, dict) and g.get("name"))
        history: list[ModerationEvent] = []
        if user.suspended:
            history.append(ModerationEvent(
                kind=Penalty.SUSPEND, at=dt(data.get("suspended_at")), until=user.suspended_until,
                reason=user.suspend_reason, by=self._by(data.get("suspended_by")),
            ))  # fmt: skip
        if user.silenced:
            history.append(ModerationEvent(
                kind=Penalty.SILENCE, at=dt(data.get("silenced_at")), until=user.silenced_until,
                reason=user.silence_reason, by=self._by(data.get("silenced_by")),
            ))  # fmt: skip
        return ForumUserDetails(user=user, groups=groups, history=tuple(history))

    def _email_of(self, user: ForumUser) -> str | None:
        """The address the admin list shows with ``show_emails`` (as the search reads it): the
        admin user view may leave it out, and a person page must not say "not visible" for
        an address the search just showed."""
        for row in self.iter_users(
            flag="active", filter=user.username, show_emails=True, max_users=USERS_PER_PAGE
        ):
            if row.id == user.id:
                return row.email
        return None

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
        payload = self._dict(self._json("GET", f"/u/{self._seg(username)}.json"), "a user")
        return self._user(payload.get("user") or {})

    def get_user_by_email(self, *, email: str) -> ForumUser | None:
        """The account with exactly this address, or None. (``active`` lists every account.)"""
        for user in self.iter_users(flag="active", email=email, max_users=1):
            return user if user.email else replace(user, email=email)
        return None

    def resolve_users(self, *, targets: Sequence[str]) -> dict[str, ForumUser]:
        """Usernames and e-mails 100 per call (the list's multi-term filter), matched exactly
        here; numeric ids one call each."""
        wanted = [t.strip().lower() for t in targets if t and t.strip()]
        found: dict[str, ForumUser] = {}
        ids = [t for t in wanted if t.isdigit()]
        names = [t for t in wanted if not t.isdigit()]
        for batch in chunks(names, self.resolve_batch_size):
            batch_set = set(batch)
            has_email = any("@" in t for t in batch)
            if len(batch) == 1 and has_email:
                user = self.get_user_by_email(email=batch[0])
                users: Iterable[ForumUser] = [user] if user else []
            else:
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

    # --- penalties ---------------------------------------------------------------------------
    # Suspend and silence are one request shape with other names: the route, the field carrying
    # the end date, and the route that lifts it.
    # (route, field carrying the end date, route that lifts it, the answer's object)
    _PENALTY_ROUTES: ClassVar[dict[Penalty, tuple[str, str, str, str]]] = {
        Penalty.SUSPEND: ("suspend", "suspend_until", "unsuspend", "suspension"),
        Penalty.SILENCE: ("silence", "silenced_till", "unsilence", "silence"),
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
        """``until`` None: permanently (Discourse's own "forever", 1000 years from now);
        ``message`` (if given) is e-mailed to the user. Returns the end Discourse recorded."""
        self.require(kind.capability)
        route, till_field, _, answer = self._PENALTY_ROUTES[kind]
        if until is None:
            until = datetime.now(UTC) + FOREVER
        body: dict[str, Any] = {till_field: iso(until), "reason": reason}
        if message:
            body["message"] = message
        payload = self._json("PUT", f"/admin/users/{int(user_id)}/{route}.json", json_body=body)
        recorded = (payload or {}).get(answer) if isinstance(payload, dict) else None
        if not isinstance(recorded, dict):
            return None
        return dt(recorded.get("suspended_till") or recorded.get("silenced_till"))

    def lift(self, *, kind: Penalty, user_id: int, reason: str = "") -> None:
        self.require(kind.capability)
        route = self._PENALTY_ROUTES[kind][2]
        self._json("PUT", f"/admin/users/{int(user_id)}/{route}.json")

    def log_out(self, *, user_id: int) -> None:
        self._json("POST", f"/admin/users/{int(user_id)}/log_out.json")

    # --- deleting ----------------------------------------------------------------------------
    def delete_user(
        self,
        *,
        user_id: int,
        delete_posts: bool = True,
        block_email: bool = False,
        block_ip: bool = False,
    ) -> None:
        """Without ``delete_posts`` Discourse refuses (403) to delete a user who has posts."""
        body = {"delete_posts": delete_posts, "block_email": block_email, "block_ip": block_ip}
        self._json("DELETE", f"/admin/users/{int(user_id)}.json", json_body=body)

    def delete_users(
        self, *, user_ids: Sequence[int], block_ip_and_email: bool = False
    ) -> BulkDeleteResult:
        """Delete users (and always their posts) 100 per call."""
        ids = list(dict.fromkeys(int(i) for i in user_ids))
        calls = 0
        for batch in chunks(ids, BULK_DELETE_BATCH):
            self._json(
                "DELETE",
                "/admin/users/destroy-bulk.json",
                json_body={"user_ids": list(batch), "block_ip_and_email": block_ip_and_email},
            )
            calls += 1
        return BulkDeleteResult(deleted=tuple(ids), calls=calls)

    # --- Discourse-only ----------------------------------------------------------------------
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

    def approve_user(self, *, user_id: int) -> None:
        self._json("PUT", f"/admin/users/{int(user_id)}/approve.json")

    def activate_user(self, *, user_id: int) -> None:
        self._json("PUT", f"/admin/users/{int(user_id)}/activate.json")

    def deactivate_user(self, *, user_id: int) -> None:
        self._json("PUT", f"/admin/users/{int(user_id)}/deactivate.json")
