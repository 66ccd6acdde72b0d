"""The one pager every list page draws ({% paginator %})."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.template import Context, Template

from forums.web.paging import CappedPaginator


def draw(page, args: str = "") -> str:
    template = Template("{% load forumdeck %}{% paginator page " + args + " %}")
    return template.render(Context({"page": page, "query": "q=billing&forum=3"}))


def test_filters_survive_paging_and_htmx_swaps_the_named_partial():
    page = Paginator(list(range(120)), 50).get_page(2)
    html = draw(page, 'query=query target="tag-table" noun="tag,tags"')
    assert "Page 2 of 3 (120 tags)" in html
    assert 'href="?q=billing&amp;forum=3&amp;page=1"' in html
    assert 'hx-get="?q=billing&amp;forum=3&amp;page=3" hx-target="#tag-table"' in html


def test_first_and_last_pages_offer_only_the_way_that_exists():
    first = draw(Paginator(list(range(3)), 2).get_page(1), 'noun="entry,entries"')
    assert "Page 1 of 2 (3 entries)" in first and "Previous" not in first and "Next ›" in first
    assert "hx-get" not in first  # no target: plain links
    last = draw(Paginator(list(range(3)), 2).get_page(2), 'previous="‹ Newer" following="Older ›"')
    assert "‹ Newer" in last and "Older ›" not in last and 'href="?page=1"' in last


def test_one_of_a_thing_is_singular_and_more_words_follow_the_count():
    page = Paginator([1], 10).get_page(1)
    html = draw(page, 'noun="person,people" extra="2 accounts"')
    assert "(1 person, 2 accounts)" in html


def test_a_list_counted_up_to_a_cap_says_more_than_and_pages_up_to_it():
    rows = list(range(37))
    first = draw(CappedPaginator(rows, 5, cap=20).get_page(1), 'noun="entry,entries"')
    assert "Page 1 of 4+ (more than 20 entries)" in first and "Next ›" in first
    last = draw(CappedPaginator(rows, 5, cap=20).get_page(4), 'noun="entry,entries"')
    assert "Page 4 of 4+" in last and "Next ›" not in last and "Previous" in last
    assert "narrow the filters to see the rest" in last
    beyond = CappedPaginator(rows, 5, cap=20).get_page(6)
    assert beyond.number == 4  # no page past the cap
    under = draw(CappedPaginator(rows[:12], 5, cap=20).get_page(3), 'noun="entry,entries"')
    assert "Page 3 of 3 (12 entries)" in under and "more than" not in under
    assert "narrow" not in under
