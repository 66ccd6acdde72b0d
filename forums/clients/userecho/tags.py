"""UserEcho tags and categories, per forum (2.4), and retagging a topic (P3).

A tag or category belongs to one forum of the project: forum 2's "bug" is not forum 1's "bug"
(trap 4), so records carry the forum (``scope``) and an id "forum:item". The verbs take a tag
by name, on every forum of the project that has it (the project is the "site"), or on the one
forum ``scope`` names, or exactly by its "forum:item" id. Writes go to the collection with the
id in the body (trap 3). Retagging replaces a topic's whole tag list (trap 5), so it reads the
topic, changes the list and writes it back; tags are sent as ids of the topic's forum (P-TOPIC-C
[D]), and a tag a topic should get that its forum lacks is created there first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ForumNotFound, ForumRejected
from ..records import Capability, ForumCategory, ForumTag, ForumTopic, unique_names
from .base import PAGE_SIZE, UserEchoBase, UserEchoForum, first, ref_id, to_int

_KEY = re.compile(r"^(\d+):(\d+)$")


@dataclass(frozen=True, slots=True)
class _Item:
    forum: UserEchoForum
    id: int
    name: str

    @property
    def key(self) -> str:
        return f"{self.forum.id}:{self.id}"


class UserEchoTags(UserEchoBase):
    tag_scope_note = (
        "UserEcho keeps tags per forum of the project: by name, a rename or delete changes "
        "the tag in every forum of the project that has it, and a create adds it to every "
        "forum that lacks it (one call each), unless one forum is chosen."
    )

    def tag_spaces(self) -> list[str]:
        return [forum.name for forum in self.list_forums()]

    # --- finding a tag or category -------------------------------------------------------------
    def _items(self, kind: str, forum: UserEchoForum) -> list[_Item]:
        if kind == "tags":
            return [_Item(forum, i, n) for i, n in self.forum_tags(forum).items()]
        return [
            _Item(forum, int(c["id"]), str(c.get("name") or ""))
            for c in self.pages(f"forums/{forum.id}/categories")
            if to_int(c.get("id")) is not None
        ]

    def _find(self, kind: str, key: str, scope: str = "") -> list[_Item]:
        """The tags or categories ``key`` names: "forum:id" exactly, else by name on every
        forum (or the ``scope`` forum) that has one. None found: ForumNotFound."""
        what = "tag" if kind == "tags" else "category"
        match = _KEY.match(str(key).strip())
        if match:
            forum = self.forum(match.group(1))
            found = [i for i in self._items(kind, forum) if i.id == int(match.group(2))]
        else:
            wanted = str(key).strip().lower()
            found = [
                i
                for forum in self.forums_in(scope)
                for i in self._items(kind, forum)
                if i.name.lower() == wanted
            ]
        if not found:
            where = f" in {self.forum(scope).name}" if scope else ""
            raise ForumNotFound(f"UserEcho has no {what} “{key}”{where}.")
        return found

    def _write(self, kind: str, method: str, forum: UserEchoForum, body: dict[str, Any]) -> Any:
        data, _details = self.call(method, f"forums/{forum.id}/{kind}", body=body)
        if kind == "tags":
            self._tags.pop(forum.id, None)
        return data

    # --- tags ----------------------------------------------------------------------------------
    def _tag(self, item: _Item) -> ForumTag:
        count = self.count(f"tags/{item.id}/topics")
        if count is None:  # trap 17: no details; count the pages instead
            count = sum(1 for _ in self.pages(f"tags/{item.id}/topics"))
        return ForumTag(name=item.name, topic_count=count, id=item.key, scope=item.forum.name)

    def list_tags(self) -> list[ForumTag]:
        """Every tag of every forum, each with its forum (``scope``) and topic count.

        ENDPOINTS.md 4.1 "Tag counts cost one call per tag": no tag field carries a count, so
        each forum's counts come from reading its topics once (100 a page) whenever that takes
        fewer calls than asking each tag (P7 `details.count`), which is kept for a forum with
        few tags and many topics, or whose topics do not carry their tags."""
        self.require(Capability.TAGS)
        tags: list[ForumTag] = []
        for forum in self.list_forums():
            items = self._items("tags", forum)
            counts = self._counted_from_topics(forum, len(items)) if items else {}
            for item in items:
                if counts is None:
                    tags.append(self._tag(item))
                else:
                    tags.append(ForumTag(name=item.name, topic_count=counts.get(item.id, 0),
                                         id=item.key, scope=item.forum.name))  # fmt: skip
        return tags

    def _counted_from_topics(self, forum: UserEchoForum, tag_count: int) -> dict[int, int] | None:
        """Tag id -> topics carrying it, from one read of the forum's topics; None when asking
        each tag is cheaper or the topics do not say their tags."""
        total = self.count(f"forums/{forum.id}/topics")
        if total is None:
            return None
        if total == 0:
            return {}
        pages = -(-total // PAGE_SIZE)
        if pages >= tag_count:
            return None
        by_id = self.forum_tags(forum)
        by_name = {n.lower(): i for i, n in by_id.items()}
        counts: dict[int, int] = {}
        for data in self.pages(f"forums/{forum.id}/topics"):
            if "tags" not in data:
                return None
            seen: set[int] = set()
            for entry in data.get("tags") or []:
                number = ref_id(entry)
                name = entry.get("name") if isinstance(entry, dict) else entry
                if number is None or number not in by_id:
                    number = by_name.get(str(name or "").strip().lower(), number)
                if number is not None:
                    seen.add(number)
            for number in seen:
                counts[number] = counts.get(number, 0) + 1
        return counts

    def list_tag_topics(
        self, *, tag: str, limit: int | None = None, scope: str = ""
    ) -> list[ForumTopic]:
        """P7 `tags/{id}/topics`: topics carrying ``tag`` (a name on every forum, or on
        ``scope``, or a "forum:id")."""
        self.require(Capability.TAGS)
        topics: list[ForumTopic] = []
        for item in self._find("tags", tag, scope):
            remaining = None if limit is None else limit - len(topics)
            if remaining is not None and remaining <= 0:
                break
            for data in self.pages(f"tags/{item.id}/topics", limit=remaining):
                topics.append(self._topic(data, forum=item.forum))
        return topics

    def create_tag(self, *, name: str, scope: str = "") -> None:
        """TG2 `POST forums/{id}/tags` `{"name"}` ([I] body): on the ``scope`` forum, or on
        every forum that has no such tag yet."""
        self.require(Capability.TAG_CREATE)
        name = name.strip()
        if not name:
            raise ForumRejected("A tag needs a name.")
        missing = [
            f
            for f in self.forums_in(scope)
            if name.lower() not in {n.lower() for n in self.forum_tags(f).values()}
        ]
        if not missing:
            where = self.forum(scope).name if scope else "every forum of this project"
            raise ForumRejected(f"The tag “{name}” already exists in {where}.")
        for forum in missing:
            self._write("tags", "POST", forum, {"name": name})

    def rename_tag(self, *, name: str, new_name: str, scope: str = "") -> None:
        """TG3 `PUT forums/{id}/tags` `{"id", "name"}` on each forum that has the tag. A forum
        that already has a tag called ``new_name`` is refused before anything is sent."""
        self.require(Capability.TAG_RENAME)
        self._rename("tags", name, new_name, scope)

    def delete_tag(self, *, name: str, scope: str = "") -> None:
        """TG4 `DELETE forums/{id}/tags` `{"id"}` ([I] body) on each forum that has the tag;
        UserEcho removes it from the forum's topics (irreversible, trap 9)."""
        self.require(Capability.TAG_DELETE)
        for item in self._find("tags", name, scope):
            self._write("tags", "DELETE", item.forum, {"id": item.id})

    def _rename(self, kind: str, key: str, new_name: str, scope: str) -> list[_Item]:
        new_name = new_name.strip()
        if not new_name:
            raise ForumRejected("The new name is empty.")
        items = self._find(kind, key, scope)
        for item in items:
            clash = [
                other
                for other in self._items(kind, item.forum)
                if other.name.lower() == new_name.lower() and other.id != item.id
            ]
            if clash:
                what = "tag" if kind == "tags" else "category"
                advice = " Merge them instead (retag its topics)." if kind == "tags" else ""
                raise ForumRejected(
                    f"{item.forum.name} already has a {what} “{clash[0].name}”: nothing was "
                    f"renamed.{advice}"
                )
        for item in items:
            self._write(kind, "PUT", item.forum, {"id": item.id, "name": new_name})
        return items

    # --- categories (platform-only) ---------------------------------------------------------
    def _category(self, item: _Item, data: dict | None = None) -> ForumCategory:
        return ForumCategory(
            id=item.key,
            name=item.name,
            topic_count=to_int((data or {}).get("topic_count")),
            scope=item.forum.name,
        )

    def list_categories(self, *, scope: str = "") -> list[ForumCategory]:
        """C1: the categories of every forum (or of ``scope``), with topic counts."""
        self.require(Capability.CATEGORIES)
        found = []
        for forum in self.forums_in(scope):
            for data in self.pages(f"forums/{forum.id}/categories"):
                if to_int(data.get("id")) is None:
                    continue
                item = _Item(forum, int(data["id"]), str(data.get("name") or ""))
                found.append(self._category(item, data))
        return found

    def create_category(self, *, scope: str, name: str) -> ForumCategory:
        """C2 `POST forums/{id}/categories` `{"name"}` ([I] body) on one forum."""
        self.require(Capability.CATEGORIES)
        forum = self.forum(scope)
        name = name.strip()
        if not name:
            raise ForumRejected("A category needs a name.")
        data = self._object(self._write("categories", "POST", forum, {"name": name}), "a category")
        return self._category(_Item(forum, int(to_int(data.get("id")) or 0), name), data)

    def rename_category(self, *, key: str, new_name: str, scope: str = "") -> None:
        """C3 `PUT forums/{id}/categories` `{"id", "name"}`."""
        self.require(Capability.CATEGORIES)
        self._one("categories", key, scope)
        self._rename("categories", key, new_name, scope)

    def delete_category(self, *, key: str, scope: str = "") -> None:
        """C4 `DELETE forums/{id}/categories` `{"id"}`; its topics lose the category."""
        self.require(Capability.CATEGORIES)
        item = self._one("categories", key, scope)
        self._write("categories", "DELETE", item.forum, {"id": item.id})

    def _one(self, kind: str, key: str, scope: str) -> _Item:
        items = self._find(kind, key, scope)
        if len(items) > 1:
            forums = ", ".join(i.forum.name for i in items)
            raise ForumRejected(f"“{key}” is a category of several forums ({forums}): choose one.")
        return items[0]

    # --- retagging ---------------------------------------------------------------------------
    def topic_forum(self, topic: ForumTopic, data: dict | None = None) -> UserEchoForum:
        """Trap 2: the forum a topic lives in (its update needs it): the topic's own
        `forum_id` ([C] export) when ``data`` (the topic as read) carries it, else ``scope``,
        else the forum whose list has that id."""
        forum_id = ref_id(first(data or {}, "forum_id", "forum"))
        if forum_id is not None:
            return self.forum(forum_id)
        if topic.scope:
            return self.forum(topic.scope)
        for forum in self.list_forums():
            listed = self.pages(
                f"forums/{forum.id}/topics", params={"filter__id": int(topic.id)}, limit=1
            )
            if any(to_int(t.get("id")) == int(topic.id) for t in listed):
                return forum
        raise ForumNotFound(f"UserEcho has no topic #{topic.id}.")

    def retag(
        self,
        *,
        topics: Sequence[ForumTopic],
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        replace: Iterable[str] | None = None,
    ) -> list[int]:
        """Per topic: read it (P8), compute the new list (``replace``, else ``remove`` then
        ``add``, by name, case-insensitive), write the whole list as the forum's tag ids (P3
        `PUT forums/{id}/topics` `{"id", "tags"}`). Topics whose list would not change are not
        sent. Returns the ids of the topics sent."""
        self.require(Capability.TOPIC_RETAG)
        adding = unique_names(add)
        removing = {t.lower() for t in unique_names(remove)}
        fixed = unique_names(replace) if replace is not None else None
        sent: list[int] = []
        for topic in topics:
            fresh = self._object(self.get(f"topics/{int(topic.id)}"), "a topic")
            forum = self.topic_forum(topic, fresh)
            by_id = self.forum_tags(forum)
            current = self._current_tag_ids(topic, forum, fresh.get("tags") or [])
            names = [by_id.get(i, f"#{i}") for i in current]
            if fixed is not None:
                wanted = fixed
            else:
                wanted = unique_names([*(n for n in names if n.lower() not in removing), *adding])
            ids = [self._tag_id(forum, name, current) for name in wanted]
            if sorted(ids) == sorted(current):
                continue
            self.call("PUT", f"forums/{forum.id}/topics", body={"id": int(topic.id), "tags": ids})
            sent.append(int(topic.id))
        return sent

    def _current_tag_ids(self, topic: ForumTopic, forum: UserEchoForum, entries: Any) -> list[int]:
        """The ids of the tags a topic has, whatever shape they come in (ENDPOINTS.md 4.1 "A
        topic's `tags` may come back as names": ids, {id, name} objects, names, {name}
        objects). Retag is a full replacement (trap 5), so an entry left unresolved would be
        removed from the topic: then nothing is written for it."""
        by_id = self.forum_tags(forum)
        by_name = {n.lower(): i for i, n in by_id.items()}
        ids: list[int] = []
        unresolved: list[str] = []
        for entry in entries if isinstance(entries, list) else []:
            number = ref_id(entry)
            name = entry.get("name") if isinstance(entry, dict) else entry
            if number is not None and (number in by_id or not isinstance(name, str)):
                ids.append(number)
            elif isinstance(name, str) and name.strip().lower() in by_name:
                ids.append(by_name[name.strip().lower()])
            else:
                unresolved.append(str(name if name is not None else entry))
        if unresolved:
            raise ForumRejected(
                f"Topic #{topic.id} has tags UserEcho did not list in {forum.name} "
                f"({', '.join(unresolved)}): retagging it would remove them, so it was left "
                "as it is."
            )
        return list(dict.fromkeys(ids))

    def _tag_id(self, forum: UserEchoForum, name: str, current: list[int]) -> int:
        if name.startswith("#") and name[1:].isdigit() and int(name[1:]) in current:
            return int(name[1:])  # a tag the topic has whose name the forum did not list
        by_name = {n.lower(): i for i, n in self.forum_tags(forum).items()}
        if name.lower() not in by_name:
            self._write("tags", "POST", forum, {"name": name})
            by_name = {n.lower(): i for i, n in self.forum_tags(forum).items()}
            if name.lower() not in by_name:
                raise ForumRejected(f"UserEcho did not create the tag “{name}” in {forum.name}.")
        return by_name[name.lower()]
