"""Names from one forum are that forum's data: a group or tag called ``a/b``, ``..``,
``~x``, ``what?x=1#y``, ``100%``, with spaces, unicode, HTML or five thousand characters
must not break the Groups and Tags pages for anyone. Every name is routable (or shown without
a link), rendered escaped, and the other forum's rows still show."""

from __future__ import annotations

import copy
import html
import re

import pytest
from django.urls import reverse

from forums.web.names import MAX_NAME, ForumNameConverter

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"
HOSTILE = [
    "a/b",
    "..",
    ".",
    "../../admin",
    "~tilde",
    "what?x=1#frag",
    "100% sure",
    "two  words ",
    "naïve ✓ 名前 🎉",
    "back\\slash",
    "tab\there",
    f"{SCRIPT}",
    "x" * 5000,
]


def _escaped(name: str) -> str:
    return html.escape(name if len(name) <= MAX_NAME else name[:100])


@pytest.fixture
def hostile_discourse(discourse_sandbox, discourse_connection):
    app = discourse_sandbox.app
    with app.lock:
        template = next(g for g in app.groups.values() if not g["automatic"])
        next_id = max(app.groups) + 1
        for n, name in enumerate(HOSTILE):
            group = copy.deepcopy(template)
            group.update(id=next_id + n, name=name, full_name=SCRIPT, bio_raw=SCRIPT,
                         members={}, owners=set())  # fmt: skip
            app.groups[next_id + n] = group
        next_tag = max(t["id"] for t in app.tags.values()) + 1
        for n, name in enumerate(HOSTILE):
            app.tags[name] = {"id": next_tag + n, "name": name}
    return discourse_sandbox, discourse_connection


def _links(page: str, prefix: str) -> list[str]:
    return sorted({html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)
                   if html.unescape(h).startswith(prefix)})  # fmt: skip


def test_names_round_trip_through_the_address():
    converter = ForumNameConverter()
    for name in [*HOSTILE[:-1], "plain-name", "Potters", "🎉/" * (MAX_NAME // 2)]:
        written = converter.to_url(name)
        assert "/" not in written and written not in (".", "..")
        assert converter.to_python(written) == name
        assert re.fullmatch(converter.regex, written), name  # and the route matches it back
    assert converter.to_url("plain-name") == "plain-name"  # ordinary names stay readable
    with pytest.raises(ValueError):
        converter.to_url("x" * 5000)
    with pytest.raises(ValueError):
        converter.to_python("~%%%not-base64")


def test_hostile_group_names_on_one_forum_break_no_page(
    viewer_client, hostile_discourse, nodebb_connection, nodebb_sandbox
):
    _, discourse = hostile_discourse
    listing = viewer_client.get(reverse("forums:group-list"), {"refresh": "1"})
    assert listing.status_code == 200
    page = listing.content.decode()
    assert SCRIPT not in page
    for name in HOSTILE:
        assert _escaped(name) in page, name
    other = next(g["name"] for g in nodebb_sandbox.app.state.groups.values() if not g["system"]
                 and not g["name"].startswith("cid:"))  # fmt: skip
    assert html.escape(other) in page  # the other forum's rows still show
    prefix = reverse("forums:group-list") + f"{discourse.pk}/"
    links = _links(page, prefix)
    assert len(links) >= len(HOSTILE) - 1  # every name but the over-long one has its page
    for name in HOSTILE[:-1]:
        url = reverse("forums:group-detail", args=[discourse.pk, name])
        assert url in links, name  # linked from the list
        detail = viewer_client.get(url)
        text = detail.content.decode()
        assert _escaped(name) in text and SCRIPT not in text, name
        if "/" in name:
            # The forum's own API cannot be asked for a name with a "/" (the sandbox, as a
            # web server would, decodes %2F before routing): the page says so, plainly.
            assert detail.status_code == 404 and "There is no group" in text, name
        else:
            assert detail.status_code == 200, name


def test_hostile_tag_names_on_one_forum_break_no_page(
    viewer_client, hostile_discourse, nodebb_connection, nodebb_sandbox
):
    page = ""
    for number in (1, 2, 3):  # the list pages at 50 rows
        listing = viewer_client.get(reverse("forums:tag-list"), {"page": number})
        assert listing.status_code == 200
        page += listing.content.decode()
    assert SCRIPT not in page
    for name in HOSTILE:
        assert _escaped(name) in page, name
    nodebb_tags = {t for topic in nodebb_sandbox.app.state.topics.values()
                   for t in topic.get("tags", [])}  # fmt: skip
    assert any(html.escape(t) in page for t in nodebb_tags)  # the other forum's rows
    for name in HOSTILE[:-1]:
        url = reverse("forums:tag-detail", args=[name])
        assert url in html.unescape(page), name  # linked from the list
        detail = viewer_client.get(url)
        assert detail.status_code == 200, name
        text = detail.content.decode()
        assert _escaped(name) in text and SCRIPT not in text, name
