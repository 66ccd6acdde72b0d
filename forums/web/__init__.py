"""Shared view helpers: the typed htmx request, "full page or named partial", the permission
decorator, the navigation registry and the duration ("until") parser."""

from __future__ import annotations

from .http import HtmxHttpRequest, redirect_back, render_page
from .permissions import requires

__all__ = ["HtmxHttpRequest", "redirect_back", "render_page", "requires"]
