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
"""

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass, field

from core.csv import csv_safe
from courses.models import Question, Quiz

from .models import QuizAttempt

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


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None  # everyone alike on one side: no correlation to speak of
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


def quiz_stats(quiz: Quiz) -> QuizStats:
    """Item statistics for `quiz`. Four queries, whatever the number of attempts: the
    questions, their choices, how many attempts there are, and the first attempts' answers
    (retries are counted, not read)."""
    questions = list(quiz.questions.prefetch_related("choices"))
    stats = QuizStats(quiz=quiz)
    by_question = {}
    for question in questions:
        item = QuestionStats(
            question=question,
            choices=[ChoiceStats(c.pk, c.text, c.is_correct) for c in question.choices.all()],
        )
        by_question[question.pk] = item
        stats.questions.append(item)
    pairs: dict[int, list[tuple[float, float]]] = defaultdict(list)
    first_scores = []
    stats.attempts = QuizAttempt.objects.filter(quiz=quiz).count()
    for score, answers in QuizAttempt.objects.filter(quiz=quiz, number=1).values_list(
        "score", "answers"
    ):
        stats.first_attempts += 1
        first_scores.append(score)
        asked = [item for item in answers if item.get("question") in by_question]
        if not asked:
            stats.unmatched += 1
            continue
        correct_total = sum(bool(item["correct"]) for item in answers)
        for item in asked:
            question = by_question[item["question"]]
            got = 1.0 if item["correct"] else 0.0
            question.responses += 1
            question.right += int(got)
            chosen = {c.get("choice") for c in item["choices"] if c.get("chosen")}
            for choice in question.choices:
                choice.picked += choice.pk in chosen
            if len(answers) > 1:
                rest = (correct_total - got) / (len(answers) - 1)
                pairs[question.question.pk].append((got, rest))
    for pk, values in pairs.items():
        by_question[pk].discrimination = _pearson([x for x, _ in values], [y for _, y in values])
    if first_scores:
        stats.mean_first_score = sum(first_scores) / len(first_scores)
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
