"""Streamed pages: the page first, then each fill as it is ready, then the page's end."""

from __future__ import annotations

from forums.web.streaming import STREAM_MARK, fill, stream_page


def test_page_then_fills_as_they_come_then_the_end(rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    produced = []

    def fills():
        for name in ("one", "two"):
            produced.append(name)
            yield fill(f"slot-{name}", f"<p>{name} & co</p>")

    response = stream_page(request, "base.html", {}, fills())
    assert response.streaming
    assert response["Cache-Control"] == "no-store"
    chunks = iter(response.streaming_content)
    first = next(chunks).decode()
    assert "<body" in first and "</body>" not in first
    assert produced == []  # nothing asked of a forum before the page is on its way
    second = next(chunks).decode()
    assert second == '<template data-fill="slot-one" data-swap="inner"><p>one & co</p></template>\n'
    assert produced == ["one"]
    rest = b"".join(chunks).decode()
    assert 'data-fill="slot-two"' in rest
    assert rest.rstrip().endswith("</html>") and STREAM_MARK in rest


def test_fill_targets_are_escaped():
    assert fill('x"><script>', "", swap="outer").startswith(
        '<template data-fill="x&quot;&gt;&lt;script&gt;" data-swap="outer">'
    )


def test_a_page_streamed_in_parts_works_out_its_navigation_once(rf, admin_user):
    """Each part rendered with the request runs the context processors; the navigation's
    badges (a query each) are worked out for the page once, not again for every part."""
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test.utils import CaptureQueriesContext

    request = rf.get("/")
    request.user = admin_user
    with CaptureQueriesContext(connection) as once:
        first = render_to_string("base.html", {}, request=request)
    with CaptureQueriesContext(connection) as again:
        second = render_to_string("base.html", {}, request=request)
    assert "Overview" in first and "Overview" in second
    badges = [q["sql"] for q in once if '"forums_' in q["sql"]]
    assert badges  # e.g. the bulk actions waiting for this person's approval
    assert not [q["sql"] for q in again if '"forums_' in q["sql"]]
