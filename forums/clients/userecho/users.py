"""UserEcho users (project-wide, 2.1): find by id, e-mail (`filter__email`) or name, log out,
and delete where the project has the later reference's route.

Never `users/get_or_create` nor `sso_token` for a look-up (trap 6): both create the user they
do not find. Every action on a user first confirms the id is the user meant (trap 7, see
``UserEchoBase.confirm_user``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import ForumBadResponse, ForumNotFound, ForumRejected
from ..records import Capability, ForumUser, ForumUserDetails, UserListPage
from .base import PAGE_SIZE, UserEchoBase, to_int

FIND_STATUSES = frozenset({"", "suspended", "silenced", "new", "staff"})
NEW_USER_DAYS = 30
# A read of every account when the server ignores a filter stops here (100 pages).
FULL_READ_LIMIT = 10_000
TOKEN_USER_LOG_OUT = (
    "This is the API token's own user: Forumdeck does not log it out everywhere (it would end "
    "the sessions of the account Forumdeck itself acts as). Do it on UserEcho if you mean it."
)
# Trap 14: the user's name is `name` (P-GOC) or `display_name` (INTRO); a project whose list
# refuses one filter field is asked with the other.
NAME_FIELDS = ("name", "display_name")


class UserEchoUsers(UserEchoBase):
    resolve_batch_size = 1  # one look-up per target

    # --- reading -------------------------------------------------------------------------------
    def iter_users(
        self,
        *,
        filters: dict[str, Any] | None = None,
        limit: int | None = None,
        order_by: str = "id",
    ) -> Iterator[ForumUser]:
        """U1: every user (`filter__*` as given), page by page, in ``order_by`` order ([C]
        DA: `-field` for descending)."""
        self.require(Capability.USER_SEARCH)
        params = {f"filter__{k}": v for k, v in (filters or {}).items()}
        params["order_by"] = order_by
        for data in self.pages("users", params=params, limit=limit):
            yield self._user(data)

    def user_list_page(self, *, cursor: str = "") -> UserListPage:
        """U1, oldest account first, a page at a time, with `details.count` as the total."""
        self.require(Capability.USER_SEARCH)
        number = int(cursor) if cursor.isdigit() and int(cursor) > 0 else 1
        data, details = self.call(
            "GET", "users", params={"page": number, "limit": PAGE_SIZE, "order_by": "id"}
        )
        if data is None:
            data = []
        if not isinstance(data, list):
            raise ForumBadResponse("UserEcho answered a list command without a list.")
        users = tuple(self._user(row) for row in data if isinstance(row, dict))
        total = to_int(details.get("count"))
        size = to_int(details.get("limit")) or PAGE_SIZE
        more = bool(data) and (number * size < total if total is not None else len(data) >= size)
        return UserListPage(users, str(number + 1) if more else "", total)

    def _filtered(self, field: str, value: str, limit: int, *, exact: bool) -> list[ForumUser]:
        """Users whose ``field`` contains ``value`` (or, ``exact``, equals it), any case. The
        server is asked with `filter__<field>__icontains` (SEED:100 [D]; e-mail addresses and
        names differ in case) and every answer is checked again here: trap 16 [C] DA:393
        says server filters may be unreliable."""
        try:
            users = list(self.iter_users(filters={f"{field}__icontains": value}, limit=limit))
        except ForumRejected:
            if field != NAME_FIELDS[0]:
                raise
            return self._filtered(NAME_FIELDS[1], value, limit, exact=exact)
        wanted = value.lower()

        def have(user: ForumUser) -> str:
            return {
                "email": user.email or "",
                "slug": user.username,
                "name": user.name,
                "display_name": user.name,
            }[field].lower()

        if any(wanted not in have(u) for u in users):
            # ENDPOINTS.md 4.1 "User filters may be ignored": a row that does not contain the
            # value means the server ignored the filter and answered everyone's first page;
            # that page alone would miss everyone past it. Read every account instead.
            users = self._every_user()
        return [u for u in users if (have(u) == wanted if exact else wanted in have(u))]

    def _every_user(self) -> list[ForumUser]:
        """Every account, page by page (each call paced like any other), read once per client;
        the read says so on the page."""
        if "_all_accounts" not in self.__dict__:
            users = list(self.iter_users(limit=FULL_READ_LIMIT + 1))
            capped = len(users) > FULL_READ_LIMIT
            users = users[:FULL_READ_LIMIT]
            self.__dict__["_all_accounts"] = users
            self.note_read(
                "UserEcho ignored the search filter, so Forumdeck read the accounts page by "
                f"page ({len(users)} read)"
                + (
                    f"; it stopped after the first {FULL_READ_LIMIT}, so someone may be missing."
                    if capped
                    else "."
                )
            )
        return list(self.__dict__["_all_accounts"])

    def get_user(self, *, user_id: int) -> ForumUser:
        """U3, confirmed to be that user (trap 7)."""
        self.require(Capability.USER_SEARCH)
        return self.confirm_user(user_id)

    def get_user_by_email(self, *, email: str) -> ForumUser:
        """`users?filter__email__icontains=` (3.2 [I]), the address matched exactly here:
        never get_or_create, which creates the user it does not find (trap 6)."""
        found = self._filtered("email", email.strip(), PAGE_SIZE, exact=True)
        if not found:
            raise ForumNotFound("UserEcho has no user with that e-mail address.")
        return found[0]

    def user_details(self, *, user_id: int) -> ForumUserDetails:
        """The user; UserEcho says nothing of a user's groups or penalties (it has none)."""
        return ForumUserDetails(user=self.get_user(user_id=user_id), groups_known=False)

    def find_users(self, *, query: str = "", status: str = "", limit: int = 100) -> list[ForumUser]:
        """Users by id (digits), e-mail (with "@": `filter__email__icontains`), or a part of
        the name, profile slug or e-mail, filtered by ``status``: "" (everyone), "new" (joined
        in the last 30 days), "staff" (the project's agents). Nobody on UserEcho is
        "suspended" or "silenced": it has no such thing, so those find nobody."""
        if status not in FIND_STATUSES:
            raise ValueError(f"status must be one of {sorted(FIND_STATUSES)}")
        self.require(Capability.USER_SEARCH)
        query = query.strip()
        if limit <= 0 or status in ("suspended", "silenced"):
            return []
        if query.isdigit():
            try:
                users = [self.confirm_user(int(query))]
            except ForumNotFound:
                users = []
        elif "@" in query:
            users = self._filtered("email", query, limit, exact=False)
        elif query:
            seen: dict[int, ForumUser] = {}
            for field in ("name", "slug", "email"):
                for user in self._filtered(field, query, limit, exact=False):
                    seen.setdefault(user.id, user)
            users = sorted(seen.values(), key=lambda u: u.id)
        elif status == "new":
            since = datetime.now(tz=UTC) - timedelta(days=NEW_USER_DAYS)
            users = []
            newest_first = self.iter_users(
                filters={"date_joined__gte": since.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
                order_by="-date_joined",
            )
            for user in newest_first:
                if user.created_at is None or user.created_at < since:
                    break  # newest first: everyone after this one joined earlier
                users.append(user)
                if len(users) >= limit:
                    break
        elif status == "staff":
            users = [u for u in self.iter_users(filters={"is_staff": 1}) if u.moderator]
        else:
            users = list(self.iter_users(limit=limit))
        return [u for u in users if self._has_status(u, status)][:limit]

    @staticmethod
    def _has_status(user: ForumUser, status: str) -> bool:
        # Checked here for every path (trap 16: the server's filter may have done nothing).
        if status == "staff":
            return user.moderator
        if status == "new":
            since = datetime.now(tz=UTC) - timedelta(days=NEW_USER_DAYS)
            return user.created_at is not None and user.created_at >= since
        return True

    def resolve_users(self, *, targets: Sequence[str]) -> dict[str, ForumUser]:
        """Target (profile slug, e-mail or id; lower-cased) -> the user it names exactly.
        Unknown targets, and ids that fall back to another user (trap 7), are left out."""
        self.require(Capability.USER_SEARCH)
        found: dict[str, ForumUser] = {}
        for target in dict.fromkeys(t.strip().lower() for t in targets if t and t.strip()):
            if target.isdigit():
                try:
                    user = self.confirm_user(int(target))
                except ForumNotFound:
                    continue
                found[target] = user
                continue
            field = "email" if "@" in target else "slug"
            for user in self._filtered(field, target, PAGE_SIZE, exact=True):
                if user.matches(target):
                    found[target] = user
                    break
        return found

    # --- acting on one user --------------------------------------------------------------------
    def log_out(self, *, user_id: int) -> None:
        """U5 [D] "Clear all sessions for selected user": a GET that changes state (trap 8),
        so only ever called for a confirmed user, never from a read path."""
        self.require(Capability.USER_LOG_OUT)
        user = self.confirm_user(user_id)
        # ENDPOINTS.md 4.1: nothing documents a refusal for the token's own user, and an id
        # that fell back to it (trap 7) would end the token owner's sessions: refused here.
        if user.id == self.own_user().id:
            raise ForumRejected(TOKEN_USER_LOG_OUT, status=400)
        self.call("GET", f"users/{user.id}/logout")

    def is_token_user(self, *, user_id: int) -> bool:
        return int(user_id) == self.own_user().id

    def delete_user(
        self,
        *,
        user_id: int,
        delete_posts: bool = True,
        block_email: bool = False,
        block_ip: bool = False,
    ) -> None:
        """U8 (later reference only, trap 10): delete the account. UserEcho decides what
        happens to its topics and comments (trap 22), so ``delete_posts`` cannot choose; there
        is nothing to block with. Never the token's own user: an id that fell back to it
        (trap 7) would otherwise delete the project's owner."""
        if block_email or block_ip:
            raise self.not_offered(Capability.USER_DELETE_BLOCK, "blocking an e-mail or IP")
        user = self.confirm_user(user_id)
        if user.id == self.own_user().id:
            raise ForumRejected(
                "This is the API token's own user: Forumdeck does not delete it.", status=400
            )
        try:
            self.call("DELETE", f"users/{user.id}")
        except ForumNotFound as exc:
            # The user was there a moment ago: the command is what is missing.
            raise self._optional_route(Capability.USER_DELETE, exc) from None
        self.found_routes[Capability.USER_DELETE] = True
