"""Guessability: how far test-wise strategies get on a quiz without reading the lesson.

Each strategy looks only at a question's wording (never at the lesson) and picks an answer:
the longest choice, the shortest, the longest after dropping choices with absolute words, any of
the middle-length choices (the longest and the shortest dropped), the choice sharing most words
with the prompt, the choice with most in common with the others
(convergence), and for multiple-choice questions "all but the shortest". Its hit rate is compared with chance, computed per question (1/n for single choice;
one of the 2^n - 1 non-empty sets for multiple choice). A quiz that a reader can pass by such
rules certifies nothing, so `manage.py check_quizzes` fails when a strategy beats chance by more
than `MARGIN` on a track.

Pure functions over plain values: the importer's specs, the database and tests all feed it.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

MARGIN = 0.10  # a strategy may beat chance by at most ten percentage points

ABSOLUTE_WORDS = frozenset(
    {
        "always",
        "never",
        "only",
        "all",
        "none",
        "every",
        "everything",
        "everyone",
        "nothing",
        "nobody",
        "must",
        "guaranteed",
        "completely",
        "entirely",
        "impossible",
    }
)
# Words too common to tell anything when a choice repeats them from the prompt.
STOPWORDS = frozenset(
    [
        "about",
        "above",
        "after",
        "again",
        "against",
        "also",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "could",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "from",
        "further",
        "have",
        "having",
        "here",
        "into",
        "itself",
        "just",
        "more",
        "most",
        "other",
        "over",
        "same",
        "should",
        "some",
        "such",
        "than",
        "that",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "under",
        "until",
        "very",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "whom",
        "will",
        "with",
        "would",
        "your",
        "yours",
        "which",
        "whose",
        "want",
        "wants",
        "need",
        "needs",
        "make",
        "makes",
        "made",
        "best",
        "right",
        "post",
        "posts",
    ]
)
WORD_RE = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class Choice:
    text: str
    correct: bool


@dataclass(frozen=True)
class Question:
    prompt: str
    kind: str  # "single" | "multiple"
    choices: tuple[Choice, ...]
    label: str = ""  # where it lives, for the report ("newcomer/02-replying-in-public Q3")


def _words(text: str) -> list[str]:
    return WORD_RE.findall(text.lower())


def _has_absolute(text: str) -> bool:
    return any(word in ABSOLUTE_WORDS for word in _words(text))


def _content_words(text: str) -> set[str]:
    return {w for w in _words(text) if len(w) >= 4 and w not in STOPWORDS}


def _credit_for_best(question: Question, score: Callable[[Choice], float], pool=None) -> float:
    """The share of the top-scoring choices that are correct (ties split the credit)."""
    pool = list(pool if pool is not None else question.choices)
    best = max(score(choice) for choice in pool)
    top = [choice for choice in pool if score(choice) == best]
    if question.kind == "multiple":
        # Picking one choice answers a multiple-choice question only if it is the one right one.
        right = {c for c in question.choices if c.correct}
        return sum(1 for c in top if right == {c}) / len(top)
    return sum(1 for c in top if c.correct) / len(top)


def longest(question: Question) -> float:
    return _credit_for_best(question, lambda c: len(c.text))


def shortest(question: Question) -> float:
    return _credit_for_best(question, lambda c: -len(c.text))


def longest_without_absolutes(question: Question) -> float:
    plain = [c for c in question.choices if not _has_absolute(c.text)] or question.choices
    return _credit_for_best(question, lambda c: len(c.text), pool=plain)


def most_prompt_words(question: Question) -> float:
    prompt = _content_words(question.prompt)
    return _credit_for_best(question, lambda c: len(prompt & _content_words(c.text)))


def _similarity(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def most_in_common(question: Question) -> float:
    """The convergence strategy: writers often make wrong choices by changing one detail of the
    right one, so the choice sharing most with all the others gives the answer away."""
    words = {choice: _content_words(choice.text) | set(re.findall(r"\d+", choice.text))
             for choice in question.choices}  # fmt: skip
    return _credit_for_best(
        question,
        lambda c: sum(_similarity(words[c], words[o]) for o in question.choices if o is not c),
    )


def all_but_shortest(question: Question) -> float:
    lengths = [len(c.text) for c in question.choices]
    least = min(lengths)
    shortest_ones = [c for c in question.choices if len(c.text) == least]
    right = {c for c in question.choices if c.correct}
    # With a tie for shortest, the reader drops one of them at random.
    hits = sum(1 for dropped in shortest_ones if right == set(question.choices) - {dropped})
    return hits / len(shortest_ones)


def middle_length(question: Question) -> float:
    """The reverse tell: writers who learn that the longest answer gives them away make the right
    answer a middle-length one, so a reader drops the longest and the shortest and picks among
    the rest (at random: the credit is the share of the rest that is right)."""
    lengths = [len(c.text) for c in question.choices]
    extremes = {max(lengths), min(lengths)}
    rest = [c for c in question.choices if len(c.text) not in extremes] or list(question.choices)
    return sum(1 for c in rest if c.correct) / len(rest)


def chance(question: Question) -> float:
    n = len(question.choices)
    return 1 / n if question.kind == "single" else 1 / (2**n - 1)


@dataclass(frozen=True)
class Strategy:
    key: str
    label: str
    applies_to: tuple[str, ...]
    credit: Callable[[Question], float]


STRATEGIES = (
    Strategy("longest", "always the longest choice", ("single",), longest),
    Strategy("shortest", "always the shortest choice", ("single",), shortest),
    Strategy(
        "no_absolutes_longest",
        "drop absolute words, then the longest",
        ("single",),
        longest_without_absolutes,
    ),
    Strategy(
        "middle_length", "drop the longest and the shortest, then any", ("single",), middle_length
    ),
    Strategy("prompt_words", "most words shared with the prompt", ("single",), most_prompt_words),
    Strategy("convergence", "most in common with the other choices", ("single",), most_in_common),
    Strategy(
        "all_but_shortest", "multiple choice: all but the shortest", ("multiple",), all_but_shortest
    ),
)


@dataclass
class StrategyResult:
    strategy: Strategy
    questions: int
    hit_rate: float
    chance: float

    @property
    def excess(self) -> float:
        return self.hit_rate - self.chance

    @property
    def passes(self) -> bool:
        return self.questions == 0 or self.excess <= MARGIN


@dataclass
class Report:
    name: str
    questions: int
    results: list[StrategyResult] = field(default_factory=list)
    worst: list[tuple[float, Question]] = field(default_factory=list)

    @property
    def passes(self) -> bool:
        return all(result.passes for result in self.results)


def analyse(name: str, questions: Iterable[Question], *, worst: int = 5) -> Report:
    """Hit rate of every strategy against chance over `questions`, and the most guessable ones."""
    questions = [q for q in questions if len(q.choices) >= 2]
    report = Report(name=name, questions=len(questions))
    for strategy in STRATEGIES:
        asked = [q for q in questions if q.kind in strategy.applies_to]
        if not asked:
            report.results.append(StrategyResult(strategy, 0, 0.0, 0.0))
            continue
        report.results.append(
            StrategyResult(
                strategy,
                len(asked),
                hit_rate=sum(strategy.credit(q) for q in asked) / len(asked),
                chance=sum(chance(q) for q in asked) / len(asked),
            )
        )
    # A question's guessability: how much the strategies that apply to it beat its chance.
    scored = []
    for question in questions:
        applicable = [s for s in STRATEGIES if question.kind in s.applies_to]
        lift = sum(s.credit(question) for s in applicable) / len(applicable) - chance(question)
        scored.append((lift, question))
    scored.sort(key=lambda pair: -pair[0])
    report.worst = [pair for pair in scored[:worst] if pair[0] > 0]
    return report


def format_report(report: Report) -> str:
    lines = [
        f"{report.name}: {report.questions} questions",
        f"  {'strategy':<42} {'asked':>5} {'hits':>6} {'chance':>7} {'excess':>7}",
    ]
    for result in report.results:
        verdict = "ok" if result.passes else "TOO GUESSABLE"
        lines.append(
            f"  {result.strategy.label:<42} {result.questions:>5} {result.hit_rate:>6.0%} "
            f"{result.chance:>7.0%} {result.excess:>+7.0%}  {verdict}"
        )
    if report.worst:
        lines.append("  most guessable questions:")
        lines.extend(f"    {lift:+.0%}  {q.label}" for lift, q in report.worst)
    return "\n".join(lines)


BANK_RATIO = 1.5  # a bank holds at least half again as many questions as an attempt asks


def questions_of(track) -> list[Question]:
    """The quiz questions of a track spec (courses.content_files.TrackSpec), labelled."""
    return [
        Question(
            prompt=question.prompt,
            kind=question.kind,
            choices=tuple(Choice(c.text, c.correct) for c in question.choices),
            label=f"{track.slug}/{lesson.slug} Q{number}",
        )
        for module in track.modules
        for lesson in module.lessons
        if lesson.quiz
        for number, question in enumerate(lesson.quiz.questions, start=1)
    ]


def curriculum_problems(track) -> list[str]:
    """What keeps a track's assessment from certifying: lessons nothing checks, banks too small
    to draw from, and draws that can't cover at least two objectives."""
    problems = []
    for module in track.modules:
        for lesson in module.lessons:
            where = f"{track.slug}/{lesson.slug}"
            if lesson.quiz is None and lesson.assignment is None:
                problems.append(f"{where}: no quiz and no practice assignment")
            if lesson.quiz is None:
                continue
            bank, draw = len(lesson.quiz.questions), lesson.quiz.draw or len(lesson.quiz.questions)
            if bank < BANK_RATIO * draw:
                problems.append(
                    f"{where}: the bank has {bank} questions for a draw of {draw} "
                    f"(at least {BANK_RATIO:g}x the draw, so retries ask something new)"
                )
            objectives = {q.objective for q in lesson.quiz.questions if q.objective}
            if len(objectives) < 2:
                problems.append(f"{where}: questions name fewer than two objectives")
    return problems
