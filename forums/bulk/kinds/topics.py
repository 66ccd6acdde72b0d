"""Retag topics: add, remove or replace tags on many topics, chosen by id (or address) or as
every topic carrying a tag. Discourse changes a batch in one ``PUT /topics/bulk.json``; NodeBB
one topic per call. Targets are topic ids."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from django import forms

from forums.clients.errors import ForumBadResponse, ForumNotFound, ForumRejected
from forums.clients.records import Capability, ForumTopic
from forums.core.targets import ParsedTargets, Rejected, TargetLine

from .base import Kind, Resolved, check_each

_SPLIT = re.compile(r"[,\s]+")
RESOLVE_BATCH = 50  # topics read per planning step (one call each)


def tag_list(text: str) -> list[str]:
    """ "a, b c" -> ["a", "b", "c"] (order kept, duplicates dropped)."""
    return list(dict.fromkeys(t for t in _SPLIT.split(text or "") if t))


def retagged(
    tags: Iterable[str], *, add: Iterable[str], remove: Iterable[str], replace: bool
) -> list[str]:
    """A topic's tags after the change (as the clients' ``retag`` computes them)."""
    adding = [t.lower() for t in add]
    if replace:
        return list(dict.fromkeys(adding))
    removing = {t.lower() for t in remove}
    kept = [t.lower() for t in tags if t.lower() not in removing]
    return list(dict.fromkeys([*kept, *adding]))


class RetagForm(forms.Form):
    add = forms.CharField(
        required=False, max_length=500, label="Add tags",
        help_text="Separated by commas or spaces.",
    )  # fmt: skip
    remove = forms.CharField(required=False, max_length=500, label="Remove tags")
    replace = forms.BooleanField(
        required=False,
        label="Replace: each topic keeps only the tags to add",
        help_text="With no tags to add, this clears every tag of each topic.",
    )
    tag = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean() or self.cleaned_data  # None keeps cleaned_data
        add, remove = tag_list(data.get("add", "")), tag_list(data.get("remove", ""))
        if data.get("replace") and remove:
            self.add_error("remove", "A replace sets the whole list: leave “Remove tags” empty.")
        elif not data.get("replace") and not add and not remove:
            raise forms.ValidationError("Say which tags to add or remove.")
        both = {t.lower() for t in add} & {t.lower() for t in remove}
        if both:
            self.add_error("remove", f"{', '.join(sorted(both))}: both added and removed.")
        data["add"], data["remove"] = add, remove
        return data


class RetagKind(Kind):
    """Topics given by id: each is read (its tags) when planned and again before it is sent."""

    key = "retag"
    area = "tags"
    label = "Retag topics"
    done_label = "retagged"
    capabilities = (Capability.TOPIC_RETAG,)
    form_class = RetagForm
    from_bulk_form = False

    def check_forums(self, client_classes, params):
        for name in params.get("add") or []:
            check_each(client_classes, lambda cls, name=name: cls.check_tag_name(name))

    def describe(self, params):
        parts = []
        if params.get("replace"):
            parts.append(f"set tags to {', '.join(params['add']) or 'none'}")
        else:
            if params.get("add"):
                parts.append(f"add {', '.join(params['add'])}")
            if params.get("remove"):
                parts.append(f"remove {', '.join(params['remove'])}")
        where = f" tagged {params['tag']}" if params.get("tag") else ""
        return f"Retag topics{where}: {'; '.join(parts)}"

    def parse_targets(self, text="", *, csv_data=None):
        result = ParsedTargets()
        seen: dict[str, int] = {}
        for number, line in enumerate((text or "").splitlines(), start=1):
            for token in _SPLIT.split(line.strip()):
                if not token:
                    continue
                if not token.isdigit() or len(token) > 18:
                    result.junk.append(Rejected(number, token[:200], "not a topic id"))
                    continue
                value = str(int(token))
                if value in seen:
                    result.duplicates.append(
                        Rejected(number, token, f"already given on line {seen[value]}")
                    )
                    continue
                seen[value] = number
                result.targets.append(TargetLine(number, value, "topic"))
        return result

    def reason(self, topic: ForumTopic, params: dict[str, Any]) -> str:
        after = retagged(
            topic.tags, add=params.get("add") or [], remove=params.get("remove") or [],
            replace=bool(params.get("replace")),
        )  # fmt: skip
        if sorted(after) == sorted(t.lower() for t in topic.tags):
            return "already tagged so"
        return ""

    def _read(self, client, ctx, ids: Iterable[int]) -> dict[int, ForumTopic]:
        topics = ctx.setdefault("topics", {})
        unreadable = ctx.setdefault("unreadable", {})
        for topic_id in ids:
            unreadable.pop(topic_id, None)
            try:
                topics[topic_id] = client.get_topic(topic_id=topic_id)
            except ForumNotFound:
                topics.pop(topic_id, None)
            except (ForumRejected, ForumBadResponse) as exc:
                # One topic the forum refuses or answers oddly for is that topic's problem:
                # it is listed as unreadable, and the plan goes on with the others.
                topics.pop(topic_id, None)
                unreadable[topic_id] = f"could not be read: {exc}"[:500]
        return topics

    def resolve_batch_size(self, client):
        return RESOLVE_BATCH

    def resolve(self, client, ctx, params, targets):
        topics = self._read(client, ctx, [int(t) for t in targets if t.isdigit()])
        resolved = {
            str(topic_id): Resolved(topic_id, topic.title[:200], self.reason(topic, params))
            for topic_id, topic in topics.items()
            if str(topic_id) in targets
        }
        for topic_id, problem in ctx["unreadable"].items():
            if str(topic_id) in targets:
                resolved[str(topic_id)] = Resolved(topic_id, f"topic #{topic_id}", problem)
        return resolved

    def recheck(self, client, ctx, params, targets):
        topics = self._read(client, ctx, [t.forum_id for t in targets])
        reasons = {}
        for target in targets:
            topic = topics.get(target.forum_id)
            if topic is None:
                reasons[target.item_id] = ctx["unreadable"].get(
                    target.forum_id, "no longer exists on this forum"
                )
            elif reason := self.reason(topic, params):
                reasons[target.item_id] = reason
        return reasons

    def recheck_calls(self, client, count):
        return count  # one read per topic

    def batch_size(self, client):
        return max(client.retag_batch_size, 1)

    def apply(self, client, ctx, params, targets):
        topics = [ctx["topics"][t.forum_id] for t in targets]
        if params.get("replace"):
            client.retag(topics=topics, replace=params.get("add") or [])
        else:
            client.retag(topics=topics, add=params.get("add") or [],
                         remove=params.get("remove") or [])  # fmt: skip
        for topic in topics:  # what they carry now, should this run recheck them again
            ctx["topics"][topic.id] = ForumTopic(
                id=topic.id, title=topic.title, slug=topic.slug, url=topic.url,
                category_id=topic.category_id, scope=topic.scope,
                tags=tuple(retagged(topic.tags, add=params.get("add") or [],
                                    remove=params.get("remove") or [],
                                    replace=bool(params.get("replace")))),
            )  # fmt: skip
        return {}


class RetagTaggedKind(RetagKind):
    """Every topic carrying ``tag`` on each chosen forum, found when the plan is made."""

    key = "retag_tagged"
    label = "Retag every topic with a tag"
    discovers_targets = True

    def prepare(self, client, params, frozen=None):
        try:
            topics = client.list_tag_topics(tag=params["tag"])
        except ForumNotFound:
            topics = []
        return {"topics": {t.id: t for t in topics}}

    def discover_targets(self, client, ctx, params):
        return [str(topic_id) for topic_id in ctx["topics"]]

    def resolve_batch_size(self, client):
        return 500  # read in prepare(): no calls

    def resolve(self, client, ctx, params, targets):
        topics = ctx["topics"]
        return {
            t: Resolved(int(t), topics[int(t)].title[:200], self.reason(topics[int(t)], params))
            for t in targets
            if t.isdigit() and int(t) in topics
        }

    def recheck(self, client, ctx, params, targets):
        # The topics carrying the tag now were read when this run started (prepare).
        source_goes = params["tag"].lower() not in retagged(
            [params["tag"]], add=params.get("add") or [], remove=params.get("remove") or [],
            replace=bool(params.get("replace")),
        )  # fmt: skip
        reasons = {}
        for target in targets:
            topic = ctx["topics"].get(target.forum_id)
            if topic is None:
                reasons[target.item_id] = (
                    f"already without the tag {params['tag']}"
                    if source_goes
                    else f"no longer tagged {params['tag']}"
                )
            elif reason := self.reason(topic, params):
                reasons[target.item_id] = reason
        return reasons

    def recheck_calls(self, client, count):
        return math.ceil(count / max(client.topics_page_size, 1))

    def check_forums(self, client_classes, params):
        if not params.get("tag"):
            raise forms.ValidationError("Say which tag's topics to retag.")
        super().check_forums(client_classes, params)
