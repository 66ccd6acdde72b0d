"""gunicorn's access log without secrets in URLs.

A calendar feed's address carries its token (calendar apps cannot send a header), so the
access log line would hold it; this logger writes ``/forums/calendar/feed/…ics`` instead.
Used by ``make run`` (runstack) and the image's web command (``--logger-class``).
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from dashboard.redaction import redact

__all__ = ["RedactingLogger", "redact"]


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}
