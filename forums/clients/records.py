"""Small platform-neutral records the clients return.

Nothing above the clients layer should know which forum software produced a record.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime


class Capability(enum.StrEnum):
    """What a client can do. Each area interface (``areas.py``) names the capabilities its
    verbs need; a client declares the ones its forum's API offers."""

    USER_SEARCH = "user_search"
    USER_SUSPEND = "user_suspend"  # keep someone off the forum (Discourse suspend, NodeBB ban)
    USER_SILENCE = "user_silence"  # keep someone from posting (Discourse silence, NodeBB mute)
    USER_LOG_OUT = "user_log_out"
    USER_TRUST_LEVEL = "user_trust_level"
    USER_ANONYMIZE = "user_anonymize"
    USER_DELETE = "user_delete"
    USER_DELETE_BLOCK = "user_delete_block"  # Discourse: block e-mail / IP when deleting
    USER_DELETE_CONTENT = "user_delete_content"  # NodeBB: content only / account only
    USER_BULK_DELETE = "user_bulk_delete"
    USER_APPROVE = "user_approve"
    USER_ACTIVATE = "user_activate"
    GROUPS = "groups"
    GROUP_BATCH_MEMBERS = "group_batch_members"  # many members in one call
    TAGS = "tags"
    TAG_CREATE = "tag_create"
    TAG_GROUPS = "tag_groups"
    TAG_RENAME = "tag_rename"
    TAG_MERGE = "tag_merge"
    TAG_DELETE = "tag_delete"
    TAG_DELETE_UNUSED = "tag_delete_unused"
    TOPIC_RETAG = "topic_retag"
    BACKUPS = "backups"
    CALENDAR = "calendar"
    REVIEW_QUEUE = "review_queue"  # how many items wait (the overview's count)
    REVIEW_ITEMS = "review_items"  # list the waiting items and decide them one by one
    # A group's member list can be read (and so members changed in bulk, no-ops skipped).
    GROUP_MEMBERS = "group_members"
    # Change one user's groups without reading the group's member list (UserEcho's later
    # `users/{id}/group`); Discourse and NodeBB change members through GROUPS.
    GROUP_MEMBERSHIP = "group_membership"
    CATEGORIES = "categories"  # list, create, rename, delete categories (UserEcho, per forum)
    TOPIC_DELETE = "topic_delete"


class Penalty(enum.StrEnum):
    """The two penalties every forum has under some name (the client supplies its words)."""

    SUSPEND = "suspend"  # Discourse: suspend; NodeBB: ban
    SILENCE = "silence"  # Discourse: silence; NodeBB: mute

    @property
    def capability(self) -> Capability:
        return Capability.USER_SUSPEND if self is Penalty.SUSPEND else Capability.USER_SILENCE


class ReviewKind(enum.StrEnum):
    """What waits in a review queue, in every forum's terms."""

    FLAGGED_POST = "flagged_post"  # Discourse ReviewableFlaggedPost; NodeBB flag on a post
    QUEUED_POST = "queued_post"  # Discourse ReviewableQueuedPost; NodeBB post queue
    NEW_ACCOUNT = "new_account"  # Discourse ReviewableUser (must_approve_users)
    FLAGGED_USER = "flagged_user"  # NodeBB flag on a user account
    OTHER = "other"  # e.g. Discourse chat messages, plugin types: listed, decided on the forum


@dataclass(frozen=True, slots=True)
class ReviewAction:
    """One decision the forum allows on one item, as the forum names it.

    ``id`` is what the client sends back (Discourse's action id such as ``agree_and_hide``;
    NodeBB's ``resolve``/``reject``/``accept``). ``destructive`` decisions (deleting posts or
    users, suspending or banning the author) go through a bulk action with four eyes; the
    others run at once."""

    id: str
    label: str
    destructive: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class ReviewFlag:
    """Why an item is in the queue: one flag (or the forum's reason for queueing it)."""

    reason: str
    by: str = ""  # who flagged (username), "" for the system
    message: str = ""
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One waiting item. Text fields are plain text (never the forum's HTML)."""

    item_id: str  # the forum's id, as the client reads it back ("123", "flag:7", "queue:x")
    kind: ReviewKind
    created_at: datetime | None = None
    author_id: int | None = None
    author_username: str = ""
    topic_id: int | None = None
    topic_title: str = ""
    post_id: int | None = None
    category: str = ""
    excerpt: str = ""
    url: str = ""  # the item's page on the forum
    flags: tuple[ReviewFlag, ...] = ()
    actions: tuple[ReviewAction, ...] = ()
    priority: float = 0.0  # higher first (Discourse's score; NodeBB: number of reports)
    version: int | None = None  # Discourse's reviewable version, sent back with a decision
    status: str = "pending"


@dataclass(frozen=True, slots=True)
class ReviewPage:
    """One page of a forum's queue. ``next_cursor`` "" when this was the last page."""

    items: list[ReviewItem]
    next_cursor: str = ""
    total: int | None = None


@dataclass(frozen=True, slots=True)
class ForumUser:
    """One account on one forum, in neutral words: "suspended" is Discourse's suspension and
    NodeBB's ban, "silenced" is Discourse's silence and NodeBB's mute (the client's ``words``
    name them for people). ``*_until`` None with the flag set: permanently."""

    id: int
    username: str
    name: str = ""
    email: str | None = None
    trust_level: int | None = None  # Discourse
    reputation: int | None = None  # NodeBB
    active: bool = True
    # Discourse says so only where new accounts wait for approval (must_approve_users); None:
    # the forum did not say.
    approved: bool | None = None
    admin: bool = False
    moderator: bool = False
    suspended: bool = False
    suspended_until: datetime | None = None
    suspend_reason: str = ""
    silenced: bool = False
    silenced_until: datetime | None = None
    silence_reason: str = ""
    created_at: datetime | None = None
    last_seen_at: datetime | None = None
    post_count: int | None = None
    profile_url: str = ""
    # Where the forum offers it (Discourse's admin user view): the address the account
    # registered from, for spotting one sender's accounts across forums.
    registration_ip: str = ""

    @property
    def staff(self) -> bool:
        return self.admin or self.moderator

    def penalised(self, kind: Penalty) -> bool:
        return self.suspended if kind is Penalty.SUSPEND else self.silenced

    def matches(self, target: str) -> bool:
        """Is this the user a target (username, e-mail or id, as parsed) names?"""
        t = target.strip().lower()
        return t in {self.username.lower(), (self.email or "").lower(), str(self.id)}


@dataclass(frozen=True, slots=True)
class UserListPage:
    """One page of a forum's whole user list, oldest account first (``user_list_page``).

    ``cursor`` asks for the next page ("" when this was the last); ``total`` is how many
    accounts the forum says it has, where it says (None: not said)."""

    users: tuple[ForumUser, ...] = ()
    cursor: str = ""
    total: int | None = None


@dataclass(frozen=True, slots=True)
class PushedEvent:
    """A change the forum pushed (a webhook delivery), in neutral words. ``user``: the account
    as the forum now has it; ``gone_user_id``: an account the forum deleted. Neither: an event
    the index has no use for (a ping, a topic)."""

    delivery_id: str
    name: str
    user: ForumUser | None = None
    gone_user_id: int | None = None


@dataclass(frozen=True, slots=True)
class ModerationEvent:
    """One entry in a user's moderation history: a penalty put on (``lifted`` False) or lifted.

    ``until`` None means permanent (or not said); ``by`` is the moderator's username if known.
    """

    kind: Penalty
    at: datetime | None
    until: datetime | None
    reason: str = ""
    by: str = ""
    lifted: bool = False


@dataclass(frozen=True, slots=True)
class ForumUserDetails:
    """A user with their groups and, where the forum's API offers it, moderation history.

    ``history_offered`` False: the forum keeps the full history elsewhere (Discourse's staff
    action log), so ``history`` holds only the penalties in force now.
    """

    user: ForumUser
    groups: tuple[str, ...] = ()
    history: tuple[ModerationEvent, ...] = ()
    history_offered: bool = False
    # False where the forum's API does not say which groups a user is in (UserEcho).
    groups_known: bool = True


@dataclass(frozen=True, slots=True)
class ForumGroup:
    id: int | str
    name: str
    full_name: str = ""
    slug: str = ""
    description: str = ""
    user_count: int | None = None
    automatic: bool = False  # managed by the forum itself; members cannot be changed
    visible: bool = True
    private: bool = False  # joining needs an owner's approval (where the forum has it)

    @property
    def key(self) -> str:
        """What ``get_group(key=...)`` takes: the name on Discourse, the slug on NodeBB."""
        return self.slug or self.name


@dataclass(frozen=True, slots=True)
class GroupMembersPage:
    """One page of a group's members; ``total`` counts every member the search matches."""

    members: tuple[ForumUser, ...] = ()
    total: int = 0
    offset: int = 0


@dataclass(frozen=True, slots=True)
class GroupMembershipChange:
    """``skipped``: already a member (adding) or not a member (removing); ``missing``: users
    the forum does not know (usernames or ids as sent), neither added nor an error."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    calls: int = 0
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BulkDeleteResult:
    """What a bulk delete did: ``refused`` maps a user id to the forum's reason; ``missing``
    holds ids that were already gone (nothing to delete)."""

    deleted: tuple[int, ...] = ()
    refused: dict[int, str] = field(default_factory=dict)
    calls: int = 0
    missing: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ForumTag:
    name: str
    topic_count: int = 0
    id: int | str | None = None
    # Where the tag lives when a forum has several tag spaces (a UserEcho project's forums);
    # "" on forums with one.
    scope: str = ""


@dataclass(frozen=True, slots=True)
class ForumTagGroup:
    id: int
    name: str
    tag_names: tuple[str, ...] = ()
    parent_tag_names: tuple[str, ...] = ()
    one_per_topic: bool = False


@dataclass(frozen=True, slots=True)
class ForumTopic:
    id: int
    title: str
    slug: str = ""
    tags: tuple[str, ...] = ()
    category_id: int | None = None
    url: str = ""
    scope: str = ""  # see ForumTag.scope
    # Where the forum says (UserEcho): the topic's status by name ("#17" when only its id is
    # given) and how many comments it has.
    status: str = ""
    comment_count: int | None = None


@dataclass(frozen=True, slots=True)
class ForumCategory:
    """A category of one forum; ``id`` keys it within the project (UserEcho: "forum:category"),
    ``scope`` names the forum it lives in (see ForumTag.scope)."""

    id: int | str
    name: str
    topic_count: int | None = None
    scope: str = ""


@dataclass(frozen=True, slots=True)
class Backup:
    filename: str
    size: int
    last_modified: datetime | None = None
    # None: the forum does not say (its file name did not tell).
    with_uploads: bool | None = None


@dataclass(frozen=True, slots=True)
class BackupStatus:
    is_running: bool
    can_rollback: bool = False
    allow_restore: bool = False


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    id: int
    name: str
    starts_at: datetime
    ends_at: datetime | None = None
    timezone: str = ""
    all_day: bool = False
    category_id: int | None = None
    url: str = ""
    location: str = ""
    description: str = ""
    # Recurring events come once per occurrence (``starts_at`` / ``ends_at`` are that
    # occurrence's); ``rrule`` is the rule as the forum gives it ("FREQ=WEEKLY;..."), and
    # ``series_starts_at`` the first date of the series, where the forum says.
    rrule: str = ""
    recurrence: str = ""
    series_starts_at: datetime | None = None
    recurrence_until: datetime | None = None
    category_slug: str = ""
    tags: tuple[str, ...] = ()
    # Why the dates of this series are not all listed, in plain words ("it repeats every
    # second"): a rule Forumdeck refuses to expand (forums.clients.recurrence) is shown once.
    note: str = ""
    # An all-day event's own dates (the last one included), as the forum names them: shown on
    # these dates in every viewer's zone. ``starts_at`` is then midnight UTC of ``start_date``
    # (for ordering only). None where the forum gave times, or only an all-day flag.
    start_date: date | None = None
    end_date: date | None = None
    # The forum shows this event at its own local time (``timezone``) to every viewer.
    show_local_time: bool = False
    # Which dates of this series the forum leaves out of its answer, in plain words ("this
    # forum's older calendar plugin gives its dates from 2026-12-10 on only").
    dates_note: str = ""

    @property
    def recurring(self) -> bool:
        return bool(self.rrule or self.recurrence)

    @property
    def occurrence_key(self) -> str:
        """Stable for this occurrence across fetches: the event id, plus the start for a
        recurring event (each of its occurrences shares the id)."""
        if not self.recurring:
            return str(self.id)
        return f"{self.id}-{self.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}"


_HEALTH_TEXT_LIMITS = {"software": 100, "version": 100, "title": 300, "error": 2000}


@dataclass(slots=True)
class HealthReport:
    """What a health check learned, step by step, in plain words."""

    reachable: bool | None = False  # None: not asked (the settings stopped it before sending)
    credentials_ok: bool | None = None  # None: not checked (unreachable first)
    is_admin: bool | None = None
    software: str = ""
    version: str = ""
    title: str = ""
    user_count: int | None = None
    review_count: int | None = None
    response_ms: int | None = None
    error: str = ""
    error_kind: str = ""
    notes: list[str] = field(default_factory=list)
    # Capabilities beyond the platform's fixed ones that this forum showed it has (UserEcho:
    # the later reference's routes), as ``Capability`` values; pages may offer them.
    capabilities: list[str] = field(default_factory=list)
    checked_at: datetime | None = None  # when Forumdeck asked (set by the service that asks)
    # What this check learned that changes rarely (the version, the title, the user count,
    # optional routes): the service keeps it longer than the live parts and gives it back as
    # ``health_check(known=...)``, which then leaves those calls out. Empty when the check
    # could not learn all of it, or took it as known.
    lasting: dict = field(default_factory=dict)

    def __setattr__(self, name: str, value: object) -> None:
        # What a forum says about itself is shown on every card and cached: a hostile or broken
        # forum's megabyte-long title stops at a card's worth.
        limit = _HEALTH_TEXT_LIMITS.get(name)
        if limit and isinstance(value, str) and len(value) > limit:
            value = value[: limit - 1] + "…"
        object.__setattr__(self, name, value)

    @property
    def ok(self) -> bool:
        return bool(self.reachable) and bool(self.credentials_ok) and not self.error

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_dict(cls, data: dict) -> HealthReport:
        return cls(**{k: v for k, v in data.items() if k in cls.__slots__})


def unique_names(values: Iterable[object]) -> list[str]:
    """Names as a person gave them: stripped, empties and case-insensitive duplicates
    dropped, order kept (tag lists, usernames)."""
    seen: dict[str, str] = {}
    for value in values:
        text = str(value).strip()
        if text and text.lower() not in seen:
            seen[text.lower()] = text
    return list(seen.values())
