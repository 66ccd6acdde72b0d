"""UserEcho topics: read one, delete one (its own path, trap 2), and the review queue: topics
waiting for review in every forum (`filter__needs_review=1`, SEED:105)."""

from __future__ import annotations

from ..records import Capability, ForumTopic
from .base import UserEchoBase, UserEchoForum, first


class UserEchoTopics(UserEchoBase):
    def get_topic(self, *, topic_id: int) -> ForumTopic:
        """P8 `topics/{id}`."""
        return self._topic(self._object(self.get(f"topics/{int(topic_id)}"), "a topic"))

    def delete_topic(self, *, topic_id: int) -> None:
        """P9 `DELETE topics/{id}` (not under its forum, trap 2); irreversible (trap 9). The
        topic is read first, so an unknown id says so instead of "done"."""
        self.require(Capability.TOPIC_DELETE)
        topic = self.get_topic(topic_id=topic_id)
        self.call("DELETE", f"topics/{topic.id}")

    def _waiting(self, forum: UserEchoForum, limit: int | None) -> list[ForumTopic]:
        topics = []
        query = {"filter__needs_review": 1, "order_by": "-created"}
        for data in self.pages(f"forums/{forum.id}/topics", params=query, limit=limit):
            # Trap 16: a filter the server ignored would list every topic; a topic that says
            # it needs no review is left out (one that does not say is taken at its word).
            if first(data, "needs_review") is False:
                continue
            topics.append(self._topic(data, forum=forum))
        return topics

    def review_topics(self, *, limit: int | None = None) -> list[ForumTopic]:
        """Topics waiting for review, newest first within each forum."""
        self.require(Capability.REVIEW_QUEUE)
        found: list[ForumTopic] = []
        for forum in self.list_forums():
            remaining = None if limit is None else limit - len(found)
            if remaining is not None and remaining <= 0:
                break
            found += self._waiting(forum, remaining)
        return found

    def review_count(self) -> int:
        """How many topics wait for review in all the project's forums."""
        return len(self.review_topics())
