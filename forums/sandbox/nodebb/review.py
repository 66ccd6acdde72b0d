"""The sandbox NodeBB's review queue: flags (on posts and users) and the post queue, listed,
read and decided as NodeBB 4.15.1 does (ENDPOINTS.md "Categories, moderation queues"; NodeBB's
source at ab329b3b4c, cited per rule as ``path`` + function).

Part of ``NodeBBSandbox`` (``app.py``), whose routes name these methods. Control calls (tests,
the demo): ``POST /__sandbox__/flags`` ``{type: "post"|"user", uid, reason, by?, content?}``
adds a flag with one report, ``POST /__sandbox__/queue`` ``{uid, title?, content?, type?, cid?,
tid?}`` queues a post; both answer the new item's id.
"""

from __future__ import annotations

import math
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core import json_response
from .common import MSG, QUEUE_PER_PAGE, _iso, _now, _page_number, _pagination
from .seed import POST_QUEUE_REASONS, slugify

# src/flags.js Flags._states: the label class of each state (the list's `labelClass`).
FLAG_STATES = {"open": "danger", "wip": "warning", "resolved": "success", "rejected": "secondary"}
# src/controllers/mods.js flags.list `validation`: the filters the list reads.
NUMBER_FILTERS = ("assignee", "reporterId", "targetUid", "cid")
ENUM_FILTERS = {"state": tuple(FLAG_STATES), "type": ("post", "user"), "quick": ("mine",)}
SORTS = ("newest", "oldest", "reports", "upvotes", "downvotes", "replies")
REVIEW_MSG = {
    "no-flag": "Flag does not exist",  # [[error:no-flag]]
    "no-post": "Post does not exist",  # [[error:no-post]]
}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:3] if p.isdigit())


class NodeBBReview:
    """A part of the app (mixed in): state, lock and config are the app's."""

    def _queue_routes_missing(self) -> bool:
        """The post queue's write routes arrived in NodeBB 4.4.3 (commit 4fbcfae8b1 "Post
        queue write api (#13473)"; before, socket.io `posts.accept` / `posts.reject` only):
        an older forum answers them as unknown calls (404 "Invalid API call")."""
        return _version(getattr(self.config, "version", "")) < (4, 4, 3)

    def _reject_message_heard(self) -> bool:
        """removeQueuedPost reads `message` from NodeBB 4.11.0 (commit e395fb0919)."""
        return _version(getattr(self.config, "version", "")) >= (4, 11, 0)

    # --- people as the flag pages show them ----------------------------------------------------
    def _person(self, uid: int, *fields: str) -> dict[str, Any]:
        user = self.state.users.get(uid)
        if user is None:
            return {"uid": 0, "username": "[[global:former-user]]", "userslug": "",
                    "picture": None}  # fmt: skip
        person = {
            "uid": uid, "username": user["username"], "userslug": user["userslug"],
            "displayname": user["username"], "picture": None,
            "icon:text": user["username"][:1].upper(), "icon:bgColor": user["color"],
        }  # fmt: skip
        for name in fields:
            person[name] = user.get(name)
        return person

    # --- flags: the list (read API) --------------------------------------------------------------
    def read_flags(self, request: Request) -> Response:
        caller = self.caller(request)
        # src/controllers/mods.js flags.list: `helpers.notAllowed` unless admin, global mod or
        # a category moderator (403 page to a logged-in user)
        if not self.is_staff(caller):
            return self.page_error(request, 403)
        # helpers.validateParameters: an enum filter keeps one value (an array fails
        # `validationRule.includes(val)` and is dropped); a number filter keeps the numbers of
        # an array (then any of them matches: Flags.init prepareSets makes an OR set)
        valid: dict[str, Any] = {}
        for name, allowed in ENUM_FILTERS.items():
            values = request.args.getlist(name)
            if len(values) == 1 and values[0] in allowed:
                valid[name] = values[0]
        for name in NUMBER_FILTERS:
            numbers = [int(v) for v in request.args.getlist(name) if v.strip().isdigit()]
            if numbers:
                valid[name] = numbers if len(numbers) > 1 else numbers[0]
        has_filter = bool(valid)
        # Flags.getFlagIdsWithFilters: page defaults to 1, perPage to 20
        try:
            per_page = abs(int(request.args.get("perPage") or 20)) or 20
        except ValueError:
            per_page = 20
        page = _page_number(request)
        sort = request.args.get("sort")
        sort = sort if sort in SORTS and sort != "newest" else None
        with self.lock:
            flags = [f for f in self.state.flags if self._flag_matches(f, valid, caller)]
            # 'flags:datetime' is read newest first (getSortedSetRevRange); Flags.sort
            flags.sort(key=lambda f: f["datetime"], reverse=True)
            if sort == "oldest":
                flags.reverse()
            elif sort == "reports":
                flags.sort(key=lambda f: len(f["reports"]), reverse=True)
            count = len(flags)
            page_count = max(math.ceil(count / per_page), 1)
            chunk = flags[(page - 1) * per_page : page * per_page]
            rows = [self._flag_row(f) for f in chunk]
        filters = {**valid, "page": page, "perPage": per_page}
        return self.page(request, "flags/list", {
            "flags": rows,
            "count": count,
            "analytics": [],
            # "Pagination doesn't count as a filter"
            "hasFilter": has_filter or bool(sort),
            "filters": filters,
            "expanded": any(k in valid for k in ("assignee", "reporterId", "targetUid")),
            "sort": sort or "newest",
            "title": "[[pages:flags]]",
            "selectedCategory": None,
            "selected": {k: [self._person(u) for u in (v if isinstance(v, list) else [v])]
                         if k in valid else []
                         for k, v in ((k, valid.get(k)) for k in
                                      ("assignee", "reporterId", "targetUid"))},
            "pagination": _pagination(page, page_count),
            "breadcrumbs": [{"text": "[[pages:flags]]"}],
        })  # fmt: skip

    @staticmethod
    def _flag_matches(flag: dict, valid: dict[str, Any], caller: int) -> bool:
        def among(value: Any, wanted: Any) -> bool:
            return value in (wanted if isinstance(wanted, list) else [wanted])

        if "state" in valid and flag["state"] != valid["state"]:
            return False
        if "type" in valid and flag["type"] != valid["type"]:
            return False
        if valid.get("quick") == "mine" and flag["assignee"] != caller:
            return False
        if "targetUid" in valid and not among(flag["targetUid"], valid["targetUid"]):
            return False
        if "assignee" in valid and not among(flag["assignee"], valid["assignee"]):
            return False
        if "cid" in valid and not among(flag.get("cid"), valid["cid"]):
            return False
        reporters = [r["uid"] for r in flag["reports"]]
        return "reporterId" not in valid or any(among(u, valid["reporterId"]) for u in reporters)

    @staticmethod
    def _flag_row(flag: dict) -> dict[str, Any]:
        """Flags.list: the stored hash plus heat (the number of reports), labelClass,
        target_readable and datetimeISO; no target, reports, notes or history."""
        return {
            "flagId": flag["flagId"], "type": flag["type"], "targetId": flag["targetId"],
            "targetUid": flag["targetUid"], "datetime": flag["datetime"],
            "state": flag["state"], "assignee": flag["assignee"],
            "heat": len(flag["reports"]),
            "labelClass": FLAG_STATES[flag["state"]],
            "target_readable": f"{flag['type'].title()} {flag['targetId']}",
            "datetimeISO": _iso(flag["datetime"]),
        }  # fmt: skip

    # --- flags: one flag (write API) -------------------------------------------------------------
    def _viewable_flag(self, request: Request, flag_id: int) -> tuple[dict | None, Response | None]:
        """middleware.assert.flag: `Flags.canView` (the flag exists, and the caller is an admin
        or global mod, or moderates the flagged post's category) else 404 `[[error:no-flag]]`;
        then `user.isPrivileged` in src/api/flags.js (403 otherwise)."""
        flag = next((f for f in self.state.flags if f["flagId"] == flag_id), None)
        if flag is None or not self.is_staff(self.caller(request)):
            return None, self.fail(404, REVIEW_MSG["no-flag"])
        return flag, None

    def _flag_object(self, flag: dict) -> dict[str, Any]:
        """Flags.get: defaults, datetimeISO, target_readable, the target (the post with its
        author, or the user), notes and reports (newest first)."""
        if flag["type"] == "user":
            target: dict[str, Any] = (
                {**self.user_core(self.state.users[flag["targetId"]], flag["targetId"]),
                 "aboutme": ""}
                if flag["targetId"] in self.state.users else {}
            )  # fmt: skip
        else:
            post = self.state.posts.get(flag["targetId"])
            # Flags.getTarget: posts.parsePost + topics.addPostData (the author as `user`)
            target = (
                {"pid": post["pid"], "tid": post["tid"], "uid": post["uid"],
                 "content": post["content"], "timestamp": post["timestamp"],
                 "timestampISO": _iso(post["timestamp"]), "deleted": post["deleted"],
                 "votes": 0, "user": self._person(post["uid"], "reputation")}
                if post else {}
            )  # fmt: skip
        reports = sorted(flag["reports"], key=lambda r: r["timestamp"], reverse=True)
        return {
            "state": flag["state"], "flagId": flag["flagId"], "type": flag["type"],
            "targetId": flag["targetId"], "targetUid": flag["targetUid"],
            "datetime": flag["datetime"], "datetimeISO": _iso(flag["datetime"]),
            "assignee": flag["assignee"],
            "target_readable": f"{flag['type'].title()} {flag['targetId']}",
            "target": target,
            "notes": self._flag_notes(flag),
            "reports": [{"value": r["value"], "timestamp": r["timestamp"],
                         "timestampISO": _iso(r["timestamp"]),
                         "reporter": self._person(r["uid"], "reputation")} for r in reports],
        }  # fmt: skip

    def _flag_notes(self, flag: dict) -> list[dict[str, Any]]:
        notes = sorted(flag["notes"], key=lambda n: n["datetime"], reverse=True)
        return [{"uid": n["uid"], "content": n["content"], "datetime": n["datetime"],
                 "datetimeISO": _iso(n["datetime"]), "user": self._person(n["uid"])}
                for n in notes]  # fmt: skip

    def _flag_history(self, flag: dict) -> list[dict[str, Any]]:
        """Flags.getHistory: newest first; a state shown as its language key."""
        out = []
        for entry in sorted(flag["history"], key=lambda e: e["datetime"], reverse=True):
            fields = dict(entry["fields"])
            if "state" in fields:
                fields["state"] = f"[[flags:state-{fields['state']}]]"
            if "assignee" in fields:
                fields["assignee"] = self._person(int(fields["assignee"]))["username"]
            out.append({"uid": entry["uid"], "fields": fields, "datetime": entry["datetime"],
                        "datetimeISO": _iso(entry["datetime"]),
                        "user": self._person(entry["uid"])})  # fmt: skip
        return out

    def flag_get(self, request: Request, flag_id: int) -> Response:
        """``GET /api/v3/flags/{flagId}`` (src/routes/write/flags.js -> src/api/flags.js
        ``get``): one flag with its reports, notes and history."""
        with self.lock:
            flag, denied = self._viewable_flag(request, flag_id)
            if denied:
                return denied
            assert flag is not None
            return self.ok({**self._flag_object(flag), "history": self._flag_history(flag)})

    def flag_update(self, request: Request, flag_id: int) -> Response:
        body = self.body(request)
        caller = self.caller(request)
        with self.lock:
            flag, denied = self._viewable_flag(request, flag_id)
            if denied:
                return denied
            assert flag is not None
            # src/flags.js Flags.update: a field equal to the stored one is dropped, an unknown
            # state is dropped, an assignee who may not moderate it is dropped; nothing left
            # means nothing changes (and still 200 with the history)
            changes: dict[str, Any] = {}
            state = body.get("state")
            if state is not None and state != flag["state"] and state in FLAG_STATES:
                changes["state"] = state
            assignee = body.get("assignee")
            if assignee is not None and assignee != flag["assignee"]:
                if assignee == "":
                    changes["assignee"] = ""
                elif str(assignee).isdigit() and self.is_staff(int(assignee)):
                    changes["assignee"] = int(assignee)
            if changes:
                flag.update({k: (None if v == "" else v) for k, v in changes.items()})
                flag["history"].append({"uid": caller, "fields": changes, "datetime": _now()})
            # src/controllers/write/flags.js Flags.update: `{history}`
            return self.ok({"history": self._flag_history(flag)})

    def flag_note(self, request: Request, flag_id: int) -> Response:
        body = self.body(request)
        caller = self.caller(request)
        with self.lock:
            flag, denied = self._viewable_flag(request, flag_id)
            if denied:
                return denied
            assert flag is not None
            note = str(body.get("note") or "").strip()
            if not note:
                return self.fail(400, MSG["invalid-data"])
            now = _now()
            # Flags.appendNote: the note, and a history entry `{notes: null}`
            flag["notes"].append({"uid": caller, "content": note, "datetime": now})
            flag["history"].append({"uid": caller, "fields": {"notes": None}, "datetime": now})
            # src/api/flags.js appendNote: `{notes, history}`
            return self.ok({"notes": self._flag_notes(flag), "history": self._flag_history(flag)})

    # --- posts a flag points at ----------------------------------------------------------------
    def post_purge(self, request: Request, pid: int) -> Response:
        caller = self.caller(request)
        with self.lock:
            post = self.state.posts.get(pid)
            # src/routes/write/posts.js: ensureLoggedIn + middleware.assert.post (404)
            if post is None:
                return self.fail(404, REVIEW_MSG["no-post"])
            # privileges.posts.canPurge: admins, global mods (and category mods)
            if not self.is_staff(caller):
                return self.fail(403, MSG["no-privileges"])
            self.purge_posts([pid], by=caller)
        return self.ok()

    def purge_posts(self, pids: list[int], *, by: int) -> None:
        """posts.purge: the posts go, and their open flags are resolved (src/posts/delete.js
        resolveFlags). Under the app's lock."""
        for pid in pids:
            self.state.posts.pop(pid, None)
        now = _now()
        for flag in self.state.flags:
            if flag["type"] == "post" and flag["targetId"] in pids and flag["state"] != "resolved":
                flag["state"] = "resolved"
                flag["history"].append({"uid": by, "fields": {"state": "resolved"},
                                        "datetime": now})  # fmt: skip

    # --- the post queue --------------------------------------------------------------------------
    def read_post_queue(self, request: Request) -> Response:
        return self._post_queue_page(request, None)

    def read_post_queue_one(self, request: Request, queue_id: str) -> Response:
        """``GET /api/post-queue/{id}``: the post queue page for one entry
        (src/controllers/mods.js ``postQueue``)."""
        return self._post_queue_page(request, queue_id)

    def _post_queue_page(self, request: Request, queue_id: str | None) -> Response:
        caller = self.caller(request)
        # src/controllers/mods.js postQueue: `if (!req.loggedIn) return next()`: a 404 page
        # (ENDPOINTS.md "NodeBB 4.15.1 answers" / other calls with a bad token: 404)
        if caller <= 0:
            return self.page_error(request, 404)
        staff = self.is_staff(caller)
        page = _page_number(request)
        with self.lock:
            # Posts.getQueuedPosts: the 'post:queue' sorted set read oldest first
            queue = sorted(self.state.queue, key=lambda q: q["timestamp"])
            if queue_id is not None:
                queue = [q for q in queue if q["id"] == queue_id]
            try:
                cid = int(request.args.get("cid") or 0)
            except ValueError:
                cid = 0
            if cid:
                queue = [q for q in queue if q["cid"] == cid]
            # postQueue: a user who moderates nothing sees their own queued posts only
            if not staff:
                queue = [q for q in queue if q["uid"] == caller]
            page_count = max(math.ceil(len(queue) / QUEUE_PER_PAGE), 1)
            chunk = queue[(page - 1) * QUEUE_PER_PAGE : page * QUEUE_PER_PAGE]
            posts = [self._queued(q, caller, staff) for q in chunk]
        return self.page(request, "post-queue", {
            "title": "[[pages:post-queue]]",
            "allCategoriesUrl": "post-queue",
            "selectedCategory": None,
            "selectedCids": [cid] if cid else [],
            "posts": posts,
            "isAdmin": self.is_admin(caller),
            # postQueue: `canAccept: isAdmin || isGlobalMod`
            "canAccept": staff,
            "enabled": 1,
            "singlePost": queue_id is not None,
            "privileges": {},
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / `/api/post-queue`: adds customReasons
            # (postQueue fetches them for admins, global mods and category mods only)
            "customReasons": [dict(r) for r in POST_QUEUE_REASONS] if staff else [],
            "pagination": _pagination(page, page_count),
            "breadcrumbs": [{"text": "[[pages:post-queue]]"}],
        })  # fmt: skip

    def _queued(self, q: dict, caller: int, staff: bool) -> dict[str, Any]:
        """Posts.getQueuedPosts + addMetaData: `data.content` parsed (HTML), `rawContent` as
        written, the author's fields, `topic` (a topic's cid, or a reply's topic) and the
        category; postQueue adds canAccept / canEdit per post."""
        author = self._person(q["uid"], "joindate", "postcount", "reputation")
        topic = self.state.topics.get(q["tid"]) if q["type"] == "reply" else None
        cid = topic["cid"] if topic else q["cid"]
        data = {"title": q["title"] if q["type"] == "topic" else "",
                "content": f"<p>{_escape(q['content'])}</p>", "rawContent": q["content"],
                "cid": cid, "uid": q["uid"], "timestamp": q["timestamp"],
                "timestampISO": _iso(q["timestamp"]), "fromQueue": True, "tags": []}  # fmt: skip
        if q["type"] == "reply":
            data["tid"] = q["tid"]
        is_self = q["uid"] == caller
        return {
            # read.yaml: each post is also a CategoryObject, whose `cid` is required
            "id": q["id"], "uid": q["uid"], "type": q["type"], "cid": cid,
            "canAccept": not is_self and staff, "canEdit": is_self or staff,
            "data": data, "user": author,
            "topic": ({"title": topic["title"], "cid": topic["cid"], "titleRaw": topic["title"]}
                      if topic else {"cid": cid}),
            "category": {"cid": cid, "name": f"Category {cid}"},
        }  # fmt: skip

    def _queue_entry(
        self, request: Request, queue_id: str, action: str
    ) -> tuple[dict | None, Response | None]:
        """src/api/posts.js canEditQueue: a missing entry throws `[[error:no-post]]` (400, the
        route's catch-all); Posts.canEditQueue: admins and global mods (category mods for their
        categories), or the author rejecting their own post; else `[[error:no-privileges]]`
        (403)."""
        entry = next((q for q in self.state.queue if q["id"] == queue_id), None)
        if entry is None:
            return None, self.fail(400, REVIEW_MSG["no-post"])
        caller = self.caller(request)
        own = caller > 0 and entry["uid"] == caller and action == "reject"
        if not (self.is_staff(caller) or own):
            return None, self.fail(403, MSG["no-privileges"])
        return entry, None

    def queue_accept(self, request: Request, queue_id: str) -> Response:
        if self._queue_routes_missing():
            return self.not_found(request)
        with self.lock:
            entry, denied = self._queue_entry(request, queue_id, "accept")
            if denied:
                return denied
            assert entry is not None
            # Posts.submitFromQueue: a topic becomes a new topic, a reply a post in its topic
            self.state.queue.remove(entry)
            pid = self.state.next_pid
            self.state.next_pid += 1
            tid = entry["tid"]
            if entry["type"] == "topic":
                tid = self.state.next_tid
                self.state.next_tid += 1
                self.state.topics[tid] = {
                    "tid": tid, "uid": entry["uid"], "cid": entry["cid"],
                    "title": entry["title"], "slug": f"{tid}/{slugify(entry['title'])}",
                    "timestamp": _now(), "postcount": 1, "viewcount": 0, "tags": [],
                }  # fmt: skip
            self.state.posts[pid] = {"pid": pid, "tid": tid, "uid": entry["uid"],
                                     "content": entry["content"], "timestamp": _now(),
                                     "deleted": 0}  # fmt: skip
            self._notify(entry["uid"], "post-queue-accepted", request)
            # src/controllers/write/posts.js acceptQueuedPost: `{post}` around
            # api.posts.acceptQueuedPost's {type, pid, tid}
            return self.ok({"post": {"type": entry["type"], "pid": pid, "tid": tid}})

    def queue_reject(self, request: Request, queue_id: str) -> Response:
        # src/controllers/write/posts.js removeQueuedPost: `req.query.message || req.body.message`
        message = request.args.get("message") or str(self.body(request).get("message") or "")
        if self._queue_routes_missing():
            return self.not_found(request)
        if not self._reject_message_heard():
            message = ""
        with self.lock:
            entry, denied = self._queue_entry(request, queue_id, "reject")
            if denied:
                return denied
            assert entry is not None
            self.state.queue.remove(entry)
            # api.posts.removeQueuedPost: the author is told (with the reason, when given),
            # unless they rejected it themselves
            kind = "post-queue-rejected-for-reason" if message else "post-queue-rejected"
            self._notify(entry["uid"], kind, request, message)
        return self.ok()

    def queue_notify(self, request: Request, queue_id: str) -> Response:
        message = str(self.body(request).get("message") or "")
        if self._queue_routes_missing():
            return self.not_found(request)
        # src/routes/write/posts.js: checkRequired ['message'] (400 with `params`)
        if not message:
            return self.fail(400, "Required parameters were missing from this API call: "
                             "message", {"params": ["message"]})  # fmt: skip
        with self.lock:
            entry, denied = self._queue_entry(request, queue_id, "notify")
            if denied:
                return denied
            assert entry is not None
            self.state.notifications.append(
                {"uid": entry["uid"], "type": "post-queue-notify", "message": message}
            )
        return self.ok()

    def _notify(self, uid: int, kind: str, request: Request, message: str = "") -> None:
        if uid != self.caller(request):
            self.state.notifications.append({"uid": uid, "type": kind, "message": message})

    # --- control ------------------------------------------------------------------------------
    def add_flag(self, *, kind: str, uid: int, reason: str, by: int = 0, content: str = "",
                 tid: int | None = None) -> int:  # fmt: skip
        """Flags.create (``POST /api/v3/flags``) as a control call: a post by ``uid`` (made
        here) or the account ``uid``, flagged by ``by`` with ``reason``."""
        if kind not in ("post", "user") or uid not in self.state.users:
            raise ValueError("type must be post or user, uid an existing user")
        now = _now()
        flag_id = max((f["flagId"] for f in self.state.flags), default=0) + 1
        target, cid = uid, None
        if kind == "post":
            tid = tid if tid in self.state.topics else min(self.state.topics)
            target = self.state.next_pid
            self.state.next_pid += 1
            self.state.posts[target] = {"pid": target, "tid": tid, "uid": uid,
                                        "content": content or "Buy cheap watches here!",
                                        "timestamp": now, "deleted": 0}  # fmt: skip
            cid = self.state.topics[tid]["cid"]
        reporter = by if by in self.state.users else 2
        self.state.flags.append(
            {
                "flagId": flag_id,
                "type": kind,
                "targetId": target,
                "targetUid": uid,
                "state": "open",
                "datetime": now,
                "assignee": None,
                "cid": cid,
                "reports": [{"uid": reporter, "value": reason, "timestamp": now}],
                "notes": [],
                "history": [],
            }  # fmt: skip
        )
        return flag_id

    def add_queued(self, *, uid: int, title: str = "", content: str = "", kind: str = "topic",
                   cid: int = 1, tid: int | None = None) -> str:  # fmt: skip
        """Posts.addToQueue as a control call: id `<type>-<now>` (unique here)."""
        if uid not in self.state.users or kind not in ("topic", "reply"):
            raise ValueError("uid must be an existing user, type topic or reply")
        now = _now()
        queue_id = f"{kind}-{now}"
        while any(q["id"] == queue_id for q in self.state.queue):
            now += 1
            queue_id = f"{kind}-{now}"
        self.state.queue.append({
            "id": queue_id, "uid": uid, "type": kind, "cid": cid,
            "tid": tid if tid in self.state.topics else min(self.state.topics),
            "title": title or "A question from a new member",
            "content": content or "Hello! Is this the right place to ask?",
            "timestamp": now,
        })  # fmt: skip
        return queue_id

    def review_control(self, request: Request, action: str) -> Response | None:
        if request.method != "POST" or action not in ("flags", "queue"):
            return None
        body = request.get_json(force=True, silent=True) or {}
        try:
            with self.lock:
                if action == "flags":
                    flag_id = self.add_flag(
                        kind=str(body.get("type") or "post"), uid=int(body["uid"]),
                        reason=str(body.get("reason") or "Spam"), by=int(body.get("by") or 0),
                        content=str(body.get("content") or ""),
                        tid=int(body["tid"]) if body.get("tid") else None,
                    )  # fmt: skip
                    return json_response({"flagId": flag_id, "id": f"flag:{flag_id}"})
                queue_id = self.add_queued(
                    uid=int(body["uid"]), title=str(body.get("title") or ""),
                    content=str(body.get("content") or ""), kind=str(body.get("type") or "topic"),
                    cid=int(body.get("cid") or 1),
                    tid=int(body["tid"]) if body.get("tid") else None,
                )  # fmt: skip
                return json_response({"queueId": queue_id, "id": f"queue:{queue_id}"})
        except (KeyError, TypeError, ValueError) as exc:
            return json_response({"error": str(exc)}, 400)


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
