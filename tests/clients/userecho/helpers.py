"""Helpers of the UserEcho client's tests: reading the sandbox's calls and state."""

from __future__ import annotations

from urllib.parse import parse_qs

from forums.sandbox.userecho import LATER_ROUTES

UNKNOWN = 999_999  # no such user: the sandbox answers with the token's own user (trap 7)


def calls(sb, method=None):
    return [r for r in sb.app.calls.records() if method is None or r.method == method]


def query(record) -> dict[str, list[str]]:
    return parse_qs(record.query)


def state(sb):
    return sb.app.state


def user_by_email(sb, email):
    return state(sb).user_by_email(email)


def forum_tags(sb, forum_id):
    return {t["name"]: t["id"] for t in state(sb).tags.values() if t["forum_id"] == forum_id}


def topic_tag_names(sb, topic_id):
    topic = state(sb).topics[topic_id]
    return sorted(state(sb).tags[t]["name"] for t in topic["tag_ids"])


def later(sb):
    sb.app.configure(later_routes=set(LATER_ROUTES))
