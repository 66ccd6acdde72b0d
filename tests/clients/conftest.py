"""A hostile forum on a loopback port: it answers whatever the test sets in ``server.mode``.

A real socket server (not ``responses``), so sizes, trickles and timeouts behave as they do on
the wire.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

MB = 1024 * 1024
# Bounds on everything the server does, so a broken client never makes a test hang.
TRICKLE_MAX_SECONDS = 60.0


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = "ok"
        self.bytes_sent = 0
        self.requests = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def count(self, n: int) -> None:
        with self.lock:
            self.bytes_sent += n


class _Handler(BaseHTTPRequestHandler):
    server: HostileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.server.count(len(data))

    def _headers(self, length: int | None, **extra: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if length is not None:
            self.send_header("Content-Length", str(length))
        else:
            self.send_header("Connection", "close")
        for name, value in extra.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        with self.server.lock:
            self.server.requests += 1
        # The client hanging up is what a bounded client does.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            getattr(self, "answer_" + self.server.mode.replace("-", "_"))()

    do_POST = do_GET  # noqa: N815

    def answer_ok(self) -> None:
        body = json.dumps({"title": "Small forum", "ok": True}).encode()
        self._headers(len(body))
        self._write(body)

    def _fifty_mb(self) -> Iterator[bytes]:
        # Valid JSON of 50 MB: a huge site title, the way a hostile or broken forum might send.
        chunk = b"x" * (1024 * 1024)
        yield b'{"title": "'
        for _ in range(50):
            yield chunk
        yield b'"}'

    def answer_big(self) -> None:
        """50 MB, announced in Content-Length."""
        self._headers(50 * MB + 13)
        for part in self._fifty_mb():
            self._write(part)

    def answer_big_unannounced(self) -> None:
        """50 MB with no Content-Length: the client only learns the size by reading."""
        self._headers(None)
        for part in self._fifty_mb():
            self._write(part)

    def answer_gzip_bomb(self) -> None:
        """A few KB on the wire that unpack to 50 MB."""
        body = gzip.compress(b"".join(self._fifty_mb()), compresslevel=9)
        self._headers(len(body), Content_Encoding="gzip")
        self._write(body)

    def answer_long_title(self) -> None:
        """4 MB: under the 5 MB limit, but no card should show it all."""
        body = b'{"title": "' + b"x" * (4 * 1024 * 1024) + b'"}'
        self._headers(len(body))
        self._write(body)

    def answer_trickle(self) -> None:
        """Headers at once, then the body one byte every 0.2 s: each read is quick, the whole
        answer never ends."""
        self._headers(None)
        started = time.monotonic()
        self._write(b'{"title": "')
        while time.monotonic() - started < TRICKLE_MAX_SECONDS:
            self._write(b"x")
            self.wfile.flush()
            time.sleep(0.2)

    def answer_trickle_headers(self) -> None:
        """Even the status line and headers come a byte at a time."""
        started = time.monotonic()
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Pad: " + b"a" * 10000
        for byte in head:
            if time.monotonic() - started > TRICKLE_MAX_SECONDS:
                break
            self._write(bytes([byte]))
            self.wfile.flush()
            time.sleep(0.2)

    def answer_deep(self) -> None:
        """100,000 nested arrays: past Python's recursion limit."""
        body = b"[" * 100_000 + b"]" * 100_000
        self._headers(len(body))
        self._write(body)

    def answer_deep_object(self) -> None:
        """200 nested objects under a normal-looking top level: parses, but deeper than any
        forum API."""
        inner = '{"a": ' * 200 + "1" + "}" * 200
        body = ('{"title": "Forum", "extra": ' + inner + "}").encode()
        self._headers(len(body))
        self._write(body)


@pytest.fixture
def hostile_server() -> Iterator[HostileServer]:
    server = HostileServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
