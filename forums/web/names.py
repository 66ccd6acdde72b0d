"""Names from a forum in Forumdeck's own URLs: ``<forumname:...>``.

A group or tag name is the forum's data, not ours: it may hold ``/``, be ``..``, start with
``~``, carry control characters or run to thousands of characters. Django's ``str`` converter
refuses a ``/`` (the page that links to it fails to render for everyone), and a browser folds
a ``..`` segment into its parent. Ordinary names stay readable in the address; any other is
written as ``~`` and its UTF-8 in URL-safe base64, which no path rule can bend. A name too long
for an address does not reverse at all: a template asks with ``{% url ... as link %}`` and
shows the name without a link.
"""

from __future__ import annotations

import base64
import binascii

from django.urls import register_converter

MAX_NAME = 300  # longer names are shown without a link (an address has its limits)


def _plain(name: str) -> bool:
    return (
        name not in (".", "..")
        and not name.startswith("~")
        and "/" not in name
        and "\\" not in name
        and name.isprintable()
    )


class ForumNameConverter:
    regex = r"[^/]{1,2000}"  # an encoded name of MAX_NAME characters of 4 bytes each fits

    def to_python(self, value: str) -> str:
        if not value.startswith("~"):
            return value
        try:
            text = base64.urlsafe_b64decode(value[1:] + "=" * (-len(value[1:]) % 4))
            return text.decode("utf-8")
        except (binascii.Error, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            raise ValueError("not a name Forumdeck wrote") from exc

    def to_url(self, value: str) -> str:
        value = str(value)
        if not value or len(value) > MAX_NAME:
            raise ValueError("no address for this name")
        if _plain(value):
            return value
        return "~" + base64.urlsafe_b64encode(value.encode("utf-8")).decode("ascii").rstrip("=")


register_converter(ForumNameConverter, "forumname")
