"""The sandbox NodeBB: accounts: lists, profiles, lookups, penalties and deletion.

Part of ``NodeBBSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

import math
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core import json_response
from .common import (
    ACP_PAGE_SIZES,
    ACP_SORTS,
    LIST_USER_FIELDS,
    MSG,
    PRIVILEGE_PREFIX,
    USERS_PER_PAGE,
    _iso,
    _now,
    _page_number,
    _pagination,
)
from .seed import (
    history_entry,
    new_user,
    slugify,
)


class NodeBBUsers:
    """A part of the app (mixed in): state, lock and config are the app's."""

    def add_person(self, *, username: str, email: str, name: str = "") -> int:
        """A new registered user (joined now, confirmed e-mail, no posts) for tests and the
        demo; returns the uid."""
        with self.lock:
            taken = self.find_user("username", username)
            if taken or self.find_user("userslug", slugify(username)):
                raise ValueError(f"username {username!r} is taken")
            if self.find_user("email", email):
                raise ValueError(f"e-mail {email!r} is taken")
            uid = self.state.next_uid
            self.state.next_uid += 1
            now = _now()
            user = new_user(uid, username, now, self._random)
            user.update(fullname=name, email=email, email_confirmed=True, joindate=now,
                        lastonline=now, postcount=0, topiccount=0, reputation=0)  # fmt: skip
            self.state.users[uid] = user
            self.state.groups["registered-users"]["members"].append(uid)
            return uid

    def ban_state(self, user: dict[str, Any]) -> tuple[bool, int]:
        """(banned, expire ms); an expired ban lifts itself when the user is read, recording an
        unban as User.bans.unban(uids, '[[user:info.ban-expired]]') does."""
        if user["banned"] and user["banned_expire"] and user["banned_expire"] <= _now():
            user["banned"], user["banned_expire"] = False, 0
            user["bans"].insert(
                0, history_entry("unban", 0, _now(), None, "[[user:info.ban-expired]]")
            )
            banned = self.state.groups["banned-users"]["members"]
            if user["uid"] in banned:
                banned.remove(user["uid"])
        return user["banned"], user["banned_expire"]

    def user_core(self, user: dict[str, Any], viewer: int) -> dict[str, Any]:
        banned, expire = self.ban_state(user)
        muted = bool(user["mutedUntil"] and user["mutedUntil"] > _now())
        show_email = self.is_admin(viewer) or viewer == user["uid"]
        return {
            "uid": user["uid"],
            "isLocal": True,
            "username": user["username"],
            "userslug": user["userslug"],
            "displayname": user["fullname"] or user["username"],
            "fullname": user["fullname"],
            "email": user["email"] if show_email and user["email_confirmed"] else "",
            "email:confirmed": 1 if user["email_confirmed"] else 0,
            "joindate": user["joindate"],
            "lastonline": user["lastonline"],
            "joindateISO": _iso(user["joindate"]),
            "lastonlineISO": _iso(user["lastonline"]),
            "picture": "",
            "uploadedpicture": "",
            "status": "offline",
            "reputation": user["reputation"],
            "postcount": user["postcount"],
            "topiccount": user["topiccount"],
            "lastposttime": user["lastonline"],
            "profileviews": 0,
            "flags": 0,
            "birthday": "",
            "aboutme": "",
            "signature": "",
            "followerCount": 0,
            "followingCount": 0,
            "cover:url": "",
            "cover:position": "50% 50%",
            "groupTitle": "",
            "groupTitleArray": [],
            "icon:text": user["username"][:1].upper(),
            "icon:bgColor": user["color"],
            "banned": banned,
            "banned:expire": expire,
            "banned_until": expire,
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / user record after a mute: a user who is not
            # banned reads "[[user:info.banned-permanently]]" here (user/data.js)
            "banned_until_readable": _iso(expire) if expire else "[[user:info.banned-permanently]]",
            "muted": muted,
            "mutedUntil": user["mutedUntil"] if muted else 0,
            "mutedReason": user["mutedReason"] if muted else None,
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / user record after a mute: it has
            # muted_until_readable (and no location or website)
            **({"muted_until_readable": _iso(user["mutedUntil"])} if muted else {}),
        }

    def acp_user(self, user: dict[str, Any]) -> dict[str, Any]:
        core = self.user_core(user, viewer=1)
        keys = [
            "uid",
            "isLocal",
            "username",
            "displayname",
            "userslug",
            "email",
            "postcount",
            "joindate",
            "banned",
            "muted",
            "mutedUntil",
            "reputation",
            "picture",
            "flags",
            "lastonline",
            "email:confirmed",
            "icon:text",
            "icon:bgColor",
            "joindateISO",
            "lastonlineISO",
            "banned_until",
            "banned_until_readable",
        ]
        if not self.config.profile.acp_muted_filter:
            # before 4.12 the ACP list's userFields had no mutedUntil (releases.py)
            keys = [k for k in keys if k not in ("muted", "mutedUntil")]
        out = {k: core[k] for k in keys}
        out["email"] = user["email"] if user["email_confirmed"] else ""
        out["emailToConfirm"] = "" if user["email_confirmed"] else user["email"]
        out["email:pending"] = not user["email_confirmed"]
        out["email:expired"] = False
        out["administrator"] = self.is_admin(user["uid"])
        out["ip"] = "127.0.0.1"
        out["ips"] = []
        return out

    def find_user(self, field_name: str, value: str) -> dict[str, Any] | None:
        """By ``username``, ``userslug`` or ``email``, case-insensitively, through the user
        table's indexes (NodeBB's ``username:uid`` / ``userslug:uid`` / ``email:uid``)."""
        return self.state.users.find(field_name, value)

    def user_get(self, request: Request, uid: int) -> Response:
        user = self.state.users.get(uid)
        if user is None:
            return self.fail(404, MSG["no-user"])
        if request.method == "HEAD":
            return Response(status=200)
        return self.ok(self.user_core(user, self.caller(request)))

    def _moderation_target(self, request: Request, uid: int, admin_message: str) -> Response | dict:
        caller = self.caller(request)
        user = self.state.users.get(uid)
        if user is None:
            return self.fail(404, MSG["no-user"])
        if not self.is_staff(caller):
            return self.fail(403, MSG["no-privileges"])
        if self.is_admin(uid):
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / ban or mute an admin: 400 "You can't ban
            # other admins!" / "You can't mute other admins!"
            return self.fail(400, MSG[admin_message])
        return user

    def user_ban(self, request: Request, uid: int) -> Response:
        body = self.body(request)
        try:
            until = int(body.get("until") or 0)
        except (TypeError, ValueError):
            return self.fail(400, MSG["invalid-data"])
        with self.lock:
            user = self._moderation_target(request, uid, "cant-ban-other-admins")
            if isinstance(user, Response):
                return user
            now = _now()
            if until and until <= now:
                return self.fail(400, MSG["ban-expiry-missing"])
            reason = str(body.get("reason") or "")
            user["banned"], user["banned_expire"] = True, until
            user["bans"].insert(0, history_entry("ban", self.caller(request), now,
                                                 until if until > now else 0, reason))  # fmt: skip
            banned = self.state.groups["banned-users"]["members"]
            if uid not in banned:
                banned.append(uid)
        return self.ok()

    def lift_reason(self, request: Request) -> str | Response:
        """``req.query.reason || req.body.reason``, as the unban/unmute controllers read it
        (4.11+); before, ``{...req.body}``: the body's reason only, and no body is no reason
        (``releases.py`` lift_reason_from_query)."""
        if not self.config.profile.lift_reason_from_query:
            body = request.get_json(silent=True) if request.mimetype == "application/json" else {}
            return str((body or {}).get("reason") or "") if isinstance(body, dict) else ""
        if request.args.get("reason"):
            return str(request.args["reason"])
        parsed = request.mimetype in ("application/json", "application/x-www-form-urlencoded")
        if not (request.content_length and parsed):
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / DELETE ban or mute with no body and no
            # non-empty ?reason=: 400 "Cannot read properties of undefined (reading 'reason')"
            return self.fail(400, MSG["no-body-reason"])
        if request.mimetype == "application/json":
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return self.fail(400, MSG["invalid-data"])
        else:
            body = request.form
        return str(body.get("reason") or "")

    def user_unban(self, request: Request, uid: int) -> Response:
        reason = self.lift_reason(request)
        if isinstance(reason, Response):
            return reason  # nothing changes: the user stays banned
        with self.lock:
            user = self._moderation_target(request, uid, "cant-ban-other-admins")
            if isinstance(user, Response):
                return user
            user["banned"], user["banned_expire"] = False, 0
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / moderation history: an unban is its own
            # entry, {"type":"unban","expire":null,...}
            user["bans"].insert(0, history_entry("unban", self.caller(request), _now(), None,
                                                 reason))  # fmt: skip
            banned = self.state.groups["banned-users"]["members"]
            if uid in banned:
                banned.remove(uid)
        return self.ok()

    def user_mute(self, request: Request, uid: int) -> Response:
        body = self.body(request)
        try:
            until = int(body.get("until") or 0)
        except (TypeError, ValueError):
            return self.fail(400, MSG["invalid-data"])
        with self.lock:
            user = self._moderation_target(request, uid, "cant-mute-other-admins")
            if isinstance(user, Response):
                return user
            reason = str(body.get("reason") or "[[user:info.mute-reason-default]]")
            user["mutedUntil"], user["mutedReason"] = until, reason
            user["mutes"].insert(0, history_entry("mute", self.caller(request), _now(), until,
                                                  str(body.get("reason") or "")))  # fmt: skip
        return self.ok()

    def user_unmute(self, request: Request, uid: int) -> Response:
        reason = self.lift_reason(request)
        if isinstance(reason, Response):
            return reason  # nothing changes: the user stays muted
        with self.lock:
            user = self._moderation_target(request, uid, "cant-mute-other-admins")
            if isinstance(user, Response):
                return user
            user["mutedUntil"], user["mutedReason"] = 0, ""
            user["mutes"].insert(0, history_entry("unmute", self.caller(request), _now(), None,
                                                  reason))  # fmt: skip
        return self.ok()

    def _delete(self, request: Request, uid: int, *, account: bool, content: bool) -> Response:
        caller = self.caller(request)
        with self.lock:
            user = self.state.users.get(uid)
            if user is None:
                return self.fail(404, MSG["no-user"])
            if not self.is_admin(caller):
                return self.fail(403, MSG["no-privileges"])
            if self.is_admin(uid):
                return self.fail(400, MSG["cant-delete-other-admins"])
            self._remove(uid, account=account, content=content, by=caller)
        return self.ok()

    def _remove(self, uid: int, *, account: bool, content: bool, by: int = 1) -> None:
        if content:
            for tid in [t for t, topic in self.state.topics.items() if topic["uid"] == uid]:
                del self.state.topics[tid]
            self.state.queue = [q for q in self.state.queue if q["uid"] != uid]
            # posts.purge of each post resolves its flag (src/posts/delete.js resolveFlags)
            self.purge_posts(
                [p for p, post in self.state.posts.items() if post["uid"] == uid],
                by=by,
            )
            user = self.state.users[uid]
            user["postcount"] = user["topiccount"] = 0
        if account:
            del self.state.users[uid]
            for group in self.state.groups.values():
                if uid in group["members"]:
                    group["members"].remove(uid)
                if uid in group["owners"]:
                    group["owners"].remove(uid)

    def user_delete(self, request: Request, uid: int) -> Response:
        return self._delete(request, uid, account=True, content=True)

    def user_delete_account(self, request: Request, uid: int) -> Response:
        return self._delete(request, uid, account=True, content=False)

    def user_delete_content(self, request: Request, uid: int) -> Response:
        return self._delete(request, uid, account=False, content=True)

    def users_bulk_delete(self, request: Request) -> Response:
        uids = self.body(request).get("uids")
        if uids is None:
            return self.fail(
                400,
                "Required parameters were missing from this API call: uids",
                {"params": ["uids"]},
            )
        if not isinstance(uids, list):
            return self.fail(400, MSG["invalid-data"])
        with self.lock:
            if not self.is_admin(self.caller(request)):
                return self.fail(403, MSG["no-privileges"])
            try:
                ids = [int(u) for u in uids]
            except (TypeError, ValueError):
                return self.fail(400, MSG["invalid-data"])
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / bulk `DELETE /api/v3/users` with an admin
            # uid: 400 [[error:cant-delete-other-admins]] (untranslated) for the whole call
            if any(self.is_admin(u) for u in ids):
                return self.fail(400, MSG["cant-delete-other-admins"])
            if any(u not in self.state.users for u in ids):
                return self.fail(404, MSG["no-user"])
            for uid in dict.fromkeys(ids):
                self._remove(uid, account=True, content=True, by=self.caller(request))
        return self.ok()

    def read_admin_users(self, request: Request) -> Response:
        denied = self._admin_only(request)
        if denied:
            return denied
        # ENDPOINTS.md "NodeBB 4.15.1 answers" / `GET /api/admin/manage/users`: resultsPerPage
        # snaps to 50/100/250/500 (src/controllers/admin/users.js: any other value is 50)
        try:
            per_page = int(request.args.get("resultsPerPage") or 50)
        except ValueError:
            per_page = 50
        if per_page not in ACP_PAGE_SIZES:
            per_page = 50
        page = _page_number(request)
        query = (request.args.get("query") or "").strip().lower()
        search_by = request.args.get("searchBy") or "username"
        filters = set(request.args.getlist("filters"))
        sort_by = request.args.get("sortBy") or ""
        if sort_by not in ACP_SORTS:
            sort_by = ""
        # ENDPOINTS.md, Users / list/search users (ACP): sortBy, sortDirection (desc unless
        # "asc"); the list is read from the sort's sorted set, newest/highest first by default
        descending = request.args.get("sortDirection", "desc") != "asc"
        users = list(self.state.users.values())
        if query:
            users = [u for u in users if self._matches(u, search_by, query)]
        now = _now()
        for name in filters:
            if name == "banned":
                users = [u for u in users if self.ban_state(u)[0]]
            elif name == "muted" and self.config.profile.acp_muted_filter:
                # before 4.12 `muted` is no filter at all (releases.py acp_muted_filter)
                users = [u for u in users if u["mutedUntil"] > now]
            elif name == "verified":
                users = [u for u in users if u["email_confirmed"]]
            elif name == "unverified":
                users = [u for u in users if not u["email_confirmed"]]
        if not self.config.profile.acp_muted_filter:
            filters.discard("muted")
        if not query and not sort_by and not filters:
            # With neither a sort nor a filter NodeBB lists `users:online`: by last seen
            # (read.yaml's schema for this route names `sort_lastonline`).
            sort_by = "lastonline"
        key = ACP_SORTS.get(sort_by) or self._filter_order
        # Redis orders equal scores by member (the uid as text), reversed with the scores.
        users.sort(key=lambda u: (key(u), str(u["uid"])), reverse=descending)
        page_count = max(math.ceil(len(users) / per_page), 1)
        chunk = users[(page - 1) * per_page : page * per_page]
        data: dict[str, Any] = {
            "users": [self.acp_user(u) for u in chunk],
            "customUserFields": [],
            "page": page,
            "pageCount": page_count,
            "resultsPerPage": per_page,
            "reverse": descending,
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / `GET /api/admin/manage/users`: userCount is
            # always the total number of users, whatever query or filters
            "userCount": len(self.state.users),
            "showInviteButton": True,
            "inviteOnly": False,
            "adminInviteOnly": False,
            "pagination": _pagination(page, page_count),
        }
        if query:
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / `GET /api/admin/manage/users`: a search
            # also answers matchCount and timing
            data.update(matchCount=len(users), timing="0.00", query=request.args["query"])
        # The page says which sort it used (`sort_<sortBy>`); a search echoes the sortBy it was
        # given, so one without a sortBy says `sort_undefined` (src/controllers/admin/users.js).
        if sort_by or not query:
            data.update({"sortBy": sort_by, f"sort_{sort_by}": True})
        else:
            data["sort_undefined"] = True
        if request.args.get("searchBy"):
            data[f"searchBy_{request.args['searchBy']}"] = True
        for name in sorted(filters):
            data[f"filterBy_{name}"] = True
        return self.page(request, "admin/manage/users", data)

    @staticmethod
    def _filter_order(user: dict[str, Any]) -> int:
        """A filtered list without a sort is read from the filter's own set (`users:banned`
        is scored by the time of the ban); a search without one keeps the join order."""
        bans = [b for b in user["bans"] if b.get("type") == "ban"]
        if user["banned"] and bans:
            return int(bans[0].get("timestamp") or 0)
        return int(user["joindate"])

    @staticmethod
    def _matches(user: dict[str, Any], search_by: str, query: str) -> bool:
        if search_by == "uid":
            return str(user["uid"]) == query
        if search_by == "email":
            return str(user["email"]).lower().startswith(query)
        if search_by == "fullname":
            return query in str(user["fullname"]).lower()
        if search_by == "ip":
            return query == "127.0.0.1"
        return user["username"].lower().startswith(query)

    def read_users(self, request: Request) -> Response:
        caller = self.caller(request)
        staff = self.is_staff(caller)
        section = request.args.get("section") or "joindate"
        page = _page_number(request)
        users = list(self.state.users.values())
        query = (request.args.get("query") or request.args.get("term") or "").strip().lower()
        if query:
            search_by = request.args.get("searchBy") or "username"
            if search_by in ("email", "ip") and not staff:
                search_by = "username"
            users = [u for u in users if self._matches(u, search_by, query)]
        if section == "banned" and staff:
            users = [u for u in users if self.ban_state(u)[0]]
        elif section == "muted" and staff:
            users = [u for u in users if u["mutedUntil"] > _now()]
        keys = {"sort-posts": "postcount", "sort-reputation": "reputation",
                "online": "lastonline"}  # fmt: skip
        users.sort(key=lambda u: -u[keys.get(section, "joindate")])
        page_count = max(math.ceil(len(users) / USERS_PER_PAGE), 1)
        chunk = users[(page - 1) * USERS_PER_PAGE : page * USERS_PER_PAGE]
        rows = []
        for u in chunk:
            core = self.user_core(u, caller)
            rows.append({k: core[k] for k in LIST_USER_FIELDS})
        return self.page(request, "users", {
            "users": rows,
            "userCount": len(users),
            "title": "[[pages:users/latest]]",
            "isAdminOrGlobalMod": staff,
            "isAdmin": self.is_admin(caller),
            "isGlobalMod": self.is_gmod(caller),
            "displayUserSearch": True,
            f"section_{section}": True,
            "maximumInvites": 0,
            "inviteOnly": False,
            "adminInviteOnly": False,
            "invites": 0,
            "showInviteButton": False,
            "reputation:disabled": 0,
            "pagination": _pagination(page, page_count),
            "breadcrumbs": [{"text": "[[global:header.users]]"}],
        })  # fmt: skip

    def _profile(self, request: Request, user: dict[str, Any] | None) -> Response:
        if user is None:
            return self.page_error(request, 404)
        return json_response(self.user_core(user, self.caller(request)))

    def read_user_by_username(self, request: Request, username: str) -> Response:
        return self._profile(request, self.find_user("username", username))

    def read_user_by_email(self, request: Request, email: str) -> Response:
        user = self.find_user("email", email)
        if user is not None and not user["email_confirmed"]:
            user = None  # only confirmed addresses are in NodeBB's email:uid lookup
        return self._profile(request, user)

    def read_user_info(self, request: Request, userslug: str) -> Response:
        caller = self.caller(request)
        user = self.find_user("userslug", userslug)
        if user is None:
            return self.page_error(request, 404)
        if not self.is_staff(caller) and caller != user["uid"]:
            return self.page_error(request, 403)
        data = self.user_core(user, caller)

        def history(entries: list[dict[str, Any]], no_reason: str) -> list[dict[str, Any]]:
            """user/info.js formatBanMuteData over the stored records, newest first, 20 at most.

            ENDPOINTS.md "NodeBB 4.15.1 answers" / moderation history: entries carry `type`
            (ban, unban, mute, unmute); `expire` and `timestamp` are strings (hash fields); an
            unban or unmute is its own entry with "expire": null and "until": null.
            """
            rows = []
            for e in sorted(entries, key=lambda e: -e["timestamp"])[:20]:
                mod = self.state.users.get(e["fromUid"])
                expire = e["expire"]
                rows.append({
                    "type": e["type"], "uid": user["uid"], "fromUid": e["fromUid"],
                    "timestamp": str(e["timestamp"]), "timestampISO": _iso(e["timestamp"]),
                    "expire": None if expire is None else str(expire),
                    "until": expire, "untilISO": _iso(expire) if expire else None,
                    "reason": e["reason"] or no_reason,
                    "user": {"uid": e["fromUid"], "username": mod["username"] if mod else "",
                             "userslug": mod["userslug"] if mod else "", "picture": "",
                             "icon:text": mod["username"][:1].upper() if mod else "?",
                             "icon:bgColor": mod["color"] if mod else "#aaa"},
                })  # fmt: skip
            return rows

        groups = [
            self.group_data(g)
            for g in self.state.groups.values()
            if user["uid"] in g["members"] and not g["name"].startswith(PRIVILEGE_PREFIX)
        ]
        data.update(
            {
                "email:confirmed": bool(data["email:confirmed"]),
                "isAdmin": self.is_admin(caller),
                "isGlobalModerator": self.is_gmod(caller),
                "isTargetAdmin": self.is_admin(user["uid"]),
                "isSelf": caller == user["uid"],
                "yourid": caller,
                "theirid": user["uid"],
                "canBan": self.is_staff(caller),
                "canMute": self.is_staff(caller),
                "groups": groups,
                "history": {
                    "flags": [],
                    "bans": history(user["bans"], "[[user:info.banned-no-reason]]"),
                    "mutes": history(user["mutes"], "[[user:info.muted-no-reason]]"),
                },
                # ENDPOINTS.md "NodeBB 4.15.1 answers" / moderation history: the page also has
                # moderationNotes
                "moderationNotes": [],
                "sessions": [],
                "usernames": [],
                "emails": [],
                "moderationNote": "",
                "title": f"[[pages:account/info]] {user['username']}",
            }
        )
        return self.page(request, "account/info", data)
