"""Time zones for forms and pages: the zones to choose from, and the one the viewer's browser
told (base.html's script stores it in a cookie; the middleware shows times in it)."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any, cast

from django import forms
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

COOKIE = "forumdeck_tz"


# The zones most people pick, roughly west to east: offered right after the viewer's own.
COMMON_ZONES = (
    "UTC", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
    "America/Sao_Paulo", "Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Moscow",
    "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai",
    "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
)  # fmt: skip


@cache
def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(n for n in zoneinfo.available_timezones() if "/" in n or n == "UTC")
    return [(n, n.replace("_", " ")) for n in names]


def ordered_zones(own: list[str], chosen: str = "") -> list[tuple[str, str]]:
    """Every zone as (name, what the list says beside it): the viewer's own first (and the one
    chosen before), then the common ones, then the rest A to Z."""
    known = dict(timezone_choices())
    mine = [n for n in dict.fromkeys(own) if n in known]
    head = [(n, f"{known[n]} · your zone") for n in mine]
    if chosen in known and chosen not in mine:
        head.append((chosen, f"{known[chosen]} · chosen"))
    taken = {n for n, _label in head}
    common = [n for n in COMMON_ZONES if n in known and n not in taken]
    rest = [n for n in known if n not in taken and n not in common]
    return head + [(n, f"{known[n]} · common") for n in common] + [(n, known[n]) for n in rest]


class TimeZoneInput(forms.TextInput):
    """A text field with a list to pick from (``<datalist>``): the browser filters it as one
    types ("berl", "tokyo") and the arrow keys and Enter choose, instead of a select of 600
    zones from Africa/Abidjan. ``first``: the viewer's own zone(s), listed first."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.first: list[str] = []

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["list"] = f"{context['widget']['attrs']['id']}-zones"
        return context

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        field = super().render(name, value, attrs, renderer)
        list_id = f"{(attrs or {}).get('id') or self.attrs.get('id') or name}-zones"
        options = format_html_join(
            "", '<option value="{}" label="{}"></option>', ordered_zones(self.first, value or "")
        )
        return format_html('{}<datalist id="{}">{}</datalist>', field, list_id, options)


class TimeZoneField(forms.ChoiceField):
    """An IANA zone typed or picked from the list; "europe/berlin" and "Europe/Berlin" (or
    with spaces for underscores) are the same zone."""

    widget = TimeZoneInput

    def __init__(self, *, first: str | list[str] = "", **kwargs: Any) -> None:
        kwargs.setdefault("choices", timezone_choices)
        super().__init__(**kwargs)
        self.first = first

    @property
    def first(self) -> list[str]:
        return cast(TimeZoneInput, self.widget).first

    @first.setter
    def first(self, zones: str | list[str]) -> None:
        cast(TimeZoneInput, self.widget).first = [
            z for z in ([zones] if isinstance(zones, str) else zones) if z
        ]

    def to_python(self, value: Any) -> str:
        text = super().to_python(value).strip().replace(" ", "_")
        if not text:
            return ""
        by_lower = {n.lower(): n for n, _label in timezone_choices()}
        return by_lower.get(text.lower(), text)

    def bound_data(self, data: Any, initial: Any) -> Any:
        # Shown again as the zone it was taken for ("asia/tokyo" -> "Asia/Tokyo").
        return self.to_python(data) if isinstance(data, str) else data

    def validate(self, value: Any) -> None:
        if value and value not in dict(timezone_choices()):
            raise forms.ValidationError(
                f"“{value}” is not a time zone: type part of its name (e.g. Berlin) and pick "
                "it from the list.",
                code="invalid_choice",
            )
        super().validate(value)


def browser_timezone_name(request: HttpRequest | None) -> str:
    """The zone the browser said (a valid IANA name), or "" when it said none."""
    name = request.COOKIES.get(COOKIE, "") if request is not None else ""
    if not name:
        return ""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return ""
    return name
