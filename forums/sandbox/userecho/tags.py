"""The sandbox UserEcho: tags, tag groups and the topics they are on.

Part of ``UserEchoSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response


class UserEchoTags:
    """A part of the app (mixed in): state, lock and config are the app's."""

    @staticmethod
    def tag_data(tag: dict[str, Any]) -> dict[str, Any]:
        return {"id": tag["id"], "name": tag["name"]}

    def tags_list(self, request: Request, forum_id: int) -> Response:
        return self._named_list(request, forum_id, "tag")

    def tag_create(self, request: Request, forum_id: int) -> Response:
        return self._named_write(request, forum_id, "tag", "create")

    def tag_update(self, request: Request, forum_id: int) -> Response:
        return self._named_write(request, forum_id, "tag", "update")

    def tag_delete(self, request: Request, forum_id: int) -> Response:
        return self._named_write(request, forum_id, "tag", "delete")

    def tag_topics(self, request: Request, tag_id: int) -> Response:
        if tag_id not in self.state.tags:
            return self.fail("not_found", f"Tag {tag_id} not found")
        return self.topic_list(
            request, (t for t in self.state.topics.values() if tag_id in t["tag_ids"])
        )
