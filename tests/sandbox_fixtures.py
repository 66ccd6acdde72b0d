"""The sandbox forums as fixtures: one set per platform of ``forums/sandbox/registry.py``'s
``SANDBOXES``, all named and scoped alike (registered by ``pytest_plugins`` in
``tests/conftest.py``):

- ``<platform>_server`` (module): a sandbox served on a loopback port, shared by a module;
- ``<platform>_sandbox`` (test): that server answering with a fresh forum (new state, config,
  rate limits and call log) built from the registry's test config, plus the test module's
  ``SANDBOX_CONFIG[<platform>]`` if it sets one (e.g. ``{"discourse": {"users": 2600}}``);
- ``<platform>_client`` (test): a factory of clients for it, ``discourse_client()`` or
  ``nodebb_client(api_key="member-token", api_username="20")``, closed at teardown;
- ``<platform>_connection`` (test, database): a connection row for it, as the connection form
  stores it;
- ``<platform>_release`` (test): the release the sandbox plays (None: the module's
  ``SANDBOX_CONFIG`` release, else the current one). Choose one with
  ``@pytest.mark.parametrize("discourse_release", ["3.4"])``; a module or test marked
  ``@pytest.mark.every_release`` runs each test once per release in ``PLAYED_RELEASES``
  (only tests that use the sandbox, so a module's other tests are not doubled).

Keys: ``SANDBOX_KEYS[<platform>]`` (and the historical names below).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from forums.sandbox.core import RunningSandbox
from forums.sandbox.registry import SANDBOXES, Sandbox

SANDBOX_KEYS = {platform: sandbox.test_key for platform, sandbox in SANDBOXES.items()}
SANDBOX_DISCOURSE_KEY = SANDBOX_KEYS["discourse"]
NODEBB_TOKEN = SANDBOX_KEYS["nodebb"]
USERECHO_TOKEN = SANDBOX_KEYS["userecho"]


def _fixtures(sandbox: Sandbox) -> dict[str, Callable[..., Any]]:
    platform = sandbox.platform

    @pytest.fixture(scope="module", name=f"{platform}_server")
    def server() -> Iterator[RunningSandbox]:
        with RunningSandbox(sandbox.test_app()) as running:
            yield running

    @pytest.fixture(name=f"{platform}_release")
    def release(request: pytest.FixtureRequest) -> str | None:
        return getattr(request, "param", None)

    @pytest.fixture(name=f"{platform}_sandbox")
    def fresh(request: pytest.FixtureRequest) -> RunningSandbox:
        running: RunningSandbox = request.getfixturevalue(f"{platform}_server")
        overrides = copy.deepcopy(getattr(request.module, "SANDBOX_CONFIG", {}).get(platform, {}))
        chosen = request.getfixturevalue(f"{platform}_release")
        if chosen:
            overrides["release"] = chosen
        return running.serve(sandbox.test_app(**overrides))

    @pytest.fixture(name=f"{platform}_client")
    def client(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
        from forums.clients.registry import PLATFORMS

        running: RunningSandbox = request.getfixturevalue(f"{platform}_sandbox")
        made = []

        def make(**options: Any):
            made.append(
                PLATFORMS[platform](
                    **{
                        "base_url": running.url,
                        "api_key": sandbox.test_key,
                        "api_username": sandbox.test_acting_as,
                        "allow_http_hosts": ["127.0.0.1"],
                        **options,
                    }
                )
            )
            return made[-1]

        yield make
        for made_client in made:
            made_client.close()

    @pytest.fixture(name=f"{platform}_connection")
    def connection(request: pytest.FixtureRequest):
        request.getfixturevalue("db")
        running: RunningSandbox = request.getfixturevalue(f"{platform}_sandbox")
        from tests.factories import ForumConnectionFactory

        return ForumConnectionFactory(
            name=f"Sandbox {sandbox.label}",
            platform=platform,
            base_url=running.url,
            api_key=sandbox.test_key,
            api_username=sandbox.test_acting_as,
            requests_per_minute=6000,
        )

    return {f.__name__ + "_" + platform: f for f in (server, release, fresh, client, connection)}


def _played_releases() -> dict[str, list[str]]:
    """Each platform whose sandbox plays several releases (the registry says which)."""
    return {p: list(s.releases) for p, s in SANDBOXES.items() if s.releases}


PLAYED_RELEASES = _played_releases()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``every_release``: one run per played release for each test that uses the sandbox."""
    if metafunc.definition.get_closest_marker("every_release") is None:
        return
    chosen = {
        name.strip()
        for mark in metafunc.definition.iter_markers("parametrize")
        for name in (mark.args[0].split(",") if isinstance(mark.args[0], str) else mark.args[0])
    }
    for platform, releases in PLAYED_RELEASES.items():
        fixture = f"{platform}_release"
        uses = f"{platform}_sandbox" in metafunc.fixturenames or fixture in metafunc.fixturenames
        if uses and fixture not in chosen:
            if fixture not in metafunc.fixturenames:
                # the sandbox fixture asks for it at run time (getfixturevalue)
                metafunc.fixturenames.append(fixture)
            metafunc.parametrize(fixture, releases, indirect=True, ids=lambda r: f"r{r}")


for _sandbox in SANDBOXES.values():
    globals().update(_fixtures(_sandbox))
