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

# tags.synonyms_exist (config/locales/server.en.yml; paraphrased)
SYNONYMS_EXIST = "Synonyms are not allowed when tag already has synonyms"

# ENDPOINTS.md "Rules" / create tags: lib/discourse_tagging.rb TAGS_FILTER_REGEXP
# (/?#[]@!$&'()*+,;=.%\`^|{}"<> and white space) and the default max_tag_length (20).
TAGS_FILTER = re.compile(r"[/?#\[\]@!$&'()*+,;=.%\\`^\s|{}\"<>]+")
MAX_TAG_LENGTH = 20


def clean_tag(name: str) -> str:
    """``DiscourseTagging.clean_tag``: lower case (force_lowercase_tags is on by default), strip,
    white space to "-", drop what is neither a word character nor punctuation, drop the filter's
    characters, squeeze "-", cut to max_tag_length."""
    name = re.sub(r"\s+", "-", name.lower().strip())
    name = re.sub(r"[^\w!-/:-@\[-`{-~]+", "", name)
    name = TAGS_FILTER.sub("", name)
    name = re.sub(r"-{2,}", "-", name)
    return name[:MAX_TAG_LENGTH]


class DiscourseTags:
    """A part of the app (mixed in): state, lock and config are the app's."""

    def _tag_count(self, name: str) -> int:
        return sum(1 for t in self.topics.values() if name in t["tags"])

    def _ensure_tag(self, name: str) -> dict[str, Any]:
        tag = self.tags.get(name)
        if tag is None:
            tag = self.tags[name] = {"id": self.next_tag_id, "name": name}
            self.next_tag_id += 1
        return tag

    def tags_list(self, request: Request) -> Response:
        with self.lock:
            rows = []
            for tag in sorted(self.tags.values(), key=lambda t: t["name"]):
                count = self._tag_count(tag["name"])
                target = tag.get("target_tag")
                if self.legacy_tag_ids:
                    rows.append({"id": tag["name"], "text": tag["name"], "count": count,
                                 "pm_count": 0, "target_tag": target})  # fmt: skip
                else:
                    rows.append({"id": tag["id"], "text": tag["name"], "name": tag["name"],
                                 "count": count, "pm_count": 0, "target_tag": target})  # fmt: skip
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
        """ENDPOINTS.md "Rules" / rename a tag. ``PUT /tag/{name}.json``: the field holding the
        new name follows the release (releases.py ``tag_rename_field``).
        ``app/controllers/tags_controller.rb`` ``#update``: since 2025.12 a body with
        ``tag[id]`` is refused with 422 (``render_json_error``), even beside ``tag[name]``, and
        a body without ``tag[name]`` changes nothing (200); before, only ``tag[id]`` is read, so
        ``tag[name]`` alone changes nothing and answers 200."""
        p = params_of(request)
        tag_param = p.get("tag")
        if not isinstance(tag_param, dict):
            return error(400, "param is missing or the value is empty: tag")
        current = self.release.tag_rename_field == "name"
        if current and tag_param.get("id"):
            return error(
                422,
                "Updating a tag name by `id` attribute is unsupported. Use the `name` "
                "attribute instead.",
            )
        field = "name" if current else "id"
        new_name = str(tag_param.get(field) or "").strip().lower()
        with self.lock:
            tag = self.tags.get(name)
            if tag is None:
                return self.not_found(request)
            if not new_name:
                if not current and not tag_param:
                    return error(400, "param is missing or the value is empty: tag")
                # the field this release reads is absent: nothing changes, and it says 200
                return self._renamed(tag)
            if not re.fullmatch(r"[^\s,/?#&]{1,50}", new_name):
                return error(422, "Name is invalid")
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
            for other in self.tags.values():
                if other.get("target_tag") == name:
                    other["target_tag"] = new_name
            return self._renamed(tag)

    def _renamed(self, tag: dict[str, Any]) -> Response:
        if self.release.tag_rename_field == "id":
            return json_response({"tag": {"id": tag["name"]}})  # the older answer: the name
        return json_response(
            {"tag": {"id": tag["id"], "name": tag["name"], "slug": tag["name"],
                     "description": None}}
        )  # fmt: skip

    def tag_delete(self, request: Request, name: str) -> Response:
        with self.lock:
            if name not in self.tags:
                return self.not_found(request)
            del self.tags[name]
            for other in self.tags.values():
                if other.get("target_tag") == name:
                    other["target_tag"] = None
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
            # ENDPOINTS.md "Rules" / create tags: each name is cleaned before use
            # (app/controllers/tags_controller.rb #upload -> DiscourseTagging.clean_tag), and
            # an existing tag is reused; the answer is success_json either way.
            name = clean_tag(line.split(",", 1)[0])
            if name:
                names.append(name)
        with self.lock:
            for name in names:
                self._ensure_tag(name)
        return json_response({"success": "OK"})

    def tag_synonyms_add(self, request: Request, name: str) -> Response:
        """ENDPOINTS.md Tags / "Rules" merge tags: ``POST /tag/{name}/synonyms.json``.

        ``app/controllers/tags_controller.rb`` ``#create_synonyms``: since 2026.01 (releases.py
        ``merge_tags_array``) the tags come in ``tags[]`` (``{id}`` of an existing tag, ``{name}``
        of a new one) and ``synonyms[]`` (names, deprecated) is read only when ``tags`` is
        absent; older releases read only ``synonyms[]``. ``lib/discourse_tagging.rb``
        ``add_or_create_synonyms``: a tag that has synonyms of its own cannot become one
        (``tags.synonyms_exist``); refusals answer HTTP 200 ``{failed, failed_tags}``. A merged
        tag stays as a synonym (``target_tag``) and its topics move to the target."""
        p = params_of(request)
        release = self.release
        entries = p.get("tags") if release.merge_tags_array else None
        if isinstance(entries, dict):  # form data: tags[0][id]=..
            entries = list(entries.values())
        ids: list[int] = []
        names: list[str] = []
        if entries:
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                if entry.get("id") not in (None, ""):
                    try:
                        ids.append(int(entry["id"]))
                    except (TypeError, ValueError):
                        continue
                elif entry.get("name"):
                    names.append(str(entry["name"]).lower())
        elif release.synonyms_param:
            names = [t.lower() for t in comma_list(p.get("synonyms"))]
        with self.lock:
            target = self.tags.get(name)
            if target is None:
                return self.not_found(request)
            by_id = {t["id"]: t for t in self.tags.values()}
            chosen = [by_id[i]["name"] for i in ids if i in by_id] + names
            failed: dict[str, str] = {}
            for synonym in dict.fromkeys(chosen):
                if synonym == name:
                    continue  # the target is left out of its own synonyms
                if any(t.get("target_tag") == synonym for t in self.tags.values()):
                    failed[synonym] = SYNONYMS_EXIST
                    continue
                tag = self._ensure_tag(synonym)
                tag["target_tag"] = name
                for topic in self.topics.values():
                    if synonym in topic["tags"]:
                        topic["tags"] = sorted({*(t for t in topic["tags"] if t != synonym), name})
            if failed:
                return json_response({"failed": "FAILED", "failed_tags": failed})
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
        """``app/controllers/tag_groups_controller.rb`` ``tag_groups_params``, by release
        (releases.py ``tag_group_objects``)."""
        tag_names = self._tag_refs_in(p.get("tags")) if self.release.tag_group_objects else None
        parent = self._tag_refs_in(p.get("parent_tag")) if self.release.tag_group_objects else None
        # Since 2026.01 `tags` / `parent_tag` ({id, name, slug} objects; an existing tag by
        # `id`, a new one by `name`) win; `tag_names` / `parent_tag_name` are read when they are
        # absent (deprecated, drop_from 2026.07). Older releases read only the old fields, so
        # there a `tags`-only PUT empties the group.
        if not tag_names:
            tag_names = [t.lower() for t in comma_list(p.get("tag_names"))]
        if not parent:
            parent = [t.lower() for t in comma_list(p.get("parent_tag_name"))]
        # ENDPOINTS.md "Rules" / tag groups: a PUT that omits the tag fields resets them to []
        group["tag_names"] = sorted(set(tag_names))
        group["parent_tag_name"] = parent[:1]
        # ... and one that omits one_per_topic resets it to false
        group["one_per_topic"] = truthy(p.get("one_per_topic"))
        if isinstance(p.get("permissions"), dict):
            group["permissions"] = {str(k): int(v) for k, v in p["permissions"].items()}
        for name in group["tag_names"] + group["parent_tag_name"]:
            self._ensure_tag(name)

    def _tag_refs_in(self, value: Any) -> list[str]:
        """Tag names from ``[{id, name, slug}]``: an ``id`` names an existing tag (an unknown
        id is left out), an entry without one a tag to create by its ``name``."""
        if isinstance(value, dict):  # form data: tags[0][id]=..
            value = list(value.values())
        if not isinstance(value, list):
            return []
        by_id = {t["id"]: t["name"] for t in self.tags.values()}
        names = []
        for entry in value:
            if not isinstance(entry, dict):
                continue
            if entry.get("id") not in (None, ""):
                try:
                    found = by_id.get(int(entry["id"]))
                except (TypeError, ValueError):
                    found = None
                if found:
                    names.append(found)
            elif entry.get("name"):
                names.append(str(entry["name"]).strip().lower())
        return names

    def tag_group_create(self, request: Request) -> Response:
        p = params_of(request)
        name = str(p.get("name") or "").strip()
        if not name:
            return error(400, "param is missing or the value is empty: name")
        with self.lock:
            if any(g["name"].lower() == name.lower() for g in self.tag_groups.values()):
                # ENDPOINTS.md "Rules" / answers S leaves out: a taken name is 422.
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
