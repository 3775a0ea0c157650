"""Content files and the admin: `import_content` never overwrites or removes what an author
changed in the admin since the last import, unless told to prefer the files (issue 22, item 2)."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from courses import services
from courses.models import Choice, Lesson, Track
from progress.models import LessonCompletion
from tests import factories

pytestmark = pytest.mark.django_db

WELCOME = "sample-track/01-basics/01-welcome.md"


def import_tree(path: Path, **options):
    return services.import_specs(services.read_content(path), **options)


def edit_file(content_tree: Path, relative: str, old: str, new: str) -> None:
    path = content_tree / relative
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))


def author_edits_welcome() -> Lesson:
    """What saving the lesson's change form in the admin does."""
    lesson = Lesson.objects.get(slug="welcome")
    lesson.body_markdown = "## Welcome\n\nRewritten by an author in the admin."
    lesson.save()
    return lesson


def test_a_second_import_of_unchanged_files_reports_no_conflict(content_tree):
    import_tree(content_tree)
    report = import_tree(content_tree)
    assert report.conflicts == []
    assert report.changed == 0


def test_a_change_in_the_files_alone_is_imported(content_tree):
    import_tree(content_tree)
    edit_file(content_tree, WELCOME, 'title = "Welcome"', 'title = "Welcome aboard"')

    report = import_tree(content_tree)

    assert report.conflicts == []
    assert Lesson.objects.get(slug="welcome").title == "Welcome aboard"


def test_an_admin_edit_is_kept_and_reported_and_the_rest_is_imported(content_tree):
    import_tree(content_tree)
    author_edits_welcome()
    edit_file(content_tree, WELCOME, 'title = "Welcome"', 'title = "Welcome aboard"')
    quiz_file = "sample-track/01-basics/02-first-quiz.md"
    edit_file(content_tree, quiz_file, "minutes = 6", "minutes = 16")

    report = import_tree(content_tree)

    welcome = Lesson.objects.get(slug="welcome")
    assert welcome.body_markdown.endswith("Rewritten by an author in the admin.")
    assert welcome.title == "Welcome"  # the file's change waits until the conflict is resolved
    assert report.conflicts == [
        "lesson sample-track/welcome: changed in the admin since the last import; left as it is"
    ]
    assert report.counts["lesson updated"] == 1  # the quiz lesson, changed in the files only

    # Still reported on the next run: nothing was resolved.
    assert import_tree(content_tree).conflicts == report.conflicts


def test_prefer_files_overwrites_the_admin_edit(content_tree):
    import_tree(content_tree)
    author_edits_welcome()

    report = import_tree(content_tree, prefer_files=True)

    assert report.conflicts == []
    assert "Rewritten" not in Lesson.objects.get(slug="welcome").body_markdown
    assert import_tree(content_tree).conflicts == []  # the files' version is the imported one


def test_a_quiz_edited_in_the_admin_is_an_edit_of_its_lesson(content_tree):
    import_tree(content_tree)
    choice = Choice.objects.filter(question__quiz__lesson__slug="first-quiz").first()
    choice.text = "A choice an author reworded"
    choice.save()

    report = import_tree(content_tree)

    choice.refresh_from_db()
    assert choice.text == "A choice an author reworded"
    assert [line.split(":")[0] for line in report.conflicts] == ["lesson sample-track/first-quiz"]


def test_a_lesson_created_in_the_admin_is_neither_archived_nor_deleted(content_tree):
    import_tree(content_tree)
    welcome = Lesson.objects.get(slug="welcome")
    Lesson.objects.create(
        track=welcome.track,
        module=welcome.module,
        slug="written-in-the-admin",
        title="Written in the admin",
        position=9,
        body_markdown="An author's new lesson.",
    )

    report = import_tree(content_tree)

    added = Lesson.objects.get(slug="written-in-the-admin")
    assert added.archived_at is None
    assert report.counts["lesson archived"] == report.counts["lesson deleted"] == 0
    assert report.conflicts == [
        "lesson sample-track/written-in-the-admin: created in the admin, not in the content "
        "files; left as it is"
    ]


def test_the_lesson_the_files_removed_still_goes_when_nobody_edited_it(content_tree):
    import_tree(content_tree)
    (content_tree / WELCOME).unlink()

    report = import_tree(content_tree)

    assert report.conflicts == []
    assert not Lesson.objects.filter(slug="welcome").exists()


def test_a_track_setting_changed_in_the_admin_leaves_the_whole_track_alone(content_tree):
    import_tree(content_tree)
    Track.objects.filter(slug="sample-track").update(title="Renamed by an author")
    edit_file(content_tree, WELCOME, 'title = "Welcome"', 'title = "Welcome aboard"')

    report = import_tree(content_tree)

    assert Track.objects.get(slug="sample-track").title == "Renamed by an author"
    assert Lesson.objects.get(slug="welcome").title == "Welcome"
    assert report.conflicts == [
        "track sample-track: changed in the admin since the last import; the whole track is "
        "left as it is"
    ]
    assert report.changed == 0


def test_exporting_the_admin_edit_to_the_files_resolves_the_conflict(content_tree):
    import_tree(content_tree)
    author_edits_welcome()

    call_command("export_content", str(content_tree), "--track", "sample-track")
    report = import_tree(content_tree)

    assert report.conflicts == []
    assert report.changed == 0
    assert "Rewritten by an author" in (content_tree / WELCOME).read_text()


def test_learners_keep_their_progress_through_a_conflict(content_tree):
    import_tree(content_tree)
    lesson = author_edits_welcome()
    learner = factories.UserFactory()
    LessonCompletion.objects.create(learner=learner, lesson=lesson)

    import_tree(content_tree)
    import_tree(content_tree, prefer_files=True)

    assert LessonCompletion.objects.filter(learner=learner, lesson_id=lesson.pk).exists()


def test_the_command_reports_each_conflict_and_how_to_resolve_it(content_tree, capsys):
    call_command("import_content", str(content_tree))
    author_edits_welcome()

    call_command("import_content", str(content_tree))  # no error: `make run` carries on

    err = capsys.readouterr().err
    assert "1 item(s) changed by an author in the admin since the last import" in err
    assert "lesson sample-track/welcome: changed in the admin" in err
    assert "export_content" in err and "--prefer-files" in err
    assert "Rewritten" in Lesson.objects.get(slug="welcome").body_markdown

    call_command("import_content", str(content_tree), "--prefer-files")
    assert "Rewritten" not in Lesson.objects.get(slug="welcome").body_markdown


def test_a_dry_run_reports_conflicts_too(content_tree, capsys):
    call_command("import_content", str(content_tree))
    author_edits_welcome()
    capsys.readouterr()

    call_command("import_content", str(content_tree), "--dry-run")

    assert "lesson sample-track/welcome: changed in the admin" in capsys.readouterr().err


def test_find_conflicts_reads_without_writing(content_tree):
    import_tree(content_tree)
    author_edits_welcome()
    before = Lesson.objects.get(slug="welcome").body_markdown

    assert services.find_conflicts(services.read_content(content_tree)) == [
        "lesson sample-track/welcome: changed in the admin since the last import; left as it is"
    ]
    assert Lesson.objects.get(slug="welcome").body_markdown == before


@pytest.mark.django_db(transaction=True)
def test_content_from_before_fingerprints_is_marked_unknown_so_files_still_win():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        [("courses", "0006_lesson_tables_in_focusable_regions")],
        [("courses", "0007_import_fingerprints")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        role = apps.get_model("courses", "Role").objects.get_or_create(slug="newcomer")[0]
        track = apps.get_model("courses", "Track").objects.create(
            slug="old-track", title="Old", role=role, summary="Imported long ago."
        )
        module = apps.get_model("courses", "Module").objects.create(
            track=track, slug="m", title="M", position=1
        )
        apps.get_model("courses", "Lesson").objects.create(
            track=track, module=module, slug="old-lesson", title="Old lesson", position=1
        )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
    assert Track.objects.get(slug="old-track").imported_fingerprint == services.FINGERPRINT_UNKNOWN
    assert Lesson.objects.get(slug="old-lesson").imported_fingerprint == "unknown"


def test_a_draft_published_in_the_admin_survives_the_next_import(client, staff_user, content_tree):
    from courses import drafts

    import_tree(content_tree)
    client.force_login(staff_user)
    welcome = Lesson.objects.get(slug="welcome")
    text = drafts.published_text(welcome)
    body = text[text.index("\n+++", 4) + 5 :]
    response = client.post(
        reverse("admin:courses_lesson_draft", args=[welcome.pk]),
        {"action": "publish", "text": text.replace(body, "Fixed by an author in the admin.\n")},
    )
    assert response.status_code == 302

    report = import_tree(content_tree)

    assert "Fixed by an author" in Lesson.objects.get(slug="welcome").body_markdown
    assert report.conflicts[0].startswith("lesson sample-track/welcome: changed in the admin")


def test_the_zip_preview_warns_what_the_upload_replaces(client, staff_user, content_tree):
    from tests.courses.test_admin_import import confirm, upload, zip_folder

    import_tree(content_tree)
    author_edits_welcome()
    client.force_login(staff_user)

    response = upload(client, zip_folder(content_tree))

    body = response.content.decode()
    assert "Importing replaces what an author changed here in the admin" in body
    assert "lesson sample-track/welcome: changed in the admin since the last import" in body
    assert "Rewritten" in Lesson.objects.get(slug="welcome").body_markdown  # not yet

    confirm(client, response)
    assert "Rewritten" not in Lesson.objects.get(slug="welcome").body_markdown
