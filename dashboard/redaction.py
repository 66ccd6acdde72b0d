"""Secrets in URLs never reach a log line or an error report.

A calendar feed's address carries its token (calendar apps cannot send a header). Every log
handler (``LOGGING`` in settings: the console, runserver's request lines, Django's own 404
and 500 warnings, mail to ADMINS) runs ``RedactSecrets``; gunicorn's access log uses
``redact`` through ``gunicorn_logging``; Django's error reports go through
``RedactingExceptionReporter``. The token is written as ``…``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

# The token, with or without ".ics" (a mistyped address is logged as a 404 too); a token
# is URL-safe base64, so it never holds a dot, a slash or a quote.
SECRET_PATHS = re.compile(r"(/calendar/feed/)[^/\s?#\"'.<>&]+")


def redact(text: str) -> str:
    return SECRET_PATHS.sub(r"\1…", text)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, tuple):
        return tuple(_redacted(v) for v in value)
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    return value


class RedactSecrets(logging.Filter):
    """Rewrites the record itself, so whichever handler formats it sees no token."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose args do not fit its message: leave it to logging
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class RedactingReporterFilter(SafeExceptionReporterFilter):
    """Django's usual cleansing, and no feed token in the request's details or a frame's
    variables."""

    def get_safe_request_meta(self, request):
        return _redacted(super().get_safe_request_meta(request))

    def get_traceback_frame_variables(self, request, tb_frame):
        # A variable named like a secret (token, key, password...) is hidden as a setting of
        # that name would be: a feed view's own ``token`` never reaches the report.
        return [
            (name, self.cleansed_substitute)
            if self.hidden_settings.search(name)
            else (name, _redacted(value) if isinstance(value, str) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]


class _RedactedRequest:
    """The request as an error report shows it: its path without the token."""

    def __init__(self, request) -> None:
        self._request = request

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._request, name)
        if name in ("path", "path_info"):
            return redact(value)
        if name in ("get_full_path", "build_absolute_uri", "get_raw_uri"):
            return lambda *args, **kwargs: redact(value(*args, **kwargs))
        return value


class RedactingExceptionReporter(ExceptionReporter):
    """The error report (500 page with DEBUG, the mail to ADMINS) without a feed token."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if data.get("request") is not None:
            data["request"] = _RedactedRequest(data["request"])
        for key in ("request_insecure_uri", "exception_value", "request_meta"):
            if key in data:
                data[key] = _redacted(data[key])
        for frame in data.get("frames", []):
            frame["vars"] = [(k, _redacted(v)) for k, v in frame.get("vars", [])]
        return data
