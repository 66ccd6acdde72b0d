"""The NodeBB client against the sandbox NodeBB: the connection test and the overview's counts."""

from __future__ import annotations

import pytest

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


# --- health -------------------------------------------------------------------------------
# the version reported is the release's; 3.12's: test_releases.py
@pytest.mark.parametrize("nodebb_release", ["4.15"])
def test_health_check_reports_version_title_and_counts(client, sandbox, nodebb_release):
    report = client.health_check()
    state = sandbox.app.state
    assert report.ok and report.is_admin
    assert report.version == "4.15.1"
    assert report.title == "Sandbox NodeBB"
    assert report.user_count == len(state.users)
    open_flags = sum(f["state"] == "open" for f in state.flags)
    assert report.review_count == open_flags + len(state.queue)  # the queue spans two pages


def test_bad_token_health_check_says_credentials_refused(sandbox):
    report = make_client(sandbox, token="not-the-token").health_check()
    assert report.reachable is True
    assert report.credentials_ok is False
    assert report.error_kind == "auth"
    assert "not-the-token" not in report.error


def test_member_token_health_check_says_not_admin(sandbox):
    report = make_client(sandbox, token="member-token").health_check()
    assert report.credentials_ok is True and report.is_admin is False
    assert report.error_kind == "not_admin"
