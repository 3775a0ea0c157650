"""The message ledger's models, moved here from `progress` without touching a row.

The tables stay where `progress` created them (`progress_message`, `progress_emailoptout`, named
in each model's Meta), so this migration only tells Django's state that the models now belong to
`ledger`, then renames their content types so permissions and admin history stay attached.
`progress.0011` removes them from `progress`'s state.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MOVED = ["message", "emailoptout"]


def _move_content_types(apps, *, source: str, target: str):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        # A content type created for the new label before this ran (nothing should) would
        # collide with the rename; the old one carries the permissions and history, so it wins.
        ContentType.objects.filter(app_label=target, model=model).delete()
        ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def rename_content_types(apps, schema_editor):
    _move_content_types(apps, source="progress", target="ledger")


def unrename_content_types(apps, schema_editor):
    _move_content_types(apps, source="ledger", target="progress")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('progress', '0010_practice_models_moved_to_practice'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='EmailOptOut',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email', models.EmailField(max_length=254)),
                        ('kind', models.CharField(max_length=40)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'db_table': 'progress_emailoptout',
                        'constraints': [models.UniqueConstraint(fields=('email', 'kind'), name='opt_out_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='Message',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=200, unique=True)),
                        ('kind', models.CharField(db_index=True, max_length=40)),
                        ('topic', models.CharField(blank=True, db_index=True, max_length=120)),
                        ('claim_token', models.CharField(blank=True, db_index=True, max_length=32)),
                        ('to_email', models.EmailField(max_length=254)),
                        ('subject', models.CharField(max_length=200)),
                        ('body_text', models.TextField()),
                        ('body_html', models.TextField()),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('sent', 'Sent'), ('failed', 'Failed')], default='pending', max_length=10)),
                        ('error', models.TextField(blank=True)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('claimed_at', models.DateTimeField(blank=True, null=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('recipient', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='messages', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'progress_message',
                        'ordering': ['-created_at'],
                        'indexes': [models.Index(fields=['status', 'claimed_at'], name='progress_me_status_817824_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_types, unrename_content_types),
    ]
