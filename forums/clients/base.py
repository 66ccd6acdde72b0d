"""The base every forum client stands on: the only place Forumdeck speaks HTTP.

One ``requests.Session`` per client, a timeout on every call, redirects never followed, every
transport or HTTP failure turned into one ``ForumError`` subclass with a plain-words message,
and nothing secret in any message, log line or repr. Platform clients subclass ``BaseClient``
and only describe their endpoints and JSON.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .errors import (
    ForumBadResponse,
    ForumConnectionRefused,
    ForumDNSError,
    ForumError,
    ForumForbidden,
    ForumNotAForum,
    ForumNotFound,
    ForumRateLimited,
    ForumRedirect,
    ForumRejected,
    ForumServerError,
    ForumTimeout,
    ForumTLSError,
    ForumUnauthorized,
    ForumUnavailable,
    ForumURLRefused,
)

logger = logging.getLogger("forums.clients")
T = TypeVar("T")
R = TypeVar("R")

# Cloud metadata services answer on these; a forum never does.
_METADATA_ADDRESSES = {ipaddress.ip_address("fd00:ec2::254")}


def forbidden_address(ip: str) -> bool:
    """Link-local (169.254.0.0/16, fe80::/10) and cloud metadata addresses are never contacted."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return addr.is_link_local or addr in _METADATA_ADDRESSES


class BlockedAddress(Exception):
    """Raised from inside a connection attempt that reached a forbidden address.

    Deliberately not an ``OSError``, so urllib3 and requests let it through unwrapped.
    """

    def __init__(self, host: str, ip: str) -> None:
        self.host, self.ip = host, ip
        super().__init__(f"{host} resolves to {ip}")


class _GuardedConnectionMixin:
    def _new_conn(self):  # type: ignore[override]
        # Refuse before connecting if the name resolves to a forbidden address, then check the
        # address actually reached, in case the name resolved differently the second time.
        host = getattr(self, "_dns_host", None) or self.host  # type: ignore[attr-defined]
        try:
            infos = socket.getaddrinfo(host, self.port, type=socket.SOCK_STREAM)  # type: ignore[attr-defined]
        except OSError:
            infos = []  # urllib3 reports the DNS failure in its own words below
        for info in infos:
            if forbidden_address(str(info[4][0])):
                raise BlockedAddress(self.host, str(info[4][0]))  # type: ignore[attr-defined]
        sock = super()._new_conn()  # type: ignore[misc]
        try:
            peer = sock.getpeername()[0]
        except OSError:
            return sock
        if forbidden_address(peer):
            sock.close()
            raise BlockedAddress(self.host, peer)  # type: ignore[attr-defined]
        return sock


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """Checks the address actually connected to, so DNS tricks cannot reach metadata services."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


def check_base_url(url: str, *, allow_http_hosts: Iterable[str] = ()) -> str:
    """Validate a forum base URL by policy; return it normalised (no trailing slash).

    https is required unless the host is listed in ``FORUMDECK_ALLOW_HTTP_HOSTS``. Addresses
    written as link-local or metadata IPs are refused here too, and again at connect time.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ForumURLRefused("The address must start with https:// and name a host.")
    if parts.username or parts.password:
        raise ForumURLRefused("Put credentials in the API key field, not in the address.")
    if parts.query or parts.fragment:
        raise ForumURLRefused("The address must not contain a query string or a fragment.")
    host = parts.hostname.lower()
    allowed = {h.strip().lower().strip("[]") for h in allow_http_hosts if h.strip()}
    if parts.scheme == "http" and host not in allowed:
        raise ForumURLRefused(
            f"Plain http is refused for {host}: use https (or list the host in "
            "FORUMDECK_ALLOW_HTTP_HOSTS for a local test forum)."
        )
    if forbidden_address(host):
        raise ForumURLRefused(
            f"{host} is a link-local or cloud metadata address, which Forumdeck never contacts."
        )
    return url.strip().rstrip("/")


def _cause_chain(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend([current.__cause__, current.__context__])
        stack.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)


def parse_retry_after(value: str | None, fallback: float) -> float:
    if not value:
        return fallback
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return fallback
    return max(when.timestamp() - time.time(), 0.0)


class BaseClient:
    """HTTP plumbing shared by every forum client."""

    platform: ClassVar[str] = ""
    software: ClassVar[str] = ""
    user_agent: ClassVar[str] = "Forumdeck/0.1 (+self-hosted forum dashboard)"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        api_username: str = "",
        name: str = "",
        timeout: float = 10.0,
        allow_http_hosts: Iterable[str] = (),
        master_token: bool = False,
        pacer: Callable[[], None] | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url, allow_http_hosts=allow_http_hosts)
        self.name = name or urlsplit(self.base_url).hostname or self.base_url
        self.timeout = timeout
        self.api_username = api_username
        self.master_token = master_token
        # Called before every request: the bulk-action pacer plugs in here.
        self.pacer = pacer
        self.calls = 0
        self.__api_key = api_key
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies or netrc credentials from the environment
        self.session.mount("http://", GuardedAdapter())
        self.session.mount("https://", GuardedAdapter())
        self.session.headers.update({"User-Agent": self.user_agent, "Accept": "application/json"})
        self.session.headers.update(self.auth_headers(api_key))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.base_url}>"

    # --- to be described by each platform ----------------------------------------------------
    def auth_headers(self, api_key: str) -> dict[str, str]:
        raise NotImplementedError

    def error_message(self, response: requests.Response, payload: Any) -> str:
        """The forum's own words for a failure, if it gave any."""
        return ""

    # --- HTTP --------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return urljoin(self.base_url + "/", path.lstrip("/"))

    def scrub(self, text: str) -> str:
        """Last line of defence: a message never carries the key, whatever a forum echoed."""
        if self.__api_key and self.__api_key in text:
            text = text.replace(self.__api_key, "********")
        return text

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | list | None = None,
        json_body: Any = None,
        data: Any = None,
        files: Any = None,
        expect: str = "json",
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Send one request and return the decoded body (JSON, text or bytes per ``expect``)."""
        response = self.send(
            method,
            path,
            params=params,
            json_body=json_body,
            data=data,
            files=files,
            headers=headers,
        )
        return self.decode(response, expect=expect)

    def send(
        self,
        method: str,
        path: str,
        *,
        params: dict | list | None = None,
        json_body: Any = None,
        data: Any = None,
        files: Any = None,
        headers: dict[str, str] | None = None,
        keep_status: Iterable[int] = (),
    ) -> requests.Response:
        """Send one request; a failure raises its ``ForumError``, except the statuses in
        ``keep_status``, whose response comes back for the caller to read (e.g. a 422 that
        asks a question rather than refusing)."""
        if self.pacer is not None:
            self.pacer()
        url = self.url(path)
        started = time.monotonic()
        self.calls += 1
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json_body,
                data=data,
                files=files,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except BlockedAddress as exc:
            raise ForumURLRefused(
                f"{exc.host} resolves to {exc.ip}, a link-local or cloud metadata address, "
                "which Forumdeck never contacts."
            ) from None
        except requests.RequestException as exc:
            self._log(method, path, None, started)
            raise self._transport_error(exc) from None
        self._log(method, path, response.status_code, started)
        if response.status_code not in keep_status:
            self.raise_for_status(response)
        return response

    def _log(self, method: str, path: str, status: int | None, started: float) -> None:
        # The path only: queries may hold e-mail addresses, headers hold the key.
        logger.info(
            "%s %s %s -> %s in %d ms",
            self.name,
            method,
            urlsplit(path).path,
            status if status is not None else "no answer",
            (time.monotonic() - started) * 1000,
        )

    def _transport_error(self, exc: requests.RequestException) -> ForumError:
        host = urlsplit(self.base_url).netloc
        if isinstance(exc, requests.exceptions.SSLError):
            reason = ""
            for inner in _cause_chain(exc):
                if isinstance(inner, ssl.SSLCertVerificationError):
                    reason = f" ({inner.verify_message})" if inner.verify_message else ""
                    break
            return ForumTLSError(
                f"The secure (TLS) connection to {host} failed: its certificate could not be "
                f"verified{reason}."
            )
        if isinstance(exc, requests.Timeout):
            return ForumTimeout(f"{host} did not answer within {self.timeout:g} seconds.")
        for inner in _cause_chain(exc):
            if isinstance(inner, socket.gaierror) or type(inner).__name__ == "NameResolutionError":
                return ForumDNSError(
                    f"The host name {urlsplit(self.base_url).hostname} could not be found "
                    "(DNS lookup failed). Check the address."
                )
            if isinstance(inner, ConnectionRefusedError):
                return ForumConnectionRefused(
                    f"Nothing answered at {host} (connection refused). Is the forum running?"
                )
        return ForumUnavailable(f"{host} could not be reached (the connection failed).")

    def raise_for_status(self, response: requests.Response) -> None:
        status = response.status_code
        if status < 300:
            return
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            target = urlsplit(urljoin(response.url, location))
            shown = f"{target.scheme}://{target.netloc}{target.path}" if location else "elsewhere"
            raise ForumRedirect(
                f"The forum answered with a redirect (HTTP {status}) to {shown}. Use the "
                "forum's final address as the base URL.",
                status=status,
            )
        payload = self._try_json(response)
        own = self.scrub(self.error_message(response, payload) or "").strip()
        if status == 429:
            wait = self.retry_after_seconds(response, payload)
            raise ForumRateLimited(
                f"The forum is rate limiting Forumdeck; it asks to wait {wait:g} s."
                + (f" ({own})" if own else ""),
                retry_after=wait,
            )
        if status == 401:
            raise ForumUnauthorized(
                own and f"The forum did not accept the API key: {own}", status=status
            )
        if status == 403:
            raise ForumForbidden(own and f"The forum refused: {own}", status=status)
        if status == 404:
            raise ForumNotFound(own or None, status=status)
        if status in (400, 409, 410, 412, 413, 422):
            raise ForumRejected(
                own or f"The forum refused the request (HTTP {status}).", status=status
            )
        if status >= 500:
            raise ForumServerError(
                f"The forum had an internal error (HTTP {status})." + (f" {own}" if own else ""),
                status=status,
            )
        raise ForumError(own or f"The forum answered HTTP {status}.", status=status)

    def retry_after_seconds(self, response: requests.Response, payload: Any) -> float:
        return parse_retry_after(response.headers.get("Retry-After"), 60.0)

    @staticmethod
    def _try_json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            return None

    def decode(self, response: requests.Response, *, expect: str = "json") -> Any:
        if expect == "bytes":
            return response.content
        if expect == "text":
            return response.text
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            pass
        content_type = response.headers.get("Content-Type", "")
        head = response.text[:200].lstrip().lower()
        if "html" in content_type or head.startswith(("<!doctype", "<html", "<")):
            raise ForumNotAForum(
                "The address answered with a web page, not the forum's API (HTML where JSON "
                "was expected). Is this the forum's base URL, and is it the right forum software?",
                status=response.status_code,
            )
        raise ForumBadResponse(
            "The forum's answer was not valid JSON.", status=response.status_code
        )

    def close(self) -> None:
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- helpers -----------------------------------------------------------------------------
    @staticmethod
    def paginate(
        fetch: Callable[[Any], tuple[Sequence[T], Any]],
        *,
        start: Any,
        limit: int | None = None,
        max_pages: int | None = None,
    ) -> Iterator[T]:
        """Every item of a paged list: ``fetch(cursor)`` returns one page and the cursor of the
        next (None at the end). Stops at ``limit`` items, ``max_pages`` pages, an empty page, or
        a cursor that does not move (a forum answering the same page again)."""
        cursor, yielded, pages = start, 0, 0
        while True:
            items, following = fetch(cursor)
            pages += 1
            for item in items:
                if limit is not None and yielded >= limit:
                    return
                yield item
                yielded += 1
            if not items or following is None or following == cursor:
                return
            if (limit is not None and yielded >= limit) or (
                max_pages is not None and pages >= max_pages
            ):
                return
            cursor = following

    def timed(self, fn: Callable[[], R]) -> tuple[R, int]:
        started = time.monotonic()
        result = fn()
        return result, int((time.monotonic() - started) * 1000)
