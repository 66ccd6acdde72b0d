"""Audit action ids have one spelling, <what>.<verb>; entries written before keep being found."""

from __future__ import annotations

import importlib
import re

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from forums.audit.selectors import audit_filter_choices, audit_list
from forums.core.areas import action_label, known_actions
from forums.core.audit import audit_record
from forums.models import AuditEntry

pytestmark = pytest.mark.django_db

migration = importlib.import_module("forums.migrations.0015_audit_action_ids_one_spelling")


def test_every_registered_id_is_spelled_what_dot_verb():
    odd = [a for a in known_actions() if not re.fullmatch(r"[a-z_]+\.[a-z_]+", a)]
    assert odd == []


def test_entries_written_with_the_old_ids_are_found_under_the_new_ones(viewer):
    audit_record(actor=viewer, action="backup_start", target="Our forum")
    audit_record(actor=viewer, action="calendar_feed_revoke", target="feed #3")

    # As `migrate` runs it: with the historical models of that migration.
    state = MigrationLoader(connection).project_state(("forums", migration.__name__.split(".")[-1]))
    migration.forwards(state.apps, None)

    written = AuditEntry.objects.filter(target__in=["Our forum", "feed #3"])
    assert sorted(written.values_list("action", flat=True)) == [
        "backup.start",
        "calendar_feed.revoke",
    ]
    assert [e.target for e in audit_list(action="backup.start")] == ["Our forum"]
    assert action_label("backup.start") == "Backup started"
    assert ("calendar_feed.revoke", "Calendar feed revoked") in audit_filter_choices()["actions"]
