"""The simulated UserEcho, spoken to over raw HTTP: every route, every trap of
shared/specs/userecho/ENDPOINTS.md section 4, the switches for what the sources leave open, and
its routes and answers checked against shared/specs/userecho/openapi.yaml (openapi-core), with
the departures listed once in tests/contract/userecho_exemptions.py."""

from __future__ import annotations

import copy
import io
import re
import threading
import time
from functools import cache
from pathlib import Path

import pytest
import requests
import yaml
from django.core.management import call_command
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_schema_validator import OAS30Validator

from forums.sandbox.core import RunningSandbox
from forums.sandbox.demo import DEMO_KEYS, DEMO_PEOPLE, start_demo_sandboxes
from forums.sandbox.userecho import LATER_ROUTES, UserEchoSandbox, UserEchoSandboxConfig
from tests.contract.conftest import SPECS
from tests.contract.userecho_exemptions import (
    ADDITIONS,
    UNDOCUMENTED_SANDBOX_ROUTES,
    citations,
    exemption,
)

TOKEN = "sandbox-key"
READ_TOKEN = "read-only-token"  # the owner's read-only token
AGENT_TOKEN = "agent-write-token"  # the support agent (user 2): read and write, not "all"
OWNER = 1
AGENT = 2
BASE = {
    "api_key": TOKEN,
    "extra_tokens": {
        READ_TOKEN: {"user_id": OWNER, "scopes": ["read"]},
        AGENT_TOKEN: {"user_id": AGENT, "scopes": ["read", "write"]},
    },
}
USERECHO_SPECS = Path(SPECS) / "userecho"
ENDPOINTS = USERECHO_SPECS / "ENDPOINTS.md"


@pytest.fixture(scope="module")
def _server():
    with RunningSandbox(UserEchoSandbox(UserEchoSandboxConfig(**copy.deepcopy(BASE)))) as running:
        yield running


@pytest.fixture
def sandbox(_server):
    """One server per module; fresh config, state and call log per test."""
    app = _server.app
    app.config = UserEchoSandboxConfig(**copy.deepcopy(BASE))
    app.calls.clear()
    app.reset()
    return _server


def call(sb, method, command, *, token=TOKEN, params=None, **kwargs):
    params = dict(params or {})
    if token:
        params["access_token"] = token
    return requests.request(
        method, f"{sb.url}/api/v2/{command}", params=params, timeout=5, **kwargs
    )


def data(response):
    assert response.status_code == 200, response.text[:300]
    body = response.json()
    assert body["status"] == "success", body
    return body["data"]


def error(response, status):
    assert response.status_code == status, response.text[:300]
    body = response.json()
    assert body["status"] == "error" and body["message"], body
    assert "data" not in body
    return body["message"]


def state(sb):
    return sb.app.state


def topic_in(sb, forum_id, **where):
    return next(
        t
        for t in state(sb).topics.values()
        if t["forum_id"] == forum_id and all(t[k] == v for k, v in where.items())
    )


def tag_named(sb, forum_id, name):
    return next(
        t["id"] for t in state(sb).tags.values() if t["forum_id"] == forum_id and t["name"] == name
    )


# --- 1.1 paths, 1.2 the token ---------------------------------------------------------------
def test_every_command_ends_in_json(sandbox):
    """Trap 1: `.json` is part of every path; without it (or as .xml) the command is unknown."""
    assert len(data(call(sandbox, "GET", "users.json"))) == 50
    for command in ("users", "users.xml", "forums/1/topics"):
        assert "Unknown API method" in error(call(sandbox, "GET", command), 404)


def test_token_in_the_query_or_as_bearer_and_a_bad_one_refused(sandbox):
    """1.2: `?access_token=` [D], `Authorization: Bearer` [C CS:25]; a bad token is 401 [I]."""
    me = data(call(sandbox, "GET", "users/current.json"))
    assert me["id"] == OWNER and me["email"] == "admin@example.com"
    bearer = requests.get(
        f"{sandbox.url}/api/v2/users/current.json",
        timeout=5,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert data(bearer)["id"] == OWNER
    assert error(call(sandbox, "GET", "users/current.json", token="wrong"), 401)
    assert error(call(sandbox, "GET", "users/current.json", token=None), 401)


def test_each_way_of_sending_the_token_can_be_switched_off(sandbox):
    """1.2 [I]: which form a real project accepts is open; the client falls back between them."""
    sandbox.app.configure(accept_bearer=False)
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    url = f"{sandbox.url}/api/v2/users/current.json"
    assert error(requests.get(url, headers=bearer, timeout=5), 401)
    assert data(call(sandbox, "GET", "users/current.json"))["id"] == OWNER
    sandbox.app.configure(accept_bearer=True, accept_query_token=False)
    assert error(call(sandbox, "GET", "users/current.json"), 401)
    assert data(requests.get(url, headers=bearer, timeout=5))["id"] == OWNER


# --- 1.3 envelope, 1.5 error codes ----------------------------------------------------------
def test_success_and_error_envelopes(sandbox):
    """1.3 [D]: {status: success, data, details?}; errors {status: error, message}."""
    body = call(sandbox, "GET", "forums.json").json()
    assert body["status"] == "success" and body["details"] == {"count": 3, "page": 1, "limit": 50}
    assert [f["name"] for f in body["data"]] == ["Ideas & Feedback", "Support", "Beta program"]
    single = call(sandbox, "GET", "topics/1.json").json()
    assert set(single) == {"status", "data"} and single["data"]["id"] == 1
    assert error(call(sandbox, "GET", "topics/999999.json"), 404) == "Topic 999999 not found"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("4xx", {"auth": 401, "scope": 403, "missing": 404, "invalid": 400, "method": 405}),
        ("200", {"auth": 200, "scope": 200, "missing": 200, "invalid": 200, "method": 200}),
    ],
)
def test_the_http_status_of_an_error_is_configurable(sandbox, mode, expected):
    """1.5 [I] HTTP codes are undocumented: plausible 4xx, or 200 with status "error"."""
    sandbox.app.configure(error_http_status=mode)
    answers = {
        "auth": call(sandbox, "GET", "forums.json", token="wrong"),
        "scope": call(sandbox, "POST", "forums/1/tags.json", token=READ_TOKEN, json={"name": "x"}),
        "missing": call(sandbox, "GET", "users/sso/nobody.json"),
        "invalid": call(sandbox, "POST", "users/groups.json", json={}),
        "method": call(sandbox, "PATCH", "users/groups.json", json={"id": 1}),
    }
    for kind, response in answers.items():
        assert response.status_code == expected[kind], kind
        assert response.json()["status"] == "error", kind
    assert not any(t["name"] == "x" for t in state(sandbox).tags.values())


def test_the_failure_word_can_be_fail(sandbox):
    """Trap 12: INTRO says "error", the PHP client checks "fail"."""
    sandbox.app.configure(failure_word="fail")
    body = call(sandbox, "GET", "topics/999999.json").json()
    assert body == {"status": "fail", "message": "Topic 999999 not found"}


# --- 1.4 paging, filters, order -------------------------------------------------------------
def test_pages_of_fifty_by_default_with_the_total_in_details(sandbox):
    """1.4 [D] default 50, `page` 1-based [I], `limit`; [C] IMP details.count is the total."""
    first = call(sandbox, "GET", "users.json").json()
    second = call(sandbox, "GET", "users.json", params={"page": 2}).json()
    third = call(sandbox, "GET", "users.json", params={"page": 3}).json()
    assert first["details"] == {"count": 80, "page": 1, "limit": 50}
    assert len(first["data"]) == 50 and len(second["data"]) == 30 and third["data"] == []
    ids = [u["id"] for u in first["data"] + second["data"]]
    assert len(set(ids)) == 80 == len(state(sandbox).users)
    small = call(sandbox, "GET", "users.json", params={"page": 11, "limit": 2}).json()
    assert [u["id"] for u in small["data"]] == [21, 22]  # INTRO's `page=11&limit=2` example


def test_limit_is_capped_and_bad_paging_is_refused(sandbox):
    """1.4 [I] max limit undocumented ([C] DA uses 100): capped; nonsense is a 400 [I]."""
    sandbox.app.configure(users=150)
    sandbox.app.reset()
    body = call(sandbox, "GET", "users.json", params={"limit": 500}).json()
    assert len(body["data"]) == 100 and body["details"]["limit"] == 100
    for params in ({"page": 0}, {"limit": "ten"}):
        assert "page and limit" in error(call(sandbox, "GET", "users.json", params=params), 400)


def test_details_may_be_missing_and_a_short_page_ends_the_list(sandbox):
    """1.3 [D] details "may be available"; trap 17: stop on a short page."""
    sandbox.app.configure(details=False)
    pages, page = [], 1
    while True:
        body = call(sandbox, "GET", "forums/1/topics.json", params={"page": page}).json()
        assert "details" not in body
        pages.append(len(body["data"]))
        if len(body["data"]) < 50:
            break
        page += 1
    assert pages == [50, 14]


def test_filters_on_user_fields(sandbox):
    """SEED:85-110 [D]: filter__<field>[__<cond>] (eq, in, gte, icontains ...); email [I]."""
    found = data(
        call(sandbox, "GET", "users.json", params={"filter__email": "maria.lopez@example.org"})
    )
    assert [(u["slug"], u["name"]) for u in found] == [("maria-lopez", "Maria Lopez")]
    named = data(call(sandbox, "GET", "users.json", params={"filter__name__icontains": "maria l"}))
    assert sorted(u["email"] for u in named) == [
        "maria.lopes@example.net",
        "maria.lopez@example.org",
    ]
    some = data(call(sandbox, "GET", "users.json", params={"filter__id__in": "3,5,7"}))
    assert [u["id"] for u in some] == [3, 5, 7]
    late = call(sandbox, "GET", "users.json", params={"filter__id__gte": 71}).json()
    assert late["details"]["count"] == 10
    staff = data(call(sandbox, "GET", "users.json", params={"filter__is_staff": "true"}))
    assert {u["id"] for u in staff} == {1, 2, 3}


def test_filters_on_topics_dates_and_custom_fields(sandbox):
    """SEED:101-110 [D]: needs_review, status__in, dates as a plain date, custom fields as
    strings."""
    topics = [t for t in state(sandbox).topics.values() if t["forum_id"] == 1]
    review = call(sandbox, "GET", "forums/1/topics.json", params={"filter__needs_review": 1})
    assert review.json()["details"]["count"] == 6 == sum(t["needs_review"] for t in topics)
    assert all(t["needs_review"] for t in data(review))
    statuses = sorted({t["status_id"] for t in topics})[:2]
    by_status = data(
        call(
            sandbox,
            "GET",
            "forums/1/topics.json",
            params={"filter__status__in": ",".join(map(str, statuses)), "limit": 100},
        )
    )
    assert len(by_status) == sum(t["status_id"] in statuses for t in topics)
    cutoff = sorted(t["created"] for t in topics)[40][:10]  # a plain date
    recent = call(sandbox, "GET", "forums/1/topics.json", params={"filter__created__gte": cutoff})
    assert recent.json()["details"]["count"] == sum(t["created"] >= cutoff for t in topics)
    pro = call(
        sandbox, "GET", "forums/1/topics.json", params={"filter__custom_fields__cf_1": "Pro"}
    ).json()
    assert pro["details"]["count"] == sum(t["custom_fields"]["cf_1"] == "Pro" for t in topics)


def test_unknown_filter_field_is_refused_and_ignored_filters_do_nothing(sandbox):
    """[I] an unknown field is a 400; trap 16 [C DA:393]: a server may ignore a filter."""
    assert "Unknown filter field" in error(
        call(sandbox, "GET", "users.json", params={"filter__shoe_size": 3}), 400
    )
    sandbox.app.configure(ignored_filters=["email"])
    body = call(
        sandbox, "GET", "users.json", params={"filter__email": "maria.lopez@example.org"}
    ).json()
    assert body["details"]["count"] == 80  # the whole project, not Maria


def test_order_by(sandbox):
    """[C] DA: order_by=created / -created; unknown fields are refused [I]."""
    newest = data(call(sandbox, "GET", "forums/2/topics.json", params={"order_by": "-created"}))
    oldest = data(call(sandbox, "GET", "forums/2/topics.json", params={"order_by": "created"}))
    assert [t["id"] for t in newest] == [t["id"] for t in reversed(oldest)]
    assert newest[0]["created"] > newest[-1]["created"]
    assert error(call(sandbox, "GET", "users.json", params={"order_by": "-nope"}), 400)


# --- token scopes ---------------------------------------------------------------------------
def test_a_read_token_reads_but_every_write_is_refused(sandbox):
    """Trap 11 / 1.5 [I]: a read-only token calling a write gets a scope error (403)."""
    assert len(data(call(sandbox, "GET", "forums/1/tags.json", token=READ_TOKEN))) == 8
    tag = tag_named(sandbox, 1, "bug")
    before = copy.deepcopy(state(sandbox).tags)
    writes = [
        ("PUT", "forums/1/tags.json", {"id": tag, "name": "defect"}),
        ("DELETE", "forums/1/tags.json", {"id": tag}),
        ("POST", "forums/1/topics.json", {"header": "x", "type": 1}),
        ("PUT", "forums/1/topics.json", {"id": 1, "tags": []}),
        ("DELETE", "topics/1.json", None),
        ("POST", "users/get_or_create.json", {"email": "new@example.com"}),
    ]
    for method, command, body in writes:
        message = error(call(sandbox, method, command, token=READ_TOKEN, json=body), 403)
        assert "Access denied" in message, command
    assert state(sandbox).tags == before and 1 in state(sandbox).topics
    assert state(sandbox).user_by_email("new@example.com") is None


def test_a_write_token_cannot_do_what_needs_all(sandbox):
    """SEED [D]: groups, logout, get_or_create need "all"; "write, all" rows take either."""
    assert (
        data(
            call(
                sandbox,
                "POST",
                "forums/1/tags.json",
                token=AGENT_TOKEN,
                json={"name": "agent-made"},
            )
        )["name"]
        == "agent-made"
    )
    for method, command in (
        ("GET", "users/groups.json"),
        ("GET", "users/5/logout.json"),
        ("GET", "hooks.json"),
    ):
        assert error(call(sandbox, method, command, token=AGENT_TOKEN), 403)
    assert state(sandbox).logouts == []


def test_own_topics_need_read_but_anyone_elses_need_all(sandbox):
    """U13/U14 [D] SEED:52-53, 69-70: "read - self, manage - all"."""
    own = call(sandbox, "GET", f"users/{AGENT}/comments.json", token=AGENT_TOKEN)
    assert all(c["author"]["id"] == AGENT for c in data(own))
    author = topic_in(sandbox, 1)["author_id"]
    assert error(call(sandbox, "GET", f"users/{author}/topics.json", token=AGENT_TOKEN), 403)
    assert data(call(sandbox, "GET", f"users/{author}/topics.json"))


# --- acting as another user and the fallback trap -------------------------------------------
def test_user_id_acts_as_that_user_and_zero_is_anonymous(sandbox):
    """SEED:112-117 [D]: an "all" token acts as `user_id`; 0 is the anonymous user."""
    assert data(call(sandbox, "GET", "users/current.json", params={"user_id": 7}))["id"] == 7
    anonymous = data(call(sandbox, "GET", "users/current.json", params={"user_id": 0}))
    assert anonymous["id"] == 0 and anonymous["is_authenticated"] is False


def test_an_unknown_user_id_silently_falls_back_to_the_token_user(sandbox):
    """Trap 7 [D] SEED:116-117: unknown user_id / user_sso_guid answer and act as the token's
    own user, with success."""
    for params in ({"user_id": 999999}, {"user_sso_guid": "no-such-guid"}):
        me = data(call(sandbox, "GET", "users/current.json", params=params))
        assert me["id"] == OWNER and me["email"] == "admin@example.com"
    # A comment meant to be written as user 999999 is recorded as the admin's.
    topic = topic_in(sandbox, 1)
    comment = data(
        call(
            sandbox,
            "POST",
            f"topics/{topic['id']}/comments.json",
            json={"text": "On behalf of someone", "user_id": 999999},
        )
    )
    assert comment["author"]["id"] == OWNER
    as_known = data(
        call(
            sandbox,
            "POST",
            f"topics/{topic['id']}/comments.json",
            json={"text": "As user 9", "user_id": 9},
        )
    )
    assert as_known["author"]["id"] == 9


def test_only_an_all_token_acts_for_others(sandbox):
    """SEED:112 [D] "If your key has a "all" access rights"; [I] other tokens are themselves."""
    me = data(call(sandbox, "GET", "users/current.json", token=AGENT_TOKEN, params={"user_id": 9}))
    assert me["id"] == AGENT


def test_an_unknown_user_id_in_the_path_answers_and_acts_on_the_token_user(sandbox):
    """Trap 7 extended to path ids [I] (path_user_fallback, on by default): reads answer the
    admin, and a logout meant for a missing user logs the admin out."""
    got = data(call(sandbox, "GET", "users/999999.json"))
    assert got["id"] == OWNER
    assert data(call(sandbox, "GET", "users/999999/logout.json")) is True
    assert state(sandbox).logouts == [OWNER] and state(sandbox).users[OWNER]["sessions"] == 0
    sandbox.app.configure(path_user_fallback=False)
    assert error(call(sandbox, "GET", "users/999999.json"), 404) == "User 999999 not found"
    assert error(call(sandbox, "GET", "users/999999/logout.json"), 404)
    assert state(sandbox).logouts == [OWNER]


def test_user_by_sso_guid(sandbox):
    """U4 [D] SEED:9."""
    user = next(u for u in state(sandbox).users.values() if u["sso_guid"])
    assert data(call(sandbox, "GET", f"users/sso/{user['sso_guid']}.json"))["id"] == user["id"]
    assert error(call(sandbox, "GET", "users/sso/unknown-guid.json"), 404)


# --- users that get created -----------------------------------------------------------------
def test_get_or_create_finds_by_email_and_creates_otherwise(sandbox):
    """U6 [D] P-GOC; trap 6: a "lookup" through get_or_create creates the user."""
    count = len(state(sandbox).users)
    found = data(
        call(sandbox, "POST", "users/get_or_create.json", json={"email": "Tom.Becker@example.org"})
    )
    assert found["is_created"] is False and found["slug"] == "tom-becker"
    assert len(state(sandbox).users) == count
    created = data(
        call(sandbox, "POST", "users/get_or_create.json", json={"email": "nobody.yet@example.com"})
    )
    assert created["is_created"] is True and created["name"] == "nobody.yet"  # P-GOC default
    assert len(state(sandbox).users) == count + 1
    assert state(sandbox).invitations == []  # send_new_user_invitation defaults to false
    again = data(
        call(sandbox, "POST", "users/get_or_create.json", json={"email": "nobody.yet@example.com"})
    )
    assert again["id"] == created["id"] and again["is_created"] is False
    assert error(call(sandbox, "POST", "users/get_or_create.json", json={"name": "x"}), 400)
    assert len(state(sandbox).users) == count + 1


def test_get_or_create_with_email_verified_false_matches_only_unverified(sandbox):
    """P-GOC [D]: email_verified=false matches only users with unverified e-mails."""
    unverified = next(u for u in state(sandbox).users.values() if not u["email_verified"])
    got = data(
        call(
            sandbox,
            "POST",
            "users/get_or_create.json",
            json={"email": unverified["email"], "email_verified": False},
        )
    )
    assert got["id"] == unverified["id"]
    assert error(
        call(
            sandbox,
            "POST",
            "users/get_or_create.json",
            json={"email": "admin@example.com", "email_verified": False},
        ),
        400,
    )


def test_an_sso_token_creates_the_user_it_names(sandbox):
    """SEED:114 [D] (trap 6): an unknown sso_token creates a user and acts as it."""
    count = len(state(sandbox).users)
    first = data(call(sandbox, "GET", "users/current.json", params={"sso_token": "crm-new-1"}))
    assert first["id"] != OWNER and len(state(sandbox).users) == count + 1
    second = data(call(sandbox, "GET", "users/current.json", params={"sso_token": "crm-new-1"}))
    assert second["id"] == first["id"] and len(state(sandbox).users) == count + 1
    assert data(call(sandbox, "GET", "users/sso/crm-new-1.json"))["id"] == first["id"]


def test_logout_is_a_get_that_clears_sessions(sandbox):
    """U5 [D] "Clear all sessions for selected user"; trap 8: a GET with a side effect."""
    user = next(u for u in state(sandbox).users.values() if u["sessions"] > 0 and u["id"] > 3)
    assert data(call(sandbox, "GET", f"users/{user['id']}/logout.json")) is True
    assert user["sessions"] == 0 and state(sandbox).logouts == [user["id"]]
    assert sandbox.app.calls.count("GET", f"/api/v2/users/{user['id']}/logout.json") == 1


# --- user groups: collection-level writes ---------------------------------------------------
def test_groups_are_written_on_the_collection_with_the_id_in_the_body(sandbox):
    """G1-G4 [D]; trap 3: PUT/DELETE users/groups carry the id in the body ([I] for DELETE,
    which also takes ?id=)."""
    groups = data(call(sandbox, "GET", "users/groups.json"))
    assert [g["name"] for g in groups] == ["Customers", "Beta testers", "Partners", "Team"]
    made = data(call(sandbox, "POST", "users/groups.json", json={"name": "Moderators"}))
    assert made["vote_weight"] == 1 and made["vote_count"] is None  # P-GRP-C defaults
    renamed = data(
        call(
            sandbox,
            "PUT",
            "users/groups.json",
            json={"id": made["id"], "name": "Mods", "vote_weight": 3},
        )
    )
    assert renamed == {"id": made["id"], "name": "Mods", "vote_weight": 3, "vote_count": None}
    # PUT takes the id from the body only.
    assert "'id' is required" in error(
        call(sandbox, "PUT", "users/groups.json", params={"id": made["id"]}, json={"name": "Q"}),
        400,
    )
    assert data(call(sandbox, "DELETE", "users/groups.json", json={"id": made["id"]})) is True
    assert made["id"] not in state(sandbox).groups
    assert data(call(sandbox, "DELETE", "users/groups.json", params={"id": 3})) is True
    assert 3 not in state(sandbox).groups
    assert not any(3 in u["groups"] for u in state(sandbox).users.values())
    assert error(call(sandbox, "DELETE", "users/groups.json", json={"id": 3}), 404)
    assert error(call(sandbox, "DELETE", "users/groups.json"), 400)


def test_group_validation(sandbox):
    """P-GRP-C [D]: vote_weight 1..5, vote_count positive or null; names are unique [I]."""
    for body in (
        {"name": "X", "vote_weight": 6},
        {"name": "X", "vote_count": 0},
        {"name": "customers"},
        {"vote_weight": 2},
    ):
        assert error(call(sandbox, "POST", "users/groups.json", json=body), 400), body
    assert len(state(sandbox).groups) == 4
    assert error(call(sandbox, "PUT", "users/groups.json", json={"id": 99, "name": "Y"}), 404)


def test_bodies_must_be_json_objects_but_form_fields_are_read(sandbox):
    """1.6 [D] JSON object bodies; [I] the v1 clients' form fields work too."""
    assert "JSON object" in error(call(sandbox, "POST", "users/groups.json", json=[1, 2]), 400)
    made = data(call(sandbox, "POST", "users/groups.json", data={"name": "Form made"}))
    assert made["name"] == "Form made"


# --- later-reference routes ------------------------------------------------------------------
LATER_CALLS = [
    ("PUT", "users/5.json", {"name": "New name"}, "user_update"),
    ("DELETE", "users/5.json", None, "user_delete"),
    ("GET", "users/5/subscriptions.json", None, "user_subscriptions"),
    ("PUT", "users/5/subscriptions.json", {"forums": [1]}, "user_subscriptions"),
    ("POST", "users/5/group.json", {"id": 1}, "user_group"),
    ("DELETE", "users/5/group.json", {"id": 1}, "user_group"),
    ("PUT", "forums.json", {"id": 2, "name": "Help"}, "forum_update"),
    ("GET", "forums/1/types/1/statuses.json", None, "type_statuses"),
]


def test_later_reference_routes_are_absent_by_default(sandbox):
    """Trap 10: only REF-NEW lists these; off, they answer like unknown commands and change
    nothing."""
    for method, command, body, _ in LATER_CALLS:
        assert "Unknown API method" in error(call(sandbox, method, command, json=body), 404)
    assert 5 in state(sandbox).users and state(sandbox).users[5]["name"] != "New name"
    assert state(sandbox).forums[2]["name"] == "Support"


@pytest.mark.parametrize("name", sorted(LATER_ROUTES))
def test_each_later_route_can_be_switched_on_alone(sandbox, name):
    sandbox.app.configure(later_routes=[name])
    for method, command, body, route in LATER_CALLS:
        response = call(sandbox, method, command, json=body)
        if route == name:
            data(response)
        else:
            assert response.status_code == 404, (method, command)


def test_delete_user_and_what_happens_to_their_content(sandbox):
    """U8 REF-NEW; trap 22 [I]: content anonymised (default) or removed."""
    sandbox.app.configure(later_routes=LATER_ROUTES)
    topic = topic_in(sandbox, 1)
    author = topic["author_id"]
    assert data(call(sandbox, "DELETE", f"users/{author}.json")) is True
    assert author not in state(sandbox).users
    assert data(call(sandbox, "GET", f"topics/{topic['id']}.json"))["author"]["id"] == 0
    sandbox.app.configure(deleted_user_content="remove")
    other = next(t for t in state(sandbox).topics.values() if t["author_id"] not in (0, author))
    assert data(call(sandbox, "DELETE", f"users/{other['author_id']}.json")) is True
    assert other["id"] not in state(sandbox).topics


def test_delete_of_an_unknown_user_falls_back_to_the_token_user_and_is_refused(sandbox):
    """Trap 7 on a path id [I]: DELETE users/999999 would target the admin; refused loudly."""
    sandbox.app.configure(later_routes=LATER_ROUTES)
    assert "own user" in error(call(sandbox, "DELETE", "users/999999.json"), 400)
    assert OWNER in state(sandbox).users


def test_group_membership_and_its_fallback_trap(sandbox):
    """U11/U12 REF-NEW, body {"id": group} [I]; an unknown user id puts the *admin* in the
    group (trap 7)."""
    sandbox.app.configure(later_routes=LATER_ROUTES)
    partners = 3
    user = next(u for u in state(sandbox).users.values() if partners not in u["groups"])
    data(call(sandbox, "POST", f"users/{user['id']}/group.json", json={"id": partners}))
    assert partners in user["groups"]
    data(call(sandbox, "DELETE", f"users/{user['id']}/group.json", json={"group_id": partners}))
    assert partners not in user["groups"]
    data(call(sandbox, "POST", "users/999999/group.json", json={"id": partners}))
    assert partners in state(sandbox).users[OWNER]["groups"]
    assert error(call(sandbox, "POST", f"users/{user['id']}/group.json", json={"id": 99}), 404)


def test_profile_update_subscriptions_forum_update_and_statuses(sandbox):
    """U7, U9, U10, F3, T2 (REF-NEW, shapes [I])."""
    sandbox.app.configure(later_routes=LATER_ROUTES)
    assert data(call(sandbox, "PUT", "users/5.json", json={"name": "Renamed"}))["name"] == "Renamed"
    assert error(call(sandbox, "PUT", "users/5.json", json={"email": "admin@example.com"}), 400)
    subs = data(call(sandbox, "PUT", "users/5/subscriptions.json", json={"forums": [1, 2]}))
    assert subs == {"forums": [1, 2], "topics": []}
    assert data(call(sandbox, "GET", "users/5/subscriptions.json")) == subs
    assert data(call(sandbox, "PUT", "forums.json", json={"id": 2, "name": "Help"}))["name"] == (
        "Help"
    )
    statuses = data(call(sandbox, "GET", "forums/1/types/1/statuses.json"))
    assert [s["name"] for s in statuses][:3] == ["New", "Under review", "Planned"]
    forum2_type = next(t["id"] for t in state(sandbox).types.values() if t["forum_id"] == 2)
    assert error(call(sandbox, "GET", f"forums/1/types/{forum2_type}/statuses.json"), 404)


# --- forums, types, categories, tags, access list --------------------------------------------
def test_forum_create_from_a_template_ignores_other_settings(sandbox):
    """F2 [D] P-FORUM-C: template_forum_id copies settings; other params except name ignored."""
    made = data(
        call(
            sandbox,
            "POST",
            "forums.json",
            json={"name": "Copy", "template_forum_id": 2, "type": "PRIVATE"},
        )
    )
    assert made["type"] == {"id": 5, "name": "HELPDESK"} and made["topic_count"] == 0
    assert [t["name"] for t in data(call(sandbox, "GET", f"forums/{made['id']}/types.json"))] == [
        "Questions",
        "Problems",
    ]
    assert error(call(sandbox, "POST", "forums.json", json={"name": "Bad", "type": "WIKI"}), 400)
    assert error(call(sandbox, "POST", "forums.json", json={"type": "PUBLIC"}), 400)


def test_forum_delete_takes_the_id_in_the_body_and_removes_its_content(sandbox):
    """F4 [D listed], id in the body [I]; trap 9: irreversible; the default forum stays [I]."""
    assert "default forum" in error(call(sandbox, "DELETE", "forums.json", json={"id": 1}), 400)
    assert data(call(sandbox, "DELETE", "forums.json", json={"id": 2})) is True
    assert [f["id"] for f in data(call(sandbox, "GET", "forums.json"))] == [1, 3]
    assert not any(t["forum_id"] == 2 for t in state(sandbox).topics.values())
    assert error(call(sandbox, "GET", "forums/2/tags.json"), 404)


def test_types_categories_and_tags_belong_to_one_forum(sandbox):
    """T1, C1, TG1 [D]; trap 4 [I]: the same tag name lives in several forums under different
    ids, and one forum's id is not found in another."""
    bugs = [tag_named(sandbox, f, "bug") for f in (1, 2, 3)]
    assert len(set(bugs)) == 3
    forum2 = data(call(sandbox, "GET", "forums/2/tags.json"))
    assert {t["name"] for t in forum2} == {"bug", "urgent", "login", "billing", "howto", "api"}
    assert [t["name"] for t in data(call(sandbox, "GET", "forums/2/types.json"))] == [
        "Questions",
        "Problems",
    ]
    cats = data(call(sandbox, "GET", "forums/1/categories.json"))
    assert {c["name"] for c in cats} >= {"Dashboard", "Billing"}
    assert sum(c["topic_count"] for c in cats) == sum(
        1 for t in state(sandbox).topics.values() if t["forum_id"] == 1 and t["category_id"]
    )
    # Forum 2's "bug" cannot be renamed through forum 1.
    assert error(call(sandbox, "PUT", "forums/1/tags.json", json={"id": bugs[1], "name": "x"}), 404)
    assert state(sandbox).tags[bugs[1]]["name"] == "bug"


def test_tag_and_category_writes_on_the_collection(sandbox):
    """TG2-TG4, C2-C4 [D] exist; bodies [I]: {name}, {id, name}, {id} (or ?id=)."""
    tag = data(call(sandbox, "POST", "forums/1/tags.json", json={"name": "billing"}))
    assert tag["name"] == "billing" and state(sandbox).tags[tag["id"]]["forum_id"] == 1
    assert error(call(sandbox, "POST", "forums/1/tags.json", json={"name": "Billing"}), 400)
    assert (
        data(
            call(sandbox, "PUT", "forums/1/tags.json", json={"id": tag["id"], "name": "invoices"})
        )["name"]
        == "invoices"
    )
    assert data(call(sandbox, "DELETE", "forums/1/tags.json", params={"id": tag["id"]})) is True
    cat = data(call(sandbox, "POST", "forums/2/categories.json", json={"name": "Mobile"}))
    assert cat == {"id": cat["id"], "name": "Mobile", "topic_count": 0}
    assert (
        data(
            call(sandbox, "PUT", "forums/2/categories.json", json={"id": cat["id"], "name": "Apps"})
        )["name"]
        == "Apps"
    )
    assert data(call(sandbox, "DELETE", "forums/2/categories.json", json={"id": cat["id"]}))
    assert error(call(sandbox, "DELETE", "forums/2/categories.json", json={"id": cat["id"]}), 404)
    assert error(call(sandbox, "PUT", "forums/2/categories.json", json={"name": "no id"}), 400)


def test_deleting_a_tag_or_category_detaches_it_from_topics(sandbox):
    """Trap 9 [I]: deleting a tag or category presumably detaches it from topics."""
    topic = next(t for t in state(sandbox).topics.values() if t["tag_ids"] and t["category_id"])
    tag, category, fid = topic["tag_ids"][0], topic["category_id"], topic["forum_id"]
    data(call(sandbox, "DELETE", f"forums/{fid}/tags.json", json={"id": tag}))
    data(call(sandbox, "DELETE", f"forums/{fid}/categories.json", json={"id": category}))
    shown = data(call(sandbox, "GET", f"topics/{topic['id']}.json"))
    assert tag not in [t["id"] for t in shown["tags"]] and shown["category"] is None


def test_access_list_of_a_private_forum(sandbox):
    """A1-A3 [D] "For private forums only"; body {emails} [I]."""
    emails = data(call(sandbox, "GET", "forums/3/access_list.json", params={"limit": 100}))
    assert len(emails) == 24 and all("@" in e for e in emails)
    after = data(
        call(
            sandbox,
            "POST",
            "forums/3/access_list.json",
            json={"emails": ["New.Tester@example.com"]},
        )
    )
    assert "new.tester@example.com" in after
    after = data(
        call(
            sandbox,
            "DELETE",
            "forums/3/access_list.json",
            params={"emails": "new.tester@example.com"},
        )
    )
    assert "new.tester@example.com" not in after
    assert "private forums only" in error(call(sandbox, "GET", "forums/1/access_list.json"), 400)
    assert error(call(sandbox, "POST", "forums/3/access_list.json", json={"emails": ["x"]}), 400)


# --- topics ---------------------------------------------------------------------------------
def test_topic_lists_by_forum_user_category_tag_and_search(sandbox):
    """P1, P4-P7 [D]; P5 `query` [C CPBOT]."""
    topics = state(sandbox).topics.values()
    first = call(sandbox, "GET", "forums/1/topics.json").json()
    assert first["details"]["count"] == 64 and len(first["data"]) == 50
    author = topic_in(sandbox, 1)["author_id"]
    mine = data(call(sandbox, "GET", f"forums/1/users/{author}/topics.json"))
    assert mine and {t["author"]["id"] for t in mine} == {author}
    assert {t["forum_id"] for t in mine} == {1}
    everywhere = data(call(sandbox, "GET", f"users/{author}/topics.json"))
    assert len(everywhere) == sum(t["author_id"] == author for t in topics)
    found = data(call(sandbox, "GET", "forums/1/topics/search.json", params={"query": "csv"}))
    assert found and all("csv" in (t["header"] + t["description"]).lower() for t in found)
    assert error(call(sandbox, "GET", "forums/1/topics/search.json"), 400)
    category = next(t["category_id"] for t in topics if t["category_id"])
    in_category = data(call(sandbox, "GET", f"categories/{category}/topics.json"))
    assert {t["category"]["id"] for t in in_category} == {category}
    bug = tag_named(sandbox, 2, "bug")
    tagged = data(call(sandbox, "GET", f"tags/{bug}/topics.json"))
    assert tagged and all(bug in [t["id"] for t in x["tags"]] for x in tagged)
    assert {t["forum_id"] for t in tagged} == {2}


def test_topic_shape(sandbox):
    """2.5 [D] P-TOPIC-C fields (HTML description, status/type objects, vote, custom_fields)."""
    topic = next(t for t in state(sandbox).topics.values() if t["forum_id"] == 1 and t["votes"])
    shown = data(call(sandbox, "GET", f"topics/{topic['id']}.json"))
    assert shown["description"].startswith("<p>")
    assert set(shown["status"]) == {"id", "name", "color", "updated"}
    assert shown["type"]["name"] in ("Ideas", "Problems", "Questions")
    up = sum(v > 0 for v in topic["votes"].values())
    assert shown["vote"]["positive"] == up and shown["vote"]["total"] == 2 * up - len(
        topic["votes"]
    )
    assert shown["custom_fields"] == [
        {"id": 1, "code_name": "cf_1", "name": "Plan", "value": topic["custom_fields"]["cf_1"]}
    ]
    assert shown["url"].startswith("https://sandbox.userecho.com/en/communities/1/topics/")
    assert shown["forum_id"] == 1
    sandbox.app.configure(topic_forum_field=False)  # trap 2 [I]: a topic may not say its forum
    assert "forum_id" not in data(call(sandbox, "GET", f"topics/{topic['id']}.json"))


def test_retag_replaces_the_whole_tag_list(sandbox):
    """P3 [D] P-TOPIC-U; traps 2, 3, 5: PUT forums/{fid}/topics with the id in the body;
    `tags` replaces the list, omitted leaves it, [] / null clear it."""
    topic = topic_in(sandbox, 1)
    tid = topic["id"]
    ux, api = tag_named(sandbox, 1, "ux"), tag_named(sandbox, 1, "api")
    shown = data(call(sandbox, "PUT", "forums/1/topics.json", json={"id": tid, "tags": [ux, api]}))
    assert sorted(t["name"] for t in shown["tags"]) == ["api", "ux"]
    untouched = data(
        call(sandbox, "PUT", "forums/1/topics.json", json={"id": tid, "header": "Renamed topic"})
    )
    assert sorted(t["name"] for t in untouched["tags"]) == ["api", "ux"]
    assert untouched["header"] == "Renamed topic"
    for empty in ([], None):
        data(call(sandbox, "PUT", "forums/1/topics.json", json={"id": tid, "tags": [ux]}))
        cleared = data(
            call(sandbox, "PUT", "forums/1/topics.json", json={"id": tid, "tags": empty})
        )
        assert cleared["tags"] == []


def test_retag_refuses_other_forums_tags_names_and_topics(sandbox):
    """Trap 4 [I] tag ids are forum-local; P-TOPIC-C [D] tags are integer ids; trap 2: the
    topic must be addressed through its own forum."""
    topic = topic_in(sandbox, 1)
    before = list(topic["tag_ids"])
    other_bug = tag_named(sandbox, 2, "bug")
    for tags in ([other_bug], ["bug"], "bug"):
        assert error(
            call(sandbox, "PUT", "forums/1/topics.json", json={"id": topic["id"], "tags": tags}),
            400,
        )
    assert topic["tag_ids"] == before
    assert error(
        call(sandbox, "PUT", "forums/2/topics.json", json={"id": topic["id"], "tags": []}), 404
    )
    assert error(call(sandbox, "PUT", "forums/1/topics.json", json={"tags": []}), 400)
    assert topic["tag_ids"] == before


def test_status_and_type_come_as_objects_or_as_ids(sandbox):
    """Trap 15 [C DA:205-242]: legacy forums (forum 3) answer bare ids; status_shape switches."""
    legacy = data(call(sandbox, "GET", "forums/3/topics.json"))
    assert all(isinstance(t["status"], int) and isinstance(t["type"], int) for t in legacy)
    modern = data(call(sandbox, "GET", "forums/1/topics.json"))
    assert all(isinstance(t["status"], dict) and isinstance(t["type"], dict) for t in modern)
    sandbox.app.configure(status_shape="id")
    assert all(
        isinstance(t["status"], int) for t in data(call(sandbox, "GET", "forums/1/topics.json"))
    )
    sandbox.app.configure(status_shape="object")
    assert all(
        isinstance(t["type"], dict) for t in data(call(sandbox, "GET", "forums/3/topics.json"))
    )


def test_status_and_type_are_accepted_as_an_id_or_an_object(sandbox):
    """P3 `status` [C DA:833] (undocumented); an id or {"id": ...} [I]; a type change starts
    at the new type's first status [I]."""
    topic = topic_in(sandbox, 1)
    statuses = state(sandbox).types[topic["type_id"]]["statuses"]
    shown = data(
        call(
            sandbox, "PUT", "forums/1/topics.json", json={"id": topic["id"], "status": statuses[1]}
        )
    )
    assert shown["status"]["id"] == statuses[1]
    shown = data(
        call(
            sandbox,
            "PUT",
            "forums/1/topics.json",
            json={"id": topic["id"], "status": {"id": statuses[0]}},
        )
    )
    assert shown["status"]["id"] == statuses[0]
    foreign = next(s for s in state(sandbox).statuses if s not in statuses)
    assert error(
        call(sandbox, "PUT", "forums/1/topics.json", json={"id": topic["id"], "status": foreign}),
        400,
    )
    other_type = next(
        t
        for t in state(sandbox).types.values()
        if t["forum_id"] == 1 and t["id"] != topic["type_id"]
    )
    moved = data(
        call(
            sandbox,
            "PUT",
            "forums/1/topics.json",
            json={"id": topic["id"], "type": {"id": other_type["id"]}},
        )
    )
    assert moved["type"]["id"] == other_type["id"]
    assert moved["status"]["id"] == other_type["statuses"][0]


def test_category_assignment_and_custom_fields_on_update(sandbox):
    """P3 [D]: category id of this forum, null clears; custom_fields merge, null clears."""
    topic = topic_in(sandbox, 2)
    category = next(c["id"] for c in state(sandbox).categories.values() if c["forum_id"] == 2)
    shown = data(
        call(
            sandbox,
            "PUT",
            "forums/2/topics.json",
            json={"id": topic["id"], "category": category, "custom_fields": {"cf_1": "Free"}},
        )
    )
    assert shown["category"]["id"] == category and shown["custom_fields"][0]["value"] == "Free"
    shown = data(
        call(
            sandbox,
            "PUT",
            "forums/2/topics.json",
            json={"id": topic["id"], "category": None, "custom_fields": None},
        )
    )
    assert shown["category"] is None and shown["custom_fields"] == []
    forum1_category = next(c for c in state(sandbox).categories.values() if c["forum_id"] == 1)
    assert error(
        call(
            sandbox,
            "PUT",
            "forums/2/topics.json",
            json={"id": topic["id"], "category": forum1_category["id"]},
        ),
        400,
    )


def test_needs_review_on_update_is_ignored_unless_switched_on(sandbox):
    """3.2 [I] "Review queue (approve) not documented": ignored by default."""
    topic = topic_in(sandbox, 1, needs_review=True)
    shown = data(
        call(
            sandbox, "PUT", "forums/1/topics.json", json={"id": topic["id"], "needs_review": False}
        )
    )
    assert shown["needs_review"] is True
    sandbox.app.configure(put_needs_review=True)
    shown = data(
        call(
            sandbox, "PUT", "forums/1/topics.json", json={"id": topic["id"], "needs_review": False}
        )
    )
    assert shown["needs_review"] is False


def test_topic_create_and_delete(sandbox):
    """P2 [D] header + type required, tags ids of the forum, needs_review; P9 [D] delete."""
    bug = tag_named(sandbox, 1, "bug")
    made = data(
        call(
            sandbox,
            "POST",
            "forums/1/topics.json",
            json={
                "header": "Export to PDF",
                "type": 1,
                "tags": [bug],
                "description": "<p>Please</p>",
                "needs_review": True,
                "user_id": 9,
            },
        )
    )
    assert made["author"]["id"] == 9 and made["needs_review"] is True
    assert made["status"]["name"] == "New" and [t["name"] for t in made["tags"]] == ["bug"]
    for body in ({"type": 1}, {"header": "x"}, {"header": "x", "type": 4}):
        assert error(call(sandbox, "POST", "forums/1/topics.json", json=body), 400), body
    data(call(sandbox, "POST", f"topics/{made['id']}/comments.json", json={"text": "hi"}))
    assert data(call(sandbox, "DELETE", f"topics/{made['id']}.json")) is True
    assert error(call(sandbox, "GET", f"topics/{made['id']}.json"), 404)
    assert not any(c["topic_id"] == made["id"] for c in state(sandbox).comments.values())
    assert error(call(sandbox, "DELETE", f"topics/{made['id']}.json"), 404)


def test_anonymous_topics_follow_the_forum_setting(sandbox):
    """SEED:117 [D] user_id=0 is anonymous; P-FORUM-C allow_anonymous_topic [D]."""
    body = {"header": "Anonymous idea", "type": 1, "user_id": 0}
    assert error(call(sandbox, "POST", "forums/1/topics.json", json=body), 403)
    state(sandbox).forums[1]["allow_anonymous_topic"] = True
    assert data(call(sandbox, "POST", "forums/1/topics.json", json=body))["author"]["id"] == 0


# --- comments, voters, field drift -----------------------------------------------------------
def test_comments_list_and_create(sandbox):
    """K1-K3: [C] DA body {text, is_official}; only agents post official answers [I]."""
    topic = next(
        t
        for t in state(sandbox).topics.values()
        if any(c["topic_id"] == t["id"] for c in state(sandbox).comments.values())
    )
    listed = data(call(sandbox, "GET", f"topics/{topic['id']}/comments.json"))
    assert [c["created"] for c in listed] == sorted(c["created"] for c in listed)
    official = data(
        call(
            sandbox,
            "POST",
            f"topics/{topic['id']}/comments.json",
            json={"text": "Fixed in 2.1", "is_official": True},
        )
    )
    assert official["is_official"] is True and official["author"]["id"] == OWNER
    customer = data(
        call(
            sandbox,
            "POST",
            f"topics/{topic['id']}/comments.json",
            json={"text": "Me too", "is_official": True, "user_id": 9},
        )
    )
    assert customer["is_official"] is False
    assert error(call(sandbox, "POST", f"topics/{topic['id']}/comments.json", json={}), 400)
    assert data(call(sandbox, "GET", "users/9/comments.json"))[0]["text"] == "Me too"


def test_voters(sandbox):
    """V1 [D]; shape [I]: users with their vote."""
    topic = next(t for t in state(sandbox).topics.values() if len(t["votes"]) > 2)
    voters = data(call(sandbox, "GET", f"topics/{topic['id']}/voters.json"))
    assert {v["id"]: v["vote"] for v in voters} == topic["votes"]


@pytest.mark.parametrize(
    ("mode", "present", "absent"),
    [
        (
            "both",
            {
                "name",
                "display_name",
                "comment_count",
                "comments_count",
                "vote",
                "votes",
                "text",
                "comment",
            },
            set(),
        ),
        (
            "reference",
            {"name", "comment_count", "vote", "text"},
            {"display_name", "comments_count", "votes", "comment"},
        ),
        (
            "alternate",
            {"display_name", "comments_count", "votes", "comment"},
            {"name", "comment_count", "vote", "text"},
        ),
    ],
)
def test_field_names_drift(sandbox, mode, present, absent):
    """Trap 14: name/display_name, comment_count/comments_count, vote/votes, text/comment."""
    sandbox.app.configure(field_names=mode)
    topic = next(
        t
        for t in state(sandbox).topics.values()
        if any(c["topic_id"] == t["id"] for c in state(sandbox).comments.values())
    )
    keys = set(data(call(sandbox, "GET", "users/5.json")))
    keys |= set(data(call(sandbox, "GET", f"topics/{topic['id']}.json")))
    keys |= set(data(call(sandbox, "GET", f"topics/{topic['id']}/comments.json"))[0])
    assert present <= keys and not (absent & keys)


# --- files and webhooks ---------------------------------------------------------------------
def test_uploads(sandbox):
    """X1/X2 [D] P-UPLOAD: multipart `content`; images only for image; not on a trial plan."""
    image = data(
        call(
            sandbox,
            "POST",
            "forums/1/upload/image.json",
            files={"content": ("shot.png", b"\x89PNG....", "image/png")},
        )
    )
    assert image["type"] == "image" and image["url"].startswith("/s/attachments/")
    assert image["forum"] == {"id": 1, "name": "Ideas & Feedback"}
    assert (
        data(
            call(
                sandbox,
                "POST",
                "forums/1/upload/file.json",
                files={"content": ("log.txt", b"log", "text/plain")},
            )
        )["type"]
        == "file"
    )
    assert error(
        call(
            sandbox,
            "POST",
            "forums/1/upload/image.json",
            files={"content": ("log.txt", b"log", "text/plain")},
        ),
        400,
    )
    assert error(call(sandbox, "POST", "forums/1/upload/file.json"), 400)
    sandbox.app.configure(trial_plan=True)
    assert "trial period" in error(
        call(sandbox, "POST", "forums/1/upload/file.json", files={"content": ("a", b"a")}), 403
    )


def test_webhooks(sandbox):
    """H1-H4 [D] P-HOOK-C: event + target_url; the hook flags its events."""
    events = data(call(sandbox, "GET", "hooks/events.json"))
    assert "topic.created" in events and "comment.deleted" in events
    hook = data(
        call(
            sandbox,
            "POST",
            "hooks.json",
            json={"event": "comment.created", "target_url": "https://x.example/h"},
        )
    )
    assert hook["events"]["comment.created"] is True and hook["events"]["topic.created"] is False
    assert len(data(call(sandbox, "GET", "hooks.json"))) == 2
    assert error(
        call(
            sandbox,
            "POST",
            "hooks.json",
            json={"event": "topic.exploded", "target_url": "https://x"},
        ),
        400,
    )
    assert data(call(sandbox, "DELETE", f"hooks/{hook['id']}.json")) is True
    assert error(call(sandbox, "DELETE", f"hooks/{hook['id']}.json"), 404)


# --- faults, rate, call log, control, concurrency -------------------------------------------
def test_outage_and_error_rate_answer_5xx(sandbox):
    sandbox.app.config.faults.outage_for(30)
    assert call(sandbox, "GET", "forums.json").status_code == 503
    sandbox.app.config.faults.outage_until = 0
    sandbox.app.config.faults.error_rate = 1.0
    response = call(sandbox, "GET", "forums.json")
    assert response.status_code == 502 and response.json()["status"] == "error"
    sandbox.app.config.faults.error_rate = 0.0
    assert data(call(sandbox, "GET", "forums.json"))


def test_latency_slows_every_call(sandbox):
    sandbox.app.config.faults.latency_ms = 200
    started = time.monotonic()
    assert data(call(sandbox, "GET", "hooks/events.json"))
    assert time.monotonic() - started >= 0.2


def test_no_rate_limit_unless_configured(sandbox):
    """1.5 [I] no documented limit; when set, 429 with Retry-After."""
    assert {call(sandbox, "GET", "hooks/events.json").status_code for _ in range(70)} == {200}
    sandbox.app.configure(requests_per_minute=2)
    statuses = [call(sandbox, "GET", "hooks/events.json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert int(call(sandbox, "GET", "hooks/events.json").headers["Retry-After"]) >= 1


def test_call_log_records_what_was_asked(sandbox):
    call(sandbox, "PUT", "forums/1/tags.json", json={"id": 1, "name": "defect"})
    call(sandbox, "GET", "users/999999/logout.json")
    records = sandbox.app.calls.records()
    assert [(r.method, r.path, r.status) for r in records] == [
        ("PUT", "/api/v2/forums/1/tags.json", 200),
        ("GET", "/api/v2/users/999999/logout.json", 200),
    ]
    assert records[0].body == {"id": 1, "name": "defect"}


def test_switches_can_be_set_out_of_process(sandbox):
    """The /__sandbox__ control route of SandboxApp sets these switches too."""
    requests.post(
        f"{sandbox.url}/__sandbox__/config",
        timeout=5,
        json={"error_http_status": "200", "later_routes": ["user_delete"]},
    )
    assert call(sandbox, "GET", "topics/999999.json").status_code == 200
    assert data(call(sandbox, "DELETE", "users/9.json")) is True


def test_writes_are_atomic_under_concurrency(sandbox):
    results = []

    def create():
        results.append(call(sandbox, "POST", "forums/1/tags.json", json={"name": "race"}))

    threads = [threading.Thread(target=create) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [200] + [400] * 11
    assert sum(t["name"] == "race" for t in state(sandbox).tags.values()) == 1


# --- the demo and the command ----------------------------------------------------------------
def test_demo_people_have_accounts_on_all_three_sandboxes(monkeypatch):
    """`start_demo_sandboxes()` serves UserEcho on FORUMDECK_DEMO_USERECHO_PORT with the demo's
    people (and the admin's e-mail) in it, as on the Discourse and NodeBB sandboxes."""
    for platform in ("DISCOURSE", "NODEBB"):
        monkeypatch.setenv(f"FORUMDECK_DEMO_{platform}_PORT", "0")
    with RunningSandbox(UserEchoSandbox()) as probe:  # a port that is free right now
        port = probe.port
    monkeypatch.setenv("FORUMDECK_DEMO_USERECHO_PORT", str(port))
    running = start_demo_sandboxes()
    try:
        by_platform = {s.app.platform: s for s in running}
        assert set(by_platform) == {"discourse", "nodebb", "userecho"}
        userecho = by_platform["userecho"]
        assert userecho.port == port
        token = DEMO_KEYS["userecho"]
        for person in (*DEMO_PEOPLE, {"email": "admin@example.com"}):
            found = data(
                call(
                    userecho,
                    "GET",
                    "users.json",
                    token=token,
                    params={"filter__email": person["email"]},
                )
            )
            assert len(found) == 1, person["email"]
            if "usernames" in person:
                assert found[0]["slug"] == person["usernames"]["userecho"]
                assert found[0]["name"] == person["name"]
            discourse = by_platform["discourse"].app
            assert any(u["email"] == person["email"] for u in discourse.users.values())
            assert by_platform["nodebb"].app.find_user("email", person["email"])
        # A reset (the control route) keeps them: they are part of the seed.
        requests.post(f"{userecho.url}/__sandbox__/reset", timeout=5)
        assert data(
            call(
                userecho,
                "GET",
                "users.json",
                token=token,
                params={"filter__email": DEMO_PEOPLE[0]["email"]},
            )
        )
    finally:
        for sandbox in running:
            sandbox.stop()


def test_manage_py_sandbox_userecho_serves_it(monkeypatch):
    """`manage.py sandbox userecho` serves the sandbox until interrupted."""
    from forums.management.commands import sandbox as command

    out = io.StringIO()
    seen = {}

    def instead_of_sleeping(_seconds):
        url = re.search(r"at (http://\S+) ", out.getvalue()).group(1)
        seen["me"] = requests.get(
            f"{url}/api/v2/users/current.json",
            timeout=5,
            params={"access_token": DEMO_KEYS["userecho"]},
        ).json()
        raise KeyboardInterrupt

    monkeypatch.setattr(command.time, "sleep", instead_of_sleeping)
    call_command("sandbox", "userecho", "--users", "20", stdout=out)
    assert "Sandbox userecho at http://127.0.0.1:" in out.getvalue()
    assert seen["me"]["data"]["email"] == "admin@example.com"


@pytest.mark.django_db
def test_demo_connections_serves_but_does_not_connect_a_platform_without_client(monkeypatch):
    """A sandbox whose platform has no client yet (as UserEcho had before its client) is
    served but never connected: a connection Forumdeck cannot talk to would only show errors."""
    from forums.management.commands import demo_connections
    from forums.models import ForumConnection

    monkeypatch.setattr(demo_connections, "supported_platforms", lambda: ["discourse", "nodebb"])
    out = io.StringIO()
    call_command("demo_connections", "userecho=http://127.0.0.1:4300", stdout=out)
    assert "Demo UserEcho served at http://127.0.0.1:4300, not connected" in out.getvalue()
    assert not ForumConnection.objects.filter(platform="userecho").exists()


# --- the sandbox against openapi.yaml ---------------------------------------------------------
@cache
def spec_dict() -> dict:
    return yaml.safe_load((USERECHO_SPECS / "openapi.yaml").read_text())


def openapi_for(url: str) -> OpenAPI:
    spec = copy.deepcopy(spec_dict())
    spec["servers"] = [{"url": f"{url}/api/v2"}]
    return OpenAPI.from_dict(spec)


def _shape(path: str) -> str:
    """`/a/{x}.json` and `/a/<int:y>.json` both become `/a/{}.json`."""
    path = re.sub(r"<(?:[^:>]+:)?[^>]+>", "{}", path)
    return re.sub(r"\{[^}]+\}", "{}", path)


def spec_operation(method: str, rule: str) -> dict | None:
    wanted = _shape(rule[len("/api/v2") :])
    for path, item in spec_dict()["paths"].items():
        if _shape(path) == wanted and method.lower() in item:
            return item[method.lower()]
    return None


def test_every_sandbox_route_is_in_the_spec():
    missing = []
    for rule in UserEchoSandbox(UserEchoSandboxConfig(users=12)).url_map.iter_rules():
        for method in sorted(rule.methods - {"OPTIONS", "HEAD"}):
            if spec_operation(method, rule.rule) is None:
                key = f"{method} {rule.rule}"
                if key in UNDOCUMENTED_SANDBOX_ROUTES:
                    exemption(UNDOCUMENTED_SANDBOX_ROUTES[key])
                else:
                    missing.append(key)
    assert missing == []


def test_every_spec_operation_is_served():
    """The sandbox is the whole reconstructed API: all 29 paths, 52 operations."""
    served = {
        (m, _shape(r.rule[len("/api/v2") :]))
        for r in UserEchoSandbox(UserEchoSandboxConfig(users=12)).url_map.iter_rules()
        for m in r.methods - {"OPTIONS", "HEAD"}
    }
    spec = {
        (m.upper(), _shape(p))
        for p, item in spec_dict()["paths"].items()
        for m in item
        if m in ("get", "put", "post", "delete")
    }
    assert len(spec) == 52 and spec == served


def spec_calls(app: UserEchoSandbox) -> list[tuple[str, str, dict]]:
    """(method, command, requests kwargs), one or more per operation, in an order that leaves
    each call something to act on."""
    st = app.state
    topic = next(
        t
        for t in st.topics.values()
        if t["forum_id"] == 1
        and t["votes"]
        and any(c["topic_id"] == t["id"] for c in st.comments.values())
    )
    author = topic["author_id"]
    guid = next(u["sso_guid"] for u in st.users.values() if u["sso_guid"])
    new = {kind: st.counters[kind] + 1 for kind in ("group", "forum", "category", "tag", "topic")}
    return [
        ("GET", "users.json", {"params": {"filter__name__icontains": "a", "page": 1}}),
        ("GET", "users/current.json", {}),
        ("GET", "users/5.json", {}),
        ("PUT", "users/5.json", {"json": {"name": "Spec Name"}}),
        ("GET", f"users/sso/{guid}.json", {}),
        ("GET", "users/6/logout.json", {}),
        ("POST", "users/get_or_create.json", {"json": {"email": "spec@example.com"}}),
        ("GET", "users/5/subscriptions.json", {}),
        ("PUT", "users/5/subscriptions.json", {"json": {"forums": [1]}}),
        ("POST", "users/5/group.json", {"json": {"id": 1}}),
        ("DELETE", "users/5/group.json", {"json": {"id": 1}}),
        ("GET", f"users/{author}/topics.json", {}),
        ("GET", f"users/{author}/comments.json", {}),
        ("GET", "users/groups.json", {}),
        ("POST", "users/groups.json", {"json": {"name": "Spec group", "vote_weight": 2}}),
        ("PUT", "users/groups.json", {"json": {"id": new["group"], "vote_count": 10}}),
        ("DELETE", "users/groups.json", {"json": {"id": new["group"]}}),
        ("GET", "forums.json", {}),
        ("POST", "forums.json", {"json": {"name": "Spec forum", "type": "PUBLIC"}}),
        ("PUT", "forums.json", {"json": {"id": new["forum"], "name": "Spec forum 2"}}),
        ("DELETE", "forums.json", {"json": {"id": new["forum"]}}),
        ("GET", "forums/1/types.json", {}),
        ("GET", "forums/1/types/1/statuses.json", {}),
        ("GET", "forums/1/categories.json", {}),
        ("POST", "forums/1/categories.json", {"json": {"name": "Spec category"}}),
        ("PUT", "forums/1/categories.json", {"json": {"id": new["category"], "name": "Spec 2"}}),
        ("DELETE", "forums/1/categories.json", {"json": {"id": new["category"]}}),
        ("GET", "forums/1/tags.json", {}),
        ("POST", "forums/1/tags.json", {"json": {"name": "spec-tag"}}),
        ("PUT", "forums/1/tags.json", {"json": {"id": new["tag"], "name": "spec-tag-2"}}),
        ("DELETE", "forums/1/tags.json", {"json": {"id": new["tag"]}}),
        ("GET", "forums/3/access_list.json", {}),
        ("POST", "forums/3/access_list.json", {"json": {"emails": ["spec@example.com"]}}),
        ("DELETE", "forums/3/access_list.json", {"json": {"emails": ["spec@example.com"]}}),
        ("GET", "forums/1/topics.json", {"params": {"filter__needs_review": 1}}),
        ("GET", "forums/2/topics.json", {"params": {"filter__status__in": "1,2,3"}}),
        (
            "POST",
            "forums/1/topics.json",
            {"json": {"header": "Spec topic", "type": 1, "tags": [1, 2], "category": 1}},
        ),
        ("PUT", "forums/1/topics.json", {"json": {"id": new["topic"], "tags": [3]}}),
        ("GET", f"forums/1/users/{author}/topics.json", {}),
        ("GET", "forums/1/topics/search.json", {"params": {"query": "export"}}),
        ("GET", "categories/1/topics.json", {}),
        ("GET", "tags/1/topics.json", {}),
        ("GET", f"topics/{topic['id']}.json", {}),
        ("GET", f"topics/{topic['id']}/voters.json", {}),
        ("GET", f"topics/{topic['id']}/comments.json", {}),
        (
            "POST",
            f"topics/{topic['id']}/comments.json",
            {"json": {"text": "Spec", "is_official": True}},
        ),
        ("DELETE", f"topics/{new['topic']}.json", {}),
        (
            "POST",
            "forums/1/upload/image.json",
            {"files": {"content": ("a.png", b"png", "image/png")}},
        ),
        (
            "POST",
            "forums/1/upload/file.json",
            {"files": {"content": ("a.txt", b"txt", "text/plain")}},
        ),
        ("GET", "hooks.json", {}),
        (
            "POST",
            "hooks.json",
            {"json": {"event": "topic.created", "target_url": "https://spec.example/hook"}},
        ),
        ("DELETE", "hooks/1.json", {}),
        ("GET", "hooks/events.json", {}),
        ("DELETE", "users/7.json", {}),
    ]


def exchange(sb, method: str, command: str, **kwargs):
    """Send one call; return (openapi-core request, response) for validation."""
    params = {**kwargs.pop("params", {}), "access_token": TOKEN}
    prepared = requests.Request(
        method, f"{sb.url}/api/v2/{command}", params=params, **kwargs
    ).prepare()
    with requests.Session() as session:
        response = session.send(prepared, timeout=5)
    return RequestsOpenAPIRequest(prepared), response


def schema_errors(exc: Exception) -> list:
    cause = exc.__cause__
    return list(getattr(cause, "schema_errors", None) or [])


def test_sandbox_answers_validate_against_the_spec(sandbox):
    sandbox.app.configure(later_routes=LATER_ROUTES)
    openapi = openapi_for(sandbox.url)
    failures = []
    for method, command, kwargs in spec_calls(sandbox.app):
        request, response = exchange(sandbox, method, command, **kwargs)
        assert response.status_code == 200, (method, command, response.text[:300])
        assert response.json()["status"] == "success", (method, command)
        try:
            openapi.validate_response(request, RequestsOpenAPIResponse(response))
        except Exception as exc:  # openapi-core raises one of several validation errors
            details = [f"{e.message} at {list(e.absolute_path)}" for e in schema_errors(exc)]
            failures.append(f"{method} {command}: {exc} {details}")
    assert failures == []


@pytest.mark.parametrize("mode", ["both", "reference", "alternate"])
def test_every_field_name_mode_validates(sandbox, mode):
    sandbox.app.configure(field_names=mode)
    openapi = openapi_for(sandbox.url)
    topic = next(iter(state(sandbox).topics))
    for command in ("users.json", f"topics/{topic}.json", f"topics/{topic}/comments.json"):
        request, response = exchange(sandbox, "GET", command)
        openapi.validate_response(request, RequestsOpenAPIResponse(response))


def test_every_served_route_is_exercised_by_the_schema_check(sandbox):
    checked = set()
    for method, command, _ in spec_calls(sandbox.app):
        for path, item in spec_dict()["paths"].items():
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path.lstrip("/"))) + "$"
            if method.lower() in item and re.match(pattern, command):
                checked.add((method, _shape(path)))
    served = {
        (m, _shape(r.rule[len("/api/v2") :]))
        for r in sandbox.app.url_map.iter_rules()
        for m in r.methods - {"OPTIONS", "HEAD"}
    }
    assert served - checked == set()


def test_legacy_status_and_type_ids_are_the_only_departure_and_are_exempted(sandbox):
    """The one schema departure in a success answer: ids for status/type in legacy forums."""
    openapi = openapi_for(sandbox.url)
    request, response = exchange(sandbox, "GET", "forums/3/topics.json")
    with pytest.raises(Exception) as raised:  # noqa: B017 - openapi-core's error family
        openapi.validate_response(request, RequestsOpenAPIResponse(response))
    errors = schema_errors(raised.value)
    assert errors
    places = {(e.absolute_path[0], e.absolute_path[2]) for e in errors}
    assert places == {("data", "status"), ("data", "type")}
    assert all(isinstance(e.instance, int) for e in errors)
    assert "may be int or object" in exemption("topic:status-type-as-id").justification


def test_error_answers_are_envelopes_whose_codes_the_spec_does_not_list(sandbox):
    """4xx errors: the body is the spec's Envelope, the code is not in the spec (exempted)."""
    envelope = OAS30Validator(spec_dict()["components"]["schemas"]["Envelope"])
    openapi = openapi_for(sandbox.url)
    request, response = exchange(sandbox, "GET", "topics/999999.json")
    assert response.status_code == 404
    envelope.validate(response.json())
    with pytest.raises(Exception, match="404"):
        openapi.validate_response(request, RequestsOpenAPIResponse(response))
    assert exemption("status:error-codes")
    # With errors as HTTP 200 the answer validates against the operation's 200 schema ...
    sandbox.app.configure(error_http_status="200")
    request, response = exchange(sandbox, "GET", "topics/999999.json")
    openapi.validate_response(request, RequestsOpenAPIResponse(response))
    # ... unless the failure word is "fail" (exempted): then only `status` departs.
    sandbox.app.configure(failure_word="fail")
    request, response = exchange(sandbox, "GET", "topics/999999.json")
    with pytest.raises(Exception) as raised:  # noqa: B017
        openapi.validate_response(request, RequestsOpenAPIResponse(response))
    assert [list(e.absolute_path) for e in schema_errors(raised.value)] == [["status"]]
    assert exemption("envelope:status-fail")


def test_fields_beyond_the_spec_are_exactly_the_listed_additions(sandbox):
    """The spec's objects are open; every extra field the sandbox sends has a source."""
    schemas = spec_dict()["components"]["schemas"]

    def extra(schema: str, obj: dict) -> set[str]:
        return set(obj) - set(schemas[schema]["properties"])

    topic = next(
        t
        for t in state(sandbox).topics.values()
        if t["forum_id"] == 1
        and t["votes"]
        and any(c["topic_id"] == t["id"] for c in state(sandbox).comments.values())
    )
    shown = data(call(sandbox, "GET", f"topics/{topic['id']}.json"))
    comment = data(call(sandbox, "GET", f"topics/{topic['id']}/comments.json"))[0]
    voter = data(call(sandbox, "GET", f"topics/{topic['id']}/voters.json"))[0]
    found = {
        "Topic": extra("Topic", shown),
        "Author": extra("Author", shown["author"]),
        "Comment": extra("Comment", comment),
        "User@voters": extra("User", voter),
    }
    assert found == {name: set(fields) for name, fields in ADDITIONS.items()}
    assert extra("User", data(call(sandbox, "GET", "users/5.json"))) == set()
    assert extra("Forum", data(call(sandbox, "GET", "forums.json"))[0]) == set()
    assert extra("Group", data(call(sandbox, "GET", "users/groups.json"))[0]) == set()
    assert extra("Category", data(call(sandbox, "GET", "forums/1/categories.json"))[0]) == set()
    assert extra("Tag", data(call(sandbox, "GET", "forums/1/tags.json"))[0]) == set()
    assert extra("Hook", data(call(sandbox, "GET", "hooks.json"))[0]) == set()


def test_every_exemption_quotes_its_line_of_endpoints_md():
    lines = ENDPOINTS.read_text().splitlines()
    for cite in citations():
        line = lines[cite.line - 1]
        for fragment in cite.quote.split(" ... "):
            assert fragment in line, f"{cite}: not on line {cite.line}: {line[:120]}"
