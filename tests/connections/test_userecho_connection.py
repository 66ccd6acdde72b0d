"""Connecting a UserEcho project: its address, where its token is made, its health on the
overview, and the demo's "Demo UserEcho"."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from forums.models import ForumConnection, Platform
from forums.sandbox.demo import DEMO_KEYS
from tests.userecho_fixtures import USERECHO_TOKEN

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "name": "Acme feedback",
        "platform": "userecho",
        "base_url": "https://acme.userecho.com",
        "api_username": "",
        "api_key": "ue-token-0123456789",
        "requests_per_minute": 60,
        "enabled": "on",
    }
    data.update(overrides)
    return data


def test_the_form_says_where_the_token_is_made(admin_client_):
    html = admin_client_.get(reverse("forums:connection-create")).content.decode()
    assert "UserEcho: A project API token from Setup → Advanced features → API" in html
    assert '<option value="userecho">UserEcho</option>' in html


@pytest.mark.parametrize("address", ["https://acme.userecho.com", "https://acme.userecho.ru/"])
def test_a_project_address_is_accepted(admin_client_, address):
    response = admin_client_.post(
        reverse("forums:connection-create"), form_data(base_url=address, api_username="x")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    connection = ForumConnection.objects.get(name="Acme feedback")
    assert connection.platform == Platform.USERECHO
    assert connection.base_url == address.rstrip("/")
    assert connection.api_username == ""  # a token acts as its own user


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("https://userecho.com", "https://&lt;alias&gt;.userecho.com"),
        ("https://feedback.example.com", "https://&lt;alias&gt;.userecho.com"),
        ("https://acme.userecho.com/api/v2", "Forumdeck adds /api/v2 itself"),
    ],
)
def test_other_addresses_are_refused_with_the_expected_form(admin_client_, address, message):
    html = admin_client_.post(
        reverse("forums:connection-create"), form_data(base_url=address)
    ).content.decode()
    assert message in html
    assert "ue-token-0123456789" not in html
    assert not ForumConnection.objects.exists()


def test_a_sandbox_on_an_allowed_test_host_is_accepted(admin_client_, userecho_sandbox):
    response = admin_client_.post(
        reverse("forums:connection-create"), form_data(base_url=userecho_sandbox.url)
    )
    assert response.status_code == 302
    assert ForumConnection.objects.get().base_url == userecho_sandbox.url


def test_test_and_card_report_the_project(admin_client_, userecho_connection):
    html = admin_client_.post(
        reverse("forums:connection-test", args=[userecho_connection.pk]),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Works." in html and "Credentials accepted: yes" in html
    assert "Admin rights: yes" in html and "UserEcho API v2" in html
    card = admin_client_.get(
        reverse("forums:connection-card", args=[userecho_connection.pk]),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Healthy" in card and "3 forums: Ideas &amp; Feedback, Support, Beta program" in card
    assert "<dd>80</dd>" in card
    assert "12 waiting" in card and 'href=""' not in card  # no review page to link to
    assert USERECHO_TOKEN not in html + card


def test_a_read_only_token_is_named_on_the_card(admin_client_, userecho_connection):
    from tests.userecho_fixtures import READ_TOKEN

    userecho_connection.api_key = READ_TOKEN
    userecho_connection.save()
    card = admin_client_.get(
        reverse("forums:connection-card", args=[userecho_connection.pk])
    ).content.decode()
    assert "Reachable, but:" in card and "“all” (manage) permission" in card


def test_make_demo_connects_demo_userecho():
    out = io.StringIO()
    call_command("demo_connections", "userecho=http://127.0.0.1:4300", stdout=out)
    assert "Connected Demo UserEcho at http://127.0.0.1:4300" in out.getvalue()
    connection = ForumConnection.objects.get(name="Demo UserEcho")
    assert connection.platform == Platform.USERECHO
    assert connection.api_key_last4 == DEMO_KEYS["userecho"][-4:]


def test_an_address_refused_as_such_gets_one_message(admin_client_):
    html = admin_client_.post(
        reverse("forums:connection-create"), form_data(base_url="http://acme.userecho.com")
    ).content.decode()
    assert "Plain http is refused for acme.userecho.com" in html
    assert "&lt;alias&gt;" not in html.split("Plain http")[1].split("</ul>")[0]
