"""NodeBB tags: the tag list, a tag's topics, and retagging topic by topic. NodeBB has no API
token route for a site-wide tag create, rename, merge or delete (socket.io with an admin
password session only), so those stay "not offered"; the pages do them by retagging."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from ..records import Capability, ForumTag, ForumTopic, unique_names
from .base import NodeBBBase, to_int

# meta.config minimumTagLength / maximumTagLength (defaults).
MIN_TAG_LENGTH, MAX_TAG_LENGTH = 3, 15
# utils.cleanUpTag strips these characters from a tag.
TAG_FORBIDDEN = re.compile(r"""[,/#!$^*;:{}=_`<>'"~()?|]""")


class NodeBBTags(NodeBBBase):
    tag_name_help = (
        f"Lower case, {MIN_TAG_LENGTH}–{MAX_TAG_LENGTH} characters; spaces become dashes; no "
        "punctuation other than - and ."
    )
    # ENDPOINTS.md "NodeBB 4.15.1 answers" / a tag whose last topic was retagged away: it stays
    # with score 0; only socket.io admin.tags.deleteTags (an admin password session) removes it.
    tag_left_empty_note = (
        "NodeBB keeps a tag with no topics in its list; only NodeBB's admin panel (Manage → "
        "Tags) can remove it, which an API token cannot do."
    )
    topics_page_size = 20  # /api/tags/{tag}: topicsPerPage
    retag_batch_size = 1  # PUT/PATCH /api/v3/topics/{tid}/tags: one topic per call

    @classmethod
    def check_tag_name(cls, name: str) -> str:
        """utils.cleanUpTag: lower case, trimmed, cut at maximumTagLength, punctuation
        stripped; refused here rather than changed by the forum."""
        name = "-".join(super().check_tag_name(name).lower().split())
        bad = sorted(set(TAG_FORBIDDEN.findall(name)))
        if bad:
            raise ValueError(
                f"NodeBB would strip {' '.join(bad)} from “{name}”: use letters, digits, - or . "
                "only."
            )
        if not MIN_TAG_LENGTH <= len(name) <= MAX_TAG_LENGTH:
            raise ValueError(
                f"“{name}” is {len(name)} characters long; NodeBB takes tags of "
                f"{MIN_TAG_LENGTH}–{MAX_TAG_LENGTH} characters (minimumTagLength, "
                "maximumTagLength)."
            )
        return name

    @classmethod
    def topic_id_from_url(cls, url: str) -> int | None:
        """``/topic/123``, ``/topic/123/slug`` or ``/topic/123/slug/4`` (a post in it)."""
        parts = [p for p in urlsplit(url.strip()).path.split("/") if p]
        if len(parts) >= 2 and parts[0] == "topic" and parts[1].isdigit():
            return int(parts[1])
        return None

    def get_topic(self, *, topic_id: int) -> ForumTopic:
        """``GET /api/v3/topics/{tid}`` (topics.getTopicData: tags as tag objects)."""
        self.require(Capability.TAGS)
        data = self._write("GET", f"/api/v3/topics/{int(topic_id)}")
        return self._topic(data if isinstance(data, dict) else {})

    def _topic(self, data: dict) -> ForumTopic:
        slug = str(data.get("slug") or "")
        tags = tuple(
            str(t.get("value") if isinstance(t, dict) else t) for t in data.get("tags") or []
        )
        return ForumTopic(
            id=int(data.get("tid") or 0),
            title=str(data.get("titleRaw") or data.get("title") or ""),
            slug=slug,
            tags=tags,
            category_id=to_int(data.get("cid")),
            url=f"{self.base_url}/topic/{slug}" if slug else "",
        )

    @staticmethod
    def _tag_names(response: Any) -> tuple[str, ...]:
        return tuple(
            str(t.get("value") if isinstance(t, dict) else t)
            for t in (response if isinstance(response, list) else [])
            if t
        )

    def list_tags(self) -> list[ForumTag]:
        """Every tag with its topic count (ACP list; the public /api/tags stops at 100)."""
        self.require(Capability.TAGS)
        payload = self._read("/api/admin/manage/tags")
        return [
            ForumTag(
                name=str(t["value"]), topic_count=to_int(t.get("score"), 0) or 0, id=t["value"]
            )
            for t in payload.get("tags") or []
            if isinstance(t, dict) and t.get("value")
        ]

    def list_tag_topics(self, *, tag: str, limit: int | None = None) -> list[ForumTopic]:
        """Topics carrying ``tag``, all pages of ``GET /api/tags/{tag}``."""
        self.require(Capability.TAGS)

        def page(number: int) -> tuple[list[ForumTopic], int | None]:
            payload = self._read(f"/api/tags/{self._seg(tag)}", params={"page": number})
            topics = [self._topic(t) for t in payload.get("topics") or [] if isinstance(t, dict)]
            page_count = to_int((payload.get("pagination") or {}).get("pageCount"), 1) or 1
            return topics, (number + 1 if number < page_count else None)

        return list(self.paginate(page, start=1, limit=limit))

    def set_topic_tags(self, *, topic_id: int, tags: Iterable[str]) -> tuple[str, ...]:
        """Replace a topic's tags; returns the tags it now has."""
        self.require(Capability.TOPIC_RETAG)
        response = self._write(
            "PUT", f"/api/v3/topics/{int(topic_id)}/tags", body={"tags": list(tags)}
        )
        return self._tag_names(response)

    def add_topic_tags(self, *, topic_id: int, tags: Iterable[str]) -> tuple[str, ...]:
        """Append tags to a topic; returns the tags it now has."""
        self.require(Capability.TOPIC_RETAG)
        response = self._write(
            "PATCH", f"/api/v3/topics/{int(topic_id)}/tags", body={"tags": list(tags)}
        )
        return self._tag_names(response)

    def clear_topic_tags(self, *, topic_id: int) -> None:
        self.require(Capability.TOPIC_RETAG)
        self._write("DELETE", f"/api/v3/topics/{int(topic_id)}/tags")

    def retag(
        self,
        *,
        topics: Sequence[ForumTopic],
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        replace: Iterable[str] | None = None,
    ) -> list[int]:
        """One call per topic: PATCH to append, PUT the whole list to replace or remove, DELETE
        to clear."""
        self.require(Capability.TOPIC_RETAG)
        adding, removing = unique_names(add), {t.lower() for t in unique_names(remove)}
        fixed = unique_names(replace) if replace is not None else None
        sent: list[int] = []
        for topic in topics:
            if fixed is not None:
                tags = fixed
            elif removing:
                tags = unique_names(
                    [*(t for t in topic.tags if t.lower() not in removing), *adding]
                )
            elif adding:
                self.add_topic_tags(topic_id=topic.id, tags=adding)
                sent.append(int(topic.id))
                continue
            else:
                continue
            if tags:
                self.set_topic_tags(topic_id=topic.id, tags=tags)
            else:
                self.clear_topic_tags(topic_id=topic.id)
            sent.append(int(topic.id))
        return sent
