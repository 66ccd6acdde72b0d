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
