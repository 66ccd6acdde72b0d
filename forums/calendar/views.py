"""The calendar across forums: a month grid and an agenda in the viewer's time zone, and
private iCalendar feeds."""

from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from forums.web import HtmxHttpRequest, render_page, requires
from forums.web.timezones import browser_timezone_name

from . import selectors, services
from .forms import AgendaFilterForm, CalendarFilterForm, FeedForm, calendar_forums
from .ics import feed_ics

TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,128}$")


def _zone(request: HtmxHttpRequest, form: CalendarFilterForm) -> tuple[ZoneInfo, bool]:
    """The zone to show times in (the filter's, else the browser's), and whether the browser
    told its zone at all (if not, the page says so and offers the choice)."""
    browser = browser_timezone_name(request)
    chosen = form.cleaned_data.get("tz") if form.is_valid() else ""
    name = chosen or browser or timezone.get_default_timezone_name()
    try:
        return ZoneInfo(name), bool(browser or chosen)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        return ZoneInfo("UTC"), False


def _filters(form: CalendarFilterForm) -> tuple[list[int], set[str]]:
    if not form.is_valid():
        return [], set()
    forums = [c.pk for c in form.cleaned_data.get("forum") or []]
    return forums, set(form.cleaned_data.get("category") or [])


AGAIN_TRIES = 4  # the page asks again for a late forum after 1, 2, 4 and 8 seconds


def _again(request: HtmxHttpRequest, result: selectors.CalendarResult) -> dict:
    """While a forum's answer is still coming (its call goes on to its own deadline), the page
    asks again by itself, a little later each time, without asking any forum anew."""
    try:
        tries = min(max(int(request.GET.get("again", "0")), 0), AGAIN_TRIES)
    except ValueError:
        tries = AGAIN_TRIES
    if not result.late or tries >= AGAIN_TRIES:
        return {}
    query = request.GET.copy()
    query.pop("refresh", None)
    query["again"] = str(tries + 1)
    return {"again_query": query.urlencode(), "again_delay": 2**tries}


def _query(request: HtmxHttpRequest, **changes: str) -> str:
    query = request.GET.copy()
    for key, value in changes.items():
        query[key] = value
    query.pop("page", None)
    return query.urlencode()


@require_GET
@requires("view_calendar")
def calendar_month(request: HtmxHttpRequest) -> HttpResponse:
    form = CalendarFilterForm(request.GET or None, own_zone=browser_timezone_name(request))
    zone, told = _zone(request, form)
    today = timezone.now().astimezone(zone).date()
    chosen = form.cleaned_data.get("month") if form.is_bound and form.is_valid() else None
    year, month = chosen or (today.year, today.month)
    if not chosen:
        form.initial["month"] = f"{year:04d}-{month:02d}"  # what the month box shows
    first, last = selectors.month_bounds(year, month)
    start, end = selectors.fetch_window(first, last, zone)
    forum_ids, categories = _filters(form)
    context: dict = {"form": form, "zone": zone, "zone_told": told, "year": year,
                     "month": date(year, month, 1), "chosen_categories": categories}  # fmt: skip
    try:
        result = selectors.calendar_events(
            start=start, end=end, connection_ids=forum_ids, refresh=bool(request.GET.get("refresh"))
        )
    except ValidationError as exc:
        context["range_error"] = " ".join(exc.messages)
        result = selectors.CalendarResult(start=start, end=end)
    previous = date(year, month, 1) - timedelta(days=1)
    following = date(year, month, 28) + timedelta(days=7)
    context.update(
        result=result,
        weeks=selectors.month_grid(year=year, month=month, zone=zone,
                                   occurrences=result.only(categories), today=today),
        previous_query=_query(request, month=f"{previous:%Y-%m}"),
        next_query=_query(request, month=f"{following:%Y-%m}"),
        today_query=_query(request, month=f"{today:%Y-%m}"),
        refresh_query=_query(request, refresh="1"),
        **_again(request, result),
        weekdays=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    )  # fmt: skip
    with timezone.override(zone):
        return render_page(request, "calendar/month.html", context, partial="calendar-view")


@require_GET
@requires("view_calendar")
def calendar_agenda(request: HtmxHttpRequest) -> HttpResponse:
    form = AgendaFilterForm(request.GET or None, own_zone=browser_timezone_name(request))
    zone, told = _zone(request, form)
    valid = form.is_bound and form.is_valid()
    first = (form.cleaned_data.get("start") if valid else None) or timezone.now().astimezone(
        zone
    ).date()
    days = (form.cleaned_data.get("days") if valid else None) or 30
    start = selectors.local_midnight(first - timedelta(days=1), zone)
    end = selectors.local_midnight(first + timedelta(days=days + 1), zone)
    forum_ids, categories = _filters(form)
    context: dict = {"form": form, "zone": zone, "zone_told": told, "first": first, "days": days,
                     "chosen_categories": categories, "agenda": True}  # fmt: skip
    try:
        result = selectors.calendar_events(
            start=start, end=end, connection_ids=forum_ids, refresh=bool(request.GET.get("refresh"))
        )
    except ValidationError as exc:
        context["range_error"] = " ".join(exc.messages)
        result = selectors.CalendarResult(start=start, end=end)
    listing = selectors.agenda(first=first, days=days, zone=zone,
                               occurrences=result.only(categories))  # fmt: skip
    context.update(
        result=result,
        page=Paginator(listing, 10).get_page(request.GET.get("page")),
        query=_query(request),
        refresh_query=_query(request, refresh="1"),
        **_again(request, result),
    )
    with timezone.override(zone):
        return render_page(request, "calendar/agenda.html", context, partial="calendar-view")


def _feed_url(request: HtmxHttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("forums:calendar-feed", args=[token]))


def _feeds_page(request: HtmxHttpRequest, form: FeedForm, **extra) -> HttpResponse:
    context = {
        "form": form,
        "feeds": selectors.calendar_feeds(user=request.user),
        "offering": calendar_forums(),
        **extra,
    }
    return render_page(request, "calendar/feeds.html", context,
                       status=422 if form.errors else 200)  # fmt: skip


@require_http_methods(["GET", "POST"])
@requires("view_calendar")
def calendar_feeds(request: HtmxHttpRequest) -> HttpResponse:
    """Your private feeds; making one shows its address once."""
    if request.method == "GET":
        return _feeds_page(request, FeedForm())
    form = FeedForm(request.POST)
    if form.is_valid():
        try:
            feed, token = services.calendar_feed_create(
                user=request.user,
                name=form.cleaned_data["name"],
                connections=list(form.cleaned_data["forums"]),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _feeds_page(request, FeedForm(), new_feed=feed,
                               new_url=_feed_url(request, token))  # fmt: skip
    return _feeds_page(request, form)


@require_POST
@requires("view_calendar")
def calendar_feed_rotate(request: HtmxHttpRequest, feed_id: int) -> HttpResponse:
    try:
        feed, token = services.calendar_feed_rotate(user=request.user, feed_id=feed_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("forums:calendar-feeds")
    return _feeds_page(request, FeedForm(), new_feed=feed, new_url=_feed_url(request, token),
                       rotated=True)  # fmt: skip


@require_POST
@requires("view_calendar")
def calendar_feed_revoke(request: HtmxHttpRequest, feed_id: int) -> HttpResponse:
    try:
        feed = services.calendar_feed_revoke(user=request.user, feed_id=feed_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The feed “{feed.name}” is revoked: its address answers 404.")
    return redirect("forums:calendar-feeds")


def _not_found() -> HttpResponse:
    # The same few bytes for a token that never existed, a revoked or rotated one, or an
    # owner who lost access: nothing tells them apart.
    return HttpResponseNotFound("Not found.\n", content_type="text/plain; charset=utf-8")


@login_not_required
@never_cache
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed a calendar app subscribes to. Its token is the only credential, and it
    opens this feed and nothing else (no session, no other page)."""
    if not TOKEN.match(token):
        return _not_found()
    feed = selectors.calendar_feed_for_token(token)
    if feed is None:
        return _not_found()
    body = feed_ics(feed=feed)
    services.calendar_feed_touch(feed=feed)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="forumdeck.ics"'
    return response
