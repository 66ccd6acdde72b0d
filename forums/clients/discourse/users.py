"""Discourse users: the admin user list, one user, penalties, log out, delete, and the
Discourse-only verbs (trust level, anonymize, approve, activate)."""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from ..batches import delete_splitting
from ..errors import (
    ForumBadResponse,
    ForumBusy,
    ForumError,
    ForumForbidden,
    ForumNotFound,
    ForumRejected,
    ForumServerError,
)
from ..records import (
    BulkDeleteResult,
    ForumUser,
    ForumUserDetails,
    ModerationEvent,
    Penalty,
    UserListPage,
)
from .base import KEY_HINT, DiscourseBase, chunks, dt, iso

USERS_PER_PAGE = 100  # /admin/users/list/{flag}.json (AdminUserIndexQuery)
BULK_DELETE_BATCH = 100  # /admin/users/destroy-bulk.json takes 1..100 ids
# Resolving names through the admin list's `filter`, a substring match (ENDPOINTS.md "Rules" /
# user list filter): at most this many pages per search; the names it did not reach are searched
# again in halves (fewer terms match fewer users) while at least FILTER_MIN_TERMS remain, and a
# lone name is looked up exactly. Measured on the sandbox's 2,250 users: 2,000 names in 73 calls,
# where reading every page took 61 (and an unknown name made it read every page of its matches).
FILTER_PAGES_PER_BATCH = 3
FILTER_MIN_TERMS = 2
# Reading the whole admin list instead (100 users a page) when a plan names many users: its
# first page, newest account first, says how big the forum is (ids only grow, so the newest id
# is at least the number of accounts), and the rest of the list is read when that costs at
# most WHOLE_LIST_FACTOR calls per 100 names, about what the filter costs per 100 names on a
# small forum (on the sandbox's 2,250 users: 73 calls for 2,000 names, 3.6 per 100). Below
# WHOLE_LIST_MIN_NAMES names the filter is always used (no probe).
WHOLE_LIST_FACTOR = 2
WHOLE_LIST_MIN_NAMES = 2 * USERS_PER_PAGE + 1
# The filter's cost grows with the forum (a substring matches more accounts on a bigger one),
# so the choice is counted again as the plan goes: once the calls the searches took per name so
# far, times the names still to come, would pass what the rest of the list costs, the rest of
# the list is read instead (never more than about twice the cheaper of the two). Only the
# wanted users are kept from it, whatever the forum's size.
# When a plan needs only who the names are (a group's members: an id and a username), the
# automatic group trust_level_0 lists every account, 1,000 a page: Group.refresh_automatic_group!
# puts every user with id > 0 that is not staged in it (app/models/group.rb), and
# GroupsController#members pages it with `limit` up to 1,000 (ENDPOINTS.md, members row). The
# group is found by its id when a forum's locale renamed it (groups.default_names.*).
EVERYONE_GROUP = "trust_level_0"
EVERYONE_GROUP_ID = 10  # Group::AUTO_GROUPS[:trust_level_0]
EVERYONE_PAGE = 1000
# On a big forum the names are searched for among trust_level_0's members instead of reading
# every page: the members list's `filter`, given names separated by commas, is ONE regular
# expression `(a|b|c)` on username_lower (User.filter_by_username_or_email with an Array, which
# GroupsController#members makes of a filter holding a comma), with no cap on the number of
# terms, answered 1,000 rows a page (ENDPOINTS.md, "Rules" / group member search). So a search
# takes as many names as a request line comfortably holds, MEMBER_SEARCH_BYTES of the encoded
# filter (nginx's default request line is 8 KB), where the admin list's filter takes 100.
# Only names made of username characters are searched this way: they are what Discourse
# allows (UsernameValidator), and no such name can make the expression invalid. Each term
# is a substring match (and a `.` matches any character), so a name matches more accounts
# than itself: matches are kept exactly on the client. The search is read in username order,
# A to Z, so a name comes before every longer name it begins (`mateos` before `mateos993`):
# once a page holds a longer name that begins with a missing name, that name is not there,
# and the names a full page did not reach are searched again, without the ones it settled,
# whose longer namesakes then drop out of the answer (instead of paging through them).
MEMBER_SEARCH_BYTES = 6000
MEMBER_TERM = re.compile(r"[\w.\-]+")
# User::MAX_STAFF_DELETE_POST_COUNT (ENDPOINTS.md "Rules" / delete one user)
MAX_STAFF_DELETE_POST_COUNT = 5
# Discourse's own "forever" (the time shortcut in its suspend/silence modals) is now + 1000
# years; the server calls anything past 100 years "suspended forever".
FOREVER = timedelta(days=1000 * 365)
# find_users(status=...) -> the admin list flag. "new" means joined in the last NEW_USER_DAYS
# days, as on the other platforms: the `new` flag orders by creation date, newest first, and
# filters nothing, so the list is read until an older account (not the trust level 0 list,
# which holds accounts of any age).
NEW_USER_DAYS = 30
FIND_STATUS_FLAGS = {
    "": "active", "suspended": "suspended", "silenced": "silenced", "new": "new",
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
    # trust_level_0's name on this forum, once a locale's renamed one was found (_everyone_slice)
    _everyone_name: str | None = None
    delete_batch_size = BULK_DELETE_BATCH
    # ENDPOINTS.md "Rules" / delete one user: every admin is refused.
    refuses_deleting_admins = True

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
        max_pages: int | None = None,
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

        return self.paginate(page, start=1, limit=max_users, max_pages=max_pages)

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

    def user_list_page(self, *, cursor: str = "") -> UserListPage:
        """The admin list of every account (``active`` lists them all), oldest first, 100 a
        page, e-mails shown (Discourse writes each such page to its staff action log). The
        first page also asks /about.json how many accounts there are."""
        number = int(cursor) if cursor.isdigit() and int(cursor) > 0 else 1
        rows = self._json(
            "GET",
            "/admin/users/list/active.json",
            params={"page": number, "order": "created", "asc": "true", "show_emails": "true"},
        )
        if not isinstance(rows, list):
            raise ForumBadResponse("Discourse's user list was not a list.")
        users = tuple(self._user(row) for row in rows if isinstance(row, dict))
        more = len(rows) >= USERS_PER_PAGE
        total = self.user_count() if number == 1 else None  # type: ignore[attr-defined]
        return UserListPage(users, str(number + 1) if more else "", total)

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
        "" (everyone), "suspended", "silenced", "new" (joined in the last 30 days) or "staff"."""
        if status not in FIND_STATUS_FLAGS:
            raise ValueError(f"status must be one of {sorted(FIND_STATUS_FLAGS)}")
        if limit <= 0:
            return []
        # show_emails is needed to group one person's accounts across forums by e-mail
        # address; Discourse writes every such listing to its staff action log.
        if status == "new":
            since = datetime.now(tz=UTC) - timedelta(days=NEW_USER_DAYS)
            joined: list[ForumUser] = []
            for user in self.iter_users(flag="new", filter=query.strip() or None,
                                        show_emails=True):  # fmt: skip
                if user.created_at is None or user.created_at < since:
                    break  # newest first: everyone after this one joined earlier
                joined.append(user)
                if len(joined) >= limit:
                    break
            return joined
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

    # --- resolving many names (a plan) ---------------------------------------------------
    _whole_list: dict[str, _Kept] | None = None  # wanted key -> user, from the whole list
    _whole_list_wanted: set[str] | None = None
    _whole_list_complete = False  # every page was read: a name not in it does not exist
    _whole_list_details = True  # the plan needs flags and e-mails, not only who a name is
    _hint_left: set[str] | None = None  # hinted names not asked for yet
    _list_pages = 0  # what the whole list costs (its pages), once the probe has said
    _searched = (0, 0)  # (names, calls) the searches took since the probe chose them

    def expect_lookups(self, *, targets: Iterable[str], details: bool = True) -> None:
        """Many names are coming (a plan): when they are many, ``resolve_users`` first reads
        the user list's newest page, and the whole list if the forum is small enough for
        that to be cheaper than searching (see WHOLE_LIST_FACTOR). Without ``details`` the
        list read is trust_level_0's members, 1,000 a page (see EVERYONE_GROUP)."""
        wanted = {t.strip().lower() for t in targets if t and t.strip()}
        self._whole_list, self._whole_list_complete = None, False
        self._whole_list_wanted = wanted if len(wanted) >= WHOLE_LIST_MIN_NAMES else None
        self._whole_list_details = details
        self._hint_left = set(wanted) if self._whole_list_wanted is not None else None
        self._list_pages, self._searched = 0, (0, 0)

    def _worth_reading(self, accounts: int, page: int, wanted: set[str]) -> bool:
        """Is reading every page (``page`` accounts each) of a forum of ``accounts`` cheaper
        than searching for ``wanted`` 100 names a search? When not, the searches are counted
        as they go (``_switch_to_the_list``)."""
        batches = math.ceil(len(wanted) / self.resolve_batch_size)
        pages = math.ceil(accounts / page)
        worth = pages <= WHOLE_LIST_FACTOR * batches
        self._list_pages = 0 if worth else pages
        if worth:
            self._hint_left = None  # only the searches need it (_switch_to_the_list)
        return worth

    def _switch_to_the_list(self, names: int, calls: int) -> None:
        """The searches just took ``calls`` for ``names`` names: once what they cost per name,
        for the hinted names still to come, passes the whole list's pages, read the list for
        those names instead."""
        done, spent = self._searched
        done, spent = done + names, spent + calls
        self._searched = (done, spent)
        left = self._hint_left or set()
        if not self._list_pages or not left or not done:
            return
        if spent / done * len(left) > self._list_pages:
            self._whole_list, self._whole_list_complete = None, False
            self._whole_list_wanted, self._list_pages = set(left), 0
            self._read_whole_list(set(left), counted=False)

    def _everyone_group(self) -> str | None:
        """trust_level_0's name where a locale renamed it (the automatic group of id 10)."""
        payload = self._json("GET", "/groups.json", params={"type": "automatic"})
        for group in (payload.get("groups") if isinstance(payload, dict) else None) or []:
            if isinstance(group, dict) and group.get("id") == EVERYONE_GROUP_ID:
                return str(group.get("name") or "") or None
        return None

    def _everyone_slice(
        self, *, offset: int = 0, filter: str = "", asc: bool = False
    ) -> tuple[list[ForumUser], int | None] | None:
        """One read of trust_level_0's members, 1,000 a page (the group found by its id where
        a locale renamed it); None when the forum has no such group."""
        name = self._everyone_name or EVERYONE_GROUP
        query = {"limit": EVERYONE_PAGE, "offset": offset, "filter": filter, "asc": asc}
        try:
            return self.group_members_slice(key=name, **query)  # type: ignore[attr-defined]
        except ForumNotFound:
            if name != EVERYONE_GROUP:
                raise
            found = self._everyone_group()
            if found is None:
                return None
            self._everyone_name = found
            return self.group_members_slice(key=found, **query)  # type: ignore[attr-defined]

    def _read_everyone(self, wanted: set[str], *, counted: bool = True) -> bool:
        """Keep the wanted users (by username or id) of trust_level_0's members: searched for
        through the members list's filter (``_search_everyone``), or read 1,000 a page when
        that is fewer calls (a small forum, or ``counted`` False: the searches have shown it
        is). False when the group cannot be read (then the admin list is used). Never
        complete: staged accounts are not in the group, and an account created meanwhile
        shifts the pages, so a name not found is looked for among staged accounts, then
        searched for as usual."""
        kept: dict[str, _Kept] = {}
        self._whole_list = kept
        left = {name for name in wanted if "@" not in name}

        def keep(rows: list[ForumUser]) -> None:
            _keep_wanted(rows, left, kept)  # member rows carry no e-mail

        searchable = sorted(n for n in left if not n.isdigit() and MEMBER_TERM.fullmatch(n))
        read_pages = not counted or not searchable
        if not read_pages:
            try:
                searched = self._search_everyone(searchable, left, keep)
            except ForumError as exc:
                if not _search_refused(exc):
                    raise
                searched = True  # a forum that will not take the search: read the pages
            if searched is None:
                return False
            read_pages = searched
        if read_pages and left:
            first = self._everyone_slice()
            if first is None:
                return False
            rows, _ = first
            keep(rows)
            offset = len(rows)
            while left and len(rows) >= EVERYONE_PAGE:
                page = self._everyone_slice(offset=offset)
                rows = page[0] if page else []
                keep(rows)
                offset += len(rows)
        # The names the group did not have may be staged accounts: the filter searches the
        # staged list (few accounts, so few substring matches) for all of them at once.
        for batch in chunks(sorted(n for n in left if not n.isdigit()), self.resolve_batch_size):
            missing = set(batch)
            for user in self.iter_users(
                flag="staged", filter=",".join(batch), max_pages=FILTER_PAGES_PER_BATCH
            ):
                if user.username.lower() in missing:
                    kept[user.username.lower()] = user
                    missing.discard(user.username.lower())
                if not missing:
                    break
        return True

    def _search_everyone(
        self, names: list[str], left: set[str], keep: Callable[[list[ForumUser]], None]
    ) -> bool | None:
        """Search for ``names`` among trust_level_0's members, MEMBER_SEARCH_BYTES of names a
        search (see MEMBER_TERM). True when the first answer shows the group's pages are
        fewer calls than the searches still to make (the caller reads them instead); None
        when the forum has no such group. A full page settles the names it holds and the
        names it has passed; the rest go into the next search (or, when a page settled none,
        the search's next page is read)."""
        queue = list(names)
        carry: list[str] = []
        first = True
        while queue or carry:
            batch, queue = _fill_search(carry, [n for n in queue if n in left])
            offset = 0
            while True:
                answer = self._everyone_slice(offset=offset, filter=",".join(batch), asc=True)
                if answer is None:
                    return None
                rows, total = answer
                keep(rows)
                if first:
                    first = False
                    searches = math.ceil(sum(_term_bytes(n) for n in queue) / MEMBER_SEARCH_BYTES)
                    if total and math.ceil(total / EVERYONE_PAGE) <= searches:
                        return True
                if len(rows) < EVERYONE_PAGE:
                    carry = []  # the whole answer: every name in it was found or is not here
                    break
                seen = sorted(r.username.lower() for r in rows)
                unsettled = [n for n in batch if n in left and not _passed(n, seen)]
                if len(unsettled) < len(batch):
                    carry = unsettled
                    break
                offset += len(rows)  # this page settled nothing: read the search's next one
        return False

    def _read_whole_list(self, wanted: set[str], *, counted: bool = True) -> None:
        """Keep the wanted users (by username, e-mail or id) of the whole admin list, newest
        first, if reading it is worth it; else only those of its first page. ``counted``:
        False once the searches have shown the list is the cheaper (read it whatever)."""
        has_names = any("@" not in name for name in wanted)
        if (
            not self._whole_list_details
            and has_names
            and self._read_everyone(wanted, counted=counted)
        ):
            return
        kept: dict[str, _Kept] = {}
        self._whole_list = kept
        left = set(wanted)
        show_emails = any("@" in name for name in wanted)

        def keep(rows: list[ForumUser]) -> None:
            _keep_wanted(rows, left, kept)

        pages = self.iter_users(flag="active", order="created", show_emails=show_emails)
        first: list[ForumUser] = []
        for user in pages:
            first.append(user)
            if len(first) == USERS_PER_PAGE:
                break
        keep(first)
        if len(first) < USERS_PER_PAGE:
            self._whole_list_complete = True  # the forum fits on one page
            return
        newest = max(u.id for u in first)
        if counted and not self._worth_reading(newest, USERS_PER_PAGE, wanted):
            self._whole_list_wanted = set(kept)  # search with the filter; keep page 1's finds
            return
        chunk: list[ForumUser] = []
        for user in pages:  # the same iterator: page 2 onwards
            chunk.append(user)
            if len(chunk) == USERS_PER_PAGE:
                keep(chunk)
                chunk = []
                if not left:
                    break  # every name found: the rest of the list cannot add one
        keep(chunk)
        self._whole_list_complete = True

    def resolve_users(self, *, targets: Sequence[str]) -> dict[str, ForumUser]:
        """Usernames and e-mails 100 per call (the list's multi-term filter), matched exactly
        here; numeric ids one call each.

        ENDPOINTS.md "Rules" / user list `filter`: the filter is a substring match, so 100
        short names can match thousands of users. At most ``FILTER_PAGES_PER_BATCH`` pages
        are read per search, the names not reached are searched again in halves, and a name
        left alone is looked up exactly (``/u/{username}.json``, or the list's exact
        ``email``). Matches are exact, on username or e-mail."""
        wanted = [t.strip().lower() for t in targets if t and t.strip()]
        if self._hint_left is not None:
            self._hint_left.difference_update(wanted)
        found: dict[str, ForumUser] = {}
        if self._whole_list_wanted is not None and any(
            t in self._whole_list_wanted for t in wanted
        ):
            if self._whole_list is None:
                self._read_whole_list(self._whole_list_wanted)
            assert self._whole_list is not None  # _read_whole_list sets it
            rest = []
            for name in wanted:
                kept = self._whole_list.get(name)
                if kept is not None:
                    found[name] = _planned_user(kept)
                elif not (self._whole_list_complete and name in self._whole_list_wanted):
                    rest.append(name)
            wanted = rest
            # A plan asks each name once: what it took is let go as it goes, so the plan's own
            # rows grow as the list shrinks (a name asked again is searched for).
            for name in found:
                self._whole_list.pop(name, None)
                self._whole_list_wanted.discard(name)
        ids = [t for t in wanted if t.isdigit()]
        names = [t for t in wanted if not t.isdigit()]
        searching, calls_before = len(wanted), self.calls
        for batch in chunks(list(dict.fromkeys(names)), self.resolve_batch_size):
            missing = set(batch)
            self._filter_narrowing(list(batch), found, missing)
            for name in sorted(missing):
                user = self._exact_user(name)
                if user is not None:
                    found[name] = user
        for user_id in ids:
            try:
                found[user_id] = self.get_user(user_id=int(user_id))
            except ForumNotFound:
                continue
        if searching:
            self._switch_to_the_list(searching, self.calls - calls_before)
        return found

    def _filter_narrowing(
        self, names: list[str], found: dict[str, ForumUser], missing: set[str]
    ) -> None:
        """Match ``names`` through the substring filter, reading at most
        ``FILTER_PAGES_PER_BATCH`` pages; names still missing are searched again in halves
        (fewer terms match fewer users), down to ``FILTER_MIN_TERMS`` names, which are left
        in ``missing`` for an exact look-up."""
        if len(names) < FILTER_MIN_TERMS:
            return
        wanted = set(names)
        users = self.iter_users(
            flag="active", filter=",".join(names), show_emails=any("@" in t for t in names),
            max_pages=FILTER_PAGES_PER_BATCH,
        )  # fmt: skip
        for user in users:
            for key in (user.username.lower(), (user.email or "").lower()):
                if key in wanted:
                    found[key] = user
                    missing.discard(key)
                    wanted.discard(key)
            if not wanted:
                return  # every name matched: a full page needs no second look
        rest = sorted(wanted)
        if len(rest) == len(names):
            return  # nobody found: these names are probably not there; look them up exactly
        middle = len(rest) // 2
        self._filter_narrowing(rest[:middle], found, missing)
        self._filter_narrowing(rest[middle:], found, missing)

    def _exact_user(self, name: str) -> ForumUser | None:
        """The one user with exactly this username or e-mail address, or None."""
        if "@" in name:
            return self.get_user_by_email(email=name)
        try:
            user = self.get_user_by_username(username=name)
        except ForumNotFound:
            return None
        return user if user.username.lower() == name else None

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
        # ENDPOINTS.md "Rules" / suspend / silence: reason required and at most 300
        # characters, else 400: refused here, before anything is sent.
        problem = self.penalty_reason_problem(kind, reason)
        if problem:
            raise ForumRejected(problem)
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
        """ENDPOINTS.md "Rules" / delete one user: Discourse refuses (403) every administrator
        and any user with more than 5 posts whose first post is older than
        `delete_user_max_post_age`, and, without ``delete_posts``, a user who has posts. A 200
        ``{deleted: false}`` is a failure too."""
        body = {"delete_posts": delete_posts, "block_email": block_email, "block_ip": block_ip}
        try:
            payload = self._json("DELETE", f"/admin/users/{int(user_id)}.json", json_body=body)
        except ForumForbidden as exc:
            if exc.code == "invalid_access":  # the guardian: say which rule, in plain words
                raise ForumForbidden(
                    self._delete_refusal(int(user_id), exc.detail), status=exc.status,
                    code=exc.code,
                ) from None  # fmt: skip
            raise  # {deleted:false, message}: Discourse's own words ("... has 12 posts ...")
        if not (isinstance(payload, dict) and payload.get("deleted") is True):
            raise ForumRejected(
                "Discourse answered without deleting the account ({deleted: false}): it is "
                "still there. Try again later, or delete it in Discourse's admin panel."
            )

    def delete_users(
        self, *, user_ids: Sequence[int], block_ip_and_email: bool = False
    ) -> BulkDeleteResult:
        """Delete users (and always their posts) 100 per call.

        ENDPOINTS.md "Rules" / bulk delete: destroy-bulk is all or nothing, so one user who
        cannot be deleted refuses the whole batch (403) without saying who. A refused batch is
        split (``batches.delete_splitting``: halves, then one by one) so everyone else is
        deleted, and each refused user is in ``refused`` with the forum's reason and the rule
        behind it. A batch of users all gone already is 404: they are ``missing``."""

        def send(batch: list[int]) -> list[int]:
            try:
                payload = self._json(
                    "DELETE", "/admin/users/destroy-bulk.json",
                    json_body={"user_ids": batch, "block_ip_and_email": block_ip_and_email},
                )  # fmt: skip
            except ForumNotFound:
                return batch  # "no ids (no users found) gives 404"
            if not (isinstance(payload, dict) and payload.get("deleted") is True):
                raise ForumRejected(
                    "Discourse answered without deleting these accounts ({deleted: false})."
                )
            return []

        result = delete_splitting(
            user_ids, send, batch_size=BULK_DELETE_BATCH, refusals=(ForumForbidden,),
            reason=lambda exc: exc.detail or str(exc),
        )  # fmt: skip
        refused_users = list(result.refused)
        if not refused_users:
            return result
        calls_before = self.calls
        refused = {uid: self._delete_refusal(uid, result.refused[uid]) for uid in refused_users}
        return replace(result, refused=refused, calls=result.calls + self.calls - calls_before)

    def _delete_refusal(self, user_id: int, forum_words: str) -> str:
        """The forum's refusal of a delete, with the rule behind it for this user (one read)."""
        words = forum_words.strip() or "not permitted"
        said = f"Discourse refused to delete this account (“{words}”)"
        try:
            user = self.get_user(user_id=user_id)
        except ForumNotFound:
            return f"{said}: the account no longer exists."
        except ForumError:
            return f"{said}."
        if user.admin:
            why = "they are an administrator, and Discourse never deletes administrators"
        elif (user.post_count or 0) > MAX_STAFF_DELETE_POST_COUNT:
            why = (
                f"they have {user.post_count} posts, and Discourse keeps anyone with more than "
                f"{MAX_STAFF_DELETE_POST_COUNT} posts whose first post is older than its "
                "delete_user_max_post_age setting (60 days by default)"
            )
        else:
            why = f"Discourse did not say why ({KEY_HINT})"
        return f"{said}: {why}."

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

    # ENDPOINTS.md "Rules" / approve / activate / deactivate: 403 invalid_access unless approve
    # gets an active, not yet approved user, activate an inactive one, deactivate a non-staff
    # one. The forum's words only say "not permitted": these say which rule.
    _GUARDED_REFUSALS: ClassVar[dict[str, str]] = {
        "approve": "Discourse approves only an active account that is waiting for approval "
        "(must_approve_users): this one is already approved, or not active yet.",
        "activate": "Discourse activates only an account that is not active: this one already is.",
        "deactivate": "Discourse does not deactivate staff (administrators and moderators).",
    }

    def _guarded(self, verb: str, user_id: int) -> None:
        try:
            # Approve answers 200 with an empty body: nothing to read.
            self._json("PUT", f"/admin/users/{int(user_id)}/{verb}.json")
        except ForumForbidden as exc:
            if exc.code != "invalid_access":
                raise
            raise ForumForbidden(
                f"{self._GUARDED_REFUSALS[verb]} (If it should be allowed, {KEY_HINT}.)",
                status=exc.status, code=exc.code,
            ) from None  # fmt: skip

    def approve_user(self, *, user_id: int) -> None:
        self._guarded("approve", user_id)

    def activate_user(self, *, user_id: int) -> None:
        self._guarded("activate", user_id)

    def deactivate_user(self, *, user_id: int) -> None:
        self._guarded("deactivate", user_id)


# What a plan's whole-list read keeps of one account: one with no staff flag and no penalty as
# (id, username, e-mail, trust level, active, approved), any other as a ForumUser.
_Kept = ForumUser | tuple[int, str, str | None, int | None, bool, bool | None]


def _search_refused(exc: ForumError) -> bool:
    """Did the forum refuse a member search itself (its expression, or a request line too
    long for its web server: 414, 431), rather than fail as it would for any call?"""
    if isinstance(exc, ForumBusy):
        return False
    return isinstance(exc, (ForumServerError, ForumRejected)) or exc.status in (414, 431)


def _term_bytes(name: str) -> int:
    """What one name adds to a member search's query string: itself encoded, and a comma."""
    return len(quote(name, safe="")) + 3


def _fill_search(carry: list[str], queue: list[str]) -> tuple[list[str], list[str]]:
    """One member search: the names carried over, then queued ones while the encoded filter
    stays within MEMBER_SEARCH_BYTES (at least one name); and what is left queued."""
    batch = list(carry)
    size = sum(_term_bytes(n) for n in batch)
    taken = 0
    for name in queue:
        cost = _term_bytes(name)
        if batch and size + cost > MEMBER_SEARCH_BYTES:
            break
        batch.append(name)
        size += cost
        taken += 1
    return batch, queue[taken:]


def _passed(name: str, seen: list[str]) -> bool:
    """Has an A-to-Z page (``seen``, sorted) passed ``name`` without holding it? It has when
    it holds a longer username that begins with it: in any collation a name sorts before
    the names it begins."""
    at = bisect_right(seen, name)
    return at < len(seen) and seen[at].startswith(name)


def _keep_wanted(rows: Iterable[ForumUser], left: set[str], kept: dict[str, _Kept]) -> None:
    """Move each user whose username, e-mail or id is still in ``left`` to ``kept``, as much
    of it as a plan reads (``_as_planned``): a 100,000-name plan keeps 100,000 of them."""
    for user in rows:
        name = user.username
        lowered = name.lower()
        if lowered == name:
            lowered = name  # one string, not two, for the usual lower-case name
        slim: _Kept | None = None
        for key in (lowered, (user.email or "").lower(), str(user.id)):
            if key in left:
                slim = slim or _as_planned(user)
                kept[key] = slim
                left.discard(key)


def _as_planned(user: ForumUser) -> _Kept:
    """A user as a plan's whole-list read keeps it: who it is (id, username, e-mail) and its
    standing (active, staff, penalties, trust level), which is all the plan and the index's
    ``note_seen`` read; not its display name, profile link, dates or post count. An ordinary
    account is kept as a tuple (a quarter of a ForumUser's size). Issue 25: a 100,000-name plan
    holding whole ForumUsers took the worker from 185 to 297 MB (``worker_rss_mb_100k``)."""
    slim = replace(
        user, name="", profile_url="", created_at=None, last_seen_at=None, post_count=None,
        registration_ip="",
    )  # fmt: skip
    plain = (user.id, user.username, user.email, user.trust_level, user.active, user.approved)
    return plain if slim == _planned_user(plain) else slim


def _planned_user(kept: _Kept) -> ForumUser:
    if isinstance(kept, ForumUser):
        return kept
    user_id, username, email, trust_level, active, approved = kept
    return ForumUser(
        id=user_id, username=username, email=email, trust_level=trust_level, active=active,
        approved=approved,
    )  # fmt: skip
