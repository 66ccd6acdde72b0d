"""A loopback endpoint for the sandboxes' webhooks: it keeps what it is sent (the ``receiver``
fixture of tests/sandbox/conftest.py)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """A loopback endpoint that keeps what it is sent."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.ready = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.ready:
                    outer.deliveries.append((dict(self.headers), body))
                    outer.ready.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait(self, count: int, timeout: float = 10.0) -> list[tuple[dict[str, str], bytes]]:
        with self.ready:
            self.ready.wait_for(lambda: len(self.deliveries) >= count, timeout)
        return list(self.deliveries)

    def events(self) -> list[str]:
        return [h["X-Discourse-Event"] for h, _ in self.deliveries]
