"""Stored clearance holdings: one row per person and level they hold or held, so a team's
clearance is counted from one narrow table. Filled here from the records that already exist."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_holdings(apps, schema_editor):
    from governance.holdings import refresh_holdings

    refresh_holdings(registry=apps)


class Migration(migrations.Migration):

    dependencies = [
        ('governance', '0002_policy_version_source_submission_foreign_key'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("progress", "0011_ledger_models_moved_to_ledger"),
    ]

    operations = [
        migrations.CreateModel(
            name='LevelHolding',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('acknowledged_number', models.PositiveSmallIntegerField()),
                ('valid_until', models.DateTimeField(blank=True, null=True)),
                ('level', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='holdings', to='governance.clearancelevel')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='level_holdings', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['user', 'level'], name='governance__user_id_0801e8_idx')],
                'constraints': [models.UniqueConstraint(fields=('level', 'user'), name='level_holding_unique')],
            },
        ),
        migrations.RunPython(fill_holdings, migrations.RunPython.noop),
    ]
