"""The People search's table rows (forums/people/lines.py ``people_rows``): what each viewer may
do with a row, hostile names shown as text, and times in the viewer's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from forums.clients.records import ForumUser
from forums.people.lines import people_rows
from forums.people.selectors import ForumAccount, Person

HOSTILE = '<script>alert("x")</script>'


def _people() -> list[Person]:
    now = timezone.now()
    everywhere = [
        ForumAccount(3, "Forum <A>", "discourse", ForumUser(
            id=5, username="kim", email="kim+x&y@example.org", name=HOSTILE, trust_level=2,
            created_at=datetime(2025, 3, 1, 20, 30, tzinfo=UTC), last_seen_at=now,
            post_count=0, profile_url='https://a.example/u/kim"><b>',
            suspended=True, suspended_until=now + timedelta(days=3), suspend_reason=HOSTILE,
        )),
        ForumAccount(4, "NodeBB", "nodebb", ForumUser(
            id=77, username=HOSTILE, email="kim+x&y@example.org", reputation=15, active=False,
        )),
    ]  # fmt: skip
    alone = [ForumAccount(3, "Forum <A>", "discourse", ForumUser(id=9, username="lee"))]
    return [
        Person(key="kim", email="kim+x&y@example.org", accounts=everywhere),
        Person(key="lee", email="", accounts=alone),
    ]


def test_hostile_names_reasons_and_addresses_are_shown_as_text():
    html = people_rows(_people(), "select")
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert 'href="https://a.example/u/kim&quot;&gt;&lt;b&gt;"' in html  # one attribute, inert
    assert "Forum &lt;A&gt;" in html
    assert 'href="/forums/people/4/77/"' in html and 'href="/forums/people/3/9/"' in html


@pytest.mark.parametrize(
    ("mode", "boxes", "ban_link"), [("select", 3, True), ("propose", 0, True), ("", 0, False)]
)
def test_each_viewer_gets_the_controls_they_may_use(mode, boxes, ban_link):
    html = people_rows(_people(), mode)
    assert html.count('type="checkbox" name="account"') == boxes
    assert ("Ban on every forum" in html) is ban_link
    if ban_link:  # only for the person with an e-mail on several forums, the address encoded
        assert html.count("Ban on every forum") == 1
        assert "/forums/people/everywhere/?email=kim%2Bx%26y%40example.org" in html
    assert html.count("on 2 forums") == 1  # lee, on one forum, has no badge


def test_each_row_says_standing_state_and_times_in_the_viewers_zone():
    with timezone.override("Asia/Tokyo"):
        html = people_rows(_people())
    # Joined 20:30 UTC on 1 March is 2 March in Tokyo.
    assert '<time datetime="2025-03-02T05:30:00+09:00">2025-03-02</time>' in html
    assert "TL2" in html and "15 rep." in html
    assert "Suspended until" in html and "JST" in html and "Not activated" in html
    assert html.count(">—<") >= 3  # lee: no standing, never seen, no join date
