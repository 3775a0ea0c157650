"""Lessons rendered before tables were wrapped in a focusable scrolling region get their HTML
rendered again (only those with a table; nothing else about them changes)."""

from django.db import migrations


def wrap_tables(apps, schema_editor):
    # Today's renderer on purpose: the stored HTML is what it would produce now.
    from courses.markdown import render_markdown

    Lesson = apps.get_model("courses", "Lesson")
    for lesson in Lesson.objects.filter(body_html__contains="<table>").only("body_markdown"):
        Lesson.objects.filter(pk=lesson.pk).update(body_html=render_markdown(lesson.body_markdown))


class Migration(migrations.Migration):
    dependencies = [("courses", "0005_assessment_banks_review_and_rubric_levels")]

    operations = [migrations.RunPython(wrap_tables, migrations.RunPython.noop)]
