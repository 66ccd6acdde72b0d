"""What every part of the sandbox NodeBB shares: its constants, limits and response helpers."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request

from ..core import SandboxConfig
from .releases import DEFAULT_RELEASE, Release, release_named

# werkzeug logs every request at INFO through this logger; the sandbox stays quiet.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

VERSION = "4.15.1"
MASTER_NO_UID = "A master token was received without a corresponding `_uid` in the request body"
MSG = {
    "not-logged-in": "A valid login session was not found. Please log in and try again.",
    "no-privileges": "You do not have enough privileges for this action.",
    "invalid-uid": "Invalid User ID",
    "no-user": "User does not exist",
    "no-group": "Group does not exist",
    "no-topic": "Topic does not exist",
    "not-allowed": "Not allowed",
    "invalid-data": "Invalid Data",
    "group-exists": "Group already exists",
    "group-not-member": "Not a member of this group",
    "group-leave-disabled": "You are not able to leave this group at this time",
    "invalid-group-name": "Invalid group name",
    "cant-ban-other-admins": "You can't ban other admins!",
    "cant-mute-other-admins": "You can't mute other admins!",
    # NodeBB has no translation for this key, so the raw key is what the API returns.
    "cant-delete-other-admins": "[[error:cant-delete-other-admins]]",
    "ban-expiry-missing": "Please provide an end date for this ban",
    "invalid-api-call": "Invalid API call",
    # [[error:api.403]]: what notAllowed() tells a spider (uid -1) on the write API
    "api-403": "You are not authorised to make this call",
    # body-parser 2 leaves req.body undefined without a body; the controller reads .reason
    "no-body-reason": "Cannot read properties of undefined (reading 'reason')",
    "serialize-user": "Failed to serialize user into session",
}
# The spider detector treats these agents as bots (uid -1) when no valid token is sent.
SPIDER_AGENTS = re.compile(r"python-requests/|bot\b|crawler|spider", re.IGNORECASE)
# Read API pages a guest (or spider) may load: view:users, view:tags and view:groups are
# granted to guests and spiders by default.
PUBLIC_READ = frozenset(
    {"read_config", "read_tags", "read_tag_topics", "read_users", "read_user_by_username",
     "read_user_by_email", "read_group"}
)  # fmt: skip
# Write API routes that run without ensureLoggedIn.
PUBLIC_WRITE = frozenset({"socket_io"})
# Routes whose own code answers a guest, as NodeBB's does: the post queue page is a 404 to a
# guest (src/controllers/mods.js postQueue: `if (!req.loggedIn) return next()`), and the queue's
# write routes have no ensureLoggedIn (src/routes/write/posts.js): canEditQueue answers.
GUEST_ANSWERED = frozenset(
    {"read_post_queue", "read_post_queue_one", "queue_accept", "queue_reject", "queue_notify"}
)
CODES = {
    400: "bad-request",
    401: "not-authorised",
    403: "forbidden",
    404: "not-found",
    426: "upgrade-required",
    500: "internal-server-error",
    502: "internal-server-error",
    503: "internal-server-error",
}
PRIVILEGE_PREFIX = "cid:"
ACP_HIDDEN_GROUPS = {"registered-users", "verified-users", "unverified-users", "banned-users"}
GROUPS_PER_PAGE = 20  # /api/admin/manage/groups
MEMBERS_PER_PAGE = 20  # /api/v3/groups/{slug}/members
TOPICS_PER_PAGE = 20  # config topicsPerPage
QUEUE_PER_PAGE = 20  # /api/post-queue
USERS_PER_PAGE = 50  # /api/users (userSearchResultsPerPage)
ACP_PAGE_SIZES = (50, 100, 250, 500)
# The ACP user list's sortBy values and the field of each sorted set's score.
ACP_SORTS: dict[str, Any] = {
    "postcount": lambda u: u["postcount"],
    "reputation": lambda u: u["reputation"],
    "joindate": lambda u: u["joindate"],
    "lastonline": lambda u: u["lastonline"],
    "flags": lambda u: 0,
}
MAX_TAGS = 5  # maximumTagsPerTopic
# The user fields of /api/users rows and group member rows (read.yaml / write.yaml).
LIST_USER_FIELDS = (
    "uid", "isLocal", "username", "displayname", "userslug", "picture", "status", "postcount",
    "reputation", "email:confirmed", "lastonline", "flags", "banned", "banned:expire",
    "joindate", "icon:text", "icon:bgColor", "joindateISO", "lastonlineISO", "banned_until",
    "banned_until_readable",
)  # fmt: skip


@dataclass
class NodeBBSandboxConfig(SandboxConfig):
    """``api_key`` is the token; ``api_username`` is the uid it acts as (the admin, 1)."""

    api_username: str = "1"
    users: int = 120
    title: str = "Sandbox NodeBB"
    master_token: bool = False  # True: api_key is a master token, every call needs `_uid`
    # More user tokens (token -> uid), e.g. to act as a non-admin.
    user_tokens: dict[str, int] = field(default_factory=dict)
    # The NodeBB release the sandbox plays (``releases.py``): "4.15" or "3.12".
    release: str = DEFAULT_RELEASE
    version: str = ""  # what the dashboard answers; "" = the release's own version

    def __post_init__(self) -> None:
        if not self.version:
            self.version = self.profile.version

    @property
    def profile(self) -> Release:
        return release_named(self.release)


def _iso(ms: int) -> str:
    if not ms:
        return ""
    return (
        datetime.fromtimestamp(ms / 1000, tz=UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _now() -> int:
    return int(time.time() * 1000)


def _pagination(page: int, page_count: int) -> dict[str, Any]:
    page_count = max(page_count, 1)
    return {
        "currentPage": page,
        "pageCount": page_count,
        "qs": "",
        "prev": {"page": max(page - 1, 1), "active": page > 1, "qs": ""},
        "next": {"page": min(page + 1, page_count), "active": page < page_count, "qs": ""},
        "first": {"page": 1, "active": page == 1},
        "last": {"page": page_count, "active": page == page_count},
        "rel": [],
        "pages": [{"page": p, "active": p == page, "qs": ""} for p in range(1, page_count + 1)],
    }


def _page_number(request: Request) -> int:
    try:
        return max(int(request.args.get("page", 1)), 1)
    except ValueError:
        return 1
