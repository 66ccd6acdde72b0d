"""The sandbox NodeBB: the site and its version (what a connection test reads). The review
queue the overview counts is ``review.py``.

Part of ``NodeBBSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from ..core import json_response
from .common import MAX_TAGS, TOPICS_PER_PAGE, VERSION


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
        """``GET /api/admin/dashboard``: the ACP dashboard's JSON, which carries the version
        (src/controllers/admin/dashboard.js ``get``); admins only."""
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
