"""The NodeBB client, one module per resource on one transport (``base.py``)."""

from __future__ import annotations

from .base import NodeBBBase, datetime_to_ms, ms_to_datetime
from .groups import NodeBBGroups
from .health import NodeBBHealth
from .review import NodeBBReview
from .tags import NodeBBTags
from .users import ACP_USERS_PER_PAGE, EMAIL_SEARCH_FORBIDDEN, NodeBBUsers


class NodeBBClient(NodeBBUsers, NodeBBGroups, NodeBBTags, NodeBBReview, NodeBBHealth):
    """NodeBB: every area its API offers with a token (see ``NodeBBBase.capabilities``)."""


__all__ = [
    "ACP_USERS_PER_PAGE",
    "EMAIL_SEARCH_FORBIDDEN",
    "NodeBBBase",
    "NodeBBClient",
    "datetime_to_ms",
    "ms_to_datetime",
]
