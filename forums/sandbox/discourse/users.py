"""The sandbox Discourse: accounts: lists, profiles, lookups, penalties and deletion.

Part of ``DiscourseSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core import json_response
from . import seed as data
from .common import (
    AVATAR,
    CANNOT_BULK_DELETE,
    FILTER_SPLIT,
    MAX_FILTER_TERMS,
    MAX_STAFF_DELETE_POST_COUNT,
    PENALTY_REASON_MAX,
    TRUST_LEVEL_NAMES,
    USERS_PER_PAGE,
    active_record_int,
    comma_list,
    error,
    failed,
    invalid_access,
    invalid_params,
    iso,
    params_of,
    parse_time,
    truthy,
)


class DiscourseUsers:
    """A part of the app (mixed in): state, lock and config are the app's."""

    def add_person(self, *, username: str, email: str, name: str = "") -> int:
        """A new account (trust level 0, no posts) for tests and the demo; returns its id."""
        with self.lock:
            if self.find_user(username) is not None:
                raise ValueError(f"username {username!r} is taken")
            if self.users.find("email", email) is not None:
                raise ValueError(f"e-mail {email!r} is taken")
            uid = self.next_user_id
            self.next_user_id += 1
            now = datetime.now(UTC).replace(microsecond=0)
            self.users[uid] = {
                "id": uid, "username": username, "name": name, "email": email,
                "trust_level": 0, "active": True, "approved": True, "admin": False,
                "moderator": False, "staged": False, "created_at": now, "last_seen_at": now,
                "post_count": 0, "topic_count": 0, "ip_address": "198.51.100.77",
                "suspended_till": None, "suspended_at": None, "suspend_reason": "",
                "silenced_till": None, "silenced_at": None, "silence_reason": "",
                "first_post_at": None, "manual_locked_trust_level": None,
                "category_levels": {}, "tag_levels": {},
            }  # fmt: skip
            return uid

    def suspended(self, user: dict[str, Any]) -> bool:
        return bool(user["suspended_till"] and user["suspended_till"] > datetime.now(UTC))

    def silenced(self, user: dict[str, Any]) -> bool:
        return bool(user["silenced_till"] and user["silenced_till"] > datetime.now(UTC))

    def find_user(self, username: str) -> dict[str, Any] | None:
        return self.users.find("username", username)  # the username_lower index

    def avatar(self, user: dict[str, Any]) -> str:
        return AVATAR.format(initial=(user["username"][:1] or "x").lower())

    def basic_user(self, user: dict[str, Any]) -> dict[str, Any]:
        return {"id": user["id"], "username": user["username"], "name": user["name"] or "",
                "avatar_template": self.avatar(user)}  # fmt: skip

    def _penalties(self, user: dict[str, Any]) -> dict[str, Any]:
        """Fields Discourse adds only while a penalty is in force."""
        extra: dict[str, Any] = {}
        if self.suspended(user):
            extra.update(suspended_at=iso(user["suspended_at"]),
                         suspended_till=iso(user["suspended_till"]),
                         suspend_reason=user["suspend_reason"])  # fmt: skip
        if self.silenced(user):
            extra.update(silenced_till=iso(user["silenced_till"]))
        return extra

    def admin_list_user(self, user: dict[str, Any], *, show_emails: bool) -> dict[str, Any]:
        now = datetime.now(UTC)
        out = copy.deepcopy(data.ADMIN_USER_LIST_ITEM)
        out.update(self._admin_common(user, now))
        if show_emails:
            out["email"] = user["email"]
            out["secondary_emails"] = []
        if self.silenced(user):
            out["silence_reason"] = user["silence_reason"]
        out.update(self._penalties(user))
        return out

    def _admin_common(self, user: dict[str, Any], now: datetime) -> dict[str, Any]:
        seen = user["last_seen_at"]
        if self.config.must_approve_users:
            return self._admin_fields(user, now, seen) | {"approved": user["approved"]}
        return self._admin_fields(user, now, seen)

    def _admin_fields(self, user: dict[str, Any], now: datetime, seen) -> dict[str, Any]:
        return {
            **self.basic_user(user),
            "name": user["name"] or None,
            "active": user["active"],
            "admin": user["admin"],
            "moderator": user["moderator"],
            "last_seen_at": iso(seen),
            "last_emailed_at": iso(seen),
            "created_at": iso(user["created_at"]),
            "last_seen_age": round((now - seen).total_seconds(), 1) if seen else None,
            "last_emailed_age": round((now - seen).total_seconds(), 1) if seen else None,
            "created_at_age": round((now - user["created_at"]).total_seconds(), 1),
            "trust_level": user["trust_level"],
            "staged": user["staged"],
            "post_count": user["post_count"],
            "days_visited": max(1, (seen - user["created_at"]).days // 3) if seen else 0,
            "posts_read_count": user["post_count"] * 7,
            "topics_entered": user["topic_count"] * 3,
            "time_read": user["post_count"] * 60,
        }

    def admin_user_detail(self, user: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC)
        out = copy.deepcopy(data.ADMIN_USER)
        out.update(self._admin_common(user, now))
        staff = user["admin"] or user["moderator"]
        out.update(
            can_activate=not user["active"], can_deactivate=user["active"],
            can_send_activation_email=not user["active"], ip_address=user["ip_address"],
            registration_ip_address=user["ip_address"], topic_count=user["topic_count"],
            can_be_deleted=not staff, can_be_anonymized=not staff, can_delete_all_posts=not staff,
            approved_by=self.basic_user(self.users[-1]),
            full_suspend_reason=user["suspend_reason"] if self.suspended(user) else None,
            groups=[self.user_group(g) for g in self.groups.values()
                    if self.is_member(g, user)],
            external_ids={}, include_ip=True,
        )  # fmt: skip
        if self.silenced(user):
            out.update(silence_reason=user["silence_reason"],
                       full_silence_reason=user["silence_reason"])  # fmt: skip
            by = self.users.get(user.get("silenced_by"))
            out["silenced_by"] = self.basic_user(by) if by else None
        if self.suspended(user):
            by = self.users.get(user.get("suspended_by"))
            out["suspended_by"] = self.basic_user(by) if by else None
        out.update(self._penalties(user))
        return out

    def profile(self, user: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(data.USER_PROFILE)
        out.update(
            {k: v for k, v in self._admin_common(user, datetime.now(UTC)).items() if k in out}
        )
        out.update(
            name=user["name"] or "", topic_count=user["topic_count"],
            last_posted_at=iso(user["last_seen_at"]),
            groups=[self.user_group(g) for g in self.groups.values()
                    if self.is_member(g, user) and g["visibility_level"] == 0],
            can_be_deleted=not (user["admin"] or user["moderator"]),
        )  # fmt: skip
        out["user_option"]["user_id"] = user["id"]
        # The user's own CategoryUser / TagUser rows (what group defaults create and a group
        # update with update_existing_users=true deletes).
        levels = data.NOTIFICATION_LEVELS
        categories, tags = user["category_levels"], user["tag_levels"]
        for key, level in (("muted_category_ids", "muted"), ("regular_category_ids", "regular"),
                           ("tracked_category_ids", "tracking"),
                           ("watched_category_ids", "watching"),
                           ("watched_first_post_category_ids", "watching_first_post")):  # fmt: skip
            out[key] = sorted(c for c, v in categories.items() if v == levels[level])
        for key, level in (("muted_tags", "muted"), ("tracked_tags", "tracking"),
                           ("watched_tags", "watching"),
                           ("watching_first_post_tags", "watching_first_post")):  # fmt: skip
            out[key] = sorted(t for t, v in tags.items() if v == levels[level])
        out.update(self._penalties(user))
        return {"user_badges": [], "user": out}

    def admin_users_all(self, request: Request) -> Response:
        return self.admin_users_list(request, flag="active")

    def _filter_users(
        self, users: list[dict[str, Any]], raw: str
    ) -> list[dict[str, Any]] | Response:
        """``AdminUserIndexQuery#filter_by_search`` (an IP filter is not modelled), through the
        user table's trigram and e-mail indexes, as Discourse's database answers it."""
        terms = [t for t in FILTER_SPLIT.split(raw) if t]
        if not terms:
            return users
        if len(terms) > MAX_FILTER_TERMS:
            # ENDPOINTS.md "Rules" / user list filter: more than 100 terms is 400
            return invalid_params("filter")
        terms = [t.lower() for t in terms]
        if len(terms) == 1:
            term = terms[0]
            if re.fullmatch(r".+@.+", term):
                exact_ids = {u["id"] for u in self.users.find_all("email", term)}
                exact = [u for u in users if u["id"] in exact_ids]
                if exact:
                    return exact  # filter_by_username_or_email: an exact address wins
            found = self.users.containing(term)
            return [u for u in users if u["id"] in found]
        # ENDPOINTS.md "Rules" / user list filter: several terms are a substring match on
        # username and e-mail, plus exact e-mail matches, not an exact match
        found = set()
        for term in terms:
            found |= self.users.containing(term)
            if re.fullmatch(r".+@.+", term):
                found |= {u["id"] for u in self.users.find_all("email", term)}
        return [u for u in users if u["id"] in found]

    def admin_users_list(self, request: Request, flag: str) -> Response:
        """``AdminUserIndexQuery``: ``active``/``new`` only order; the others filter."""
        p = params_of(request)
        try:
            page = max(int(p.get("page") or 1), 1)
        except ValueError:
            return error(400, "page must be a number")
        with self.lock:
            order = str(p.get("order") or "")
            if (
                flag == "active"
                and order == "created"
                and not p.get("email")
                and not str(p.get("filter") or "").strip()
            ):
                # Every account, oldest first (group add's read): sorted once, not per page.
                users = self.state.users_by_created(ascending=truthy(p.get("asc")))
                chunk = users[(page - 1) * USERS_PER_PAGE : page * USERS_PER_PAGE]
                show = truthy(p.get("show_emails"))
                return json_response([self.admin_list_user(u, show_emails=show) for u in chunk])
            users = [u for u in self.users.values() if u["id"] > 0]
            if flag == "staff":
                users = [u for u in users if u["admin"] or u["moderator"]]
            elif flag == "admins":
                users = [u for u in users if u["admin"]]
            elif flag == "moderators":
                users = [u for u in users if u["moderator"]]
            elif flag == "suspended":
                users = [u for u in users if self.suspended(u)]
            elif flag == "silenced":
                users = [u for u in users if self.silenced(u)]
            elif flag == "pending":
                users = [
                    u for u in users if not u["approved"] and u["active"] and not self.suspended(u)
                ]
            elif flag == "staged":
                users = [u for u in users if u["staged"]]
            elif flag in TRUST_LEVEL_NAMES:
                users = [u for u in users if u["trust_level"] == TRUST_LEVEL_NAMES[flag]]
            if p.get("email"):
                wanted_email = str(p["email"]).strip().lower()
                users = [u for u in users if u["email"].lower() == wanted_email]
            elif str(p.get("filter") or "").strip():
                filtered = self._filter_users(users, str(p["filter"]).strip())
                if isinstance(filtered, Response):
                    return filtered
                users = filtered
            keys = {
                "created": lambda u: u["created_at"],
                "seen": lambda u: u["last_seen_at"] or self.now,
                "username": lambda u: u["username"].lower(),
                "email": lambda u: u["email"].lower(),
                "trust_level": lambda u: u["trust_level"],
                "posts": lambda u: u["post_count"],
            }
            key = keys.get(order) or (keys["seen"] if flag == "active" else keys["created"])
            users.sort(key=lambda u: (key(u), u["id"]), reverse=not truthy(p.get("asc")))
            chunk = users[(page - 1) * USERS_PER_PAGE : page * USERS_PER_PAGE]
            show = truthy(p.get("show_emails"))
            return json_response([self.admin_list_user(u, show_emails=show) for u in chunk])

    def _user_or_404(self, request: Request, user_id: int) -> dict[str, Any] | Response:
        user = self.users.get(user_id)
        return user if user is not None else self.not_found(request)

    def admin_user(self, request: Request, user_id: int) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            return json_response(self.admin_user_detail(user))

    def user_profile(self, request: Request, username: str) -> Response:
        with self.lock:
            user = self.find_user(username)
            if user is None:
                # ENDPOINTS.md "Rules" / answers S leaves out: an unknown name is 404.
                return self.not_found(request)
            return json_response(self.profile(user))

    @staticmethod
    def _penalty_contract(p: dict[str, Any], till_key: str) -> tuple[datetime, str] | Response:
        """The params block of User::Suspend / User::Silence; full messages as Rails words them."""
        problems = []
        reason = str(p.get("reason") or "")
        if not reason.strip():
            problems.append("Reason can't be blank")
        elif len(reason) > PENALTY_REASON_MAX:
            # ENDPOINTS.md "Rules" / suspend / silence: reason at most 300 characters, else 400
            problems.append(f"Reason is too long (maximum is {PENALTY_REASON_MAX} characters)")
        label = till_key.replace("_", " ").capitalize()
        until = parse_time(p.get(till_key))
        if until is None:
            problems.append(f"{label} can't be blank")  # a value that is no date casts to nil
        post_action = str(p.get("post_action") or "")
        if post_action and post_action not in ("delete", "delete_replies", "edit"):
            problems.append("Post action is not included in the list")
        if problems:
            # ENDPOINTS.md "Rules" / suspend / silence: reason required, else 400
            # {failed:"FAILED", errors:[…]}
            return failed(400, errors=problems)
        return until, reason  # type: ignore[return-value]

    def _penalise(self, request: Request, user_id: int, kind: str) -> Response:
        """User::Suspend / User::Silence: contract, then the user, then the two policies."""
        till_key = "suspend_until" if kind == "suspend" else "silenced_till"
        parsed = self._penalty_contract(params_of(request), till_key)
        if isinstance(parsed, Response):
            return parsed
        until, reason = parsed
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            actor = self.acting(request)
            already = self.suspended(user) if kind == "suspend" else self.silenced(user)
            if already:
                done = "suspended" if kind == "suspend" else "silenced"
                by = self.users.get(user.get(f"{done}_by")) or self.users[-1]
                # ENDPOINTS.md "Rules" / suspend / silence: already penalised is 409
                # {failed, message}
                return failed(409, message=f"This user was already {done} by {by['username']}.")
            if user["admin"] or user["moderator"] or not self._is_staff(actor):
                # ENDPOINTS.md "Rules" / suspend / silence: staff targets are 403
                return invalid_access()
            now = datetime.now(UTC)
            if kind == "suspend":
                user.update(suspended_till=until, suspended_at=now, suspend_reason=reason,
                            suspended_by=actor["id"])  # fmt: skip
                # ENDPOINTS.md "Rules" / suspend / silence: success is {suspension:{…}}
                return json_response(
                    {"suspension": {"suspend_reason": reason, "full_suspend_reason": reason,
                                    "suspended_till": iso(until), "suspended_at": iso(now),
                                    "suspended_by": self.basic_user(actor)}}
                )  # fmt: skip
            user.update(silenced_till=until, silenced_at=now, silence_reason=reason,
                        silenced_by=actor["id"])  # fmt: skip
            return json_response(
                {"silence": {"silenced": True, "silence_reason": reason,
                             "full_silence_reason": reason, "silenced_till": iso(until),
                             "silenced_at": iso(now), "silenced_by": self.basic_user(actor)}}
            )  # fmt: skip

    def user_suspend(self, request: Request, user_id: int) -> Response:
        return self._penalise(request, user_id, "suspend")

    def user_silence(self, request: Request, user_id: int) -> Response:
        return self._penalise(request, user_id, "silence")

    def user_unsuspend(self, request: Request, user_id: int) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            if user["admin"] or user["moderator"]:
                return invalid_access()  # guardian.ensure_can_suspend!
            user.update(suspended_till=None, suspended_at=None, suspend_reason="")
            # ENDPOINTS.md "Rules" / unsuspend / unsilence: {suspension:{suspended_till:null,
            # suspended_at:null}}
            return json_response({"suspension": {"suspended_till": None, "suspended_at": None}})

    def user_unsilence(self, request: Request, user_id: int) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            user.update(silenced_till=None, silenced_at=None, silence_reason="")
            # ENDPOINTS.md "Rules" / unsuspend / unsilence: {unsilence:{silenced:false,…}}
            return json_response(
                {"unsilence": {"silenced": False, "silence_reason": None, "silenced_till": None,
                               "silenced_at": None}}
            )  # fmt: skip

    def user_log_out(self, request: Request, user_id: int) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            return json_response({"success": "OK"})

    @staticmethod
    def _is_staff(user: dict[str, Any]) -> bool:
        return bool(user["admin"] or user["moderator"])

    def _guarded(self, request: Request, user_id: int, allowed, changes: dict[str, Any],
                 answer: Response | None = None) -> Response:  # fmt: skip
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            if not (self._is_staff(self.acting(request)) and allowed(user)):
                return invalid_access()
            user.update(changes)
            return answer if answer is not None else json_response({"success": "OK"})

    def user_approve(self, request: Request, user_id: int) -> Response:
        # ENDPOINTS.md "Rules" / approve / activate / deactivate: approve needs an active, not
        # yet approved user (else 403 invalid_access) and answers 200 with an empty body
        return self._guarded(
            request, user_id, lambda u: u["active"] and not u["approved"], {"approved": True},
            Response(b"", status=200, content_type="text/html; charset=utf-8"),
        )  # fmt: skip

    def user_activate(self, request: Request, user_id: int) -> Response:
        # ENDPOINTS.md "Rules" / approve / activate / deactivate: activate needs an inactive user
        return self._guarded(request, user_id, lambda u: not u["active"], {"active": True})

    def user_deactivate(self, request: Request, user_id: int) -> Response:
        # ENDPOINTS.md "Rules" / approve / activate / deactivate: deactivate needs a non-staff
        # user (can_deactivate? is can_suspend?)
        return self._guarded(request, user_id, lambda u: not self._is_staff(u), {"active": False})

    def user_trust_level(self, request: Request, user_id: int) -> Response:
        raw = params_of(request).get("level")
        level = active_record_int(str(raw)) if raw is not None else None
        level = level or 0  # params[:level].to_i: a missing or odd level is 0
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            if level not in range(5):
                return invalid_params("level")  # User#change_trust_level!: TrustLevel.valid?
            # ENDPOINTS.md "Rules" / trust level: levels 0-2 may set manual_locked_trust_level
            # (when the user already meets the next level, i.e. is being held back)
            if user["manual_locked_trust_level"] is None and user["trust_level"] > level <= 2:
                user["manual_locked_trust_level"] = level
            user["trust_level"] = level
            serialized = self.admin_list_user(user, show_emails=False)
            serialized["manual_locked_trust_level"] = user["manual_locked_trust_level"]
            # ENDPOINTS.md "Rules" / trust level: answers {admin_user:{…}}
            return json_response({"admin_user": serialized})

    def user_anonymize(self, request: Request, user_id: int) -> Response:
        with self.lock:
            user = self._user_or_404(request, user_id)
            if isinstance(user, Response):
                return user
            if user["admin"] or user["moderator"]:
                return invalid_access()
            name = f"anon{self._random.getrandbits(32):08x}"
            user.update(username=name, name="", email=f"{name}@anonymized.invalid")
            return json_response({"success": "OK", "username": name})

    def _remove_user(self, user_id: int) -> None:
        self.users.pop(user_id, None)
        for group in self.groups.values():
            group["members"].pop(user_id, None)
            group["member_levels"].pop(user_id, None)
            group["owners"].discard(user_id)

    def can_delete_user(self, actor: dict[str, Any], user: dict[str, Any] | None) -> bool:
        """``UserGuardian#can_delete_user?`` for a staff member deleting someone else."""
        # ENDPOINTS.md "Rules" / delete one user: every admin is refused; moderators can be
        # deleted
        if user is None or user["admin"]:
            return False
        if not self._is_staff(actor):
            return False
        first = user["first_post_at"]
        max_age = timedelta(days=int(self.config.delete_user_max_post_age))
        # ENDPOINTS.md "Rules" / delete one user: more than 5 posts with a first post older
        # than delete_user_max_post_age is refused, even with delete_posts
        return (
            first is None
            or user["post_count"] <= MAX_STAFF_DELETE_POST_COUNT
            or first > datetime.now(UTC) - max_age
        )

    def admin_user_delete(self, request: Request, user_id: int) -> Response:
        p = params_of(request)
        with self.lock:
            user = self.users.get(user_id)
            if not self.can_delete_user(self.acting(request), user):
                # ENDPOINTS.md "Rules" / delete one user: a missing user is 403, not 404
                # (can_delete_user?(nil) is false), like an admin or a long-time poster
                return invalid_access()
            assert user is not None
            if user["post_count"] and not truthy(p.get("delete_posts")):
                # ENDPOINTS.md "Rules" / delete one user: with posts and no delete_posts, 403
                # {deleted:false, message} with no `errors` key
                return json_response(
                    {"deleted": False,
                     "message": f"User {user['username']} has {user['post_count']} posts, so "
                                "they can't be deleted."},
                    403,
                )  # fmt: skip
            if user.get("destroy_fails"):
                # ENDPOINTS.md "Rules" / delete one user: 200 {deleted:false, user} is a failure
                return json_response({"deleted": False, "user": self.admin_user_detail(user)})
            self._remove_user(user_id)
            return json_response({"deleted": True})

    def admin_users_destroy_bulk(self, request: Request) -> Response:
        p = params_of(request)
        raw = p.get("user_ids")
        values = raw if isinstance(raw, list) else comma_list(raw)
        # ENDPOINTS.md "Rules" / bulk delete: 1..100 user_ids per call (over 100: the contract
        # fails, 400 {failed, errors})
        if len(values) > 100:
            return failed(400, errors=["User ids is too long (maximum is 100 characters)"])
        ids = [i for i in (active_record_int(str(v)) for v in values) if i is not None]
        with self.lock:
            found = [self.users[i] for i in dict.fromkeys(ids) if i in self.users and i > 0]
            if not found:
                # ENDPOINTS.md "Rules" / bulk delete: no ids (no users found) gives 404
                return failed(404)
            actor = self.acting(request)
            if not all(self.can_delete_user(actor, u) for u in found):
                # ENDPOINTS.md "Rules" / bulk delete: all or nothing, one user who cannot be
                # deleted refuses the whole batch with 403
                return failed(403, errors=[CANNOT_BULK_DELETE])
            for user in found:
                if not user.get("destroy_fails"):  # a failure is reported on MessageBus only
                    self._remove_user(user["id"])
        # ENDPOINTS.md "Rules" / bulk delete: success is {deleted:true}; block_ip_and_email is
        # ignored (older versions) and posts are always deleted
        return json_response({"deleted": True})
