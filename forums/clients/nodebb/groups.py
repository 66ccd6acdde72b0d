"""NodeBB groups: list, read, create, change, delete, members (one uid per call)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from ..errors import ForumError, ForumNotFound, ForumRejected
from ..records import Capability, ForumGroup, ForumUser, GroupMembershipChange, GroupMembersPage
from .base import ADMINISTRATORS_REAUTH_MESSAGE, NodeBBBase, flag, to_int

GROUP_NAME_MAX = 255  # meta.config.maximumGroupNameLength (default)


class NodeBBGroups(NodeBBBase):
    member_batch_size = 1  # PUT/DELETE /groups/{slug}/membership/{uid}: one uid per call
    automatic_group_reason = (
        "A system group: NodeBB itself keeps it (administrators, global moderators, registered "
        "users, ...), so it cannot be renamed, edited or deleted, and its members are managed "
        "in NodeBB's admin panel."
    )
    group_name_help = f"Up to {GROUP_NAME_MAX} characters, without “/”."
    # ENDPOINTS.md "NodeBB 4.15.1 answers" / group visibility: `hidden` and `private` are two
    # independent flags (src/groups/create.js Groups.create, src/groups/update.js).
    group_private_help = (
        "Private: people ask to join and an owner (or an administrator) approves them; "
        "separate from hidden."
    )
    members_page_size = 20  # GET /api/v3/groups/{slug}/members: after .. after + 19

    @classmethod
    def check_group_name(cls, name: str) -> str:
        """Groups.validateGroupName: no "/", not a privilege group's "cid:" prefix, and a
        name that leaves something to make a slug of."""
        name = super().check_group_name(name)
        if "/" in name:
            raise ValueError(f"NodeBB refuses the group name “{name}”: it may not contain “/”.")
        if name.lower().startswith("cid:") or not any(c.isalnum() for c in name):
            raise ValueError(f"NodeBB refuses the group name “{name}”.")
        if len(name) > GROUP_NAME_MAX:
            raise ValueError(f"NodeBB allows group names of at most {GROUP_NAME_MAX} characters.")
        return name

    @staticmethod
    def _group(data: dict) -> ForumGroup:
        slug = str(data.get("slug") or "")
        return ForumGroup(
            id=slug,
            name=str(data.get("name") or ""),
            full_name=str(data.get("displayName") or data.get("name") or ""),
            slug=slug,
            description=str(data.get("description") or ""),
            user_count=to_int(data.get("memberCount")),
            automatic=flag(data.get("system")),
            visible=not flag(data.get("hidden")),
            private=flag(data.get("private")),
        )

    def list_groups(self) -> list[ForumGroup]:
        """Every group an administrator sees (incl. hidden and system ones), all pages."""
        self.require(Capability.GROUPS)

        def page(number: int) -> tuple[list[ForumGroup], int | None]:
            payload = self._read("/api/admin/manage/groups", params={"page": number})
            groups = [self._group(g) for g in payload.get("groups") or [] if isinstance(g, dict)]
            page_count = to_int((payload.get("pagination") or {}).get("pageCount"), 1) or 1
            return groups, (number + 1 if number < page_count else None)

        return list(self.paginate(page, start=1))

    def get_group(self, *, key: str) -> ForumGroup:
        """By slug, else by name or display name (case-insensitive)."""
        self.require(Capability.GROUPS)
        try:
            payload = self._read(f"/api/groups/{self._seg(key)}")
            if not isinstance(payload.get("group"), dict):
                raise ForumNotFound("NodeBB has no group with that name.")
            return self._group(payload["group"])
        except ForumNotFound:
            wanted = key.strip().lower()
            for group in self.list_groups():
                if wanted in {group.name.lower(), group.slug.lower(), group.full_name.lower()}:
                    return group
            raise

    def create_group(
        self,
        *,
        name: str,
        full_name: str = "",
        description: str = "",
        visible: bool = True,
        private: bool = False,
    ) -> ForumGroup:
        """Create the group, then take the acting user out of it again: src/api/groups.js
        ``groupsAPI.create`` always sets ``data.ownerUid = caller.uid`` (no field avoids it), so
        NodeBB makes the token's user the new group's owner and only member (ENDPOINTS.md
        "NodeBB 4.15.1 answers" / POST /api/v3/groups with a master token). Leaving is
        ``groupsAPI.leave`` with isSelf, which NodeBB allows unless ``disableLeave``; an
        administrator still manages the group without being its owner."""
        self.require(Capability.GROUPS)
        # `private` is sent always: Groups.create treats a missing `private` as private (1).
        body: dict[str, Any] = {
            "name": name, "hidden": int(not visible), "private": int(bool(private)),
        }  # fmt: skip
        if description:
            body["description"] = description
        group = self._group(self._write("POST", "/api/v3/groups/", body=body) or {})
        uid = self._acting_uid()
        if uid is None or not group.slug:
            return group
        try:
            self._write("DELETE", f"/api/v3/groups/{self._seg(group.slug)}/membership/{uid}")
        except ForumError:
            return group  # created: the acting user simply stays a member
        return dataclasses.replace(group, user_count=max((group.user_count or 1) - 1, 0))

    def update_group(
        self,
        *,
        key: str,
        name: str | None = None,
        full_name: str | None = None,
        description: str | None = None,
        visible: bool | None = None,
        private: bool | None = None,
    ) -> ForumGroup:
        self.require(Capability.GROUPS)
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if description is not None:
            body["description"] = description
        if visible is not None:
            body["hidden"] = int(not visible)
        if private is not None:
            body["private"] = int(bool(private))
        return self._group(self._write("PUT", f"/api/v3/groups/{self._seg(key)}", body=body) or {})

    def delete_group(self, *, key: str) -> None:
        self.require(Capability.GROUPS)
        self._write("DELETE", f"/api/v3/groups/{self._seg(key)}")

    def list_group_members(self, *, key: str, limit: int | None = None) -> list[ForumUser]:
        """Owners first, then members, 20 per call (``after`` / ``nextStart``)."""
        self.require(Capability.GROUPS)

        def page(after: int) -> tuple[list[ForumUser], int | None]:
            data = self._write(
                "GET", f"/api/v3/groups/{self._seg(key)}/members", params={"after": after}
            )
            users = [self._user(u) for u in (data or {}).get("users") or [] if isinstance(u, dict)]
            next_start = to_int((data or {}).get("nextStart"))
            moving = next_start is not None and next_start > after
            return users, (next_start if moving else None)

        return list(self.paginate(page, start=0, limit=limit))

    def group_members_page(
        self, *, key: str, query: str = "", offset: int = 0, limit: int = 50
    ) -> GroupMembersPage:
        """Without a search, only the member pages the view shows are read (``after`` =
        offset, 20 rows each; src/api/groups.js ``listMembers``) and the total is the group's
        ``memberCount``: a big group is not read whole for each page. A search is left to
        the default (NodeBB's own member search matches only the start of a username)."""
        if query.strip():
            return super().group_members_page(key=key, query=query, offset=offset, limit=limit)
        self.require(Capability.GROUPS)
        group = self.get_group(key=key)
        offset = max(offset, 0)
        rows: list[ForumUser] = []
        after = offset
        while len(rows) < limit:
            data = self._write(
                "GET", f"/api/v3/groups/{self._seg(group.key)}/members", params={"after": after}
            )
            chunk = [self._user(u) for u in (data or {}).get("users") or [] if isinstance(u, dict)]
            rows.extend(chunk)
            # listMembers answers nextStart = after + 20 even on the last page: a short page
            # is the end.
            if len(chunk) < self.members_page_size:
                break
            after += len(chunk)
        total = group.user_count if group.user_count is not None else offset + len(rows)
        return GroupMembersPage(tuple(rows[:limit]), max(total, offset + len(rows[:limit])), offset)

    def acting_user_is_sole_member(self, *, group: ForumGroup) -> bool:
        if group.user_count != 1:
            return False
        uid = self._acting_uid()
        if uid is None:
            return False
        members = self.list_group_members(key=group.key, limit=2)
        return [m.id for m in members] == [uid]

    def add_members(self, *, group: ForumGroup, user_ids: Sequence[int]) -> GroupMembershipChange:
        """One call per user (NodeBB has no batch route). Unknown users are skipped."""
        return self._change_members("PUT", group=group, user_ids=user_ids)

    def remove_members(
        self, *, group: ForumGroup, user_ids: Sequence[int]
    ) -> GroupMembershipChange:
        return self._change_members("DELETE", group=group, user_ids=user_ids)

    def _change_members(
        self, method: str, *, group: ForumGroup, user_ids: Sequence[int]
    ) -> GroupMembershipChange:
        self.require(Capability.GROUPS)
        calls_before = self.calls
        done: list[str] = []
        missing: list[str] = []
        skipped: list[str] = []
        for uid in dict.fromkeys(int(u) for u in user_ids):
            try:
                self._write(method, f"/api/v3/groups/{self._seg(group.key)}/membership/{uid}")
            except ForumNotFound as exc:
                # ENDPOINTS.md "call by call": an unknown uid is 401 "Invalid User ID" (read as
                # its key, not its words); an unknown group is 404 and stops everything.
                if exc.code != "invalid-uid":
                    raise
                missing.append(str(uid))
                continue
            except ForumRejected as exc:
                # ENDPOINTS.md "NodeBB 4.15.1 answers" / DELETE membership of a non-member:
                # 400 "Not a member of this group" (src/api/groups.js groupsAPI.leave throws
                # [[error:group-not-member]]): already out, nothing to do.
                if method != "DELETE" or not self._not_member(exc):
                    raise
                skipped.append(str(uid))
                continue
            done.append(str(uid))
        calls = self.calls - calls_before
        if method == "PUT":
            return GroupMembershipChange(added=tuple(done), missing=tuple(missing), calls=calls)
        return GroupMembershipChange(
            removed=tuple(done), skipped=tuple(skipped), missing=tuple(missing), calls=calls
        )

    @staticmethod
    def _not_member(exc: ForumError) -> bool:
        return exc.code == "group-not-member" or "not a member" in str(exc).lower()

    @classmethod
    def membership_refusal(cls, *, group: ForumGroup) -> str:
        """ENDPOINTS.md "call by call": membership of `administrators` with a token is 401
        `not-authorised` (re-auth routes), so no batch of it can work: say so before sending."""
        if group.key.strip().lower() == "administrators":
            return ADMINISTRATORS_REAUTH_MESSAGE
        return ""
