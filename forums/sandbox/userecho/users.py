"""The sandbox UserEcho: accounts: lists, profiles, lookups, penalties and deletion.

Part of ``UserEchoSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

import copy
from typing import Any

from werkzeug.wrappers import Request, Response

from .common import (
    ANONYMOUS_ID,
    EMAIL,
    _avatar,
    _now,
)
from .seed import (
    new_user,
)


class UserEchoUsers:
    """A part of the app (mixed in): state, lock and config are the app's."""

    def add_person(self, *, username: str, email: str, name: str = "") -> int:
        """A new user (joined now, verified e-mail, no topics) for tests and the demo; UserEcho
        has no username, so ``username`` becomes the profile slug. Returns the id."""
        with self.lock:
            if self.state.user_by_email(email):
                raise ValueError(f"e-mail {email!r} is taken")
            if self.state.users.find("slug", username) is not None:
                raise ValueError(f"slug {username!r} is taken")
            user = new_user(
                self.state, name=name or username, email=email, slug=username, joined=_now()
            )
            return user["id"]

    def path_user(self, request: Request, user_id: int) -> dict[str, Any] | Response:
        """The user a path names; an unknown id answers for the token's own user when
        ``path_user_fallback`` is on (trap 7 extended to paths [I]), else 404."""
        user = self.state.users.get(user_id)
        if user is None and self.config.path_user_fallback:
            user = self.state.users.get(self.token_user(request))
        if user is None:
            return self.fail("not_found", f"User {user_id} not found")
        return user

    def user_by_guid(self, guid: str) -> dict[str, Any] | None:
        return self.state.users.find("sso_guid", guid)

    def user_data(self, user: dict[str, Any]) -> dict[str, Any]:
        """2.1 [D] P-GOC fields; `display_name` and `updates_count` from the INTRO sample."""
        name = user["name"]
        data: dict[str, Any] = {
            "id": user["id"],
            "name_and_title": f"{name}, {user['title']}" if user["title"] else name,
            "title": user["title"],
            "slug": user["slug"],
            "email": user["email"],
            "avatar_url": _avatar(user["email"] or user["slug"]),
            "language": user["language"],
            "rating": user["rating"],
            "is_staff": user["is_staff"],
            "is_authenticated": True,
            "last_activity": user["last_activity"],
            "date_joined": user["date_joined"],
            "updates_count": user["updates_count"],
        }
        if self.names("reference"):
            data["name"] = name
        if self.names("alternate"):
            data["display_name"] = name
        return data

    def anonymous_data(self) -> dict[str, Any]:
        data = {
            "id": ANONYMOUS_ID,
            "title": "",
            "slug": "",
            "email": "",
            "avatar_url": "",
            "language": "en",
            "rating": 0.0,
            "is_staff": False,
            "is_authenticated": False,
        }
        if self.names("reference"):
            data["name"] = "Anonymous"
        if self.names("alternate"):
            data["display_name"] = "Anonymous"
        return data

    def author_data(self, user_id: int | None) -> dict[str, Any]:
        """P-TOPIC-C [D] {id, name, title, avatar_url}; [C] DA:658 reads `email` too."""
        user = self.state.users.get(user_id or -1)
        if user is None:
            return {
                "id": ANONYMOUS_ID,
                "name": "Anonymous",
                "title": "",
                "avatar_url": "",
                "email": "",
            }
        return {
            "id": user["id"],
            "name": user["name"],
            "title": user["title"],
            "avatar_url": _avatar(user["email"] or user["slug"]),
            "email": user["email"],
        }

    @staticmethod
    def user_fields(user: dict[str, Any]) -> dict[str, Any]:
        return {
            k: user[k]
            for k in (
                "id",
                "name",
                "slug",
                "email",
                "language",
                "rating",
                "is_staff",
                "date_joined",
                "last_activity",
            )
        } | {"display_name": user["name"], "created": user["date_joined"]}

    # === 2.1 users ==========================================================================
    def users_list(self, request: Request) -> Response:
        return self.listing(
            request, self.state.users.values(), fields=self.user_fields, shape=self.user_data
        )

    def user_current(self, request: Request) -> Response:
        acting = self.acting(request)  # U2 [D]: the token's user, or the one acted as
        if acting == ANONYMOUS_ID:
            return self.ok(self.anonymous_data())
        return self.ok(self.user_data(self.state.users[acting]))

    def user_get(self, request: Request, user_id: int) -> Response:
        user = self.path_user(request, user_id)
        return user if isinstance(user, Response) else self.ok(self.user_data(user))

    def user_by_sso(self, request: Request, sso_guid: str) -> Response:
        user = self.user_by_guid(sso_guid)
        if user is None:
            return self.fail("not_found", f"User with SSO guid {sso_guid} not found")
        return self.ok(self.user_data(user))

    def user_logout(self, request: Request, user_id: int) -> Response:
        """U5 [D] "Clear all sessions for selected user": a GET with a side effect (trap 8)."""
        with self.lock:
            user = self.path_user(request, user_id)
            if isinstance(user, Response):
                return user
            user["sessions"] = 0
            self.state.logouts.append(user["id"])
        return self.ok(True)  # [I] the answer is undocumented: an envelope with data true

    def user_get_or_create(self, request: Request) -> Response:
        """U6 [D] P-GOC: e-mail is the only key; an unknown one *creates* the user (trap 6)."""
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        email = str(data.get("email") or "").strip()
        if not EMAIL.match(email):
            return self.fail("invalid", "A valid email is required", {"email": "invalid"})
        verified = data.get("email_verified", True) not in (False, "false", "0", 0)
        with self.lock:
            user = self.state.user_by_email(email)
            # P-GOC [D]: email_verified=false matches only users whose e-mail is unverified.
            if user is not None and user["email_verified"] == verified:
                return self.ok({**self.user_data(user), "is_created": False})
            if user is not None:
                return self.fail("invalid", "A user with this email already exists")  # [I]
            name = str(data.get("name") or email.split("@")[0])  # [D] default: first part
            user = new_user(
                self.state,
                name=name,
                email=email,
                joined=_now(),
                language=str(data.get("language") or "en"),
                email_verified=verified,
            )
            if isinstance(data.get("custom_fields"), dict):
                user["custom_fields"] = dict(data["custom_fields"])
            if data.get("send_new_user_invitation") in (True, "true", "1", 1):
                self.state.invitations.append(email)  # [D] default false
            return self.ok({**self.user_data(user), "is_created": True})

    def user_update(self, request: Request, user_id: int) -> Response:
        """U7 REF-NEW "Update user profile details" [D listed]; fields [I]."""
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        with self.lock:
            user = self.path_user(request, user_id)
            if isinstance(user, Response):
                return user
            if "email" in data:
                email = str(data["email"] or "").strip()
                other = self.state.user_by_email(email)
                if not EMAIL.match(email) or (other and other is not user):
                    return self.fail("invalid", "Invalid or taken email", {"email": "invalid"})
                user["email"] = email
            for key in ("name", "language", "title"):
                if key in data and data[key] is not None:
                    user[key] = str(data[key])
            if isinstance(data.get("custom_fields"), dict):
                user["custom_fields"].update(data["custom_fields"])
            return self.ok(self.user_data(user))

    def user_delete(self, request: Request, user_id: int) -> Response:
        """U8 REF-NEW "Delete user profile" [D listed]; what happens to content is trap 22 [I]."""
        with self.lock:
            user = self.path_user(request, user_id)
            if isinstance(user, Response):
                return user
            if user["id"] == self.token_user(request):
                # [I] with the path fallback an unknown id lands here: refuse, loudly.
                return self.fail("invalid", "The API token's own user cannot be deleted")
            uid = user["id"]
            del self.state.users[uid]
            remove = self.config.deleted_user_content == "remove"
            for topic in list(self.state.topics.values()):
                if topic["author_id"] == uid:
                    if remove:
                        self.drop_topic(topic["id"])
                    else:
                        topic["author_id"] = ANONYMOUS_ID
                topic["votes"].pop(uid, None)
            for comment in list(self.state.comments.values()):
                if comment["author_id"] == uid:
                    if remove:
                        del self.state.comments[comment["id"]]
                    else:
                        comment["author_id"] = ANONYMOUS_ID
            self.state.subscriptions.pop(uid, None)
        return self.ok(True)

    def user_subscriptions(self, request: Request, user_id: int) -> Response:
        """U9 REF-NEW [D listed]; shape [I]: the forum and topic ids the user follows."""
        user = self.path_user(request, user_id)
        if isinstance(user, Response):
            return user
        subs = self.state.subscriptions.get(user["id"], {"forums": [], "topics": []})
        return self.ok(copy.deepcopy(subs))

    def user_subscriptions_update(self, request: Request, user_id: int) -> Response:
        """U10 REF-NEW [D listed]; body [I] {forums?: [ids], topics?: [ids]} replaces lists."""
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        with self.lock:
            user = self.path_user(request, user_id)
            if isinstance(user, Response):
                return user
            subs = self.state.subscriptions.setdefault(user["id"], {"forums": [], "topics": []})
            for key, known in (("forums", self.state.forums), ("topics", self.state.topics)):
                if key in data:
                    ids = data[key] or []
                    if not isinstance(ids, list) or any(i not in known for i in ids):
                        return self.fail("invalid", f"'{key}' must list existing ids")
                    subs[key] = sorted(set(ids))
            return self.ok(copy.deepcopy(subs))

    def user_group_add(self, request: Request, user_id: int) -> Response:
        return self._membership(request, user_id, add=True)

    def user_group_remove(self, request: Request, user_id: int) -> Response:
        return self._membership(request, user_id, add=False)

    def own_or_all(self, request: Request, user_id: int) -> dict[str, Any] | Response:
        """U13/U14 [D] SEED:52-53, 69-70: "read - self, manage/all - all": another user's
        topics and comments need an "all" token."""
        user = self.path_user(request, user_id)
        if isinstance(user, Response):
            return user
        if user["id"] != self.acting(request) and "all" not in request.environ["ue.scopes"]:
            return self.fail("scope", "Access denied: this token has no 'all' permission")
        return user

    def user_topics(self, request: Request, user_id: int) -> Response:
        user = self.own_or_all(request, user_id)
        if isinstance(user, Response):
            return user
        return self.topic_list(
            request, (t for t in self.state.topics.values() if t["author_id"] == user["id"])
        )

    def user_comments(self, request: Request, user_id: int) -> Response:
        user = self.own_or_all(request, user_id)
        if isinstance(user, Response):
            return user
        return self.listing(
            request,
            (c for c in self.state.comments.values() if c["author_id"] == user["id"]),
            fields=self.plain_fields,
            shape=self.comment_data,
            order="-created",
        )
