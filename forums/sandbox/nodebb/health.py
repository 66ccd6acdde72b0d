"""The sandbox NodeBB: the site, its version and the review queue (what a connection test
and the overview read).

Part of ``NodeBBSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

import copy
import math

from werkzeug.wrappers import Request, Response

from ..core import json_response
from .common import (
    MAX_TAGS,
    QUEUE_PER_PAGE,
    TOPICS_PER_PAGE,
    VERSION,
    _iso,
    _page_number,
    _pagination,
)
from .seed import (
    POST_QUEUE_REASONS,
)


class NodeBBHealth:
    """A part of the app (mixed in): state, lock and config are the app's."""

    def read_config(self, request: Request) -> Response:
        # ENDPOINTS.md "NodeBB 4.15.1 answers" / `GET /api/config` with a bad token: 200, the
        # guest config (the bad token was taken for a guest in before_endpoint)
        uid = self.caller(request)
        return json_response(
            {
                "relative_path": "",
                "upload_url": "/assets/uploads",
                "asset_base_url": "/assets",
                "assetBaseUrl": "/assets",
                "url": request.host_url.rstrip("/"),
                "siteTitle": self.config.title,
                "browserTitle": self.config.title,
                "titleLayout": "{pageTitle} | {browserTitle}",
                "showSiteTitle": True,
                "maintenanceMode": False,
                "postQueue": 1,
                "minimumTagsPerTopic": 0,
                "maximumTagsPerTopic": MAX_TAGS,
                "topicsPerPage": TOPICS_PER_PAGE,
                "postsPerPage": 20,
                "loggedIn": uid > 0,
                "uid": uid,
                "csrf_token": "sandbox-csrf-token",
                "defaultLang": "en-GB",
                "userLang": "en-GB",
                "searchEnabled": True,
                "disableChat": False,
                "usePagination": False,
            }
        )

    def read_self(self, request: Request) -> Response:
        uid = self.caller(request)
        if uid <= 0:
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / `GET /api/self` with a bad token: 401 with
            # the bare JSON string "not-authorized" (no envelope)
            return json_response("not-authorized", 401)
        data = self.user_core(self.state.users[uid], uid)
        data.update(
            {
                "email:confirmed": bool(data["email:confirmed"]),
                "isAdmin": self.is_admin(uid),
                "isGlobalModerator": self.is_gmod(uid),
                "isModerator": self.is_staff(uid),
                "isAdminOrGlobalModerator": self.is_staff(uid),
                "isSelf": True,
                "yourid": uid,
                "theirid": uid,
                "isTargetAdmin": self.is_admin(uid),
            }
        )
        return json_response(data)

    def read_admin_dashboard(self, request: Request) -> Response:
        denied = self._admin_only(request)
        if denied:
            return denied
        version = getattr(self.config, "version", VERSION)
        return self.page(request, "admin/dashboard", {
            "graphTitle": "Page views",
            "version": version,
            "lookupFailed": False,
            "latestVersion": version,
            "upgradeAvailable": False,
            "currentPrerelease": False,
            "hideAllTime": False,
            "notices": [],
            "canRestart": False,
            "lastrestart": None,
            "showSystemControls": True,
            "popularSearches": [],
            "stats": [],
        })  # fmt: skip

    def read_flags(self, request: Request) -> Response:
        if not self.is_staff(self.caller(request)):
            return self.page_error(request, 403)
        flags = list(self.state.flags)
        state = request.args.get("state")
        if state:
            flags = [f for f in flags if f["state"] == state]
        try:
            per_page = min(max(int(request.args.get("perPage") or 20), 1), 100)
        except ValueError:
            per_page = 20
        page = _page_number(request)
        page_count = max(math.ceil(len(flags) / per_page), 1)
        chunk = flags[(page - 1) * per_page : page * per_page]
        rows = [
            {**copy.deepcopy(f), "datetimeISO": _iso(f["datetime"]),
             "labelClass": {"open": "info", "wip": "warning", "resolved": "success"}.get(
                 f["state"], "danger"),
             "target_readable": f"{f['type'].title()} {f['targetId']}"}
            for f in chunk
        ]  # fmt: skip
        return self.page(request, "flags/list", {
            "flags": rows,
            "count": len(flags),
            "analytics": [],
            "hasFilter": bool(state),
            "filters": {"state": state, "page": page, "perPage": per_page} if state
            else {"page": page, "perPage": per_page},
            "expanded": False,
            "sort": request.args.get("sort") or "newest",
            "title": "[[pages:flags]]",
            "selectedCategory": None,
            "selected": {},
            "pagination": _pagination(page, page_count),
            "breadcrumbs": [{"text": "[[pages:flags]]"}],
        })  # fmt: skip

    def read_post_queue(self, request: Request) -> Response:
        caller = self.caller(request)
        if not self.is_staff(caller):
            return self.page_error(request, 403)
        page = _page_number(request)
        queue = sorted(self.state.queue, key=lambda q: q["timestamp"])
        page_count = max(math.ceil(len(queue) / QUEUE_PER_PAGE), 1)
        chunk = queue[(page - 1) * QUEUE_PER_PAGE : page * QUEUE_PER_PAGE]
        posts = []
        for q in chunk:
            author = self.state.users.get(q["uid"])
            posts.append({
                "id": q["id"], "uid": q["uid"], "type": q["type"], "canEdit": True,
                "cid": q["cid"],
                "data": {"title": q["title"], "content": q["content"], "cid": q["cid"],
                         "tid": q["tid"], "uid": q["uid"], "timestamp": q["timestamp"],
                         "timestampISO": _iso(q["timestamp"])},
                "user": {"uid": q["uid"], "username": author["username"] if author else "",
                         "userslug": author["userslug"] if author else "", "picture": ""},
                "category": {"cid": q["cid"], "name": f"Category {q['cid']}"},
            })  # fmt: skip
        return self.page(request, "post-queue", {
            "title": "[[pages:post-queue]]",
            "allCategoriesUrl": "post-queue",
            "selectedCategory": None,
            "selectedCids": [],
            "posts": posts,
            "isAdmin": self.is_admin(caller),
            "canAccept": True,
            "enabled": 1,
            "singlePost": False,
            "privileges": {},
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / `/api/post-queue`: adds customReasons
            "customReasons": [dict(r) for r in POST_QUEUE_REASONS],
            "pagination": _pagination(page, page_count),
            "breadcrumbs": [{"text": "[[pages:post-queue]]"}],
        })  # fmt: skip
