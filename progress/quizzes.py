"""The rules that make a quiz pass mean something: draws, attempt limits and earned answers.

- **Draws.** An attempt asks `quiz.draw` questions from the bank (all without a draw), spread
  across objectives, preferring questions the learner's previous attempt didn't ask, with each
  question's choices in a fresh order. The draw travels in the form's signed one-time token, so
  a posted form can't choose its own questions.
- **Attempts.** `max_attempts` in a row, then a fresh set `retry_after_hours` after the last
  one (none when it is 0); each extra attempt a manager or staff grants adds one at once.
- **Answers are earned.** Correct choices, feedback and explanations are shown only when the
  quiz's review policy allows: after a pass (the default), also once the learner has no attempt
  left and none will open (`after_last_attempt`), or always. Until then a result says which
  questions were missed and which lesson section to revisit, nothing more.
"""

import operator
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce

from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils import timezone

from core.id_lists import AmongIds
from courses.markdown import heading_id
from courses.models import Question, Quiz
from learners.models import Membership, User

from .models import AttemptGrant, QuizAttempt

Draw = list[tuple[int, list[int]]]  # (question id, its choice ids in the order shown)


# -- draws ---------------------------------------------------------------------------------


def draw_questions(
    questions: list[Question], *, size: int | None, avoid: set[int], rng: random.Random
) -> Draw:
    """Pick `size` questions (all when None) across objectives; shuffle each one's choices.

    `questions` must have their choices prefetched. Round-robin over objectives in a random
    order, so an attempt covers as many objectives as it can; within an objective, questions
    in `avoid` (last attempt's) come last.
    """
    size = len(questions) if size is None else min(size, len(questions))
    groups: dict[str, list[Question]] = defaultdict(list)
    for question in questions:
        groups[question.objective or f"question-{question.pk}"].append(question)
    pools = []
    for group in groups.values():
        fresh = [q for q in group if q.pk not in avoid]
        seen = [q for q in group if q.pk in avoid]
        rng.shuffle(fresh)
        rng.shuffle(seen)
        pools.append(fresh + seen)
    rng.shuffle(pools)
    # Objectives with unseen questions go first in each round.
    pools.sort(key=lambda pool: pool[0].pk in avoid)
    picked: list[Question] = []
    while len(picked) < size:
        for pool in pools:
            if pool and len(picked) < size:
                picked.append(pool.pop(0))
    # Keep the authored order within the draw: questions often build on each other.
    picked.sort(key=lambda q: q.position)
    draw = []
    for question in picked:
        choice_ids = [choice.pk for choice in question.choices.all()]
        rng.shuffle(choice_ids)
        draw.append((question.pk, choice_ids))
    return draw


def new_draw(*, learner: User, quiz: Quiz, questions: list[Question] | None = None) -> Draw:
    """A fresh draw for `learner`'s next attempt at `quiz`. One query, plus two to read the
    questions (with their choices) when the caller hasn't."""
    if questions is None:
        questions = list(quiz.questions.prefetch_related("choices"))
    last = QuizAttempt.objects.filter(learner=learner, quiz=quiz).order_by("-number").first()
    avoid = {item["question"] for item in (last.answers if last else []) if "question" in item}
    return draw_questions(questions, size=quiz.draw, avoid=avoid, rng=random.SystemRandom())


def authored_draw(quiz: Quiz) -> Draw:
    """Every question in authored order: forms issued before draws existed carry no draw."""
    return [
        (question.pk, [choice.pk for choice in question.choices.all()])
        for question in quiz.questions.prefetch_related("choices")
    ]


# -- attempts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Allowance:
    left: int | None  # attempts the learner may start now; None: unlimited
    opens_at: datetime | None  # when a fresh set opens, if none is left now
    used: int  # attempts so far, all sets

    @property
    def allowed(self) -> bool:
        return self.left is None or self.left > 0

    @property
    def final(self) -> bool:
        """No attempt left, and none will open unless someone grants one."""
        return self.left == 0 and self.opens_at is None


def allowance_from(
    *,
    max_attempts: int | None,
    retry_after_hours: int,
    attempt_times: list[datetime],
    grant_times: list[datetime],
    now: datetime,
) -> Allowance:
    """The attempt rule as a pure function of the learner's history (for tests and views)."""
    if max_attempts is None:
        return Allowance(left=None, opens_at=None, used=len(attempt_times))
    events = sorted(
        [(t, "grant") for t in grant_times] + [(t, "attempt") for t in attempt_times],
        key=lambda event: (event[0], event[1] == "attempt"),
    )
    credit, opens_at = max_attempts, None
    for moment, kind in events:
        if opens_at is not None and moment >= opens_at:
            credit, opens_at = max_attempts, None
        if kind == "grant":
            credit += 1
            continue
        credit = max(credit - 1, 0)
        if credit == 0 and retry_after_hours:
            opens_at = moment + timedelta(hours=retry_after_hours)
    if opens_at is not None and now >= opens_at:
        credit, opens_at = max_attempts, None
    return Allowance(
        left=credit, opens_at=opens_at if credit == 0 else None, used=len(attempt_times)
    )


@dataclass(frozen=True)
class History:
    """A learner's attempts at one quiz, as the quiz pages need them."""

    used: int
    attempt_times: list[datetime]  # read only when the quiz limits attempts
    best: int | None
    grant_times: list[datetime]
    has_passed: bool = False  # any attempt recorded as a pass (whatever the pass mark is now)


def history(*, learner: User, quiz: Quiz) -> History:
    """Two queries; one without an attempt limit, which reads only the count and best score,
    so the cost doesn't grow with a learner's attempts."""
    attempts = QuizAttempt.objects.filter(learner=learner, quiz=quiz)
    grants = AttemptGrant.objects.filter(learner=learner, quiz=quiz)
    if quiz.max_attempts is None:
        summary = attempts.aggregate(
            count=Count("pk"), best=Max("score"), passes=Count("pk", filter=Q(passed=True))
        )
        return History(
            used=summary["count"],
            attempt_times=[],
            best=summary["best"],
            grant_times=[],
            has_passed=summary["passes"] > 0,
        )
    rows = list(attempts.order_by("number").values_list("submitted_at", "score", "passed"))
    return History(
        used=len(rows),
        attempt_times=[moment for moment, _, _ in rows],
        best=max((score for _, score, _ in rows), default=None),
        grant_times=list(grants.values_list("granted_at", flat=True)),
        has_passed=any(passed for _, _, passed in rows),
    )


def allowance(
    *, learner: User, quiz: Quiz, now: datetime | None = None, past: History | None = None
) -> Allowance:
    """Whether `learner` may start an attempt at `quiz` now, and if not, when. Two queries
    unless the caller passes the `past` it has read."""
    past = past or history(learner=learner, quiz=quiz)
    if quiz.max_attempts is None:
        return Allowance(left=None, opens_at=None, used=past.used)
    return allowance_from(
        max_attempts=quiz.max_attempts,
        retry_after_hours=quiz.retry_after_hours,
        attempt_times=past.attempt_times,
        grant_times=past.grant_times,
        now=now or timezone.now(),
    )


# -- earned answers ------------------------------------------------------------------------


def answers_revealed(*, quiz: Quiz, has_passed: bool, allowance: Allowance) -> bool:
    """Whether the learner may now see correct choices, feedback and explanations."""
    if quiz.review == Quiz.Review.ALWAYS or has_passed:
        return True
    return quiz.review == Quiz.Review.AFTER_LAST_ATTEMPT and allowance.final


def learner_may_see_answers(*, learner: User, quiz: Quiz) -> bool:
    """`answers_revealed` for a learner as the database has them now. Up to two queries."""
    if quiz.review == Quiz.Review.ALWAYS:
        return True
    past = history(learner=learner, quiz=quiz)
    return answers_revealed(
        quiz=quiz,
        has_passed=past.has_passed,
        allowance=allowance(learner=learner, quiz=quiz, past=past),
    )


def without_answers(snapshot: list[dict]) -> list[dict]:
    """An attempt's record as a learner may see it before the answers are earned: each
    question's prompt, what they chose, whether they got it, and the section to revisit."""
    return [
        {
            "prompt": item["prompt"],
            "kind": item["kind"],
            "correct": item["correct"],
            "section": item.get("section", ""),
            "choices": [
                {"text": choice["text"], "chosen": choice["chosen"]} for choice in item["choices"]
            ],
        }
        for item in snapshot
    ]


def section_anchor(section: str) -> str:
    """The id of the lesson heading `section` in the rendered lesson."""
    return heading_id(section)


# -- people who ran out of attempts --------------------------------------------------------


@dataclass(frozen=True)
class LockedOut:
    learner: User
    quiz: Quiz
    allowance: Allowance
    best: int


def locked_out(*, team_ids, now: datetime | None = None) -> list[LockedOut]:
    """People learning in the teams `team_ids` (a subquery) who have no attempt left at a quiz
    they haven't passed, by name. Six queries, whatever the team's size: the quizzes' limits,
    the candidates, their attempts and grants read once for all of them, then who and which
    quizzes.

    A candidate has used at least the quiz's attempts (an attempt numbered that high exists:
    attempts are numbered from 1, so n of them reach n), passed none and, where the quiz has a
    wait, made their last attempt within it (an attempt numbered that high made since the wait
    began: the last attempt is always one of them). Whoever ran out long ago and never came back
    is therefore no candidate, so the candidates don't pile up over the years. Asked per limit
    and wait, as "these quizzes, number at least n, made since t", the attempts' (quiz, number)
    index finds the few attempts at or past a limit instead of the team's whole history (10,000
    people's: half a second on PostgreSQL). Whether a grant gave one more is decided from their
    attempts (`allowance_from`). The candidates go back to the database as one list parameter
    each (`core.id_lists`), so the SQL is the same for three people as for thirty thousand."""
    now = now or timezone.now()
    quizzes_by_rule: dict[tuple[int, int], list[int]] = defaultdict(list)
    for quiz_id, limit, wait_hours in Quiz.objects.filter(max_attempts__isnull=False).values_list(
        "pk", "max_attempts", "retry_after_hours"
    ):
        quizzes_by_rule[(limit, wait_hours)].append(quiz_id)
    if not quizzes_by_rule:
        return []
    at_a_limit = reduce(
        operator.or_,
        [
            Q(quiz_id__in=ids, number__gte=limit)
            & (Q(submitted_at__gt=now - timedelta(hours=wait_hours)) if wait_hours else Q())
            for (limit, wait_hours), ids in sorted(quizzes_by_rule.items())
        ],
    )
    passed = QuizAttempt.objects.filter(
        learner_id=OuterRef("learner_id"), quiz_id=OuterRef("quiz_id"), passed=True
    )
    # Whether the person learns in the teams, asked of each attempt found (EXISTS): as
    # `learner_id IN (the teams' people)`, SQLite walked every one of 10,000 people's attempts
    # through the (learner, quiz) index instead of the few at a limit (115 ms against 0.02).
    in_the_teams = Membership.objects.filter(
        user_id=OuterRef("learner_id"), role=Membership.Role.LEARNER, team_id__in=team_ids
    )
    candidates = set(
        QuizAttempt.objects.filter(at_a_limit, Exists(in_the_teams))
        .exclude(Exists(passed))
        .values_list("learner_id", "quiz_id")
        .order_by()
        .distinct()
    )
    if not candidates:
        return []
    # Their attempts and grants at the quizzes some of them are stuck at; a person's other
    # quizzes among those are left out here, in Python.
    people = {learner_id for learner_id, _ in candidates}
    theirs = (
        AmongIds("learner_id", people),
        AmongIds("quiz_id", {quiz_id for _, quiz_id in candidates}),
    )
    times: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    best: dict[tuple[int, int], int] = defaultdict(int)
    for learner_id, quiz_id, moment, score in (
        QuizAttempt.objects.filter(*theirs)
        .order_by("number")
        .values_list("learner_id", "quiz_id", "submitted_at", "score")
    ):
        if (learner_id, quiz_id) in candidates:
            times[(learner_id, quiz_id)].append(moment)
            best[(learner_id, quiz_id)] = max(best[(learner_id, quiz_id)], score)
    grants: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    for learner_id, quiz_id, moment in AttemptGrant.objects.filter(*theirs).values_list(
        "learner_id", "quiz_id", "granted_at"
    ):
        grants[(learner_id, quiz_id)].append(moment)
    learners = User.objects.filter(AmongIds("pk", people)).in_bulk()
    quizzes_by_id = Quiz.objects.select_related("lesson__track").in_bulk(
        {quiz_id for _, quiz_id in candidates}
    )
    rows = []
    for key in candidates:
        quiz = quizzes_by_id[key[1]]
        state = allowance_from(
            max_attempts=quiz.max_attempts,
            retry_after_hours=quiz.retry_after_hours,
            attempt_times=times[key],
            grant_times=grants[key],
            now=now,
        )
        if not state.allowed:
            rows.append(LockedOut(learners[key[0]], quiz, state, best[key]))
    rows.sort(key=lambda r: (r.learner.name.lower(), r.quiz.lesson.title))
    return rows
