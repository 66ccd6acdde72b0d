"""The platforms Forumdeck speaks, one line each. Every list of platforms (the connection form
and its settings, the services' check, the pages' software names, docs/capabilities.md) is
derived from this one; the files a new platform needs are listed in docs/architecture.md."""

from __future__ import annotations

from .discourse import DiscourseClient
from .nodebb import NodeBBClient
from .platform import ForumClient
from .userecho import UserEchoClient

PLATFORMS: dict[str, type[ForumClient]] = {
    cls.platform: cls
    for cls in (
        DiscourseClient,
        NodeBBClient,
        UserEchoClient,
    )
}
