"""The base every forum client stands on: the only place Forumdeck speaks HTTP.

One ``requests.Session`` per client, a timeout on every call, redirects never followed, every
transport or HTTP failure turned into one ``ForumError`` subclass with a plain-words message,
and nothing secret in any message, log line or repr. Platform clients subclass ``BaseClient``
and only describe their endpoints and JSON.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from forums.pacing import SlotRefused

from .errors import (
    ForumAnswerTooDeep,
    ForumAnswerTooLarge,
    ForumAnswerTooSlow,
    ForumBadResponse,
    ForumConnectionRefused,
    ForumDNSError,
    ForumError,
    ForumForbidden,
    ForumIsForumdeck,
    ForumNotAdmin,
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
# Every answer from a Forumdeck carries this header (dashboard.middleware), so a connection
# pointed at Forumdeck's own address says so instead of "not a forum" or "a redirect".
FORUMDECK_HEADER = "X-Forumdeck"
T = TypeVar("T")
R = TypeVar("R")

# Cloud metadata services answer on these; a forum never does, so no allow list reaches them.
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, ...
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS DNS resolver
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "fd00:ec2::254",  # AWS over IPv6
        "fd00:ec2::23",  # AWS DNS over IPv6
    )
)
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_SHARED_NETWORK = ipaddress.ip_network("100.64.0.0/10")
# Special-purpose blocks that some Python versions still call global: IETF protocol
# assignments, the 6to4 relay anycast block, local-use NAT64 (RFC 8215, any network behind
# it) and the deprecated site-local block.
_SPECIAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.0.0/24", "192.88.99.0/24", "2001::/23", "64:ff9b:1::/48", "fec0::/10")
)
# The only IPv6 addresses the internet routes to hosts (global unicast).
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIIT = ipaddress.ip_network("::ffff:0:0:0/96")  # IPv4-translated (RFC 2765)
_COMPATIBLE = ipaddress.ip_network("::/96")  # IPv4-compatible (deprecated), e.g. ::a.b.c.d

METADATA_REASON = "a cloud metadata address"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def embedded_ipv4(addr: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to, in any form a socket or a gateway honours:
    IPv4-mapped (``::ffff:a.b.c.d``), IPv4-translated, IPv4-compatible (``::a.b.c.d``), NAT64
    (``64:ff9b::/96``) and 6to4 (``2002::/16``)."""
    if not isinstance(addr, ipaddress.IPv6Address):
        return None
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    low = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr in _NAT64 or addr in _SIIT:
        return low
    if addr in _COMPATIBLE and int(addr) > 1:  # not :: nor ::1
        return low
    return None


def _reason(addr: IPAddress) -> str | None:
    if addr in _METADATA_ADDRESSES:
        return METADATA_REASON
    if addr.is_unspecified:
        return "an unspecified address"
    if addr.is_loopback:
        return "a loopback address"
    if addr.is_link_local:
        return "a link-local address"
    if addr.is_multicast:
        return "a multicast address"
    if any(addr in net for net in _PRIVATE_NETWORKS if net.version == addr.version):
        return "a private address"
    if addr.version == 4 and addr in _SHARED_NETWORK:
        return "a shared (carrier-grade NAT) address"
    if (
        not addr.is_global
        or any(addr in net for net in _SPECIAL_NETWORKS if net.version == addr.version)
        or (addr.version == 6 and addr not in _GLOBAL_UNICAST)
    ):
        return "a special-purpose address, not a public one"
    return None


def address_refusal(ip: str) -> str | None:
    """Why Forumdeck will not contact this address, or None when it is globally routable.

    An IPv6 address that carries an IPv4 address is judged by the IPv4 address it leads to, so
    ``[::ffff:169.254.169.254]``, ``[64:ff9b::a9fe:a9fe]`` or ``[::169.254.169.254]`` are the
    metadata address they hide. Text that is not an IP address gives None (names are resolved
    first)."""
    addr = _parse_ip(ip)
    if addr is None:
        return None
    if addr.is_loopback or addr.is_unspecified:
        return _reason(addr)
    inner = embedded_ipv4(addr)
    return _reason(inner) if inner is not None else _reason(addr)


class AddressPolicy:
    """Which hosts may be reached although they are not globally routable.

    Entries are host names or IP literals, matched against the host written in the forum's
    address (so ``127.0.0.1`` allows ``http://127.0.0.1:4200`` but not a name that merely
    resolves there), or networks in CIDR form (``10.0.0.0/8``), matched against the address
    actually connected to. Cloud metadata addresses are refused whatever is listed.
    """

    def __init__(self, allow_hosts: Iterable[str] = ()) -> None:
        self.names: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow_hosts:
            entry = entry.strip().lower().strip("[]")
            if not entry:
                continue
            if "/" in entry:
                try:
                    self.networks.append(ipaddress.ip_network(entry, strict=False))
                    continue
                except ValueError:
                    pass
            self.names.add(entry)

    def refusal(self, host: str, ip: str) -> str | None:
        """Why ``host`` (reached at ``ip``) is refused, or None."""
        reason = address_refusal(ip)
        if reason is None or reason == METADATA_REASON:
            return reason
        if host.lower().strip("[]") in self.names:
            return None
        addr = _parse_ip(ip)
        if addr is not None and any(
            addr in net for net in self.networks if net.version == addr.version
        ):
            return None
        return reason


def _refusal_message(subject: str, reason: str) -> str:
    if reason == METADATA_REASON:
        return f"{subject} {reason}, which Forumdeck never contacts."
    return (
        f"{subject} {reason}, which Forumdeck never contacts: it only reaches globally "
        "routable addresses. For a forum on your own network, list its host in "
        "FORUMDECK_ALLOW_PRIVATE_HOSTS."
    )


class BlockedAddress(Exception):
    """Raised from inside a connection attempt that reached a refused address.

    Deliberately not an ``OSError``, so urllib3 and requests let it through unwrapped.
    """

    def __init__(self, host: str, ip: str, reason: str) -> None:
        self.host, self.ip, self.reason = host, ip, reason
        super().__init__(f"{host} resolves to {ip}, {reason}")


class _CallWatch:
    """The total deadline of one call.

    A read timeout only bounds each wait for the next bytes: a forum that trickles its answer
    a byte at a time never trips it. Past the deadline this shuts the call's sockets down, so
    whatever read is blocked returns at once and the call ends with a plain error.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                self._shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _CallWatch:
        _current.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        _current.watch = None


_current = threading.local()


def _watch_socket(sock: socket.socket | None) -> None:
    watch = getattr(_current, "watch", None)
    if watch is not None:
        watch.watch(sock)


# The mixin runs on urllib3's connections; tell the type checker so (at run time it stays a
# plain mixin, so the MRO of the two guarded classes below is unchanged).
if TYPE_CHECKING:
    _ConnectionBase = HTTPConnection
else:
    _ConnectionBase = object


class _GuardedConnectionMixin(_ConnectionBase):
    policy: ClassVar[AddressPolicy] = AddressPolicy()

    def _new_conn(self) -> socket.socket:
        # Refuse before connecting if the name resolves to a refused address, then check the
        # address actually reached, in case the name resolved differently the second time.
        host = getattr(self, "_dns_host", None) or self.host
        try:
            infos = socket.getaddrinfo(host, self.port, type=socket.SOCK_STREAM)
        except OSError:
            infos = []  # urllib3 reports the DNS failure in its own words below
        for info in infos:
            reason = self.policy.refusal(self.host, str(info[4][0]))
            if reason:
                raise BlockedAddress(self.host, str(info[4][0]), reason)
        sock = super()._new_conn()
        try:
            peer = sock.getpeername()[0]
        except OSError:
            return sock
        reason = self.policy.refusal(self.host, peer)
        if reason:
            sock.close()
            raise BlockedAddress(self.host, peer, reason)
        return sock

    def connect(self) -> None:
        super().connect()
        _watch_socket(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch_socket(self.sock)  # a kept-alive connection
        super().request(*args, **kwargs)


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class GuardedAdapter(HTTPAdapter):
    """Checks the address actually connected to, so DNS tricks cannot reach private or
    metadata addresses, and lets a call's deadline shut its sockets."""

    def __init__(self, policy: AddressPolicy | None = None) -> None:
        policy = policy or AddressPolicy()
        attrs = {"policy": policy}
        http_conn = type("_HTTPConnection", (_GuardedHTTPConnection,), attrs)
        https_conn = type("_HTTPSConnection", (_GuardedHTTPSConnection,), attrs)
        self._pool_classes = {
            "http": type("_HTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
            "https": type("_HTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
        }
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(self._pool_classes)


def check_base_url(
    url: str,
    *,
    allow_http_hosts: Iterable[str] = (),
    allow_private_hosts: Iterable[str] = (),
    resolve: bool = False,
) -> str:
    """Validate a forum base URL by policy; return it normalised (no trailing slash).

    https is required unless the host is listed in ``FORUMDECK_ALLOW_HTTP_HOSTS``. Only
    globally routable addresses are accepted unless the host is listed there or in
    ``FORUMDECK_ALLOW_PRIVATE_HOSTS``: an address written as an IP is checked here, a name
    too when ``resolve`` (the form does), and every connection again at connect time.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ForumURLRefused("The address must start with https:// and name a host.")
    if parts.username or parts.password:
        raise ForumURLRefused("Put credentials in the API key field, not in the address.")
    if parts.query or parts.fragment:
        raise ForumURLRefused("The address must not contain a query string or a fragment.")
    host = parts.hostname.lower()
    http_hosts = [h for h in allow_http_hosts if h.strip()]
    allowed = {h.strip().lower().strip("[]") for h in http_hosts}
    if parts.scheme == "http" and host not in allowed:
        raise ForumURLRefused(
            f"Plain http is refused for {host}: use https (or list the host in "
            "FORUMDECK_ALLOW_HTTP_HOSTS for a local test forum)."
        )
    policy = AddressPolicy([*http_hosts, *allow_private_hosts])
    reason = policy.refusal(host, host)
    if reason:
        raise ForumURLRefused(_refusal_message(f"{host} is", reason))
    if resolve and _parse_ip(host) is None:
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, ValueError):
            infos = []  # not resolvable now: the connection says so in its own words
        for info in infos:
            ip = str(info[4][0])
            reason = policy.refusal(host, ip)
            if reason:
                raise ForumURLRefused(_refusal_message(f"{host} resolves to {ip},", reason))
    return url.strip().rstrip("/")


DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024
# Forum APIs nest a dozen levels at most; deeper is a broken or hostile answer.
DEFAULT_MAX_JSON_DEPTH = 64
_CHUNK_BYTES = 64 * 1024


def _size(n: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n} bytes"


def parse_json(body: bytes | str, *, max_depth: int = DEFAULT_MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses nesting deeper than ``max_depth`` with a ForumBadResponse
    (instead of a RecursionError past every handler). Invalid JSON raises ValueError."""
    too_deep = ForumAnswerTooDeep(
        f"The forum's answer nests its data more than {max_depth} levels deep, which no forum "
        "API does, so Forumdeck did not use it."
    )
    try:
        data = json.loads(body)
    except RecursionError:
        raise too_deep from None
    stack: list[tuple[Any, int]] = [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value
        if depth > max_depth:
            raise too_deep
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return data


def _cause_chain(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
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
        allow_private_hosts: Iterable[str] = (),
        settings: Mapping[str, Any] | None = None,
        pacer: Callable[[], Any] | None = None,
        deadline: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_json_depth: int = DEFAULT_MAX_JSON_DEPTH,
    ) -> None:
        allow_http_hosts = list(allow_http_hosts)
        allow_private_hosts = list(allow_private_hosts)
        self.base_url = check_base_url(
            base_url, allow_http_hosts=allow_http_hosts, allow_private_hosts=allow_private_hosts
        )
        self.name = name or urlsplit(self.base_url).hostname or self.base_url
        self.timeout = timeout
        # The whole call, answer included; a little over the timeout by default.
        self.deadline = deadline if deadline is not None else timeout + 5.0
        self.max_response_bytes = max_response_bytes
        self.max_json_depth = max_json_depth
        self.api_username = api_username
        # The platform's own settings (``ForumClient.settings_schema``), secrets opened.
        self.settings: dict[str, Any] = dict(settings or {})
        # Called before every request: the forum's slot book plugs in here (get_client).
        self.pacer = pacer
        self.calls = 0
        self._calls_lock = threading.Lock()
        # Called in each thread ``together`` started, when its job ends (``get_client`` closes
        # the thread's database connections there: the pacer's book may have opened one).
        self.thread_done: Callable[[], None] | None = None
        self.__api_key = api_key
        self._policy = AddressPolicy([*allow_http_hosts, *allow_private_hosts])
        self._thread = threading.local()
        self._session = self._new_session()
        self._session.headers.update({"User-Agent": self.user_agent, "Accept": "application/json"})
        self._session.headers.update(self.auth_headers(api_key))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.base_url}>"

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # no proxies or netrc credentials from the environment
        session.mount("http://", GuardedAdapter(self._policy))
        session.mount("https://", GuardedAdapter(self._policy))
        return session

    @property
    def session(self) -> requests.Session:
        """The client's session; inside a job of ``together``, that thread's own copy."""
        return getattr(self._thread, "session", None) or self._session

    # --- several calls at once ---------------------------------------------------------------
    def together(self, *jobs: Callable[[], Any]) -> list[Any]:
        """Run ``jobs`` (each one or a few calls to this forum) at the same time and return
        what each returned, in order, or the exception it raised in its place.

        A ``requests.Session`` is not safe across threads, so each job after the first (which
        runs in the calling thread) sends through a session of its own, made like this one:
        the same headers (the key among them), hooks and address guard. Every call still goes
        through ``send``: the pacer, the timeout, the deadline and the call count hold."""
        if not jobs:
            return []

        def outcome(job: Callable[[], Any]) -> Any:
            try:
                return job()
            except Exception as exc:  # noqa: BLE001 - the caller reads each job's own failure
                return exc

        def in_thread(job: Callable[[], Any]) -> Any:
            session = self._new_session()
            session.headers = CaseInsensitiveDict(self._session.headers)
            session.hooks = {event: list(hooks) for event, hooks in self._session.hooks.items()}
            self._thread.session = session
            try:
                return outcome(job)
            finally:
                self._thread.session = None
                session.close()
                if self.thread_done is not None:
                    self.thread_done()

        if len(jobs) == 1:
            return [outcome(jobs[0])]
        # One thread per job, beside the caller's: a health check has at most a handful.
        with ThreadPoolExecutor(
            max_workers=len(jobs) - 1, thread_name_prefix="forum-calls"
        ) as pool:
            futures = [pool.submit(in_thread, job) for job in jobs[1:]]
            first = outcome(jobs[0])
            return [first, *(future.result() for future in futures)]

    # --- to be described by each platform ----------------------------------------------------
    def auth_headers(self, api_key: str) -> dict[str, str]:
        raise NotImplementedError

    def error_message(self, response: requests.Response, payload: Any) -> str:
        """The forum's own words for a failure, if it gave any."""
        return ""

    # --- one explanation per failure ---------------------------------------------------------
    # The health check and every call build these errors, so the Test button, the overview
    # card, a search row and a person page say the same thing about the same failure.
    # ``ForumClient`` words them for its platform.
    def credentials_refused(
        self, *, status: int | None = None, detail: str = ""
    ) -> ForumUnauthorized:
        """The key (or the user it acts as) is not accepted. ``detail``: the forum's own words,
        which a platform shows only where they are about the key (NodeBB's are about browser
        sessions: "A valid login session was not found")."""
        return ForumUnauthorized(status=status)

    def not_admin(self, *, status: int | None = None) -> ForumNotAdmin:
        """The key works, but not as an administrator."""
        return ForumNotAdmin(status=status)

    def not_this_software(self, *, detail: str = "", status: int | None = None) -> ForumNotAForum:
        """The address answers, but not as this platform's API does."""
        return ForumNotAForum(
            " ".join(
                part
                for part in (
                    "The address answers, but not like the forum's API.",
                    detail,
                    "Check the address (the forum's base URL) and the forum software.",
                )
                if part
            ),
            status=status,
        )

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
        url = self.url(path)
        with self._take_slot(), _CallWatch(self.deadline) as watch:
            started = time.monotonic()
            with self._calls_lock:
                self.calls += 1
            try:
                # stream=True: the body is read below, in chunks, up to the size limit.
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
                    stream=True,
                )
            except BlockedAddress as exc:
                raise ForumURLRefused(
                    _refusal_message(f"{exc.host} resolves to {exc.ip},", exc.reason)
                ) from None
            except requests.RequestException as exc:
                self._log(method, path, None, started)
                if watch.expired:
                    raise self._too_slow() from None
                raise self._transport_error(exc) from None
            try:
                self._read_body(response, watch)
            except BaseException:
                response.close()
                self._log(method, path, response.status_code, started)
                raise
        self._log(method, path, response.status_code, started)
        if response.headers.get(FORUMDECK_HEADER):
            raise ForumIsForumdeck(status=response.status_code)
        if response.status_code not in keep_status:
            self.raise_for_status(response)
        return response

    @contextlib.contextmanager
    def _take_slot(self) -> Iterator[None]:
        """Wait for the forum's pace; when the call is over (answered or not), tell a pacer that
        wants to know (``finished``, like ``forums.pacing.Pace``): the forum counted the
        call by then at the latest."""
        try:
            booking = self.pacer() if self.pacer is not None else None
        except SlotRefused as refused:
            raise ForumRateLimited(
                str(refused), status=None, retry_after=refused.retry_after
            ) from None
        finished = getattr(self.pacer, "finished", None)
        try:
            yield
        finally:
            if finished is not None and booking is not None:
                finished(booking)

    def _read_body(self, response: requests.Response, watch: _CallWatch) -> None:
        """Read the answer into ``response.content``: at most ``max_response_bytes`` (after
        decompression), before the call's deadline; anything else is a ForumBadResponse and
        nothing of it is kept."""
        limit = self.max_response_bytes
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            raise self._too_large(status=response.status_code)
        body = bytearray()
        try:
            for chunk in response.iter_content(_CHUNK_BYTES):
                body += chunk
                if len(body) > limit:
                    raise self._too_large(status=response.status_code)
        except requests.RequestException as exc:
            if watch.expired:
                raise self._too_slow() from None
            raise self._transport_error(exc) from None
        if watch.expired:  # the deadline cut the answer short; what arrived is incomplete
            raise self._too_slow()
        response._content = bytes(body)
        response._content_consumed = True  # type: ignore[attr-defined]  # requests' private flag

    def _too_large(self, *, status: int | None) -> ForumAnswerTooLarge:
        return ForumAnswerTooLarge(
            f"The forum's answer was larger than {_size(self.max_response_bytes)}, so "
            "Forumdeck stopped reading it (FORUMDECK_MAX_RESPONSE_BYTES). A forum API does not "
            "answer this much: check the address, or raise the limit if this forum is huge.",
            status=status,
        )

    def _too_slow(self) -> ForumAnswerTooSlow:
        return ForumAnswerTooSlow(
            f"{urlsplit(self.base_url).netloc} took longer than {self.deadline:g} seconds to "
            "send its whole answer, so Forumdeck stopped waiting (FORUMDECK_HTTP_DEADLINE). "
            "The forum may be overloaded; try again later."
        )

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
            # The forum's own words here are about browser sessions ("A valid login session
            # was not found"), not about the key Forumdeck sends: say that instead.
            raise self.credentials_refused(status=status, detail=own)
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

    def _parse_json(self, response: requests.Response) -> Any:
        try:
            return parse_json(response.content, max_depth=self.max_json_depth)
        except UnicodeDecodeError:
            # Not UTF-8/16/32: decode as the forum declared (what requests' .json() did).
            return parse_json(response.text, max_depth=self.max_json_depth)

    def _try_json(self, response: requests.Response) -> Any:
        """The answer as JSON for reading the forum's error text; None when it is not JSON
        (or too deeply nested to be an error message)."""
        try:
            return self._parse_json(response)
        except (ValueError, ForumBadResponse):
            return None

    def decode(self, response: requests.Response, *, expect: str = "json") -> Any:
        if expect == "bytes":
            return response.content
        if expect == "text":
            return response.text
        if response.status_code == 204 or not response.content:
            return None
        try:
            return self._parse_json(response)
        except ForumBadResponse as exc:
            exc.status = response.status_code
            raise
        except ValueError:
            pass
        content_type = response.headers.get("Content-Type", "")
        # The start is enough to recognise a web page; decoding all of it could guess a
        # charset over megabytes.
        head = response.content[:200].decode("utf-8", "replace").lstrip().lower()
        if "html" in content_type or head.startswith(("<!doctype", "<html", "<")):
            raise self.not_this_software(
                detail="It answered with a web page, not the forum's API (HTML where JSON was "
                "expected).",
                status=response.status_code,
            )
        raise ForumBadResponse(
            "The forum's answer was not valid JSON.", status=response.status_code
        )

    def close(self) -> None:
        flush = getattr(self.pacer, "flush", None)  # answers a batched pacer kept back
        try:
            if flush is not None:
                flush()
        finally:
            self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- helpers -----------------------------------------------------------------------------
    @staticmethod
    def unwrap(outcome: Any) -> Any:
        """One outcome of ``together``: the value, or its exception raised again."""
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

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
