"""NodeBB's transport: `Authorization: Bearer`, write API under /api/v3, read API under /api/
(see shared/specs/nodebb). A master token acts as the uid in ``api_username`` via ``_uid``.

Every public method takes keyword-only arguments, hides pagination, unwraps the write API's
``{"status": ..., "response": ...}`` envelope and returns the neutral records of ``records.py``.
Request bodies carry exactly what ``write.yaml`` describes; ``_uid`` and the few fields the spec
omits travel in the query string. Every departure from the specs is listed, with the ENDPOINTS.md
line that justifies it, in ``tests/contract/nodebb_exemptions.py``. Nothing here sleeps: a 429
raises ``ForumRateLimited`` with the wait and the caller decides.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

from ..base import BaseClient
from ..errors import (
    ForumBadResponse,
    ForumError,
    ForumForbidden,
    ForumNotFound,
    ForumReauthRequired,
    ForumUnauthorized,
)
from ..platform import (
    ForumClient,
    PenaltyRules,
    PenaltyWords,
    PlatformWords,
    Rate,
    Setting,
    SettingsProblem,
)
from ..records import Capability, ForumUser, Penalty
from .capability_notes import CAPABILITY_NOTES

# The messages NodeBB gives (translated, or raw when a language key is missing) for an unknown
# uid: `[[error:invalid-uid]]` is answered with 401, which is not a credentials problem.
_INVALID_UID_MESSAGES = frozenset({"Invalid User ID", "[[error:invalid-uid]]"})

# Routes behind `middleware.requireAPIReAuth` (NodeBB 4.14.9+, ENDPOINTS.md "Re-auth"): a Bearer
# token never satisfies them, so they answer 401 exactly as a refused token does.
_REAUTH_ROUTES: tuple[tuple[frozenset[str], re.Pattern[str]], ...] = (
    (frozenset({"PUT", "DELETE"}),
     re.compile(r"^/api/v3/groups/administrators/membership/[^/]+/?$")),
    (frozenset({"PUT", "DELETE"}), re.compile(r"^/api/v3/groups/[^/]+/ownership/[^/]+/?$")),
    (frozenset({"POST"}), re.compile(r"^/api/v3/groups/administrators/invites/[^/]+/?$")),
    (frozenset({"PUT"}), re.compile(r"^/api/v3/users/\d+/password/?$")),
    (frozenset({"POST"}), re.compile(r"^/api/v3/users/\d+/(emails|tokens)/?$")),
    (frozenset({"POST"}), re.compile(r"^/api/v3/admin/(tokens|plugins/[^/]+)/?$")),
)  # fmt: skip

REAUTH_MESSAGE = (
    "NodeBB only allows this action after a fresh password login (re-authentication, "
    "NodeBB 4.14.7+), which is not possible with an API token. Do it in NodeBB's admin panel."
)
ADMINISTRATORS_REAUTH_MESSAGE = (
    "NodeBB only lets a freshly re-authenticated browser session change the members of the "
    "administrators group; this is not possible with an API token. Do it in NodeBB's admin panel."
)
MASTER_TOKEN_UID_MESSAGE = (
    "A NodeBB master token acts as a user: give that user's uid (a number), e.g. 1 for the "
    "first administrator."
)


# Language keys NodeBB answers untranslated (its language files lack them, or the error is
# thrown past the translator), in plain words. ENDPOINTS.md "call by call": "Messages such as
# `[[error:cant-delete-other-admins]]` come back untranslated: a client should turn the known
# keys into plain words rather than show them raw". Unknown keys are shown without brackets.
UNTRANSLATED: dict[str, str] = {
    "error:cant-delete-other-admins": "NodeBB does not let anyone delete an administrator's "
    "account (remove them from the administrators group first, in NodeBB's admin panel).",
    "error:cant-ban-other-admins": "NodeBB does not let anyone ban an administrator.",
    "error:cant-mute-other-admins": "NodeBB does not let anyone mute an administrator.",
    "error:no-privileges": "The user the token acts as lacks the privileges for this.",
    "error:invalid-uid": "NodeBB has no user with that id.",
    "error:no-user": "NodeBB has no such user.",
    "error:no-group": "NodeBB has no such group.",
    "error:no-topic": "NodeBB has no such topic.",
    "error:group-already-exists": "NodeBB already has a group with that name.",
    "error:invalid-data": "NodeBB found the data sent invalid.",
    "error:not-logged-in": "NodeBB did not accept the API token (not logged in).",
    "error:api.master-token-no-uid": "This is a NodeBB master token, which must name the uid "
    "it acts as: mark it as a master token and give that uid (e.g. 1) in the forum's settings.",
    "global:403.title": "NodeBB refused: the token's user may not see this.",
    "global:404.title": "NodeBB has no such page or item.",
    "global:500.title": "NodeBB had an internal error.",
}
_LANGUAGE_KEY = re.compile(r"\[\[([\w.-]+):([\w.-]+)((?:,[^\]]*)?)\]\]")


def language_key(message: str) -> str:
    """The key of a message that is nothing but one untranslated language key
    (``[[error:cant-delete-other-admins]]`` -> ``cant-delete-other-admins``), else ""."""
    match = _LANGUAGE_KEY.fullmatch(message.strip())
    return match.group(2) if match else ""


def plain_words(message: str) -> str:
    """NodeBB's message with every untranslated language key in plain words: a known key from
    ``UNTRANSLATED``, an unknown one without its brackets ("some-thing" -> "Some thing")."""

    def words(match: re.Match[str]) -> str:
        known = UNTRANSLATED.get(f"{match.group(1)}:{match.group(2)}")
        if known:
            return known
        text = re.sub(r"[-_.]+", " ", match.group(2)).strip()
        args = [a.strip() for a in match.group(3).split(",") if a.strip()]
        if args:
            text += f" ({', '.join(args)})"
        return text[:1].upper() + text[1:]

    return _LANGUAGE_KEY.sub(words, message).strip()


def ms_to_datetime(value: Any) -> datetime | None:
    """NodeBB stores times as milliseconds since the epoch; 0, empty or junk is None."""
    try:
        ms = float(value)
    except (TypeError, ValueError):
        return None
    if ms <= 0:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def datetime_to_ms(value: datetime) -> int:
    if value.tzinfo is None:
        raise ValueError("Pass an aware datetime (with a time zone), e.g. datetime.now(UTC).")
    return int(value.timestamp() * 1000)


# The oldest NodeBB release Forumdeck supports: 3.x and 4.x (README "Forums").
OLDEST_SUPPORTED = (3, 0)


def parse_release(version: str) -> tuple[int, int] | None:
    """``"4.15.1"`` -> (4, 15); "" or junk -> None."""
    match = re.match(r"\s*v?(\d+)\.(\d+)", str(version or ""))
    return (int(match.group(1)), int(match.group(2))) if match else None


def to_int(value: Any, default: int | None = None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def text(value: Any) -> str:
    """Free text from NodeBB; an untranslated default such as
    ``[[user:info.mute-reason-default]]`` means "no reason given"."""
    value = str(value or "").strip()
    return "" if re.fullmatch(r"\[\[[^\]]+\]\]", value) else value


def flag(value: Any) -> bool:
    """NodeBB mixes booleans, 0/1 and "0"/"1" for the same fields."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false")
    return bool(value)


class NodeBBBase(ForumClient):
    platform = "nodebb"
    software = "NodeBB"
    review_pages = (("flags", "/flags"), ("post queue", "/post-queue"))
    settings_schema = (
        Setting(
            "master_token",
            "Master token",
            help="The token is a master token (ACP → Settings → API access), so every call "
            "names the uid it acts as: fill in the acting uid too.",
            kind="flag",
        ),
    )
    capability_notes = CAPABILITY_NOTES
    documented_version = "4.15"
    capabilities = frozenset(
        {
            Capability.USER_SEARCH,
            Capability.USER_SUSPEND,
            Capability.USER_SILENCE,
            Capability.USER_DELETE,
            Capability.USER_DELETE_CONTENT,
            Capability.USER_BULK_DELETE,
            Capability.GROUPS,
            Capability.GROUP_MEMBERS,
            Capability.TAGS,
            Capability.TOPIC_RETAG,
            Capability.REVIEW_QUEUE,
            Capability.REVIEW_ITEMS,
        }
    )
    # Not offered, and why (the UI shows "not offered by this forum"):
    # - TAG_CREATE / TAG_RENAME / TAG_MERGE / TAG_DELETE: socket.io only (`admin.tags.*`),
    #   which needs a cookie session, never a Bearer token; site-wide changes are done by
    #   retagging every topic instead.
    # - GROUP_BATCH_MEMBERS: one uid per PUT/DELETE /groups/{slug}/membership/{uid}.
    # - BACKUPS, CALENDAR, TAG_GROUPS: NodeBB core has none (the calendar plugin lists events
    #   over socket.io only).
    # - USER_TRUST_LEVEL, USER_ANONYMIZE, USER_LOG_OUT...: Discourse concepts.
    # NodeBB core has no API rate limit (ENDPOINTS.md "Rate limits"): the pace is what a
    # self-hosted forum's server bears comfortably, several hundred calls a minute (a run sends
    # one call at a time, so even its first minute's burst comes as fast as the forum answers).
    default_pace = Rate(per_minute=600, window_seconds=60)
    words = PlatformWords(
        penalties={
            Penalty.SUSPEND: PenaltyWords("Ban", "banned", "Unban", "unbanned", "Ban"),
            Penalty.SILENCE: PenaltyWords("Mute", "muted", "Unmute", "unmuted", "Mute"),
        },
        standing="Reputation",
        standing_short="rep.",
        group_key="slug",
        rate_help="NodeBB core has no API limit: keep a pace the forum's server bears.",
        key_help="A token from ACP → Settings → API access (a user token, or a master token "
        "with the uid it acts as).",
        username_label="Acting uid",
        username_help="For a master token: the uid every call acts as (e.g. 1, the first "
        "administrator). Leave empty for a user token.",
        credentials_refused="NodeBB refused the API token: it is not valid, or it was revoked "
        "(for a master token, check the acting uid too). Check it (Edit this forum).",
        not_admin="The API token works, but acts as a user who is not a NodeBB administrator: "
        "use an administrator's token, or a master token acting as an administrator's uid.",
        # ENDPOINTS.md "list/search users (ACP)": searchBy username or email, matched from
        # the start of the value (the client searches e-mail when the query has an @).
        search_note="NodeBB matches only the start of a username, or with an @ the start of an "
        "e-mail address: it cannot find part of an address, such as “lopez” in "
        "maria.lopez@example.org.",
        extra={
            # What NodeBB's own documentation suggests instead (shown beside "not offered").
            "backups_hint": "NodeBB has no backup API. Its documentation (Upgrading NodeBB) "
            "says to back up the database itself (Redis: copy dump.rdb; MongoDB: mongodump; "
            "PostgreSQL: pg_dump) and the public/uploads folder, e.g. from a cron job on the "
            "forum's server.",
            "calendar_hint": "NodeBB core has no calendar. The nodebb-plugin-calendar plugin "
            "lists events over socket.io only, which an API token cannot use: its events stay "
            "on the forum's own /calendar page.",
        },
    )
    penalty_rules = {
        Penalty.SUSPEND: PenaltyRules(permanent_allowed=True, until_required=False),
        # mutedUntil is a time: NodeBB has no permanent mute.
        Penalty.SILENCE: PenaltyRules(permanent_allowed=False),
    }

    def __init__(
        self, *, master_token: bool | None = None, forum_version: str = "", **kwargs: Any
    ) -> None:
        # ``master_token=`` is a shorthand for ``settings={"master_token": ...}``;
        # ``forum_version=`` the NodeBB version when already known (see forum_release).
        super().__init__(**kwargs)
        if master_token is not None:
            self.settings["master_token"] = bool(master_token)
        if forum_version:
            self.__dict__["_forum_version"] = forum_version

    @property
    def master_token(self) -> bool:
        return bool(self.settings.get("master_token"))

    @classmethod
    def validate_settings(
        cls,
        *,
        base_url: str,
        api_username: str,
        settings: dict[str, Any] | None = None,
        stored: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        checked = super().validate_settings(
            base_url=base_url, api_username=api_username, settings=settings, stored=stored
        )
        if checked["settings"]["master_token"] and not checked["api_username"].isdigit():
            raise SettingsProblem({"api_username": MASTER_TOKEN_UID_MESSAGE})
        return checked

    # --- plumbing ----------------------------------------------------------------------------
    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"}

    def request(self, method: str, path: str, *, params: Any = None, **kwargs: Any) -> Any:
        if self.master_token and not str(self.api_username).strip().isdigit():
            # NodeBB answers a master token with an empty or odd `_uid` with a 500 ("Failed to
            # serialize user into session"): say what is missing instead of sending it.
            raise ForumUnauthorized(MASTER_TOKEN_UID_MESSAGE)
        if self.master_token:
            # A master token must name the acting uid on every call; the query string keeps
            # request bodies exactly as the spec describes them.
            params = dict(params or {})
            params.setdefault("_uid", self.api_username)
        try:
            return super().request(method, path, params=params, **kwargs)
        except ForumReauthRequired:
            raise
        except (ForumForbidden, ForumNotFound) as exc:
            # The ACP routes refuse a non-administrator (403), and an address that is not
            # NodeBB has none (404), not even a user's: ask what is wrong, so the failure
            # reads as the health check words it (a user really missing stays "not found").
            if path.startswith("/api/admin/") or (
                isinstance(exc, ForumNotFound) and path.startswith("/api/v3/users/")
            ):
                raise self.explained(exc) from None
            raise
        except ForumUnauthorized as exc:
            if self._is_reauth_route(method, path) and self._token_works():
                message = (
                    ADMINISTRATORS_REAUTH_MESSAGE
                    if "/groups/administrators/" in path
                    else REAUTH_MESSAGE
                )
                raise ForumReauthRequired(message, status=exc.status) from None
            raise

    @staticmethod
    def _is_reauth_route(method: str, path: str) -> bool:
        path = path.split("?", 1)[0]
        return any(
            method.upper() in methods and pattern.match(path) for methods, pattern in _REAUTH_ROUTES
        )

    def _token_works(self) -> bool:
        """A re-auth route and a refused token both answer 401; /api/self tells them apart."""
        try:
            super().request("GET", "/api/self", params=self._uid_params())
        except ForumError:
            return False
        return True

    def _uid_params(self) -> dict[str, str] | None:
        return {"_uid": self.api_username} if self.master_token else None

    def raise_for_status(self, response: requests.Response) -> None:
        if response.status_code < 400:
            return super().raise_for_status(response)
        raw = self._raw_message(self._try_json(response))
        if response.status_code == 401 and raw in _INVALID_UID_MESSAGES:
            raise ForumNotFound("NodeBB has no user with that id.", status=404,
                                code="invalid-uid")  # fmt: skip
        try:
            super().raise_for_status(response)
        except ForumError as exc:
            # The language key, where NodeBB left one untranslated: callers branch on it.
            exc.code = exc.code or language_key(raw)
            raise

    @staticmethod
    def _raw_message(payload: Any) -> str:
        """NodeBB's own message: the write API's ``status.message``, or a read API error
        page's ``error`` (often an untranslated ``[[error:...]]`` key)."""
        if isinstance(payload, dict):
            status = payload.get("status")
            if isinstance(status, dict) and status.get("message"):
                return str(status["message"])
            if isinstance(payload.get("error"), str):
                return payload["error"]
        return ""

    def error_message(self, response: requests.Response, payload: Any) -> str:
        return plain_words(self._raw_message(payload))

    def _write(
        self, method: str, path: str, *, params: dict | None = None, body: Any = None
    ) -> Any:
        """A write API call, unwrapped from its ``{"status", "response"}`` envelope."""
        payload = self.request(method, path, params=params, json_body=body)
        if payload is None:
            return None
        if not isinstance(payload, dict) or "status" not in payload:
            raise ForumBadResponse("NodeBB's write API answered without its status envelope.")
        return payload.get("response")

    def _read(self, path: str, *, params: dict | list | None = None) -> dict:
        payload = self.request("GET", path, params=params)
        if not isinstance(payload, dict):
            raise ForumBadResponse("NodeBB's read API answered something other than an object.")
        return payload

    def _read_list(self, path: str, params: list[tuple[str, Any]]) -> dict:
        # Repeatable query parameters (filters=banned&filters=muted) need a list of pairs; the
        # `_uid` pair is already in it, so bypass the dict-based injection in request().
        try:
            payload = BaseClient.request(self, "GET", path, params=params)
        except (ForumForbidden, ForumNotFound) as exc:
            if path.startswith("/api/admin/"):
                raise self.explained(exc) from None
            raise
        if not isinstance(payload, dict):
            raise ForumBadResponse("NodeBB's read API answered something other than an object.")
        return payload

    @staticmethod
    def _seg(value: Any) -> str:
        return quote(str(value), safe="@")

    # --- the forum's release ----------------------------------------------------------------
    def forum_release(self) -> tuple[int, int]:
        """(major, minor) of the forum's NodeBB, read once per client from the ACP dashboard
        (what the health check shows); ``forum_version=`` given to the client saves the call.
        Unknown (not readable): taken as the documented release, the newest behaviour."""
        if "_release" not in self.__dict__:
            version = self.__dict__.get("_forum_version") or ""
            if not version:
                try:
                    version = str(self._read("/api/admin/dashboard").get("version") or "")
                except ForumError:
                    version = ""
            self.__dict__["_release"] = (
                parse_release(version) or parse_release(self.documented_version) or (4, 15)
            )
        return self.__dict__["_release"]

    def _acting_uid(self) -> int | None:
        """The uid the token acts as: a master token names it, a user token is asked
        (/api/self, ENDPOINTS.md "call by call": a cheap check of whom the token acts as)."""
        if "_acting" not in self.__dict__:
            uid: int | None = None
            if self.master_token:
                uid = to_int(str(self.api_username).strip())
            else:
                try:
                    uid = to_int(self._read("/api/self", params=None).get("uid"))
                except ForumError:
                    uid = None
            self.__dict__["_acting"] = uid if uid and uid > 0 else None
        return self.__dict__["_acting"]

    # --- records -----------------------------------------------------------------------------
    def _user(self, data: dict, *, ban_reason: str = "") -> ForumUser:
        slug = str(data.get("userslug") or "")
        expire = data.get("banned:expire", data.get("banned_until"))
        banned = flag(data.get("banned"))
        muted_until = ms_to_datetime(data.get("mutedUntil"))
        muted = flag(data.get("muted")) or bool(muted_until and muted_until > datetime.now(tz=UTC))
        fullname = str(data.get("fullname") or "")
        groups = {
            str(g.get("name") if isinstance(g, dict) else g) for g in data.get("groups") or []
        }
        return ForumUser(
            id=int(data.get("uid") or 0),
            username=str(data.get("username") or ""),
            name=fullname,
            email=str(data["email"]) if data.get("email") else None,
            reputation=to_int(data.get("reputation")),
            admin=flag(data.get("administrator"))
            or flag(data.get("isTargetAdmin"))
            or "administrators" in groups,
            moderator=flag(data.get("isGlobalModerator")) or "Global Moderators" in groups,
            suspended=banned,
            suspended_until=ms_to_datetime(expire) if banned else None,
            suspend_reason=text(ban_reason or data.get("banReason")) if banned else "",
            silenced=muted,
            silenced_until=muted_until if muted else None,
            silence_reason=text(data.get("mutedReason")) if muted else "",
            created_at=ms_to_datetime(data.get("joindate")),
            last_seen_at=ms_to_datetime(data.get("lastonline")),
            post_count=to_int(data.get("postcount")),
            profile_url=f"{self.base_url}/user/{quote(slug)}" if slug else "",
        )
