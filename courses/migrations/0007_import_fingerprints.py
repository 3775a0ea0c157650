"""Tracks and lessons remember their content as the last import left it, so `import_content`
can tell an author's admin edits from the files' changes. Rows that exist already can't be told
apart (nothing recorded who changed them last): they are marked unknown, and the next import
treats them as before (the files win) and records their fingerprint."""

from django.db import migrations, models

UNKNOWN = "unknown"  # courses.services.FINGERPRINT_UNKNOWN, copied: migrations don't import app code


def mark_unknown(apps, schema_editor):
    for name in ("Track", "Lesson"):
        apps.get_model("courses", name).objects.update(imported_fingerprint=UNKNOWN)


class Migration(migrations.Migration):
    dependencies = [("courses", "0006_lesson_tables_in_focusable_regions")]

    operations = [
        migrations.AddField(
            model_name="lesson",
            name="imported_fingerprint",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="track",
            name="imported_fingerprint",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(mark_unknown, migrations.RunPython.noop),
    ]
