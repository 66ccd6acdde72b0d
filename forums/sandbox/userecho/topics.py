"""The sandbox UserEcho: topics, comments and uploads.

Part of ``UserEchoSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from .common import (
    ANONYMOUS_ID,
    _now,
)
from .seed import (
    iso,
    slugify,
)


class UserEchoTopics:
    """A part of the app (mixed in): state, lock and config are the app's."""

    def names(self, which: str) -> bool:
        """trap 14: whether to emit the reference or the alternate spelling of a field."""
        mode = self.config.field_names
        return mode == "both" or mode == which

    def as_ids(self, topic: dict[str, Any]) -> bool:
        mode = self.config.status_shape
        if mode == "per_forum":
            return bool(self.state.forums[topic["forum_id"]]["legacy"])
        return mode == "id"

    def comment_count(self, topic_id: int) -> int:
        return sum(1 for c in self.state.comments.values() if c["topic_id"] == topic_id)

    def topic_tags(self, topic: dict[str, Any]) -> list[Any]:
        """A topic's tags in the shape the config names (4.1 [I]: objects, ids or names)."""
        tags = [self.state.tags[t] for t in topic["tag_ids"]]
        if self.config.topic_tags == "names":
            return [t["name"] for t in tags]
        if self.config.topic_tags == "ids":
            return [t["id"] for t in tags]
        return [self.tag_data(t) for t in tags]

    def topic_data(self, topic: dict[str, Any], viewer: int) -> dict[str, Any]:
        """2.5 [D] P-TOPIC-C/U fields; [C] url, comments_count, votes; [I] needs_review,
        category, forum_id."""
        forum = self.state.forums[topic["forum_id"]]
        votes = topic["votes"]
        positive = sum(1 for v in votes.values() if v > 0)
        negative = sum(1 for v in votes.values() if v < 0)
        comments = self.comment_count(topic["id"])
        category = self.state.categories.get(topic["category_id"] or -1)
        kind = self.state.types[topic["type_id"]]
        if self.as_ids(topic):  # trap 15 [C] DA:205-242: legacy forums answer bare ids
            status: Any = topic["status_id"]
            type_: Any = kind["id"]
        else:
            status = self.status_data(topic["status_id"])
            type_ = {"id": kind["id"], "name": kind["name"]}
        data: dict[str, Any] = {
            "id": topic["id"],
            "header": topic["header"],
            "description": topic["description"],
            "created": topic["created"],
            "updated": topic["updated"],
            "status": status,
            "type": type_,
            "category": {"id": category["id"], "name": category["name"]} if category else None,
            "tags": self.topic_tags(topic),
            "author": self.author_data(topic["author_id"]),
            "custom_fields": [
                {**cf, "value": str(topic["custom_fields"][cf["code_name"]])}
                for cf in forum["custom_fields"]
                if topic["custom_fields"].get(cf["code_name"]) is not None
            ],
            "needs_review": topic["needs_review"],
            "url": f"https://{self.config.alias}.userecho.com/en/communities/{forum['id']}"
            f"/topics/{topic['id']}-{slugify(topic['header'])}",
        }
        if self.config.topic_forum_field:
            data["forum_id"] = topic["forum_id"]
        if self.names("reference"):
            data["comment_count"] = comments
            data["vote"] = {
                "total": positive - negative,
                "positive": positive,
                "negative": negative,
                "diff": positive - negative,
                "current_user": votes.get(viewer, 0),
            }
        if self.names("alternate"):
            data["comments_count"] = comments  # [C] DA:612
            data["votes"] = positive - negative  # [C] DA:659
        return data

    def comment_data(self, comment: dict[str, Any]) -> dict[str, Any]:
        """2.6 [C] DA:713-718 {id, text, is_official, created, author}; `comment` from export."""
        data = {
            "id": comment["id"],
            "is_official": comment["is_official"],
            "created": comment["created"],
            "author": self.author_data(comment["author_id"]),
            "topic_id": comment["topic_id"],
        }
        if self.names("reference"):
            data["text"] = comment["text"]
        if self.names("alternate"):
            data["comment"] = comment["text"]
        return data

    def topic_fields(self, topic: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": topic["id"],
            "header": topic["header"],
            "description": topic["description"],
            "created": topic["created"],
            "updated": topic["updated"],
            "status": topic["status_id"],
            "type": topic["type_id"],
            "category": topic["category_id"],
            "tags": topic["tag_ids"],
            "author": topic["author_id"],
            "forum": topic["forum_id"],
            "needs_review": topic["needs_review"],
            "assigned_to": topic["assigned_to"],
            "comment_count": self.comment_count(topic["id"]),
            "votes": sum(topic["votes"].values()),
        }

    def topic_list(self, request: Request, topics: Iterable[dict[str, Any]]) -> Response:
        viewer = self.acting(request)
        return self.listing(
            request,
            topics,
            fields=self.topic_fields,
            shape=lambda t: self.topic_data(t, viewer),
            order="-created",  # [I] the default order is undocumented; newest first
        )

    # === 2.5 topics =========================================================================
    def forum_topics(self, request: Request, forum_id: int) -> Response:
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        return self.topic_list(
            request, (t for t in self.state.topics.values() if t["forum_id"] == forum_id)
        )

    def forum_user_topics(self, request: Request, forum_id: int, user_id: int) -> Response:
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        user = self.path_user(request, user_id)
        if isinstance(user, Response):
            return user
        return self.topic_list(
            request,
            (
                t
                for t in self.state.topics.values()
                if t["forum_id"] == forum_id and t["author_id"] == user["id"]
            ),
        )

    def topics_search(self, request: Request, forum_id: int) -> Response:
        """P5 [D] exists; [C] CPBOT `query=`; matching is [I]: case-insensitive substring of
        header or description."""
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        query = (request.args.get("query") or "").strip().lower()
        if not query:
            return self.fail("invalid", "Parameter 'query' is required", {"query": "required"})
        return self.topic_list(
            request,
            (
                t
                for t in self.state.topics.values()
                if t["forum_id"] == forum_id
                and (query in t["header"].lower() or query in t["description"].lower())
            ),
        )

    def category_topics(self, request: Request, category_id: int) -> Response:
        if category_id not in self.state.categories:
            return self.fail("not_found", f"Category {category_id} not found")
        return self.topic_list(
            request, (t for t in self.state.topics.values() if t["category_id"] == category_id)
        )

    def topic_get(self, request: Request, topic_id: int) -> Response:
        with self.lock:
            topic = self.state.topics.get(topic_id)
            if topic is None:
                return self.fail("not_found", f"Topic {topic_id} not found")
            return self.ok(self.topic_data(topic, self.acting(request)))

    def _ref(self, value: Any) -> Any:
        """trap 15 [C]/[I]: an id given as a bare int or as an object {"id": ...}."""
        if isinstance(value, dict):
            value = value.get("id")
        if isinstance(value, bool):
            return "invalid"
        if value is None or isinstance(value, int):
            return value
        return "invalid"

    def _topic_fields(
        self, data: dict[str, Any], forum_id: int, topic: dict[str, Any] | None
    ) -> dict[str, Any] | Response:
        """P2/P3 [D]: type, category, tags are integer ids of this forum; omitted means
        unchanged, null / "" / [] clears (P-TOPIC-U, trap 5)."""
        out: dict[str, Any] = {}
        if "header" in data or topic is None:
            header = str(data.get("header") or "").strip()
            if not header:
                return self.fail("invalid", "Parameter 'header' is required", {"header": "req"})
            out["header"] = header
        if "description" in data:
            out["description"] = str(data["description"] or "")
        if "type" in data or topic is None:
            type_id = self._ref(data.get("type"))
            kind = self.state.types.get(type_id) if isinstance(type_id, int) else None
            if kind is None or kind["forum_id"] != forum_id:
                return self.fail(
                    "invalid",
                    "Parameter 'type' must be a topic type of this forum",
                    {"type": "invalid"},
                )
            out["type_id"] = kind["id"]
            current = topic["status_id"] if topic else None
            if current not in kind["statuses"]:
                out["status_id"] = kind["statuses"][0]  # [I] a new type starts at its first status
        if "category" in data:
            cat_id = self._ref(data["category"])
            category = self.state.categories.get(cat_id) if isinstance(cat_id, int) else None
            if cat_id is not None and (category is None or category["forum_id"] != forum_id):
                return self.fail(
                    "invalid",
                    f"Category {data['category']} is not in this forum",
                    {"category": "invalid"},
                )
            out["category_id"] = cat_id
        if "tags" in data:
            tags = data["tags"] or []
            if not isinstance(tags, list) or any(
                not isinstance(t, int) or isinstance(t, bool) for t in tags
            ):  # P-TOPIC-C [D]: a list of integer ids (names are refused)
                return self.fail(
                    "invalid", "Parameter 'tags' must be a list of tag ids", {"tags": "invalid"}
                )
            for tag_id in tags:
                tag = self.state.tags.get(tag_id)
                if tag is None or tag["forum_id"] != forum_id:  # trap 4 [I] forum-local ids
                    return self.fail(
                        "invalid",
                        f"Tag {tag_id} does not belong to this forum",
                        {"tags": "invalid"},
                    )
            out["tag_ids"] = sorted(set(tags))
        if "custom_fields" in data:
            fields = data["custom_fields"]
            if fields is None:
                out["custom_fields"] = {}
            elif isinstance(fields, dict):
                out["custom_fields"] = {**(topic or {}).get("custom_fields", {}), **fields}
            else:
                return self.fail("invalid", "custom_fields must be an object")
        if "show_voter" in data:
            out["show_voter"] = bool(data["show_voter"])
        return out

    def topic_create(self, request: Request, forum_id: int) -> Response:
        """P2 [D] P-TOPIC-C: header and type required; the author is the acting user."""
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        author = self.acting(request)
        if author == ANONYMOUS_ID and not forum["allow_anonymous_topic"]:
            return self.fail("scope", "Anonymous topics are not allowed in this forum")  # [I]
        with self.lock:
            fields = self._topic_fields(data, forum_id, None)
            if isinstance(fields, Response):
                return fields
            now = iso(_now())
            topic_id = self.state.next_id("topic")
            topic = {
                "id": topic_id,
                "forum_id": forum_id,
                "description": "",
                "created": now,
                "updated": now,
                "category_id": None,
                "tag_ids": [],
                "author_id": author,
                "assigned_to": None,
                "show_voter": True,
                "custom_fields": {},
                "votes": {},
                # [D] needs_review defaults to "auto": [I] auto means no review here.
                "needs_review": data.get("needs_review") in (True, "true", "1", 1),
                **fields,
            }
            self.state.topics[topic_id] = topic
            return self.ok(self.topic_data(topic, author))

    def topic_update(self, request: Request, forum_id: int) -> Response:
        """P3 [D] P-TOPIC-U: PUT on the collection with `id` in the body (traps 2, 3); tags
        replace the whole list (trap 5); `status` [C] DA:833 only; `assigned_to` an agent."""
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        topic_id = self.body_id(request, data, query=False)
        if isinstance(topic_id, Response):
            return topic_id
        with self.lock:
            topic = self.state.topics.get(topic_id)
            if topic is None or topic["forum_id"] != forum_id:  # trap 2: needs its own forum
                return self.fail("not_found", f"Topic {topic_id} not found in forum {forum_id}")
            fields = self._topic_fields(data, forum_id, topic)
            if isinstance(fields, Response):
                return fields
            type_id = fields.get("type_id", topic["type_id"])
            if "status" in data:
                status_id = self._ref(data["status"])
                if status_id not in self.state.types[type_id]["statuses"]:
                    return self.fail(
                        "invalid",
                        f"Status {data['status']} is not a status of this topic's type",
                        {"status": "invalid"},
                    )
                fields["status_id"] = status_id
            if "assigned_to" in data:
                agent = self._ref(data["assigned_to"])
                if agent is not None and not self.state.users.get(agent, {}).get("is_staff"):
                    return self.fail(
                        "invalid", "assigned_to must be an agent", {"assigned_to": "invalid"}
                    )
                fields["assigned_to"] = agent
            if "needs_review" in data and self.config.put_needs_review:
                fields["needs_review"] = data["needs_review"] in (True, "true", "1", 1)
            topic.update(fields)
            topic["updated"] = iso(_now())
            return self.ok(self.topic_data(topic, self.acting(request)))

    def drop_topic(self, topic_id: int) -> None:
        self.state.topics.pop(topic_id, None)
        for cid in [c for c, row in self.state.comments.items() if row["topic_id"] == topic_id]:
            del self.state.comments[cid]

    def topic_delete(self, request: Request, topic_id: int) -> Response:
        """P9 [D]: DELETE topics/{id} (not under its forum, trap 2); irreversible (trap 9)."""
        with self.lock:
            if topic_id not in self.state.topics:
                return self.fail("not_found", f"Topic {topic_id} not found")
            self.drop_topic(topic_id)
        return self.ok(True)

    def topic_voters(self, request: Request, topic_id: int) -> Response:
        """V1 [D] exists; the shape is [I]: users, each with its `vote` (+1 / -1)."""
        topic = self.state.topics.get(topic_id)
        if topic is None:
            return self.fail("not_found", f"Topic {topic_id} not found")
        rows = [
            {**self.state.users[uid], "vote": vote}
            for uid, vote in topic["votes"].items()
            if uid in self.state.users
        ]
        return self.listing(
            request,
            rows,
            fields=self.user_fields,
            shape=lambda u: {**self.user_data(u), "vote": u["vote"]},
        )

    # === 2.6 comments =======================================================================
    def comments_list(self, request: Request, topic_id: int) -> Response:
        if topic_id not in self.state.topics:
            return self.fail("not_found", f"Topic {topic_id} not found")
        rows = [c for c in self.state.comments.values() if c["topic_id"] == topic_id]
        return self.listing(
            request, rows, fields=self.plain_fields, shape=self.comment_data, order="created"
        )

    def comment_create(self, request: Request, topic_id: int) -> Response:
        """K2 [D] exists; [C] DA:744-748 body {text, is_official}; the author is the acting
        user; [I] only an agent's comment can be official."""
        if topic_id not in self.state.topics:
            return self.fail("not_found", f"Topic {topic_id} not found")
        data = self.json_body(request)
        if isinstance(data, Response):
            return data
        text = str(data.get("text") or data.get("comment") or "").strip()
        if not text:
            return self.fail("invalid", "Parameter 'text' is required", {"text": "required"})
        author = self.acting(request)
        staff = bool(self.state.users.get(author, {}).get("is_staff"))
        with self.lock:
            cid = self.state.next_id("comment")
            comment = {
                "id": cid,
                "topic_id": topic_id,
                "text": text,
                "author_id": author,
                "is_official": staff and bool(data.get("is_official")),
                "created": iso(_now()),
            }
            self.state.comments[cid] = comment
            return self.ok(self.comment_data(comment))

    # === 2.7 files ==========================================================================
    def upload(self, request: Request, forum_id: int, kind: str) -> Response:
        """X1/X2 [D] P-UPLOAD: multipart `content`; not on a trial plan."""
        if self.config.trial_plan:
            return self.fail("scope", "By default this method is not available for a trial period!")
        forum = self.forum(forum_id)
        if isinstance(forum, Response):
            return forum
        content = request.files.get("content")
        if content is None:
            return self.fail("invalid", "Parameter 'content' is required", {"content": "req"})
        if kind == "image" and not (content.mimetype or "").startswith("image/"):
            return self.fail("invalid", "The file is not an image", {"content": "invalid"})
        payload = content.read()
        with self.lock:
            upload_id = self.state.next_id("upload")
            digest = hashlib.sha1(payload).hexdigest()  # noqa: S324 - a file name, not security
            filename = content.filename or ""
            suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
            row = {
                "id": upload_id,
                "type": kind,
                "original_filename": content.filename or "",
                "url": f"/s/attachments/1/{forum_id}/{upload_id}/{digest}.{suffix}",
                "created": iso(_now()),
                "forum": {"id": forum["id"], "name": forum["name"]},
                "user": {"id": self.acting(request)},
            }
            self.state.uploads[upload_id] = row
            return self.ok(copy.deepcopy(row))
