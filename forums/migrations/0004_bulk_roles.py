from django.db import migrations

from forums.roles import sync_roles


class Migration(migrations.Migration):
    """Moderators propose bulk actions, Approvers approve them, everyone sees them."""

    dependencies = [("forums", "0003_bulk_actions")]
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
