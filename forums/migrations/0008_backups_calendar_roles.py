from django.db import migrations

from forums.roles import sync_roles


class Migration(migrations.Migration):
    """Everyone sees backups and the calendar; Moderators and Admins start backups; Admins
    schedule them."""

    dependencies = [("forums", "0007_backups_calendar")]
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
