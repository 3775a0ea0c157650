"""The content format's assessment keys: banks and draws, objectives and sections, review
policy and attempt rhythm, rubric levels, gates, pass points and scored samples; and the
guessability check (`manage.py check_quizzes`)."""

import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from courses import content_files as cf
from courses import services
from courses.models import Lesson, Quiz

pytestmark = pytest.mark.django_db

TRACK_TOML = """\
title = "Assessed track"
role = "newcomer"
summary = "Used by the tests."
level = "beginner"
published = true

[[modules]]
slug = "basics"
title = "Basics"
summary = "One module."
"""


def question(
    number: int, objective: str, *, longest_right: bool = False, wrong=("xx", "yy", "z")
) -> str:
    right = "A" * (40 if longest_right else 12)
    return textwrap.dedent(f"""
        [[quiz.questions]]
        objective = "{objective}"
        section = "What to know"
        prompt = "Question {number}: which is it?"
        kind = "single"
        explanation = "Explanation {number}."
        choices = [
          {{ text = "{right} right {number}", correct = true, feedback = "Yes." }},
          {{ text = "Wrong one {number} {wrong[0]}", correct = false, feedback = "No." }},
          {{ text = "Wrong two {number} {wrong[1]}", correct = false, feedback = "No." }},
          {{ text = "Wrong three {number} {wrong[2]}", correct = false, feedback = "No." }},
        ]
        """)


ASSIGNMENT = '''
[assignment]
title = "Write the posts"
required = true
pass_points = 5
brief = """Write three posts."""

[[assignment.rubric]]
criterion = "Voice"
description = "Sounds like the client."
points = 4
levels = [
  { points = 0, description = "Uses none of the style guide's three voice rules." },
  { points = 2, description = "Follows two of the three voice rules." },
  { points = 4, description = "Follows all three voice rules in every post." },
]

[[assignment.rubric]]
criterion = "Confidentiality"
description = "Nothing unannounced."
points = 2
must_pass = true
levels = [
  { points = 0, description = "Mentions the unannounced product." },
  { points = 2, description = "Mentions only announced facts." },
]

[[assignment.samples]]
level = "strong"
submission = """Three posts in the voice."""
scores = { "Voice" = 4, "Confidentiality" = 2 }
why = "All rules, nothing unannounced."

[[assignment.samples]]
level = "borderline"
submission = """Two rules followed."""
scores = { "Voice" = 2, "Confidentiality" = 2 }
why = "Misses one rule: one point short."

[[assignment.samples]]
level = "weak"
submission = """Leaks the launch."""
scores = { "Voice" = 4, "Confidentiality" = 0 }
why = "Good voice, but the gate fails it."
'''


def lesson_file(*, quiz_head: str, questions: str, extra: str = "", body_heading="What to know"):
    return f'+++\ntitle = "Assessed lesson"\nminutes = 5\nfacts_checked = 2026-12-05\n\n{quiz_head}\n{questions}\n{extra}\n+++\n## {body_heading}\n\nThe lesson.\n'


def write_track(root: Path, lesson_text: str) -> Path:
    track = root / "assessed"
    (track / "01-basics").mkdir(parents=True)
    (track / "track.toml").write_text(TRACK_TOML)
    (track / "01-basics" / "01-assessed-lesson.md").write_text(lesson_text)
    return root


QUIZ_HEAD = '[quiz]\npass_mark = 75\ndraw = 2\nreview = "after_last_attempt"\nmax_attempts = 4\nretry_after_hours = 48'
BANK = "".join(question(n, f"objective-{(n + 1) // 2}") for n in range(1, 5))


@pytest.fixture
def roles(db):
    from tests import factories

    for slug in ("newcomer", "strategy-lead", "executive"):
        factories.role(slug)


def errors_for(path: Path) -> list[str]:
    with pytest.raises(cf.InvalidContentError) as raised:
        services.read_content(path)
    return [str(error) for error in raised.value.errors]


def test_the_assessment_keys_import_and_round_trip(tmp_path, roles):
    root = write_track(
        tmp_path / "content", lesson_file(quiz_head=QUIZ_HEAD, questions=BANK, extra=ASSIGNMENT)
    )
    services.import_specs(services.read_content(root))
    lesson = Lesson.objects.get(slug="assessed-lesson")
    assert str(lesson.facts_checked) == "2026-12-05"
    quiz = lesson.quiz
    assert (quiz.draw, quiz.review, quiz.max_attempts, quiz.retry_after_hours) == (
        2,
        "after_last_attempt",
        4,
        48,
    )
    first = quiz.questions.first()
    assert (first.objective, first.section) == ("objective-1", "What to know")
    assignment = lesson.assignment
    assert assignment.pass_points == 5
    voice, gate = assignment.rubric.all()
    assert [level["points"] for level in voice.levels] == [0, 2, 4]
    assert (gate.must_pass, gate.gate) == (True, 2)
    assert [s.level for s in assignment.samples.all()] == ["strong", "borderline", "weak"]
    assert "<p>Leaks the launch.</p>" in assignment.samples.last().submission_html

    exported = tmp_path / "exported"
    cf.write_tree(services.track_specs(), exported)
    again = services.import_specs(services.read_content(exported))
    assert again.changed == 0  # export then import changes nothing


def test_old_files_without_the_new_keys_still_import_with_the_defaults(content_tree):
    services.import_specs(services.read_content(content_tree))
    quiz = Quiz.objects.get(lesson__slug="first-quiz")
    assert (quiz.draw, quiz.review) == (None, "after_pass")
    assert (quiz.max_attempts, quiz.retry_after_hours) == (3, 24)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t.replace('section = "What to know"', 'section = "Nowhere"', 1),
            "is not a heading",
        ),
        (lambda t: t.replace("draw = 2", "draw = 9"), "'draw' is 9 but the bank has 4"),
        (
            lambda t: t.replace('review = "after_last_attempt"', 'review = "never"'),
            "'review' is 'never'",
        ),
        (
            lambda t: t.replace('objective = "objective-1"', 'objective = "Not A Slug"', 1),
            "isn't a slug",
        ),
        (lambda t: t.replace("pass_points = 5", "pass_points = 7"), "the rubric totals 6"),
        (
            lambda t: t.replace(
                'scores = { "Voice" = 4, "Confidentiality" = 0 }',
                'scores = { "Voice" = 4, "Confidentiality" = 2 }',
            ),
            "is 'weak' but its scores pass",
        ),
        (
            lambda t: t.replace(
                'scores = { "Voice" = 4, "Confidentiality" = 2 }',
                'scores = { "Voice" = 2, "Confidentiality" = 0 }',
            ),
            "is 'strong' but its scores don't pass",
        ),
        (
            lambda t: t.replace(
                'scores = { "Voice" = 2, "Confidentiality" = 2 }',
                'scores = { "Voice" = 3, "Confidentiality" = 2 }',
            ),
            "not a score it can give",
        ),
        (
            lambda t: t.replace(
                'scores = { "Voice" = 2, "Confidentiality" = 2 }', 'scores = { "Voice" = 2 }'
            ),
            "missing ['Confidentiality']",
        ),
        (
            lambda t: t.replace(
                '  { points = 4, description = "Follows all',
                '  { points = 3, description = "Follows all',
            ),
            "levels must run upwards from 0 to the criterion's 4 points",
        ),
    ],
)
def test_bad_assessment_keys_are_reported_with_file_and_line(tmp_path, roles, change, message):
    text = change(lesson_file(quiz_head=QUIZ_HEAD, questions=BANK, extra=ASSIGNMENT))
    root = write_track(tmp_path / "content", text)
    errors = errors_for(root)
    assert any(message in error for error in errors), errors
    assert all(":" in error.split(" ")[0] for error in errors)  # path:line: message


# -- check_quizzes ---------------------------------------------------------------------------


def test_the_shipped_curriculum_passes_the_guessability_check(roles, capsys):
    call_command("check_quizzes", settings.BASE_DIR / "content")
    out = capsys.readouterr().out
    for track in ("newcomer", "strategy-lead", "executive"):
        assert f"{track}:" in out
    assert "TOO GUESSABLE" not in out


def test_a_quiz_whose_right_answer_is_always_the_longest_fails_the_check(tmp_path, roles, capsys):
    guessable = "".join(
        question(n, f"objective-{(n + 1) // 2}", longest_right=True) for n in range(1, 5)
    )
    root = write_track(tmp_path / "content", lesson_file(quiz_head=QUIZ_HEAD, questions=guessable))
    with pytest.raises(CommandError, match="can't certify"):
        call_command("check_quizzes", root)
    out = capsys.readouterr().out
    assert "always the longest choice" in out and "TOO GUESSABLE" in out
    assert "assessed/assessed-lesson Q1" in out  # names the worst questions


def test_a_quiz_whose_right_answer_is_never_the_longest_or_shortest_fails_the_check(
    tmp_path, roles, capsys
):
    # The right answer ("AAAAAAAAAAAA right N", 20 characters) sits between a long wrong choice
    # and a short one every time: dropping both leaves it one of two.
    wrong = ("long and very wordy indeed, much longer", "mid-length wrong x", "s")
    middling = "".join(question(n, f"objective-{(n + 1) // 2}", wrong=wrong) for n in range(1, 5))
    root = write_track(tmp_path / "content", lesson_file(quiz_head=QUIZ_HEAD, questions=middling))
    with pytest.raises(CommandError, match="can't certify"):
        call_command("check_quizzes", root)
    out = capsys.readouterr().out
    assert "drop the longest and the shortest, then any" in out and "TOO GUESSABLE" in out


def test_a_bank_no_bigger_than_its_draw_fails_the_check(tmp_path, roles, capsys):
    root = write_track(
        tmp_path / "content",
        lesson_file(quiz_head=QUIZ_HEAD.replace("draw = 2", "draw = 4"), questions=BANK),
    )
    with pytest.raises(CommandError):
        call_command("check_quizzes", root)
    assert "the bank has 4 questions for a draw of 4" in capsys.readouterr().out
