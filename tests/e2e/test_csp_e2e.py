"""Under the Content-Security-Policy, in a real browser: no page trips it, htmx still swaps,
the bulk form's script (site.js) runs, and confirmations still ask (issue 13, finding 9)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from forums.models import BulkAction
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Every violation the browser reports, from the DOM event and from the console.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


class Watch:
    def __init__(self, page) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(WATCH_VIOLATIONS)
        page.on(
            "console",
            lambda m: self.console.append(m.text) if "Content Security Policy" in m.text else None,
        )

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.ok, url
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
        self.assert_clean(url)

    def assert_clean(self, where: str) -> None:
        self.page.wait_for_load_state("networkidle")
        seen = self.page.evaluate("window.__cspViolations || []")
        assert not seen and not self.console, f"{where}: {seen} {self.console}"


def test_pages_work_under_the_policy_and_htmx_still_swaps(
    page, live_server, make_user, discourse_connection
):
    ada = make_user("ada", "Admin", is_staff=True)
    watch = Watch(page)
    sign_in(page, live_server, "ada", "pw-ada-123")
    watch.assert_clean("sign-in")
    base = live_server.url

    # The overview's cards arrive by an htmx swap (hx-trigger="load"), and Refresh swaps again.
    watch.visit(f"{base}/")
    card = page.locator(f"#forum-card-{discourse_connection.pk}")
    expect(card).to_contain_text("Healthy")
    with page.expect_response(lambda r: "refresh=1" in r.url and r.ok):
        card.get_by_role("button", name="Refresh").click()
    expect(page.locator(f"#forum-card-{discourse_connection.pk}")).to_contain_text("Healthy")
    watch.assert_clean("overview after the swaps")

    watch.visit(f"{base}/forums/")
    expect(page.locator("tr", has_text="Sandbox Discourse")).to_be_visible()
    watch.visit(f"{base}/forums/people/")
    watch.visit(f"{base}/forums/bulk/")
    watch.visit(f"{base}/forums/audit/")

    # The bulk form's script (site.js) runs: only the chosen kind's details show.
    watch.visit(f"{base}/forums/bulk/new/")
    kind = page.get_by_label("Action")
    options = kind.locator("option").evaluate_all("os => os.map(o => o.value).filter(Boolean)")
    kind.select_option(options[0])
    visible = page.locator(".kind-params:not([hidden])")
    hidden = page.locator(".kind-params[hidden]")
    assert hidden.count() >= 1, "the script that hides other kinds' details did not run"
    assert visible.count() <= 1
    watch.assert_clean("bulk form")

    # People & roles and the Django admin (sign-in lockouts) work under the same policy.
    watch.visit(f"{base}/forums/accounts/")
    watch.visit(f"{base}/forums/accounts/{ada.pk}/")
    expect(page.get_by_role("heading", name="Changes to this account")).to_be_visible()
    watch.visit(f"{base}/forums/accounts/new/")
    expect(page.get_by_label("Approver")).to_have_count(1)
    watch.visit(f"{base}/admin/")
    watch.visit(f"{base}/admin/axes/accessattempt/")


def test_cancel_still_asks_first_without_an_inline_handler(
    page, live_server, make_user, discourse_connection
):
    moe = make_user("moe", "Moderator")
    action = BulkAction.objects.create(
        kind="suspend",
        state=BulkAction.State.PENDING_APPROVAL,
        proposed_by=moe,
        raw_targets="someone",
    )
    action.connections.add(discourse_connection)
    watch = Watch(page)
    sign_in(page, live_server, "moe", "pw-moe-123")
    watch.visit(f"{live_server.url}/forums/bulk/{action.pk}/")

    questions: list[str] = []

    def answer(dialog, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, accept=False))
    page.get_by_role("button", name="Cancel this action").click()
    page.wait_for_timeout(300)
    assert questions == [f"Cancel bulk action #{action.pk}? Items already sent stay done."]
    action.refresh_from_db()
    assert action.state == BulkAction.State.PENDING_APPROVAL  # "No" kept it

    page.once("dialog", lambda d: answer(d, accept=True))
    page.get_by_role("button", name="Cancel this action").click()
    expect(page.get_by_text("Cancelled.")).to_be_visible()
    action.refresh_from_db()
    assert action.state == BulkAction.State.CANCELLED
    watch.assert_clean("bulk detail")
    assert get_user_model().objects.filter(username="moe").exists()
