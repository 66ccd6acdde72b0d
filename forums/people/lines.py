"""A forum's line on the People search, written in Python: a search over 20 forums drew the
line 20 times (and again as each live forum answers), each a dozen template lookups."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.template.defaultfilters import urlencode
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

from forums.core.outcomes import ForumOutcome
from forums.web.standing import standing, status_lines
from forums.web.times import time_element

if TYPE_CHECKING:
    from .selectors import Person


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


# --- the table of everyone found ------------------------------------------------------------------
# Written in Python for the same reason as the lines: a page of 25 people over 20 forums drew
# about 40 account rows of a dozen lookups, filters and a URL each: a third of the page's time.
# Stand-ins for the forum's and the account's ids in the person page's address, reversed once.
_FORUM_MARK, _USER_MARK = 987654321, 123456789


def _person_urls() -> Callable[[int, int], str]:
    """The person page's address of (forum, account id): reversed once for the whole table."""
    marked = reverse("forums:person-detail", args=[_FORUM_MARK, _USER_MARK])
    head, _, rest = marked.partition(str(_FORUM_MARK))
    middle, _, tail = rest.partition(str(_USER_MARK))

    def url(connection_id: int, user_id: int) -> str:
        return f"{head}{int(connection_id)}{middle}{int(user_id)}{tail}"

    return url


def _joined(value: datetime | None) -> str:
    if not value:
        return "—"
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f'<time datetime="{escape(local.isoformat())}">{local:%Y-%m-%d}</time>'


def people_rows(people: Iterable[Person], mode: str = "") -> SafeString:
    """Each person's group of rows (``<tbody>``) of the People search's table. ``mode``:
    "select" (the viewer may propose, and some forum takes a bulk action on these accounts:
    a checkbox a row, and "Ban on every forum"), "propose" (only the latter), "" (neither)."""
    select, propose = mode == "select", mode in ("select", "propose")
    person_url = _person_urls()
    everywhere = reverse("forums:people-everywhere")
    out: list[str] = []
    for number, person in enumerate(people, start=1):
        usernames = person.usernames
        first_name = usernames[0] if usernames else ""
        several = person.on_several_forums
        count = len(person.accounts)
        out.append(
            f'<tbody class="person" id="person-{number}" '
            f'aria-label="{escape(person.email or first_name)}">'
        )
        for index, a in enumerate(person.accounts):
            user, username = a.user, escape(a.user.username)
            forum = escape(a.connection_name)
            out.append("<tr>")
            if select:
                out.append(
                    f'<td class="select"><input type="checkbox" name="account" '
                    f'value="{int(a.connection_id)}:{username}" '
                    f'aria-label="Select {username} on {forum}"></td>'
                )
            if index == 0:
                out.append(
                    f'<th scope="rowgroup" rowspan="{count}" class="person-cell">'
                    f'<span class="person-name">{escape(person.name or first_name)}</span>'
                )
                if person.email:
                    out.append(
                        f' <span class="quiet person-email">&lt;{escape(person.email)}&gt;</span>'
                    )
                if several:
                    out.append(f'<br><span class="badge-plain">on {count} forums</span>')
                if person.email and several and propose:
                    out.append(
                        f'<br><a class="button deletelink small" href="{everywhere}?email='
                        f'{escape(urlencode(person.email))}">Ban on every forum</a>'
                    )
                out.append("</th>")
            out.append(
                f'<td data-label="Forum">{forum}</td><td data-label="Username">'
                f'<a href="{escape(person_url(a.connection_id, user.id))}">{username}</a>'
            )
            if user.profile_url:
                out.append(
                    f' <a class="quiet small" href="{escape(user.profile_url)}" '
                    'target="_blank" rel="noopener">profile ↗</a>'
                )
            pills = "".join(
                f'<span class="status-pill {escape(css)}">{escape(words)}</span> '
                for css, words in status_lines(user, a.platform)
            )
            seen = time_element(user.last_seen_at) if user.last_seen_at else "—"
            posts = "—" if user.post_count is None else escape(user.post_count)
            out.append(
                f'</td><td data-label="Standing">{escape(standing(user, a.platform) or "—")}</td>'
                f'<td data-label="Status">{pills}</td>'
                f'<td data-label="Joined">{_joined(user.created_at)}</td>'
                f'<td data-label="Last seen">{seen}</td>'
                f'<td data-label="Posts">{posts}</td></tr>'
            )
        out.append("</tbody>")
    return mark_safe("\n".join(out))  # noqa: S308 - every value is escaped above
