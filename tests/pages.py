"""Reading pages the way a browser ends up seeing them."""

from __future__ import annotations

from django.http import HttpResponseBase


def page_html(response: HttpResponseBase) -> str:
    """The whole page, streamed or not: a streamed page's fills included, as they came."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()
