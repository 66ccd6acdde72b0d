"""Only globally routable addresses are reached, unless the host is allow-listed; the refusal
says why (issue 13, finding 9). Checked on the form (the address as written and where its name
resolves now) and again at connect time, on the address actually reached."""

from __future__ import annotations

import socket

import pytest
from django.urls import reverse

from forums.clients import errors
from forums.clients.base import AddressPolicy, address_refusal
from forums.clients.discourse import DiscourseClient
from forums.models import ForumConnection

KEY = "k" * 64

METADATA = "a cloud metadata address"


@pytest.mark.parametrize(
    "ip,reason",
    [
        ("169.254.169.254", METADATA),
        ("100.100.100.200", METADATA),  # Alibaba Cloud
        ("192.0.0.192", METADATA),  # Oracle Cloud
        ("fd00:ec2::254", METADATA),
        # The same metadata address in every IPv6 dress a socket or a gateway honours.
        ("::ffff:169.254.169.254", METADATA),  # IPv4-mapped
        ("::169.254.169.254", METADATA),  # IPv4-compatible
        ("64:ff9b::a9fe:a9fe", METADATA),  # NAT64
        ("2002:a9fe:a9fe::1", METADATA),  # 6to4
        ("::ffff:0:a9fe:a9fe", METADATA),  # IPv4-translated
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.10", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("::ffff:192.168.1.10", "a private address"),
        ("64:ff9b::a01:203", "a private address"),  # NAT64 of 10.1.2.3
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("169.254.10.10", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("100.64.1.1", "a shared (carrier-grade NAT) address"),
        ("224.0.0.1", "a multicast address"),
        ("192.0.0.8", "a special-purpose address, not a public one"),
        ("198.18.0.1", "a special-purpose address, not a public one"),
        ("2001:db8::1", "a special-purpose address, not a public one"),
    ],
)
def test_addresses_that_are_not_globally_routable_are_refused_with_their_reason(ip, reason):
    assert address_refusal(ip) == reason


@pytest.mark.parametrize(
    "ip", ["93.184.216.34", "2606:4700::6810:85e5", "64:ff9b::5db8:d822", "::ffff:93.184.216.34"]
)
def test_public_addresses_pass_in_every_form(ip):
    assert address_refusal(ip) is None


@pytest.mark.parametrize(
    "url,reason",
    [
        ("https://169.254.169.254", METADATA),
        ("https://100.100.100.200", METADATA),
        ("https://192.0.0.192", METADATA),
        ("https://[::169.254.169.254]", METADATA),
        ("https://[::ffff:a9fe:a9fe]", METADATA),
        ("https://[64:ff9b::a9fe:a9fe]", METADATA),
        ("https://[2002:a9fe:a9fe::]", METADATA),
        ("https://10.0.0.5", "a private address"),
        ("https://[fd00::5]", "a private address"),
        ("https://127.0.0.1", "a loopback address"),
    ],
)
def test_a_client_refuses_such_an_address_before_any_call(url, reason):
    with pytest.raises(errors.ForumURLRefused) as caught:
        DiscourseClient(base_url=url, api_key=KEY)
    assert reason in str(caught.value)
    assert "never contacts" in str(caught.value)


def test_private_addresses_say_how_to_allow_a_forum_on_the_lan():
    with pytest.raises(errors.ForumURLRefused, match="FORUMDECK_ALLOW_PRIVATE_HOSTS"):
        DiscourseClient(base_url="https://192.168.1.20", api_key=KEY)
    # Listed: accepted.
    forum = DiscourseClient(
        base_url="https://192.168.1.20", api_key=KEY, allow_private_hosts=["192.168.1.20"]
    )
    assert forum.base_url == "https://192.168.1.20"
    # A network in CIDR form allows every address in it.
    DiscourseClient(base_url="https://10.9.8.7", api_key=KEY, allow_private_hosts=["10.0.0.0/8"])


def test_metadata_addresses_stay_refused_whatever_is_listed():
    with pytest.raises(errors.ForumURLRefused, match=METADATA):
        DiscourseClient(
            base_url="http://169.254.169.254",
            api_key=KEY,
            allow_http_hosts=["169.254.169.254"],
            allow_private_hosts=["169.254.169.254", "169.254.0.0/16"],
        )


def _resolving(monkeypatch, name: str, ip: str) -> None:
    real = socket.getaddrinfo
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET

    def fake(host, port, *args, **kwargs):
        if host == name:
            return [(family, socket.SOCK_STREAM, 6, "", (ip, port or 443))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize(
    "ip,reason",
    [
        ("100.100.100.200", METADATA),
        ("::ffff:169.254.169.254", METADATA),
        ("64:ff9b::a9fe:a9fe", METADATA),
        ("10.0.0.7", "a private address"),
        ("127.0.0.1", "a loopback address"),
    ],
)
def test_a_name_resolving_to_a_refused_address_is_refused_at_connect_time(monkeypatch, ip, reason):
    _resolving(monkeypatch, "sneaky.example.com", ip)
    forum = DiscourseClient(base_url="https://sneaky.example.com", api_key=KEY)
    with pytest.raises(errors.ForumURLRefused) as caught:
        forum.request("GET", "/site/basic-info.json")
    assert f"sneaky.example.com resolves to {ip}, {reason}" in str(caught.value)
    assert forum.calls == 1


def test_the_address_actually_reached_is_checked_too(monkeypatch, hostile_server):
    """A name that resolves to a public address when checked, and to loopback when the socket
    connects (DNS rebinding), is caught on the connected socket."""
    real = socket.getaddrinfo
    port = hostile_server.server_address[1]
    answers = iter(["93.184.216.34", "127.0.0.1"])

    def rebinding(host, *args, **kwargs):
        if host == "rebind.example.com":
            ip = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    # https: the refusal comes after the TCP connect and before any TLS or HTTP is spoken.
    forum = DiscourseClient(base_url=f"https://rebind.example.com:{port}", api_key=KEY)
    with pytest.raises(errors.ForumURLRefused, match="127.0.0.1, a loopback address"):
        forum.request("GET", "/site/basic-info.json")
    assert hostile_server.requests == 0


def test_loopback_keeps_working_through_the_allow_list(hostile_server):
    """What the tests and the demo rely on: 127.0.0.1 is listed, so it is reached."""
    forum = DiscourseClient(
        base_url=hostile_server.url, api_key=KEY, allow_http_hosts=["127.0.0.1", "localhost"]
    )
    assert forum.request("GET", "/site/basic-info.json")["title"] == "Small forum"
    port = hostile_server.server_address[1]
    by_name = DiscourseClient(
        base_url=f"http://localhost:{port}", api_key=KEY, allow_http_hosts=["localhost"]
    )
    assert by_name.request("GET", "/site/basic-info.json")["title"] == "Small forum"
    # Not listed: refused, with the reason.
    with pytest.raises(errors.ForumURLRefused, match="a loopback address"):
        DiscourseClient(base_url=f"https://127.0.0.1:{port}", api_key=KEY)


def test_an_ip_literal_on_the_list_does_not_allow_names_that_resolve_to_it(monkeypatch):
    _resolving(monkeypatch, "evil.example.com", "127.0.0.1")
    policy = AddressPolicy(["127.0.0.1"])
    assert policy.refusal("127.0.0.1", "127.0.0.1") is None
    assert policy.refusal("evil.example.com", "127.0.0.1") == "a loopback address"


# --- the connection form ---------------------------------------------------------------------


def _form(**overrides) -> dict:
    data = {
        "name": "Community",
        "platform": "discourse",
        "base_url": "https://community.example.com",
        "api_username": "system",
        "api_key": "secret-key-abcdefghijklmnopqrstuvwxyz-KEY9",
        "requests_per_minute": "60",
        "enabled": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "url,words",
    [
        ("https://[::169.254.169.254]/", "is a cloud metadata address"),
        ("https://[64:ff9b::a9fe:a9fe]/", "is a cloud metadata address"),
        ("https://100.100.100.200/", "is a cloud metadata address"),
        ("https://192.168.0.10/", "is a private address"),
    ],
)
def test_the_form_refuses_with_the_reason_and_saves_nothing(admin_client_, url, words):
    response = admin_client_.post(reverse("forums:connection-create"), _form(base_url=url))
    assert response.status_code == 200
    assert words in response.content.decode()
    assert not ForumConnection.objects.exists()


def test_the_form_resolves_the_name_and_refuses_where_it_leads(admin_client_, monkeypatch):
    _resolving(monkeypatch, "intranet.example.com", "10.20.30.40")
    response = admin_client_.post(
        reverse("forums:connection-create"), _form(base_url="https://intranet.example.com")
    )
    html = response.content.decode()
    assert "intranet.example.com resolves to 10.20.30.40, a private address" in html
    assert "FORUMDECK_ALLOW_PRIVATE_HOSTS" in html
    assert not ForumConnection.objects.exists()


def test_the_form_accepts_a_lan_forum_once_it_is_listed(admin_client_, monkeypatch, settings):
    _resolving(monkeypatch, "intranet.example.com", "10.20.30.40")
    settings.FORUMDECK_ALLOW_PRIVATE_HOSTS = ["intranet.example.com"]
    response = admin_client_.post(
        reverse("forums:connection-create"), _form(base_url="https://intranet.example.com")
    )
    assert response.status_code == 302
    assert ForumConnection.objects.get().base_url == "https://intranet.example.com"
