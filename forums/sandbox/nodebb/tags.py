"""The sandbox NodeBB: tags, tag groups and the topics they are on.

Part of ``NodeBBSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

import math
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core import json_response
from .common import (
    MAX_TAGS,
    MSG,
    TOPICS_PER_PAGE,
    _iso,
    _page_number,
    _pagination,
)
from .seed import (
    MIN_TAG_LENGTH,
    clean_tag,
)


class NodeBBTags:
    """A part of the app (mixed in): state, lock and config are the app's."""

    def topic_data(self, topic: dict[str, Any], viewer: int) -> dict[str, Any]:
        author = self.state.users.get(topic["uid"])
        name = author["username"] if author else "[[global:former-user]]"
        slug = author["userslug"] if author else ""
        return {
            "tid": topic["tid"],
            "uid": topic["uid"],
            "cid": topic["cid"],
            "mainPid": topic["tid"] * 10,
            "title": topic["title"],
            "titleRaw": topic["title"],
            "slug": topic["slug"],
            "timestamp": topic["timestamp"],
            "timestampISO": _iso(topic["timestamp"]),
            "lastposttime": topic["timestamp"],
            "lastposttimeISO": _iso(topic["timestamp"]),
            "postcount": topic["postcount"],
            "viewcount": topic["viewcount"],
            "deleted": 0,
            "locked": 0,
            "pinned": 0,
            "upvotes": 0,
            "downvotes": 0,
            "votes": 0,
            "tags": [self.tag_row(t) for t in topic["tags"]],
            "category": {"cid": topic["cid"], "name": f"Category {topic['cid']}",
                         "slug": f"{topic['cid']}/category-{topic['cid']}", "icon": "fa-comments",
                         "bgColor": "#59b3d0", "color": "#ffffff", "disabled": 0},
            "user": {"uid": topic["uid"], "username": name, "userslug": slug,
                     "displayname": name, "picture": "", "icon:text": "?",
                     "icon:bgColor": "#aaa", "reputation": 0, "postcount": 0},
            "teaser": None,
            "isOwner": topic["uid"] == viewer,
            "ignored": False,
            "unread": False,
            "unreplied": topic["postcount"] <= 1,
            "icons": [],
            "index": 0,
            "thumb": "",
            "isSolved": 0,
        }  # fmt: skip

    def tag_counts(self) -> dict[str, int]:
        # ENDPOINTS.md "NodeBB 4.15.1 answers" / a tag whose last topic was retagged away:
        # the tag stays, with score 0 (src/topics/tags.js updateTagCount keeps `count || 0`)
        counts: dict[str, int] = dict.fromkeys(self.state.tags, 0)
        for topic in self.state.topics.values():
            for tag in topic["tags"]:
                counts[tag] = counts.get(tag, 0) + 1
        return counts

    @staticmethod
    def tag_row(tag: str, score: int | None = None) -> dict[str, Any]:
        row = {"value": tag, "valueEscaped": tag, "valueEncoded": tag, "class": tag}
        if score is not None:
            row["score"] = score
        return row

    def topic_get(self, request: Request, tid: int) -> Response:
        """ENDPOINTS.md Tags: a topic with its tags as tag objects (``GET /api/v3/topics/{tid}``,
        write.yaml; topics.getTopicData), read before a retag removes one of them."""
        topic = self.state.topics.get(tid)
        if topic is None:
            # ENDPOINTS.md "Response / error shape": `[[error:no-topic]]` gives 404
            return self.fail(404, MSG["no-topic"])
        data = self.topic_data(topic, self.caller(request))
        for key in ("category", "user", "teaser", "isOwner", "ignored", "unread", "unreplied",
                    "icons", "index"):  # fmt: skip
            data.pop(key, None)  # the page's extras, not getTopicData's fields
        return self.ok(data)

    def _topic_for_tagging(self, request: Request, tid: int) -> Response | dict:
        topic = self.state.topics.get(tid)
        if topic is None:
            return self.fail(404, MSG["no-topic"])
        caller = self.caller(request)
        if not (self.is_staff(caller) or topic["uid"] == caller):
            return self.fail(403, MSG["no-privileges"])
        return topic

    def _tags_from(self, request: Request) -> list[str] | Response:
        tags = self.body(request).get("tags")
        if tags is None:
            return self.fail(
                400, "Required parameters were missing from this API call: tags",
                {"params": ["tags"]},
            )  # fmt: skip
        if not isinstance(tags, list):
            return self.fail(400, MSG["invalid-data"])
        # ENDPOINTS.md "NodeBB 4.15.1 answers" / PUT topic tags with a tag shorter than
        # minimumTagLength: 200, the tag silently dropped (src/topics/tags.js filterTags keeps
        # `tag.length >= (meta.config.minimumTagLength || 3)`)
        return [t for t in dict.fromkeys(clean_tag(t) for t in tags) if len(t) >= MIN_TAG_LENGTH]

    def _set_tags(self, request: Request, tid: int, *, append: bool) -> Response:
        with self.lock:
            topic = self._topic_for_tagging(request, tid)
            if isinstance(topic, Response):
                return topic
            tags = self._tags_from(request)
            if isinstance(tags, Response):
                return tags
            new = list(dict.fromkeys((topic["tags"] if append else []) + tags))
            if len(new) > MAX_TAGS:
                return self.fail(
                    400, f"Too many tags. Topics can't have more than {MAX_TAGS} tag(s)"
                )
            topic["tags"] = new
            self.state.tags.update(new)
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / PUT/PATCH topic tags: tag objects
            # {value, valueEncoded, class}
            if self.config.profile.tag_value_escaped:
                # before 4.14 the tag objects also carried valueEscaped (releases.py)
                return self.ok([{"value": t, "valueEscaped": t, "valueEncoded": t, "class": t}
                                for t in new])  # fmt: skip
            return self.ok([{"value": t, "valueEncoded": t, "class": t} for t in new])

    def topic_tags_set(self, request: Request, tid: int) -> Response:
        return self._set_tags(request, tid, append=False)

    def topic_tags_add(self, request: Request, tid: int) -> Response:
        return self._set_tags(request, tid, append=True)

    def topic_tags_clear(self, request: Request, tid: int) -> Response:
        with self.lock:
            topic = self._topic_for_tagging(request, tid)
            if isinstance(topic, Response):
                return topic
            topic["tags"] = []
        return self.ok()

    def socket_io(self, request: Request) -> Response:
        """Only the handshake's refusal of a Bearer token is modelled: the sandbox speaks no
        socket.io and keeps no cookie sessions, which real NodeBB needs for admin.tags.*."""
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            # ENDPOINTS.md "NodeBB 4.15.1 answers" / site-wide tag rename / delete / create:
            # socket.io takes the user only from the session cookie; a Bearer token alone is
            # refused (403 on connect)
            return json_response({"code": 4, "message": "Forbidden"}, 403)
        return json_response({"code": 3, "message": "Bad request"}, 400)

    def _sorted_tags(self) -> list[tuple[str, int]]:
        return sorted(self.tag_counts().items(), key=lambda kv: (-kv[1], kv[0]))

    def read_tags(self, request: Request) -> Response:
        tags = self._sorted_tags()[:100]  # the page shows the first 100; more come by socket.io
        return self.page(request, "tags", {
            "tags": [self.tag_row(t, n) for t, n in tags],
            "displayTagSearch": True,
            "nextStart": 100,
            "title": "[[pages:tags]]",
            "breadcrumbs": [{"text": "[[tags:tags]]"}],
        })  # fmt: skip

    def read_admin_tags(self, request: Request) -> Response:
        denied = self._admin_only(request)
        if denied:
            return denied
        return self.page(request, "admin/manage/tags", {
            "tags": [self.tag_row(t, n) for t, n in self._sorted_tags()],
        })  # fmt: skip

    def read_tag_topics(self, request: Request, tag: str) -> Response:
        caller = self.caller(request)
        tag = clean_tag(tag)
        page = _page_number(request)
        topics = sorted(
            (t for t in self.state.topics.values() if tag in t["tags"]),
            key=lambda t: -t["timestamp"],
        )
        page_count = max(math.ceil(len(topics) / TOPICS_PER_PAGE), 1)
        chunk = topics[(page - 1) * TOPICS_PER_PAGE : page * TOPICS_PER_PAGE]
        return self.page(request, "tag", {
            "topics": [self.topic_data(t, caller) for t in chunk],
            "tag": tag,
            "title": f"[[pages:tag, {tag}]]",
            "canPost": True,
            "isFollowing": False,
            "showSelect": self.is_staff(caller),
            "showTopicTools": self.is_staff(caller),
            "allCategoriesUrl": f"tags/{tag}",
            "selectedCategory": None,
            "selectedCids": [],
            "rssFeedUrl": f"/tags/{tag}.rss",
            "feeds:disableRSS": 0,
            "pagination": _pagination(page, page_count),
            "breadcrumbs": [{"text": "[[tags:tags]]", "url": "/tags"}, {"text": tag}],
        })  # fmt: skip
