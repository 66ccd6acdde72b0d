"""docs/capabilities.md, written from what the clients declare.

    .venv/bin/python -m tools.capabilities > docs/capabilities.md

One column per platform of ``forums.clients.registry.PLATFORMS``, in its order. A row names the
capabilities (``Capability``) it is about; a cell says "offered" or "not offered" from the
client's ``capabilities`` and ``optional_capabilities``, in the client's own words where it
gives them (``capability_notes``, keyed by the row's key). A note that contradicts the
declaration (says "not offered" for something the client offers, or the reverse) is refused,
so the page cannot drift from the code. ``tests/core/test_capabilities_doc.py`` checks that the
committed file is what this writes.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass

from forums.clients.platform import ForumClient
from forums.clients.records import Capability

C = Capability


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    capabilities: tuple[Capability, ...] = ()  # none: a fact about the forum, not a verb


ROWS = (
    Row("find_users", "find users", (C.USER_SEARCH,)),
    Row("suspend", "suspend / unsuspend", (C.USER_SUSPEND,)),
    Row("silence", "silence / unsilence", (C.USER_SILENCE,)),
    Row("log_out", "log out", (C.USER_LOG_OUT,)),
    Row("trust_level", "trust level", (C.USER_TRUST_LEVEL,)),
    Row("anonymize", "anonymize", (C.USER_ANONYMIZE,)),
    Row(
        "delete_user", "delete a user", (C.USER_DELETE, C.USER_DELETE_BLOCK, C.USER_DELETE_CONTENT)
    ),
    Row("bulk_delete", "bulk delete", (C.USER_BULK_DELETE,)),
    Row("approve", "approve, activate / deactivate", (C.USER_APPROVE, C.USER_ACTIVATE)),
    Row("groups", "groups", (C.GROUPS,)),
    Row("batch_members", "group members in batches", (C.GROUP_BATCH_MEMBERS,)),
    Row(
        "membership", "one person's groups, without reading the member list", (C.GROUP_MEMBERSHIP,)
    ),
    Row("tags", "tags", (C.TAGS,)),
    Row("tag_groups", "tag groups", (C.TAG_GROUPS,)),
    Row("rename_tag", "rename / delete a tag", (C.TAG_RENAME, C.TAG_DELETE)),
    Row("create_tag", "create a tag", (C.TAG_CREATE,)),
    Row("merge_tag", "merge a tag into another", (C.TAG_MERGE,)),
    Row("unused_tags", "delete unused tags", (C.TAG_DELETE_UNUSED,)),
    Row("retag", "retag topics", (C.TOPIC_RETAG,)),
    Row("topic", "one topic (its tags, before a retag removes one)"),
    Row("member_page", "a group's members, a page at a time", (C.GROUP_MEMBERS,)),
    Row("plan_people", "finding many people for a group's plan (ids only)"),
    Row("member_emails", "members' e-mails (to match people across forums in a group sync)"),
    Row("group_names", "group names Forumdeck refuses before sending"),
    Row("tag_names", "tag names Forumdeck refuses before sending"),
    Row("backups", "backups", (C.BACKUPS,)),
    Row("calendar", "calendar", (C.CALENDAR,)),
    Row("review_queue", "review queue", (C.REVIEW_QUEUE,)),
    Row("review_items", "review queue item by item (list, decide)", (C.REVIEW_ITEMS,)),
    Row("rate_limit", "rate limit"),
    Row("categories", "categories", (C.CATEGORIES,)),
    Row("delete_topic", "delete a topic", (C.TOPIC_DELETE,)),
)

INTRO = """\
# What each forum offers through its API

<!-- Written by `python -m tools.capabilities > docs/capabilities.md` from the clients'
declarations (forums/clients/*/): edit those, then run it again. -->

Forumdeck shows "not offered by this forum" for anything a platform's REST API cannot do, instead
of failing or faking it. Sources: `../shared/specs/*/ENDPOINTS.md` and the official specs. Each
row is a verb of one area interface in `forums/clients/areas.py`; a client declares the
capabilities it offers, and the default of every verb it does not offer says so. A capability
marked *optional* is one a forum of that platform may or may not have: the forum is asked
(`discovered_capabilities`), and pages offer it only where it has it.
"""


class NoteContradicts(Exception):
    """A client's note says the opposite of what the client declares."""


def offers(cls: type[ForumClient], row: Row) -> str:
    """ "yes", "optional" or "no" for a row about capabilities; "" for any other row."""
    if not row.capabilities:
        return ""
    if any(c in cls.capabilities for c in row.capabilities):
        return "yes"
    optional: Mapping[Capability, str] = getattr(cls, "optional_capabilities", {})
    if any(c in optional for c in row.capabilities):
        return "optional"
    return "no"


def cell(cls: type[ForumClient], row: Row) -> str:
    notes: Mapping[str, str] = getattr(cls, "capability_notes", {})
    note = notes.get(row.key, "").strip()
    offered = offers(cls, row)
    says_not = note.startswith("not offered")
    if offered == "no" and note and not says_not:
        raise NoteContradicts(
            f"{cls.__name__}: the note for {row.key!r} reads as offered, but the client "
            f"declares none of {[c.value for c in row.capabilities]}."
        )
    if offered in ("yes", "optional") and says_not:
        raise NoteContradicts(
            f"{cls.__name__}: the note for {row.key!r} says not offered, but the client "
            "declares it."
        )
    if offered == "optional":
        return f"*optional*: {note}" if note else "*optional*"
    if note:
        return note
    return {"yes": "offered", "no": "not offered"}.get(offered, "—")


def heading(cls: type[ForumClient]) -> str:
    version = getattr(cls, "documented_version", "")
    return f"{cls.software} ({version})" if version else cls.software


def render(platforms: Mapping[str, type[ForumClient]] | None = None) -> str:
    if platforms is None:
        from forums.clients.registry import PLATFORMS

        platforms = PLATFORMS
    classes = list(platforms.values())
    known = {row.key for row in ROWS}
    for cls in classes:
        unknown = set(getattr(cls, "capability_notes", {})) - known
        if unknown:
            raise NoteContradicts(f"{cls.__name__} has notes for no row: {sorted(unknown)}")
    lines = [INTRO]
    for cls in classes:
        intro = getattr(cls, "capability_intro", "").strip()
        if intro:
            lines.append(textwrap.fill(intro, width=96, break_on_hyphens=False) + "\n")
    lines.append("| capability | " + " | ".join(heading(cls) for cls in classes) + " |")
    lines.append("| --- |" + " --- |" * len(classes))
    for row in ROWS:
        cells = [cell(cls, row).replace("|", "\\|").replace("\n", " ") for cls in classes]
        lines.append(f"| {row.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
