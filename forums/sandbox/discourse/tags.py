"""The sandbox Discourse: tags, tag groups and the topics they are on.

Part of ``DiscourseSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

import copy
import re
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core import json_response
from . import seed as data
from .common import (
    BULK_OPERATIONS,
    TOPICS_PER_PAGE,
    comma_list,
    error,
    invalid_params,
    iso,
    params_of,
    truthy,
)


class DiscourseTags:
    """A part of the app (mixed in): state, lock and config are the app's."""

    def _tag_count(self, name: str) -> int:
        return sum(1 for t in self.topics.values() if name in t["tags"])

    def _ensure_tag(self, name: str) -> dict[str, Any]:
        tag = self.tags.get(name)
        if tag is None:
            tag = self.tags[name] = {"id": self.next_tag_id, "name": name}
            self.next_tag_id += 1
            self.web_hook_tag("tag_created", tag)
        return tag

    def tags_list(self, request: Request) -> Response:
        with self.lock:
            rows = []
            for tag in sorted(self.tags.values(), key=lambda t: t["name"]):
                count = self._tag_count(tag["name"])
                if self.legacy_tag_ids:
                    rows.append({"id": tag["name"], "text": tag["name"], "count": count,
                                 "pm_count": 0, "target_tag": None})  # fmt: skip
                else:
                    rows.append({"id": tag["id"], "text": tag["name"], "name": tag["name"],
                                 "count": count, "pm_count": 0, "target_tag": None})  # fmt: skip
            return json_response({"tags": rows, "extras": {"categories": []}})

    def _topic_row(self, topic: dict[str, Any]) -> dict[str, Any]:
        created = iso(topic["created_at"])
        return {
            "id": topic["id"], "title": topic["title"], "fancy_title": topic["title"],
            "slug": topic["slug"], "posts_count": topic["posts_count"],
            "reply_count": max(topic["posts_count"] - 1, 0),
            "highest_post_number": topic["posts_count"], "image_url": None,
            "created_at": created, "last_posted_at": created, "bumped": True,
            "bumped_at": created, "archetype": "regular", "unseen": False, "pinned": False,
            "unpinned": None, "visible": True, "closed": False, "archived": False,
            "bookmarked": False, "liked": False, "tags": list(topic["tags"]),
            "views": topic["views"], "like_count": topic["like_count"], "has_summary": False,
            "last_poster_username": self.users.get(topic["user_id"], self.users[-1])["username"],
            "category_id": topic["category_id"], "pinned_globally": False,
            "featured_link": None, "posters": [],
        }  # fmt: skip

    def tag_topics(self, request: Request, name: str) -> Response:
        p = params_of(request)
        try:
            page = max(int(p.get("page") or 0), 0)
        except ValueError:
            return error(400, "page must be a number")
        with self.lock:
            tag = self.tags.get(name)
            if tag is None:
                return self.not_found(request)
            topics = sorted(
                (t for t in self.topics.values() if name in t["tags"]),
                key=lambda t: (t["created_at"], t["id"]),
                reverse=True,
            )
            chunk = topics[page * TOPICS_PER_PAGE : (page + 1) * TOPICS_PER_PAGE]
            topic_list: dict[str, Any] = {
                "can_create_topic": True, "per_page": TOPICS_PER_PAGE,
                "tags": [{"id": tag["id"], "name": name, "topic_count": len(topics),
                          "staff": False}],
                "topics": [self._topic_row(t) for t in chunk],
            }  # fmt: skip
            if (page + 1) * TOPICS_PER_PAGE < len(topics):
                topic_list["more_topics_url"] = f"/tag/{name}?match_all_tags=true&page={page + 1}"
            return json_response({"users": [], "primary_groups": [], "topic_list": topic_list})

    def topic_show(self, request: Request, topic_id: int) -> Response:
        """ENDPOINTS.md Tags / retag: one topic with its tags (``GET /t/{id}.json``, S), which
        a retag of pasted topic ids reads before it removes a tag."""
        with self.lock:
            topic = self.topics.get(topic_id)
            if topic is None:
                return self.not_found(request)
            out = copy.deepcopy(data.TOPIC)
            author = self.users.get(topic["user_id"], self.users[-1])
            created = iso(topic["created_at"])
            out.update(
                id=topic["id"], title=topic["title"], fancy_title=topic["title"],
                slug=topic["slug"], category_id=topic["category_id"] or 0,
                posts_count=topic["posts_count"], views=topic["views"],
                like_count=topic["like_count"], reply_count=max(topic["posts_count"] - 1, 0),
                created_at=created, last_posted_at=created, visible=True,
                archetype="regular", user_id=author["id"],
                highest_post_number=topic["posts_count"], chunk_size=20,
                tags=[{"id": self._ensure_tag(t)["id"], "name": t, "slug": t}
                      for t in topic["tags"]],
            )  # fmt: skip
            person = {**self.basic_user(author), "name": author["name"] or ""}
            out["details"].update(created_by=person, last_poster=person)
            return json_response(out)

    def tag_rename(self, request: Request, name: str) -> Response:
        p = params_of(request)
        new_name = str((p.get("tag") or {}).get("id") or "").strip().lower()
        if not new_name:
            return error(400, "param is missing or the value is empty: tag")
        if not re.fullmatch(r"[^\s,/?#&]{1,50}", new_name):
            return error(422, "Name is invalid")
        with self.lock:
            tag = self.tags.get(name)
            if tag is None:
                return self.not_found(request)
            if new_name != name and new_name in self.tags:
                return error(422, "Name has already been taken")
            del self.tags[name]
            tag["name"] = new_name
            self.tags[new_name] = tag
            for topic in self.topics.values():
                topic["tags"] = [new_name if t == name else t for t in topic["tags"]]
            for group in self.tag_groups.values():
                for key in ("tag_names", "parent_tag_name"):
                    group[key] = [new_name if t == name else t for t in group[key]]
            self.web_hook_tag("tag_updated", tag)
            return json_response(
                {"tag": {"id": tag["id"], "name": new_name, "slug": new_name, "description": None}}
            )

    def tag_delete(self, request: Request, name: str) -> Response:
        with self.lock:
            if name not in self.tags:
                return self.not_found(request)
            self.web_hook_tag("tag_destroyed", self.tags[name])
            del self.tags[name]
            for topic in self.topics.values():
                topic["tags"] = [t for t in topic["tags"] if t != name]
            for group in self.tag_groups.values():
                for key in ("tag_names", "parent_tag_name"):
                    group[key] = [t for t in group[key] if t != name]
            return json_response({"success": "OK"})

    def tags_upload(self, request: Request) -> Response:
        """ENDPOINTS.md Tags: `POST /tags/upload.json`, a CSV of `tag_name[,tag_group_name]`,
        the only direct "create tags" call."""
        upload = request.files.get("file")
        if upload is None:
            return error(400, "param is missing or the value is empty: file")
        names = []
        for line in upload.read().decode("utf-8", "replace").splitlines():
            name = line.split(",", 1)[0].strip().lower()
            if name:
                names.append(name)
        with self.lock:
            for name in names:
                self._ensure_tag(name)
        return json_response({"success": "OK"})

    def tag_synonyms_add(self, request: Request, name: str) -> Response:
        """ENDPOINTS.md Tags: `POST /tag/{name}/synonyms.json` `synonyms[]`: each synonym's
        topics move to the target tag and the synonym stops being a tag of its own."""
        p = params_of(request)
        synonyms = [t.lower() for t in comma_list(p.get("synonyms"))]
        with self.lock:
            if name not in self.tags:
                return self.not_found(request)
            for synonym in synonyms:
                if synonym == name:
                    return error(422, "A tag cannot be a synonym of itself")
                self.tags.pop(synonym, None)
                for topic in self.topics.values():
                    if synonym in topic["tags"]:
                        topic["tags"] = sorted({*(t for t in topic["tags"] if t != synonym), name})
            return json_response({"success": "OK"})

    def tags_unused(self, request: Request) -> Response:
        """ENDPOINTS.md Tags: `DELETE /tags/unused.json` deletes the tags no topic carries."""
        with self.lock:
            for name in [n for n in self.tags if not self._tag_count(n)]:
                del self.tags[name]
            return json_response({"success": "OK"})

    def topics_bulk(self, request: Request) -> Response:
        p = params_of(request)
        operation = p.get("operation") or {}
        operations = BULK_OPERATIONS | ({"remove_tags"} if self.config.bulk_remove_tags else set())
        if not isinstance(operation, dict) or operation.get("type") not in operations:
            # ENDPOINTS.md "Rules" / retag: remove_tags is missing from older versions (an
            # unknown operation is InvalidParameters)
            return invalid_params("operation")
        try:
            ids = [int(i) for i in comma_list(p.get("topic_ids"))]
        except ValueError:
            return error(400, "topic_ids must be ids")
        if not ids:
            return error(400, "param is missing or the value is empty: topic_ids")
        kind = operation["type"]
        tags = [t.lower() for t in comma_list(operation.get("tags"))]
        actor = self.acting(request)
        changed = []
        with self.lock:
            for topic_id in ids:
                topic = self.topics.get(topic_id)
                if topic is None:
                    continue
                if not (self._is_staff(actor) or topic["user_id"] == actor["id"]):
                    continue  # guardian.can_edit?(topic) is false: left out of the answer
                if kind == "change_tags":
                    new = sorted(set(tags))
                elif kind == "append_tags":
                    new = sorted(set(topic["tags"]) | set(tags))
                elif kind == "remove_tags":
                    new = sorted(set(topic["tags"]) - set(tags))
                else:
                    new = topic["tags"]  # other operations are not modelled; they change nothing
                for tag in new:
                    self._ensure_tag(tag)
                topic["tags"] = new
                # ENDPOINTS.md "Rules" / retag: topic_ids lists every topic the key may edit,
                # not only the ones whose tags changed
                changed.append(topic_id)
        return json_response({"topic_ids": sorted(changed)})

    def _tag_refs(self, names: list[str]) -> list[dict[str, Any]]:
        return [{"id": self._ensure_tag(n)["id"], "name": n, "slug": n} for n in names]

    def _tag_group_full(self, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": group["id"], "name": group["name"], "tag_names": list(group["tag_names"]),
            "parent_tag_name": list(group["parent_tag_name"]),
            "one_per_topic": group["one_per_topic"], "permissions": dict(group["permissions"]),
        }  # fmt: skip

    def tag_groups_list(self, request: Request) -> Response:
        with self.lock:
            rows = [
                {"id": g["id"], "name": g["name"], "tags": self._tag_refs(g["tag_names"]),
                 "parent_tag": self._tag_refs(g["parent_tag_name"]),
                 "one_per_topic": g["one_per_topic"], "permissions": dict(g["permissions"])}
                for g in sorted(self.tag_groups.values(), key=lambda g: g["name"].lower())
            ]  # fmt: skip
            return json_response({"tag_groups": rows})

    def tag_group_show(self, request: Request, tag_group_id: int) -> Response:
        with self.lock:
            group = self.tag_groups.get(tag_group_id)
            if group is None:
                return self.not_found(request)
            return json_response({"tag_group": self._tag_group_full(group)})

    def _tag_group_fields(self, group: dict[str, Any], p: dict[str, Any]) -> None:
        # ENDPOINTS.md "Rules" / tag groups: a PUT that omits tag_names / parent_tag_name resets
        # them to [] (TagGroupsController#tag_groups_params) ...
        group["tag_names"] = sorted({t.lower() for t in comma_list(p.get("tag_names"))})
        group["parent_tag_name"] = [t.lower() for t in comma_list(p.get("parent_tag_name"))][:1]
        # ... and one that omits one_per_topic resets it to false
        group["one_per_topic"] = truthy(p.get("one_per_topic"))
        if isinstance(p.get("permissions"), dict):
            group["permissions"] = {str(k): int(v) for k, v in p["permissions"].items()}
        for name in group["tag_names"] + group["parent_tag_name"]:
            self._ensure_tag(name)

    def tag_group_create(self, request: Request) -> Response:
        p = params_of(request)
        name = str(p.get("name") or "").strip()
        if not name:
            return error(400, "param is missing or the value is empty: name")
        with self.lock:
            if any(g["name"].lower() == name.lower() for g in self.tag_groups.values()):
                return error(422, "Name has already been taken")
            group = {"id": self.next_tag_group_id, "name": name, "tag_names": [],
                     "parent_tag_name": [], "one_per_topic": False,
                     "permissions": {"everyone": 1}}  # fmt: skip
            self.next_tag_group_id += 1
            self._tag_group_fields(group, p)
            self.tag_groups[group["id"]] = group
            full = self._tag_group_full(group)
            full.update(tags=self._tag_refs(group["tag_names"]),
                        parent_tag=self._tag_refs(group["parent_tag_name"]))  # fmt: skip
            return json_response({"tag_group": full})

    def tag_group_update(self, request: Request, tag_group_id: int) -> Response:
        p = params_of(request)
        with self.lock:
            group = self.tag_groups.get(tag_group_id)
            if group is None:
                return self.not_found(request)
            name = str(p.get("name") or group["name"]).strip()
            if any(g["name"].lower() == name.lower() and g["id"] != tag_group_id
                   for g in self.tag_groups.values()):  # fmt: skip
                return error(422, "Name has already been taken")
            group["name"] = name
            self._tag_group_fields(group, p)
            return json_response({"success": "OK", "tag_group": self._tag_group_full(group)})

    def tag_group_delete(self, request: Request, tag_group_id: int) -> Response:
        with self.lock:
            if self.tag_groups.pop(tag_group_id, None) is None:
                return self.not_found(request)
            return json_response({"success": "OK"})
