from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from .fields import EncryptedJSONField, EncryptedTextField

# A forum's rate-limit window is at most a day (Discourse's longest limits are per day).
MAX_RATE_WINDOW_SECONDS = 86400


class Platform(models.TextChoices):
    """The built-in platforms' keys, for code that must name one (tests, the sandbox demo).

    Not the list of platforms: that is ``forums.clients.registry.PLATFORMS``, which the form's
    choices, the services' check and the docs read. ``ForumConnection.platform`` has no
    database choices (as Sentry's ``Integration.provider``), so a new platform needs no
    migration and nothing here."""

    DISCOURSE = "discourse", "Discourse"
    NODEBB = "nodebb", "NodeBB"
    USERECHO = "userecho", "UserEcho"


class ForumConnection(models.Model):
    """One forum Forumdeck can talk to, with its API key encrypted at rest."""

    name = models.CharField(max_length=100, unique=True)
    # A key of forums.clients.registry.PLATFORMS, checked by the connection services.
    platform = models.CharField(max_length=20)
    base_url = models.URLField(
        max_length=300, help_text="The forum's address, e.g. https://forum.example.com"
    )
    # "Acting as": who the key acts as on the forum. What that is (a username, a user id, or
    # nothing when a token acts as its own user) is the platform's to say: its client's
    # ``words.username_label`` / ``username_help`` and ``validate_settings``. The column keeps
    # its historical name; the client receives it as ``api_username``.
    api_username = models.CharField(
        "acting as",
        max_length=100,
        blank=True,
        help_text="Who the API key acts as on the forum; its meaning depends on the platform.",
    )
    api_key = EncryptedTextField("API key")
    api_key_last4 = models.CharField(max_length=4, editable=False)
    # The platform's own settings, as its client declares them (``settings_schema``):
    # secret values sealed at rest, never shown again but for a hint.
    settings = EncryptedJSONField(default=dict, blank=True)
    requests_per_minute = models.PositiveIntegerField(
        default=60,
        help_text="The pace Forumdeck keeps with this forum.",
    )
    rate_window_seconds = models.PositiveIntegerField(
        "rate-limit window (seconds)",
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RATE_WINDOW_SECONDS)],
        help_text="How the forum counts its limit: it allows requests per minute × window ÷ 60 "
        "requests in any this many seconds. Forumdeck sends up to that many at "
        "once, then keeps the rate, and never more in any window, counting every page and task "
        "that asks this forum.",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("test_forumconnection", "Can run a health check on a forum connection"),
            ("moderate_forum_users", "Can moderate users on a forum"),
            ("change_forum_groups", "Can change groups on a forum"),
            ("change_forum_tags", "Can change tags on a forum"),
            ("decide_review_items", "Can decide items waiting in a forum's review queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requests_per_minute__gte=1), name="connection_rpm_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(rate_window_seconds__gte=1), name="connection_window_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        # Never the key, not even by accident in a traceback.
        return f"<ForumConnection {self.pk}: {self.name} ({self.platform})>"

    @property
    def rate_allowance(self) -> int:
        """Requests the forum allows in any ``rate_window_seconds``: its burst."""
        return self.requests_per_minute * self.rate_window_seconds // 60

    def clean(self) -> None:
        super().clean()
        if self.requests_per_minute and self.rate_window_seconds and self.rate_allowance < 1:
            shortest = -(-60 // self.requests_per_minute)
            raise ValidationError(
                {
                    "rate_window_seconds": f"At {self.requests_per_minute} requests a minute, a "
                    f"{self.rate_window_seconds} s window allows less than one request: make it "
                    f"at least {shortest} s."
                }
            )


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit entries are append-only.")

    def delete(self):
        raise TypeError("Audit entries are append-only.")


class AuditEntry(models.Model):
    """An append-only record of who did what to which forum, and how it went."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Succeeded"
        FAILURE = "failure", "Failed"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # People who acted are kept: deactivate them instead of deleting them.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_entries",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    # The forum may be deleted later; the entry keeps its id and name as they were.
    connection = models.ForeignKey(
        ForumConnection,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    connection_name = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    message = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    bulk_action = models.ForeignKey(
        "BulkAction",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="audit_entries",
    )
    bulk_item = models.ForeignKey(
        "BulkActionItem",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="audit_entries",
    )

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        # Each filter of the log, in the log's order: a filtered page reads its 50 rows, and
        # its capped count at most the cap, from one index (audit.selectors).
        indexes = [
            models.Index(
                fields=["connection", "created_at", "id"], name="audit_connection_created"
            ),
            models.Index(fields=["actor", "created_at", "id"], name="audit_actor_created"),
            models.Index(fields=["action", "created_at", "id"], name="audit_action_created"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit entries are append-only.")


class BulkAction(models.Model):
    """A proposed change to many targets, approved by a second person before it runs."""

    class State(models.TextChoices):
        PLANNING = "planning", "Planning"
        PLAN_FAILED = "plan_failed", "Plan failed"
        PENDING_APPROVAL = "pending_approval", "Waiting for approval"
        REJECTED = "rejected", "Rejected"
        QUEUED = "queued", "Approved, queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Partially failed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = {
        State.SUCCEEDED,
        State.PARTIAL,
        State.FAILED,
        State.CANCELLED,
        State.REJECTED,
        State.PLAN_FAILED,
    }
    ACTIVE = {State.PLANNING, State.QUEUED, State.RUNNING}

    kind = models.CharField(max_length=40)
    connections = models.ManyToManyField(ForumConnection, related_name="bulk_actions")
    params = models.JSONField(default=dict, blank=True)
    raw_targets = models.TextField(blank=True, help_text="The targets as they were given.")
    plan = models.JSONField(default=dict, blank=True)
    plan_hash = models.CharField(max_length=64, blank=True)
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.PLANNING, db_index=True
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposed_bulk_actions"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_bulk_actions",
    )
    approved_hash = models.CharField(max_length=64, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_expires_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rejected_bulk_actions",
    )
    rejection_reason = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    # A run holds the lease while it works; a crashed run's lease runs out and beat resumes it.
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    not_before = models.DateTimeField(
        null=True, blank=True, help_text="Waiting for a forum's Retry-After or an outage."
    )
    last_error = models.TextField(blank=True)
    # Tries in a row (of planning, or of a run's steps before any batch) that ended in an
    # error; at FORUMDECK_BULK_MAX_FAILED_TRIES the action stops, saying why.
    failed_tries = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("propose_bulkaction", "Can propose bulk actions"),
            ("approve_bulkaction", "Can approve or reject bulk actions"),
        ]
        constraints = [
            # Four eyes, enforced by the database too.
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True)
                | ~models.Q(approved_by=models.F("proposed_by")),
                name="bulk_action_approver_is_not_proposer",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED


class BulkActionItem(models.Model):
    """One target of a bulk action: durable progress, so a crashed run resumes exactly here."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"  # a call may have reached the forum: verify before resending
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    action = models.ForeignKey(BulkAction, on_delete=models.CASCADE, related_name="items")
    connection = models.ForeignKey(ForumConnection, on_delete=models.PROTECT, related_name="+")
    target = models.CharField(max_length=255, help_text="As given: a username, e-mail or id.")
    forum_user_id = models.BigIntegerField(null=True, blank=True)
    forum_username = models.CharField(max_length=255, blank=True)
    # Planning: has the plan looked this target up, and does the plan send it? The approved
    # hash covers the planned items, so it stays the same while their states change.
    resolved = models.BooleanField(default=False)
    planned = models.BooleanField(default=False)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    # When the run last sent this item to the forum (None: never sent). updated_at is not it:
    # the engine writes item states with queryset updates, which leave auto_now alone.
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "connection", "target"], name="bulk_item_unique_target"
            ),
        ]
        indexes = [models.Index(fields=["action", "state"])]

    def __str__(self) -> str:
        return f"{self.target} ({self.state})"


class BulkItemCounts(models.Model):
    """How one action's items on one forum stand, kept as the items change (forums.bulk.counts)
    so that no page counts items: the list and the progress bar read these few numbers.

    Its own row, not fields of BulkAction: a ``save()`` of a BulkAction read a moment earlier
    (approve, reject, cancel) would write old counts back over a run's."""

    action = models.ForeignKey(BulkAction, on_delete=models.CASCADE, related_name="counts")
    connection = models.ForeignKey(ForumConnection, on_delete=models.CASCADE, related_name="+")
    # The plan sends these; of them, a call went out for ``sent`` (attempts > 0), and each
    # ended done, skipped (the run found nothing to do) or failed, or is still open.
    planned = models.IntegerField(default=0)
    sent = models.IntegerField(default=0)
    done = models.IntegerField(default=0)
    skipped = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    # Looked up by the plan and skipped there (not found, no change needed, refused).
    skipped_in_plan = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "bulk item counts"
        constraints = [
            models.UniqueConstraint(
                fields=["action", "connection"], name="bulk_item_counts_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"counts of bulk action #{self.action_id} on forum {self.connection_id}"


class BulkTargetChunk(models.Model):
    """The targets of a bulk action as they were given (a paste or an uploaded CSV), kept whole
    in pieces: the web request stores them, the planning task reads and parses them."""

    action = models.ForeignKey(BulkAction, on_delete=models.CASCADE, related_name="target_chunks")
    seq = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["action", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["action", "seq"], name="bulk_target_chunk_unique"),
        ]

    def __str__(self) -> str:
        return f"targets of bulk action #{self.action_id}, part {self.seq}"


class ForumPace(models.Model):
    """A forum's slot book, shared by every web and worker process (database pacer): the
    head of a ring of ``ForumPaceSlot`` rows holding the times of its latest calls."""

    connection = models.OneToOneField(
        ForumConnection, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    next_slot = models.FloatField(
        default=0.0,
        help_text="Unix time before which no call may go: the latest booked call, or a hold "
        "(a 429's Retry-After, an outage's back-off).",
    )
    booked = models.PositiveBigIntegerField(
        default=0,
        help_text="Calls booked since the ring was laid out: the next one's slot is "
        "booked modulo ring_size.",
    )
    ring_size = models.PositiveIntegerField(default=0, help_text="Rows in the ring (0: none yet).")
    change_waiting_until = models.FloatField(
        default=0.0,
        help_text="Unix time until which a change refused a slot waits for this forum: the "
        "index's sync takes no slot before it.",
    )

    def __str__(self) -> str:
        return f"pace of forum #{self.connection_id}"


class ForumPaceSlot(models.Model):
    """One slot of a forum's ring: when the call booked in it reached the forum, at the latest.
    The call booked ``ring_size`` calls later may go one window after it."""

    connection = models.ForeignKey(ForumConnection, on_delete=models.CASCADE, related_name="+")
    slot_no = models.PositiveIntegerField()
    at = models.FloatField(
        help_text="Unix time of the call booked in this slot: when it was to leave while it is "
        "out, when its answer came once it is in."
    )
    pending = models.BooleanField(default=False, help_text="The call has no answer yet.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "slot_no"], name="pace_slot_unique"),
        ]

    def __str__(self) -> str:
        return f"pace slot {self.slot_no} of forum #{self.connection_id}"


class AccountChange(models.Model):
    """A change to a Forumdeck account: who made it and, for a privilege grant, which second
    Admin confirmed it. Independence is read from these (``forums.accounts.independence``:
    nobody approves through an account they, or anyone in their hands, created or changed);
    every one also has its audit entry."""

    class Kind(models.TextChoices):
        CREATED = "created", "Account created"
        ROLES = "roles", "Roles changed"
        PASSWORD = "password", "Password set"
        ACTIVE = "active", "Activated or deactivated"
        SUPERUSER = "superuser", "Superuser status changed"
        PERMISSIONS = "permissions", "Permissions or staff status changed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_changes"
    )
    # Empty: made outside Forumdeck's pages (the command line, e.g. createsuperuser).
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="account_changes_made",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    summary = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="account_changes_confirmed",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class State(models.TextChoices):
        APPLIED = "applied", "In effect"
        PENDING = "pending", "Waiting for a second Admin"
        DECLINED = "declined", "Declined"

    # A privilege grant (Approver or Admin, another person's password, re-activation) is
    # recorded "pending" and takes effect only when a second, independent Admin confirms it.
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.APPLIED, db_index=True
    )
    # What a pending change does when confirmed ({"add_roles": [...]}, {"is_active": true},
    # {"password": "<hash>"}); never shown, never audited.
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("confirm_accountchange", "Can confirm another Admin's change to an account"),
        ]
        constraints = [
            # A second Admin: never the one who made the change, nor the account's holder.
            models.CheckConstraint(
                condition=models.Q(confirmed_by__isnull=True)
                | ~models.Q(confirmed_by=models.F("changed_by")),
                name="account_change_confirmer_is_not_changer",
            ),
            models.CheckConstraint(
                condition=models.Q(confirmed_by__isnull=True)
                | ~models.Q(confirmed_by=models.F("user")),
                name="account_change_confirmer_is_not_its_holder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"


class BackupSchedule(models.Model):
    """A forum's backup settings in Forumdeck: when beat starts a backup (kept in the
    database by django-celery-beat as ``periodic_task``) and when its newest one is stale."""

    class Frequency(models.TextChoices):
        OFF = "off", "Not scheduled"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    connection = models.OneToOneField(
        ForumConnection, on_delete=models.CASCADE, primary_key=True, related_name="backup_schedule"
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.OFF)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.SUNDAY)
    at_time = models.TimeField(default=time(3, 0))
    timezone = models.CharField(max_length=64, default="UTC")
    with_uploads = models.BooleanField(default=True)
    # None: the global FORUMDECK_BACKUP_STALE_HOURS.
    stale_after_hours = models.PositiveIntegerField(null=True, blank=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [
            ("view_backups", "Can see forums' backups and their freshness"),
            ("run_backups", "Can start and cancel backups and ask for a download link"),
            ("schedule_backups", "Can schedule backups and set freshness thresholds"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6), name="backup_weekday_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(stale_after_hours__isnull=True)
                | models.Q(stale_after_hours__gte=1),
                name="backup_stale_hours_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"backup schedule of forum #{self.connection_id}"


class BackupRun(models.Model):
    """One backup Forumdeck started (or found running) on a forum, followed to its end."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "By hand"
        SCHEDULE = "schedule", "Scheduled"

    FINISHED = {State.SUCCEEDED, State.FAILED, State.CANCELLED}

    connection = models.ForeignKey(
        ForumConnection, on_delete=models.CASCADE, related_name="backup_runs"
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    with_uploads = models.BooleanField(default=False)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.RUNNING, db_index=True
    )
    # True: the forum was already running a backup or restore; this run follows that one.
    joined_running = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The forum's backup files when this run started: a new one at the end means it worked.
    files_before = models.JSONField(default=list, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["connection", "-started_at"])]

    def __str__(self) -> str:
        return f"backup run #{self.pk} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED


class CalendarFeed(models.Model):
    """A person's private calendar feed URL. Only a hash of its token is kept: the token is
    shown once, when made or rotated, and opens this one feed and nothing else."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    connections = models.ManyToManyField(ForumConnection, related_name="+", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("view_calendar", "Can see the merged calendar and make feeds of it")]

    def __str__(self) -> str:
        return f"calendar feed #{self.pk} of user #{self.user_id}"

    def __repr__(self) -> str:
        return f"<CalendarFeed {self.pk}>"  # never the token's hash either

    @property
    def active(self) -> bool:
        return self.revoked_at is None


# --- the fleet index (forums/index/) ----------------------------------------------------------
class IndexedAccount(models.Model):
    """One account on one forum as Forumdeck last saw it (a sync page, a webhook, a person page
    or an action's re-read). ``haystack`` is username, name and e-mail lower-cased, what a
    substring search reads (a trigram index on PostgreSQL, LIKE on SQLite)."""

    connection = models.ForeignKey(
        ForumConnection, on_delete=models.CASCADE, related_name="indexed_accounts"
    )
    forum_id = models.BigIntegerField()
    username = models.CharField(max_length=200)
    name = models.CharField(max_length=300, blank=True)
    email = models.CharField(max_length=320, blank=True)  # "" when the key may not read it
    active = models.BooleanField(default=True)
    suspended = models.BooleanField(default=False)
    suspended_until = models.DateTimeField(null=True, blank=True)
    silenced = models.BooleanField(default=False)
    silenced_until = models.DateTimeField(null=True, blank=True)
    # Discourse's trust level, NodeBB's reputation: the forum's own measure of standing.
    standing = models.IntegerField(null=True, blank=True)
    admin = models.BooleanField(default=False)
    moderator = models.BooleanField(default=False)
    staff = models.BooleanField(default=False)
    joined_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    post_count = models.IntegerField(null=True, blank=True)
    registration_ip = models.GenericIPAddressField(null=True, blank=True)
    profile_url = models.CharField(max_length=500, blank=True)
    haystack = models.TextField(blank=True)
    # The first sync that saw it (``IndexSync.generation``): a whole read of the list removes
    # the rows an earlier one saw that this one did not (accounts deleted meanwhile).
    generation = models.PositiveIntegerField(default=0)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "forum_id"], name="indexed_account_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["connection", "generation"], name="indexed_account_gen"),
            models.Index(fields=["email"], name="indexed_account_email"),
        ]

    def __str__(self) -> str:
        return f"{self.username} on connection #{self.connection_id}"


class IndexedGroup(models.Model):
    connection = models.ForeignKey(
        ForumConnection, on_delete=models.CASCADE, related_name="indexed_groups"
    )
    forum_id = models.CharField(max_length=200)
    name = models.CharField(max_length=300)
    full_name = models.CharField(max_length=300, blank=True)
    key = models.CharField(max_length=300, blank=True)  # what get_group(key=) takes
    description = models.TextField(blank=True)
    user_count = models.IntegerField(null=True, blank=True)
    automatic = models.BooleanField(default=False)
    visible = models.BooleanField(default=True)
    generation = models.PositiveIntegerField(default=0)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "forum_id"], name="indexed_group_unique"),
        ]
        # The Groups page sorts and pages by name in the database (any case).
        indexes = [models.Index(Lower("name"), "connection", name="indexed_group_name")]

    def __str__(self) -> str:
        return self.name


class IndexedTag(models.Model):
    connection = models.ForeignKey(
        ForumConnection, on_delete=models.CASCADE, related_name="indexed_tags"
    )
    # A tag is known by its name within its scope (a UserEcho project's forum; "" elsewhere).
    forum_id = models.CharField(max_length=400)
    name = models.CharField(max_length=300)
    scope = models.CharField(max_length=200, blank=True)
    topic_count = models.IntegerField(default=0)
    generation = models.PositiveIntegerField(default=0)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "forum_id"], name="indexed_tag_unique"),
        ]
        # The Tags page groups names (any case) across forums, sums their counts and pages
        # them in the database: read in name order from this index alone.
        indexes = [
            models.Index(Lower("name"), "connection", "topic_count", name="indexed_tag_name")
        ]

    def __str__(self) -> str:
        return self.name


class IndexSync(models.Model):
    """A forum's part of the index: how far its first sync got, when each kind was last read
    whole, and its webhook secret (sealed; shown once)."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to start"
        RUNNING = "running", "Reading the forum"
        COMPLETE = "complete", "Complete"
        FAILED = "failed", "Stopped"

    connection = models.OneToOneField(
        ForumConnection, on_delete=models.CASCADE, related_name="index_sync"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    generation = models.PositiveIntegerField(default=0)
    accounts_cursor = models.CharField(max_length=200, blank=True)
    # The cursor of the list's last page read: the cheap poll reads from there for accounts
    # created since.
    accounts_tail_cursor = models.CharField(max_length=200, blank=True)
    accounts_seen = models.PositiveIntegerField(default=0)
    accounts_total = models.PositiveIntegerField(null=True, blank=True)
    accounts_complete_at = models.DateTimeField(null=True, blank=True)
    groups_complete_at = models.DateTimeField(null=True, blank=True)
    tags_complete_at = models.DateTimeField(null=True, blank=True)
    # Calls the sync made, for the share of the forum's budget it took.
    calls = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    next_step_at = models.DateTimeField(null=True, blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)  # the last cheap poll
    # One worker at a time: a step holds the lease until it ends (or the lease runs out).
    lease_until = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    webhook_secret = EncryptedTextField(blank=True)
    webhook_secret_set_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [
            (
                "sync_forum_index",
                "Can read a forum into the fleet index again and set its webhook secret",
            ),
        ]

    def __str__(self) -> str:
        return f"index of connection #{self.connection_id}"

    def __repr__(self) -> str:
        return f"<IndexSync {self.pk}: connection {self.connection_id} {self.state}>"

    @property
    def accounts_complete(self) -> bool:
        return self.accounts_complete_at is not None


class IndexWebhookDelivery(models.Model):
    """A webhook delivery already taken (its id): the same delivery again is a replay."""

    connection = models.ForeignKey(ForumConnection, on_delete=models.CASCADE, related_name="+")
    delivery_id = models.CharField(max_length=200)
    event = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "delivery_id"], name="index_webhook_delivery_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.delivery_id} of connection #{self.connection_id}"


class ReviewQueueRead(models.Model):
    """A forum's review queue as Forumdeck last read it whole (the worker's paced read, or a
    page's live read of a forum never read before): when, how many waited, how many more the
    forum said wait past the pages read, and why the last read failed."""

    connection = models.OneToOneField(
        ForumConnection, on_delete=models.CASCADE, related_name="review_read"
    )
    read_at = models.DateTimeField(null=True, blank=True)  # the last read that answered
    count = models.PositiveIntegerField(default=0)
    # More waiting on the forum than the pages read held (None: the forum did not say).
    unread = models.PositiveIntegerField(null=True, blank=True, default=0)
    error = models.TextField(blank=True)  # the last read's failure, "" when it answered
    requested_at = models.DateTimeField(null=True, blank=True)  # "Ask the forums now" queued
    # A queue longer than one read's pages is read whole over several reads: each read takes
    # its head (the newest and most urgent) and a few pages more from ``cursor`` (where the
    # last stopped; "" when no sweep of the rest is under way). ``sweep_started_at``: when the
    # sweep under way began; ``swept_from``: when the last complete one began (a kept item
    # seen by neither is no longer waiting).
    cursor = models.CharField(max_length=200, blank=True, default="")
    sweep_started_at = models.DateTimeField(null=True, blank=True)
    swept_from = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"review queue of connection #{self.connection_id}"


class KeptReviewItem(models.Model):
    """One item waiting in a forum's review queue, as the last read saw it: the list page reads
    one sorted, filtered page of these instead of asking every forum (issue 24). ``item`` is
    the whole item (flags, actions, version) as the client read it; the other fields are what
    the page filters and sorts on."""

    connection = models.ForeignKey(
        ForumConnection, on_delete=models.CASCADE, related_name="kept_review_items"
    )
    item_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=30)
    priority = models.FloatField(default=0.0)
    created_at = models.DateTimeField(null=True, blank=True)
    author_lower = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=300, blank=True)
    reasons = models.TextField(blank=True)  # "|spam|off_topic|": one reason filter is a LIKE
    haystack = models.TextField(blank=True)  # excerpt, author and topic, lower-cased
    version = models.IntegerField(null=True, blank=True)
    item = models.JSONField(default=dict)
    seen_at = models.DateTimeField(null=True, blank=True)  # the read that last listed it

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "item_id"], name="kept_review_item_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["-priority", "-created_at"], name="kept_review_item_order"),
            models.Index(fields=["connection", "author_lower"], name="kept_review_item_author"),
        ]

    def __str__(self) -> str:
        return f"review item {self.item_id} of connection #{self.connection_id}"
