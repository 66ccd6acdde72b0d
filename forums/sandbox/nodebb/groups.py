"""The sandbox NodeBB: groups and their members.

Part of ``NodeBBSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

import math
from typing import Any

from werkzeug.wrappers import Request, Response

from .common import (
    ACP_HIDDEN_GROUPS,
    GROUPS_PER_PAGE,
    LIST_USER_FIELDS,
    MEMBERS_PER_PAGE,
    MSG,
    PRIVILEGE_PREFIX,
    _iso,
    _now,
    _page_number,
    _pagination,
)
from .seed import (
    new_group,
    slugify,
)


class NodeBBGroups:
    """A part of the app (mixed in): state, lock and config are the app's."""

    def group_data(self, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": group["name"],
            "slug": group["slug"],
            "createtime": group["createtime"],
            "createtimeISO": _iso(group["createtime"]),
            "userTitle": group["userTitle"],
            "userTitleEscaped": group["userTitle"],
            "userTitleEnabled": group["userTitleEnabled"],
            "description": group["description"],
            "memberCount": len(group["members"]),
            "hidden": group["hidden"],
            "system": group["system"],
            "private": group["private"],
            "deleted": 0,
            "disableJoinRequests": group["disableJoinRequests"],
            "disableLeave": group["disableLeave"],
            "nameEncoded": group["name"].replace(" ", "%20"),
            "displayName": group["name"],
            "labelColor": "#000000",
            "textColor": "#ffffff",
            "icon": "",
            "cover:url": "",
            "cover:thumb:url": "",
            "cover:position": "50% 50%",
            "memberPostCids": "",
            "memberPostCidsArray": [],
        }

    def member_row(self, user: dict[str, Any], group: dict[str, Any], viewer: int) -> dict:
        core = self.user_core(user, viewer)
        keys = LIST_USER_FIELDS
        row = {k: core[k] for k in keys}
        row["isOwner"] = user["uid"] in group["owners"]
        return row

    def group_by_slug(self, slug: str) -> dict[str, Any] | None:
        for group in self.state.groups.values():
            if group["slug"] == slug or group["name"] == slug:
                return group
        return None

    def groups_list(self, request: Request) -> Response:
        """GET /api/v3/groups: 10 groups from ``after`` (the spec also documents ``page``)."""
        caller = self.caller(request)
        try:
            start = int(request.args.get("after") or (_page_number(request) - 1) * 10)
        except ValueError:
            start = 0
        sort = request.args.get("sort", "alpha")
        groups = self.visible_groups(caller)
        if sort == "count":
            groups.sort(key=lambda g: -len(g["members"]))
        elif sort == "date":
            groups.sort(key=lambda g: -g["createtime"])
        chosen = groups[start : start + 10]
        rows = []
        for g in chosen:
            members = [self.state.users[u] for u in g["members"][:4] if u in self.state.users]
            rows.append({**self.group_data(g), "truncated": len(g["members"]) > 4, "members": [
                {"uid": m["uid"], "username": m["username"], "userslug": m["userslug"],
                 "displayname": m["username"], "icon:text": m["username"][:1].upper(),
                 "icon:bgColor": m["color"]} for m in members]})  # fmt: skip
        return self.ok({"groups": rows, "nextStart": start + 10})

    def visible_groups(self, caller: int) -> list[dict[str, Any]]:
        admin = self.is_admin(caller)
        return sorted(
            (
                g
                for g in self.state.groups.values()
                if not g["name"].startswith(PRIVILEGE_PREFIX)
                and g["name"] not in ACP_HIDDEN_GROUPS
                and (admin or not g["hidden"])
            ),
            key=lambda g: g["name"].lower(),
        )

    def group_create(self, request: Request) -> Response:
        body = self.body(request)
        caller = self.caller(request)
        name = body.get("name")
        if name is None:
            return self.fail(
                400, "Required parameters were missing from this API call: name",
                {"params": ["name"]},
            )  # fmt: skip
        if not isinstance(name, str) or not name.strip() or name.startswith(PRIVILEGE_PREFIX):
            return self.fail(400, MSG["invalid-group-name"])
        with self.lock:
            if not self.is_admin(caller):
                return self.fail(403, MSG["no-privileges"])
            if name in self.state.groups or self.group_by_slug(slugify(name)):
                # ENDPOINTS.md "NodeBB 4.15.1 answers" / unknown group: a duplicate name on
                # create is 400 "Group already exists"
                return self.fail(400, MSG["group-exists"])
            # src/groups/create.js Groups.create: a create without `private` makes a private
            # group (isPrivate defaults to true)
            group = new_group(name, _now(), createtime=_now(), private=1)
            for key in ("description",):
                if isinstance(body.get(key), str):
                    group[key] = body[key]
            for key in ("hidden", "private", "disableJoinRequests", "disableLeave",
                        "userTitleEnabled"):  # fmt: skip
                if key in body:
                    group[key] = 1 if body[key] in (1, "1", True, "true") else 0
            group["owners"] = [caller]
            group["members"] = [caller]
            self.state.groups[name] = group
            return self.ok(self.group_data(group))

    def group_exists(self, request: Request, slug: str) -> Response:
        """HEAD ``/api/v3/groups/{slug}``: 200 or 404, no body (src/routes/write/groups.js
        ``exists``)."""
        return Response(status=200 if self.group_by_slug(slug) else 404)

    def _group_owner_check(self, request: Request, group: dict[str, Any]) -> Response | None:
        caller = self.caller(request)
        if caller in group["owners"] or self.is_admin(caller):
            return None
        if self.is_gmod(caller) and not group["system"]:
            return None
        return self.fail(403, MSG["no-privileges"])

    def group_update(self, request: Request, slug: str) -> Response:
        body = self.body(request)
        with self.lock:
            group = self.group_by_slug(slug)
            if group is None:
                return self.fail(404, MSG["no-group"])
            denied = self._group_owner_check(request, group)
            if denied:
                return denied
            new_name = body.get("name")
            if isinstance(new_name, str) and new_name != group["name"]:
                if group["system"]:
                    return self.fail(400, MSG["not-allowed"])
                if new_name in self.state.groups or new_name.startswith(PRIVILEGE_PREFIX):
                    return self.fail(400, MSG["group-exists"])
                del self.state.groups[group["name"]]
                group["name"], group["slug"] = new_name, slugify(new_name)
                self.state.groups[new_name] = group
            if isinstance(body.get("description"), str):
                group["description"] = body["description"]
            for key in ("hidden", "private", "disableJoinRequests", "disableLeave",
                        "userTitleEnabled"):  # fmt: skip
                if key in body:
                    group[key] = 1 if body[key] in (1, "1", True, "true") else 0
            if isinstance(body.get("userTitle"), str):
                group["userTitle"] = body["userTitle"]
            return self.ok(self.group_data(group))

    def group_delete(self, request: Request, slug: str) -> Response:
        with self.lock:
            group = self.group_by_slug(slug)
            if group is None:
                return self.fail(404, MSG["no-group"])
            denied = self._group_owner_check(request, group)
            if denied:
                return denied
            if group["system"]:
                return self.fail(400, MSG["not-allowed"])
            del self.state.groups[group["name"]]
        return self.ok()

    def group_members(self, request: Request, slug: str) -> Response:
        group = self.group_by_slug(slug)
        caller = self.caller(request)
        if group is None:
            return self.fail(404, MSG["no-group"])
        if group["hidden"] and not self.is_admin(caller) and caller not in group["members"]:
            return self.fail(403, MSG["no-privileges"])
        query = (request.args.get("query") or "").lower()
        owners = [u for u in group["owners"] if u in self.state.users]
        ordered = owners + [u for u in group["members"] if u not in owners]
        users = [self.state.users[u] for u in ordered if u in self.state.users]
        if query:
            matches = [u for u in users if u["username"].lower().startswith(query)]
            rows = [self.member_row(u, group, caller) for u in matches]
            return self.ok({"users": rows, "matchCount": len(rows), "timing": "0.00",
                            "nextStart": None})  # fmt: skip
        try:
            after = max(int(request.args.get("after") or 0), 0)
        except ValueError:
            after = 0
        chunk = users[after : after + MEMBERS_PER_PAGE]
        rows = [self.member_row(u, group, caller) for u in chunk]
        if after:
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / group members: rows after the first page
            # carry no isOwner
            for row in rows:
                row.pop("isOwner", None)
        next_start = after + MEMBERS_PER_PAGE if len(chunk) == MEMBERS_PER_PAGE else None
        # ENDPOINTS.md "NodeBB 4.15.1 answers" / group members: 20 per page with after /
        # nextStart; the response adds matchCount and timing
        return self.ok({"users": rows, "matchCount": len(users), "timing": "0.00",
                        "nextStart": next_start})  # fmt: skip

    def _membership(self, request: Request, slug: str, uid: int) -> Response | dict:
        group = self.group_by_slug(slug)
        if group is None:
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / unknown group: 404 "Group does not exist"
            return self.fail(404, MSG["no-group"])
        if group["name"] == "administrators" and self.config.profile.reauth_routes:
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / membership or ownership of
            # `administrators` with a token: 401 not-authorised (requireAPIReAuth; 4.14.7+,
            # releases.py reauth_routes)
            return self.fail(401, MSG["not-logged-in"])
        if uid not in self.state.users:
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / unknown uid in a membership call: 401
            # "Invalid User ID"
            return self.fail(401, MSG["invalid-uid"])
        caller = self.caller(request)
        admin = self.is_admin(caller)
        if not admin and (group["system"] or group["name"].startswith(PRIVILEGE_PREFIX)):
            return self.fail(400, MSG["not-allowed"])
        if not (admin or caller in group["owners"] or caller == uid):
            return self.fail(403, MSG["no-privileges"])
        return group

    def group_join(self, request: Request, slug: str, uid: int) -> Response:
        with self.lock:
            group = self._membership(request, slug, uid)
            if isinstance(group, Response):
                return group
            if uid not in group["members"]:
                group["members"].append(uid)
        return self.ok()

    def group_leave(self, request: Request, slug: str, uid: int) -> Response:
        with self.lock:
            group = self._membership(request, slug, uid)
            if isinstance(group, Response):
                return group
            if uid not in group["members"]:
                # ENDPOINTS.md "NodeBB 4.15.1 answers" / DELETE membership of a non-member:
                # 400 "Not a member of this group" (src/api/groups.js groupsAPI.leave,
                # [[error:group-not-member]])
                return self.fail(400, MSG["group-not-member"])
            if group["disableLeave"] and uid == self.caller(request):
                # groupsAPI.leave: [[error:group-leave-disabled]] for a user leaving by itself
                return self.fail(400, MSG["group-leave-disabled"])
            group["members"].remove(uid)
            if uid in group["owners"]:
                group["owners"].remove(uid)
        return self.ok()

    def group_ownership(self, request: Request, slug: str, uid: int) -> Response:
        group = self.group_by_slug(slug)
        if group is None:
            return self.fail(404, MSG["no-group"])
        if self.config.profile.reauth_routes:
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / membership or ownership of
            # `administrators` with a token: 401 (ownership needs re-auth for every group)
            return self.fail(401, MSG["not-logged-in"])
        # Before 4.14.7 (releases.py reauth_routes): src/api/groups.js grant / rescind for an
        # owner or admin; the target need not be a member on 3.x.
        denied = self._group_owner_check(request, group)
        if denied:
            return denied
        if uid not in self.state.users:
            return self.fail(401, MSG["invalid-uid"])
        with self.lock:
            if request.method == "PUT" and uid not in group["owners"]:
                group["owners"].append(uid)
            elif request.method == "DELETE" and uid in group["owners"]:
                group["owners"].remove(uid)
        return self.ok()

    def read_admin_groups(self, request: Request) -> Response:
        denied = self._admin_only(request)
        if denied:
            return denied
        page = _page_number(request)
        groups = self.visible_groups(self.caller(request))
        page_count = max(math.ceil(len(groups) / GROUPS_PER_PAGE), 1)
        chunk = groups[(page - 1) * GROUPS_PER_PAGE : page * GROUPS_PER_PAGE]
        rows = [{**self.group_data(g), "ownerUid": (g["owners"] or [0])[0]} for g in chunk]
        return self.page(request, "admin/manage/groups", {
            "groups": rows,
            "yourid": self.caller(request),
            "pagination": _pagination(page, page_count),
        })  # fmt: skip

    def read_group(self, request: Request, slug: str) -> Response:
        """``GET /api/groups/{slug}``: the group page's JSON (src/controllers/groups.js
        ``details``); hidden groups only for their members and admins."""
        caller = self.caller(request)
        group = self.group_by_slug(slug)
        if (
            group is None
            or group["name"].startswith(PRIVILEGE_PREFIX)
            or (group["hidden"] and not self.is_admin(caller) and caller not in group["members"])
        ):
            return self.page_error(request, 404)
        members = [self.state.users[u] for u in group["members"] if u in self.state.users]
        data = {
            **self.group_data(group),
            "descriptionParsed": f"<p>{group['description']}</p>" if group["description"] else "",
            "members": [self.member_row(u, group, caller) for u in members[:MEMBERS_PER_PAGE]],
            "membersNextStart": MEMBERS_PER_PAGE,
            "pending": [],
            "invited": [],
            "isMember": caller in group["members"],
            "isPending": False,
            "isInvited": False,
            "isOwner": caller in group["owners"] or self.is_admin(caller),
        }
        return self.page(request, "groups/details", {
            "title": group["name"],
            "group": data,
            "posts": [],
            "isAdmin": self.is_admin(caller),
            "isGlobalMod": self.is_gmod(caller),
            "allowPrivateGroups": 1,
            "breadcrumbs": [{"text": "[[pages:groups]]", "url": "/groups"},
                            {"text": group["name"]}],
        })  # fmt: skip
