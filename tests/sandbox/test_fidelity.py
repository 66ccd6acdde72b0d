"""The fidelity ledger (docs/fidelity.md, written by ``tools/fidelity.py``) holds: every route a
sandbox serves cites the real server's rule and is sent by a test; every ENDPOINTS.md row is
modelled or exempt with a reason (and then sent by no client); every rule Discourse's source
enforces is enforced by the sandbox and checked by a test."""

from __future__ import annotations

from pathlib import Path

import pytest

from forums.sandbox.registry import SANDBOXES
from tools import fidelity

PLATFORMS = [p for p in SANDBOXES if (fidelity.SHARED_SPECS / p / "ENDPOINTS.md").exists()]
needs_specs = pytest.mark.skipif(
    not fidelity.SHARED_SPECS.exists(), reason="../shared/specs is not beside the checkout"
)


@pytest.fixture(scope="module")
def routes():
    found = {}
    for platform in PLATFORMS:
        found[platform] = fidelity.sandbox_routes(platform)
        fidelity.attach_tests(found[platform], fidelity._test_functions(platform), platform)
        fidelity.attach_rows(found[platform], fidelity.spec_rows(platform))
    return found


@needs_specs
def test_the_committed_ledger_is_what_the_code_says():
    committed = (Path(fidelity.ROOT) / "docs" / "fidelity.md").read_text()
    assert committed == fidelity.ledger(SANDBOXES), (
        "docs/fidelity.md is out of date: python -m tools.fidelity > docs/fidelity.md"
    )


@needs_specs
@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_route_cites_the_real_servers_rule(routes, platform):
    uncited = [r.key for r in routes[platform] if not r.citations]
    assert uncited == [], f"{platform} routes without evidence (cite it in the handler)"


@needs_specs
@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_route_is_sent_by_a_test(routes, platform):
    untested = [r.key for r in routes[platform] if not r.tests]
    assert untested == [], f"{platform} routes no test sends"


@needs_specs
@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_endpoints_row_is_modelled_or_exempt_for_a_reason(routes, platform):
    missing, stale, sent = [], [], []
    for row in fidelity.spec_rows(platform):
        route = fidelity.modelled_by(row, routes[platform])
        exempt = (row.platform, row.method, row.path) in fidelity.EXEMPT
        if route is None and not exempt:
            missing.append(row.label)
        if route is not None and exempt:
            stale.append(row.label)
        if route is None and exempt and fidelity.sent_by_client(row, routes[platform]):
            sent.append(row.label)
    assert missing == [], "rows no sandbox route models and no exemption explains"
    assert stale == [], "exempt rows that a route now models: drop the exemption"
    assert sent == [], "exempt rows a client sends after all: model them"


@needs_specs
def test_every_exemption_names_a_row_that_exists():
    rows = {(r.platform, r.method, r.path) for p in PLATFORMS for r in fidelity.spec_rows(p)}
    assert set(fidelity.EXEMPT) - rows == set()


@needs_specs
@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_rule_of_the_real_server_is_enforced_and_tested(platform):
    rules = fidelity.server_rules(platform)
    assert [r.area for r in rules if not r.enforced_in] == [], "rules the sandbox leaves out"
    assert [r.area for r in rules if not r.tests] == [], "rules no test checks"


def test_a_route_is_found_as_tests_and_clients_write_it():
    pattern = fidelity._path_pattern("/tag/<name>.json")
    assert pattern.search('f"/tag/{self._seg(name)}.json"')
    assert pattern.search('"/tag/rust.json"')
    assert not pattern.search('"/tag/rust/synonyms.json"')
    relative = fidelity._path_pattern("/api/v2/forums/<int:forum_id>/tags.json")
    assert relative.search('call(sandbox, "GET", "forums/2/tags.json")')


def test_a_row_with_a_placeholder_is_modelled_by_a_route_with_a_literal_or_a_converter():
    route = fidelity.Route(
        "userecho", "upload", ("POST",), ["/api/v2/forums/<int:f>/upload/<k>.json"]
    )
    row = fidelity.SpecRow("userecho", "POST", "forums/{forum_id}/upload/file", "X1")
    assert fidelity.modelled_by(row, [route]) is route
    other = fidelity.SpecRow("userecho", "GET", "forums/{forum_id}/upload/file", "X1")
    assert fidelity.modelled_by(other, [route]) is None
