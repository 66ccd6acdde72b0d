"""A Content-Security-Policy with nonces on every page (issue 13, finding 9): scripts and
styles from this site only, inline ones only with the request's nonce, no framing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.pages import page_html

ROOT = Path(__file__).resolve().parents[2]

PAGES = [
    "overview",
    "forums:connection-list",
    "forums:people-search",
    "forums:bulk-list",
    "forums:bulk-create",
    "forums:audit-list",
    "admin:index",
    "admin:axes_accessattempt_changelist",
    "forums:account-list",
    "forums:account-create",
]


def _policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("name", PAGES)
def test_every_page_carries_the_policy(admin_client_, name):
    response = admin_client_.get(reverse(name))
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert policy[directive][0] == "'self'"
        # Nothing but this site and, at most, this request's nonce: no CDN, no unsafe-inline.
        assert all(s == "'self'" or s.startswith("'nonce-") for s in policy[directive]), policy


def test_the_sign_in_page_carries_it_too(client, db):
    response = client.get(reverse("login"))
    assert _policy(response)["script-src"][0] == "'self'"


def _inline_scripts_and_styles(html: str) -> list[str]:
    return re.findall(r"<(?:script|style)\b(?![^>]*\bsrc=)[^>]*>", html)


@pytest.mark.parametrize("name", PAGES)
def test_inline_scripts_carry_this_requests_nonce_and_no_inline_handlers_or_styles(
    admin_client_, name
):
    response = admin_client_.get(reverse(name))
    html = response.content.decode()
    policy = _policy(response)
    nonces = [s[len("'nonce-") : -1] for s in policy["script-src"] if s.startswith("'nonce-")]
    for tag in _inline_scripts_and_styles(html):
        assert nonces and f'nonce="{nonces[0]}"' in tag, tag
    # The policy refuses these, so a page that used them would silently break.
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), "inline event handler"
    assert not re.search(r"<[^>]+\sstyle\s*=", html), "inline style attribute"
    # Every script and stylesheet comes from this site.
    for src in re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', html):
        assert not re.match(r"(https?:)?//", src), src


def test_every_page_gets_a_fresh_nonce_and_the_bulk_form_needs_no_inline_script(
    moderator_client,
):
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse
    from django.test import RequestFactory

    def page_with_a_nonce(request):
        return HttpResponse(f'<script nonce="{request.csp_nonce}"></script>')

    # A page that needs an inline script gets a nonce of its own each time.
    middleware = CSPMiddleware(page_with_a_nonce)
    headers = [middleware(RequestFactory().get("/"))["Content-Security-Policy"] for _ in range(2)]
    n1, n2 = (re.search(r"'nonce-([^']+)'", h).group(1) for h in headers)
    assert n1 != n2
    # The bulk form's script (which details the chosen kind needs) lives in site.js now.
    first = moderator_client.get(reverse("forums:bulk-create"))
    assert not _inline_scripts_and_styles(first.content.decode())
    assert "kind-params" in (ROOT / "static" / "forumdeck" / "site.js").read_text()


def test_htmx_is_told_not_to_inject_its_indicator_style(viewer_client):
    html = page_html(viewer_client.get(reverse("overview")))
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in html
    css = (ROOT / "static" / "forumdeck" / "site.css").read_text()
    assert ".htmx-request .htmx-indicator" in css


def test_no_template_uses_inline_handlers_or_style_attributes():
    """Pages not rendered above (partials, error pages) are held to the same rule."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for pattern in (r"<[^>]+\son[a-z]+\s*=", r"<[^>]+\sstyle\s*=", r"javascript:"):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
        for tag in _inline_scripts_and_styles(text):
            if "csp_nonce" not in tag:
                offenders.append(f"{path.relative_to(ROOT)}: {tag}")
    assert not offenders, offenders
