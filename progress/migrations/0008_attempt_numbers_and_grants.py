import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def number_existing_attempts(apps, schema_editor):
    """Give every attempt its place in its learner's sequence at its quiz, oldest first."""
    QuizAttempt = apps.get_model("progress", "QuizAttempt")
    seen: dict[tuple[int, int], int] = {}
    batch = []
    for attempt in QuizAttempt.objects.order_by("learner_id", "quiz_id", "submitted_at", "pk").only(
        "pk", "learner_id", "quiz_id"
    ).iterator(chunk_size=2000):
        key = (attempt.learner_id, attempt.quiz_id)
        seen[key] = seen.get(key, 0) + 1
        attempt.number = seen[key]
        batch.append(attempt)
        if len(batch) >= 2000:
            QuizAttempt.objects.bulk_update(batch, ["number"])
            batch = []
    if batch:
        QuizAttempt.objects.bulk_update(batch, ["number"])


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0005_assessment_banks_review_and_rubric_levels"),
        ("progress", "0007_enrolment_rollups"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="quizattempt",
            name="number",
            field=models.PositiveIntegerField(default=1),
            preserve_default=False,
        ),
        migrations.RunPython(number_existing_attempts, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="quizattempt",
            constraint=models.UniqueConstraint(
                fields=("learner", "quiz", "number"), name="quiz_attempt_number_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="quizattempt",
            constraint=models.CheckConstraint(
                condition=models.Q(number__gte=1), name="quiz_attempt_number_positive"
            ),
        ),
        migrations.CreateModel(
            name="AttemptGrant",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("granted_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "granted_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="attempt_grants_given",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "learner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attempt_grants",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "quiz",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="grants", to="courses.quiz"
                    ),
                ),
            ],
            options={
                "ordering": ["-granted_at"],
                "indexes": [models.Index(fields=["learner", "quiz"], name="progress_at_learner_53ac57_idx")],
            },
        ),
    ]
