"""Audit action ids take one spelling, <what>.<verb> (group.create, tag.rename): the backup
and calendar feed ids written as backup_start, calendar_feed_create, ... are renamed, so the
audit log's filter and labels find the old entries under the new ids."""

from django.db import migrations

RENAMED = {
    "backup_start": "backup.start",
    "backup_finish": "backup.finish",
    "backup_cancel": "backup.cancel",
    "backup_download_link": "backup.download_link",
    "backup_schedule": "backup.schedule",
    "calendar_feed_create": "calendar_feed.create",
    "calendar_feed_rotate": "calendar_feed.rotate",
    "calendar_feed_revoke": "calendar_feed.revoke",
}


def forwards(apps, schema_editor):
    AuditEntry = apps.get_model("forums", "AuditEntry")
    for old, new in RENAMED.items():
        AuditEntry.objects.filter(action=old).update(action=new)


def backwards(apps, schema_editor):
    AuditEntry = apps.get_model("forums", "AuditEntry")
    for old, new in RENAMED.items():
        AuditEntry.objects.filter(action=new).update(action=old)


class Migration(migrations.Migration):
    dependencies = [("forums", "0014_account_change_pending_grants")]

    operations = [migrations.RunPython(forwards, backwards)]
