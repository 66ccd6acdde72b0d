"""Backups: backing up now, a download link, and a forum's schedule and threshold."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone

from forums.models import BackupSchedule
from forums.web.timezones import TimeZoneField


class BackupStartForm(forms.Form):
    with_uploads = forms.BooleanField(
        label="Include uploads (images and attachments)",
        required=False,
        help_text="Larger and slower; without them the backup holds the database only.",
    )


class DownloadLinkForm(forms.Form):
    filename = forms.CharField(max_length=255, widget=forms.HiddenInput)


class BackupScheduleForm(forms.Form):
    frequency = forms.ChoiceField(
        label="Back up", choices=BackupSchedule.Frequency.choices, initial="daily"
    )
    weekday = forms.TypedChoiceField(
        label="On (weekly)",
        choices=BackupSchedule.Weekday.choices,
        coerce=int,
        initial=BackupSchedule.Weekday.SUNDAY,
        required=False,
        # Django takes any empty value; django-stubs says str only.
        empty_value=BackupSchedule.Weekday.SUNDAY,  # type: ignore[arg-type]
    )
    at_time = forms.TimeField(
        label="At",
        initial="03:00",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        input_formats=["%H:%M", "%H:%M:%S"],
    )
    timezone_name = TimeZoneField(
        label="Time zone",
        help_text="The time above is in this zone (daylight saving included). Type part of "
        "its name to find it.",
    )
    with_uploads = forms.BooleanField(label="Include uploads", required=False, initial=True)
    stale_after_hours = forms.IntegerField(
        label="Stale after (hours)",
        required=False,
        min_value=1,
        max_value=24 * 366,
        help_text="A newest backup older than this turns the forum stale. Empty: the global "
        "threshold.",
    )

    def __init__(self, *args: Any, default_timezone: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(TimeZoneField, self.fields["timezone_name"]).first = default_timezone
        if not self.is_bound and "timezone_name" not in self.initial:
            self.initial["timezone_name"] = default_timezone or timezone.get_current_timezone_name()

    @classmethod
    def for_schedule(cls, schedule: BackupSchedule | None, **kwargs: Any) -> BackupScheduleForm:
        if schedule is None:
            return cls(**kwargs)
        return cls(
            initial={
                "frequency": schedule.frequency,
                "weekday": schedule.weekday,
                "at_time": schedule.at_time,
                "timezone_name": schedule.timezone,
                "with_uploads": schedule.with_uploads,
                "stale_after_hours": schedule.stale_after_hours,
            },
            **kwargs,
        )
