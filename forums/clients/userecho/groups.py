"""UserEcho user groups (project-wide, 2.2): list, create, rename, delete, all on the
collection `users/groups` with the group's id in the body (trap 3); and, where the project has
the later reference's route, a user's membership (`users/{id}/group`, U11/U12).

A group is a name and two vote limits; it has no description, visibility or member list
(3.2 "List group members: not offered"), so those say "not offered" instead of being dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import ForumNotFound
from ..records import Capability, ForumGroup, ForumUser, GroupMembershipChange
from .base import UserEchoBase, to_int


class UserEchoGroups(UserEchoBase):
    member_batch_size = 1  # U11/U12: one user per call

    @staticmethod
    def _group(data: dict) -> ForumGroup:
        name = str(data.get("name") or "")
        return ForumGroup(id=int(to_int(data.get("id")) or 0), name=name, full_name=name)

    def list_groups(self) -> list[ForumGroup]:
        """G1 (needs the "all" permission)."""
        self.require(Capability.GROUPS)
        return [self._group(g) for g in self.pages("users/groups")]

    def get_group(self, *, key: str) -> ForumGroup:
        """By name (case-insensitive) or by id."""
        self.require(Capability.GROUPS)
        wanted = str(key).strip()
        for group in self.list_groups():
            if group.name.lower() == wanted.lower() or str(group.id) == wanted:
                return group
        raise ForumNotFound(f"UserEcho has no user group “{wanted}”.")

    def _refuse_unsupported(self, *, description: str | None, visible: bool | None) -> None:
        if description:
            raise self.not_offered(Capability.GROUPS, "a group description")
        if visible is False:
            raise self.not_offered(Capability.GROUPS, "hidden groups")

    def create_group(
        self, *, name: str, full_name: str = "", description: str = "", visible: bool = True
    ) -> ForumGroup:
        """G2 [D] P-GRP-C: a name; the vote limits keep UserEcho's defaults."""
        self.require(Capability.GROUPS)
        self._refuse_unsupported(description=description, visible=visible)
        data, _details = self.call("POST", "users/groups", body={"name": name.strip()})
        return self._group(self._object(data, "a group"))

    def update_group(
        self,
        *,
        key: str,
        name: str | None = None,
        full_name: str | None = None,
        description: str | None = None,
        visible: bool | None = None,
    ) -> ForumGroup:
        """G3 [D] P-GRP-U: `PUT users/groups` with the id in the body (trap 3)."""
        self.require(Capability.GROUPS)
        self._refuse_unsupported(description=description, visible=visible)
        group = self.get_group(key=key)
        body: dict[str, Any] = {"id": int(group.id)}
        if name is not None:
            body["name"] = name.strip()
        data, _details = self.call("PUT", "users/groups", body=body)
        return self._group(self._object(data, "a group"))

    def delete_group(self, *, key: str) -> None:
        """G4: `DELETE users/groups` with the id in the body (trap 3; [I] undocumented)."""
        self.require(Capability.GROUPS)
        group = self.get_group(key=key)
        self.call("DELETE", "users/groups", body={"id": int(group.id)})

    def list_group_members(self, *, key: str, limit: int | None = None) -> list[ForumUser]:
        self._missing(Capability.GROUP_MEMBERS, "listing a group's members")

    def group_member_ids(self, *, group: ForumGroup) -> set[int]:
        self._missing(Capability.GROUP_MEMBERS, "listing a group's members")

    def add_members(self, *, group: ForumGroup, user_ids: Sequence[int]) -> GroupMembershipChange:
        """U11 (later reference only): one `POST users/{id}/group` with `{"id": group}` per
        user, each user confirmed first (trap 7); unknown users are skipped."""
        return self._change_members("POST", group=group, user_ids=user_ids)

    def remove_members(
        self, *, group: ForumGroup, user_ids: Sequence[int]
    ) -> GroupMembershipChange:
        """U12 (later reference only): as add_members, with DELETE."""
        return self._change_members("DELETE", group=group, user_ids=user_ids)

    def _change_members(
        self, method: str, *, group: ForumGroup, user_ids: Sequence[int]
    ) -> GroupMembershipChange:
        self.require(Capability.GROUPS)
        if self.found_routes.get(Capability.GROUP_MEMBERSHIP) is False:
            raise self.not_offered(Capability.GROUP_MEMBERSHIP, "changing group members")
        calls_before = self.calls
        done: list[str] = []
        skipped: list[str] = []
        for user_id in dict.fromkeys(int(u) for u in user_ids):
            try:
                user = self.confirm_user(user_id)
            except ForumNotFound:
                skipped.append(str(user_id))
                continue
            try:
                self.call(method, f"users/{user.id}/group", body={"id": int(group.id)})
            except ForumNotFound as exc:
                # The user was just confirmed: either the group is gone, or the command is.
                if not any(str(g.id) == str(group.id) for g in self.list_groups()):
                    raise ForumNotFound(f"UserEcho has no user group “{group.name}” now.") from None
                raise self._optional_route(Capability.GROUP_MEMBERSHIP, exc) from None
            self.found_routes[Capability.GROUP_MEMBERSHIP] = True
            done.append(str(user.id))
        calls = self.calls - calls_before
        if method == "POST":
            return GroupMembershipChange(added=tuple(done), skipped=tuple(skipped), calls=calls)
        return GroupMembershipChange(removed=tuple(done), skipped=tuple(skipped), calls=calls)
