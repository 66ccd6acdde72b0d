"""Review queue decisions that delete or penalise (deleting a post or its author, Discourse's
``delete_and_agree`` or ``delete_user``, NodeBB's post-queue reject-and-delete...): proposed
from the Review page, planned, approved by a second person, then sent one item at a time.

A target is one waiting item, by the forum's own id (``123`` on Discourse, ``flag:7`` or
``queue:abc`` on NodeBB): each forum its own targets (``targets_by_connection``). The plan reads
each item (it must still wait and still offer the decision); the run reads it again just before
deciding it, so an item someone decided on the forum meanwhile is skipped, never decided twice.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from forums.clients.errors import ForumNotFound, ForumRejected, ReviewItemStale
from forums.clients.records import Capability, ReviewItem
from forums.core.targets import ParsedTargets, Rejected, TargetLine

from .base import Applied, Kind, Resolved

ITEM_ID = re.compile(r"^[A-Za-z0-9:_.-]{1,100}$")
GONE = "already decided on the forum, or no longer waiting"


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
        result = ParsedTargets()
        seen: dict[str, int] = {}
        for number, line in enumerate((text or "").splitlines(), start=1):
            value = line.strip()
            if not value:
                continue
            if not ITEM_ID.match(value):
                result.junk.append(Rejected(number, value[:200], "not a review item id"))
            elif value in seen:
                result.duplicates.append(
                    Rejected(number, value, f"already given on line {seen[value]}")
                )
            else:
                seen[value] = number
                result.targets.append(TargetLine(number, value, "review item"))
        return result

    def lookup_names(self, targets):
        return ()

    def _read(self, client, ctx: dict[str, Any], item_id: str) -> ReviewItem | None:
        items = ctx.setdefault("items", {})
        try:
            items[item_id] = client.review_item(item_id=item_id)
        except (ForumNotFound, ValueError):
            items.pop(item_id, None)
        return items.get(item_id)

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
        for target in targets:
            item = self._read(client, ctx, target)
            if item is None:
                continue
            who = f" by {item.author_username}" if item.author_username else ""
            name = f"{item.item_id}{who}: {item.excerpt[:120]}"
            number = int(item.item_id) if item.item_id.isdigit() else 0
            found[target.lower()] = Resolved(number, name[:200], self._reason(item, params))
        return found

    def recheck(self, client, ctx, params, targets):
        reasons = {}
        for target in targets:
            reason = self._reason(self._read(client, ctx, target.target), params)
            if reason:
                reasons[target.item_id] = reason
        return reasons

    def shows_applied(self, reason: str) -> bool:
        return reason == GONE

    def recheck_calls(self, client, count):
        return count  # one read per item

    def apply(self, client, ctx, params, targets):
        applied = Applied()
        for target in targets:
            item = ctx.get("items", {}).get(target.target) or self._read(client, ctx, target.target)
            if item is None:
                applied.skipped[target.item_id] = GONE
                continue
            try:
                client.review_decide(item=item, action_id=params["action"])
            except ReviewItemStale:
                applied.skipped[target.item_id] = GONE
            except ForumRejected as exc:
                applied.failed[target.item_id] = str(exc)[:500]
            ctx.get("items", {}).pop(target.target, None)
        return applied
