"""A forum's HTML (a post as the forum renders it) as plain text, for excerpts: tags dropped,
entities decoded, blocks and line breaks as spaces, whitespace folded. Nothing of the markup
survives, so a page may show the result escaped as any other text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIPPED = frozenset({"script", "style", "template"})
_BLOCKS = frozenset(
    {"p", "br", "div", "li", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5",
     "h6", "tr", "td", "th", "hr", "img", "aside"}
)  # fmt: skip


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str, *, limit: int = 0) -> str:
    """Plain text of ``html``, cut at ``limit`` characters (with "…") when ``limit`` > 0."""
    parser = _Text()
    parser.feed(str(html or ""))
    parser.close()
    text = re.sub(r"\s+", " ", "".join(parser.parts)).strip()
    if limit and len(text) > limit:
        text = text[: max(limit - 1, 0)].rstrip() + "…"
    return text
