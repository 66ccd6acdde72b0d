"""The sandbox Discourse, cut as the client is: ``app`` (routes, auth, rate limits, errors),
``seed`` (the seeded forum), ``common`` (constants and response helpers) and one module per
resource (``users``, ``groups``, ``tags``, ``backups``, ``calendar``, ``health``)."""

from __future__ import annotations

from .app import DiscourseSandbox
from .common import USERS_PER_PAGE, params_of

__all__ = ["USERS_PER_PAGE", "DiscourseSandbox", "params_of"]
