"""Asking every forum at once: answers come as each forum gives them, a silent forum is named."""

from __future__ import annotations

import threading
import time

import pytest

from forums.clients.errors import ForumError
from forums.core.fleet import (
    ForumDidNotAnswer,
    fan_out,
    fan_out_batches,
    fan_out_stream,
)
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
    # Every job waits until all 20 are running: with fewer threads than forums the barrier
    # breaks (and the answers are errors) instead of passing slowly.
    together = threading.Barrier(20, timeout=10)

    def job(connection):
        together.wait()
        return connection.pk

    answers = fan_out(connections, job, "t")
    assert [a for _, a in answers] == list(range(1, 21))  # in the connections' order


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


def test_answers_that_came_in_together_come_as_one_batch():
    connections = forums(4)
    first_taken = threading.Event()
    others_done = threading.Event()
    finished = []

    def job(connection):
        if connection.pk != 1:
            first_taken.wait(5)  # the other three answer while the caller handles the first
            finished.append(connection.pk)
            if len(finished) == 3:
                others_done.set()
        return connection.pk

    batches = fan_out_batches(connections, job, "t", deadline=5)
    first = next(batches)
    assert [(c.pk, a) for c, a in first] == [(1, 1)]
    first_taken.set()
    assert others_done.wait(5)
    time.sleep(0.1)  # from a job's return to its future's result
    rest = list(batches)
    assert [[c.pk for c, _ in batch] for batch in rest] == [[2, 3, 4]]  # connections' order


def test_a_batch_names_every_forum_still_silent_at_the_deadline():
    release = threading.Event()

    def job(connection):
        if connection.pk > 1:
            release.wait(5)
        return connection.pk

    try:
        batches = list(fan_out_batches(forums(3), job, "t", deadline=0.3))
    finally:
        release.set()
    assert [[c.pk for c, _ in batch] for batch in batches] == [[1], [2, 3]]
    assert all(isinstance(a, ForumDidNotAnswer) for _, a in batches[1])


def test_with_a_grace_the_silent_forum_is_given_up_on_soon_after_the_others_answered():
    release = threading.Event()
    connections = forums(3)

    def job(connection):
        if connection.pk == 1:  # hangs until released, far past the grace
            release.wait(30)
            return "late"
        return "ok"

    try:
        # Returning at all proves it: the silent job can end only once released, below.
        answers = dict(fan_out(connections, job, "t", deadline=30, grace=0.05))
    finally:
        release.set()
    assert answers[connections[1]] == answers[connections[2]] == "ok"
    assert isinstance(answers[connections[0]], ForumDidNotAnswer)
