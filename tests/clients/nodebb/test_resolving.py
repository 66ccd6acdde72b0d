"""The NodeBB client against the sandbox NodeBB: resolving many targets, the ACP list read
whole or one search each."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from forums.sandbox.core import RunningSandbox
from forums.sandbox.nodebb import NodeBBSandbox, NodeBBSandboxConfig

from .helpers import (  # noqa: F401 - the config of this module's sandbox
    MASTER,
    MASTER_CONFIG,
    SANDBOX_CONFIG,
    TOKEN,
    _fresh,
    make_client,
    plain_uid,
)

pytestmark = pytest.mark.every_release  # each verb against each release the sandbox plays


# --- resolving many targets: the ACP list read whole, or one search each --------------------
@pytest.fixture(scope="module")
def _big_server():
    app = NodeBBSandbox(NodeBBSandboxConfig(api_key=TOKEN, users=1600))  # 4 pages of 500
    with RunningSandbox(app) as running:
        yield running


@pytest.fixture
def big(_big_server):
    return _fresh(_big_server)


def oldest_first(sb) -> list[dict]:
    return sorted(sb.app.state.users.values(), key=lambda u: (u["joindate"], str(u["uid"])))


def list_reads(sb) -> list:
    return [c for c in sb.app.calls.records() if c.path == "/api/admin/manage/users"]


def test_resolving_many_reads_the_whole_list_500_a_call(big):
    # Only confirmed addresses resolve (ENDPOINTS.md, Users / get by email).
    users = [u for u in oldest_first(big) if u["email_confirmed"]]
    picks = users[10:1400:35]  # on every page
    targets = [u["username"].upper() for u in picks[:20]] + [u["email"] for u in picks[20:30]]
    targets += [str(u["uid"]) for u in picks[30:]] + ["no_such_person", "nobody@example.org"]
    found = make_client(big).resolve_users(targets=targets)
    assert set(found) == {t.lower() for t in targets[:-2]}
    assert all(found[t.lower()].matches(t.lower()) for t in targets[:-2])
    reads = list_reads(big)
    assert len(big.app.calls.records()) == len(reads) == 4
    assert all(parse_qs(c.query)["resultsPerPage"] == ["500"] for c in reads)
    assert all(parse_qs(c.query)["sortBy"] == ["joindate"] for c in reads)


def test_resolving_a_few_on_a_big_forum_searches_them(big):
    newest = oldest_first(big)[-2:]  # on the last page
    client = make_client(big)
    found = client.resolve_users(targets=[u["username"] for u in newest])
    assert {u.id for u in found.values()} == {u["uid"] for u in newest}
    # The first page says the forum has 4: three more pages cost more than two searches.
    calls = big.app.calls.records()
    assert len(calls) == 3 and "query" not in parse_qs(calls[0].query)
    assert [parse_qs(c.query)["query"] for c in calls[1:]] == [[u["username"]] for u in newest]
    big.app.calls.clear()
    # The same client knows the forum's size now: straight to the searches.
    client.resolve_users(targets=[u["username"] for u in newest])
    assert all("query" in parse_qs(c.query) for c in big.app.calls.records())


def test_a_user_deleted_while_the_list_is_read_does_not_hide_another(big, monkeypatch):
    users = oldest_first(big)
    target = users[500]  # the first of page 2
    client = make_client(big)
    read = client._read_list

    def read_then_delete(path, params):
        payload = read(path, params)
        if ("page", 1) in params and users[3]["uid"] in big.app.state.users:
            del big.app.state.users[users[3]["uid"]]  # page 1 loses one: page 2 moves up
        return payload

    monkeypatch.setattr(client, "_read_list", read_then_delete)
    others = [u["username"] for u in users[1000:1500:100]]
    found = client.resolve_users(targets=[target["username"], *others])
    # Passed over by the list (it moved to page 1), then found by a search of its own.
    assert found[target["username"].lower()].id == target["uid"]
    assert {o.lower() for o in others} <= set(found)
    searches = [c for c in list_reads(big) if "query" in parse_qs(c.query)]
    assert [parse_qs(c.query)["query"] for c in searches] == [[target["username"].lower()]]
