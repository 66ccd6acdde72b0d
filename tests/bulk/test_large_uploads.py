"""A million-line CSV proposed while three people sign in: no one sees "database is locked",
the web process's memory stays bounded, and the list is kept whole (issue 13, finding 7).

The web side is a real gunicorn (gthread) process against the test database, so its memory is
its own to measure; the planning task's step that reads the list runs here, at the same time
as the sign-ins.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.db import connection

from forums.bulk import engine
from forums.core.targets import TargetParser
from forums.models import BulkAction, BulkActionItem, BulkTargetChunk
from forums.roles import MODERATOR, VIEWER
from tests.factories import ForumConnectionFactory
from tests.processes import database_url_for_workers, wait_for

ROOT = Path(__file__).resolve().parents[2]
LINES = 1_000_000
# How long any one request or wait may take before the test gives up: generous, so a busy
# machine slows the test down instead of failing it.
TIMEOUT = 600
# Storing a list's items may take at most this many times as long as reading the list.
PARSE_OVER_READ = 12  # measured: 3.5 with the load average at 11 on 2 cores

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@dataclass
class Web:
    url: str
    process: subprocess.Popen
    log: Path

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = children.read_text().split()
        assert len(pids) == 1, pids
        return int(pids[0])

    def peak_rss_mb(self) -> float:
        """The web worker's peak resident memory so far (VmHWM), in MB."""
        status = Path(f"/proc/{self.worker_pid()}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def web(tmp_path) -> Iterator[Web]:
    port = _free_port()
    log = tmp_path / "web.log"
    env = {
        **os.environ,
        # The real settings with the suite's fast password hasher (tests/settings.py), without
        # the failed sign-in limit: three people signing in again and again for as long as the
        # upload lasts (minutes on a busy machine) would reach it, and a 429 would hide whether
        # the sign-in's database writes got through. The limit counts in the cache, not the
        # database, so nothing this test is about changes.
        "DJANGO_SETTINGS_MODULE": "tests.settings_without_signin_limit",
        "DATABASE_URL": database_url_for_workers(),
        "XDG_RUNTIME_DIR": str(tmp_path),
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "dashboard.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread", "--workers", "1",
             "--threads", "8", "--timeout", "900", "--no-control-socket"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    server = Web(f"http://127.0.0.1:{port}", process, log)

    def answers() -> bool:
        with contextlib.suppress(requests.RequestException):
            return requests.get(server.url + "/accounts/login/", timeout=10).status_code == 200
        return False

    try:
        wait_for(answers, timeout=TIMEOUT, what="gunicorn to answer", on_fail=server.output)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def signed_in(url: str, username: str) -> requests.Session:
    session = requests.Session()
    session.get(url + "/accounts/login/", timeout=TIMEOUT)
    response = session.post(
        url + "/accounts/login/",
        {"username": username, "password": f"pw-{username}-123",
         "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        allow_redirects=False, timeout=TIMEOUT,
    )  # fmt: skip
    assert response.status_code == 302, response.text[-500:]
    return session


def sign_in_until(url: str, username: str, done: threading.Event, outcomes: list) -> None:
    """Sign in again and again (a wrong password, then the right one: both write) until
    ``done``; every answer is kept."""
    while True:
        try:
            session = requests.Session()
            session.get(url + "/accounts/login/", timeout=TIMEOUT)
            token = session.cookies["csrftoken"]
            for password in ("wrong", f"pw-{username}-123"):
                response = session.post(
                    url + "/accounts/login/",
                    {"username": username, "password": password, "csrfmiddlewaretoken": token},
                    allow_redirects=False, timeout=TIMEOUT,
                )  # fmt: skip
                outcomes.append((username, password != "wrong", response.status_code))
        except requests.RequestException as exc:
            outcomes.append((username, None, repr(exc)))
        if done.wait(0.1):
            return


def test_a_million_line_csv_beside_three_sign_ins(web, make_user, tmp_path):
    make_user("moe", MODERATOR)
    for name in ("amy", "bob", "cat"):
        make_user(name, VIEWER)
    forum = ForumConnectionFactory(name="Big forum")
    csv_path = tmp_path / "million.csv"
    with csv_path.open("w") as out:
        out.write("email\n")
        for n in range(LINES):
            out.write(f"person{n:07d}@example.com\n")
    text = csv_path.read_text()

    moe = signed_in(web.url, "moe")
    form = moe.get(web.url + "/forums/bulk/new/", timeout=TIMEOUT)
    assert form.status_code == 200
    baseline = web.peak_rss_mb()

    done = threading.Event()
    outcomes: list = []
    people = [
        threading.Thread(target=sign_in_until, args=(web.url, name, done, outcomes))
        for name in ("amy", "bob", "cat")
    ]
    for person in people:
        person.start()
    try:
        with csv_path.open("rb") as upload:
            response = moe.post(
                web.url + "/forums/bulk/new/",
                data={"connections": [forum.pk], "kind": "group_add", "group": "translators",
                      "targets": "", "csrfmiddlewaretoken": moe.cookies["csrftoken"]},
                files={"csv_file": ("million.csv", upload, "text/csv")},
                allow_redirects=False, timeout=TIMEOUT,
            )  # fmt: skip
        assert response.status_code == 302, response.text[-2000:]
        action = BulkAction.objects.get()
        assert response.headers["Location"] == f"/forums/bulk/{action.pk}/"
        peak = web.peak_rss_mb()
        # The baseline, measured here under the same load: reading the same list with the
        # same parser, without storing anything.
        started = time.monotonic()
        reading = TargetParser(csv=True, keep=engine.LIST_CAP)
        assert sum(1 for _ in reading.targets([text])) == 100_000
        read_seconds = time.monotonic() - started
        # The planning task reads the list meanwhile; the sign-ins go on beside it.
        started = time.monotonic()
        assert engine.parse_action_targets(action) is None
        parse_seconds = time.monotonic() - started
    finally:
        done.set()
        for person in people:
            person.join(timeout=TIMEOUT)
        connection.close()

    # Nobody got an error: every wrong password was refused, every right one signed in.
    assert outcomes and not [o for o in outcomes if o[1] is None]
    assert {(o[1], o[2]) for o in outcomes} == {(False, 200), (True, 302)}, outcomes
    assert {o[0] for o in outcomes} == {"amy", "bob", "cat"}
    assert "database is locked" not in web.output()
    assert " 500 " not in web.output()

    # The web process never held the upload (25 MB), let alone its million targets.
    assert peak - baseline < 60, f"the web worker grew by {peak - baseline:.0f} MB"

    # Kept whole, read by the task: 100,000 targets, and the rest refused out loud.
    stored = "".join(
        BulkTargetChunk.objects.filter(action=action).order_by("seq").values_list("text", flat=True)
    )
    assert hashlib.sha256(stored.encode()).digest() == hashlib.sha256(text.encode()).digest()
    action.refresh_from_db()
    assert BulkActionItem.objects.filter(action=action).count() == 100_000
    assert action.plan["targets"] == 100_000 and action.plan["too_many"]
    assert action.plan["junk_count"] == LINES - 100_000
    page = moe.get(web.url + f"/forums/bulk/{action.pk}/", timeout=TIMEOUT).text
    assert action.state == BulkAction.State.PLANNING
    # Storing the 100,000 items costs a small multiple of reading the list: nothing is read
    # twice or written item by item.
    assert parse_seconds < PARSE_OVER_READ * read_seconds, (parse_seconds, read_seconds)
    assert "Looking up 100000 targets" in page
