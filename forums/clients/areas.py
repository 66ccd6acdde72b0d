"""One small interface per area of the dashboard, each verb tied to a capability.

A platform client inherits every area through ``ForumClient`` and overrides the verbs its
forum's API offers, with exactly these names and keywords. A verb it does not override answers
``CapabilityNotOffered`` ("not offered by this forum"), so a page written against an area works
on every platform: where the forum cannot, it says so instead of failing.

Areas: ``Health`` (health check, review queue), ``UserModeration`` (find, penalise, lift, log
out, delete), ``Groups``, ``Tags`` (tags, tag groups, retagging), ``Backups``, ``Calendar``
and ``Review`` (the queue item by item).
Platform-only verbs (Discourse's trust level or anonymize, NodeBB's "delete content only") stay
public on the platform's client, behind their own capability.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import ClassVar, NoReturn

from .errors import CapabilityNotOffered, ForumError
from .records import (
    Backup,
    BackupStatus,
    BulkDeleteResult,
    CalendarEvent,
    Capability,
    ForumGroup,
    ForumTag,
    ForumTagGroup,
    ForumTopic,
    ForumUser,
    ForumUserDetails,
    GroupMembershipChange,
    GroupMembersPage,
    HealthReport,
    Penalty,
    PushedEvent,
    ReviewItem,
    ReviewKind,
    ReviewPage,
    UserListPage,
)


class Area:
    """Shared by the area interfaces: how a client says "not offered"."""

    software: ClassVar[str] = ""
    platform: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    # Capabilities some forums of a platform have and others lack (UserEcho's later routes),
    # with the route that decides: the forum is asked (``discovered_capabilities``).
    optional_capabilities: ClassVar[Mapping[Capability, str]] = {}

    @classmethod
    def supports(cls, capability: Capability) -> bool:
        """Asked of a class (no session needed) or of a client."""
        return capability in cls.capabilities

    @classmethod
    def not_offered(cls, capability: Capability, what: str = "") -> CapabilityNotOffered:
        what = what or capability.value.replace("_", " ")
        return CapabilityNotOffered(
            f"{cls.software or cls.platform or 'This forum'} does not offer this through its "
            f"API ({what})."
        )

    def require(self, capability: Capability, what: str = "") -> None:
        if capability not in self.capabilities:
            raise self.not_offered(capability, what)

    def _missing(self, capability: Capability, what: str = "") -> NoReturn:
        raise self.not_offered(capability, what)


class Health(Area):
    # The forum's own pages where moderators work through waiting items: (label, path).
    review_pages: ClassVar[tuple[tuple[str, str], ...]] = ()

    def health_check(self, *, known: dict | None = None) -> HealthReport:
        """Reachable? Credentials accepted? Admin? Version, users, review queue; plain words.

        The calls go out at once (``together``). ``known``: a previous check's
        ``report.lasting`` (version, title, user count, optional routes), which this check
        takes as it is and does not ask again: only the live parts (reachable, key accepted,
        review queue) are asked. Should any of those fail, the whole check runs, so a
        failure is explained in the same words either way."""
        raise NotImplementedError

    def access_problem(self) -> ForumError | None:
        """What keeps this connection from working (a refused key, not this software, not an
        administrator, unreachable), or None: the health check's verdict with the fewest calls.
        Asked when an answer is ambiguous (Discourse hides admin routes behind 404 from a bad
        key), so the call fails with the health check's words. None: no diagnosis offered."""
        return None

    def review_count(self) -> int:
        """Items waiting for a moderator (flags, queued posts, users to approve)."""
        self._missing(Capability.REVIEW_QUEUE, "review queue")

    def discovered_capabilities(self) -> frozenset[Capability]:
        """Which ``optional_capabilities`` this forum has, asked without changing anything;
        none (and no call) on a platform without optional ones."""
        return frozenset()


class UserModeration(Area):
    resolve_batch_size: ClassVar[int] = 1  # targets resolved per call
    delete_batch_size: ClassVar[int] = 1  # users per bulk-delete call
    # The forum refuses to delete an administrator's account (a plan says so up front).
    refuses_deleting_admins: ClassVar[bool] = False

    def is_token_user(self, *, user_id: int) -> bool:
        """The account is the one the API key acts as (where the forum can say so cheaply):
        Forumdeck never logs it out everywhere nor deletes it."""
        return False

    def find_users(self, *, query: str = "", status: str = "", limit: int = 100) -> list[ForumUser]:
        """Users whose username or e-mail matches ``query`` ("" lists), filtered by ``status``:
        "", "suspended", "silenced", "new" or "staff" (ValueError otherwise)."""
        self._missing(Capability.USER_SEARCH, "finding users")

    def resolve_users(self, *, targets: Sequence[str]) -> dict[str, ForumUser]:
        """Map each target (username, e-mail or id, lower-cased) to its user, matched exactly;
        unknown targets are left out."""
        self._missing(Capability.USER_SEARCH, "finding users")

    def expect_lookups(self, *, targets: Iterable[str], details: bool = True) -> None:
        """A hint before many ``resolve_users`` calls (a plan): every target they will ask
        for, so a client may pick the cheaper way for the forum's size (e.g. read the whole
        user list once). Without ``details`` the caller uses only the users' ids and names,
        not their flags or e-mails. Nothing is called here; the default ignores it."""

    def user_list_page(self, *, cursor: str = "") -> UserListPage:
        """One page of every account on the forum, oldest first, with e-mails where the key
        may read them: what the fleet index reads to learn a forum. ``cursor`` "" is the
        first page; the page's own ``cursor`` asks for the next ("" at the end), so a reader
        stopped between pages resumes where it was."""
        self._missing(Capability.USER_SEARCH, "listing users")

    def get_user(self, *, user_id: int) -> ForumUser:
        self._missing(Capability.USER_SEARCH, "finding users")

    def user_details(self, *, user_id: int) -> ForumUserDetails:
        """The user, their groups and moderation history where the forum offers it."""
        self._missing(Capability.USER_SEARCH, "finding users")

    def penalise(
        self,
        *,
        kind: Penalty,
        user_id: int,
        until: datetime | None,
        reason: str,
        message: str = "",
    ) -> datetime | None:
        """Put a penalty on; ``until`` None: permanently (where the forum allows it). Returns
        the end the forum recorded, where it says (None: permanent or not said)."""
        self._missing(kind.capability)

    def lift(self, *, kind: Penalty, user_id: int, reason: str = "") -> None:
        self._missing(kind.capability)

    def log_out(self, *, user_id: int) -> None:
        self._missing(Capability.USER_LOG_OUT, "logging a user out")

    def delete_user(
        self,
        *,
        user_id: int,
        delete_posts: bool = True,
        block_email: bool = False,
        block_ip: bool = False,
    ) -> None:
        """``block_email`` / ``block_ip`` only where USER_DELETE_BLOCK is offered."""
        self._missing(Capability.USER_DELETE, "deleting users")

    def delete_users(
        self, *, user_ids: Sequence[int], block_ip_and_email: bool = False
    ) -> BulkDeleteResult:
        """Delete many users with their posts; ``refused`` names those the forum kept."""
        self._missing(Capability.USER_BULK_DELETE, "deleting users in bulk")


class Groups(Area):
    member_batch_size: ClassVar[int] = 1  # users per membership call
    # Why the pages cannot change a group the forum manages itself (ForumGroup.automatic).
    automatic_group_reason: ClassVar[str] = (
        "The forum manages this group itself, so Forumdeck does not change it."
    )
    group_name_help: ClassVar[str] = ""  # the forum's rule for group names, in plain words
    # The forum has private groups (joining needs an owner's approval), set apart from hidden
    # ones: create_group / update_group then take ``private=``; the words explain it.
    group_private_help: ClassVar[str] = ""

    @classmethod
    def check_group_name(cls, name: str) -> str:
        """The name as the forum would take it; ``ValueError`` (a plain message) for a name
        the forum would refuse, so nothing is sent with it."""
        name = (name or "").strip()
        if not name:
            raise ValueError("Give the group a name.")
        return name

    def list_groups(self) -> list[ForumGroup]:
        self._missing(Capability.GROUPS, "groups")

    def get_group(self, *, key: str) -> ForumGroup:
        """By ``ForumGroup.key`` (Discourse: name; NodeBB: slug, or a name as a fallback)."""
        self._missing(Capability.GROUPS, "groups")

    def create_group(
        self, *, name: str, full_name: str = "", description: str = "", visible: bool = True
    ) -> ForumGroup:
        self._missing(Capability.GROUPS, "groups")

    def update_group(
        self,
        *,
        key: str,
        name: str | None = None,
        full_name: str | None = None,
        description: str | None = None,
        visible: bool | None = None,
    ) -> ForumGroup:
        self._missing(Capability.GROUPS, "groups")

    def delete_group(self, *, key: str) -> None:
        self._missing(Capability.GROUPS, "groups")

    def list_group_members(self, *, key: str, limit: int | None = None) -> list[ForumUser]:
        self._missing(Capability.GROUPS, "groups")

    def group_member_ids(self, *, group: ForumGroup) -> set[int]:
        return {user.id for user in self.list_group_members(key=group.key)}

    def acting_user_is_sole_member(self, *, group: ForumGroup) -> bool:
        """The group's one member is the user Forumdeck acts as (a forum that makes the creator
        a member): deleting it removes nobody else's membership."""
        return False

    @classmethod
    def membership_refusal(cls, *, group: ForumGroup) -> str:
        """Why this forum cannot change this group's members through its API at all (e.g. an
        automatic group), in plain words; "" when it can. Asked before anything is sent, so a
        bulk change is refused while it is planned, not after it was approved."""
        return ""

    def group_members_page(
        self, *, key: str, query: str = "", offset: int = 0, limit: int = 50
    ) -> GroupMembersPage:
        """One page of members whose username or name contains ``query``. The default reads
        every member and pages here; a forum that pages and searches itself overrides it."""
        wanted = query.strip().lower()
        members = [
            m
            for m in self.list_group_members(key=key)
            if not wanted or wanted in m.username.lower() or wanted in (m.name or "").lower()
        ]
        offset = max(offset, 0)
        return GroupMembersPage(tuple(members[offset : offset + limit]), len(members), offset)

    def member_emails(self, *, users: Sequence[ForumUser]) -> dict[int, str]:
        """User id -> e-mail address, for matching people across forums. Members lists carry
        no e-mail on most forums: the accounts are looked up (as ``resolve_users`` does)."""
        emails = {u.id: u.email.lower() for u in users if u.email}
        missing = [u.username for u in users if not u.email and u.username]
        if missing:
            for user in self.resolve_users(targets=missing).values():  # type: ignore[attr-defined]
                if user.email:
                    emails[user.id] = user.email.lower()
        return emails

    def add_members(self, *, group: ForumGroup, user_ids: Sequence[int]) -> GroupMembershipChange:
        self._missing(Capability.GROUPS, "groups")

    def remove_members(
        self, *, group: ForumGroup, user_ids: Sequence[int]
    ) -> GroupMembershipChange:
        self._missing(Capability.GROUPS, "groups")


class Tags(Area):
    tag_name_help: ClassVar[str] = ""  # the forum's rule for tag names, in plain words
    # What stays behind when a tag loses its last topic (renamed, merged or deleted by
    # retagging), in plain words; "" when the tag goes with its last topic.
    tag_left_empty_note: ClassVar[str] = ""
    # Tags live per space of a site (a UserEcho project's forums): what a change by name
    # touches, in plain words; the tag verbs then also take ``scope=`` (one space only).
    tag_scope_note: ClassVar[str] = ""

    def tag_spaces(self) -> list[str]:
        """The spaces tags live in (a UserEcho project's forums), by name; [] for one."""
        return []

    topics_page_size: ClassVar[int] = 20  # topics per call of list_tag_topics (plan estimates)
    retag_batch_size: ClassVar[int] = 1  # topics one retag call changes

    @classmethod
    def check_tag_name(cls, name: str) -> str:
        """The tag as the forum would store it; ``ValueError`` (a plain message) for a name
        the forum would refuse or change beyond recognition."""
        name = (name or "").strip()
        if not name:
            raise ValueError("Give the tag a name.")
        return name

    @classmethod
    def topic_id_from_url(cls, url: str) -> int | None:
        """The topic id in one of this forum's topic addresses, else None."""
        return None

    def get_topic(self, *, topic_id: int) -> ForumTopic:
        """One topic with its tags (ForumNotFound when it is gone)."""
        self._missing(Capability.TAGS, "tags")

    def list_tags(self) -> list[ForumTag]:
        self._missing(Capability.TAGS, "tags")

    def list_tag_topics(self, *, tag: str, limit: int | None = None) -> list[ForumTopic]:
        self._missing(Capability.TAGS, "tags")

    def create_tag(self, *, name: str) -> None:
        self._missing(Capability.TAG_CREATE, "creating a tag on its own")

    def rename_tag(self, *, name: str, new_name: str) -> None:
        self._missing(Capability.TAG_RENAME, "renaming a tag site-wide")

    def merge_tag(self, *, name: str, into: str) -> None:
        self._missing(Capability.TAG_MERGE, "merging tags")

    def delete_tag(self, *, name: str) -> None:
        self._missing(Capability.TAG_DELETE, "deleting a tag site-wide")

    def delete_unused_tags(self) -> None:
        self._missing(Capability.TAG_DELETE_UNUSED, "deleting unused tags")

    def retag(
        self,
        *,
        topics: Sequence[ForumTopic],
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        replace: Iterable[str] | None = None,
    ) -> list[int]:
        """Change the tags of these topics: ``replace`` sets the whole list (empty clears it),
        otherwise ``remove`` then ``add``. Returns the ids of the topics sent."""
        self._missing(Capability.TOPIC_RETAG, "retagging topics")

    def list_tag_groups(self) -> list[ForumTagGroup]:
        self._missing(Capability.TAG_GROUPS, "tag groups")

    def create_tag_group(
        self,
        *,
        name: str,
        tag_names: Iterable[str] = (),
        parent_tag_names: Iterable[str] = (),
        one_per_topic: bool | None = None,
    ) -> ForumTagGroup:
        self._missing(Capability.TAG_GROUPS, "tag groups")

    def update_tag_group(
        self,
        *,
        tag_group_id: int,
        name: str | None = None,
        tag_names: Iterable[str] | None = None,
        parent_tag_names: Iterable[str] | None = None,
        one_per_topic: bool | None = None,
    ) -> ForumTagGroup:
        self._missing(Capability.TAG_GROUPS, "tag groups")

    def delete_tag_group(self, *, tag_group_id: int) -> None:
        self._missing(Capability.TAG_GROUPS, "tag groups")


class Backups(Area):
    def list_backups(self) -> list[Backup]:
        self._missing(Capability.BACKUPS, "backups")

    def create_backup(self, *, with_uploads: bool = False) -> None:
        self._missing(Capability.BACKUPS, "backups")

    def backup_status(self) -> BackupStatus:
        self._missing(Capability.BACKUPS, "backups")

    def cancel_backup(self) -> None:
        self._missing(Capability.BACKUPS, "backups")

    def send_backup_download_link(self, *, filename: str) -> None:
        self._missing(Capability.BACKUPS, "backups")


class Calendar(Area):
    def list_events(
        self, *, start: datetime, end: datetime, category_id: int | None = None
    ) -> list[CalendarEvent]:
        """Events starting in [start, end), oldest first, recurring ones once per occurrence."""
        self._missing(Capability.CALENDAR, "calendar events")


class Review(Area):
    """The forum's review queue item by item: flags, queued posts, accounts waiting for
    approval. (The count alone is ``Health.review_count``.)"""

    def review_items(
        self, *, cursor: str = "", kind: ReviewKind | None = None, username: str = ""
    ) -> ReviewPage:
        """One page of pending items, newest or highest priority first as the forum orders
        them; ``cursor`` from the previous page's ``next_cursor``. ``kind`` and ``username``
        (the author) narrow it where the forum can filter, else the client filters."""
        self._missing(Capability.REVIEW_ITEMS, "review queue items")

    def review_item(self, *, item_id: str) -> ReviewItem:
        """One item as the forum holds it now (ForumNotFound when it is gone)."""
        self._missing(Capability.REVIEW_ITEMS, "review queue items")

    def review_decide(self, *, item: ReviewItem, action_id: str) -> str:
        """Apply one of ``item.actions``; returns the forum's answer in plain words. Raises
        ``ReviewItemStale`` when someone decided it on the forum since ``item`` was read."""
        self._missing(Capability.REVIEW_ITEMS, "review queue decisions")


class Pushes(Area):
    """Changes the forum sends by itself (webhooks), read by the fleet index's receiver. The
    receiver asks ``webhook_verify`` first and reads nothing from a delivery that fails it."""

    # The forum can push signed changes to Forumdeck (a webhook with a shared secret).
    pushes_webhooks: ClassVar[bool] = False
    webhook_setup_help: ClassVar[str] = ""  # where on the forum a webhook is set up

    @classmethod
    def webhook_verify(cls, *, headers: Mapping[str, str], body: bytes, secret: str) -> bool:
        """Is this delivery signed with ``secret``? (False on a forum without webhooks.)"""
        return False

    def webhook_event(self, *, headers: Mapping[str, str], body: bytes) -> PushedEvent:
        """What a verified delivery says; ValueError for a body that cannot be read."""
        raise self.not_offered(Capability.USER_SEARCH, "webhooks")
