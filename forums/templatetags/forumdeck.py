from __future__ import annotations

import re

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from forums.clients import client_class, supported_platforms
from forums.clients.records import Capability, ModerationEvent, Penalty
from forums.core import areas
from forums.web.standing import standing, status_lines
from forums.web.times import ago, running_for, time_element

register = template.Library()


def _words(platform: str):
    return client_class(platform).words


@register.filter
def software(platform: str) -> str:
    """A platform's name as its client gives it ("NodeBB"), or the key itself for a platform
    this Forumdeck no longer speaks."""
    return client_class(platform).software if platform in supported_platforms() else platform


@register.filter
def penalty_done(platform: str, penalty: str) -> str:
    """A penalty's state in the forum's words ("suspended" on Discourse, "banned" on NodeBB)."""
    if platform not in supported_platforms():
        return str(penalty)
    return client_class(platform).penalty_words(Penalty(penalty)).done


register.filter("status_lines", status_lines)
register.filter("standing", standing)


@register.filter
def event_label(event: ModerationEvent, platform: str) -> str:
    """One history entry in the forum's words: "Ban", "Unmute", "Suspension"..."""
    words = _words(platform).penalties[event.kind]
    return words.lift if event.lifted else (words.noun or words.verb)


@register.filter
def time_ago(value) -> str:
    """``<time>`` with how long ago and the exact time: see ``forums.web.times.time_element``."""
    return time_element(value)


@register.simple_tag
def forum_outcome_lines(outcomes, noun: str) -> str:
    """``includes/forum_outcomes.html``'s lines, one ``<li>`` a forum: its error (and, when
    the index has it, that it shows what was last seen), "not offered", or how many it found
    (and as of when, from the index). Written here rather than as template tags: a page over
    20 forums drew the line 20 times, each a dozen template lookups. Any outcome type works
    (groups, tags, calendar, review): what it lacks counts as empty."""
    lines = []
    for f in outcomes:
        error = getattr(f, "error", "")
        offered = getattr(f, "offered", None)
        css = "bad" if error else "quiet" if offered is False else "ok"
        line = [
            f'\n  <li class="{css}"><strong>{conditional_escape(f.connection_name)}</strong>:\n    '
        ]
        if error:
            line.append(conditional_escape(error))
            if seen := getattr(f, "last_known_as_of", None):
                line.append(
                    ' <span class="small last-known-note">Showing what Forumdeck last saw of '
                    f"it, as of {time_ago(seen)}.</span>"
                )
        elif offered is False:
            line.append("not offered by this forum.")
            if hint := getattr(f, "hint", ""):
                line.append(f' <span class="small">{conditional_escape(hint)}</span>')
        else:
            count = getattr(f, "count", 0)
            line.append(conditional_escape(counted(count, noun)))
            if getattr(f, "capped", False):
                line.append(f" (the first {conditional_escape(str(count))}: narrow the search)")
            if (note := getattr(f, "note", "")) and not count:
                line.append(
                    f' <span class="quiet small search-note">({conditional_escape(note)})</span>'
                )
            if read_note := getattr(f, "read_note", ""):
                line.append(
                    f' <span class="small read-note">{conditional_escape(read_note)}</span>'
                )
            if as_of := getattr(f, "as_of", None):
                line.append(
                    f' <span class="quiet small index-freshness">(as of {time_ago(as_of)})</span>'
                )
        line.append("</li>")
        lines.append("".join(line))
    return mark_safe("".join(lines))  # noqa: S308 - every value is escaped above


@register.filter(name="ago")
def ago_filter(value) -> str:
    """ "just now", "3 minutes ago": see ``forums.web.times.ago``."""
    return ago(value)


@register.filter
def action_label(action: str) -> str:
    """An audit action id in words ("user.suspend" -> "Suspend (one person)")."""
    return areas.action_label(action)


@register.filter
def entry_label(entry) -> str:
    """An audit entry's action in words, in its forum's own words where the forum is still
    connected ("Bulk: Unban" on a forum that bans)."""
    connection = entry.connection if entry.connection_id else None
    return areas.action_label(entry.action, connection.platform if connection else "")


# What an area's templates need from its own code (``{{ action|bulk_title }}``) the area
# registers (its ``area.py``): this library reaches into no area.
for _name, _filter in areas.template_filters().items():
    register.filter(_name, _filter)


@register.filter
def counted(count: int, noun: str) -> str:
    """``3|counted:"account,accounts"`` is "3 accounts"."""
    one, _, many = noun.partition(",")
    return f"{count} {one if count == 1 else (many or one + 's')}"


@register.inclusion_tag("includes/pagination.html")
def paginator(
    page,
    *,
    query: str = "",
    target: str = "",
    noun: str = "",
    extra: str = "",
    previous: str = "‹ Previous",
    following: str = "Next ›",
    label: str = "Pages",
) -> dict:
    """The one pager every list shares: "‹ Previous · Page 2 of 5 (212 tags) · Next ›".

    ``query``: the list's query string without ``page`` (filters survive paging); ``target``:
    the partial htmx swaps (links still work without JavaScript); ``noun``: "tag,tags" for the
    count; ``extra``: more words after the count. A list counted only up to a cap
    (``web.paging.CappedPaginator``) reads "Page 2 of 200+ (more than 10,000 entries)"."""
    prefix = f"?{query}&page=" if query else "?page="
    paginator = page.paginator
    capped = getattr(paginator, "capped", False)
    pages = f"{paginator.num_pages:,}+" if capped else str(paginator.num_pages)
    if noun and capped:
        total = f"more than {paginator.count:,} {noun.partition(',')[2] or noun + 's'}"
    else:
        total = counted(paginator.count, noun) if noun else ""
    if capped and not page.has_next():
        extra = ", ".join(p for p in (extra, "narrow the filters to see the rest") if p)
    detail = ", ".join(part for part in (total, extra) if part)
    return {
        "page": page,
        "pages": pages,
        "previous_url": f"{prefix}{page.previous_page_number()}" if page.has_previous() else "",
        "next_url": f"{prefix}{page.next_page_number()}" if page.has_next() else "",
        "target": target,
        "detail": detail,
        "previous": previous,
        "following": following,
        "label": label,
    }


# The clients' messages point to the edit page ("Check both (Edit this forum).") for the pages
# that show them elsewhere; on that page itself the pointer only confuses.
_EDIT_POINTER = re.compile(r"\s*(?:Check (?:both|it) \(Edit this forum\)\.|\(Edit this forum\))")


@register.filter
def without_edit_pointer(message: str) -> str:
    """A forum's error message as the edit page shows it: without "(Edit this forum)"."""
    return _EDIT_POINTER.sub("", str(message or "")).strip()


@register.filter
def offers(platform: str, capability: str) -> bool:
    """``connection.platform|offers:"review_queue"``: asked of the platform's client class."""
    return client_class(platform).supports(Capability(capability))


@register.filter(name="running_for")
def running_for_filter(value) -> str:
    """ "less than a minute", "3 minutes": see ``forums.web.times.running_for``."""
    return running_for(value)
