"""The practice-in-public models, moved here from `progress` without touching a row.

The tables stay where `progress` created them (`progress_*`, named in each model's Meta), so
this migration only tells Django's state that the models now belong to `practice`
(`SeparateDatabaseAndState` with no database operations), then renames their content types so
permissions and admin history stay attached. `progress.0010` removes them from `progress`'s state.
"""

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models


MOVED = ["practicepost", "postreview", "evidence", "growthprofile", "growthsnapshot", "portfolio"]


def _move_content_types(apps, *, source: str, target: str):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        # A content type created for the new label before this ran (nothing should) would
        # collide with the rename; the old one carries the permissions and history, so it wins.
        ContentType.objects.filter(app_label=target, model=model).delete()
        ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def rename_content_types(apps, schema_editor):
    _move_content_types(apps, source="progress", target="practice")


def unrename_content_types(apps, schema_editor):
    _move_content_types(apps, source="practice", target="progress")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('progress', '0009_quiz_statistics_proxy'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('courses', '0005_assessment_banks_review_and_rubric_levels'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='GrowthProfile',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('network', models.CharField(max_length=20)),
                        ('handle', models.CharField(max_length=100)),
                        ('weekly_post_goal', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='posts a week (goal)')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('learner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='growth_profiles', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'progress_growthprofile',
                        'ordering': ['network', 'handle'],
                    },
                ),
                migrations.CreateModel(
                    name='GrowthSnapshot',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('taken_on', models.DateField()),
                        ('followers', models.PositiveIntegerField()),
                        ('posts_published', models.PositiveIntegerField(default=0)),
                        ('engagement', models.PositiveIntegerField(default=0)),
                        ('note', models.CharField(blank=True, max_length=200)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('learner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='growth_snapshots', to=settings.AUTH_USER_MODEL)),
                        ('profile', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='snapshots', to='practice.growthprofile')),
                    ],
                    options={
                        'db_table': 'progress_growthsnapshot',
                        'ordering': ['taken_on', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Portfolio',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('handle', models.SlugField(blank=True, max_length=40, null=True, unique=True)),
                        ('is_public', models.BooleanField(default=False, verbose_name='show my portfolio publicly')),
                        ('headline', models.CharField(blank=True, max_length=160)),
                        ('show_certificates', models.BooleanField(default=True, verbose_name='show my certificates')),
                        ('show_growth', models.BooleanField(default=False, verbose_name='show my growth chart')),
                        ('share_growth_with_team', models.BooleanField(default=False, verbose_name='share my growth numbers with my manager')),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('learner', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='portfolio', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'progress_portfolio',
                    },
                ),
                migrations.CreateModel(
                    name='PracticePost',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('network', models.CharField(max_length=20)),
                        ('text', models.TextField(blank=True)),
                        ('link_url', models.URLField(blank=True, max_length=500, validators=[django.core.validators.URLValidator(schemes=['http', 'https'])])),
                        ('link_title', models.CharField(blank=True, max_length=200)),
                        ('link_description', models.CharField(blank=True, max_length=300)),
                        ('has_image', models.BooleanField(default=False)),
                        ('image_alt', models.TextField(blank=True)),
                        ('status', models.CharField(choices=[('draft', 'Draft'), ('in_review', 'In review'), ('approved', 'Approved'), ('changes_requested', 'Changes requested'), ('published', 'Published')], default='draft', max_length=20)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('assignment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='practice_posts', to='courses.practiceassignment')),
                        ('learner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='practice_posts', to=settings.AUTH_USER_MODEL)),
                        ('reviewer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='posts_to_review', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'progress_practicepost',
                        'ordering': ['-updated_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='PostReview',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('outcome', models.CharField(choices=[('approved', 'Approved'), ('changes_requested', 'Changes requested')], max_length=20)),
                        ('comment', models.TextField(blank=True)),
                        ('network_reviewed', models.CharField(max_length=20)),
                        ('text_reviewed', models.TextField()),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('reviewer', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='post_reviews_given', to=settings.AUTH_USER_MODEL)),
                        ('post', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reviews', to='practice.practicepost')),
                    ],
                    options={
                        'db_table': 'progress_postreview',
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Evidence',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('url', models.URLField(max_length=500, validators=[django.core.validators.URLValidator(schemes=['http', 'https'])])),
                        ('network', models.CharField(max_length=20)),
                        ('published_on', models.DateField()),
                        ('note', models.TextField(blank=True)),
                        ('on_portfolio', models.BooleanField(default=False, verbose_name='show on my portfolio')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('assignment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='courses.practiceassignment')),
                        ('learner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='evidence', to=settings.AUTH_USER_MODEL)),
                        ('post', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='evidence', to='practice.practicepost')),
                    ],
                    options={
                        'verbose_name_plural': 'evidence',
                        'db_table': 'progress_evidence',
                        'ordering': ['-published_on', '-pk'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='growthprofile',
                    constraint=models.UniqueConstraint(models.F('learner'), models.F('network'), django.db.models.functions.text.Lower('handle'), name='growth_profile_unique'),
                ),
                migrations.AddConstraint(
                    model_name='growthprofile',
                    constraint=models.CheckConstraint(condition=models.Q(('weekly_post_goal__isnull', True), models.Q(('weekly_post_goal__gte', 1), ('weekly_post_goal__lte', 21)), _connector='OR'), name='growth_profile_goal_1_to_21'),
                ),
                migrations.AddIndex(
                    model_name='growthsnapshot',
                    index=models.Index(fields=['learner', 'taken_on'], name='progress_gr_learner_bf6467_idx'),
                ),
                migrations.AddConstraint(
                    model_name='growthsnapshot',
                    constraint=models.UniqueConstraint(fields=('profile', 'taken_on'), name='growth_snapshot_one_per_day'),
                ),
                migrations.AddIndex(
                    model_name='practicepost',
                    index=models.Index(fields=['reviewer', 'status'], name='progress_pr_reviewe_a49b29_idx'),
                ),
                migrations.AddIndex(
                    model_name='evidence',
                    index=models.Index(fields=['learner', 'published_on'], name='progress_ev_learner_781dd2_idx'),
                ),
                migrations.AddConstraint(
                    model_name='evidence',
                    constraint=models.UniqueConstraint(fields=('learner', 'url'), name='evidence_url_once'),
                ),
                migrations.AddConstraint(
                    model_name='evidence',
                    constraint=models.CheckConstraint(condition=models.Q(('url__startswith', 'http://'), ('url__startswith', 'https://'), _connector='OR'), name='evidence_url_http_or_https'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_types, unrename_content_types),
    ]
