"""Discourse tags: the tag list, a tag's topics, create (tag upload), rename, merge (synonym),
delete, delete unused, retag topics (``PUT /topics/bulk.json``) and tag groups."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from ..errors import ForumRejected
from ..records import ForumTag, ForumTagGroup, ForumTopic
from .base import DiscourseBase, clean, to_int
from .versions import merges_tags_by_array, renames_tag_by_name, tag_groups_by_objects

MAX_TAG_LENGTH = 20  # SiteSetting.max_tag_length (default)
# DiscourseTagging::TAGS_FILTER_REGEXP: characters clean_tag strips from a tag name.
TAG_FORBIDDEN = re.compile(r"""[/?#\[\]@!$&'()*+,;=.%\\`^|{}"<>]""")
RETAG_BATCH = 100  # topic ids per PUT /topics/bulk.json: no limit in the code; kept modest


class DiscourseTags(DiscourseBase):
    tag_name_help = (
        f"Lower case, at most {MAX_TAG_LENGTH} characters; spaces become dashes; no "
        "punctuation other than - and _."
    )
    topics_page_size = 30  # /tag/{name}.json: TopicQuery's per_page
    retag_batch_size = RETAG_BATCH

    @classmethod
    def check_tag_name(cls, name: str) -> str:
        """DiscourseTagging.clean_tag: lower case (force_lowercase_tags), spaces to dashes;
        refused here rather than silently cut or stripped by the forum."""
        name = "-".join(super().check_tag_name(name).lower().split())
        name = re.sub(r"-{2,}", "-", name)
        bad = sorted(set(TAG_FORBIDDEN.findall(name)))
        if bad:
            raise ValueError(
                f"Discourse would strip {' '.join(bad)} from “{name}”: use letters, digits, - "
                "or _ only."
            )
        if len(name) > MAX_TAG_LENGTH:
            raise ValueError(
                f"“{name}” is {len(name)} characters long; Discourse allows at most "
                f"{MAX_TAG_LENGTH} (max_tag_length)."
            )
        return name

    @classmethod
    def topic_id_from_url(cls, url: str) -> int | None:
        """``/t/slug/123``, ``/t/123``, ``/t/slug/123/4`` or ``/t/123/4`` (a post in it)."""
        parts = [p for p in urlsplit(url.strip()).path.split("/") if p]
        if len(parts) < 2 or parts[0] != "t" or len(parts) > 4:
            return None
        rest = parts[1:]
        if rest[0].isdigit():  # /t/123 or /t/123/4: no slug
            return int(rest[0])
        return int(rest[1]) if len(rest) > 1 and rest[1].isdigit() else None

    def get_topic(self, *, topic_id: int) -> ForumTopic:
        payload = self._dict(self._json("GET", f"/t/{int(topic_id)}.json"), "a topic")
        return self._topic(payload)

    def list_tags(self) -> list[ForumTag]:
        """All tags with topic counts; works with both the old (id = name) and new shapes."""
        payload = self._dict(self._json("GET", "/tags.json"), "tags")
        tags = list(payload.get("tags") or [])
        # Tags may also sit per category or per tag group in `extras`.
        extras = payload.get("extras") or {}
        for holder in (extras.get("categories") or []) + (extras.get("tag_groups") or []):
            if isinstance(holder, dict):
                tags.extend(holder.get("tags") or [])
        result: dict[str, ForumTag] = {}
        for tag in tags:
            if not isinstance(tag, dict):
                continue
            raw_id = tag.get("id")
            name = tag.get("name") or tag.get("text")
            if not name and isinstance(raw_id, str):
                name = raw_id  # before 2025-12 the id *was* the name
            if not name:
                continue
            if tag.get("target_tag"):
                continue  # a synonym (a merged tag): its topics carry the target tag
            result.setdefault(
                str(name),
                ForumTag(
                    name=str(name),
                    topic_count=to_int(tag.get("count", tag.get("topic_count"))) or 0,
                    id=raw_id if isinstance(raw_id, int) else str(name),
                ),
            )
        return list(result.values())

    def iter_tag_topics(self, *, tag: str, max_topics: int | None = None) -> Iterator[ForumTopic]:
        """Topics carrying ``tag``, page by page (0-based) until the list ends."""
        seen_ids: set[int] = set()
        path = f"/tag/{self._seg(tag)}.json"

        def page(number: int) -> tuple[list[ForumTopic], int | None]:
            params = {"page": number} if number else None
            payload = self._dict(self._json("GET", path, params=params), "a topic list")
            topic_list = payload.get("topic_list") or {}
            fresh = []
            for topic in topic_list.get("topics") or []:
                topic_id = to_int(topic.get("id")) if isinstance(topic, dict) else None
                if topic_id is None or topic_id in seen_ids:
                    continue
                seen_ids.add(topic_id)
                fresh.append(self._topic(topic))
            more = bool(fresh) and bool(topic_list.get("more_topics_url"))
            return fresh, (number + 1 if more else None)

        return self.paginate(page, start=0, limit=max_topics)

    def list_tag_topics(self, *, tag: str, limit: int | None = None) -> list[ForumTopic]:
        return list(self.iter_tag_topics(tag=tag, max_topics=limit))

    def _topic(self, data: dict) -> ForumTopic:
        tags = []
        for tag in data.get("tags") or []:
            if isinstance(tag, dict):
                tag = tag.get("name") or tag.get("id")
            if tag:
                tags.append(str(tag))
        topic_id = int(data.get("id") or 0)
        slug = str(data.get("slug") or "")
        return ForumTopic(
            id=topic_id,
            title=str(data.get("title") or ""),
            slug=slug,
            tags=tuple(tags),
            category_id=to_int(data.get("category_id")),
            url=f"{self.base_url}/t/{slug or 'topic'}/{topic_id}",
        )

    def create_tag(self, *, name: str) -> None:
        """The only direct "create tags" call is the CSV tag upload (ENDPOINTS.md, Tags)."""
        self._json(
            "POST",
            "/tags/upload.json",
            files={"file": ("tags.csv", f"{name}\n".encode(), "text/csv")},
        )

    def rename_tag(self, *, name: str, new_name: str) -> None:
        """``PUT /tag/{name}.json``. The field that carries the new name depends on the
        release (versions.renames_tag_by_name): ``tag[name]`` since 2025.12, which refuses
        ``tag[id]`` with 422; ``tag[id]`` before, which ignores ``tag[name]``.
        ``app/controllers/tags_controller.rb`` ``#update``."""
        field = "name" if renames_tag_by_name(self.forum_version()) else "id"
        self._json("PUT", f"/tag/{self._seg(name)}.json", json_body={"tag": {field: new_name}})

    def merge_tag(self, *, name: str, into: str) -> None:
        """Discourse merges by making ``name`` a synonym of ``into``: its topics move over.

        Since 2026.01 the tag is sent in ``tags[]`` (``synonyms[]`` is deprecated, drop_from
        2026.07); before, in ``synonyms[]`` (versions.merges_tags_by_array). A refusal is HTTP
        200 ``{"failed": "FAILED", "failed_tags": {tag: message}}`` (e.g. the tag has synonyms
        of its own): ``ForumRejected`` with Discourse's words.
        ``app/controllers/tags_controller.rb`` ``#create_synonyms``;
        ``lib/discourse_tagging.rb`` ``add_or_create_synonyms``."""
        if merges_tags_by_array(self.forum_version()):
            known = {t.name.lower(): t.id for t in self.list_tags()}
            tag_id = known.get(name.lower())
            entry: dict[str, Any] = (
                {"id": tag_id, "name": name} if isinstance(tag_id, int) else {"name": name}
            )
            body: dict[str, Any] = {"tags": [entry]}
        else:
            body = {"synonyms": [name]}
        payload = self._json("POST", f"/tag/{self._seg(into)}/synonyms.json", json_body=body)
        if isinstance(payload, dict) and (payload.get("failed") or payload.get("failed_tags")):
            failed = payload.get("failed_tags")
            reasons = (
                "; ".join(f"{tag}: {why}" for tag, why in failed.items())
                if isinstance(failed, dict) and failed
                else "no reason given"
            )
            raise ForumRejected(
                f"Discourse refused to merge “{name}” into “{into}”: {self.scrub(reasons)}",
                status=200,
            )

    def delete_tag(self, *, name: str) -> None:
        self._json("DELETE", f"/tag/{self._seg(name)}.json")

    def delete_unused_tags(self) -> None:
        self._json("DELETE", "/tags/unused.json")

    def retag(
        self,
        *,
        topics: Sequence[ForumTopic],
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        replace: Iterable[str] | None = None,
    ) -> list[int]:
        """``PUT /topics/bulk.json``: one call for a replace or a pure append; removing tags is a
        replace per distinct resulting tag list (older Discourse has no ``remove_tags``)."""
        ids = [int(t.id) for t in topics]
        if not ids:
            return []
        if replace is not None:
            self._bulk_tags(ids, "change_tags", clean(replace))
            return ids
        adding, removing = clean(add), {t.lower() for t in clean(remove)}
        if not removing:
            if adding:
                self._bulk_tags(ids, "append_tags", adding)
            return ids
        by_result: dict[tuple[str, ...], list[int]] = {}
        for topic in topics:
            kept = [t for t in topic.tags if t.lower() not in removing]
            result = tuple(clean([*kept, *adding]))
            by_result.setdefault(result, []).append(int(topic.id))
        for tags, topic_ids in by_result.items():
            self._bulk_tags(topic_ids, "change_tags", list(tags))
        return ids

    def _bulk_tags(self, topic_ids: list[int], operation: str, tags: list[str]) -> None:
        body = {"topic_ids": topic_ids, "operation": {"type": operation, "tags": tags}}
        self._json("PUT", "/topics/bulk.json", json_body=body)

    # --- tag groups --------------------------------------------------------------------------
    @staticmethod
    def _tag_group(data: dict) -> ForumTagGroup:
        def names(*keys: str) -> tuple[str, ...]:
            for key in keys:
                values = data.get(key)
                if isinstance(values, list):
                    return tuple(
                        str(v.get("name") if isinstance(v, dict) else v)
                        for v in values
                        if v is not None and (not isinstance(v, dict) or v.get("name"))
                    )
            return ()

        return ForumTagGroup(
            id=int(data.get("id") or 0),
            name=str(data.get("name") or ""),
            tag_names=names("tag_names", "tags"),
            parent_tag_names=names("parent_tag_name", "parent_tag"),
            one_per_topic=bool(data.get("one_per_topic")),
        )

    def _tag_group_tags(
        self, tags: list[str], parents: list[str], *, always: bool = False
    ) -> dict[str, Any]:
        """A tag group's tag fields in the release's shape (versions.tag_groups_by_objects):
        since 2026.01 ``tags`` / ``parent_tag`` as ``{id, name}`` objects (``{name}`` for a tag
        that does not exist yet, which Discourse creates), the deprecated ``tag_names`` /
        ``parent_tag_name`` before. ``always``: send empty lists too (an update: Discourse
        resets a field left out). ``app/controllers/tag_groups_controller.rb``
        ``tag_groups_params``."""
        if not tag_groups_by_objects(self.forum_version()):
            fields = {"tag_names": tags, "parent_tag_name": parents[:1]}
            return {k: v for k, v in fields.items() if v or always}
        ids = {t.name.lower(): t.id for t in self.list_tags()} if tags or parents else {}

        def ref(tag: str) -> dict[str, Any]:
            tag_id = ids.get(tag.lower())
            return {"id": tag_id, "name": tag} if isinstance(tag_id, int) else {"name": tag}

        objects = {"tags": [ref(t) for t in tags], "parent_tag": [ref(t) for t in parents[:1]]}
        return {k: v for k, v in objects.items() if v or always}

    def list_tag_groups(self) -> list[ForumTagGroup]:
        payload = self._dict(self._json("GET", "/tag_groups.json"), "tag groups")
        return [self._tag_group(g) for g in payload.get("tag_groups") or []]

    def get_tag_group(self, *, tag_group_id: int) -> ForumTagGroup:
        payload = self._dict(
            self._json("GET", f"/tag_groups/{int(tag_group_id)}.json"), "a tag group"
        )
        return self._tag_group(payload.get("tag_group") or {})

    def create_tag_group(
        self,
        *,
        name: str,
        tag_names: Iterable[str] = (),
        parent_tag_names: Iterable[str] = (),
        one_per_topic: bool | None = None,
    ) -> ForumTagGroup:
        """Create a tag group; named tags that do not exist yet are created with it."""
        body: dict[str, Any] = {"name": name}
        body.update(self._tag_group_tags(clean(tag_names), clean(parent_tag_names)))
        if one_per_topic is not None:
            body["one_per_topic"] = one_per_topic
        payload = self._dict(self._json("POST", "/tag_groups.json", json_body=body), "a tag group")
        return self._tag_group(payload.get("tag_group") or {})

    def update_tag_group(
        self,
        *,
        tag_group_id: int,
        name: str | None = None,
        tag_names: Iterable[str] | None = None,
        parent_tag_names: Iterable[str] | None = None,
        one_per_topic: bool | None = None,
    ) -> ForumTagGroup:
        """Change a tag group. Discourse resets any list left out to empty, so the current
        tags (and parent tag) are read first and always sent: a rename keeps the group's tags."""
        current = self.get_tag_group(tag_group_id=tag_group_id)
        body: dict[str, Any] = {
            "name": name if name is not None else current.name,
            **self._tag_group_tags(
                clean(tag_names) if tag_names is not None else list(current.tag_names),
                clean(parent_tag_names)
                if parent_tag_names is not None
                else list(current.parent_tag_names),
                always=True,
            ),
            "one_per_topic": current.one_per_topic if one_per_topic is None else one_per_topic,
        }
        payload = self._dict(
            self._json("PUT", f"/tag_groups/{int(tag_group_id)}.json", json_body=body),
            "a tag group",
        )
        group = payload.get("tag_group")
        return self._tag_group(group) if isinstance(group, dict) else current

    def delete_tag_group(self, *, tag_group_id: int) -> None:
        self._json("DELETE", f"/tag_groups/{int(tag_group_id)}.json")
