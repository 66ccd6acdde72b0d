"""Asking every forum at once: answers come as each forum gives them, a silent forum is named."""

from __future__ import annotations

import threading
import time

import pytest

from forums.clients.errors import ForumError
from forums.connections.selectors import ForumDidNotAnswer, fan_out, fan_out_stream
from forums.models import ForumConnection


def forums(n: int) -> list[ForumConnection]:
    # Unsaved rows are enough: the jobs only read the name and pk.
    return [ForumConnection(pk=i + 1, name=f"forum-{i + 1}") for i in range(n)]


def test_answers_arrive_as_each_forum_gives_them_and_the_silent_one_is_named_last():
    release = threading.Event()
    connections = forums(3)

    def job(connection):
        if connection.pk == 1:  # the first forum hangs until the test ends
            release.wait(5)
            return "late"
        if connection.pk == 2:
            raise ForumError("wrong key")
        return "ok"

    try:
        arrived = [(c.name, a) for c, a in fan_out_stream(connections, job, "t", deadline=0.5)]
    finally:
        release.set()
    names = [name for name, _ in arrived]
    assert sorted(names[:2]) == ["forum-2", "forum-3"]
    assert names[2] == "forum-1"
    answers = dict(arrived)
    assert answers["forum-3"] == "ok"
    assert str(answers["forum-2"]) == "wrong key"
    assert isinstance(answers["forum-1"], ForumDidNotAnswer)
    assert "forum-1 did not answer within 0.5 seconds" in str(answers["forum-1"])


def test_every_forum_is_asked_at_once_however_many_there_are():
    connections = forums(20)
    running = []
    lock = threading.Lock()
    peak = 0

    def job(connection):
        nonlocal peak
        with lock:
            running.append(connection.pk)
            peak = max(peak, len(running))
        time.sleep(0.2)
        with lock:
            running.remove(connection.pk)
        return connection.pk

    answers = fan_out(connections, job, "t")
    assert [a for _, a in answers] == list(range(1, 21))  # in the connections' order
    assert peak == 20


@pytest.mark.django_db
def test_threads_close_the_database_connections_they_opened():
    from django.db import connections as db_connections

    opened = []

    def job(connection):
        ForumConnection.objects.exists()  # opens this thread's own connection
        opened.append(db_connections["default"])
        return True

    list(fan_out_stream(forums(2), job, "t"))
    assert len(opened) == 2
    # Left open, each would hold a PostgreSQL connection until the process ends.
    assert all(wrapper.connection is None for wrapper in opened)
