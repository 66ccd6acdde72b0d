"""A forum's line on the People search, written in Python: a search over 20 forums drew the
line 20 times (and again as each live forum answers), each a dozen template lookups."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from forums.core.outcomes import ForumOutcome
from forums.web.times import time_element


def _accounts(count: int) -> str:
    return f"{count} {'account' if count == 1 else 'accounts'}"


def people_forum_line(f: ForumOutcome) -> SafeString:
    """One forum's line: still waiting, its own error in plain words (and the accounts the
    index last saw of it), or how many it found; as of when, when the index answered. A
    streamed search replaces the line (by its id) when that forum answers."""
    css = "waiting" if f.waiting else "bad" if f.error else "ok"
    parts = [
        f'<li id="people-forum-{int(f.connection_id)}" class="{css}">'
        f"<strong>{conditional_escape(f.connection_name)}</strong>:\n    "
    ]
    if f.waiting:
        parts.append('<span class="spinner" aria-hidden="true"></span> still waiting…')
    elif f.error:
        parts.append(conditional_escape(f.error))
        if f.last_known_as_of:
            parts.append(
                f' <span class="small last-known-note">Showing the {_accounts(f.count)} '
                f"Forumdeck last saw of it, as of {time_element(f.last_known_as_of)}.</span>"
            )
    else:
        parts.append(_accounts(f.count))
        if f.capped:
            parts.append(f" (the first {f.count}: narrow the search)")
        if f.note and not f.count:
            parts.append(
                f' <span class="quiet small search-note">({conditional_escape(f.note)})</span>'
            )
        if f.read_note:
            parts.append(f' <span class="small read-note">{conditional_escape(f.read_note)}</span>')
    if f.as_of:
        parts.append(
            f' <span class="quiet small index-freshness">(as of {time_element(f.as_of)})</span>'
        )
    parts.append("</li>")
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped above


def people_forum_lines(forums: Iterable[ForumOutcome]) -> SafeString:
    return mark_safe("\n    ".join(people_forum_line(f) for f in forums))  # noqa: S308
