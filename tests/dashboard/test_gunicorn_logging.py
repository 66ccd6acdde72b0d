"""The access log never holds a calendar feed's token."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config

from dashboard.gunicorn_logging import RedactingLogger, redact

TOKEN = "Qm9vbS1zZWNyZXQtdG9rZW4tdGhhdC1tdXN0LW5vdC1sZWFr"


def test_the_feed_token_is_written_as_an_ellipsis():
    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/forums/calendar/feed/{TOKEN}.ics",
        "PATH_INFO": f"/forums/calendar/feed/{TOKEN}.ics",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "QUERY_STRING": "",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, timedelta(seconds=1))
    assert atoms["r"] == "GET /forums/calendar/feed/….ics HTTP/1.1"
    assert TOKEN not in repr(atoms)
    assert redact("/forums/backups/3/") == "/forums/backups/3/"
