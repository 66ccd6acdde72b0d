"""The sandbox UserEcho, cut as the client is: ``app`` (routes, auth, scopes, errors),
``seed`` (the seeded project), ``common`` (constants, the config and filter helpers) and one
module per resource (``users``, ``groups``, ``tags``, ``topics``, ``forums``, ``hooks``)."""

from __future__ import annotations

from .app import UserEchoSandbox
from .common import LATER_ROUTES, UserEchoSandboxConfig

__all__ = ["LATER_ROUTES", "UserEchoSandbox", "UserEchoSandboxConfig"]
