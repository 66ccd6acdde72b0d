"""Every NodeBBClient method against Prism serving NodeBB's official specs.

Prism mounts paths at the server root and ignores write.yaml's `servers: /api/v3` (PRISM.md), so
the test writes a temporary merged spec: write.yaml's paths under `/api/v3` plus read.yaml's
absolute `/api/...` paths. The shared files stay untouched. Prism answers 404/405/415/422 when a
request does not match the spec; any such answer fails the test unless
tests/contract/nodebb_exemptions.py lists it. Prism returns example data, so the assertion is
"Prism accepted the request", not what the data says.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import yaml

from forums.clients.errors import CapabilityNotOffered, ForumError
from forums.clients.nodebb import NodeBBClient
from forums.clients.nodebb.review import ACCEPT, RESOLVE
from forums.clients.records import ForumGroup, ForumTopic, Penalty, ReviewItem, ReviewKind

from .conftest import SPECS
from .nodebb_exemptions import PRISM_REFUSALS, exemption

pytestmark = pytest.mark.contract

REFUSALS = {404, 405, 415, 422}


def merged_spec(directory) -> object:
    write = yaml.safe_load((SPECS / "nodebb" / "write.yaml").read_text())
    read = yaml.safe_load((SPECS / "nodebb" / "read.yaml").read_text())
    merged = {key: value for key, value in read.items() if key != "servers"}
    merged["paths"] = {
        **{"/api/v3" + path: item for path, item in write["paths"].items()},
        **read["paths"],
    }
    merged["components"] = {
        section: {**write["components"].get(section, {}), **read["components"].get(section, {})}
        for section in ("schemas", "responses")
    }
    path = directory / "nodebb-merged.json"
    path.write_text(json.dumps(merged))
    return path


@pytest.fixture(scope="module")
def prism(start_prism, tmp_path_factory):
    return start_prism(merged_spec(tmp_path_factory.mktemp("nodebb-spec")))


@pytest.fixture
def client(prism):
    client = NodeBBClient(
        base_url=prism.url,
        api_key="contract-master-token",
        api_username="1",
        master_token=True,  # exercises the `_uid` query parameter on every call
        allow_http_hosts=["127.0.0.1"],
    )
    client.seen = []  # (method, path, status) of every answer

    def remember(response, *args, **kwargs):
        client.seen.append(
            (response.request.method, urlsplit(response.request.url).path, response.status_code)
        )

    client.session.hooks["response"].append(remember)
    yield client
    client.close()


SOON = datetime.now(UTC) + timedelta(days=2)
GROUP = ForumGroup(id="beta", name="Beta", slug="beta")

TOPIC = ForumTopic(id=3, title="t", tags=("a", "old"))
FLAG = ReviewItem(item_id="flag:1", kind=ReviewKind.FLAGGED_POST, actions=(RESOLVE,))
QUEUED = ReviewItem(item_id="queue:topic-12345", kind=ReviewKind.QUEUED_POST, actions=(ACCEPT,))

CALLS = {
    "health_check": lambda c: c.health_check(),
    "access_problem": lambda c: c.access_problem(),
    "version": lambda c: c.version(),
    "count_users": lambda c: c.count_users(),
    "review_count": lambda c: c.review_count(),
    "search_users": lambda c: c.search_users(query="dragon", limit=1),
    "search_users:email": lambda c: c.search_users(
        query="a@example.org", search_by="email", limit=1
    ),
    "list_users:status": lambda c: c.list_users(status=["banned", "muted"], limit=1),
    "get_user": lambda c: c.get_user(user_id=5),
    "get_user_by_username": lambda c: c.get_user_by_username(username="dragon-fruit"),
    "get_user_by_email": lambda c: c.get_user_by_email(email="dragonfruit@example.org"),
    "penalise:ban": lambda c: c.penalise(
        kind=Penalty.SUSPEND, user_id=5, until=SOON, reason="spam"
    ),
    "penalise:ban-permanent": lambda c: c.penalise(
        kind=Penalty.SUSPEND, user_id=5, until=None, reason=""
    ),
    "lift:unban": lambda c: c.lift(kind=Penalty.SUSPEND, user_id=5, reason="appeal"),
    "penalise:mute": lambda c: c.penalise(
        kind=Penalty.SILENCE, user_id=5, until=SOON, reason="cool off"
    ),
    "lift:unmute": lambda c: c.lift(kind=Penalty.SILENCE, user_id=5, reason="ok"),
    "delete_user": lambda c: c.delete_user(user_id=5),
    "delete_user:account": lambda c: c.delete_user(user_id=5, delete_posts=False),
    "delete_content": lambda c: c.delete_content(user_id=5),
    "delete_users": lambda c: c.delete_users(user_ids=[5, 6]),
    "user_list_page": lambda c: c.user_list_page(),
    "find_users": lambda c: c.find_users(query="dragon", limit=1),
    "find_users:email": lambda c: c.find_users(query="a@example.org", limit=1),
    "find_users:suspended": lambda c: c.find_users(status="suspended", limit=1),
    "find_users:silenced": lambda c: c.find_users(status="silenced", limit=1),
    "find_users:new": lambda c: c.find_users(status="new", limit=1),
    "find_users:staff": lambda c: c.find_users(status="staff", limit=2),
    "user_details": lambda c: c.user_details(user_id=5),
    "resolve_users": lambda c: c.resolve_users(targets=["dragon-fruit", "a@example.org", "5"]),
    "list_groups": lambda c: c.list_groups(),
    "get_group": lambda c: c.get_group(key="beta-testers"),
    "create_group": lambda c: c.create_group(name="Beta", description="d", visible=False),
    "update_group": lambda c: c.update_group(key="beta", description="new", visible=True),
    "delete_group": lambda c: c.delete_group(key="beta"),
    "list_group_members": lambda c: c.list_group_members(key="beta", limit=1),
    "group_members_page": lambda c: c.group_members_page(key="beta", offset=20, limit=20),
    "acting_user_is_sole_member": lambda c: c.acting_user_is_sole_member(
        group=ForumGroup(id="beta", name="Beta", slug="beta", user_count=1)
    ),
    "forum_release": lambda c: c.forum_release(),
    "create_group:private": lambda c: c.create_group(name="Closed", private=True),
    "group_member_ids": lambda c: c.group_member_ids(group=GROUP),
    "add_members": lambda c: c.add_members(group=GROUP, user_ids=[5, 6]),
    "remove_members": lambda c: c.remove_members(group=GROUP, user_ids=[5]),
    "list_tags": lambda c: c.list_tags(),
    "list_tag_topics": lambda c: c.list_tag_topics(tag="help", limit=1),
    "get_topic": lambda c: c.get_topic(topic_id=3),
    "set_topic_tags": lambda c: c.set_topic_tags(topic_id=3, tags=["a", "b"]),
    "add_topic_tags": lambda c: c.add_topic_tags(topic_id=3, tags=["c"]),
    "clear_topic_tags": lambda c: c.clear_topic_tags(topic_id=3),
    "retag:replace": lambda c: c.retag(topics=[TOPIC], replace=["a", "b"]),
    "retag:add": lambda c: c.retag(topics=[TOPIC], add=["c"]),
    "retag:remove": lambda c: c.retag(topics=[TOPIC], remove=["old"]),
    "retag:clear": lambda c: c.retag(topics=[TOPIC], replace=[]),
    "review_items": lambda c: c.review_items(),
    "review_items:queue": lambda c: c.review_items(kind=ReviewKind.QUEUED_POST),
    "review_item": lambda c: c.review_item(item_id="flag:1"),
    "review_item:queue": lambda c: c.review_item(item_id="queue:topic-12345"),
    "review_decide": lambda c: c.review_decide(item=FLAG, action_id="resolve"),
    "review_decide:accept": lambda c: c.review_decide(item=QUEUED, action_id="accept"),
    "review_note": lambda c: c.review_note(item=FLAG, note="Decided in Forumdeck"),
}


def _public_methods() -> set[str]:
    """Every public method of the NodeBB client, across its resource modules."""
    names: set[str] = set()
    for cls in NodeBBClient.__mro__:
        if cls.__module__.startswith("forums.clients.nodebb"):
            names |= {n for n, v in vars(cls).items() if callable(v) and not n.startswith("_")}
    return names


@pytest.mark.parametrize("name", sorted(CALLS))
def test_prism_accepts_the_request(client, name):
    try:
        CALLS[name](client)
    except ForumError as exc:
        if exc.status not in REFUSALS:
            raise
    refused = [(m, p, s) for m, p, s in client.seen if s in REFUSALS]
    unexplained = [(m, p, s) for m, p, s in refused if not _exempt(m, p)]
    assert client.seen, "the method sent nothing"
    assert unexplained == [], f"Prism refused {unexplained}: the request does not match the spec"


def _exempt(method: str, path: str) -> bool:
    for (m, spec_path), key in PRISM_REFUSALS.items():
        prefix = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(spec_path))  # {uid}: one segment
        if m == method and re.match(prefix, path):
            exemption(key)  # must be a listed, justified gap
            return True
    return False


def test_every_public_method_is_covered():
    public = _public_methods()
    not_http = {
        "auth_headers", "error_message", "request", "raise_for_status", "validate_settings",
        "iter_users",  # the generator behind search_users / list_users
    }  # fmt: skip
    covered = {name.split(":")[0] for name in CALLS}
    assert public - not_http - covered == set()


def test_master_token_uid_travels_in_the_query(client, prism):
    seen_urls = []
    client.session.hooks["response"].append(lambda r, *a, **k: seen_urls.append(r.request.url))
    client.penalise(kind=Penalty.SUSPEND, user_id=5, until=SOON, reason="spam")
    assert seen_urls and all("_uid=1" in url for url in seen_urls)
    assert exemption("query:_uid").justification


def test_absent_capabilities_send_nothing(client):
    for call in (client.list_backups, client.create_backup, client.backup_status,
                 lambda: client.list_events(start=SOON, end=SOON), client.list_tag_groups,
                 lambda: client.rename_tag(name="a", new_name="b"),
                 lambda: client.merge_tag(name="a", into="b"),
                 lambda: client.delete_tag(name="a"), lambda: client.create_tag(name="a"),
                 client.delete_unused_tags, lambda: client.log_out(user_id=5)):  # fmt: skip
        with pytest.raises(CapabilityNotOffered):
            call()
    assert client.seen == []
