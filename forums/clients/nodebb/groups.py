"""NodeBB groups: list, read, create, change, delete, members (one uid per call)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import ForumNotFound
from ..records import Capability, ForumGroup, ForumUser, GroupMembershipChange
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
        self, *, name: str, full_name: str = "", description: str = "", visible: bool = True
    ) -> ForumGroup:
        self.require(Capability.GROUPS)
        body: dict[str, Any] = {"name": name, "hidden": int(not visible), "private": 0}
        if description:
            body["description"] = description
        return self._group(self._write("POST", "/api/v3/groups/", body=body) or {})

    def update_group(
        self,
        *,
        key: str,
        name: str | None = None,
        full_name: str | None = None,
        description: str | None = None,
        visible: bool | None = None,
    ) -> ForumGroup:
        self.require(Capability.GROUPS)
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if description is not None:
            body["description"] = description
        if visible is not None:
            body["hidden"] = int(not visible)
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
            done.append(str(uid))
        calls = self.calls - calls_before
        if method == "PUT":
            return GroupMembershipChange(added=tuple(done), missing=tuple(missing), calls=calls)
        return GroupMembershipChange(removed=tuple(done), missing=tuple(missing), calls=calls)

    @classmethod
    def membership_refusal(cls, *, group: ForumGroup) -> str:
        """ENDPOINTS.md "call by call": membership of `administrators` with a token is 401
        `not-authorised` (re-auth routes), so no batch of it can work: say so before sending."""
        if group.key.strip().lower() == "administrators":
            return ADMINISTRATORS_REAUTH_MESSAGE
        return ""
