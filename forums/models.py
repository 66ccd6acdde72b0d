from __future__ import annotations

from django.conf import settings
from django.db import models

from .fields import EncryptedTextField


class Platform(models.TextChoices):
    DISCOURSE = "discourse", "Discourse"
    NODEBB = "nodebb", "NodeBB"
    USERECHO = "userecho", "UserEcho"


class ForumConnection(models.Model):
    """One forum Forumdeck can talk to, with its API key encrypted at rest."""

    name = models.CharField(max_length=100, unique=True)
    platform = models.CharField(max_length=20, choices=Platform.choices)
    base_url = models.URLField(
        max_length=300, help_text="The forum's address, e.g. https://forum.example.com"
    )
    api_username = models.CharField(
        "API username / acting uid",
        max_length=100,
        blank=True,
        help_text="Discourse: the username calls act as (e.g. system). "
        "NodeBB: the uid a master token acts as.",
    )
    api_key = EncryptedTextField("API key")
    api_key_last4 = models.CharField(max_length=4, editable=False)
    nodebb_master_token = models.BooleanField(
        "master token",
        default=False,
        help_text="NodeBB only: the token is a master token, so every call names the acting uid.",
    )
    requests_per_minute = models.PositiveIntegerField(
        default=60,
        help_text="The pace Forumdeck keeps with this forum. Discourse allows 60 admin "
        "requests per minute per site by default.",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("test_forumconnection", "Can run a health check on a forum connection"),
            ("moderate_forum_users", "Can moderate users on a forum"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requests_per_minute__gte=1), name="connection_rpm_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        # Never the key, not even by accident in a traceback.
        return f"<ForumConnection {self.pk}: {self.name} ({self.platform})>"


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

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["connection", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit entries are append-only.")
