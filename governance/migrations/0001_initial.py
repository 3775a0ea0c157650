"""The governance models, moved here from `learners` without touching a row.

The tables stay where `learners` created them (`learners_*`, named in each model's Meta and on
the clearance levels' tracks), so this migration only tells Django's state that the models now
belong to `governance`, then renames their content types so permissions and admin history stay
attached. `learners.0008` removes them from `learners`'s state.
"""

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MOVED = [
    "bannedterm",
    "policyowner",
    "policy",
    "policyversion",
    "policyacknowledgement",
    "clearancelevel",
]


def _move_content_types(apps, *, source: str, target: str):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        # A content type created for the new label before this ran (nothing should) would
        # collide with the rename; the old one carries the permissions and history, so it wins.
        ContentType.objects.filter(app_label=target, model=model).delete()
        ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def rename_content_types(apps, schema_editor):
    _move_content_types(apps, source="learners", target="governance")


def unrename_content_types(apps, schema_editor):
    _move_content_types(apps, source="governance", target="learners")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('courses', '0005_assessment_banks_review_and_rubric_levels'),
        ('learners', '0007_social_media_policy_and_clearance'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Policy',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(default='Social media policy', max_length=160)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('organisation', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='policy', to='learners.organisation')),
                    ],
                    options={
                        'verbose_name_plural': 'policies',
                        'db_table': 'learners_policy',
                    },
                ),
                migrations.CreateModel(
                    name='PolicyVersion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('body_markdown', models.TextField(verbose_name='policy text (Markdown)')),
                        ('body_html', models.TextField(blank=True, editable=False)),
                        ('text_sha256', models.CharField(blank=True, editable=False, max_length=64)),
                        ('changes_summary', models.CharField(blank=True, help_text='One or two sentences people read before acknowledging the new version.', max_length=280, verbose_name='what changed in this version')),
                        ('effective_date', models.DateField(blank=True, null=True)),
                        ('source_submission_id', models.PositiveIntegerField(blank=True, editable=False, null=True)),
                        ('published_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('policy', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='governance.policy')),
                        ('published_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='policy_versions_published', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'learners_policyversion',
                        'ordering': ['policy', '-number'],
                    },
                ),
                migrations.CreateModel(
                    name='PolicyAcknowledgement',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('acknowledged_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('text_sha256', models.CharField(max_length=64)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='policy_acknowledgements', to=settings.AUTH_USER_MODEL)),
                        ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='acknowledgements', to='governance.policyversion')),
                    ],
                    options={
                        'db_table': 'learners_policyacknowledgement',
                    },
                ),
                migrations.CreateModel(
                    name='BannedTerm',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('term', models.CharField(help_text='Matched as whole words, in any case.', max_length=100)),
                        ('reason', models.CharField(blank=True, help_text="Shown to the learner: why it can't be posted.", max_length=200)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='banned_terms', to='learners.organisation')),
                    ],
                    options={
                        'db_table': 'learners_bannedterm',
                        'ordering': ['organisation', 'term'],
                        'constraints': [models.UniqueConstraint(models.F('organisation'), django.db.models.functions.text.Lower('term'), name='banned_term_unique_in_org')],
                    },
                ),
                migrations.CreateModel(
                    name='ClearanceLevel',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=80)),
                        ('description', models.TextField(blank=True)),
                        ('position', models.PositiveSmallIntegerField(default=0)),
                        ('assignment', models.ForeignKey(blank=True, help_text='Optionally, a practice assignment that must have been approved.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='clearance_levels', to='courses.practiceassignment')),
                        ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='clearance_levels', to='learners.organisation')),
                        ('tracks', models.ManyToManyField(blank=True, db_table='learners_clearancelevel_tracks', help_text='A valid (unexpired) certificate for each of these tracks is required.', related_name='clearance_levels', to='courses.track')),
                    ],
                    options={
                        'db_table': 'learners_clearancelevel',
                        'ordering': ['organisation', 'position', 'name'],
                        'constraints': [models.UniqueConstraint(fields=('organisation', 'name'), name='clearance_level_name_unique_in_org')],
                    },
                ),
                migrations.CreateModel(
                    name='PolicyOwner',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='policy_owners', to='learners.organisation')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='policy_ownerships', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'learners_policyowner',
                        'constraints': [models.UniqueConstraint(fields=('organisation', 'user'), name='policy_owner_unique')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='policyversion',
                    constraint=models.UniqueConstraint(fields=('policy', 'number'), name='policy_version_number_unique'),
                ),
                migrations.AddConstraint(
                    model_name='policyversion',
                    constraint=models.UniqueConstraint(condition=models.Q(('published_at__isnull', True)), fields=('policy',), name='policy_one_draft'),
                ),
                migrations.AddConstraint(
                    model_name='policyversion',
                    constraint=models.CheckConstraint(condition=models.Q(('published_at__isnull', True), models.Q(('effective_date__isnull', False), ('number__isnull', False)), _connector='OR'), name='policy_version_published_has_number_and_date'),
                ),
                migrations.AddIndex(
                    model_name='policyacknowledgement',
                    index=models.Index(fields=['user', 'version'], name='learners_po_user_id_0cfb39_idx'),
                ),
                migrations.AddConstraint(
                    model_name='policyacknowledgement',
                    constraint=models.UniqueConstraint(fields=('version', 'user'), name='policy_acknowledged_once'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_types, unrename_content_types),
    ]
