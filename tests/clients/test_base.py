"""The client base: each failure a person can meet gets its own plain-words error."""

from __future__ import annotations

import datetime
import logging
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import responses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from forums.clients import errors
from forums.clients.discourse import DiscourseClient

KEY = "a" * 64  # looks like a real Discourse key
BASE = "https://forum.example.com"


def client(base=BASE, **kw) -> DiscourseClient:
    return DiscourseClient(
        base_url=base, api_key=KEY, api_username="system", allow_http_hosts=["127.0.0.1"], **kw
    )


def auth_match():
    return [responses.matchers.header_matcher({"Api-Key": KEY, "Api-Username": "system"})]


@responses.activate
def test_sends_auth_headers_and_decodes_json():
    responses.get(f"{BASE}/site/basic-info.json", json={"title": "F"}, match=auth_match())
    assert client().request("GET", "/site/basic-info.json") == {"title": "F"}


@responses.activate
def test_wrong_key_on_admin_route_reads_as_rejected_credentials():
    responses.get(f"{BASE}/site/basic-info.json", json={"title": "Forum"})
    responses.get(f"{BASE}/about.json", json={"about": {"version": "3.4.0", "stats": {}}})
    # Discourse answers 404 on admin routes for a bad key, and 403 invalid_access elsewhere.
    responses.get(
        f"{BASE}/admin/users/list/staff.json",
        status=404,
        json={"errors": ["The requested URL or resource could not be found."]},
    )
    responses.get(
        f"{BASE}/u/system.json",
        status=403,
        json={
            "errors": [
                "You are not permitted to view the requested resource. "
                "The API username or key is invalid."
            ],
            "error_type": "invalid_access",
        },
    )
    report = client().health_check()
    assert report.reachable and report.credentials_ok is False and not report.ok
    assert "API key" in report.error and "not valid" in report.error
    assert report.error_kind == "auth"


@responses.activate
def test_html_instead_of_json_is_not_a_forum():
    responses.get(
        f"{BASE}/site/basic-info.json",
        body="<!DOCTYPE html><html>shop</html>",
        content_type="text/html",
    )
    with pytest.raises(errors.ForumNotAForum, match="web page, not the forum's API"):
        client().request("GET", "/site/basic-info.json")
    report = client().health_check()
    assert report.error_kind == "not_a_forum"


@responses.activate
def test_bad_json_is_a_bad_response():
    responses.get(f"{BASE}/x.json", body="{not json", content_type="application/json")
    with pytest.raises(errors.ForumBadResponse, match="not valid JSON"):
        client().request("GET", "/x.json")


@responses.activate
def test_redirect_is_reported_not_followed():
    responses.get(
        f"{BASE}/site/basic-info.json",
        status=301,
        headers={"Location": "https://www.forum.example.com/site/basic-info.json?x=1"},
    )
    with pytest.raises(errors.ForumRedirect) as exc:
        client().request("GET", "/site/basic-info.json")
    assert "https://www.forum.example.com/site/basic-info.json" in str(exc.value)
    assert "x=1" not in str(exc.value)
    assert len(responses.calls) == 1


@responses.activate
def test_429_carries_the_wait_from_retry_after_or_extras():
    responses.get(
        f"{BASE}/a.json",
        status=429,
        headers={"Retry-After": "17"},
        json={
            "errors": ["Slow down"],
            "error_type": "rate_limit",
            "extras": {"wait_seconds": 17, "time_left": "17 seconds"},
        },
    )
    responses.get(
        f"{BASE}/b.json",
        status=429,
        json={
            "errors": ["Slow down"],
            "error_type": "rate_limit",
            "extras": {"wait_seconds": 42, "time_left": "42 seconds"},
        },
    )
    with pytest.raises(errors.ForumRateLimited) as a:
        client().request("GET", "/a.json")
    assert a.value.retry_after == 17 and "wait 17 s" in str(a.value)
    with pytest.raises(errors.ForumRateLimited) as b:
        client().request("GET", "/b.json")
    assert b.value.retry_after == 42


@responses.activate
def test_5xx_is_a_server_error_with_the_forums_words():
    responses.get(f"{BASE}/x.json", status=502, json={"errors": ["upstream down"]})
    with pytest.raises(errors.ForumServerError, match=r"internal error \(HTTP 502\). upstream"):
        client().request("GET", "/x.json")


@responses.activate
def test_the_key_never_appears_in_a_message_even_when_the_forum_echoes_it(caplog):
    responses.get(f"{BASE}/x.json", status=422, json={"errors": [f"bad key {KEY}"]})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(errors.ForumRejected) as exc:
        client().request("GET", "/x.json", params={"email": "someone@example.com"})
    assert KEY not in str(exc.value) and "********" in str(exc.value)
    assert KEY not in caplog.text
    assert "someone@example.com" not in caplog.text  # queries stay out of the log
    assert KEY not in repr(client())


def test_https_is_required_unless_the_host_is_allowed():
    with pytest.raises(errors.ForumURLRefused, match="Plain http is refused"):
        DiscourseClient(base_url="http://forum.example.com", api_key=KEY)
    assert client(base="http://127.0.0.1:9/").base_url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    "url", ["https://169.254.169.254", "https://[fd00:ec2::254]", "https://[fe80::1]"]
)
def test_metadata_and_link_local_literals_are_refused(url):
    with pytest.raises(errors.ForumURLRefused, match="never contacts"):
        DiscourseClient(base_url=url, api_key=KEY)


def test_a_name_resolving_to_metadata_is_refused_at_connect_time(monkeypatch):
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host == "sneaky.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(errors.ForumURLRefused, match="169.254.169.254"):
        client(base="https://sneaky.example.com").request("GET", "/site/basic-info.json")


def test_dns_failure(monkeypatch):
    def fail(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(errors.ForumDNSError, match="could not be found"):
        client(base="https://no-such-forum.example.com").request("GET", "/x.json")


def test_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(errors.ForumConnectionRefused, match="connection refused"):
        client(base=f"http://127.0.0.1:{port}").request("GET", "/x.json")


class _Slow(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        time.sleep(2)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_timeout(slow_server):
    with pytest.raises(errors.ForumTimeout, match=r"did not answer within 0.3 seconds"):
        client(base=slow_server, timeout=0.3).request("GET", "/x.json")


@pytest.fixture
def self_signed_https(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_tls_error(self_signed_https):
    with pytest.raises(errors.ForumTLSError, match="certificate could not be verified"):
        client(base=self_signed_https).request("GET", "/x.json")


def test_every_error_is_one_family():
    for name in dir(errors):
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and obj is not errors.ForumError:
            assert issubclass(obj, errors.ForumError), name
    assert not issubclass(errors.ForumError, requests.RequestException)
