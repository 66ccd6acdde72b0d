"""Every DiscourseClient method against Prism serving the official openapi.json.

Prism answers 404/405/415/422 when a request does not match the spec, so every answer the
client got is checked: a refusal fails the test unless tests/contract/discourse_exemptions.py
lists it (a route the spec lacks, or a call the spec gets wrong, with the ENDPOINTS.md line).
An exemption Prism no longer needs fails too, so the list stays true. Prism answers with
example data, so only "Prism accepted the request" is asserted, never values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import requests

from forums.clients.discourse import DiscourseClient
from forums.clients.errors import ForumError
from forums.clients.records import (
    ForumGroup,
    ForumTopic,
    ForumUser,
    Penalty,
    ReviewAction,
    ReviewItem,
    ReviewKind,
)
from tests.contract import discourse_exemptions as gaps
from tests.contract.conftest import SPECS

pytestmark = pytest.mark.contract

SPEC = SPECS / "discourse" / "openapi.json"
VALIDATION_STATUSES = {404, 405, 415, 422}


class RecordingClient(DiscourseClient):
    """Notes every answer (method, path, status, Prism's complaint) before the usual handling."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.answers: list[tuple[str, str, int, str]] = []

    def raise_for_status(self, response: requests.Response) -> None:
        detail = response.text[:300] if response.status_code in VALIDATION_STATUSES else ""
        self.answers.append(
            (
                response.request.method or "",
                urlsplit(response.url).path,
                response.status_code,
                detail,
            )
        )
        super().raise_for_status(response)


def _route_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{[^}]+\}", template)
    return re.compile("^" + "[^/]+".join(re.escape(p) for p in parts) + "$")


NOT_IN_SPEC = [(g.method, _route_pattern(g.path)) for g in gaps.ROUTES_NOT_IN_SPEC]


def _route_not_in_spec(method: str, path: str) -> bool:
    return any(m == method and pattern.match(path) for m, pattern in NOT_IN_SPEC)


@pytest.fixture(scope="module")
def prism(start_prism):
    return start_prism(SPEC)


@pytest.fixture
def client(prism):
    with RecordingClient(
        base_url=prism.url,
        api_key="contract-key",
        api_username="system",
        allow_http_hosts=["127.0.0.1"],
        timeout=10,
    ) as c:
        yield c


SOON = datetime(2031, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)

CALLS: dict[str, Callable[[DiscourseClient], object]] = {
    # users
    "iter_users": lambda c: c.list_users(flag="active", filter="bob", order="created", asc=True),
    "iter_users(flag=suspended)": lambda c: c.list_users(flag="suspended", show_emails=True),
    "iter_users(flag=silenced)": lambda c: c.list_users(flag="silenced"),
    "user_list_page": lambda c: c.user_list_page(),
    "user_list_page(page 2)": lambda c: c.user_list_page(cursor="2"),
    "get_user": lambda c: c.get_user(user_id=7),
    "get_user_by_username": lambda c: c.get_user_by_username(username="alice"),
    "get_user_by_email": lambda c: c.get_user_by_email(email="alice@example.com"),
    "penalise(suspend)": lambda c: c.penalise(
        kind=Penalty.SUSPEND, user_id=7, until=SOON, reason="spam", message="bye"
    ),
    "penalise(suspend forever)": lambda c: c.penalise(
        kind=Penalty.SUSPEND, user_id=7, until=None, reason="spam"
    ),
    "lift(suspend)": lambda c: c.lift(kind=Penalty.SUSPEND, user_id=7),
    "penalise(silence)": lambda c: c.penalise(
        kind=Penalty.SILENCE, user_id=7, until=SOON, reason="noise"
    ),
    "lift(silence)": lambda c: c.lift(kind=Penalty.SILENCE, user_id=7),
    "log_out": lambda c: c.log_out(user_id=7),
    "set_trust_level": lambda c: c.set_trust_level(user_id=7, level=2),
    "anonymize_user": lambda c: c.anonymize_user(user_id=7),
    "delete_user": lambda c: c.delete_user(user_id=7, delete_posts=True, block_ip=True),
    "delete_user(block_email)": lambda c: c.delete_user(user_id=7, block_email=True),
    "delete_users": lambda c: c.delete_users(user_ids=[7, 8]),
    "approve_user": lambda c: c.approve_user(user_id=7),
    "activate_user": lambda c: c.activate_user(user_id=7),
    "deactivate_user": lambda c: c.deactivate_user(user_id=7),
    "find_users": lambda c: c.find_users(query="bob", limit=5),
    "find_users(status=suspended)": lambda c: c.find_users(status="suspended"),
    "find_users(status=staff)": lambda c: c.find_users(query="al", status="staff"),
    "find_users(status=silenced)": lambda c: c.find_users(status="silenced"),
    "find_users(status=new)": lambda c: c.find_users(status="new"),
    "user_details": lambda c: c.user_details(user_id=7),
    "resolve_users": lambda c: c.resolve_users(targets=["alice", "bob@example.com", "7"]),
    # a plan's hint: many names, so the newest page of the user list is read (order=created)
    "expect_lookups": lambda c: (
        c.expect_lookups(targets=[f"user{i}" for i in range(250)]),
        c.resolve_users(targets=["user1", "user2"]),
    ),
    # ... and when only who they are matters (a group's members), trust_level_0's members
    "expect_lookups(details=False)": lambda c: (
        c.expect_lookups(targets=[f"user{i}" for i in range(250)], details=False),
        c.resolve_users(targets=["user1", "user2"]),
    ),
    "group_members_slice": lambda c: c.group_members_slice(key="staff", limit=1000, offset=10),
    # groups
    "iter_groups": lambda c: c.list_groups(),
    "iter_groups(filter)": lambda c: list(c.iter_groups(filter="team")),
    "get_group": lambda c: c.get_group(key="staff"),
    "get_group_by_id": lambda c: c.get_group_by_id(group_id=42),
    "create_group": lambda c: c.create_group(
        name="crew", full_name="Crew", description="We ship", visible=False
    ),
    "update_group": lambda c: c.update_group(
        key="crew",
        name="crew",
        full_name="The crew",
        default_notification_level=2,
        update_existing_users=False,
    ),
    "delete_group": lambda c: c.delete_group(key="crew"),
    "iter_group_members": lambda c: c.list_group_members(key="crew"),
    "group_members_page": lambda c: c.group_members_page(key="crew", query="al", offset=50),
    "member_emails": lambda c: c.member_emails(users=[ForumUser(id=7, username="alice")]),
    "group_member_ids": lambda c: c.group_member_ids(group=c.get_group(key="staff")),
    # Prism's example group is automatic (the client refuses those before sending): an
    # ordinary group as a page would hold it.
    "add_members": lambda c: c.add_members(group=GROUP, user_ids=[7]),
    "remove_members": lambda c: c.remove_members(group=GROUP, user_ids=[7]),
    # tags
    "list_tags": lambda c: c.list_tags(),
    "iter_tag_topics": lambda c: c.list_tag_topics(tag="bug"),
    "get_topic": lambda c: c.get_topic(topic_id=3),
    "create_tag": lambda c: c.create_tag(name="billing"),
    "rename_tag": lambda c: c.rename_tag(name="bug", new_name="defect"),
    "merge_tag": lambda c: c.merge_tag(name="bugs", into="bug"),
    "delete_tag": lambda c: c.delete_tag(name="bug"),
    "delete_unused_tags": lambda c: c.delete_unused_tags(),
    "retag(replace)": lambda c: c.retag(topics=TOPICS, replace=["bug"]),
    "retag(add)": lambda c: c.retag(topics=TOPICS, add=["bug"]),
    "retag(remove)": lambda c: c.retag(topics=TOPICS, remove=["old"]),
    "list_tag_groups": lambda c: c.list_tag_groups(),
    "get_tag_group": lambda c: c.get_tag_group(tag_group_id=1),
    "create_tag_group": lambda c: c.create_tag_group(name="Languages"),
    "create_tag_group(tag_names)": lambda c: c.create_tag_group(name="L", tag_names=["go"]),
    "update_tag_group": lambda c: c.update_tag_group(tag_group_id=1, name="Renamed"),
    "delete_tag_group": lambda c: c.delete_tag_group(tag_group_id=1),
    # backups
    "list_backups": lambda c: c.list_backups(),
    "create_backup": lambda c: c.create_backup(with_uploads=False),
    "backup_status": lambda c: c.backup_status(),
    "cancel_backup": lambda c: c.cancel_backup(),
    "send_backup_download_link": lambda c: c.send_backup_download_link(filename="b.tar.gz"),
    # calendar
    "iter_events": lambda c: c.list_events(start=NOW, end=NOW + timedelta(days=90), category_id=3),
    "export_events_ics": lambda c: c.export_events_ics(
        start=NOW, category_id=3, include_subcategories=True
    ),
    # site and counts
    "site_title": lambda c: c.site_title(),
    "version": lambda c: c.version(),
    # A forum that hides /about.json (Prism: not in the spec) is taken to run a current release.
    "forum_version": lambda c: c.forum_version(),
    "user_count": lambda c: c.user_count(),
    "review_count": lambda c: c.review_count(),
    "review_items": lambda c: c.review_items(kind=ReviewKind.FLAGGED_POST, username="alice"),
    "review_item": lambda c: c.review_item(item_id="12"),
    "review_decide": lambda c: c.review_decide(item=REVIEW_ITEM, action_id="agree_and_hide"),
    "health_check": lambda c: c.health_check(),
    "access_problem": lambda c: c.access_problem(),
}
TOPICS = [ForumTopic(id=1, title="a", tags=("old", "bug")), ForumTopic(id=2, title="b")]
GROUP = ForumGroup(id=42, name="crew", slug="crew")
REVIEW_ITEM = ReviewItem(
    item_id="12",
    kind=ReviewKind.FLAGGED_POST,
    version=3,
    actions=(ReviewAction(id="agree_and_hide", label="Hide post"),),
)


def _public_methods() -> set[str]:
    """Every public method of the Discourse client, across its resource modules."""
    names: set[str] = set()
    for cls in DiscourseClient.__mro__:
        if cls.__module__.startswith("forums.clients.discourse"):
            names |= {n for n, v in vars(cls).items() if callable(v) and not n.startswith("_")}
    return names


def test_every_public_client_method_is_exercised():
    public = _public_methods()
    plumbing = {
        "auth_headers", "error_message", "retry_after_seconds", "raise_for_status",
        "validate_settings", "request",
        "webhook_event",  # reads a delivery the forum pushed: sends nothing
        "remember_version",  # keeps what a health check read: sends nothing
    }  # fmt: skip
    wrappers = {
        "list_users": "iter_users",
        "list_groups": "iter_groups",
        "list_group_members": "iter_group_members",
        "list_tag_topics": "iter_tag_topics",
        "list_events": "iter_events",
    }
    exercised = {name.split("(")[0] for name in CALLS}
    missing = {wrappers.get(n, n) for n in public - plumbing} - exercised
    assert not missing, f"client methods with no contract call: {sorted(missing)}"
    assert set(gaps.CALL_EXEMPTIONS) <= set(CALLS), "exemptions naming no contract call"


@pytest.mark.parametrize("name", list(CALLS))
def test_prism_accepts_the_call(client, name):
    expected = gaps.CALL_EXEMPTIONS.get(name)
    try:
        result = CALLS[name](client)
    except ForumError as exc:
        if expected is None or exc.status != expected[0]:
            refused = [a for a in client.answers if a[2] in VALIDATION_STATUSES]
            pytest.fail(f"Prism refused {name}: {exc.status} {refused}")
        return  # a known gap, refused exactly as the exemption says
    if expected is not None:
        pytest.fail(
            f"{name} is exempted ({expected[1].reason}) but Prism accepted it: remove the exemption"
        )
    assert client.answers, "the call never reached Prism"
    for method, path, status, detail in client.answers:
        if status in VALIDATION_STATUSES:
            # Only a helper call to a route the spec lacks (health_check's /about.json) may be.
            assert status == 404 and _route_not_in_spec(method, path), (
                f"Prism refused {method} {path} ({status}) inside {name}: {detail}"
            )
        else:
            assert 200 <= status < 300, (method, path, status)
    if name == "health_check":
        assert result.reachable and result.credentials_ok, result.error
    if name == "access_problem":
        assert result is None, result  # Prism's answers describe a working admin key
