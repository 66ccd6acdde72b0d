"""The sandbox UserEcho: the project's forums and the types, statuses, categories and
access lists in them.

Part of ``UserEchoSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from .common import (
    EMAIL,
    _int,
    _now,
)
from .seed import (
    FORUM_TYPES,
    add_named,
    add_type,
    new_forum,
)


class UserEchoForums:
    """A part of the app (mixed in): state, lock and config are the app's."""

    def forum(self, forum_id: int) -> dict[str, Any] | Response:
        forum = self.state.forums.get(forum_id)
        if forum is None:
            return self.fail("not_found", f"Forum {forum_id} not found")
        return forum

    def forum_data(self, forum: dict[str, Any]) -> dict[str, Any]:
        topics = [t for t in self.state.topics.values() if t["forum_id"] == forum["id"]]
        topic_ids = {t["id"] for t in topics}
        return {
            "id": forum["id"],
            "name": forum["name"],
            "description": forum["description"],  # [C] DA:284
            "type": {"id": FORUM_TYPES[forum["type"]], "name": forum["type"]},
            "is_default": forum["is_default"],
            "allow_anonymous_topic": forum["allow_anonymous_topic"],
            "created": forum["created"],
            "vote_count": sum(len(t["votes"]) for t in topics),
            "comment_count": sum(
                1 for c in self.state.comments.values() if c["topic_id"] in topic_ids
            ),
            "topic_count": len(topics),
        }

    def status_data(self, status_id: int) -> dict[str, Any]:
        status = self.state.statuses[status_id]
        return {k: status[k] for k in ("id", "name", "color", "updated")}

    def category_data(self, category: dict[str, Any]) -> dict[str, Any]:
        count = sum(1 for t in self.state.topics.values() if t["category_id"] == category["id"])
        return {"id": category["id"], "name": category["name"], "topic_count": count}

    # === 2.3 forums =========================================================================
    def forums_list(self, request: Request) -> Response:
        return self.listing(
            request, self.state.forums.values(), fields=self.plain_fields, shape=self.forum_data
        )

    def forum_create(self, request: Request) -> Response:
        """F2 [D] P-FORUM-C: name required; type one of five; a template forum copies its
        settings and layout and every other parameter except name is ignored."""
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        name = str(data.get("name") or "").strip()
        if not name:
            return self.fail("invalid", "Parameter 'name' is required", {"name": "required"})
        with self.lock:
            template = None
            if data.get("template_forum_id") is not None:
                template = self.state.forums.get(_int(data["template_forum_id"]) or -1)
                if template is None:
                    return self.fail("not_found", "Template forum not found")
            kind = template["type"] if template else str(data.get("type") or "PUBLIC")
            if kind not in FORUM_TYPES:
                return self.fail("invalid", f"Unknown forum type {kind!r}", {"type": "invalid"})
            forum = new_forum(self.state, name=name, kind=kind, created=_now())
            settings = (
                "allow_anonymous_topic",
                "allow_anonymous_votes",
                "allow_anonymous_comments",
                "allow_private_sso_users",
                "allow_private_view_all",
                "locale",
            )
            source = template or data
            for key in settings:
                if key in source:
                    forum[key] = source[key]
            type_names = (
                [t["name"] for t in self.state.types.values() if t["forum_id"] == template["id"]]
                if template
                else ["Ideas", "Problems", "Questions"]
            )
            for type_name in type_names:
                add_type(self.state, forum_id=forum["id"], name=type_name, now=_now())
            return self.ok(self.forum_data(forum))

    def forum_update(self, request: Request) -> Response:
        """F3 REF-NEW "Update a forum" [D listed]; body [I] id plus the F2 fields."""
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        fid = self.body_id(request, data, query=False)
        if isinstance(fid, Response):
            return fid
        with self.lock:
            forum = self.forum(fid)
            if isinstance(forum, Response):
                return forum
            if "name" in data:
                if not str(data["name"] or "").strip():
                    return self.fail("invalid", "Parameter 'name' may not be empty")
                forum["name"] = str(data["name"]).strip()
            for key in (
                "description",
                "allow_anonymous_topic",
                "allow_anonymous_votes",
                "allow_anonymous_comments",
                "locale",
            ):
                if key in data:
                    forum[key] = data[key]
            return self.ok(self.forum_data(forum))

    def forum_delete(self, request: Request) -> Response:
        """F4 [D listed]; id in the body or `?id=` [I]; irreversible (trap 9 [I])."""
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        fid = self.body_id(request, data, query=True)
        if isinstance(fid, Response):
            return fid
        with self.lock:
            forum = self.forum(fid)
            if isinstance(forum, Response):
                return forum
            if forum["is_default"]:
                return self.fail("invalid", "The default forum cannot be deleted")  # [I]
            for topic_id in [t["id"] for t in self.state.topics.values() if t["forum_id"] == fid]:
                self.drop_topic(topic_id)
            for table in (self.state.types, self.state.categories, self.state.tags):
                for key in [k for k, row in table.items() if row["forum_id"] == fid]:
                    del table[key]
            self.state.statuses = {
                k: s for k, s in self.state.statuses.items() if s["type_id"] in self.state.types
            }
            self.state.access_lists.pop(fid, None)
            del self.state.forums[fid]
        return self.ok(True)

    # === 2.4 types, statuses, categories, tags, access list (per forum) =====================
    def types_list(self, request: Request, forum_id: int) -> Response:
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        rows = [t for t in self.state.types.values() if t["forum_id"] == forum_id]
        return self.listing(
            request,
            rows,
            fields=self.plain_fields,
            shape=lambda t: {"id": t["id"], "name": t["name"]},
        )

    def statuses_list(self, request: Request, forum_id: int, type_id: int) -> Response:
        kind = self.state.types.get(type_id)
        if kind is None or kind["forum_id"] != forum_id:  # trap 4 [I]: types are forum-local
            return self.fail("not_found", f"Type {type_id} not found in forum {forum_id}")
        rows = [self.state.statuses[s] for s in kind["statuses"]]
        return self.listing(
            request, rows, fields=self.plain_fields, shape=lambda s: self.status_data(s["id"])
        )

    def _named_list(self, request: Request, forum_id: int, kind: str) -> Response:
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        table = self.state.categories if kind == "category" else self.state.tags
        shape = self.category_data if kind == "category" else self.tag_data
        rows = [r for r in table.values() if r["forum_id"] == forum_id]
        return self.listing(request, rows, fields=self.plain_fields, shape=shape)

    def _named_write(self, request: Request, forum_id: int, kind: str, action: str) -> Response:
        """C2-C4 / TG2-TG4 [D] exist; bodies [I]: POST {name}, PUT {id, name}, DELETE {id}
        (or `?id=`). A category or tag of another forum is not found here (trap 4 [I])."""
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        label = "Category" if kind == "category" else "Tag"
        table = self.state.categories if kind == "category" else self.state.tags
        shape = self.category_data if kind == "category" else self.tag_data
        with self.lock:
            row = None
            if action != "create":
                item_id = self.body_id(request, data, query=action == "delete")
                if isinstance(item_id, Response):
                    return item_id
                row = table.get(item_id)
                if row is None or row["forum_id"] != forum_id:
                    return self.fail("not_found", f"{label} {item_id} not found in this forum")
            if action == "delete":
                del table[row["id"]]
                # trap 9 [I]: deleting detaches it from the forum's topics.
                for topic in self.state.topics.values():
                    if kind == "tag" and row["id"] in topic["tag_ids"]:
                        topic["tag_ids"].remove(row["id"])
                    if kind == "category" and topic["category_id"] == row["id"]:
                        topic["category_id"] = None
                return self.ok(True)
            name = str(data.get("name") or "").strip()
            if not name:
                return self.fail("invalid", "Parameter 'name' is required", {"name": "required"})
            if any(
                r["forum_id"] == forum_id and r["name"].lower() == name.lower() and r is not row
                for r in table.values()
            ):
                return self.fail("invalid", f"{label} '{name}' already exists in this forum")
            if row is None:
                row = add_named(self.state, kind, forum_id=forum_id, name=name)
            else:
                row["name"] = name
            return self.ok(shape(row))

    def categories_list(self, request: Request, forum_id: int) -> Response:
        return self._named_list(request, forum_id, "category")

    def category_create(self, request: Request, forum_id: int) -> Response:
        return self._named_write(request, forum_id, "category", "create")

    def category_update(self, request: Request, forum_id: int) -> Response:
        return self._named_write(request, forum_id, "category", "update")

    def category_delete(self, request: Request, forum_id: int) -> Response:
        return self._named_write(request, forum_id, "category", "delete")

    def _private(self, forum_id: int) -> dict[str, Any] | Response:
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        if forum_id not in self.state.access_lists:  # A1 [D] "For private forums only."
            return self.fail("invalid", "The access list exists for private forums only")
        return forum

    def _emails(self, request: Request, data: dict[str, Any]) -> list[str] | Response:
        """A2/A3 body [I]: {"emails": [...]} (a comma string or `?emails=` also works)."""
        raw = data.get("emails", request.args.get("emails"))
        if isinstance(raw, str):
            raw = [e for e in raw.split(",") if e.strip()]
        if not isinstance(raw, list) or not raw:
            return self.fail("invalid", "Parameter 'emails' is required", {"emails": "required"})
        emails = [str(e).strip().lower() for e in raw]
        bad = [e for e in emails if not EMAIL.match(e)]
        if bad:
            return self.fail("invalid", f"Invalid e-mail: {bad[0]}", {"emails": "invalid"})
        return emails

    def access_list(self, request: Request, forum_id: int) -> Response:
        forum = self._private(forum_id)
        if isinstance(forum, Response):
            return forum
        rows = [{"email": e} for e in self.state.access_lists[forum_id]]
        return self.listing(
            request, rows, fields=self.plain_fields, shape=lambda r: r["email"], order="email"
        )

    def _access_change(self, request: Request, forum_id: int, *, add: bool) -> Response:
        forum = self._private(forum_id)
        if isinstance(forum, Response):
            return forum
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        emails = self._emails(request, data)
        if isinstance(emails, Response):
            return emails
        with self.lock:
            current = set(self.state.access_lists[forum_id])
            current = current | set(emails) if add else current - set(emails)
            self.state.access_lists[forum_id] = sorted(current)
            return self.ok(list(self.state.access_lists[forum_id]))

    def access_add(self, request: Request, forum_id: int) -> Response:
        return self._access_change(request, forum_id, add=True)

    def access_remove(self, request: Request, forum_id: int) -> Response:
        return self._access_change(request, forum_id, add=False)
