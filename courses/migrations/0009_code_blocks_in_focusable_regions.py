"""Lessons and assignment texts rendered before code blocks became focusable regions get
their HTML rendered again (only those with a code block; nothing else about them changes)."""

from django.db import migrations


def rerender(apps, schema_editor):
    # Today's renderer on purpose: the stored HTML is what it would produce now.
    from courses.markdown import render_markdown

    for model, source, target in (
        ("Lesson", "body_markdown", "body_html"),
        ("PracticeAssignment", "brief_markdown", "brief_html"),
        ("AssignmentSample", "submission", "submission_html"),
    ):
        Model = apps.get_model("courses", model)
        for row in Model.objects.filter(**{f"{target}__contains": "<pre>"}).only(source):
            Model.objects.filter(pk=row.pk).update(
                **{target: render_markdown(getattr(row, source))}
            )


class Migration(migrations.Migration):
    dependencies = [("courses", "0008_lesson_revisions")]

    operations = [migrations.RunPython(rerender, migrations.RunPython.noop)]
