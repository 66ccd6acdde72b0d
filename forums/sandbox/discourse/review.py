"""The sandbox Discourse's review queue: flagged posts, queued posts and accounts waiting for
approval, listed, shown and decided as Discourse does.

Modelled on discourse/discourse: ``app/controllers/reviewables_controller.rb`` (index, show,
perform, ``PER_PAGE = 10``, ``version_required``), ``app/models/reviewable.rb`` (``list_for``'s
order and filters, ``perform``: the action must be one ``actions_for`` offers, then
``increment_version!`` refuses a stale version), ``reviewable_flagged_post.rb``,
``reviewable_queued_post.rb`` and ``reviewable_user.rb`` (``build_actions`` and each
``perform_*``), and the serializers under ``app/serializers/reviewable_*`` (the answer names its
users, topic, scores and action bundles by id and carries them beside the list, as
``rest_serializer: true`` renders). ENDPOINTS.md "Review queue and flags" rows apply.

Part of ``DiscourseSandbox`` (``app.py``), whose routes name these methods.
"""

from __future__ import annotations

import html
import random
from datetime import datetime, timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core import json_response
from .common import REVIEW_PER_PAGE, error, invalid_access, iso, params_of

# Reviewable.statuses
STATUSES = {"pending": 0, "approved": 1, "rejected": 2, "ignored": 3, "deleted": 4}
# ReviewablesController#allowed_statuses: the statuses plus reviewed and all
ALLOWED_STATUSES = {*STATUSES, "reviewed", "all"}
# Reviewable.types
TYPES = ("ReviewableFlaggedPost", "ReviewableQueuedPost", "ReviewableUser", "ReviewablePost")
# PostActionType flag types (id, name, title), and ReviewableScore.types' needs_approval (9)
SCORE_TYPES = {
    3: ("off_topic", "Off-Topic"),
    4: ("inappropriate", "Inappropriate"),
    7: ("notify_moderators", "Something Else"),
    8: ("spam", "Spam"),
    9: ("needs_approval", "Needs Approval"),
}
# config/locales/server.en.yml reviewables.actions.*.title (paraphrased wording, the source's
# keys)
LABELS = {
    "agree_and_hide": "Hide post",
    "agree_and_keep": "Keep post",
    "agree_and_keep_hidden": "Keep post hidden",
    "agree_and_edit": "Edit post",
    "delete_and_agree": "Delete post",
    "delete_and_agree_replies": "Delete post and replies",
    "agree_and_suspend": "Suspend user",
    "agree_and_silence": "Silence user",
    "agree_and_restore": "Restore post",
    "disagree": "No, the flag is wrong",
    "disagree_and_restore": "No, restore the post",
    "ignore_and_do_nothing": "Do nothing",
    "delete_and_ignore": "Ignore flag and delete post",
    "delete_and_ignore_replies": "Ignore flag, delete post and replies",
    "delete_user": "Delete user",
    "delete_user_block": "Delete and block user",
    "approve_post": "Approve post",
    "approve_post_closed": "Approve post (topic closed)",
    "reject_post": "Reject post",
    "revise_and_reject_post": "Revise post",
    "approve_user": "Approve user",
}
BUNDLE_LABELS = {"agree": "Yes", "ignore": "Ignore", "reject-post": "Reject", "reject_user":
                 "Reject user"}  # fmt: skip
# Reviewable*.action_aliases: an alias is performed by the action it names
ALIASES = {
    "ReviewableFlaggedPost": {
        "agree_and_keep_hidden": "agree_and_keep", "agree_and_silence": "agree_and_keep",
        "agree_and_suspend": "agree_and_keep", "agree_and_edit": "agree_and_keep",
        "disagree_and_restore": "disagree", "ignore_and_do_nothing": "ignore",
    },
    "ReviewableQueuedPost": {"discard_post": "reject_post",
                             "delete_user_block": "delete_and_block_user"},
}  # fmt: skip
CONFLICT = "Someone else reviewed this item meanwhile; reload to see it as it is now."
MISSING_VERSION = "The version of this item is missing."  # reviewables.missing_version


def cooked(raw: str) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in raw.split("\n\n") if p)


class DiscourseReview:
    """A part of the app (mixed in): state, lock and config are the app's."""

    # --- the seeded queue ----------------------------------------------------------------------
    def seed_reviewables(self, rng: random.Random, now: datetime, count: int = 7) -> None:
        """``count`` pending items: up to two accounts waiting (seeded users not yet approved),
        two queued posts, flagged posts for the rest. Deterministic for the seed."""
        self.reviewables = []
        self.posts = {}
        self.next_post_id = 5000
        self.next_reviewable_id = 100
        real = sorted((u for u in self.users.values() if u["id"] > 0 and not u["admin"]
                       and not u["moderator"]), key=lambda u: u["id"])  # fmt: skip
        if not real or not self.topics:
            return
        waiting = [u for u in real if not u["approved"]][:2]
        posters = [u for u in real if u["approved"]] or real
        topic_ids = sorted(t for t in self.topics if t < 1000)
        for user in waiting:
            self.add_reviewable_user(user["id"], at=now - timedelta(hours=rng.randint(1, 96)))
        for _ in range(2):
            self.add_queued_post(
                rng.choice(posters)["id"], topic_id=rng.choice(topic_ids),
                raw=rng.choice(("Check out my new site, cheap watches here", "First post, "
                                "hello everyone! Here is a link to my blog.")),
                at=now - timedelta(hours=rng.randint(1, 96)),
            )  # fmt: skip
        while len(self.reviewables) < count:
            author = rng.choice(posters)
            flaggers = rng.sample([u for u in posters if u is not author] or posters,
                                  min(rng.randint(1, 3), max(len(posters) - 1, 1)))  # fmt: skip
            self.add_flagged_post(
                author["id"], topic_id=rng.choice(topic_ids),
                raw=rng.choice(("This is off topic rubbish <b>shouting</b> & more.",
                                "Buy followers now!!! visit spam.example",
                                "You are all wrong and I will keep saying it.")),
                flags=[(f["id"], rng.choice((3, 4, 7, 8))) for f in flaggers],
                at=now - timedelta(hours=rng.randint(1, 96)),
            )  # fmt: skip

    def _new_reviewable(self, type_name: str, **fields: Any) -> dict[str, Any]:
        row = {"id": self.next_reviewable_id, "type": type_name, "status": 0, "version": 0,
               "score": 0.0, "topic_id": None, "category_id": None, "target_id": None,
               "target_created_by_id": None, "created_by_id": -1, "payload": {},
               "potential_spam": False, "scores": [], "created_at": self.now,
               "reject_reason": None}  # fmt: skip
        row.update(fields)
        self.next_reviewable_id += 1
        self.reviewables.append(row)
        return row

    def _score(self, row: dict[str, Any], user_id: int, score_type: int, at: datetime,
               reason: str | None = None) -> None:  # fmt: skip
        user = self.users.get(user_id)
        # ReviewableScore.calculate_score: the flagger's trust level (5 for staff) + the type's
        # bonus; Reviewable#add_score adds it to the reviewable's score
        level = 5.0 if user and (user["admin"] or user["moderator"]) else float(
            (user or {}).get("trust_level") or 0)  # fmt: skip
        value = 1.0 + level
        row["scores"].append({"id": len(row["scores"]) + row["id"] * 10, "user_id": user_id,
                              "score_type_id": score_type, "score": value, "status": 0,
                              "reason": reason, "created_at": at})  # fmt: skip
        row["score"] += value
        if score_type == 8:
            row["potential_spam"] = True  # a spam flag makes it potential spam

    def add_flagged_post(self, author_id: int, *, topic_id: int, raw: str,
                         flags: list[tuple[int, int]], at: datetime | None = None,
                         reply_count: int = 0) -> dict[str, Any]:  # fmt: skip
        """A post by ``author_id`` in ``topic_id`` flagged by each (user id, flag type id)."""
        at = at or self.now
        post = self._new_post(author_id, topic_id, raw, at - timedelta(hours=1))
        post["reply_count"] = reply_count
        topic = self.topics.get(topic_id) or {}
        row = self._new_reviewable("ReviewableFlaggedPost", topic_id=topic_id,
                                   category_id=topic.get("category_id"), target_id=post["id"],
                                   target_created_by_id=author_id, created_by_id=flags[0][0],
                                   created_at=at)  # fmt: skip
        for user_id, score_type in flags:
            self._score(row, user_id, score_type, at)
        return row

    def add_queued_post(self, author_id: int, *, topic_id: int | None, raw: str,
                        title: str = "", at: datetime | None = None) -> dict[str, Any]:  # fmt: skip
        """A post held for approval (NewPostManager): its text waits in ``payload``."""
        at = at or self.now
        topic = self.topics.get(topic_id) if topic_id else None
        payload: dict[str, Any] = {"raw": raw}
        if title:
            payload["title"] = title
        row = self._new_reviewable("ReviewableQueuedPost", topic_id=topic_id,
                                   category_id=(topic or {}).get("category_id"),
                                   target_created_by_id=author_id, created_by_id=author_id,
                                   payload=payload, created_at=at)  # fmt: skip
        self._score(row, -1, 9, at, reason="post_count")
        return row

    def add_reviewable_user(self, user_id: int, *, at: datetime | None = None) -> dict[str, Any]:
        """An account waiting for approval (must_approve_users): ReviewableUser.create_for."""
        user = self.users[user_id]
        user["approved"] = False
        row = self._new_reviewable(
            "ReviewableUser", target_id=user_id, target_created_by_id=user_id,
            payload={"username": user["username"], "name": user["name"], "email": user["email"]},
            created_at=at or self.now,
        )  # fmt: skip
        self._score(row, -1, 9, row["created_at"], reason="must_approve_users")
        return row

    def control_reviewable(self, body: dict[str, Any]) -> Response:
        """``POST /__sandbox__/reviewables``: ``{"type": "flagged_post" | "queued_post" |
        "user", "username": author, "topic_id": n, "raw": text, "flagged_by": [usernames],
        "flag_type": 3|4|7|8}`` puts one item in the queue (tests and the demo)."""
        with self.lock:
            user = self.find_user(str(body.get("username") or ""))
            if user is None:
                return json_response({"error": "no such user"}, 404)
            kind = body.get("type") or "flagged_post"
            topic_id = int(body.get("topic_id") or min(self.topics))
            raw = str(body.get("raw") or "Text held for review.")
            if kind == "user":
                row = self.add_reviewable_user(user["id"])
            elif kind == "queued_post":
                row = self.add_queued_post(user["id"], topic_id=topic_id, raw=raw)
            elif kind == "flagged_post":
                names = body.get("flagged_by") or ["system"]
                flaggers = [self.find_user(str(n)) for n in names]
                if any(f is None for f in flaggers):
                    return json_response({"error": "no such flagger"}, 404)
                flag_type = int(body.get("flag_type") or 4)
                row = self.add_flagged_post(
                    user["id"], topic_id=topic_id, raw=raw,
                    flags=[(f["id"], flag_type) for f in flaggers if f is not None],
                )  # fmt: skip
            else:
                return json_response({"error": f"unknown type {kind!r}"}, 400)
            return json_response({"id": row["id"], "version": row["version"]})

    def _new_post(self, user_id: int, topic_id: int, raw: str, at: datetime) -> dict[str, Any]:
        topic = self.topics.get(topic_id)
        number = (topic["posts_count"] + 1) if topic else 1
        if topic:
            topic["posts_count"] = number
        post = {"id": self.next_post_id, "topic_id": topic_id, "user_id": user_id, "raw": raw,
                "post_number": number, "hidden": False, "deleted_at": None,
                "user_deleted": False, "reply_count": 0, "created_at": at}  # fmt: skip
        self.next_post_id += 1
        self.posts[post["id"]] = post
        return post

    # --- who may see and do what -----------------------------------------------------------------
    def _staff(self, user: dict[str, Any]) -> bool:
        return bool(user["admin"] or user["moderator"])

    def _actions(self, row: dict[str, Any], actor: dict[str, Any]) -> list[tuple[str, list[str]]]:
        """``actions_for``: the bundles (id, action ids) this actor may take, in order."""
        if row["status"] != 0:
            return []  # every build_actions starts with `return unless pending?`
        author = self.users.get(row["target_created_by_id"] or 0)
        rid = row["id"]
        can_delete_user = author is not None and not self._staff(author) and self._staff(actor)
        if row["type"] == "ReviewableFlaggedPost":
            # reviewable_flagged_post.rb build_actions
            post = self.posts.get(row["target_id"] or 0)
            if post is None:
                return []
            agree: list[str] = []
            if row["potential_spam"] and can_delete_user:
                agree += ["delete_user", "delete_user_block"]
            if not post["user_deleted"] and not post["hidden"]:
                agree.append("agree_and_hide")
            if post["hidden"]:
                agree.append("agree_and_keep_hidden")
            else:
                agree += ["agree_and_keep", "agree_and_edit"]
            agree.append("delete_and_agree")  # staff may delete any post
            if post["reply_count"] > 0:
                agree.append("delete_and_agree_replies")
            if author is not None and not self._staff(author):  # guardian.can_suspend?
                agree += ["agree_and_suspend", "agree_and_silence"]
            if post["user_deleted"]:
                agree.append("agree_and_restore")
            # an action added without a bundle gets a bundle of its own, named after it
            disagree = "disagree_and_restore" if post["hidden"] else "disagree"
            bundles = [(f"{rid}-agree", agree), (disagree, [disagree])]
            ignore = ["ignore_and_do_nothing", "delete_and_ignore"]
            if post["reply_count"] > 0:
                ignore.append("delete_and_ignore_replies")
            bundles.append((f"{rid}-ignore", ignore))
            return bundles
        if row["type"] == "ReviewableQueuedPost":
            # reviewable_queued_post.rb build_combined_actions
            topic = self.topics.get(row["topic_id"] or 0)
            bundles = []
            if topic is not None and topic.get("closed"):
                bundles.append(("approve_post_closed", ["approve_post_closed"]))
            elif author is not None:
                bundles.append(("approve_post", ["approve_post"]))
            reject = ["reject_post", "revise_and_reject_post"]
            if can_delete_user:
                reject += ["delete_user", "delete_user_block"]
            bundles.append((f"{rid}-reject-post", reject))
            return bundles
        if row["type"] == "ReviewableUser":
            # reviewable_user.rb build_actions; Reviewable#delete_user_actions' bundle
            target = self.users.get(row["target_id"] or 0)
            bundles = []
            if target is not None and not target["approved"] and self._staff(actor):
                bundles.append(("approve_user", ["approve_user"]))
            bundles.append(("reject_user", ["delete_user", "delete_user_block"]))
            return bundles
        return []

    # --- answers -------------------------------------------------------------------------------
    def _serialize(self, row: dict[str, Any], actor: dict[str, Any], side: dict[str, Any]) -> dict:
        """ReviewableSerializer (+ the type's own) for one row; the records it names by id go
        into ``side`` (users, topics, reviewable_scores, bundled_actions, actions)."""
        users = side.setdefault("users", {})
        topics = side.setdefault("topics", {})
        for uid in (row["created_by_id"], row["target_created_by_id"]):
            user = self.users.get(uid) if uid is not None else None
            if user is not None:
                users[user["id"]] = {**self.basic_user(user), "trust_level": user["trust_level"]}
        topic = self.topics.get(row["topic_id"] or 0)
        data: dict[str, Any] = {
            "id": row["id"], "status": row["status"], "type": row["type"],
            "created_at": iso(row["created_at"]), "can_edit": False, "score": row["score"],
            "version": row["version"], "created_by_id": row["created_by_id"],
            "target_created_by_id": row["target_created_by_id"],
            "target_created_by_trust_level": (self.users.get(row["target_created_by_id"] or 0)
                                              or {}).get("trust_level"),
            "editable_fields": [],
        }  # fmt: skip
        if row["topic_id"] is not None:
            data["topic_id"] = row["topic_id"]
            if topic is None:
                data["removed_topic_id"] = row["topic_id"]
            else:
                url = f"/t/{topic['slug']}/{topic['id']}"
                data["topic_url"] = url
                data["target_url"] = url
                topics[topic["id"]] = {
                    "id": topic["id"], "title": topic["title"], "fancy_title": topic["title"],
                    "slug": topic["slug"], "posts_count": topic["posts_count"],
                }  # fmt: skip
        if row["category_id"] is not None:
            data["category_id"] = row["category_id"]
        if row["type"] == "ReviewableFlaggedPost":
            post = self.posts.get(row["target_id"] or 0)
            if post is not None and post["deleted_at"] is None:
                # ReviewableFlaggedPostSerializer: target_attributes cooked, raw, reply_count;
                # the target's id as post_id (ReviewableSerializer#attributes)
                data.update(post_id=post["id"], raw=post["raw"], cooked=cooked(post["raw"]),
                            reply_count=post["reply_count"],
                            post_updated_at=iso(post["created_at"]), post_version=1)  # fmt: skip
                if topic is not None:
                    data["target_url"] = f"/t/{topic['slug']}/{topic['id']}/{post['post_number']}"
            else:
                data["blank_post"] = True
        elif row["type"] == "ReviewableQueuedPost":
            data["payload"] = dict(row["payload"])  # payload_attributes raw, title, tags ...
            if row["target_id"]:
                data["post_id"] = row["target_id"]
        elif row["type"] == "ReviewableUser":
            payload = dict(row["payload"])
            if not actor["admin"]:
                payload.pop("email", None)  # can_check_emails? (admins) or the email is dropped
            data.update(payload=payload, link_admin=self._staff(actor),
                        reject_reason=row["reject_reason"])  # fmt: skip
            if row["target_id"] in self.users:
                data["user_id"] = row["target_id"]
        scores = side.setdefault("reviewable_scores", {})
        data["reviewable_score_ids"] = []
        for score in row["scores"]:
            name, title = SCORE_TYPES.get(score["score_type_id"], ("flag", "Flag"))
            flagger = self.users.get(score["user_id"])
            if flagger is not None:
                users[flagger["id"]] = {**self.basic_user(flagger),
                                        "trust_level": flagger["trust_level"]}  # fmt: skip
            entry = {
                "id": score["id"],
                "score": score["score"],
                "status": score["status"],
                "created_at": iso(score["created_at"]),
                "reviewed_at": None,
                "user_id": score["user_id"],
                "agree_stats": {"agreed": 0, "disagreed": 0, "ignored": 0},
                "score_type": {"id": score["score_type_id"], "type": name, "title": title},
            }
            if score["reason"]:
                # ReviewableScoreSerializer#reason: the reason's sentence with the setting
                # linked (HTML) for staff
                setting = score["reason"].replace("_", " ")
                entry["reason"] = (
                    f'Needs approval: <a href="/admin/site_settings/category/'
                    f'all_results?filter={score["reason"]}">{setting}</a>'
                )
            scores[score["id"]] = entry  # fmt: skip
            data["reviewable_score_ids"].append(score["id"])
        bundles = side.setdefault("bundled_actions", {})
        actions = side.setdefault("actions", {})
        data["bundled_action_ids"] = []
        for bundle_id, action_ids in self._actions(row, actor):
            short = bundle_id.split("-", 1)[-1] if "-" in bundle_id else bundle_id
            bundle = {"id": bundle_id, "action_ids": action_ids}
            label = BUNDLE_LABELS.get(short) or LABELS.get(bundle_id)
            if label:
                bundle["label"] = label
            bundles[bundle_id] = bundle
            data["bundled_action_ids"].append(bundle_id)
            for action_id in action_ids:
                actions[action_id] = {
                    "id": action_id, "label": LABELS.get(action_id, action_id),
                    "button_class": None, "server_action": action_id,
                    "client_action": {"agree_and_edit": "edit", "agree_and_suspend": "suspend",
                                      "agree_and_silence": "silence"}.get(action_id),
                    "require_reject_reason": False,
                }  # fmt: skip
        return data

    @staticmethod
    def _side(side: dict[str, Any]) -> dict[str, list[Any]]:
        return {key: list(values.values()) for key, values in side.items()}

    def _visible(self, actor: dict[str, Any]) -> bool:
        # ReviewablesController: before_action :ensure_can_see (can_see_review_queue?: staff,
        # or a category group moderator, which the sandbox has not)
        return self._staff(actor)

    def review_list(self, request: Request) -> Response:
        p = params_of(request)
        actor = self.acting(request)
        if not self._visible(actor):
            return invalid_access()
        offset = max(int(p.get("offset") or 0), 0)
        type_name = p.get("type") or None
        if type_name and type_name not in TYPES:
            # ReviewablesController#index: Discourse::InvalidParameter(:type) is a 400
            return error(400, "Invalid parameters: type", "invalid_parameters")
        status = str(p.get("status") or "pending")
        if status not in ALLOWED_STATUSES:
            return error(400, "Invalid parameters: status", "invalid_parameters")
        with self.lock:
            rows = list(self.reviewables)
            if status == "reviewed":
                rows = [r for r in rows if r["status"] != 0]
            elif status != "all":
                rows = [r for r in rows if r["status"] == STATUSES[status]]
            if type_name:
                rows = [r for r in rows if r["type"] == type_name]
            for key in ("category_id", "topic_id"):
                if p.get(key):
                    rows = [r for r in rows if r[key] == int(p[key])]
            if p.get("username"):
                # Reviewable.list_for: an unknown username is an empty list; a known one is the
                # items about them (target_created_by_id, or created_by_id without a target)
                user = self.find_user(str(p["username"]))
                uid = user["id"] if user else None
                rows = [r for r in rows if uid is not None and (
                    r["target_created_by_id"] == uid
                    or (r["target_id"] is None and r["created_by_id"] == uid))]  # fmt: skip
            # list_for's order: score desc, created_at desc (sort_order changes it)
            order = p.get("sort_order")
            if order == "created_at":
                rows.sort(key=lambda r: (r["created_at"], r["score"]), reverse=True)
            elif order == "created_at_asc":
                rows.sort(key=lambda r: (r["created_at"], -r["score"]))
            else:
                rows.sort(key=lambda r: (r["score"], r["created_at"]), reverse=order != "score_asc")
            total = len(rows)
            side: dict[str, Any] = {}
            page = [
                self._serialize(r, actor, side) for r in rows[offset : offset + REVIEW_PER_PAGE]
            ]
            pending = sum(1 for r in self.reviewables if r["status"] == 0)
        meta: dict[str, Any] = {
            "status": status, "type": type_name, "total_rows_reviewables": total,
            "reviewable_count": pending, "unseen_reviewable_count": pending,
            "types": {"created_by": "user", "target_created_by": "user",
                      "reviewed_by": "user", "claimed_by": "user"},
            "reviewable_types": list(TYPES),
        }  # fmt: skip
        if offset + REVIEW_PER_PAGE < total:
            more = {k: v for k, v in p.items() if k != "offset"}
            query = "&".join(f"{k}={v}" for k, v in sorted(more.items()))
            meta["load_more_reviewables"] = (
                f"/review?{query + '&' if query else ''}offset={offset + REVIEW_PER_PAGE}"
            )
        return json_response({"reviewables": page, "meta": meta, **self._side(side)})

    def _find(self, reviewable_id: int) -> dict[str, Any] | None:
        return next((r for r in self.reviewables if r["id"] == reviewable_id), None)

    def review_show(self, request: Request, reviewable_id: int) -> Response:
        """``GET /review/{id}.json``: one item as the list serializes it
        (app/controllers/reviewables_controller.rb ``#show``)."""
        actor = self.acting(request)
        if not self._visible(actor):
            return invalid_access()
        with self.lock:
            row = self._find(reviewable_id)
            if row is None:
                return self.not_found(request)  # find_reviewable: Discourse::NotFound
            side: dict[str, Any] = {}
            data = self._serialize(row, actor, side)
        return json_response({"reviewable": data, "meta": {"types": {}}, **self._side(side)})

    def review_perform(self, request: Request, reviewable_id: int, action_id: str) -> Response:
        p = params_of(request)
        if p.get("version") in (None, ""):
            # before_action :version_required: 422 before anything else
            return json_response({"errors": [MISSING_VERSION]}, 422)
        actor = self.acting(request)
        if not self._visible(actor):
            return invalid_access()
        try:
            version = int(p["version"])
        except (TypeError, ValueError):
            version = 0  # params[:version].to_i
        with self.lock:
            row = self._find(reviewable_id)
            if row is None:
                return self.not_found(request)
            aliases = ALIASES.get(row["type"], {})
            offered = {a for _, ids in self._actions(row, actor) for a in ids}
            valid = {action_id} | {k for k, v in aliases.items() if v == action_id}
            if not valid & offered:
                # Reviewable#perform: InvalidAction, which the controller raises as
                # Discourse::InvalidAccess (403). A decided item offers nothing, so deciding
                # it again lands here, not on the 409.
                return invalid_access(f"Can't perform `{action_id}` on {row['type']}")
            if version != row["version"]:
                # Reviewable#increment_version!: UPDATE ... WHERE version = :version finds no
                # row -> UpdateConflict -> 409 (reviewables.conflict)
                return json_response({"errors": [CONFLICT]}, 409)
            row["version"] += 1
            result = self._perform(row, aliases.get(action_id, action_id), actor)
            if result.get("transition_to"):
                row["status"] = STATUSES[result["transition_to"]]
                for score in row["scores"]:
                    # ReviewableScore.score_transitions: approved→agreed 1, rejected→disagreed
                    # 2, ignored→ignored 3
                    score["status"] = {"approved": 1, "rejected": 2, "ignored": 3}.get(
                        result["transition_to"], score["status"])  # fmt: skip
            pending = sum(1 for r in self.reviewables if r["status"] == 0)
        body = {"success": True, "transition_to": result.get("transition_to"),
                "transition_to_id": STATUSES.get(result.get("transition_to") or ""),
                "remove_reviewable_ids": result.get("remove_reviewable_ids", []),
                "version": row["version"], "reviewable_count": pending}  # fmt: skip
        for key in ("created_post_id", "created_post_topic_id"):
            if key in result:
                body[key] = result[key]
        return json_response({"reviewable_perform_result": body})

    def _perform(self, row: dict[str, Any], action: str, actor: dict[str, Any]) -> dict:
        """The ``perform_<action>`` of the row's type: what changes, and the status it goes to."""
        post = self.posts.get(row["target_id"] or 0) if row["target_id"] else None
        author_id = row["target_created_by_id"]
        if row["type"] == "ReviewableFlaggedPost":
            assert post is not None
            if action in ("delete_user", "delete_user_block"):
                # UserDestroyer with delete_posts: the author and their posts go
                for other in self.posts.values():
                    if other["user_id"] == author_id:
                        other["deleted_at"] = self.now
                self._remove_user(author_id)
                return {"transition_to": "approved"}
            if action == "agree_and_hide":
                post["hidden"] = True  # post.hide!
            elif action == "agree_and_restore":
                post["user_deleted"] = False  # PostDestroyer#recover
            elif action in ("delete_and_agree", "delete_and_agree_replies",
                            "delete_and_ignore", "delete_and_ignore_replies"):  # fmt: skip
                post["deleted_at"] = self.now  # PostDestroyer#destroy
            elif action == "disagree":
                post["hidden"] = False  # post.unhide!
            if action in ("ignore", "delete_and_ignore", "delete_and_ignore_replies"):
                return {"transition_to": "ignored"}
            if action == "disagree":
                return {"transition_to": "rejected"}
            return {"transition_to": "approved"}  # agree(...)
        if row["type"] == "ReviewableQueuedPost":
            if action in ("approve_post", "approve_post_closed"):
                # perform_approve_post: PostCreator makes the post (a new topic when the queued
                # post had none), the reviewable's target becomes it
                topic_id = row["topic_id"]
                if topic_id is None:
                    topic_id = max(self.topics) + 1
                    title = str(row["payload"].get("title") or "New topic")
                    self.topics[topic_id] = {
                        "id": topic_id, "title": title, "slug": "-".join(title.lower().split()),
                        "category_id": row["category_id"] or 1, "tags": [],
                        "created_at": self.now, "posts_count": 0, "views": 0, "like_count": 0,
                        "user_id": author_id,
                    }  # fmt: skip
                    row["topic_id"] = topic_id
                created = self._new_post(author_id, topic_id, str(row["payload"].get("raw")),
                                         self.now)  # fmt: skip
                row["target_id"] = created["id"]
                user = self.users.get(author_id)
                if user is not None:
                    user["post_count"] += 1
                return {"transition_to": "approved", "created_post_id": created["id"],
                        "created_post_topic_id": topic_id}  # fmt: skip
            if action in ("delete_user", "delete_and_block_user"):
                ids = [r["id"] for r in self.reviewables if r["created_by_id"] == author_id]
                self._remove_user(author_id)
                row["target_created_by_id"] = None
                return {"transition_to": "rejected", "remove_reviewable_ids": ids}
            return {"transition_to": "rejected"}  # reject_post, revise_and_reject_post
        if row["type"] == "ReviewableUser":
            user = self.users.get(row["target_id"] or 0)
            if action == "approve_user":
                assert user is not None
                user["approved"] = True  # ReviewableUser.set_approved_fields!
                return {"transition_to": "approved"}
            if user is not None and not user["post_count"] and not user["admin"]:
                # perform_delete_user: a user with posts (or an admin) is kept, unapproved
                self._remove_user(user["id"])
            return {"transition_to": "rejected"}
        return {}
