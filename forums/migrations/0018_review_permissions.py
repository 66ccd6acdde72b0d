from django.db import migrations

from forums.roles import sync_roles


class Migration(migrations.Migration):
    """Moderators decide items waiting in a forum's review queue (forums/review/area.py); the
    roles pick the permission up."""

    dependencies = [("forums", "0017_idxprio_pace_priority")]

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
                    (
                        "decide_review_items",
                        "Can decide items waiting in a forum's review queue",
                    ),
                ],
            },
        ),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
