"""Calendar: the filters of the month and agenda views, and a new feed."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms

from forums.clients import client_class
from forums.clients.records import Capability
from forums.models import ForumConnection
from forums.web.timezones import TimeZoneField, TimeZoneInput

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
CATEGORY = re.compile(r"^\d{1,12}:\d{1,12}$")
MAX_AGENDA_DAYS = 92


def calendar_forums():
    """Enabled forums whose client offers a calendar (others say so on the page)."""
    connections = ForumConnection.objects.filter(enabled=True).defer("api_key").order_by("name")
    return [c for c in connections if client_class(c.platform).supports(Capability.CALENDAR)]


class CategoryField(forms.MultipleChoiceField):
    """ "<forum id>:<category id>" pairs; which exist is only known once the forums answer."""

    def valid_value(self, value: str) -> bool:
        return bool(CATEGORY.match(str(value)))


class CalendarFilterForm(forms.Form):
    month = forms.CharField(required=False, max_length=7, label="Month",
                            widget=forms.TextInput(attrs={"type": "month"}))  # fmt: skip
    forum = forms.ModelMultipleChoiceField(
        label="Forums",
        required=False,
        queryset=ForumConnection.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    category = CategoryField(label="Categories", required=False,
                             widget=forms.CheckboxSelectMultiple)  # fmt: skip
    tz = TimeZoneField(
        label="Time zone", required=False,
        widget=TimeZoneInput(attrs={"placeholder": "Your browser's zone"}),
    )  # fmt: skip

    def __init__(self, *args: Any, own_zone: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        forum = cast(forms.ModelMultipleChoiceField, self.fields["forum"])
        forum.queryset = ForumConnection.objects.filter(enabled=True).defer("api_key")
        cast(TimeZoneField, self.fields["tz"]).first = own_zone

    def clean_month(self) -> tuple[int, int] | None:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return None
        match = MONTH.match(value)
        year, month = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        if not (1 <= month <= 12 and 1970 <= year <= 2200):
            raise forms.ValidationError("Give a month as YYYY-MM, between 1970 and 2200.")
        return year, month


class AgendaFilterForm(CalendarFilterForm):
    start = forms.DateField(label="From", required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    days = forms.IntegerField(label="Days", required=False, min_value=1,
                              max_value=MAX_AGENDA_DAYS, initial=30)  # fmt: skip

    def clean_start(self):
        value = self.cleaned_data.get("start")
        if value is not None and not 1970 <= value.year <= 2200:
            raise forms.ValidationError("Choose a date between 1970 and 2200.")
        return value


class FeedForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100, initial="Forum events",
                           help_text="What your calendar app calls it.")  # fmt: skip
    forums = forms.ModelMultipleChoiceField(
        label="Forums",
        queryset=ForumConnection.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="The feed holds these forums' events.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        forums_field = cast(forms.ModelMultipleChoiceField, self.fields["forums"])
        forums_field.queryset = ForumConnection.objects.filter(
            pk__in=[c.pk for c in calendar_forums()]
        ).defer("api_key")
