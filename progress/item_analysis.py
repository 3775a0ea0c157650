"""Item analysis for authors: how each quiz question behaves with real learners.

The statistics follow Moodle's quiz statistics report, computed over each learner's *first*
attempt at the quiz (later attempts are shaped by what the learner saw before):
- facility: the share of responses that got the question right;
- discrimination: the Pearson correlation between getting this question right and the score on
  the rest of the attempt (the other questions drawn), so a question good learners get right and
  weak ones miss scores near 1, and one everyone guesses scores near 0;
- how often each choice was picked.
A question is flagged when it is too easy, too hard, doesn't discriminate, or has a wrong choice
nobody picks (a distractor that distracts nobody). Attempts recorded before attempts kept their
question ids can't be matched to questions and are counted apart.

The page reads sums, not attempts: `count_attempt` adds each attempt to its quiz's tallies as
the attempt is recorded (`QuizTally`, `QuestionTally`, `ChoiceTally`), and every figure above
comes from those sums, so the page costs the same for ten attempts or a million. `recount`
recomputes them from the attempts, nightly and after bulk loads, for what the service can't
see (attempts deleted with an account, questions deleted since).
"""

import csv
import io
import math
from collections.abc import Container, Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Prefetch, Q

from core.csv import csv_safe
from courses.models import Choice, Question, Quiz

from .models import ChoiceTally, QuestionTally, QuizAttempt, QuizTally

TOO_EASY = 0.90  # facility above this on first attempts
TOO_HARD = 0.25  # facility below this
LOW_DISCRIMINATION = 0.20  # correlation with the rest of the attempt below this
MIN_RESPONSES = 5  # fewer first-attempt responses than this: no flags, too little to go on


@dataclass
class ChoiceStats:
    pk: int
    text: str
    correct: bool
    picked: int = 0


@dataclass
class QuestionStats:
    question: Question
    responses: int = 0  # first attempts that asked it
    right: int = 0
    discrimination: float | None = None
    choices: list[ChoiceStats] = field(default_factory=list)

    @property
    def facility(self) -> float | None:
        return self.right / self.responses if self.responses else None

    @property
    def flags(self) -> list[str]:
        if self.responses < MIN_RESPONSES:
            return []
        flags = []
        if self.facility > TOO_EASY:
            flags.append("too easy")
        if self.facility < TOO_HARD:
            flags.append("too hard")
        if self.discrimination is not None and self.discrimination < LOW_DISCRIMINATION:
            flags.append("doesn't discriminate")
        unpicked = [c for c in self.choices if not c.correct and c.picked == 0]
        if unpicked:
            flags.append(
                f"{len(unpicked)} distractor{'s' if len(unpicked) > 1 else ''} never picked"
            )
        return flags


@dataclass
class QuizStats:
    quiz: Quiz
    attempts: int = 0  # every attempt
    first_attempts: int = 0
    unmatched: int = 0  # first attempts recorded without question ids
    mean_first_score: float | None = None
    questions: list[QuestionStats] = field(default_factory=list)


@dataclass
class Figures:
    """The sums item analysis is computed from, for one attempt or many (`add`); what
    `QuizTally`, `QuestionTally` and `ChoiceTally` store, by the same names."""

    attempts: int = 0
    first_attempts: int = 0
    unmatched: int = 0
    first_score_sum: int = 0
    questions: dict[int, dict[str, float]] = field(default_factory=dict)
    picks: dict[int, int] = field(default_factory=dict)  # choice id → first attempts picking it

    def add(
        self,
        *,
        number: int,
        score: int,
        answers: list[dict],
        bank: dict[int, Container[int]] | None = None,
    ) -> None:
        """Count one attempt. Only a first attempt (`number` 1) counts in the figures; the
        questions and choices it names count when `bank` (question id → its choice ids) holds
        them, or always without a bank (the service records only questions it asked)."""
        self.attempts += 1
        if number != 1:
            return
        self.first_attempts += 1
        self.first_score_sum += score
        asked = [
            item
            for item in answers
            if item.get("question") is not None and (bank is None or item["question"] in bank)
        ]
        if not asked:
            self.unmatched += 1
            return
        correct_total = sum(bool(item["correct"]) for item in answers)
        for item in asked:
            question = item["question"]
            got = 1 if item["correct"] else 0
            sums = self.questions.setdefault(question, dict.fromkeys(QUESTION_SUMS, 0))
            sums["responses"] += 1
            sums["correct"] += got
            if len(answers) > 1:
                rest = (correct_total - got) / (len(answers) - 1)
                sums["paired"] += 1
                sums["paired_correct"] += got
                sums["rest_sum"] += rest
                sums["rest_squares"] += rest * rest
                sums["correct_rest_sum"] += got * rest
            for choice in item["choices"]:
                pk = choice.get("choice")
                if choice.get("chosen") and (bank is None or pk in bank[question]):
                    self.picks[pk] = self.picks.get(pk, 0) + 1


QUESTION_SUMS = [f.name for f in QuestionTally._meta.fields if not f.primary_key]
QUIZ_SUMS = ["attempts", "first_attempts", "unmatched", "first_score_sum"]


def discrimination(sums) -> float | None:
    """Pearson's r between right (x, 0 or 1, so x² = x) and the rest of the attempt (y), from
    the sums. Multiplying each sum of squares by n keeps the x side in whole numbers."""
    n, sx, sy = sums.paired, sums.paired_correct, sums.rest_sum
    if n < 2:
        return None
    sxx = n * sx - sx * sx
    syy = n * sums.rest_squares - sy * sy
    # Everyone alike on one side: no correlation to speak of. The y side is a float sum, so
    # "alike" allows for its rounding.
    if sxx == 0 or syy <= 1e-9 * n * sums.rest_squares:
        return None
    return (n * sums.correct_rest_sum - sx * sy) / math.sqrt(sxx * syy)


# -- keeping the tallies ------------------------------------------------------------------------

_QUIZ, _QUESTION, _CHOICE = (m._meta.db_table for m in (QuizTally, QuestionTally, ChoiceTally))


def _adding(table: str, key: str, columns: list[str]) -> str:
    """The upsert's tail that adds to the row in place. Names from the models, never input."""
    sets = [f"{column} = {table}.{column} + excluded.{column}" for column in columns]
    return f"ON CONFLICT ({key}) DO UPDATE SET {', '.join(sets)}"  # nosec B608


def count_attempt(attempt: QuizAttempt) -> None:
    """Add a newly recorded attempt to its quiz's tallies, in the transaction recording it:
    one statement for a retry, three for a first attempt. Each adds to the rows in place
    (creating them the first time), so attempts recorded at once all count, and rows are
    written in id order, so two writers never wait on each other in a circle. Questions or
    choices deleted meanwhile are skipped (the join), as the recount would skip them."""
    figures = Figures()
    figures.add(number=attempt.number, score=attempt.score, answers=attempt.answers)
    quiz_values = [getattr(figures, column) for column in QUIZ_SUMS]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {_QUIZ} (quiz_id, {", ".join(QUIZ_SUMS)})
            VALUES (%s, {", ".join(["%s"] * len(QUIZ_SUMS))})
            {_adding(_QUIZ, "quiz_id", QUIZ_SUMS)}""",  # noqa: S608  # nosec B608
            [attempt.quiz_id, *quiz_values],
        )
        if figures.questions:
            rows = sorted(figures.questions.items())
            values = ", ".join(
                ["(" + ", ".join(["%s"] * (len(QUESTION_SUMS) + 1)) + ")"] * len(rows)
            )
            cursor.execute(
                f"""WITH added (question_id, {", ".join(QUESTION_SUMS)}) AS (VALUES {values})
                INSERT INTO {_QUESTION} (question_id, {", ".join(QUESTION_SUMS)})
                SELECT added.* FROM added
                WHERE added.question_id IN (SELECT id FROM {Question._meta.db_table})
                ORDER BY added.question_id
                {_adding(_QUESTION, "question_id", QUESTION_SUMS)}""",  # noqa: S608  # nosec B608
                [value for pk, sums in rows for value in (pk, *sums.values())],
            )
        if figures.picks:
            picked = sorted(figures.picks)
            cursor.execute(
                f"""INSERT INTO {_CHOICE} (choice_id, picked)
                SELECT id, 1 FROM {Choice._meta.db_table}
                WHERE id IN ({", ".join(["%s"] * len(picked))}) ORDER BY id
                {_adding(_CHOICE, "choice_id", ["picked"])}""",  # noqa: S608  # nosec B608
                picked,
            )


def recount(quizzes: Iterable[Quiz] | None = None) -> int:
    """Recompute the tallies of `quizzes` (every quiz with attempts or tallies by default) from
    their attempts, and return how many quizzes' figures changed. The service keeps them in
    step; this catches what it can't see: attempts loaded in bulk, attempts deleted with their
    account, questions or choices deleted since. Nightly (progress.tasks), and from
    `manage.py refresh_rollups`."""
    if quizzes is None:
        quizzes = Quiz.objects.filter(
            Q(pk__in=QuizAttempt.objects.values("quiz_id")) | Q(tally__isnull=False)
        ).order_by("pk")
    return sum(_recount(quiz) for quiz in quizzes)


@transaction.atomic
def _recount(quiz: Quiz) -> bool:
    with connection.cursor() as cursor:  # the row to lock, so no attempt counts meanwhile
        cursor.execute(
            f"INSERT INTO {_QUIZ} (quiz_id, {', '.join(QUIZ_SUMS)}) VALUES (%s, 0, 0, 0, 0) "  # noqa: S608  # nosec B608
            "ON CONFLICT (quiz_id) DO NOTHING",
            [quiz.pk],
        )
    stored = QuizTally.objects.select_for_update().get(quiz=quiz)
    bank = {
        question: set()
        for question in Question.objects.filter(quiz=quiz).values_list("pk", flat=True)
    }
    for choice, question in Choice.objects.filter(question__quiz=quiz).values_list(
        "pk", "question_id"
    ):
        bank[question].add(choice)
    figures = Figures()
    first = QuizAttempt.objects.filter(quiz=quiz, number=1).values_list("score", "answers")
    for score, answers in first.iterator(chunk_size=2_000):
        figures.add(number=1, score=score, answers=answers, bank=bank)
    figures.attempts = QuizAttempt.objects.filter(quiz=quiz).count()  # retries are counted only
    before = _stored_figures(quiz, stored)
    if _same(before, figures):
        return False
    for column in QUIZ_SUMS:
        setattr(stored, column, getattr(figures, column))
    stored.save()
    QuestionTally.objects.filter(question__quiz=quiz).delete()
    ChoiceTally.objects.filter(choice__question__quiz=quiz).delete()
    QuestionTally.objects.bulk_create(
        QuestionTally(question_id=pk, **sums) for pk, sums in figures.questions.items()
    )
    ChoiceTally.objects.bulk_create(
        ChoiceTally(choice_id=pk, picked=picked) for pk, picked in figures.picks.items()
    )
    return True


def _stored_figures(quiz: Quiz, stored: QuizTally) -> Figures:
    return Figures(
        **{column: getattr(stored, column) for column in QUIZ_SUMS},
        questions={
            row.pop("question_id"): row
            for row in QuestionTally.objects.filter(question__quiz=quiz).values(
                "question_id", *QUESTION_SUMS
            )
        },
        picks=dict(
            ChoiceTally.objects.filter(choice__question__quiz=quiz, picked__gt=0).values_list(
                "choice_id", "picked"
            )
        ),
    )


def _same(a: Figures, b: Figures) -> bool:
    if [getattr(a, c) for c in QUIZ_SUMS] != [getattr(b, c) for c in QUIZ_SUMS]:
        return False
    if a.picks != b.picks or a.questions.keys() != b.questions.keys():
        return False
    return all(
        math.isclose(a.questions[pk][column], b.questions[pk][column], rel_tol=1e-9, abs_tol=1e-9)
        for pk in a.questions
        for column in QUESTION_SUMS
    )


# -- reading them -------------------------------------------------------------------------------


def quiz_stats(quiz: Quiz) -> QuizStats:
    """Item statistics for `quiz`, from its tallies. Three queries, whatever the number of
    attempts: the quiz's tally, the questions with theirs, the choices with theirs."""
    tally = QuizTally.objects.filter(quiz=quiz).first() or QuizTally(quiz=quiz)
    stats = QuizStats(
        quiz=quiz,
        attempts=tally.attempts,
        first_attempts=tally.first_attempts,
        unmatched=tally.unmatched,
        mean_first_score=(
            tally.first_score_sum / tally.first_attempts if tally.first_attempts else None
        ),
    )
    questions = quiz.questions.select_related("tally").prefetch_related(
        Prefetch("choices", Choice.objects.select_related("tally"))
    )
    for question in questions:
        sums = getattr(question, "tally", None) or QuestionTally(question=question)
        picks = {c.pk: getattr(c, "tally", None) for c in question.choices.all()}
        stats.questions.append(
            QuestionStats(
                question=question,
                responses=sums.responses,
                right=sums.correct,
                discrimination=discrimination(sums),
                choices=[
                    ChoiceStats(
                        c.pk, c.text, c.is_correct, picks[c.pk].picked if picks[c.pk] else 0
                    )
                    for c in question.choices.all()
                ],
            )
        )
    return stats


def stats_csv(stats: QuizStats) -> str:
    """The per-question table as CSV (one row per choice under its question's row)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["question", "objective", "prompt or choice", "responses", "facility", "discrimination",
         "picked", "flags"]
    )  # fmt: skip
    for number, item in enumerate(stats.questions, start=1):
        question = item.question
        writer.writerow(
            [
                number,
                question.objective,
                csv_safe(question.prompt),
                item.responses,
                "" if item.facility is None else f"{item.facility:.2f}",
                "" if item.discrimination is None else f"{item.discrimination:.2f}",
                "",
                "; ".join(item.flags),
            ]
        )
        for choice in item.choices:
            mark = " (correct)" if choice.correct else ""
            writer.writerow(
                ["", "", csv_safe(f"  {choice.text}{mark}"), "", "", "", choice.picked, ""]
            )
    return out.getvalue()
