"""The sandbox Discourse: groups and their members.

Part of ``DiscourseSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core import json_response
from . import seed as data
from .common import (
    GROUPS_PER_PAGE,
    MEMBERS_LIMIT,
    active_record_int,
    comma_list,
    error,
    invalid_access,
    invalid_params,
    is_present,
    iso,
    json_error,
    params_of,
    ruby_to_s,
    server_error,
    truthy,
)

# SiteSetting min_username_length / max_username_length (defaults believed 3 / 20).
USERNAME_LENGTH = (3, 20)
# UsernameValidator::CONFUSING_EXTENSIONS
CONFUSING_EXTENSIONS = re.compile(
    r"\.(js|json|css|htm|html|xml|jpg|jpeg|png|gif|bmp|ico|tif|tiff|woff)$", re.IGNORECASE
)


def _like(pattern: str, *, anchored: bool) -> str:
    """A SQL LIKE/SIMILAR TO wildcard pattern as a Python expression: ``%`` any run, ``_``
    any one character. ``anchored`` (SIMILAR TO) keeps the expression's own operators
    (``|``, ``(``, ``*``, ``+``, ``?``, ``[``, ``{``) and matches the whole string; a LIKE
    pattern's other characters are literal."""
    out = []
    for char in pattern:
        if char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        elif anchored and char in "|()*+?[]{}":
            out.append(char)
        else:
            out.append(re.escape(char))
    return "".join(out)


def member_filter(raw: str, *, admin: bool) -> Any:
    """GroupsController#members' ``filter``, as a test of one user (None when PostgreSQL
    would refuse it). Without a comma it is one term, ``username_lower ILIKE '%term%'`` (an
    admin's also ``OR lower(email) ILIKE '%term%'``). With a comma the controller splits it
    into an Array, and User.filter_by_username_or_email (filter_by_username for a non-admin)
    joins the terms into ONE expression ``(a|b|c)``: ``username_lower ~* '(a|b|c)'`` (a POSIX
    regular expression, unanchored, so a ``.`` matches any character), an admin's also
    ``OR lower(email) SIMILAR TO '(a|b|c)'`` (the whole address). app/models/user.rb,
    app/controllers/groups_controller.rb."""
    if "," not in raw:
        like = re.compile(_like(raw, anchored=False), re.IGNORECASE | re.DOTALL)
        return lambda user: bool(
            like.search(user["username"].lower())
            or (admin and like.search(str(user.get("email") or "").lower()))
        )
    joined = "(" + "|".join(raw.split(",")) + ")"
    try:
        regex = re.compile(joined, re.IGNORECASE)
        similar = re.compile(_like(joined, anchored=True), re.IGNORECASE | re.DOTALL)
    except re.error:
        return None
    return lambda user: bool(
        regex.search(user["username"].lower())
        or (admin and similar.fullmatch(str(user.get("email") or "").lower()))
    )


def username_problem(name: str) -> str:
    """UsernameValidator#valid_format?'s first refusal (the I18n keys' sense, paraphrased),
    or "" when the name passes."""
    low, high = USERNAME_LENGTH
    if not name.strip():
        return "can't be blank"  # user.username.blank
    if len(name) < low:
        return f"must be at least {low} characters"  # user.username.short
    if len(name) > high:
        return f"must be no more than {high} characters"  # user.username.long
    if re.search(r"[^\w.-]", name, re.ASCII):  # ASCII_INVALID_CHAR_PATTERN
        return "must include only numbers, letters, dashes, dots, and underscores"
    if not re.match(r"[A-Za-z0-9_]", name):  # INVALID_LEADING_CHAR_PATTERN
        return "must begin with a letter, a number or an underscore"
    if not re.search(r"[A-Za-z0-9]$", name):  # INVALID_TRAILING_CHAR_PATTERN
        return "must end with a letter or a number"
    if re.search(r"[-_.]{2,}", name):  # REPEATED_SPECIAL_CHAR_PATTERN
        return "must not contain a sequence of 2 or more special chars (.-_)"
    if CONFUSING_EXTENSIONS.search(name):
        return "must not end with a confusing suffix like .json or .png etc."
    return ""


class DiscourseGroups:
    """A part of the app (mixed in): state, lock and config are the app's."""

    def _new_group(self, gid: int, name: str, *, automatic: bool = False, full_name: str = ""):
        return {
            "id": gid, "name": name, "full_name": full_name, "automatic": automatic,
            "bio_raw": "", "visibility_level": 0 if not automatic else 1,
            "public_admission": False, "public_exit": False, "default_notification_level": 3,
            "members_visibility_level": 0, "primary_group": False, "title": None,
            "grant_trust_level": None, "flair_bg_color": None, "members": {}, "owners": set(),
            "created_at": self.now, "category_defaults": {}, "tag_defaults": {},
            "member_levels": {},
        }  # fmt: skip

    def is_member(self, group: dict[str, Any], user: dict[str, Any]) -> bool:
        """``user["id"] in member_ids(group)``, asked of one user (``member_ids`` reads every
        account of an automatic group)."""
        if not group["automatic"]:
            return user["id"] in group["members"]
        if user["id"] <= 0 or user["staged"]:
            return False
        name = data.AUTO_GROUP_NAMES.get(group["id"], group["name"])
        if name == "admins":
            return bool(user["admin"])
        if name == "moderators":
            return bool(user["moderator"])
        if name == "staff":
            return bool(user["admin"] or user["moderator"])
        return user["trust_level"] >= int(name.rsplit("_", 1)[-1])

    def member_ids(self, group: dict[str, Any]) -> list[int]:
        """Automatic groups are computed from the users, as Discourse keeps them in sync:
        Group.refresh_automatic_group! (app/models/group.rb) puts users of id > 0 that are not
        staged in them, by role or trust level (trust_level_0: every such user). They are
        found by id, since a forum's locale may rename them (groups.default_names.*)."""
        if not group["automatic"]:
            return list(group["members"])
        name = data.AUTO_GROUP_NAMES.get(group["id"], group["name"])
        users = [u for u in self.users.values() if u["id"] > 0 and not u["staged"]]
        if name == "admins":
            return [u["id"] for u in users if u["admin"]]
        if name == "moderators":
            return [u["id"] for u in users if u["moderator"]]
        if name == "staff":
            return [u["id"] for u in users if u["admin"] or u["moderator"]]
        level = int(name.rsplit("_", 1)[-1])
        return [u["id"] for u in users if u["trust_level"] >= level]

    def _group_fields(
        self, group: dict[str, Any], skeleton: dict[str, Any], optional: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """The skeleton's fields (the spec's required ones) plus the ``optional`` ones."""
        values = {
            "id": group["id"], "automatic": group["automatic"], "name": group["name"],
            "display_name": group["name"], "user_count": len(self.member_ids(group)),
            "mentionable_level": 0, "messageable_level": 0,
            "visibility_level": group["visibility_level"], "primary_group": group["primary_group"],
            "title": group["title"], "grant_trust_level": group["grant_trust_level"],
            "flair_bg_color": group["flair_bg_color"], "bio_raw": group["bio_raw"] or None,
            "bio_cooked": f"<p>{group['bio_raw']}</p>" if group["bio_raw"] else None,
            "bio_excerpt": group["bio_raw"] or None, "public_admission": group["public_admission"],
            "public_exit": group["public_exit"], "full_name": group["full_name"] or None,
            "default_notification_level": group["default_notification_level"],
            "members_visibility_level": group["members_visibility_level"],
            "can_see_members": True, "can_admin_group": True, "can_edit_group": True,
            "is_group_user": False, "is_group_owner": False,
        }  # fmt: skip
        out = copy.deepcopy(skeleton)
        out.update({k: v for k, v in values.items() if k in skeleton or k in optional})
        return out

    def list_group(self, group: dict[str, Any]) -> dict[str, Any]:
        return self._group_fields(
            group, data.GROUP_LIST_ITEM, ("user_count", "can_edit_group", "is_group_user",
                                          "is_group_owner")
        )  # fmt: skip

    def user_group(self, group: dict[str, Any]) -> dict[str, Any]:
        return self._group_fields(group, data.USER_GROUP)

    def detail_group(self, group: dict[str, Any]) -> dict[str, Any]:
        out = self._group_fields(group, data.GROUP_DETAIL, ("user_count", "can_edit_group"))
        out.update(
            mentionable=True, messageable=True, message_count=0,
            automatic_membership_email_domains=None,
            is_group_owner_display=False,
        )  # fmt: skip
        # The group's notification defaults (GroupShowSerializer, tagging on).
        for level, value in data.NOTIFICATION_LEVELS.items():
            out[f"{level}_category_ids"] = sorted(
                c for c, v in group["category_defaults"].items() if v == value
            )
            out[f"{level}_tags"] = sorted(t for t, v in group["tag_defaults"].items() if v == value)
        return out

    def groups_list(self, request: Request) -> Response:
        p = params_of(request)
        try:
            page = max(int(p.get("page") or 0), 0)
        except ValueError:
            return error(400, "page must be a number")
        with self.lock:
            groups = sorted(self.groups.values(), key=lambda g: g["name"].lower())
            term = str(p.get("filter") or "").lower()
            if term:
                groups = [
                    g for g in groups if term in g["name"].lower() or term in g["full_name"].lower()
                ]
            kind = p.get("type")
            if kind == "automatic":
                groups = [g for g in groups if g["automatic"]]
            elif kind == "non_automatic":
                groups = [g for g in groups if not g["automatic"]]
            chunk = groups[page * GROUPS_PER_PAGE : (page + 1) * GROUPS_PER_PAGE]
            return json_response(
                {
                    "groups": [self.list_group(g) for g in chunk],
                    "extras": {"type_filters": ["my", "owner", "public", "close", "automatic",
                                                "non_automatic"]},
                    "total_rows_groups": len(groups),
                    "load_more_groups": f"/groups?page={page + 1}",
                }
            )  # fmt: skip

    def _group_named(self, name: str) -> dict[str, Any] | None:
        lower = name.lower()
        return next((g for g in self.groups.values() if g["name"].lower() == lower), None)

    def _group_response(self, request: Request, group: dict[str, Any] | None) -> Response:
        if group is None:
            return self.not_found(request)
        visible = [g["name"] for g in self.groups.values() if g["visibility_level"] == 0]
        return json_response(
            {"group": self.detail_group(group), "extras": {"visible_group_names": visible}}
        )

    def group_show(self, request: Request, name: str) -> Response:
        with self.lock:
            return self._group_response(request, self._group_named(name))

    def group_by_id(self, request: Request, group_id: int) -> Response:
        with self.lock:
            return self._group_response(request, self.groups.get(group_id))

    def _validate_group_name(self, name: str, *, exclude: int | None = None) -> Response | None:
        # ENDPOINTS.md "Rules" / group names: app/models/group.rb name_format_validator runs
        # app/models/username_validator.rb UsernameValidator#valid_format? (unicode_usernames
        # off): 422 with the first problem found, in the validator's order.
        problem = username_problem(name)
        if problem:
            return json_error(f"Name {problem}")
        lower = name.lower()
        if any(g["name"].lower() == lower and g["id"] != exclude for g in self.groups.values()):
            return json_error("Name has already been taken")
        if self.find_user(name):
            return json_error("Name has already been taken")
        return None

    def _apply_group_fields(self, group: dict[str, Any], fields: dict[str, Any]) -> None:
        for key in self.GROUP_FIELDS:
            if key not in fields:
                continue
            value = fields[key]
            if key in ("visibility_level", "default_notification_level",
                       "members_visibility_level"):  # fmt: skip
                value = int(value)
            elif key in ("public_admission", "public_exit", "primary_group"):
                value = truthy(value)
            group[key] = value

    def _add_member(self, group: dict[str, Any], user: dict[str, Any], *, owner: bool = False,
                    when: datetime | None = None) -> None:  # fmt: skip
        """Group#add: the membership, its notification level, and the CategoryUser/TagUser rows
        the group's defaults give a new member (GroupUser#set_category_notifications)."""
        uid = user["id"]
        group["members"].setdefault(uid, when or datetime.now(UTC))
        group["member_levels"].setdefault(uid, group["default_notification_level"])
        if owner:
            group["owners"].add(uid)
        for category_id, level in group["category_defaults"].items():
            user["category_levels"].setdefault(category_id, level)
        for tag, level in group["tag_defaults"].items():
            user["tag_levels"].setdefault(tag, level)

    def group_create(self, request: Request) -> Response:
        fields = params_of(request).get("group")
        if not isinstance(fields, dict) or not str(fields.get("name") or "").strip():
            return error(400, "param is missing or the value is empty: group")
        name = str(fields["name"]).strip()
        with self.lock:
            invalid = self._validate_group_name(name)
            if invalid:
                return invalid
            group = self._new_group(self.next_group_id, name)
            self.next_group_id += 1
            try:
                self._apply_group_fields(group, fields)
            except (TypeError, ValueError):
                return error(400, "Invalid group field")
            self._set_notification_defaults(group, fields)
            for username in comma_list(fields.get("usernames")):
                user = self.find_user(username)
                if user:
                    self._add_member(group, user)
            for username in comma_list(fields.get("owner_usernames")):
                user = self.find_user(username)
                if user:
                    self._add_member(group, user, owner=True)
            self.groups[group["id"]] = group
            basic = self._group_fields(group, data.BASIC_GROUP, ("can_edit_group",))
            self.web_hook_group("group_created", group)
            return json_response({"basic_group": basic})

    @staticmethod
    def _level_lists(fields: dict[str, Any], suffix: str) -> dict[str, list[str]]:
        """The ``<level>_category_ids`` / ``<level>_tags`` lists a request sent ("-1" = none)."""
        sent = {}
        for level in data.NOTIFICATION_LEVELS:
            key = f"{level}_{suffix}"
            if key in fields:
                values = fields[key] if isinstance(fields[key], list) else comma_list(fields[key])
                sent[level] = [str(v) for v in values if str(v) != "-1"]
        return sent

    def _set_notification_defaults(self, group: dict[str, Any], fields: dict[str, Any]) -> None:
        """Group#<level>_category_ids= / <level>_tags=: a level that was sent replaces its own
        defaults; levels not sent keep theirs (the model only changes what is assigned)."""
        for level, ids in self._level_lists(fields, "category_ids").items():
            value = data.NOTIFICATION_LEVELS[level]
            kept = {c: v for c, v in group["category_defaults"].items() if v != value}
            kept.update({int(c): value for c in ids if c.lstrip("-").isdigit()})
            group["category_defaults"] = kept
        for level, names in self._level_lists(fields, "tags").items():
            value = data.NOTIFICATION_LEVELS[level]
            kept = {t: v for t, v in group["tag_defaults"].items() if v != value}
            kept.update({t.lower(): value for t in names if t.lower() in self.tags})
            group["tag_defaults"] = kept

    def _default_changes(self, group: dict[str, Any], fields: dict[str, Any]):
        """GroupsController#user_default_notifications: what the request changes, where every
        default it does not send again counts as deleted."""
        old_categories = dict(group["category_defaults"])
        old_tags = dict(group["tag_defaults"])
        categories: dict[Any, dict[str, Any]] = {}
        tags: dict[Any, dict[str, Any]] = {}
        sent_categories = self._level_lists(fields, "category_ids")
        sent_tags = self._level_lists(fields, "tags")
        for level, value in data.NOTIFICATION_LEVELS.items():
            for raw in sent_categories.get(level, []):
                category_id = active_record_int(raw) or 0
                old = old_categories.get(category_id)
                if old is None:
                    categories[category_id] = {"action": "create", "old": None, "new": value}
                elif old == value:
                    old_categories.pop(category_id)
                else:
                    categories[category_id] = {"action": "update", "old": old, "new": value}
            for name in sent_tags.get(level, []):
                name = name.lower()
                if name not in self.tags:
                    continue  # Tag.where(name: ...): unknown tags are dropped
                old = old_tags.get(name)
                if old is None:
                    tags[name] = {"action": "create", "old": None, "new": value}
                elif old == value:
                    old_tags.pop(name)
                else:
                    tags[name] = {"action": "update", "old": old, "new": value}
        # ENDPOINTS.md "Rules" / update a group: category/tag notification defaults not sent
        # are treated as deleted
        for category_id in old_categories.keys() - categories.keys():
            categories[category_id] = {"action": "delete", "old": old_categories[category_id],
                                       "new": None}  # fmt: skip
        for name in old_tags.keys() - tags.keys():
            tags[name] = {"action": "delete", "old": old_tags[name], "new": None}
        level = None
        raw_level = fields.get("default_notification_level")
        if is_present(raw_level):
            wanted = active_record_int(str(raw_level)) or 0
            if wanted != group["default_notification_level"]:
                level = {"old": group["default_notification_level"], "new": wanted}
        return level, categories, tags

    def _existing_users(self, group: dict[str, Any], level, categories, tags, *,
                        update: bool) -> int:  # fmt: skip
        """GroupsController#count_existing_users / #update_existing_users, one body for both."""
        if not (level or categories or tags):
            return 0
        members = [self.users[u] for u in group["members"] if u in self.users]
        ids: set[int] = set()
        if level:
            matching = [u for u in members if group["member_levels"].get(u["id"]) == level["old"]]
            if update:
                for user in matching:
                    group["member_levels"][user["id"]] = level["new"]
            ids |= {u["id"] for u in matching}
        for field, changes in (("category_levels", categories), ("tag_levels", tags)):
            for key, change in list(changes.items()):
                if change["action"] in ("update", "delete"):
                    rows = [u for u in members if u[field].get(key) == change["old"]]
                    if update:
                        # ENDPOINTS.md "Rules" / update a group: update_existing_users=true
                        # deletes the members' matching CategoryUser/TagUser rows
                        for user in rows:
                            del user[field][key]
                        if change["action"] == "delete":
                            del changes[key]
                    else:
                        ids |= {u["id"] for u in rows}
            for key, change in changes.items():
                without = [u for u in members if u[field].get(key) is None]
                if update:
                    for user in without:
                        user[field][key] = change["new"]
                else:
                    ids |= {u["id"] for u in without}
        return len(ids)

    def group_update(self, request: Request, group_id: int) -> Response:
        p = params_of(request)
        fields = p.get("group")
        if not isinstance(fields, dict):
            return error(400, "param is missing or the value is empty: group")
        with self.lock:
            group = self.groups.get(group_id)
            if group is None:
                return self.not_found(request)
            actor = self.acting(request)
            if not (actor["admin"] or (actor["id"] in group["owners"] and not group["automatic"])):
                return invalid_access()  # guardian.ensure_can_edit! (can_admin_group? first)
            new_name = group["name"]
            if not group["automatic"] and self._is_staff(actor) and is_present(fields.get("name")):
                new_name = str(fields["name"]).strip()  # group_params permits :name for staff
            if new_name != group["name"]:
                invalid = self._validate_group_name(new_name, exclude=group_id)
                if invalid:
                    return invalid
            level = categories = tags = None
            if not group["automatic"] or actor["admin"]:
                level, categories, tags = self._default_changes(group, fields)
                if not is_present(p.get("update_existing_users")):
                    count = self._existing_users(group, level, categories, tags, update=False)
                    if count > 0:
                        # ENDPOINTS.md "Rules" / update a group: a change that reaches members'
                        # settings (a plain rename of a group with defaults included) gets the 422
                        # "choose whether existing members follow" question
                        return json_response(
                            {"user_count": count,
                             "errors": ["You supplied invalid parameters to the request: "
                                        "update_existing_users"]},
                            422,
                        )  # fmt: skip
            try:
                self._apply_group_fields(group, fields)
            except (TypeError, ValueError):
                return error(400, "Invalid group field")
            self._set_notification_defaults(group, fields)
            group["name"] = new_name
            if str(p.get("update_existing_users")) == "true" and categories is not None:
                self._existing_users(group, level, categories, tags, update=True)
            self.web_hook_group("group_updated", group)
            return json_response({"success": "OK"})

    def group_delete(self, request: Request, group_id: int) -> Response:
        with self.lock:
            group = self.groups.get(group_id)
            if group is None:
                return self.not_found(request)
            if group["automatic"]:
                return json_error("You cannot delete an automatic group")
            self.web_hook_group("group_destroyed", group)
            del self.groups[group_id]
            return json_response({"success": "OK"})

    def members_matching(self, ids: list[int], raw: str, *, admin: bool) -> list[int] | None:
        """The members (of ``ids``, in their order) a member ``filter`` matches
        (``member_filter``), or None when PostgreSQL would refuse the filter."""
        matcher = member_filter(raw, admin=admin)
        if matcher is None:
            return None
        near = self._filter_candidates(raw)
        return [i for i in ids if (near is None or i in near) and matcher(self.users[i])]

    def _filter_candidates(self, raw: str) -> set[int] | None:
        """The users a member ``filter`` can match, found through the user table's trigram
        index as the database's own index would (a superset: each term's longest run of
        letters and digits is in the username or the e-mail of every user the term
        matches), or None when a term has no such run of 3 (then every member is tested)."""
        found: set[int] = set()
        for term in raw.split(",") if "," in raw else [raw]:
            runs = re.split(r"[\W_]+", term)
            longest = max(runs, key=len) if runs else ""
            if len(longest) < 3:
                return None
            found |= self.users.containing(longest)
        return found

    def group_members(self, request: Request, name: str) -> Response:
        p = params_of(request)
        try:
            limit = int(p.get("limit") or 50)
            offset = int(p.get("offset") or 0)
        except ValueError:
            return error(400, "limit and offset must be numbers")
        if limit < 0 or limit > MEMBERS_LIMIT:
            return invalid_params("limit")
        if offset < 0:
            return invalid_params("offset")
        with self.lock:
            group = self._group_named(name)
            if group is None:
                return self.not_found(request)
            ids = self.member_ids(group)
            added = group["members"]
            # GroupsController#members: owners first, then `order` (added_at, last_posted_at,
            # last_seen_at) if given, then username_lower; descending unless `asc`.
            descending = not is_present(p.get("asc"))
            order = str(p.get("order") or "")
            column = {
                "added_at": lambda i: (added.get(i) or group["created_at"]).timestamp(),
                "last_posted_at": lambda i: self._last_seen(i).timestamp(),
                "last_seen_at": lambda i: self._last_seen(i).timestamp(),
            }.get(order)
            ids.sort(key=lambda i: self.users[i]["username"].lower(), reverse=descending)
            if column is not None:
                ids.sort(key=column, reverse=descending)  # stable: ties keep the username order
            ids.sort(key=lambda i: i not in group["owners"])
            # ENDPOINTS.md "Rules" / group member search: GroupsController#members counts
            # before it filters (`total = users.count`), so meta.total stays the group's size
            total = len(ids)
            raw = str(p.get("filter") or "").strip().lower()
            if raw:
                # An admin's filter also matches e-mail addresses (filter_by_username_or_email),
                # anyone else's usernames only (filter_by_username).
                matched = self.members_matching(
                    ids, raw, admin=bool(self.acting(request).get("admin"))
                )
                if matched is None:
                    # PostgreSQL refuses the expression ("invalid regular expression"), an
                    # exception the controller does not rescue.
                    return server_error()
                ids = matched

            def member(uid: int) -> dict[str, Any]:
                user = self.users[uid]
                return {
                    **self.basic_user(user), "name": user["name"] or None, "title": None,
                    "last_posted_at": iso(user["last_seen_at"] or user["created_at"]),
                    "last_seen_at": iso(user["last_seen_at"] or user["created_at"]),
                    "added_at": iso(added.get(uid) or group["created_at"]), "timezone": "UTC",
                }  # fmt: skip

            return json_response(
                {
                    "members": [member(i) for i in ids[offset : offset + limit]],
                    "owners": [member(i) for i in ids if i in group["owners"]],
                    "meta": {"total": total, "limit": limit, "offset": offset},
                }
            )

    def _last_seen(self, uid: int) -> datetime:
        user = self.users[uid]
        return user["last_seen_at"] or user["created_at"]

    def _users_from_params(self, p: dict[str, Any]) -> list[dict[str, Any]] | Response:
        """GroupsController#users_from_params.

        ENDPOINTS.md "Rules" / add group members: usernames / user_ids / user_emails are comma
        strings and only the first field present is used, in that order; a JSON array makes the
        server call .split on it and fail with 500.
        """
        if is_present(p.get("usernames")):
            if not isinstance(p["usernames"], str):
                return server_error()  # Array#split: NoMethodError
            wanted = {n.strip().lower() for n in p["usernames"].split(",")}
            users = self.users.ordered(
                u["id"] for name in wanted for u in self.users.find_all("username", name)
            )
            # ENDPOINTS.md "Rules" / add group members: a batch where none of the users exists
            # is 400 "You supplied invalid parameters to the request: usernames"
            return users or invalid_params("usernames")
        if is_present(p.get("user_id")):
            found = self.users.get(active_record_int(ruby_to_s(p["user_id"])) or 0)
            return [found] if found else invalid_params("user_id")
        if is_present(p.get("user_ids")):
            wanted_ids = {active_record_int(t) for t in ruby_to_s(p["user_ids"]).split(",")}
            users = self.users.ordered(wanted_ids)
            return users or invalid_params("user_ids")
        if is_present(p.get("user_emails")):
            if not isinstance(p["user_emails"], str):
                return server_error()
            wanted = {e.strip().lower() for e in p["user_emails"].split(",")}
            users = self.users.ordered(
                u["id"] for email in wanted for u in self.users.find_all("email", email)
            )
            return users or invalid_params("user_emails")
        return []

    def _can_edit_group(self, actor: dict[str, Any], group: dict[str, Any]) -> bool:
        """GroupGuardian#can_edit_group?: never an automatic group; admins or the owners."""
        return not group["automatic"] and (actor["admin"] or actor["id"] in group["owners"])

    def group_members_add(self, request: Request, group_id: int) -> Response:
        p = params_of(request)
        with self.lock:
            group = self.groups.get(group_id)
            if group is None:
                return self.not_found(request)
            if not self._can_edit_group(self.acting(request), group):
                # ENDPOINTS.md "Rules" / add group members: automatic groups are 403
                return invalid_access()
            users = self._users_from_params(p)
            if isinstance(users, Response):
                return users
            emails: list[str] = []
            if p.get("emails") is not None:
                if not isinstance(p["emails"], str):
                    return server_error()
                for address in p["emails"].split(","):
                    # the last of the accounts with that address, as the dict it replaces had
                    same = self.users.find_all("email", address.strip().lower())
                    known = same[-1] if same else None
                    if known:
                        users.append(known)
                    elif address.strip():
                        emails.append(address.strip())  # invited to join the forum
            if not users and not emails:
                return invalid_params("Usernames or emails must be present")
            if len(users) > MEMBERS_LIMIT:
                # ENDPOINTS.md "Rules" / add group members: over 1,000 users is 422
                # adding_too_many_users (render_json_error: no error_type)
                return json_error(f"Maximum {MEMBERS_LIMIT} users can be added at once")
            already = sorted(u["username"] for u in users if u["id"] in group["members"])
            if already and len(already) == len(users) and not emails:
                # ENDPOINTS.md "Rules" / add group members: all already members is 422
                verb = "is already a member" if len(already) == 1 else "are already members"
                return json_error(f"{', '.join(already)} {verb} of this group.")
            unique = list({u["id"]: u for u in users}.values())
            for user in unique:
                self._add_member(group, user)
            # ENDPOINTS.md "Rules" / add group members: in a mixed batch unknown users are
            # dropped silently (only the users found are named)
            return json_response(
                {"success": "OK", "usernames": [u["username"] for u in unique], "emails": emails}
            )

    def group_members_remove(self, request: Request, group_id: int) -> Response:
        p = dict(params_of(request))
        with self.lock:
            group = self.groups.get(group_id)
            if group is None:
                return self.not_found(request)
            if not self._can_edit_group(self.acting(request), group):
                return invalid_access()
            # Backwards compatibility: the singular names override the plural ones.
            if is_present(p.get("username")):
                p["usernames"] = p["username"]
            if is_present(p.get("user_email")):
                p["user_emails"] = p["user_email"]
            users = self._users_from_params(p)
            if isinstance(users, Response):
                return users
            if not users:
                return invalid_params("user_ids or usernames or user_emails must be present")
            removed, skipped = [], []
            for user in users:
                if user["id"] in group["members"]:
                    del group["members"][user["id"]]
                    group["member_levels"].pop(user["id"], None)
                    group["owners"].discard(user["id"])
                    removed.append(user["username"])
                else:
                    skipped.append(user["username"])
            # ENDPOINTS.md "Rules" / remove group members: {usernames, skipped_usernames};
            # skipped_usernames holds non-members only and unknown names are dropped
            return json_response(
                {"success": "OK", "usernames": removed, "skipped_usernames": skipped}
            )

    def _one_user_group(
        self, request: Request, user_id: int, group_id: int | None
    ) -> tuple[dict[str, Any], dict[str, Any]] | Response:
        """Admin::UsersController#add_group / #remove_group, up to the change itself."""
        user = self.users.get(user_id)
        if user is None:
            return self.not_found(request)
        group = self.groups.get(group_id) if group_id is not None else None
        if group is None:
            return self.not_found(request)  # Group.find: RecordNotFound
        if group["automatic"]:
            return json_error("You cannot modify an automatic group")
        if not self._can_edit_group(self.acting(request), group):
            return invalid_access()
        return user, group

    def user_group_add(self, request: Request, user_id: int) -> Response:
        p = params_of(request)
        with self.lock:
            found = self._one_user_group(request, user_id, active_record_int(ruby_to_s(
                p.get("group_id")
            )))  # fmt: skip
            if isinstance(found, Response):
                return found
            user, group = found
            self._add_member(group, user)  # Group#add: already a member changes nothing
            return Response(b"", status=200)  # render body: nil

    def user_group_remove(self, request: Request, user_id: int, group_id: int) -> Response:
        with self.lock:
            found = self._one_user_group(request, user_id, group_id)
            if isinstance(found, Response):
                return found
            user, group = found
            group["members"].pop(user["id"], None)
            group["member_levels"].pop(user["id"], None)
            group["owners"].discard(user["id"])
            return Response(b"", status=200)
