from django.db import migrations

from forums.roles import sync_roles


class Migration(migrations.Migration):
    """Moderators change one forum's groups and tags; the roles pick the permissions up."""

    dependencies = [("forums", "0009_bulk_item_sent_at")]

    operations = [
        migrations.AlterModelOptions(
            name="forumconnection",
            options={
                "ordering": ["name"],
                "permissions": [
                    ("test_forumconnection", "Can run a health check on a forum connection"),
                    ("moderate_forum_users", "Can moderate users on a forum"),
                    ("change_forum_groups", "Can change groups on a forum"),
                    ("change_forum_tags", "Can change tags on a forum"),
                ],
            },
        ),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
