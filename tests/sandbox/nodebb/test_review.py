"""The sandbox NodeBB's review queue over HTTP: flags and the post queue answered as NodeBB
4.15.1's code does (forums/sandbox/nodebb/review.py cites each rule)."""

from __future__ import annotations

import requests

from .served import (  # noqa: F401 - the config of this module's sandbox
    MASTER_CONFIG,
    SANDBOX_CONFIG,
    call,
    plain_uid,
)


def flags(sb, query=""):
    r = call(sb, "GET", f"/api/flags{query}")
    assert r.status_code == 200, r.text
    return r.json()


def control(sb, what, body):
    r = requests.post(f"{sb.url}/__sandbox__/{what}", json=body, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


# --- the flag list -----------------------------------------------------------------------------
def test_flags_are_listed_newest_first_with_their_heat(sandbox):
    page = flags(sandbox)
    times = [f["datetime"] for f in page["flags"]]
    assert times == sorted(times, reverse=True)
    assert page["count"] == len(sandbox.app.state.flags)
    stored = {f["flagId"]: len(f["reports"]) for f in sandbox.app.state.flags}
    assert all(f["heat"] == stored[f["flagId"]] for f in page["flags"])
    assert {f["labelClass"] for f in page["flags"]} <= {"danger", "warning", "success",
                                                         "secondary"}  # fmt: skip
    assert "target" not in page["flags"][0] and "reports" not in page["flags"][0]


def test_flag_filters_and_paging(sandbox):
    open_flags = flags(sandbox, "?state=open")
    assert open_flags["count"] == 7 and open_flags["hasFilter"]
    assert all(f["state"] == "open" for f in open_flags["flags"])
    # helpers.validateParameters: a second value of an enum filter drops the filter
    both = flags(sandbox, "?state=open&state=wip")
    assert both["count"] == len(sandbox.app.state.flags) and not both["hasFilter"]
    users = flags(sandbox, "?type=user")
    assert users["flags"] and all(f["type"] == "user" for f in users["flags"])
    target = users["flags"][0]["targetUid"]
    theirs = flags(sandbox, f"?targetUid={target}")
    assert theirs["flags"] and all(f["targetUid"] == target for f in theirs["flags"])
    first, second = flags(sandbox, "?perPage=5"), flags(sandbox, "?perPage=5&page=2")
    assert first["pagination"]["pageCount"] == 3
    assert not {f["flagId"] for f in first["flags"]} & {f["flagId"] for f in second["flags"]}
    assert first["filters"] == {"page": 1, "perPage": 5} and not first["hasFilter"]


def test_only_staff_see_flags(sandbox):
    assert call(sandbox, "GET", "/api/flags", token="member").status_code == 403
    assert call(sandbox, "GET", "/api/flags", token=None).status_code == 401
    r = call(sandbox, "GET", "/api/v3/flags/1", token="member")
    # middleware.assert.flag: a flag the caller may not view does not exist for them
    assert r.status_code == 404 and r.json()["status"]["message"] == "Flag does not exist"


# --- one flag ------------------------------------------------------------------------------------
def test_a_flag_carries_its_target_and_reports(sandbox):
    flag = call(sandbox, "GET", "/api/v3/flags/1").json()["response"]
    assert flag["type"] == "post" and flag["target"]["pid"] == flag["targetId"]
    assert flag["target"]["user"]["uid"] == flag["targetUid"]
    assert flag["reports"] and all(r["reporter"]["username"] for r in flag["reports"])
    assert call(sandbox, "GET", "/api/v3/flags/999").status_code == 404


def test_updating_a_flag_keeps_history_and_ignores_no_change(sandbox):
    r = call(sandbox, "PUT", "/api/v3/flags/1", json={"state": "resolved"})
    assert r.status_code == 200
    history = r.json()["response"]["history"]
    assert history[0]["fields"] == {"state": "[[flags:state-resolved]]"}
    # Flags.update: the same state again, or an unknown one, changes nothing (still 200)
    again = call(sandbox, "PUT", "/api/v3/flags/1", json={"state": "resolved"})
    odd = call(sandbox, "PUT", "/api/v3/flags/1", json={"state": "closed"})
    assert again.status_code == odd.status_code == 200
    assert len(odd.json()["response"]["history"]) == len(history)
    # a resolved flag can still be moved to another state: staleness is the caller's to check
    call(sandbox, "PUT", "/api/v3/flags/1", json={"state": "rejected"})
    assert sandbox.app.state.flags[0]["state"] == "rejected"


def test_only_staff_may_be_assigned(sandbox):
    call(sandbox, "PUT", "/api/v3/flags/2", json={"assignee": plain_uid(sandbox)})
    assert sandbox.app.state.flags[1]["assignee"] is None
    call(sandbox, "PUT", "/api/v3/flags/2", json={"assignee": 2})
    assert sandbox.app.state.flags[1]["assignee"] == 2
    mine = call(sandbox, "GET", "/api/flags?quick=mine", token="member")
    assert mine.status_code == 403


def test_a_note_is_kept_with_the_flag(sandbox):
    r = call(sandbox, "POST", "/api/v3/flags/3/notes", json={"note": "Looking into it"})
    assert r.json()["response"]["notes"][0]["content"] == "Looking into it"
    assert call(sandbox, "POST", "/api/v3/flags/3/notes", json={}).status_code == 400


def test_purging_a_flagged_post_resolves_its_flag(sandbox):
    flag = sandbox.app.state.flags[0]
    assert call(sandbox, "DELETE", f"/api/v3/posts/{flag['targetId']}",
                token="member").status_code == 403  # fmt: skip
    assert call(sandbox, "DELETE", f"/api/v3/posts/{flag['targetId']}").status_code == 200
    assert flag["state"] == "resolved" and flag["targetId"] not in sandbox.app.state.posts
    assert call(sandbox, "DELETE", f"/api/v3/posts/{flag['targetId']}").status_code == 404


# --- the post queue ------------------------------------------------------------------------------
def test_the_queue_is_oldest_first_and_a_plain_user_sees_only_their_own(sandbox):
    page = call(sandbox, "GET", "/api/post-queue").json()
    times = [p["data"]["timestamp"] for p in page["posts"]]
    assert times == sorted(times) and page["canAccept"]
    queue_id = control(sandbox, "queue", {"uid": 20, "title": "Mine"})["queueId"]
    own = call(sandbox, "GET", "/api/post-queue", token="member").json()
    assert [p["id"] for p in own["posts"]] == [
        q["id"] for q in sorted(sandbox.app.state.queue, key=lambda q: q["timestamp"])
        if q["uid"] == 20
    ]  # fmt: skip
    assert queue_id in {p["id"] for p in own["posts"]} and not own["canAccept"]
    # ENDPOINTS.md: a guest (a bad token) gets 404 from /api/post-queue
    assert call(sandbox, "GET", "/api/post-queue", token="wrong").status_code == 404
    one = call(sandbox, "GET", f"/api/post-queue/{queue_id}").json()
    assert one["singlePost"] and [p["id"] for p in one["posts"]] == [queue_id]


def test_accepting_publishes_and_tells_the_author(sandbox):
    queue_id = control(sandbox, "queue", {"uid": 20, "title": "A new topic"})["queueId"]
    r = call(sandbox, "POST", f"/api/v3/posts/queue/{queue_id}")
    post = r.json()["response"]["post"]
    assert post["type"] == "topic" and sandbox.app.state.topics[post["tid"]]["title"] == (
        "A new topic"
    )
    assert sandbox.app.state.notifications[-1] == {
        "uid": 20, "type": "post-queue-accepted", "message": ""}  # fmt: skip
    again = call(sandbox, "POST", f"/api/v3/posts/queue/{queue_id}")
    assert again.status_code == 400
    assert again.json()["status"]["message"] == "Post does not exist"


def test_rejecting_with_a_reason_and_who_may(sandbox):
    queue_id = control(sandbox, "queue", {"uid": 21})["queueId"]
    refused = call(sandbox, "DELETE", f"/api/v3/posts/queue/{queue_id}", token="member")
    assert refused.status_code == 403
    r = call(sandbox, "DELETE", f"/api/v3/posts/queue/{queue_id}?message=Off-topic")
    assert r.status_code == 200
    assert sandbox.app.state.notifications[-1] == {
        "uid": 21, "type": "post-queue-rejected-for-reason", "message": "Off-topic"}  # fmt: skip
    # Posts.canEditQueue: an author may withdraw their own queued post
    own = control(sandbox, "queue", {"uid": 20})["queueId"]
    assert call(sandbox, "DELETE", f"/api/v3/posts/queue/{own}", token="member").status_code == 200


def test_notify_needs_a_message(sandbox):
    queue_id = control(sandbox, "queue", {"uid": 21})["queueId"]
    r = call(sandbox, "POST", f"/api/v3/posts/queue/{queue_id}/notify", json={})
    assert r.status_code == 400 and r.json()["response"]["params"] == ["message"]
    ok = call(sandbox, "POST", f"/api/v3/posts/queue/{queue_id}/notify",
              json={"message": "Please add a link"})  # fmt: skip
    assert ok.status_code == 200


def test_before_4_4_3_the_queue_has_no_write_routes(sandbox):
    sandbox.app.configure(version="4.3.2")
    queue_id = control(sandbox, "queue", {"uid": 21})["queueId"]
    r = call(sandbox, "POST", f"/api/v3/posts/queue/{queue_id}")
    assert r.status_code == 404 and r.json()["status"]["message"] == "Invalid API call"


def test_control_calls_add_flags_and_queued_posts(sandbox):
    added = control(sandbox, "flags", {"type": "user", "uid": 21, "reason": "Bot", "by": 22})
    assert added["id"] == f"flag:{added['flagId']}"
    flag = call(sandbox, "GET", f"/api/v3/flags/{added['flagId']}").json()["response"]
    assert flag["state"] == "open" and flag["reports"][0]["value"] == "Bot"
    bad = requests.post(f"{sandbox.url}/__sandbox__/flags", json={"uid": 99999}, timeout=5)
    assert bad.status_code == 400
