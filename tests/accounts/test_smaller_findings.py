"""The issue's smaller findings (7): a calendar feed token in no log line or error report, and
dead with its owner; an HttpOnly CSRF cookie; one CSV writer that neutralises every formula
start; and three special address blocks refused for connections."""

from __future__ import annotations

import csv
import io
import logging
import sys

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.debug import ExceptionReporter

from forums.accounts.services import account_update
from forums.calendar.services import calendar_feed_create
from forums.clients.base import address_refusal
from forums.models import ForumConnection
from forums.roles import ADMIN, VIEWER

pytestmark = pytest.mark.django_db

TOKEN = "Qm9vbS1zZWNyZXQtdG9rZW4tdGhhdC1tdXN0LW5vdC1sZWFr"
FEED = f"/forums/calendar/feed/{TOKEN}.ics"


# --- the feed token in logs and error reports ---------------------------------------------------
def _handlers(name: str) -> list[logging.Handler]:
    found, logger = [], logging.getLogger(name)
    while logger is not None:
        found += logger.handlers
        logger = logger.parent if logger.propagate else None
    return found


@pytest.mark.parametrize("logger_name", ["django.request", "django.server", "forums", ""])
def test_every_handler_writes_a_404_for_a_feed_without_its_token(logger_name):
    handlers = [h for h in _handlers(logger_name) if "pytest" not in type(h).__module__]
    assert handlers, "no handler configured"
    for handler in handlers:
        record = logging.LogRecord(
            logger_name, logging.WARNING, __file__, 1, "Not Found: %s", (FEED,), None
        )
        assert all(f.filter(record) for f in handler.filters)
        text = logging.Formatter("%(message)s").format(record)
        assert TOKEN not in text and "/calendar/feed/…" in text


def test_djangos_own_404_warning_reaches_the_console_without_the_token(client, viewer):
    # The real route: Django logs "Not Found: <path>" for a feed that does not exist.
    stream = io.StringIO()
    console = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    old = console.setStream(stream)
    try:
        assert Client().get(FEED).status_code == 404
    finally:
        console.setStream(old)
    written = stream.getvalue()
    assert "Not Found: /forums/calendar/feed/…" in written and TOKEN not in written


def test_an_error_report_for_a_feed_address_holds_no_token():
    assert settings.DEFAULT_EXCEPTION_REPORTER.endswith("RedactingExceptionReporter")
    request = RequestFactory().get(FEED)
    try:
        token = TOKEN  # noqa: F841 - a frame variable the report would show
        raise ValueError(f"feed {FEED} broke")
    except ValueError:
        info = sys.exc_info()
    from django.utils.module_loading import import_string

    reporter = import_string(settings.DEFAULT_EXCEPTION_REPORTER)(request, *info)
    assert isinstance(reporter, ExceptionReporter)
    for text in (reporter.get_traceback_text(), reporter.get_traceback_html()):
        assert TOKEN not in text and "/calendar/feed/…" in text


# --- the feed dies with its owner's access ------------------------------------------------------
def test_a_feed_stops_when_its_owner_is_deactivated_and_stays_stopped(
    make_user, discourse_connection
):
    from forums.accounts.services import account_change_confirm
    from forums.models import AccountChange

    vera = make_user("vera", VIEWER)
    _, token = calendar_feed_create(user=vera, name="Mine", connections=[discourse_connection])
    url = reverse("forums:calendar-feed", args=[token])
    assert Client().get(url).status_code == 200
    ada, ben = make_user("ada", ADMIN, is_staff=True), make_user("ben", ADMIN, is_staff=True)
    account_update(actor=ada, user=vera, is_active=False)
    assert Client().get(url).status_code == 404
    account_update(actor=ada, user=vera, is_active=True)
    account_change_confirm(actor=ben, change=AccountChange.objects.get(state="pending"))
    vera.refresh_from_db()
    assert vera.is_active
    assert Client().get(url).status_code == 404  # not revived: she makes a new one


def test_a_deactivation_outside_the_pages_stops_the_feed_too(make_user, discourse_connection):
    vera = make_user("vera", VIEWER)
    _, token = calendar_feed_create(user=vera, name="Mine", connections=[discourse_connection])
    vera.is_active = False
    vera.save()  # e.g. a shell
    vera.is_active = True
    vera.save()
    assert Client().get(reverse("forums:calendar-feed", args=[token])).status_code == 404


# --- CSRF ---------------------------------------------------------------------------------------
def test_the_csrf_cookie_is_httponly_and_the_page_carries_the_token(viewer_client):
    response = viewer_client.get(reverse("overview"))
    cookie = response.cookies["csrftoken"]
    assert cookie["httponly"] is True
    # htmx sends the page's token (base.html's hx-headers), no script reads the cookie.
    assert 'hx-headers=\'{"x-csrftoken": "' in response.content.decode()


def test_an_htmx_post_with_the_pages_token_passes_the_csrf_check(make_user, discourse_connection):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("ada", ADMIN, is_staff=True))
    response = client.get(reverse("overview"))
    page = b"".join(response.streaming_content if response.streaming else [response.content])
    token = page.decode().split('"x-csrftoken": "')[1].split('"')[0]
    url = reverse("forums:connection-toggle", args=[discourse_connection.pk])
    assert client.post(url).status_code == 403  # no token
    response = client.post(url, headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code in (200, 302)
    assert not ForumConnection.objects.get(pk=discourse_connection.pk).enabled


# --- CSV ----------------------------------------------------------------------------------------
def test_the_group_members_export_neutralises_a_leading_tab_and_carriage_return(
    viewer_client, discourse_connection, discourse_sandbox
):
    group = next(g for g in discourse_sandbox.app.groups.values() if g["name"] == "beta-testers")
    first, second, third = sorted(group["members"])[:3]
    discourse_sandbox.app.users[first]["name"] = "\t=HYPERLINK(1)"
    discourse_sandbox.app.users[second]["name"] = "\r+cmd"
    discourse_sandbox.app.users[third]["name"] = "@SUM(1)"
    response = viewer_client.get(
        reverse("forums:group-members-csv", args=[discourse_connection.pk, "beta-testers"])
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    names = {row[4] for row in rows[1:]}
    assert {"'\t=HYPERLINK(1)", "'\r+cmd", "'@SUM(1)"} <= names
    assert not any(n.startswith(("\t", "\r", "=", "+", "-", "@")) for n in names)


def test_there_is_one_csv_writer():
    import pathlib

    import forums

    root = pathlib.Path(forums.__file__).parent
    writers = [
        p.relative_to(root).as_posix()
        for p in root.rglob("*.py")
        if "csv.writer(" in p.read_text() or "DictWriter(" in p.read_text()
    ]
    assert writers == ["web/exports.py"]


# --- addresses ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "ip", ["64:ff9b:1::a01:203", "64:ff9b:1:ffff::1", "fec0::1", "feff::2", "192.88.99.1",
           "2002:c058:6301::1", "4000::1"],
)  # fmt: skip
def test_local_nat64_site_local_and_6to4_relay_addresses_are_refused(ip):
    assert address_refusal(ip) == "a special-purpose address, not a public one"


@pytest.mark.parametrize(
    "url", ["https://[64:ff9b:1::1]/", "https://[fec0::10]/", "https://192.88.99.7/"]
)
def test_the_connection_form_refuses_them_and_saves_nothing(admin_client_, url):
    response = admin_client_.post(
        reverse("forums:connection-create"),
        {"name": "Odd", "platform": "discourse", "base_url": url, "api_username": "system",
         "api_key": "some-key-0123456789", "requests_per_minute": "60", "enabled": "on"},
    )  # fmt: skip
    assert "a special-purpose address, not a public one" in response.content.decode()
    assert not ForumConnection.objects.exists()


def test_public_addresses_still_pass():
    for ip in ("2606:4700::6810:85e5", "93.184.216.34", "64:ff9b::5db8:d822"):
        assert address_refusal(ip) is None
