"""Prism (Stoplight's mock server) serving the official specs on loopback.

Prism answers 404/405/415/422 when a request does not match the spec, so a client call that
reaches Prism and gets a 2xx was shaped as the spec says. Given an ``upstream``, Prism runs as a
validating proxy instead (``prism proxy <spec> <upstream> --errors``): it forwards each valid
request and reports what the upstream answered against the spec. Install: `make prism` (npm).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SPECS = Path(os.environ.get("FORUMDECK_SPECS_DIR", ROOT.parent / "shared" / "specs"))
PRISM = ROOT / ".cache" / "prism" / "node_modules" / ".bin" / "prism"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrismServer:
    def __init__(self, spec: Path, log: Path, upstream: str | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_file = log.open("w")
        mode = ["proxy", str(spec), upstream, "--errors"] if upstream else ["mock", str(spec)]
        self.process = subprocess.Popen(
            [str(PRISM), *mode, "-h", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Prism exited early: {log.read_text()[-2000:]}")
            try:
                requests.get(self.url + "/__prism_ready__", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("Prism did not start within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log_file.close()


def prism_available() -> bool:
    return PRISM.exists() and shutil.which("node") is not None


@pytest.fixture(scope="session")
def start_prism(tmp_path_factory):
    """Factory: start_prism(spec_path[, upstream=url]) -> PrismServer (a mock, or a validating
    proxy in front of ``upstream``), stopped at the end of the session."""
    if not prism_available():
        if os.environ.get("FORUMDECK_REQUIRE_ALL"):
            pytest.fail("Prism is not installed (run `make prism`); CI requires contract tests.")
        pytest.skip("Prism is not installed: run `make prism` (needs node and npm).")
    servers: list[PrismServer] = []

    def start(spec: Path, upstream: str | None = None) -> PrismServer:
        log = tmp_path_factory.mktemp("prism") / "prism.log"
        server = PrismServer(spec, log, upstream)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
