"""Counts of each bulk action's items kept with the action (forums.bulk.counts), filled here
for the actions that exist; and an index per filter of the audit log (forum, person,
action), each in the log's order."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_counts(apps, schema_editor):
    """Count every existing action's items once, with one grouped query (the same buckets as
    forums.bulk.counts.buckets_of, written out here so that this migration never changes)."""
    Item = apps.get_model("forums", "BulkActionItem")
    Counts = apps.get_model("forums", "BulkItemCounts")
    Action = apps.get_model("forums", "BulkAction")
    found = {}
    rows = (
        Item.objects.order_by()
        .values("action_id", "connection_id", "planned", "resolved", "state")
        .annotate(n=models.Count("pk"), n_sent=models.Count("pk", filter=models.Q(attempts__gt=0)))
    )
    for row in rows.iterator():
        key = (row["action_id"], row["connection_id"])
        numbers = found.setdefault(key, dict.fromkeys(
            ("planned", "sent", "done", "skipped", "failed", "skipped_in_plan"), 0
        ))
        if row["planned"]:
            numbers["planned"] += row["n"]
            numbers["sent"] += row["n_sent"]
            if row["state"] in ("done", "skipped", "failed"):
                numbers[row["state"]] += row["n"]
        elif row["resolved"] and row["state"] == "skipped":
            numbers["skipped_in_plan"] += row["n"]
    # Every forum of every action gets its row, counted or not.
    through = Action.connections.through.objects.values_list("bulkaction_id", "forumconnection_id")
    for key in through.iterator():
        found.setdefault(key, {})
    Counts.objects.bulk_create(
        [Counts(action_id=a, connection_id=c, **numbers) for (a, c), numbers in found.items()],
        batch_size=500,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('forums', '0011_pace_window'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='BulkItemCounts',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('planned', models.IntegerField(default=0)),
                ('sent', models.IntegerField(default=0)),
                ('done', models.IntegerField(default=0)),
                ('skipped', models.IntegerField(default=0)),
                ('failed', models.IntegerField(default=0)),
                ('skipped_in_plan', models.IntegerField(default=0)),
            ],
            options={
                'verbose_name_plural': 'bulk item counts',
            },
        ),
        migrations.RemoveIndex(
            model_name='auditentry',
            name='forums_audi_connect_39f660_idx',
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['connection', 'created_at', 'id'], name='audit_connection_created'),
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['actor', 'created_at', 'id'], name='audit_actor_created'),
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['action', 'created_at', 'id'], name='audit_action_created'),
        ),
        migrations.AddField(
            model_name='bulkitemcounts',
            name='action',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='counts', to='forums.bulkaction'),
        ),
        migrations.AddField(
            model_name='bulkitemcounts',
            name='connection',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='forums.forumconnection'),
        ),
        migrations.AddConstraint(
            model_name='bulkitemcounts',
            constraint=models.UniqueConstraint(fields=('action', 'connection'), name='bulk_item_counts_unique'),
        ),
            migrations.RunPython(fill_counts, migrations.RunPython.noop),
    ]
