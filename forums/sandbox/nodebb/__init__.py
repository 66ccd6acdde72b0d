"""The sandbox NodeBB, cut as the client is: ``app`` (routes, auth, rate limits, errors),
``seed`` (the seeded forum), ``common`` (constants, the config and response helpers) and one
module per resource (``users``, ``groups``, ``tags``, ``health``)."""

from __future__ import annotations

from .app import NodeBBSandbox
from .common import MASTER_NO_UID, NodeBBSandboxConfig

__all__ = ["MASTER_NO_UID", "NodeBBSandbox", "NodeBBSandboxConfig"]
