"""UserEcho's transport: REST API v2 under `/api/v2`, every command ending in `.json`, the token
as the `access_token` query parameter (the official C# client's `Authorization: Bearer` when the
query parameter is refused), and the envelope `{status, data, message, details}` unwrapped once,
here (see shared/specs/userecho/ENDPOINTS.md; its section numbers, rows and traps are cited).

Every public method of the resource modules takes keyword-only arguments, hides paging and
returns the neutral records of ``records.py``. A UserEcho connection is one *project* (the
alias in ``https://<alias>.userecho.com``); its forums are tag and category spaces, so tags,
categories and topics carry the forum they live in (``scope``) and are keyed by (forum, id).

The token never appears in a log line, a message or an exception: the query parameter is only
ever in the URL requests builds, which Forumdeck never prints (``BaseClient._log`` logs the
path), urllib3's own debug line is redacted below, and errors are raised without the
transport exception (which holds the URL) attached. Nothing here sleeps: a 429 raises
``ForumRateLimited`` with the wait and the caller decides.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests

from ..errors import (
    CapabilityNotOffered,
    ForumBadResponse,
    ForumError,
    ForumForbidden,
    ForumNotFound,
    ForumRejected,
    ForumUnauthorized,
)
from ..platform import ForumClient, PlatformWords, Rate, SettingsProblem
from ..records import Capability, ForumTopic, ForumUser
from .capability_notes import CAPABILITY_NOTES

API = "/api/v2"
PAGE_SIZE = 100  # 1.4 [D] default 50, maximum undocumented; [C] DA uses limit=100
MAX_PAGES = 1000  # a guard against a server that never says "last page"
ANONYMOUS_ID = 0  # 1.2 [D] SEED:117: user_id 0 is the anonymous user
# 1.1 [D] / trap 18: the project's address; .ru is the Russian site of the same service.
PROJECT_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.userecho\.(?:com|ru)$")
ADDRESS_HELP = "The project's address: https://<alias>.userecho.com (or .userecho.ru)"
TOKEN_HELP = (
    "A project API token from Setup → Advanced features → API in UserEcho "
    "(https://<alias>.userecho.com/settings/features/api/), with the permissions read, write "
    "and all (“manage”): logging users out and user groups need “all”."
)
SCOPE_HINT = (
    "The API token lacks the permission this needs: UserEcho tokens have read, write and "
    "all (“manage”) permissions, and a read token cannot write. Make a token with more rights "
    "under Setup → Advanced features → API."
)
_TOKEN_IN_URL = re.compile(r"(access_token=)[^&\s\"']+")


class _RedactAccessToken(logging.Filter):
    """urllib3 logs every request line at DEBUG, query string included: with the token in
    `?access_token=` a debug log would hold it. This filter blanks it on that logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _TOKEN_IN_URL.sub(r"\1********", a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        if isinstance(record.msg, str) and "access_token=" in record.msg:
            record.msg = _TOKEN_IN_URL.sub(r"\1********", record.msg)
        return True


_URLLIB3_LOGGER = logging.getLogger("urllib3.connectionpool")
if not any(isinstance(f, _RedactAccessToken) for f in _URLLIB3_LOGGER.filters):
    _URLLIB3_LOGGER.addFilter(_RedactAccessToken())


def to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def dt(value: Any) -> datetime | None:
    """1.7 [D] ISO-8601 UTC with milliseconds and `Z`; a plain date or junk is None-safe."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def ref_id(value: Any) -> int | None:
    """Trap 15 [C] DA:205-242: a status, type or category as a bare id or as {id, name}."""
    if isinstance(value, dict):
        value = value.get("id")
    return to_int(value)


def ref_name(value: Any) -> str:
    """The name of a status or type given as an object; "#<id>" when only the id is given."""
    if isinstance(value, dict):
        name = value.get("name")
        if name:
            return str(name)
        value = value.get("id")
    number = to_int(value)
    return f"#{number}" if number is not None else ""


def first(data: dict, *names: str) -> Any:
    """Trap 14: the first of several spellings a field drifts between that is present."""
    for name in names:
        if data.get(name) is not None:
            return data[name]
    return None


@dataclass(frozen=True, slots=True)
class UserEchoForum:
    """2.3 F1: one forum of the project, the space its tags, categories and topics live in."""

    id: int
    name: str
    type: str = ""
    topic_count: int | None = None


class UserEchoBase(ForumClient):
    platform = "userecho"
    software = "UserEcho"
    capability_notes = CAPABILITY_NOTES
    documented_version = "API v2"
    capability_intro = (
        "UserEcho is one *project* per connection (`https://<alias>.userecho.com`, or "
        "`.userecho.ru`); its forums are spaces of tags, categories and topics, so those carry "
        "their forum (`scope`). Its API is reconstructed from documentation and public clients "
        "(`../shared/specs/userecho/`), and every trap of its ENDPOINTS.md section 4 is handled "
        "in `forums/clients/userecho/`. Capabilities a UserEcho project may or may not have "
        "(UserEcho's later reference: deleting users, group membership) are *optional*."
    )
    capabilities = frozenset(
        {
            Capability.USER_SEARCH,
            Capability.USER_LOG_OUT,
            Capability.GROUPS,
            Capability.TAGS,
            Capability.TAG_CREATE,
            Capability.TAG_RENAME,
            Capability.TAG_DELETE,
            Capability.TOPIC_RETAG,
            Capability.TOPIC_DELETE,
            Capability.CATEGORIES,
            Capability.REVIEW_QUEUE,
            Capability.REVIEW_ITEMS,
        }
    )
    # Offered only where the project has the routes of UserEcho's later API reference (trap 10:
    # listed without parameters, absent from the seed): the health check looks, and a first
    # call that meets "no such command" answers "not offered" with nothing changed.
    optional_capabilities: ClassVar[Mapping[Capability, str]] = {
        Capability.USER_DELETE: "DELETE users/{id} (U8)",
        Capability.GROUP_MEMBERSHIP: "POST / DELETE users/{id}/group (U11, U12)",
    }
    # Not offered, and why (the pages say "not offered by this forum"):
    # - USER_SUSPEND / USER_SILENCE: no ban, block, suspend, silence or mute route and no such
    #   field on the user (3.2); the closest levers (group vote limits, a private forum's access
    #   list) are not a penalty.
    # - USER_BULK_DELETE, USER_DELETE_BLOCK: no batch route; nothing to block with.
    # - TAG_MERGE, TAG_DELETE_UNUSED, TAG_GROUPS: no such routes (tags are per forum, 2.4).
    # - GROUP_MEMBERS: no route lists a group's members (3.2 "List group members: not
    #   offered"), so bulk member changes, which skip no-ops from that list, are not offered.
    # - BACKUPS (the JSON export is taken in the UI only), CALENDAR: none (3.2).
    # UserEcho documents no limit (ENDPOINTS.md 1.5, trap 19: "add a client-side throttle"):
    # a hosted service whose limit is unknown gets a conservative pace until it is known.
    default_pace = Rate(per_minute=60, window_seconds=60)
    words = PlatformWords(
        # UserEcho has no penalty: its words are never shown (no penalty is offered to it), but
        # lists that name every platform's penalty stay neutral.
        penalties=dict(ForumClient.words.penalties),
        standing="Rating",
        standing_short="rating",
        key_help=TOKEN_HELP,
        username_label="API username",
        username_help="Leave empty: a UserEcho token acts as its own user.",
        address_help=ADDRESS_HELP,
        rate_help="UserEcho documents no limit; Forumdeck still waits as long as a 429 asks.",
        credentials_refused="UserEcho refused the API token: it is not valid, or it was "
        "revoked. Check the token under Setup → Advanced features → API in UserEcho (Edit this "
        "forum).",
        extra={
            # Read by the delete form: UserEcho's API does not say (trap 22).
            "delete_user": "UserEcho decides what happens to a deleted user's topics and "
            "comments (its API reference does not say: they may stay, anonymised).",
        },
    )
    review_pages = ()  # the moderation screens of a project have no documented address

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.__token = kwargs.get("api_key") or ""
        self._bearer = False  # 1.2: switched on when the query parameter is refused
        self._bearer_tried = False
        self._forums: list[UserEchoForum] | None = None
        self._tags: dict[int, dict[int, str]] = {}  # forum id -> tag id -> name
        self._own: ForumUser | None = None
        # What first calls learned about the optional routes: capability -> present.
        self.found_routes: dict[Capability, bool] = {}
        self._later: frozenset[Capability] | None = None  # see discovered_capabilities

    # --- settings ----------------------------------------------------------------------------
    @classmethod
    def validate_settings(
        cls,
        *,
        base_url: str,
        api_username: str,
        settings: dict[str, Any] | None = None,
        stored: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The project's address must be ``https://<alias>.userecho.com`` (or ``.ru``) with
        no path; a host listed in FORUMDECK_ALLOW_HTTP_HOSTS / _PRIVATE_HOSTS (a test
        UserEcho such as the sandbox) is taken as it is. A token acts as its own user, so
        the username is not used."""
        from django.conf import settings as django_settings

        parts = urlsplit(base_url.strip())
        host = (parts.hostname or "").lower()
        local = {
            h.strip().lower()
            for h in [
                *getattr(django_settings, "FORUMDECK_ALLOW_HTTP_HOSTS", []),
                *getattr(django_settings, "FORUMDECK_ALLOW_PRIVATE_HOSTS", []),
            ]
        }
        # No host: the address itself was refused, and says why; nothing to add.
        if host and host not in local:
            if not PROJECT_HOST.match(host):
                raise SettingsProblem(
                    {
                        "base_url": f"{ADDRESS_HELP}, e.g. https://acme.userecho.com. The "
                        "alias is the first part of your project's address in UserEcho."
                    }
                )
            if parts.scheme != "https" or parts.path.strip("/") or parts.port:
                raise SettingsProblem(
                    {
                        "base_url": f"Give only the project's address, e.g. "
                        f"https://{host}: Forumdeck adds /api/v2 itself."
                    }
                )
        return {"api_username": "", "settings": cls.clean_settings(settings or {}, stored=stored)}

    # --- plumbing ----------------------------------------------------------------------------
    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {}  # 1.2 [D]: the token travels as `?access_token=` (see request)

    def request(
        self, method: str, path: str, *, params: Any = None, headers: Any = None, **kwargs: Any
    ) -> Any:
        """One call with the token: the query parameter, or the Bearer header once a query
        token was refused and the header was accepted."""
        if self._bearer:
            return super().request(
                method,
                path,
                params=params,
                headers={**(headers or {}), "Authorization": f"Bearer {self.__token}"},
                **kwargs,
            )
        query = dict(params or {})
        query["access_token"] = self.__token
        return super().request(method, path, params=query, headers=headers, **kwargs)

    def send(self, *args: Any, **kwargs: Any) -> requests.Response:
        # The transport error a ForumError is raised "from None" still hangs on it as
        # __context__, and its text holds the URL, token included: drop it.
        try:
            return super().send(*args, **kwargs)
        except ForumError as exc:
            error = exc
        error.__context__ = None
        error.__cause__ = None
        raise error

    def credentials_refused(
        self, *, status: int | None = None, detail: str = ""
    ) -> ForumUnauthorized:
        """UserEcho's own words are about the token ("Invalid access token"): keep them."""
        refused = super().credentials_refused(status=status)
        if not detail:
            return refused
        return ForumUnauthorized(f"{refused} (UserEcho: “{detail}”)", status=status)

    def error_message(self, response: requests.Response | None, payload: Any) -> str:
        """1.3 [D]: the cause of an error is in `message` (any `details` are appended)."""
        if isinstance(payload, dict):
            message = str(payload.get("message") or "").strip()
            details = payload.get("details")
            if message and isinstance(details, dict) and details:
                fields = ", ".join(f"{k}: {v}" for k, v in details.items() if k != "count")
                if fields:
                    message = f"{message} ({fields})"
            return message
        return ""

    def raise_for_status(self, response: requests.Response) -> None:
        if response.status_code == 403:
            # 1.5 / trap 11: a scope refusal. Say what a UserEcho token can and cannot do.
            own = self.scrub(self.error_message(response, self._try_json(response)))
            raise ForumForbidden(
                f"UserEcho refused: {own or 'access denied'}. {SCOPE_HINT}", status=403
            )
        if response.status_code == 405:
            own = self.scrub(self.error_message(response, self._try_json(response)))
            raise ForumNotFound(own or "UserEcho has no such command.", status=405)
        super().raise_for_status(response)

    def _envelope_error(self, payload: dict) -> ForumError:
        """Trap 12: any `status` other than "success" is a failure. When the HTTP code says
        nothing (1.5 [I]: errors may come with 200), UserEcho's own words decide the kind."""
        message = self.scrub(self.error_message(None, payload)) or "UserEcho refused the request."
        words = message.lower()
        if "token" in words and any(w in words for w in ("invalid", "expired", "unknown")):
            return self.credentials_refused(detail=message)
        if "access denied" in words or "permission" in words:
            return ForumForbidden(f"UserEcho refused: {message}. {SCOPE_HINT}")
        if "not found" in words or "unknown api method" in words or "unknown command" in words:
            return ForumNotFound(message)
        return ForumRejected(message)

    def call(
        self,
        method: str,
        command: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
    ) -> tuple[Any, dict]:
        """One command (`users`, `forums/3/tags`: ".json" is added), its envelope unwrapped:
        (data, details). Bodies are JSON (1.6 [D]); a GET never has one."""
        path = f"{API}/{command.strip('/')}.json"
        try:
            return self._unwrap(self.request(method, path, params=params, json_body=body))
        except ForumUnauthorized:
            if self._bearer or self._bearer_tried:
                raise
        # 1.2 [C] CS:25: the official client sends `Authorization: Bearer`; try it once.
        self._bearer_tried = True
        self._bearer = True
        try:
            return self._unwrap(self.request(method, path, params=params, json_body=body))
        except ForumUnauthorized:
            self._bearer = False
            raise

    def _unwrap(self, payload: Any) -> tuple[Any, dict]:
        if payload is None:
            return None, {}
        if not isinstance(payload, dict):
            raise ForumBadResponse("UserEcho answered something other than its JSON envelope.")
        if "status" not in payload:
            # 1.3 [D]: some documentation examples show a bare object; tolerate one.
            return payload, {}
        if payload.get("status") != "success":
            raise self._envelope_error(payload)
        details = payload.get("details")
        return payload.get("data"), details if isinstance(details, dict) else {}

    def get(self, command: str, **params: Any) -> Any:
        return self.call("GET", command, params=params or None)[0]

    def _object(self, data: Any, what: str) -> dict:
        if not isinstance(data, dict):
            raise ForumBadResponse(f"UserEcho answered something other than {what}.")
        return data

    def pages(
        self,
        command: str,
        *,
        params: dict[str, Any] | None = None,
        limit: int | None = None,
        page_size: int = PAGE_SIZE,
    ) -> Iterator[dict]:
        """Every item of a list command, page by page (1.4 [D] `page` 1-based, `limit`),
        until `details.count` is reached or a page comes back short. Trap 17: `details` may
        be missing, and the maximum `limit` is undocumented (a server may cap it silently),
        so without `details` "short" means shorter than the first page: one more call when
        the list ends on a full page, but no page left unread."""
        full = {"size": 0}

        def fetch(page: int) -> tuple[list[dict], int | None]:
            query = {**(params or {}), "page": page, "limit": page_size}
            data, details = self.call("GET", command, params=query)
            if data is None:
                data = []
            if not isinstance(data, list):
                raise ForumBadResponse("UserEcho answered a list command without a list.")
            items = [item for item in data if isinstance(item, dict)]
            count = to_int(details.get("count"))
            full["size"] = max(full["size"], len(data))
            size = to_int(details.get("limit")) or full["size"]
            more = page * size < count if count is not None else len(data) >= size
            return items, (page + 1 if more and data else None)

        return self.paginate(fetch, start=1, limit=limit, max_pages=MAX_PAGES)

    def count(self, command: str, **params: Any) -> int | None:
        """How many items a list command has, from `details.count` (None if not said)."""
        _data, details = self.call("GET", command, params={**params, "page": 1, "limit": 1})
        return to_int(details.get("count"))

    # --- the project's forums ------------------------------------------------------------------
    def list_forums(self) -> list[UserEchoForum]:
        """2.3 F1: the project's forums (read once per client)."""
        if self._forums is None:
            forums = []
            for data in self.pages("forums"):
                forum_id = to_int(data.get("id"))
                if forum_id is None:
                    continue
                kind = data.get("type")
                forums.append(
                    UserEchoForum(
                        id=forum_id,
                        name=str(data.get("name") or f"Forum {forum_id}"),
                        type=str(kind.get("name") if isinstance(kind, dict) else kind or ""),
                        topic_count=to_int(data.get("topic_count")),
                    )
                )
            self._forums = forums
        return list(self._forums)

    def forum(self, scope: str | int) -> UserEchoForum:
        """The forum a scope names: its id, or its name (case-insensitive)."""
        wanted = str(scope).strip()
        forums = self.list_forums()
        if wanted.isdigit():
            found = [f for f in forums if f.id == int(wanted)]
        else:
            found = [f for f in forums if f.name.lower() == wanted.lower()]
        if not found:
            raise ForumNotFound(f"This UserEcho project has no forum “{wanted}”.")
        if len(found) > 1:
            raise ForumRejected(
                f"Several forums of this UserEcho project are called “{wanted}”: name it by "
                "its id instead."
            )
        return found[0]

    def forums_in(self, scope: str | int = "") -> list[UserEchoForum]:
        """Every forum, or the one ``scope`` names."""
        if scope in ("", None):
            return self.list_forums()
        return [self.forum(scope)]

    def forum_tags(self, forum: UserEchoForum) -> dict[int, str]:
        """TG1: one forum's tags, id -> name (read once per client, until a tag changes)."""
        if forum.id not in self._tags:
            self._tags[forum.id] = {
                int(t["id"]): str(t.get("name") or "")
                for t in self.pages(f"forums/{forum.id}/tags")
                if to_int(t.get("id")) is not None
            }
        return dict(self._tags[forum.id])

    # --- users: the record, and the trap every user action meets -------------------------------
    def _user(self, data: dict) -> ForumUser:
        user_id = int(to_int(data.get("id")) or 0)
        slug = str(data.get("slug") or "")
        rating = data.get("rating")
        return ForumUser(
            id=user_id,
            # UserEcho has no username: the profile slug is the name people and CSVs use.
            username=slug or str(user_id),
            name=str(first(data, "name", "display_name") or ""),  # trap 14
            email=str(data["email"]) if data.get("email") else None,
            reputation=int(rating) if isinstance(rating, int | float) else None,
            moderator=bool(data.get("is_staff")),  # an agent of the project
            created_at=dt(data.get("date_joined")),
            last_seen_at=dt(data.get("last_activity")),
        )

    def own_user(self) -> ForumUser:
        """U2: the token's own user (no acting parameter, so never someone else)."""
        if self._own is None:
            self._own = self._user(self._object(self.get("users/current"), "a user"))
        return self._own

    def confirm_user(self, user_id: int) -> ForumUser:
        """Trap 7 [D]: an unknown user id silently falls back to the token's own user, so a
        call "for #42" may answer (or act on) someone else. Every action on a user first reads
        the user and checks the answer is the one asked for."""
        user_id = int(user_id)
        if user_id <= ANONYMOUS_ID:
            raise ForumNotFound(f"UserEcho has no user #{user_id} (0 is the anonymous user).")
        try:
            answer = self.get(f"users/{user_id}")
        except ForumRejected as exc:
            # 1.5 / trap "error texts are unknown": a refusal in words Forumdeck does not know
            # may mean the user is gone. Re-read what must work (the token's own user): if it
            # answers, the forum is fine and it is this user it cannot give.
            self.own_user()
            raise ForumNotFound(
                f"UserEcho has no user #{user_id} now (it answered: {exc})."
            ) from None
        user = self._user(self._object(answer, "a user"))
        if user.id != user_id:
            raise ForumNotFound(
                f"UserEcho has no user #{user_id}: it answered with another account "
                f"(#{user.id}, the API token's own user), so nothing was sent for #{user_id}."
            )
        return user

    def _optional_route(self, capability: Capability, exc: ForumNotFound) -> CapabilityNotOffered:
        """A later-reference route this project does not have (its "no such command")."""
        self.found_routes[capability] = False
        route = self.optional_capabilities[capability]
        return CapabilityNotOffered(
            f"This UserEcho project does not offer this through its API ({route} is only in "
            f"UserEcho's later API reference and the project answered: {exc}). Nothing was "
            "changed."
        )

    # --- topics: the record --------------------------------------------------------------------
    def _topic(self, data: dict, *, forum: UserEchoForum | None = None) -> ForumTopic:
        """2.5 [D] P-TOPIC-C/U fields. `status` and `type` as an id or an object (trap 15),
        `comment_count` or `comments_count` (trap 14), tags as objects or bare ids; the forum
        from the list asked, else the topic's own `forum_id` ([C] export, trap 2)."""
        if forum is None:
            forum_id = ref_id(first(data, "forum_id", "forum"))
            if forum_id is not None:
                forum = next((f for f in self.list_forums() if f.id == forum_id), None)
        tags = []
        for tag in data.get("tags") or []:
            name = tag.get("name") if isinstance(tag, dict) else None
            if not name and forum is not None:  # a bare id: its name from the forum's list
                name = self.forum_tags(forum).get(ref_id(tag) or -1)
            tags.append(str(name) if name else f"#{ref_id(tag)}")
        return ForumTopic(
            id=int(to_int(data.get("id")) or 0),
            title=str(data.get("header") or ""),
            tags=tuple(tags),
            category_id=ref_id(data.get("category")),
            url=str(data.get("url") or ""),
            scope=forum.name if forum else "",
            status=ref_name(data.get("status")),
            comment_count=to_int(first(data, "comment_count", "comments_count")),
        )
