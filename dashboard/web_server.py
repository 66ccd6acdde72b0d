"""How the dashboard's gunicorn is sized by default: ``manage.py runstack`` and the bench use
these; docker/entrypoint.sh computes the same in shell (``default_web_workers``). No Django
imports: the bench reads it before settings are configured."""

from __future__ import annotations

import os

# Threads per gunicorn worker: a request waiting on a slow forum holds one thread, not a worker.
WEB_THREADS = 8


def default_web_workers() -> int:
    """gunicorn workers: one per core and one more, at most 6 (docker/entrypoint.sh's default
    too). A worker's threads wait on forums side by side, but its Python runs one thread at a
    time (the GIL), so only processes spread page work over every core: with 2 workers on 2
    cores, 20 people at once used 1.7 cores."""
    return min((os.cpu_count() or 1) + 1, 6)
