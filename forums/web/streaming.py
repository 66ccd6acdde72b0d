"""Pages that show what they have at once and fill the rest in as forums answer.

A streamed page is rendered whole, with placeholders (each with an ``id``), and sent up to the
``STREAM_MARK`` comment that ``base.html`` puts just before ``</body>``. Then every
``(element id, html)`` pair from ``fills`` is sent as ``<template data-fill="id">html</template>``
the moment it is ready, and ``static/forumdeck/fill.js`` moves each one into its placeholder
as the browser parses it: one request, however many forums, never bound by the browser's six
connections per host, and the slow forum holds back only its own placeholder.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.http import HttpRequest, StreamingHttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape

STREAM_MARK = "<!--forumdeck:stream-->"


def fill(target: str, html: str, *, swap: str = "inner") -> str:
    """One fill: the browser puts ``html`` into (``inner``) or in place of (``outer``) the
    element with id ``target``."""
    return f'<template data-fill="{escape(target)}" data-swap="{escape(swap)}">{html}</template>\n'


def stream_page(
    request: HttpRequest, template: str, context: dict, fills: Iterable[str]
) -> StreamingHttpResponse:
    """``template`` at once, then each already-wrapped ``fill()`` from ``fills`` as it comes."""
    page = render_to_string(template, context, request=request)
    head, mark, tail = page.partition(STREAM_MARK)
    zone = timezone.get_current_timezone()

    def body() -> Iterator[str]:
        yield head
        # The fills are rendered after the view has returned: keep the viewer's zone.
        with timezone.override(zone):
            yield from fills
        yield mark + tail

    response = StreamingHttpResponse(body(), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # a proxy in front must pass each fill on at once
    return response
