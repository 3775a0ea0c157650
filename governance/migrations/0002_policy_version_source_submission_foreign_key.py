"""A policy version's source submission becomes a foreign key.

While the model lived in `learners` (below `progress`) it held a plain integer; `governance` sits
above `progress`, so the column (kept as `source_submission_id`) now points at the submission,
and losing the submission empties it. Ids of submissions that no longer exist are emptied first,
so the constraint can be added.
"""

import django.db.models.deletion
from django.db import migrations, models


def forget_missing_submissions(apps, schema_editor):
    PolicyVersion = apps.get_model("governance", "PolicyVersion")
    Submission = apps.get_model("progress", "Submission")
    PolicyVersion.objects.exclude(source_submission_id=None).exclude(
        source_submission_id__in=Submission.objects.values("pk")
    ).update(source_submission_id=None)


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0001_initial"),
        ("progress", "0011_ledger_models_moved_to_ledger"),
    ]

    operations = [
        migrations.RunPython(forget_missing_submissions, migrations.RunPython.noop),
        # Name the column explicitly (no change in the database), so renaming the field keeps it.
        migrations.AlterField(
            model_name="policyversion",
            name="source_submission_id",
            field=models.PositiveIntegerField(
                blank=True, editable=False, null=True, db_column="source_submission_id"
            ),
        ),
        migrations.RenameField(
            model_name="policyversion",
            old_name="source_submission_id",
            new_name="source_submission",
        ),
        migrations.AlterField(
            model_name="policyversion",
            name="source_submission",
            field=models.ForeignKey(
                blank=True,
                db_column="source_submission_id",
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="progress.submission",
            ),
        ),
    ]
