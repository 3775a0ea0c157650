"""Importing and exporting the content-file format (DESIGN.md §5)."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from courses import content_files as cf
from courses import services
from courses.models import Choice, Lesson, Module, PracticeAssignment, Question, Quiz, Track

pytestmark = pytest.mark.django_db

LESSON_WITH_QUIZ = "sample-track/01-basics/02-first-quiz.md"


def import_tree(path: Path):
    return services.import_specs(services.read_content(path))


def errors_for(path: Path) -> list[str]:
    with pytest.raises(cf.InvalidContentError) as raised:
        services.read_content(path)
    return [str(error) for error in raised.value.errors]


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in {path}")


def test_valid_tree_imports_every_part(content_tree):
    report = import_tree(content_tree)

    track = Track.objects.get(slug="sample-track")
    assert track.is_published
    assert track.role.slug == "newcomer"
    assert [m.slug for m in track.modules.order_by("position")] == ["basics", "practice"]
    assert list(
        track.lessons.order_by("module__position", "position").values_list("slug", flat=True)
    ) == [
        "welcome",
        "first-quiz",
        "draft-posts",
    ]
    welcome = Lesson.objects.get(slug="welcome")
    assert welcome.platforms == ["linkedin"]
    assert str(welcome.last_reviewed) == "2026-11-25"
    assert "<strong>bold</strong>" in welcome.body_html
    quiz = Quiz.objects.get(lesson__slug="first-quiz")
    assert quiz.pass_mark == 75
    assert [q.kind for q in quiz.questions.all()] == ["single", "multiple"]
    assert Choice.objects.filter(question__quiz=quiz, is_correct=True).count() == 3
    assignment = Lesson.objects.get(slug="draft-posts").assignment
    assert assignment.required
    assert [c.points for c in assignment.rubric.all()] == [4, 3]
    assert "<li>One for LinkedIn</li>" in assignment.brief_html
    assert report.counts["lesson created"] == 3


def test_reimport_keeps_ids_and_changes_nothing(content_tree):
    import_tree(content_tree)
    before = {
        model: list(model.objects.order_by("pk").values_list("pk", flat=True))
        for model in (Track, Module, Lesson, Quiz, Question, Choice)
    }
    stamps = dict(Lesson.objects.values_list("pk", "updated_at"))

    report = import_tree(content_tree)

    assert report.changed == 0
    after = {
        model: list(model.objects.order_by("pk").values_list("pk", flat=True)) for model in before
    }
    assert after == before
    assert dict(Lesson.objects.values_list("pk", "updated_at")) == stamps


def test_edited_lesson_is_updated_in_place(content_tree):
    import_tree(content_tree)
    lesson = Lesson.objects.get(slug="welcome")
    path = content_tree / "sample-track/01-basics/01-welcome.md"
    path.write_text(path.read_text().replace('title = "Welcome"', 'title = "Welcome aboard"'))

    report = import_tree(content_tree)

    lesson.refresh_from_db()
    assert lesson.title == "Welcome aboard"
    assert report.counts["lesson updated"] == 1
    assert report.counts["lesson unchanged"] == 2


def test_removed_lesson_without_learner_records_is_deleted(content_tree):
    import_tree(content_tree)
    (content_tree / "sample-track/01-basics/01-welcome.md").unlink()

    report = import_tree(content_tree)

    assert not Lesson.objects.filter(slug="welcome").exists()
    assert report.counts["lesson deleted"] == 1


def test_removed_parts_with_learner_records_are_archived_and_the_others_deleted(content_tree):
    from progress.models import QuizAttempt
    from tests import factories

    import_tree(content_tree)
    quiz = Quiz.objects.get(lesson__slug="first-quiz")
    QuizAttempt.objects.create(
        learner=factories.UserFactory(), quiz=quiz, token="t", number=1, score=50, passed=False,
        answers=[],
    )  # fmt: skip
    basics = content_tree / "sample-track/01-basics"
    for path in (
        basics / "02-first-quiz.md",
        content_tree / "sample-track/02-practice/01-draft-posts.md",
    ):
        text = path.read_text()
        front, body = text.split("+++", 2)[1:]
        kept = front.split("\n[", 1)[0]  # the title and minutes, without the quiz or assignment
        path.write_text(f"+++{kept}\n+++{body}")

    report = import_tree(content_tree)

    quiz.refresh_from_db()
    assert quiz.archived_at is not None  # an attempt points at it
    assert not PracticeAssignment.objects.exists()  # nobody submitted anything
    assert report.counts["quiz archived"] == report.counts["assignment deleted"] == 1

    for path in basics.iterdir():
        path.unlink()
    basics.rmdir()
    (content_tree / "sample-track/02-practice").rename(content_tree / "sample-track/01-practice")
    track_toml = content_tree / "sample-track/track.toml"
    head, _basics, practice = track_toml.read_text().split("[[modules]]")
    track_toml.write_text(f"{head}[[modules]]{practice}")
    report = import_tree(content_tree)

    # The quiz's lesson is kept for the attempt, so its module is too; the other lesson goes.
    assert Lesson.objects.get(slug="first-quiz").archived_at is not None
    assert not Lesson.objects.filter(slug="welcome").exists()
    assert Module.objects.get(slug="basics").archived_at is not None
    assert report.counts["lesson archived"] == report.counts["lesson deleted"] == 1
    assert report.counts["module archived"] == 1


def test_command_imports_and_reports(content_tree, capsys):
    call_command("import_content", str(content_tree))
    call_command("import_content", str(content_tree))
    out = capsys.readouterr().out
    assert "Imported 1 track(s)" in out
    assert "Nothing changed." in out


def test_dry_run_writes_nothing(content_tree, capsys):
    call_command("import_content", str(content_tree), "--dry-run")
    assert "Would import 1 track(s)" in capsys.readouterr().out
    assert not Track.objects.exists()


def test_a_single_track_folder_can_be_imported(content_tree):
    import_tree(content_tree / "sample-track")
    assert Track.objects.filter(slug="sample-track").exists()


# -- invalid trees: a precise file:line error, and nothing imported ------------------------


def assert_nothing_imported(content_tree, capsys, expected: str) -> None:
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_content", str(content_tree))
    assert expected in capsys.readouterr().err
    assert not Track.objects.exists()
    assert not Lesson.objects.exists()


def test_bad_toml_is_reported_with_its_line(content_tree, capsys):
    path = content_tree / LESSON_WITH_QUIZ
    text = path.read_text().replace("pass_mark = 75", "pass_mark = = 75")
    path.write_text(text)
    line = line_of(path, "pass_mark = = 75")

    [error] = errors_for(content_tree)

    assert error.startswith(f"{path}:{line}: invalid TOML")
    assert_nothing_imported(content_tree, capsys, f"{path}:{line}:")


def test_unknown_role_is_reported(content_tree, capsys):
    path = content_tree / "sample-track/track.toml"
    path.write_text(path.read_text().replace('role = "newcomer"', 'role = "astronaut"'))

    [error] = errors_for(content_tree)

    assert error.startswith(f"{path}:2: unknown role 'astronaut'")
    assert_nothing_imported(content_tree, capsys, "unknown role 'astronaut'")


def test_question_without_correct_choice_is_reported(content_tree, capsys):
    path = content_tree / LESSON_WITH_QUIZ
    text = path.read_text().replace(
        '{ text = "Acknowledge and offer a private channel", correct = true',
        '{ text = "Acknowledge and offer a private channel", correct = false',
    )
    path.write_text(text)
    line = line_of(path, "[[quiz.questions]]", 1)

    [error] = errors_for(content_tree)

    assert error == f"{path}:{line}: quiz question 1 has no correct choice"
    assert_nothing_imported(content_tree, capsys, error)


def test_single_question_with_two_correct_choices_is_reported(content_tree):
    path = content_tree / LESSON_WITH_QUIZ
    path.write_text(
        path.read_text().replace(
            '"Delete the comment", correct = false', '"Delete the comment", correct = true'
        )
    )
    [error] = errors_for(content_tree)
    assert "quiz question 1 is single choice but has 2 correct choices" in error


def test_choice_without_feedback_and_question_without_explanation(content_tree):
    path = content_tree / LESSON_WITH_QUIZ
    text = path.read_text()
    text = text.replace('feedback = "Silence reads as indifference."', 'feedback = ""')
    text = text.replace('explanation = "A rate divides by a base."\n', "")
    path.write_text(text)
    errors = errors_for(content_tree)
    assert any("quiz question 1 choice 3 has no feedback" in e for e in errors)
    assert any("quiz question 2 has no explanation" in e for e in errors)


def test_duplicate_lesson_slug_is_reported(content_tree, capsys):
    duplicate = content_tree / "sample-track/02-practice/02-welcome.md"
    duplicate.write_text((content_tree / "sample-track/01-basics/01-welcome.md").read_text())

    errors = errors_for(content_tree)

    assert any(e.startswith(f"{duplicate}:1: duplicate lesson slug 'welcome'") for e in errors)
    assert_nothing_imported(content_tree, capsys, "duplicate lesson slug 'welcome'")


def test_duplicate_module_slug_is_reported(content_tree):
    path = content_tree / "sample-track/track.toml"
    path.write_text(path.read_text().replace('slug = "practice"', 'slug = "basics"'))
    errors = errors_for(content_tree)
    line = line_of(path, "[[modules]]", 2)
    assert f"{path}:{line}: module 2: duplicate module slug 'basics'" in errors


def test_missing_module_folder_is_reported(content_tree, capsys):
    path = content_tree / "sample-track/track.toml"
    path.write_text(
        path.read_text()
        + '\n[[modules]]\nslug = "reporting"\ntitle = "Reporting"\nsummary = "Missing."\n'
    )
    line = line_of(path, "[[modules]]", 3)

    errors = errors_for(content_tree)

    assert f"{path}:{line}: module 3 'reporting' has no folder 03-reporting/" in errors
    assert_nothing_imported(content_tree, capsys, "has no folder 03-reporting/")


def test_every_error_is_reported_at_once(content_tree):
    track = content_tree / "sample-track/track.toml"
    track.write_text(track.read_text().replace('role = "newcomer"', 'role = "astronaut"'))
    lesson = content_tree / LESSON_WITH_QUIZ
    lesson.write_text(lesson.read_text().replace("pass_mark = 75", "pass_mark = 175"))
    errors = errors_for(content_tree)
    assert len(errors) == 2
    assert any("'pass_mark' must be between 1 and 100" in e for e in errors)


def test_unknown_key_is_reported(content_tree):
    path = content_tree / "sample-track/01-basics/01-welcome.md"
    path.write_text(path.read_text().replace("minutes = 4", "minutes = 4\nminuets = 5"))
    [error] = errors_for(content_tree)
    assert error.startswith(f"{path}:4: unknown key 'minuets'")


def test_required_assignment_needs_a_rubric(content_tree):
    path = content_tree / "sample-track/02-practice/01-draft-posts.md"
    text = path.read_text()
    path.write_text(text[: text.index("[[assignment.rubric]]")] + "+++\nBody.\n")
    [error] = errors_for(content_tree)
    assert "a required assignment needs at least one [[assignment.rubric]] criterion" in error


def test_missing_front_matter_is_reported(content_tree):
    path = content_tree / "sample-track/01-basics/01-welcome.md"
    path.write_text("## No front matter\n")
    assert errors_for(content_tree) == [
        f"{path}:1: a lesson starts with TOML front matter between two '+++' lines"
    ]


# -- export ------------------------------------------------------------------------------


def test_export_then_import_changes_nothing(content_tree, tmp_path):
    import_tree(content_tree)
    exported = tmp_path / "exported"
    call_command("export_content", str(exported))

    report = import_tree(exported)

    assert report.changed == 0


def test_export_reproduces_the_meaning_of_the_files(content_tree, tmp_path):
    import_tree(content_tree)
    exported = tmp_path / "exported"
    call_command("export_content", str(exported), "--track", "sample-track")

    roles = services.known_role_slugs()
    assert cf.read_tree(exported, known_roles=roles) == cf.read_tree(
        content_tree, known_roles=roles
    )


def test_toml_writer_escapes_awkward_strings():
    spec = cf.LessonSpec(
        slug="odd",
        title='Quotes " and \\ backslashes\tand tabs',
        minutes=3,
        body="Body with +++ inside\n",
        quiz=cf.QuizSpec(
            pass_mark=50,
            max_attempts=None,
            questions=[
                cf.QuestionSpec(
                    prompt='Multi\nline "prompt"',
                    kind="single",
                    explanation='Ends with a quote"',
                    choices=[
                        cf.ChoiceSpec(text="A\nB", correct=True, feedback="x\u0001y"),
                        cf.ChoiceSpec(text="C", correct=False, feedback='"""'),
                    ],
                )
            ],
        ),
    )
    text = cf.lesson_file(spec)
    front, body = cf.split_front_matter(text)
    import tomllib

    data = tomllib.loads(front)
    assert data["title"] == spec.title
    assert data["quiz"]["questions"][0]["prompt"] == 'Multi\nline "prompt"'
    assert data["quiz"]["questions"][0]["explanation"] == 'Ends with a quote"'
    assert data["quiz"]["questions"][0]["choices"][0] == {
        "text": "A\nB",
        "correct": True,
        "feedback": "x\u0001y",
    }
    assert data["quiz"]["questions"][0]["choices"][1]["feedback"] == '"""'
    assert body == spec.body


def test_export_rejects_unknown_track(tmp_path):
    with pytest.raises(CommandError, match="Unknown track slug"):
        call_command("export_content", str(tmp_path), "--track", "nope")


# -- validity_months (an optional key of track.toml) -------------------------------------------


def test_validity_months_is_read_imported_exported_and_checked(content_tree, tmp_path):
    toml = content_tree / "sample-track" / "track.toml"
    toml.write_text(
        toml.read_text().replace("published = true", "published = true\nvalidity_months = 12")
    )
    import_tree(content_tree)
    track = Track.objects.get(slug="sample-track")
    assert track.validity_months == 12

    exported = tmp_path / "exported"
    call_command("export_content", str(exported), "--track", "sample-track")
    assert "validity_months = 12" in (exported / "sample-track" / "track.toml").read_text()
    assert import_tree(exported).changed == 0

    # Removing the key means "valid for ever" again.
    toml.write_text(toml.read_text().replace("validity_months = 12\n", ""))
    import_tree(content_tree)
    track.refresh_from_db()
    assert track.validity_months is None
    assert "validity_months" not in cf.track_toml(services.track_specs()[0])

    toml.write_text(
        toml.read_text().replace("published = true", 'published = true\nvalidity_months = "a year"')
    )
    assert errors_for(content_tree) == [
        f"{toml}:{line_of(toml, 'validity_months')}: 'validity_months' must be a whole number"
    ]


def test_text_longer_than_its_column_is_reported_before_anything_is_written(content_tree, capsys):
    """PostgreSQL refuses a value longer than its column (SQLite would keep it): the files are
    checked first, so an import never fails half-way."""
    path = content_tree / "sample-track/track.toml"
    long_check = "I can " + "plan a week of posts, " * 12
    text = path.read_text().replace("[[modules]]", f'[[modules]]\nself_check = "{long_check}"', 1)
    path.write_text(text)

    [error] = errors_for(content_tree)

    assert f"self_check is {len(long_check)} characters; at most 240" in error
    assert_nothing_imported(content_tree, capsys, "at most 240")


def test_the_length_limits_are_the_database_columns():
    from courses.models import Module, PracticeAssignment, Question, RubricCriterion

    models = {
        "track": Track, "module": Module, "lesson": Lesson, "question": Question,
        "assignment": PracticeAssignment, "rubric": RubricCriterion,
    }  # fmt: skip
    for (owner, name), limit in cf.MAX_LENGTHS.items():
        assert models[owner]._meta.get_field(name).max_length == limit, (owner, name)
