"""The sandbox UserEcho's answers against openapi.yaml."""

from __future__ import annotations

import copy
import re
from functools import cache

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_schema_validator import OAS30Validator

from forums.sandbox.userecho import LATER_ROUTES, UserEchoSandbox, UserEchoSandboxConfig
from tests.contract.userecho_exemptions import (
    ADDITIONS,
    UNDOCUMENTED_SANDBOX_ROUTES,
    citations,
    exemption,
)

from .commands import (
    ENDPOINTS,
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    TOKEN,
    USERECHO_SPECS,
    call,
    data,
    state,
)


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
