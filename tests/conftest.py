from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import Group

from forums.roles import ADMIN, APPROVER, MODERATOR, VIEWER
from forums.sandbox.registry import SANDBOXES

# Fixtures from modules: the sandbox forums, one set per platform of the sandbox registry
# (<platform>_server, _sandbox, _client, _connection), and real Celery processes (celery_stack).
pytest_plugins = ["tests.sandbox_fixtures", "tests.worker_fixtures"]


@pytest.fixture(autouse=True)
def _isolated_cache(settings, tmp_path):
    """Each test gets its own cache, so health results never leak between tests."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _pacer_threads_book_through_the_test_connection(request, monkeypatch):
    """Every call to a forum books its slot in the database pacer, also from the threads a
    page fans out to (people search, overview, groups...). Under a test's transaction another
    thread's own connection can neither see the test's rows nor write (SQLite: the test holds
    the write lock), so those threads book through the test's connection, one at a time.
    Transactional tests (and the live server) keep a connection per thread, as in production,
    where every booking is its own short transaction."""
    marker = request.node.get_closest_marker("django_db")
    if {"transactional_db", "live_server", "django_db_serialized_rollback"} & set(
        request.fixturenames
    ) or (marker is not None and marker.kwargs.get("transaction")):
        return
    from django.db import connections

    from forums import pacing

    test_connection, test_thread = connections["default"], threading.current_thread()
    lock = threading.RLock()

    def borrowing(method):
        def run(self, *args, **kwargs):
            with lock:  # the test's thread too: it may book while another thread does
                if threading.current_thread() is test_thread:
                    return method(self, *args, **kwargs)
                test_connection.inc_thread_sharing()
                connections["default"] = test_connection
                try:
                    return method(self, *args, **kwargs)
                finally:
                    del connections["default"]
                    test_connection.dec_thread_sharing()

        return run

    for name in ("book", "finished", "hold_until"):
        monkeypatch.setattr(
            pacing.DatabasePacer, name, borrowing(getattr(pacing.DatabasePacer, name))
        )


@pytest.fixture
def make_user(db, django_user_model):
    def make(username: str, *roles: str, **extra):
        user = django_user_model.objects.create_user(
            username=username, password="pw-" + username + "-123", **extra
        )
        for role in roles:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def viewer(make_user):
    return make_user("vera", VIEWER)


@pytest.fixture
def moderator(make_user):
    return make_user("moe", MODERATOR)


@pytest.fixture
def approver(make_user):
    return make_user("april", APPROVER)


@pytest.fixture
def admin_user(make_user):
    return make_user("ada", ADMIN, is_staff=True)


# Historical names of the sandbox keys, for the tests that import them from here.
SANDBOX_DISCOURSE_KEY = SANDBOXES["discourse"].test_key
NODEBB_TOKEN = SANDBOXES["nodebb"].test_key


def _client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    return _client_for(client, viewer)


@pytest.fixture
def moderator_client(client, moderator):
    return _client_for(client, moderator)


@pytest.fixture
def approver_client(client, approver):
    return _client_for(client, approver)


@pytest.fixture
def admin_client_(client, admin_user):
    return _client_for(client, admin_user)
