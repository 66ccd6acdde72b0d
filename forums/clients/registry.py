"""The platforms Forumdeck speaks, one line each. Adding a platform is one client package, one
sandbox and one line here; every list of platforms (the connection form, the docs) is derived
from this one."""

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
