"""Discourse groups: list, read, create, change, delete, and members (1,000 per call)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..errors import ForumBadResponse, ForumError, ForumRejected
from ..records import ForumGroup, ForumUser, GroupMembershipChange, GroupMembersPage
from .base import DiscourseBase, DiscourseGroupUpdateNeedsChoice, chunks, clean, to_int
from .users import USERS_PER_PAGE

GROUPS_PER_PAGE = 36  # /groups.json, desktop user agent
GROUP_MEMBERS_MAX_LIMIT = 1000  # /groups/{name}/members.json `limit` cap
GROUP_MEMBERS_BATCH = 1000  # GroupsController::ADD_MEMBERS_LIMIT
# visibility_level: 0 public, 1 logged-in users, 2 members, 3 staff, 4 owners. A group that is
# "not visible" is seen by its members and staff only.
VISIBLE, HIDDEN = 0, 2
# The notification levels a group can default its members to, per category and per tag.
NOTIFICATION_LEVELS = ("muted", "regular", "tracking", "watching", "watching_first_post")
# Group names pass Discourse's username rules (app/models/group.rb name_format_validator ->
# app/models/username_validator.rb UsernameValidator#valid_format?, unicode_usernames off, the
# default): min_username_length..max_username_length (3..20 by default) characters of
# [A-Za-z0-9_.-] (ASCII_INVALID_CHAR_PATTERN), first one a letter, digit or "_"
# (INVALID_LEADING_CHAR_PATTERN), last one a letter or digit (INVALID_TRAILING_CHAR_PATTERN),
# never two of "-_." in a row (REPEATED_SPECIAL_CHAR_PATTERN), no file-type ending
# (CONFUSING_EXTENSIONS, any case).
GROUP_NAME_MIN, GROUP_NAME_MAX = 3, 20
GROUP_NAME_CHARS = re.compile(r"^[A-Za-z0-9_.\-]+$")
CONFUSING_EXTENSIONS = re.compile(
    r"\.(js|json|css|htm|html|xml|jpg|jpeg|png|gif|bmp|ico|tif|tiff|woff)$", re.IGNORECASE
)
EMAIL_LOOKUP_BATCH = 100  # the admin list's filter takes up to 100 terms


def group_name_problem(name: str) -> str:
    """Why Discourse's UsernameValidator refuses ``name`` as a group name, in plain words ("" if
    it passes), checked in the validator's order."""
    if not GROUP_NAME_MIN <= len(name) <= GROUP_NAME_MAX:
        return f"group names are {GROUP_NAME_MIN}–{GROUP_NAME_MAX} characters long."
    if not GROUP_NAME_CHARS.fullmatch(name):
        return "use only letters, digits, _, - and . (no spaces or other characters)."
    if not (name[0].isalnum() or name[0] == "_"):
        return "it must begin with a letter, a digit or _."
    if not name[-1].isalnum():
        return "it must end with a letter or a digit."
    if re.search(r"[-_.]{2,}", name):
        return "two of _, - and . may not follow each other."
    if CONFUSING_EXTENSIONS.search(name):
        return "it may not end like a file name (.json, .js, .css, .html, .png, …)."
    return ""


class DiscourseGroups(DiscourseBase):
    member_batch_size = GROUP_MEMBERS_BATCH
    automatic_group_reason = (
        "An automatic group: Discourse itself decides who is in it (by trust level or staff "
        "role), so it cannot be renamed, edited or given members."
    )
    group_name_help = (
        "3–20 letters, digits, _, - or . (no spaces); begins with a letter, digit or _, ends "
        "with a letter or digit, no two of _ - . in a row, no file ending such as .json."
    )

    @classmethod
    def check_group_name(cls, name: str) -> str:
        name = super().check_group_name(name)
        problem = group_name_problem(name)
        if problem:
            raise ValueError(f"Discourse refuses the group name “{name}”: {problem}")
        return name

    @staticmethod
    def _group(data: dict) -> ForumGroup:
        return ForumGroup(
            id=int(data.get("id") or 0),
            name=str(data.get("name") or ""),
            full_name=str(data.get("full_name") or data.get("display_name") or ""),
            slug=str(data.get("name") or ""),
            description=str(data.get("bio_raw") or ""),
            user_count=to_int(data.get("user_count")),
            automatic=bool(data.get("automatic")),
            # 0 = public; anything else hides the group from some viewers.
            visible=not to_int(data.get("visibility_level")),
        )

    def iter_groups(self, *, filter: str | None = None) -> Iterator[ForumGroup]:
        """Every group, 36 a page (pages are 0-based)."""
        seen = 0

        def page(number: int) -> tuple[list[ForumGroup], int | None]:
            nonlocal seen
            params: dict[str, Any] = {"page": number}
            if filter:
                params["filter"] = filter
            payload = self._dict(self._json("GET", "/groups.json", params=params), "groups")
            groups = [self._group(g) for g in payload.get("groups") or [] if isinstance(g, dict)]
            seen += len(groups)
            total = to_int(payload.get("total_rows_groups")) or 0
            more = (
                len(groups) >= GROUPS_PER_PAGE and payload.get("load_more_groups") and seen < total
            )
            return groups, (number + 1 if more else None)

        return self.paginate(page, start=0)

    def list_groups(self) -> list[ForumGroup]:
        return list(self.iter_groups())

    def get_group(self, *, key: str) -> ForumGroup:
        return self._group(self._group_detail(key))

    def _group_detail(self, key: str) -> dict:
        payload = self._dict(self._json("GET", f"/groups/{self._seg(key)}.json"), "a group")
        detail = payload.get("group") or {}
        return detail if isinstance(detail, dict) else {}

    @staticmethod
    def _notification_defaults(detail: dict, *, tags: bool = True) -> dict[str, list]:
        """The group's category (and tag) notification defaults as a PUT sends them (only the
        levels that hold any): ENDPOINTS.md "Rules" / update a group: defaults not sent are
        treated as deleted."""
        defaults: dict[str, list] = {}
        for level in NOTIFICATION_LEVELS:
            keys = (
                (f"{level}_category_ids", f"{level}_tags") if tags else (f"{level}_category_ids",)
            )
            for key in keys:
                values = detail.get(key)
                if not isinstance(values, list):
                    continue
                kept: list[int] | list[str]
                if key.endswith("_category_ids"):
                    kept = [i for i in (to_int(v) for v in values) if i is not None]
                else:
                    kept = [str(v) for v in values if isinstance(v, str) and v]
                if kept:
                    defaults[key] = kept
        return defaults

    def get_group_by_id(self, *, group_id: int) -> ForumGroup:
        payload = self._dict(self._json("GET", f"/groups/by-id/{int(group_id)}.json"), "a group")
        return self._group(payload.get("group") or {})

    @staticmethod
    def _group_fields(
        *,
        name: str,
        full_name: str | None,
        description: str | None,
        visible: bool | None,
        usernames: Iterable[str] = (),
    ) -> dict[str, Any]:
        group: dict[str, Any] = {"name": name}
        if full_name is not None:
            group["full_name"] = full_name
        if description is not None:
            group["bio_raw"] = description
        if visible is not None:
            group["visibility_level"] = VISIBLE if visible else HIDDEN
        names = clean(usernames)
        if names:
            group["usernames"] = ",".join(names)
        return group

    def create_group(
        self, *, name: str, full_name: str = "", description: str = "", visible: bool = True
    ) -> ForumGroup:
        group = self._group_fields(
            name=name, full_name=full_name or None, description=description or None,
            visible=visible,
        )  # fmt: skip
        payload = self._dict(
            self._json("POST", "/admin/groups.json", json_body={"group": group}), "a group"
        )
        return self._group(payload.get("basic_group") or payload.get("group") or {})

    def update_group(
        self,
        *,
        key: str,
        name: str | None = None,
        full_name: str | None = None,
        description: str | None = None,
        visible: bool | None = None,
        default_notification_level: int | None = None,
        update_existing_users: bool | None = None,
    ) -> ForumGroup:
        """Change a group (the spec requires its name, so the current one is read first).

        ENDPOINTS.md "Rules" / update a group: category and tag notification defaults that a
        PUT leaves out count as deleted, so a plain rename could ask "do existing members
        follow?" and, answered yes, delete members' own settings. So a change that does not
        touch notification levels says ``update_existing_users=false`` (a rename never touches
        members' settings), and the group's current category defaults are sent back, its tag
        defaults too whenever existing members may follow (``update_existing_users`` True or
        not chosen yet: the spec has no `*_tags` fields, and with false they change nothing).

        When a change to the default notification level would reach existing members and
        ``update_existing_users`` is None, Discourse refuses; that becomes
        ``DiscourseGroupUpdateNeedsChoice`` carrying how many members it would touch.
        """
        detail = self._group_detail(key)
        current = self._group(detail)
        group = self._group_fields(
            name=name if name is not None else current.name, full_name=full_name,
            description=description, visible=visible,
        )  # fmt: skip
        if default_notification_level is not None:
            group["default_notification_level"] = default_notification_level
        elif update_existing_users is None:
            update_existing_users = False
        group.update(self._notification_defaults(detail, tags=update_existing_users is not False))
        params = None
        if update_existing_users is not None:
            params = {"update_existing_users": "true" if update_existing_users else "false"}
        response = self.send(
            "PUT",
            f"/groups/{int(current.id)}.json",
            params=params,
            json_body={"group": group},
            keep_status=(422,),
        )
        if response.status_code == 422:
            payload = self._try_json(response) or {}
            count = to_int(payload.get("user_count")) if isinstance(payload, dict) else None
            if count is not None:
                raise DiscourseGroupUpdateNeedsChoice(
                    f"This change would also apply to the {count} existing members' notification "
                    "settings. Choose whether existing members get the new defaults.",
                    user_count=count,
                )
            self.raise_for_status(response)
        self.decode(response)
        return self.get_group(key=name if name is not None else current.name)

    def delete_group(self, *, key: str) -> None:
        group = self.get_group(key=key)
        self._json("DELETE", f"/admin/groups/{int(group.id)}.json")

    def iter_group_members(
        self, *, key: str, page_size: int = GROUP_MEMBERS_MAX_LIMIT
    ) -> Iterator[ForumUser]:
        """Members (owners included once), ``limit``/``offset`` pages of at most 1,000."""
        limit = max(1, min(page_size, GROUP_MEMBERS_MAX_LIMIT))

        def page(offset: int) -> tuple[list[ForumUser], int | None]:
            members, total = self.group_members_slice(key=key, limit=limit, offset=offset)
            following = offset + len(members)
            done = len(members) < limit or (total is not None and following >= total)
            return members, (None if done else following)

        return self.paginate(page, start=0)

    def list_group_members(self, *, key: str, limit: int | None = None) -> list[ForumUser]:
        members = self.iter_group_members(key=key)
        return [m for _, m in zip(range(limit), members, strict=False)] if limit else list(members)

    def group_members_page(
        self, *, key: str, query: str = "", offset: int = 0, limit: int = 50
    ) -> GroupMembersPage:
        """Discourse pages (``limit``/``offset``) and filters by username (an admin's key: also
        e-mail) itself. Without a search, one call, and ``meta.total`` is the group's size.

        With a search, ``meta.total`` is no match count: ``GroupsController#members`` counts
        the group before it applies ``filter`` (``total = users.count``; ENDPOINTS.md "Rules" /
        group member search). The matches are read instead, 1,000 a call (one call unless a
        search matches more), and counted; the page is cut from them."""
        term = query.strip()
        if not term:
            members, total = self.group_members_slice(key=key, limit=limit, offset=offset)
            return GroupMembersPage(
                tuple(members), total if total is not None else len(members), offset
            )
        matches: list[ForumUser] = []
        seen: set[int] = set()
        while True:
            batch, _group_size = self.group_members_slice(
                key=key, limit=GROUP_MEMBERS_MAX_LIMIT, offset=len(matches), filter=term
            )
            fresh = [m for m in batch if m.id not in seen]
            seen.update(m.id for m in fresh)
            matches.extend(fresh)
            if len(batch) < GROUP_MEMBERS_MAX_LIMIT or not fresh:
                break
        start = max(offset, 0)
        return GroupMembersPage(tuple(matches[start : start + limit]), len(matches), start)

    def group_members_slice(
        self, *, key: str, limit: int, offset: int = 0, filter: str = "", asc: bool = False
    ) -> tuple[list[ForumUser], int | None]:
        """One call to ``/groups/{name}/members.json``: the members from ``offset`` (at most
        ``limit``, 1..1,000) and the group's member count as the forum gives it (``meta.total``),
        or None. Rows are GroupUserSerializer's: id, username and name, no e-mail or flags."""
        params: dict[str, Any] = {
            "limit": max(1, min(limit, GROUP_MEMBERS_MAX_LIMIT)),
            "offset": max(offset, 0),
        }
        if filter:
            params["filter"] = filter
        if asc:
            params["asc"] = "true"  # A to Z by username (Z to A without it)
        payload = self._dict(
            self._json("GET", f"/groups/{self._seg(key)}/members.json", params=params), "members"
        )
        members = [self._user(m) for m in payload.get("members") or [] if isinstance(m, dict)]
        return members, to_int((payload.get("meta") or {}).get("total"))

    def member_emails(self, *, users: Sequence[ForumUser]) -> dict[int, str]:
        """Members lists carry no e-mail: the admin list with ``show_emails`` (written to the
        staff action log) names them, 100 usernames a call, or the whole list when that is
        fewer calls.

        ENDPOINTS.md "Rules" / user list `filter`: up to 100 terms, each a substring match, so
        a batch of 100 names can bring in others and take more than one page. The whole list
        (``active``, 100 accounts a page, e-mails shown) costs the forum's accounts ÷ 100
        calls. Batches go first; once what they cost per name, for the names still to look
        up, passes what the whole list's pages would, the rest is read from the list."""
        emails = {u.id: u.email.lower() for u in users if u.email}
        wanted = {u.username.lower(): u.id for u in users if not u.email and u.username}
        batches = list(chunks(list(wanted), EMAIL_LOOKUP_BATCH))
        list_pages = None
        if len(batches) > 1:
            try:
                accounts = self.user_count()  # type: ignore[attr-defined]
            except ForumError:  # the forum's size unknown: the batches alone, as before
                accounts = None
            list_pages = -(-accounts // USERS_PER_PAGE) if accounts else None
        looked_up = spent = 0
        for number, batch in enumerate(batches):
            left = len(wanted) - looked_up
            if list_pages is not None and (
                list_pages <= len(batches) - number
                or (looked_up and spent / looked_up * left > list_pages)
            ):
                self._emails_from_list({n: wanted[n] for b in batches[number:] for n in b}, emails)
                break
            calls_before = self.calls
            missing = set(batch)
            for user in self.iter_users(  # type: ignore[attr-defined]
                flag="active", filter=",".join(batch), show_emails=True
            ):
                name = user.username.lower()
                if name in missing and user.email:
                    emails[wanted[name]] = user.email.lower()
                    missing.discard(name)
                if not missing:
                    break
            looked_up += len(batch)
            spent += self.calls - calls_before
        return emails

    def _emails_from_list(self, wanted: dict[str, int], emails: dict[int, str]) -> None:
        """E-mails of ``wanted`` (username -> id) from the whole admin list, page after page,
        until every one is found or the list ends."""
        missing = set(wanted)
        for user in self.iter_users(flag="active", show_emails=True):  # type: ignore[attr-defined]
            name = user.username.lower()
            if name in missing and user.email:
                emails[wanted[name]] = user.email.lower()
                missing.discard(name)
                if not missing:
                    return

    @classmethod
    def _refuse_automatic(cls, group: ForumGroup) -> None:
        # Say why before sending anything (the forum would answer 403).
        refusal = cls.membership_refusal(group=group)
        if refusal:
            raise ForumRejected(refusal)

    @classmethod
    def membership_refusal(cls, *, group: ForumGroup) -> str:
        # ENDPOINTS.md "Rules" / add group members: "Automatic groups: 403" (trust level and
        # staff groups).
        return f"{group.name}: {cls.automatic_group_reason}" if group.automatic else ""

    def add_members(self, *, group: ForumGroup, user_ids: Sequence[int]) -> GroupMembershipChange:
        """Add members, at most 1,000 per call (the server's limit), as a comma string.

        ``added`` lists the usernames Discourse named for each batch. ENDPOINTS.md "Rules" / add
        group members, read by status and counts, never by the (translated) words:

        - a batch in which every user already is a member is 422 ``{errors}``: it lands in
          ``skipped`` (the other 422, over 1,000 users, cannot happen: batches are at most
          1,000);
        - a batch where none of the users exists is 400 invalid parameters: ``missing``;
        - in a mixed batch Discourse drops unknown users silently: the answer names fewer users
          than were sent (the caller, who knows the usernames, can tell which).
        """
        self._refuse_automatic(group)
        values = clean(str(int(i)) for i in user_ids)
        added: list[str] = []
        skipped: list[str] = []
        missing: list[str] = []
        calls = 0
        for batch in chunks(values, GROUP_MEMBERS_BATCH):
            calls += 1
            response = self.send(
                "PUT",
                f"/groups/{int(group.id)}/members.json",
                json_body={"user_ids": ",".join(batch)},
                keep_status=(400, 422),
            )
            if response.status_code == 422 and len(batch) <= GROUP_MEMBERS_BATCH:
                payload = self._try_json(response)
                if isinstance(payload, dict) and isinstance(payload.get("errors"), list):
                    skipped.extend(batch)  # Discourse's own 422 (render_json_error)
                    continue
            if response.status_code == 400:
                payload = self._try_json(response)
                if isinstance(payload, dict) and payload.get("error_type") == "invalid_parameters":
                    missing.extend(batch)
                    continue
            if response.status_code >= 400:
                self.raise_for_status(response)
            payload = self.decode(response) or {}
            if not isinstance(payload, dict):
                raise ForumBadResponse("Discourse answered something other than a result.")
            added.extend(str(u) for u in payload.get("usernames") or [] if u)
        return GroupMembershipChange(
            added=tuple(added), skipped=tuple(skipped), missing=tuple(missing), calls=calls
        )

    def remove_members(
        self, *, group: ForumGroup, user_ids: Sequence[int]
    ) -> GroupMembershipChange:
        """Remove members, 1,000 per call; ``skipped`` holds those who were not members,
        ``missing`` those the forum no longer knows (a batch of only deleted accounts)."""
        self._refuse_automatic(group)
        values = clean(str(int(i)) for i in user_ids)
        removed: list[str] = []
        skipped: list[str] = []
        calls = 0
        missing: list[str] = []
        for batch in chunks(values, GROUP_MEMBERS_BATCH):
            calls += 1
            response = self.send(
                "DELETE",
                f"/groups/{int(group.id)}/members.json",
                json_body={"user_ids": ",".join(batch)},
                keep_status=(400,),
            )
            if response.status_code == 400:
                # ENDPOINTS.md "Rules" / remove group members: a batch in which none of the
                # users exists any more is 400 invalid parameters (users_from_params): they
                # were deleted since the plan, so there is no one to remove (``missing``).
                payload = self._try_json(response)
                if isinstance(payload, dict) and payload.get("error_type") == "invalid_parameters":
                    missing.extend(batch)
                    continue
                self.raise_for_status(response)
            payload = self.decode(response) or {}
            if not isinstance(payload, dict):
                raise ForumBadResponse("Discourse answered something other than a result.")
            removed.extend(str(u) for u in payload.get("usernames") or [] if u)
            skipped.extend(str(u) for u in payload.get("skipped_usernames") or [] if u)
        return GroupMembershipChange(
            removed=tuple(removed), skipped=tuple(skipped), missing=tuple(missing), calls=calls
        )
