"""The embedded SQLite database under concurrent writers: WAL, a busy timeout and IMMEDIATE
transactions, so people signing in while someone else writes wait a moment instead of getting
a 500 "database is locked" (issue 13, finding 7)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

from forums.roles import VIEWER
from tests.processes import database_url_for_workers

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL has row locks; this is about the embedded SQLite database.")


# Each writer reads, then writes, in one transaction, many times over: under SQLite's default
# (DEFERRED) transactions two of these deadlock and one fails at once with "database is
# locked", whatever the busy timeout.
WRITER = textwrap.dedent(
    """
    import os, sys, time, django
    django.setup()
    from django.contrib.auth.models import Group
    from django.db import transaction
    me, rounds, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    for i in range(rounds):
        with transaction.atomic():
            Group.objects.filter(name__startswith="writer-").count()
            Group.objects.create(name=f"writer-{me}-{i}")
            if hold:
                print("holding", flush=True)  # the write lock is taken
                time.sleep(hold)  # a long write, like parsing a huge upload used to be
    print("done", me)
    """
)


def _writer(name: str, rounds: int, hold: float = 0.0) -> subprocess.Popen:
    import os

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "DATABASE_URL": database_url_for_workers(),
    }
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, name, str(rounds), str(hold)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_database_runs_in_wal_mode_with_a_busy_timeout():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
    assert connection.transaction_mode == "IMMEDIATE"


def test_several_processes_writing_at_once_never_see_database_is_locked():
    writers = [_writer(f"p{n}", rounds=30) for n in range(4)]
    results = [w.communicate(timeout=120) for w in writers]
    for writer, (out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, err[-2000:]
        assert "database is locked" not in err
    assert Group.objects.filter(name__startswith="writer-").count() == 4 * 30


def test_people_sign_in_while_a_long_write_holds_the_database(make_user):
    for name in ("amy", "bob", "cat"):
        make_user(name, VIEWER)
    # Holds the write lock for about 3 s in all (three transactions of 1 s).
    holder = _writer("holder", rounds=3, hold=1.0)
    # Let it take the lock first: it says so (however long a busy machine takes to start it).
    assert holder.stdout.readline().strip() == "holding"
    outcomes: dict[str, object] = {}

    def sign_in(name: str) -> None:
        try:
            client = Client()
            # One wrong password, then the right one: both write (axes, the session).
            client.post("/accounts/login/", {"username": name, "password": "wrong"})
            response = client.post(
                "/accounts/login/", {"username": name, "password": f"pw-{name}-123"}
            )
            outcomes[name] = response.status_code
        except Exception as exc:  # what a person would get as a 500
            outcomes[name] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_in, args=(n,)) for n in ("amy", "bob", "cat")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    out, err = holder.communicate(timeout=60)
    assert holder.returncode == 0, err[-2000:]
    assert outcomes == {"amy": 302, "bob": 302, "cat": 302}
