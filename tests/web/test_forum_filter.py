"""The forum filter every fleet page shares (forums.web.forms.ForumsField): the chosen
forums found with one query, and Django's own errors for anything else."""

from __future__ import annotations

import pytest

from forums.web.forms import FleetSearchForm
from tests.factories import ForumConnectionFactory

pytestmark = pytest.mark.django_db


def test_the_ticked_forums_are_read_with_one_query(django_assert_num_queries):
    forums = [ForumConnectionFactory() for _ in range(6)]
    form = FleetSearchForm({"forum": [str(f.pk) for f in forums[:4]]})
    with django_assert_num_queries(1):
        assert form.is_valid()
        assert sorted(f.pk for f in form.cleaned_data["forum"]) == [f.pk for f in forums[:4]]


def test_a_forum_that_is_not_one_is_refused_in_djangos_words():
    forum = ForumConnectionFactory()
    disabled = ForumConnectionFactory(enabled=False)
    for value, words in (
        ("abc", "“abc” is not a valid value."),
        ("1.5", "“1.5” is not a valid value."),
        (str(disabled.pk), f"Select a valid choice. {disabled.pk} is not one of the available"),
        ("a\x00", "Null characters are not allowed."),
    ):
        form = FleetSearchForm({"forum": [str(forum.pk), value]})
        assert not form.is_valid()
        assert words in " ".join(form.errors["forum"])
    assert FleetSearchForm({}).is_valid()
