"""Review queue decisions that delete or penalise (deleting a post or its author, Discourse's
``delete_and_agree`` or ``delete_user``, NodeBB's post-queue reject-and-delete...): proposed
from the Review page, planned, approved by a second person, then sent one item at a time.

A target is one waiting item, by the forum's own id (``123`` on Discourse, ``flag:7`` or
``queue:abc`` on NodeBB): each forum its own targets (``targets_by_connection``). The plan takes
each item as the Review area keeps it (``forums.core.review_kept``; read live when not kept):
it must still wait and still offer the decision. An item that carries a version (Discourse) is
decided with the version the plan saw, and the forum refuses it if it changed since (409, "already
decided"), so the run sends it without reading it again; any other item is read again just
before deciding it, so an item someone decided on the forum meanwhile is skipped, never decided
twice (tools/bench_review.py: reading each item at plan and run cost 2.7 times the fewest calls).
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from django import forms

from forums.clients import client_class, supported_platforms
from forums.clients.errors import ForumNotFound, ForumRejected, ReviewItemStale
from forums.clients.records import Capability, Penalty, ReviewAction, ReviewItem, ReviewKind
from forums.core.fleet_index.rows import note_seen
from forums.core.review_kept import kept_items
from forums.core.targets import ParsedTargets, Rejected, TargetLine
from forums.web.durations import describe_until

from .base import Applied, ItemToSend, Kind, Resolved
from .penalties import PenaltyParamsForm, SuspendKind, until_of

ITEM_ID = re.compile(r"^[A-Za-z0-9:_.-]{1,100}$")
GONE = "already decided on the forum, or no longer waiting"
AUTHOR = "author:"  # a spam decision's target line for an item's author, by username


def read_item(client, ctx: dict[str, Any], item_id: str) -> ReviewItem | None:
    """The item as the forum holds it now (kept in the plan's or batch's ``ctx``), or None when
    it is gone."""
    items = ctx.setdefault("items", {})
    try:
        items[item_id] = client.review_item(item_id=item_id)
    except (ForumNotFound, ValueError):
        items.pop(item_id, None)
    return items.get(item_id)


def review_lines(text: str, *, authors: bool) -> ParsedTargets:
    """One review item id a line (the forum's own, case kept), and with ``authors`` also
    ``author:<username>`` lines (usernames compared without case); blank lines skipped, junk and
    repeats said with their line."""
    result = ParsedTargets()
    seen: dict[str, int] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        value = line.strip()
        if not value:
            continue
        author = authors and value.startswith(AUTHOR) and 0 < len(value) - len(AUTHOR) <= 200
        if not author and not ITEM_ID.match(value):
            result.junk.append(Rejected(number, value[:200], "not a review item id"))
            continue
        key = value.lower() if author else value
        if key in seen:
            result.duplicates.append(Rejected(number, value, f"already given on line {seen[key]}"))
        else:
            seen[key] = number
            result.targets.append(TargetLine(number, value, "author" if author else "review item"))
    return result


class ReviewDecideForm(forms.Form):
    action = forms.RegexField(
        regex=r"^[a-z0-9_]{1,60}$", label="Decision", help_text="The forum's id for it."
    )
    label = forms.CharField(max_length=200, required=False, label="In words")


class ReviewDecideKind(Kind):
    key = "review_decide"
    label = "Decide review queue items"
    short = "Review decision"
    done_label = "review item decided"
    capabilities = (Capability.REVIEW_ITEMS,)
    destructive = True
    destructive_note = "{n} review decision(s) that delete posts or accounts"
    form_class = ReviewDecideForm
    from_bulk_form = False
    area = "review"

    def describe(self, params: dict[str, Any]) -> str:
        return f"Review queue: {params.get('label') or params['action']}"

    def parse_targets(self, text: str = "", *, csv_data: str | None = None) -> ParsedTargets:
        return review_lines(text, authors=False)

    def lookup_names(self, targets):
        return ()

    def _read(self, client, ctx: dict[str, Any], item_id: str) -> ReviewItem | None:
        return read_item(client, ctx, item_id)

    def _reason(self, item: ReviewItem | None, params: dict[str, Any]) -> str:
        if item is None or item.status != "pending":
            return GONE
        if params["action"] not in {a.id for a in item.actions}:
            return "the forum no longer offers this decision on it"
        return ""

    def resolve_batch_size(self, client) -> int:
        return 10

    def resolve(self, client, ctx, params, targets):
        found = {}
        kept = kept_items(targets)
        versions = ctx.setdefault("versions", {})
        for target in targets:
            item = kept.get(target) or self._read(client, ctx, target)
            if item is None:
                continue
            if item.version is not None and not self._reason(item, params):
                versions[item.item_id] = item.version
            who = f" by {item.author_username}" if item.author_username else ""
            name = f"{item.item_id}{who}: {item.excerpt[:120]}"
            # Discourse's reviewable id; NodeBB's ids are not numbers ("flag:7"): a checksum,
            # so two of them are never taken for "the same" target by the plan.
            number = int(item.item_id) if item.item_id.isdigit() else post_number(item)
            found[target.lower()] = Resolved(number, name[:200], self._reason(item, params))
        return found

    def freeze(self, ctx):
        # The version of each item the plan saw: the run decides with it (approval's hash).
        return {"versions": dict(ctx.get("versions", {}))}

    def prepare(self, client, params, frozen=None):
        return {"versions": dict((frozen or {}).get("versions", {}))}

    def recheck(self, client, ctx, params, targets):
        reasons = {}
        versions = ctx.get("versions", {})
        for target in targets:
            if target.target in versions:
                continue  # the forum checks the version the plan saw (409: "already decided")
            reason = self._reason(self._read(client, ctx, target.target), params)
            if reason:
                reasons[target.item_id] = reason
        return reasons

    def shows_applied(self, reason: str) -> bool:
        return reason == GONE

    def recheck_calls(self, client, count):
        return count  # at most one read per item (none for an item with a version)

    def _versioned(self, ctx, params, target: str) -> ReviewItem | None:
        """The item as the plan saw it, by its version: the decision sends that version."""
        version = ctx.get("versions", {}).get(target)
        if version is None:
            return None
        action = ReviewAction(params["action"], params.get("label") or params["action"])
        return ReviewItem(item_id=target, kind=ReviewKind.OTHER, version=int(version),
                          actions=(action,))  # fmt: skip

    def apply(self, client, ctx, params, targets):
        applied = Applied()
        for target in targets:
            item = (
                ctx.get("items", {}).get(target.target)
                or self._versioned(ctx, params, target.target)
                or self._read(client, ctx, target.target)
            )
            if item is None:
                applied.skipped[target.item_id] = GONE
                continue
            try:
                client.review_decide(item=item, action_id=params["action"])
            except (ReviewItemStale, ForumNotFound):
                applied.skipped[target.item_id] = GONE
            except ForumRejected as exc:
                applied.failed[target.item_id] = str(exc)[:500]
            ctx.get("items", {}).pop(target.target, None)
        return applied


# --- "delete the spammer's posts and suspend them" ----------------------------------------------
# The review decision that deletes an item's post, in the order tried, by what the item is:
# Discourse's ReviewableFlaggedPost ``delete_and_agree`` (then ``delete_and_agree_replies``,
# ``delete_and_ignore``: app/models/reviewable_flagged_post.rb build_actions), NodeBB's
# ``delete_post`` on a flag (purges the post, which resolves its flag: src/posts/delete.js);
# a queued post is never published: Discourse's ``reject_post``
# (reviewable_queued_post.rb), NodeBB's ``reject`` of a post-queue entry (removeQueuedPost).
DELETE_DECISIONS = {
    ReviewKind.FLAGGED_POST: (
        "delete_and_agree",
        "delete_post",
        "delete_and_agree_replies",
        "delete_and_ignore",
    ),
    ReviewKind.QUEUED_POST: ("reject_post", "reject"),
}
NO_DELETE = "the forum offers no decision that deletes it (no post, or not from its queue)"


def delete_decision(item: ReviewItem) -> ReviewAction | None:
    """The decision of ``item`` that deletes its post, as the forum offers it now."""
    offered = {a.id: a for a in item.actions}
    return next((offered[a] for a in DELETE_DECISIONS.get(item.kind, ()) if a in offered), None)


def post_number(item: ReviewItem) -> int:
    """An item's id in the plan, apart from accounts' ids (the engine skips a second target
    with the same id as "the same"): minus its post's id, so two items of one post are one
    deletion; minus a checksum of the item id for a queued post that has no post yet."""
    if item.post_id:
        return -int(item.post_id)
    return -(zlib.crc32(item.item_id.encode()) + 1)


class ReviewSpamForm(PenaltyParamsForm):
    """The usual penalty form: until, reason, message (see ``PenaltyParamsForm``)."""


class ReviewSpamKind(Kind):
    """Ticked review items on several forums: each post deleted through the review decision
    its forum offers, each distinct author suspended (Discourse) or banned (NodeBB) once.

    Targets per forum: the items' ids (as ``review_decide`` takes them) and one
    ``author:<username>`` per author, after them, so the posts go first. The plan takes each
    item from the queue Forumdeck keeps (or reads it, when not kept) and reads each author
    (already suspended, staff the forum refuses to penalise). An item with a version
    (Discourse's) is decided with the decision and version the plan saw, with no read before:
    an item changed meanwhile is the forum's 409, skipped as decided meanwhile. Other items
    (NodeBB's) and the authors are read again just before sending."""

    key = "review_spam"
    done_label = "post deleted or author suspended"
    capabilities = (Capability.REVIEW_ITEMS, Penalty.SUSPEND.capability)
    destructive = True
    destructive_note = "deleting posts and suspending or banning their authors ({n} item(s))"
    form_class = ReviewSpamForm
    from_bulk_form = False
    area = "review"
    penalty = SuspendKind()

    @property
    def label(self) -> str:  # type: ignore[override]
        return "Delete the posts and suspend the authors"

    @property
    def short(self) -> str:
        return f"Delete the posts and {self.penalty.short.lower()} the authors"

    def label_on(self, platform: str = "") -> str:
        if platform not in supported_platforms():
            return self.short
        verb = client_class(platform).penalty_words(Penalty.SUSPEND).verb.lower()
        return f"Delete the post / {verb} the author"

    def done_on(self, platform: str = "") -> str:
        if platform not in supported_platforms():
            return self.done_label
        done = client_class(platform).penalty_words(Penalty.SUSPEND).done
        return f"post deleted or author {done}"

    def offered_by(self, client) -> bool:
        return all(client.supports(c) for c in self.capabilities)

    # --- parameters: the penalty's --------------------------------------------------------
    def params_from(self, cleaned):
        return self.penalty.params_from(cleaned)

    def check_forums(self, client_classes, params):
        self.penalty.check_forums(client_classes, params)

    def describe(self, params):
        return f"{self.short} {describe_until(until_of(params))}: {params['reason']}"

    def parse_targets(self, text: str = "", *, csv_data: str | None = None) -> ParsedTargets:
        return review_lines(text, authors=True)

    def lookup_names(self, targets):
        return [t[len(AUTHOR) :] for t in targets if t.startswith(AUTHOR)]

    # --- planning ---------------------------------------------------------------------------
    def prepare(self, client, params, frozen=None):
        ctx = self.penalty.prepare(client, params)
        ctx["decisions"] = dict((frozen or {}).get("decisions", {}))
        return ctx

    def freeze(self, ctx):
        # {item id: [decision id, its label, version]} for each versioned item the plan saw
        # waiting and deletable: the run sends exactly that (covered by the approval's hash).
        return {"decisions": dict(ctx.get("decisions", {}))}

    def plan_refusal(self, client, ctx, params):
        return self.penalty.plan_refusal(client, ctx, params)

    def resolve_batch_size(self, client) -> int:
        return 10

    @staticmethod
    def _split(targets):
        authors = [t for t in targets if t.startswith(AUTHOR)]
        return [t for t in targets if not t.startswith(AUTHOR)], authors

    def _read(self, client, ctx: dict[str, Any], item_id: str) -> ReviewItem | None:
        return read_item(client, ctx, item_id)

    @staticmethod
    def _item_reason(item: ReviewItem | None) -> str:
        if item is None or item.status != "pending":
            return GONE
        return "" if delete_decision(item) else NO_DELETE

    def resolve(self, client, ctx, params, targets):
        items, authors = self._split(targets)
        found: dict[str, Resolved] = {}
        kept = kept_items(items)
        decisions = ctx.setdefault("decisions", {})
        for target in items:
            item = kept.get(target) or self._read(client, ctx, target)
            if item is None:
                continue
            who = f" by {item.author_username}" if item.author_username else ""
            name = f"Post{who}: {item.excerpt[:120]}"
            reason = self._item_reason(item)
            action = delete_decision(item)
            if item.version is not None and action is not None and not reason:
                decisions[item.item_id] = [action.id, action.label, item.version]
            found[target.lower()] = Resolved(post_number(item), name[:200], reason)
        users = client.resolve_users(targets=[a[len(AUTHOR) :] for a in authors]) if authors else {}
        note_seen(users.values())
        for target in authors:
            user = users.get(target[len(AUTHOR) :].lower())
            if user is not None:
                reason = self._author_reason(client, user, ctx, params)
                found[target.lower()] = Resolved(user.id, user.username, reason)
        return found

    def _author_reason(self, client, user, ctx, params) -> str:
        """ "already suspended" (in the forum's word), staff the forum refuses, or ""."""
        if user.penalised(Penalty.SUSPEND):
            return f"already {client.penalty_words(Penalty.SUSPEND).done}"
        return self.penalty.reason_not_needed(user, ctx, params)

    def recheck(self, client, ctx, params, targets):
        reasons: dict[int, str] = {}
        authors = [t for t in targets if t.target.startswith(AUTHOR)]
        decisions = ctx.get("decisions", {})
        for target in targets:
            if target.target in decisions:
                continue  # the forum checks the version the plan saw (409: decided meanwhile)
            if not target.target.startswith(AUTHOR):
                reason = self._item_reason(self._read(client, ctx, target.target))
                if reason:
                    reasons[target.item_id] = reason
        if authors:
            fresh = client.resolve_users(targets=[t.forum_name for t in authors])
            note_seen(fresh.values())
            for target in authors:
                user = fresh.get(target.forum_name.lower())
                reason = (
                    f"no longer exists on {client.name}"
                    if user is None
                    else self._author_reason(client, user, ctx, params)
                )
                if reason:
                    reasons[target.item_id] = reason
        return reasons

    def shows_applied(self, reason: str) -> bool:
        return reason == GONE or reason.startswith("already")

    def recheck_calls(self, client, count):
        return count  # at most one read per item (none with a version; authors: fewer)

    def index_fields(self, params):
        # Only the authors' rows match (the posts' ids are negative): they show the penalty.
        return self.penalty.index_fields(params)

    # --- running ----------------------------------------------------------------------------
    def apply(self, client, ctx, params, targets):
        applied = Applied()
        for target in targets:
            if target.target.startswith(AUTHOR):
                self._penalise(client, params, target, applied)
            else:
                self._delete(client, ctx, target, applied)
        return applied

    def _delete(self, client, ctx, target: ItemToSend, applied: Applied) -> None:
        planned = ctx.get("decisions", {}).get(target.target)
        item = ctx.get("items", {}).pop(target.target, None)
        if item is None and planned is not None:
            action_id, label, version = planned
            decision = ReviewAction(action_id, label)
            action: ReviewAction | None = decision
            item = ReviewItem(item_id=target.target, kind=ReviewKind.OTHER,
                              version=int(version), actions=(decision,))  # fmt: skip
        else:
            item = item or self._read(client, ctx, target.target)
            ctx.get("items", {}).pop(target.target, None)
            if item is None or item.status != "pending":
                applied.skipped[target.item_id] = GONE
                return
            action = delete_decision(item)
        if action is None:
            applied.skipped[target.item_id] = NO_DELETE
            return
        try:
            answer = client.review_decide(item=item, action_id=action.id)
        except ReviewItemStale as exc:
            applied.skipped[target.item_id] = f"{GONE}: {exc}"[:500]
        except ForumRejected as exc:
            applied.failed[target.item_id] = str(exc)[:500]
        else:
            applied.answers[target.item_id] = answer[:500]

    def _penalise(self, client, params, target: ItemToSend, applied: Applied) -> None:
        words = client.penalty_words(Penalty.SUSPEND)
        until = until_of(params)
        try:
            ended = client.penalise(
                kind=Penalty.SUSPEND,
                user_id=target.forum_id,
                until=until,
                reason=params["reason"],
                message=params.get("message") or "",
            )
        except ForumRejected as exc:
            applied.failed[target.item_id] = str(exc)[:500]
            return
        when = describe_until(ended or until)
        applied.answers[target.item_id] = (
            f"{client.software} {words.done} {target.forum_name} {when}: {params['reason']}"
        )[:500]
