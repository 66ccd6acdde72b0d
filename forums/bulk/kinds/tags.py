"""Tags across forums: rename, merge, delete and create a tag on every forum that has it.

A forum that changes a tag site-wide in one call (Discourse: rename, synonym, delete) gets one
item, the tag; a forum that cannot (NodeBB has no token route for it) gets one item per topic
carrying the tag, and the run retags those topics one by one at the forum's pace. Which way a
forum goes is asked of its client class (``supports(Capability.TAG_RENAME)``), never its name.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from django import forms

from forums.clients import ForumClient
from forums.clients.errors import ForumNotFound
from forums.clients.records import Capability

from .base import Kind, Resolved, check_each

TAG, TOPIC = "tag:", "topic:"
RESOLVE_LOCAL = 500  # targets are looked up in what prepare() read: no calls


def _only_in(params: dict[str, Any]) -> str:
    return f" (only in {params['scope']})" if params.get("scope") else ""


def _scope(client: ForumClient, params: dict[str, Any]) -> dict[str, str]:
    """``scope=`` for a forum whose tags live per space (the client class says so), when the
    change names one space: only that one is touched."""
    return {"scope": params["scope"]} if params.get("scope") and client.tag_scope_note else {}


def tags_of(client: ForumClient) -> dict[str, Any]:
    return {t.name.lower(): t for t in client.list_tags()}


class TagChangeKind(Kind):
    """Change one tag everywhere it is: in one call where the forum offers ``direct``, else by
    retagging each topic that carries it."""

    area = "tags"

    capabilities = (Capability.TAGS,)
    direct: ClassVar[Capability]
    discovers_targets = True
    from_bulk_form = False

    # --- what each kind does ----------------------------------------------------------------
    def apply_direct(self, client: ForumClient, params: dict[str, Any]) -> None:
        raise NotImplementedError

    def retag_change(self, params: dict[str, Any]) -> dict[str, list[str]]:
        """The ``retag`` keywords that do the same to one topic."""
        raise NotImplementedError

    def direct_reason(self, tags: dict[str, Any], params: dict[str, Any]) -> str:
        """Why the one-call change cannot go ahead on a forum with these tags ("" if it can)."""
        return ""

    def gone_reason(self, tags: dict[str, Any], params: dict[str, Any]) -> str:
        """The tag is no longer on the forum: why (``already ...`` if the change shows)."""
        return "no longer exists on this forum"

    # --- shared -----------------------------------------------------------------------------
    def offered_by(self, client) -> bool:
        return client.supports(Capability.TAGS) and (
            client.supports(self.direct) or client.supports(Capability.TOPIC_RETAG)
        )

    def is_direct(self, client) -> bool:
        return client.supports(self.direct)

    def prepare(self, client, params, frozen=None):
        if self.is_direct(client):
            return {"tags": tags_of(client)}
        try:
            topics = client.list_tag_topics(tag=params["tag"])
        except ForumNotFound:  # a forum without the tag
            topics = []
        return {"topics": {t.id: t for t in topics}}

    def discover_targets(self, client, ctx, params):
        if "tags" in ctx:
            return [f"{TAG}{params['tag']}"] if params["tag"].lower() in ctx["tags"] else []
        return [f"{TOPIC}{topic_id}" for topic_id in ctx["topics"]]

    def resolve_batch_size(self, client):
        return RESOLVE_LOCAL

    def resolve(self, client, ctx, params, targets):
        found = {}
        for target in targets:
            kind, _, value = target.partition(":")
            if kind + ":" == TAG and value.lower() in ctx.get("tags", {}):
                tag = ctx["tags"][value.lower()]
                tag_id = tag.id if isinstance(tag.id, int) else 0
                found[target.lower()] = Resolved(
                    tag_id, f"{tag.name} ({tag.topic_count} topics)",
                    self.direct_reason(ctx["tags"], params),
                )  # fmt: skip
            elif kind + ":" == TOPIC and value.isdigit() and int(value) in ctx.get("topics", {}):
                topic = ctx["topics"][int(value)]
                found[target.lower()] = Resolved(topic.id, topic.title[:200])
        return found

    def recheck(self, client, ctx, params, targets):
        reasons = {}
        if "tags" in ctx:
            fresh = tags_of(client)
            ctx["tags"] = fresh
            for target in targets:
                if params["tag"].lower() not in fresh:
                    reasons[target.item_id] = self.gone_reason(fresh, params)
                elif reason := self.direct_reason(fresh, params):
                    reasons[target.item_id] = reason
            return reasons
        # The topics that carry the tag now were read when this run started (prepare).
        for target in targets:
            if target.forum_id not in ctx["topics"]:
                reasons[target.item_id] = f"already without the tag {params['tag']}"
        return reasons

    def recheck_calls(self, client, count):
        if self.is_direct(client):
            return 1
        return math.ceil(count / max(client.topics_page_size, 1))  # prepare's topic list

    def run_overhead_calls(self, client) -> int:
        return 1 if self.is_direct(client) else 0

    def batch_size(self, client):
        return 1 if self.is_direct(client) else max(client.retag_batch_size, 1)

    def apply(self, client, ctx, params, targets):
        if "tags" in ctx:
            self.apply_direct(client, params)
            return {}
        topics = [ctx["topics"][t.forum_id] for t in targets]
        client.retag(topics=topics, **self.retag_change(params))
        for topic in topics:
            ctx["topics"].pop(topic.id, None)
        return {}


def _check_tag(client_classes, name: str) -> None:
    check_each(client_classes, lambda cls: cls.check_tag_name(name))


# --- rename ---------------------------------------------------------------------------------
class TagRenameForm(forms.Form):
    tag = forms.CharField(max_length=100, label="Tag")
    new_name = forms.CharField(max_length=100, label="New name")
    # One space of a forum whose tags live per space (a UserEcho project's forum), or all.
    scope = forms.CharField(max_length=200, required=False, label="Only in")

    def clean(self):
        data = super().clean() or self.cleaned_data  # None keeps cleaned_data
        if data.get("tag") and data.get("new_name") and data["tag"] == data["new_name"]:
            raise forms.ValidationError("The new name is the tag's name already.")
        if not data.get("scope"):
            data.pop("scope", None)  # every space: the params stay as they always were
        return data


class TagRenameKind(TagChangeKind):
    key = "tag_rename"
    label = "Rename a tag"
    done_label = "tag renamed"
    direct = Capability.TAG_RENAME
    form_class = TagRenameForm

    def check_forums(self, client_classes, params):
        _check_tag(client_classes, params["new_name"])

    def describe(self, params):
        return f"Rename tag {params['tag']} to {params['new_name']}{_only_in(params)}"

    def apply_direct(self, client, params):
        client.rename_tag(name=params["tag"], new_name=params["new_name"], **_scope(client, params))

    def retag_change(self, params):
        return {"remove": [params["tag"]], "add": [params["new_name"]]}

    def direct_reason(self, tags, params):
        if params["new_name"].lower() in tags and params["new_name"] != params["tag"]:
            return f"{params['new_name']} already is a tag here: merge into it instead"
        return ""

    def gone_reason(self, tags, params):
        if params["new_name"].lower() in tags:
            return f"already renamed to {params['new_name']}"
        return "no longer exists on this forum"


# --- merge ----------------------------------------------------------------------------------
class TagMergeForm(forms.Form):
    tag = forms.CharField(max_length=100, label="Tag")
    into = forms.CharField(max_length=100, label="Merge into")

    def clean(self):
        data = super().clean() or self.cleaned_data  # None keeps cleaned_data
        if data.get("tag") and data.get("into") and data["tag"].lower() == data["into"].lower():
            raise forms.ValidationError("A tag cannot be merged into itself.")
        return data


class TagMergeKind(TagChangeKind):
    key = "tag_merge"
    label = "Merge a tag into another"
    done_label = "tag merged"
    direct = Capability.TAG_MERGE
    form_class = TagMergeForm

    def check_forums(self, client_classes, params):
        _check_tag(client_classes, params["into"])

    def describe(self, params):
        return f"Merge tag {params['tag']} into {params['into']}"

    def apply_direct(self, client, params):
        client.merge_tag(name=params["tag"], into=params["into"])

    def retag_change(self, params):
        return {"remove": [params["tag"]], "add": [params["into"]]}

    def direct_reason(self, tags, params):
        if params["into"].lower() not in tags:
            return f"{params['into']} is not a tag here: rename instead"
        return ""

    def gone_reason(self, tags, params):
        return f"already merged into {params['into']}"


# --- delete ---------------------------------------------------------------------------------
class TagForm(forms.Form):
    tag = forms.CharField(max_length=100, label="Tag")
    scope = forms.CharField(max_length=200, required=False, label="Only in")

    def clean(self):
        data = super().clean() or self.cleaned_data  # None keeps cleaned_data
        if not data.get("scope"):
            data.pop("scope", None)
        return data


class TagDeleteKind(TagChangeKind):
    key = "tag_delete"
    label = "Delete a tag"
    done_label = "tag deleted"
    direct = Capability.TAG_DELETE
    form_class = TagForm
    destructive = True
    destructive_note = (
        "removing this tag: {n} change(s), the tag itself where the forum deletes tags, else "
        "from each topic that carries it"
    )

    def describe(self, params):
        return f"Delete tag {params['tag']}{_only_in(params)}"

    def apply_direct(self, client, params):
        client.delete_tag(name=params["tag"], **_scope(client, params))

    def retag_change(self, params):
        return {"remove": [params["tag"]]}

    def gone_reason(self, tags, params):
        return "already deleted"


# --- create ---------------------------------------------------------------------------------
class TagCreateKind(Kind):
    """One item per forum: the tag to create there (where the forum creates tags at all)."""

    key = "tag_create"
    area = "tags"
    label = "Create a tag"
    done_label = "tag created"
    capabilities = (Capability.TAG_CREATE,)
    form_class = TagForm
    discovers_targets = True
    from_bulk_form = False

    def check_forums(self, client_classes, params):
        _check_tag(client_classes, params["tag"])

    def describe(self, params):
        return f"Create tag {params['tag']}{_only_in(params)}"

    def discover_targets(self, client, ctx, params):
        return [params["tag"]]

    def resolve_batch_size(self, client):
        return 1

    def resolve(self, client, ctx, params, targets):
        tags = tags_of(client)
        return {
            t.lower(): Resolved(0, t, "already exists on this forum" if t.lower() in tags else "")
            for t in targets
        }

    def recheck(self, client, ctx, params, targets):
        tags = tags_of(client)
        return {t.item_id: "already exists on this forum" for t in targets if t.target in tags}

    def recheck_calls(self, client, count):
        return 1

    def apply(self, client, ctx, params, targets):
        for target in targets:
            client.create_tag(name=target.target, **_scope(client, params))
        return {}
