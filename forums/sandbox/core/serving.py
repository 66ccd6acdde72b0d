"""Serving a sandbox on a loopback port from a background thread."""

from __future__ import annotations

import socket
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import SandboxApp


class _KeepAliveHandler(WSGIRequestHandler):
    """HTTP/1.1 with keep-alive, as real forums answer (one connection per client session)."""

    protocol_version = "HTTP/1.1"

    def log_request(self, *args, **kwargs) -> None:
        pass


class RunningSandbox:
    """A sandbox served on a loopback port from a background thread.

    ``stop()`` returns as soon as the serving loop has ended: the loop blocks in ``select``
    without a polling timeout, and stopping wakes it with a connection of its own instead of
    waiting for socketserver's half-second poll.
    """

    def __init__(self, app: SandboxApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.server = make_server(host, port, app, threaded=True, request_handler=_KeepAliveHandler)
        self.server.daemon_threads = True
        self.host = host
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        # poll_interval=None: no wake-ups while idle; stop() wakes the loop itself.
        self.server.serve_forever(poll_interval=None)

    def serve(self, app: SandboxApp) -> RunningSandbox:
        """Answer with ``app`` from now on, on the same port (a test's fresh forum on a server
        its module shares)."""
        self.app = app
        self.server.app = app
        return self

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> RunningSandbox:
        self.thread.start()
        return self

    def stop(self) -> None:
        if not self.thread.is_alive():
            self.server.server_close()
            return
        # shutdown() raises its flag and waits; the loop only sees the flag once select()
        # returns, so a throwaway connection wakes it (again, should it arrive before the flag).
        stopper = threading.Thread(target=self.server.shutdown, daemon=True)
        stopper.start()
        wake_host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host  # noqa: S104
        while stopper.is_alive():
            try:
                socket.create_connection((wake_host, self.port), timeout=1).close()
            except OSError:
                break  # the listening socket is gone: the loop has ended
            stopper.join(0.005)
        stopper.join(5)
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningSandbox:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
