"""A connection row that knows no platform.

- ``settings``: one field for each platform's own settings (its client's ``settings_schema``),
  secret values sealed; NodeBB's ``nodebb_master_token`` column moves into it
  (``{"master_token": true}``) and goes. Reversible: going back copies the flag out again.
- ``platform``: no database choices; the list is ``forums.clients.registry.PLATFORMS``.
- ``api_username``: documented as "acting as" (its meaning is the platform's to say).
- help texts that named one platform: the form adds each platform's own words.
"""

import django.core.validators
from django.db import migrations, models

import forums.fields


def master_token_into_settings(apps, schema_editor):
    ForumConnection = apps.get_model("forums", "ForumConnection")
    for connection in ForumConnection.objects.filter(platform="nodebb").only(
        "pk", "nodebb_master_token"
    ):
        ForumConnection.objects.filter(pk=connection.pk).update(
            settings={"master_token": connection.nodebb_master_token}
        )


def master_token_out_of_settings(apps, schema_editor):
    ForumConnection = apps.get_model("forums", "ForumConnection")
    for connection in ForumConnection.objects.filter(platform="nodebb").only("pk", "settings"):
        flag = bool((connection.settings or {}).get("master_token"))
        ForumConnection.objects.filter(pk=connection.pk).update(nodebb_master_token=flag)


class Migration(migrations.Migration):
    dependencies = [
        ("forums", "0012_bulk_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="forumconnection",
            name="settings",
            field=forums.fields.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.RunPython(master_token_into_settings, master_token_out_of_settings),
        migrations.RemoveField(
            model_name="forumconnection",
            name="nodebb_master_token",
        ),
        migrations.AlterField(
            model_name="forumconnection",
            name="platform",
            field=models.CharField(max_length=20),
        ),
        migrations.AlterField(
            model_name="forumconnection",
            name="api_username",
            field=models.CharField(
                blank=True,
                help_text="Who the API key acts as on the forum; its meaning depends on the "
                "platform.",
                max_length=100,
                verbose_name="acting as",
            ),
        ),
        migrations.AlterField(
            model_name="forumconnection",
            name="rate_window_seconds",
            field=models.PositiveIntegerField(
                default=60,
                help_text="How the forum counts its limit: it allows requests per minute × "
                "window ÷ 60 requests in any this many seconds. Forumdeck sends up to that many "
                "at once, then keeps the rate, and never more in any window, counting every "
                "page and task that asks this forum.",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(86400),
                ],
                verbose_name="rate-limit window (seconds)",
            ),
        ),
        migrations.AlterField(
            model_name="forumconnection",
            name="requests_per_minute",
            field=models.PositiveIntegerField(
                default=60, help_text="The pace Forumdeck keeps with this forum."
            ),
        ),
    ]
