"""The practice-in-public models now live in `practice` (see practice.0001): removed from
this app's state only; their tables and rows stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('progress', '0009_quiz_statistics_proxy'),
        ('practice', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(
                    model_name='evidence',
                    name='progress_ev_learner_781dd2_idx',
                ),
                migrations.RemoveConstraint(
                    model_name='evidence',
                    name='evidence_url_once',
                ),
                migrations.RemoveConstraint(
                    model_name='evidence',
                    name='evidence_url_http_or_https',
                ),
                migrations.RemoveConstraint(
                    model_name='growthprofile',
                    name='growth_profile_unique',
                ),
                migrations.RemoveConstraint(
                    model_name='growthprofile',
                    name='growth_profile_goal_1_to_21',
                ),
                migrations.RemoveIndex(
                    model_name='growthsnapshot',
                    name='progress_gr_learner_bf6467_idx',
                ),
                migrations.RemoveConstraint(
                    model_name='growthsnapshot',
                    name='growth_snapshot_one_per_day',
                ),
                migrations.RemoveField(
                    model_name='portfolio',
                    name='learner',
                ),
                migrations.RemoveField(
                    model_name='postreview',
                    name='post',
                ),
                migrations.RemoveField(
                    model_name='postreview',
                    name='reviewer',
                ),
                migrations.RemoveIndex(
                    model_name='practicepost',
                    name='progress_pr_reviewe_a49b29_idx',
                ),
                migrations.RemoveField(
                    model_name='evidence',
                    name='assignment',
                ),
                migrations.RemoveField(
                    model_name='evidence',
                    name='learner',
                ),
                migrations.RemoveField(
                    model_name='evidence',
                    name='post',
                ),
                migrations.RemoveField(
                    model_name='growthprofile',
                    name='learner',
                ),
                migrations.RemoveField(
                    model_name='growthsnapshot',
                    name='learner',
                ),
                migrations.RemoveField(
                    model_name='growthsnapshot',
                    name='profile',
                ),
                migrations.DeleteModel(
                    name='Portfolio',
                ),
                migrations.DeleteModel(
                    name='PostReview',
                ),
                migrations.RemoveField(
                    model_name='practicepost',
                    name='assignment',
                ),
                migrations.RemoveField(
                    model_name='practicepost',
                    name='learner',
                ),
                migrations.RemoveField(
                    model_name='practicepost',
                    name='reviewer',
                ),
                migrations.DeleteModel(
                    name='Evidence',
                ),
                migrations.DeleteModel(
                    name='GrowthProfile',
                ),
                migrations.DeleteModel(
                    name='GrowthSnapshot',
                ),
                migrations.DeleteModel(
                    name='PracticePost',
                ),
            ],
            database_operations=[],
        ),
    ]
