"""The sandbox Discourse's review queue follows ReviewablesController and the Reviewable models
(ENDPOINTS.md "Review queue and flags")."""

from __future__ import annotations

from .served import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    as_user,
    get,
    regular,
    send,
)


def a_flag(sb, score_type=4):
    app = sb.app
    author = regular(sb)
    flagger = next(u for u in app.users.values() if u["id"] > author["id"] and
                   not u["admin"] and not u["moderator"])  # fmt: skip
    with app.lock:
        return app.add_flagged_post(author["id"], topic_id=3, raw="hello",
                                    flags=[(flagger["id"], score_type)])  # fmt: skip


def test_list_pages_ten_at_a_time_with_the_records_beside(sandbox):
    for _ in range(6):
        a_flag(sandbox)
    first = get(sandbox, "/review.json").json()
    assert len(first["reviewables"]) == 10
    meta = first["meta"]
    assert meta["total_rows_reviewables"] == 13 and "offset=10" in meta["load_more_reviewables"]
    second = get(sandbox, "/review.json", params={"offset": 10}).json()
    assert len(second["reviewables"]) == 3 and "load_more_reviewables" not in second["meta"]
    row = next(r for r in first["reviewables"] if r["type"] == "ReviewableFlaggedPost")
    users = {u["id"] for u in first["users"]}
    assert row["target_created_by_id"] in users
    scores = {s["id"]: s for s in first["reviewable_scores"]}
    assert all(scores[i]["user_id"] in users for i in row["reviewable_score_ids"])
    bundles = {b["id"]: b for b in first["bundled_actions"]}
    actions = {a["id"] for a in first["actions"]}
    assert all(set(bundles[b]["action_ids"]) <= actions for b in row["bundled_action_ids"])
    assert row["topic_id"] in {t["id"] for t in first["topics"]}


def test_filters_type_username_and_refuses_an_unknown_type(sandbox):
    r = get(sandbox, "/review.json", params={"type": "ReviewableUser"}).json()
    assert r["reviewables"] and {x["type"] for x in r["reviewables"]} == {"ReviewableUser"}
    assert get(sandbox, "/review.json", params={"type": "Nope"}).status_code == 400
    assert get(sandbox, "/review.json", params={"username": "nobody-at-all"}).json()[
        "reviewables"] == []  # fmt: skip


def test_only_staff_see_the_queue(sandbox):
    user = regular(sandbox)
    assert get(sandbox, "/review.json", headers=as_user(user["username"])).status_code == 403


def test_perform_needs_the_version_and_refuses_a_stale_one(sandbox):
    row = a_flag(sandbox)
    path = f"/review/{row['id']}/perform/agree_and_hide.json"
    assert send(sandbox, "PUT", path).status_code == 422  # version_required
    stale = send(sandbox, "PUT", path, params={"version": 5})
    assert stale.status_code == 409 and stale.json()["errors"]
    ok = send(sandbox, "PUT", path, params={"version": 0})
    assert ok.status_code == 200
    result = ok.json()["reviewable_perform_result"]
    assert result["transition_to"] == "approved" and result["version"] == 1
    assert sandbox.app.posts[row["target_id"]]["hidden"] is True
    # decided: nothing is offered any more, so the same call is Discourse's InvalidAccess
    again = send(sandbox, "PUT", path, params={"version": 1})
    assert again.status_code == 403


def test_actions_follow_the_type(sandbox):
    row = a_flag(sandbox)
    shown = get(sandbox, f"/review/{row['id']}.json").json()
    assert shown["reviewable"]["id"] == row["id"]
    offered = {a["id"] for a in shown["actions"]}
    assert "agree_and_hide" in offered and "approve_post" not in offered
    assert "delete_user" not in offered  # no spam flag: not potential spam
    spam = a_flag(sandbox, score_type=8)
    assert "delete_user" in {a["id"] for a in get(sandbox, f"/review/{spam['id']}.json").json()[
        "actions"]}  # fmt: skip
    refused = send(sandbox, "PUT", f"/review/{row['id']}/perform/approve_user.json",
                   params={"version": 0})  # fmt: skip
    assert refused.status_code == 403


def test_queued_post_approve_creates_and_reject_leaves_nothing(sandbox):
    app = sandbox.app
    queued = [r for r in app.reviewables if r["type"] == "ReviewableQueuedPost"]
    posts = len(app.posts)
    ok = send(sandbox, "PUT", f"/review/{queued[0]['id']}/perform/approve_post.json",
              params={"version": 0}).json()["reviewable_perform_result"]  # fmt: skip
    assert app.posts[ok["created_post_id"]]["raw"] == queued[0]["payload"]["raw"]
    rejected = send(sandbox, "PUT", f"/review/{queued[1]['id']}/perform/reject_post.json",
                    params={"version": 0}).json()["reviewable_perform_result"]  # fmt: skip
    assert rejected["transition_to"] == "rejected" and len(app.posts) == posts + 1


def test_approve_user_approves_the_account(sandbox):
    app = sandbox.app
    row = next(r for r in app.reviewables if r["type"] == "ReviewableUser")
    r = send(sandbox, "PUT", f"/review/{row['id']}/perform/approve_user.json",
             params={"version": 0})  # fmt: skip
    assert r.status_code == 200 and app.users[row["target_id"]]["approved"] is True
    assert get(sandbox, "/review/count.json").json()["count"] == sum(
        1 for x in app.reviewables if x["status"] == 0)  # fmt: skip


def test_the_control_call_queues_an_item(sandbox):
    import requests

    user = regular(sandbox)
    r = requests.post(f"{sandbox.url}/__sandbox__/reviewables", timeout=5,
                      json={"type": "flagged_post", "username": user["username"],
                            "raw": "queued by a test", "flag_type": 8})  # fmt: skip
    assert r.ok, r.text
    shown = get(sandbox, f"/review/{r.json()['id']}.json").json()["reviewable"]
    assert shown["raw"] == "queued by a test" and shown["target_created_by_id"] == user["id"]
