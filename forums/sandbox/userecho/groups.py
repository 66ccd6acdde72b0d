"""The sandbox UserEcho: groups and their members.

Part of ``UserEchoSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response


class UserEchoGroups:
    """A part of the app (mixed in): state, lock and config are the app's."""

    @staticmethod
    def group_data(group: dict[str, Any]) -> dict[str, Any]:
        # 2.2 [D]: trust the request names (the doc response swaps them, trap 13).
        return {k: group[k] for k in ("id", "name", "vote_weight", "vote_count")}

    def _membership(self, request: Request, user_id: int, *, add: bool) -> Response:
        """U11/U12 REF-NEW [D listed]; body [I] {"id": group_id} (or `group_id`, or `?id=`).
        An unknown user id falls back to the token's user like every path id (trap 7 [I])."""
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        if "id" not in data and "group_id" in data:
            data = {**data, "id": data["group_id"]}
        gid = self.body_id(request, data, query=True)
        if isinstance(gid, Response):
            return gid
        with self.lock:
            user = self.path_user(request, user_id)
            if isinstance(user, Response):
                return user
            if gid not in self.state.groups:
                return self.fail("not_found", f"User group {gid} not found")
            if add:
                user["groups"].add(gid)
            else:
                user["groups"].discard(gid)
            return self.ok(self.user_data(user))

    # === 2.2 user groups ====================================================================
    def groups_list(self, request: Request) -> Response:
        return self.listing(
            request, self.state.groups.values(), fields=self.plain_fields, shape=self.group_data
        )

    def _group_fields(
        self, data: dict[str, Any], group: dict[str, Any] | None
    ) -> dict[str, Any] | Response:
        """G2/G3 [D] P-GRP-C/U: name; vote_weight 1..5; vote_count positive or null."""
        out: dict[str, Any] = {}
        if "name" in data or group is None:
            name = str(data.get("name") or "").strip()
            if not name:
                return self.fail("invalid", "Parameter 'name' is required", {"name": "required"})
            if any(
                g["name"].lower() == name.lower() and g is not group
                for g in self.state.groups.values()
            ):
                return self.fail("invalid", f"User group '{name}' already exists")  # [I]
            out["name"] = name
        if "vote_weight" in data:
            weight = data["vote_weight"]
            if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= 5:
                return self.fail("invalid", "vote_weight must be 1..5", {"vote_weight": "range"})
            out["vote_weight"] = weight
        if "vote_count" in data:
            count = data["vote_count"]
            if count is not None and (not isinstance(count, int) or count < 1):
                return self.fail("invalid", "vote_count must be positive or null")
            out["vote_count"] = count
        return out

    def group_create(self, request: Request) -> Response:
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        with self.lock:
            fields = self._group_fields(data, None)
            if isinstance(fields, Response):
                return fields
            gid = self.state.next_id("group")
            group = {"id": gid, "vote_weight": 1, "vote_count": None, **fields}  # [D] defaults
            self.state.groups[gid] = group
            return self.ok(self.group_data(group))

    def group_update(self, request: Request) -> Response:
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        gid = self.body_id(request, data, query=False)  # G3 [D] id in the body (trap 3)
        if isinstance(gid, Response):
            return gid
        with self.lock:
            group = self.state.groups.get(gid)
            if group is None:
                return self.fail("not_found", f"User group {gid} not found")
            fields = self._group_fields(data, group)
            if isinstance(fields, Response):
                return fields
            group.update(fields)
            return self.ok(self.group_data(group))

    def group_delete(self, request: Request) -> Response:
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        gid = self.body_id(request, data, query=True)  # G4 [I] id in the body or `?id=`
        if isinstance(gid, Response):
            return gid
        with self.lock:
            if self.state.groups.pop(gid, None) is None:
                return self.fail("not_found", f"User group {gid} not found")
            for user in self.state.users.values():
                user["groups"].discard(gid)
        return self.ok(True)
