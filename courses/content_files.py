"""The content-file format (DESIGN.md §5): read and validate a tree, write it back.

    content/<track-slug>/track.toml
    content/<track-slug>/<NN>-<module-slug>/<NN>-<lesson-slug>.md

Reading never touches the database: it turns files into plain specs and collects *every* error
with its file and line, so an author fixes a whole tree in one pass. `services.import_specs`
writes specs to the database; `write_tree` writes the database back to files.
"""

import datetime
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MODULE_DIR_RE = re.compile(r"^(\d{2})-(.+)$")
LESSON_FILE_RE = re.compile(r"^(\d{2})-(.+)\.md$")
TOML_LINE_RE = re.compile(r"at line (\d+)")
LEVELS = ("beginner", "intermediate", "advanced")
KINDS = ("single", "multiple")

TRACK_KEYS = {
    "title",
    "role",
    "summary",
    "level",
    "published",
    "modules",
    "position",
    "validity_months",
}
MODULE_KEYS = {"slug", "title", "summary", "self_check"}
LESSON_KEYS = {
    "title",
    "minutes",
    "platforms",
    "last_reviewed",
    "facts_checked",
    "quiz",
    "assignment",
}
QUIZ_KEYS = {"pass_mark", "max_attempts", "retry_after_hours", "draw", "review", "questions"}
QUESTION_KEYS = {"prompt", "kind", "explanation", "choices", "objective", "section"}
CHOICE_KEYS = {"text", "correct", "feedback"}
ASSIGNMENT_KEYS = {"title", "required", "brief", "rubric", "pass_points", "samples"}
CRITERION_KEYS = {"criterion", "description", "points", "levels", "must_pass", "pass_at"}
LEVEL_KEYS = {"points", "description"}
SAMPLE_KEYS = {"level", "submission", "scores", "why"}
REVIEW_POLICIES = ("after_pass", "after_last_attempt", "always")
SAMPLE_LEVELS = ("strong", "borderline", "weak")
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_RETRY_AFTER_HOURS = 24
HEADING_RE = re.compile(r"^#{2,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class ContentError:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class InvalidContentError(Exception):
    def __init__(self, errors: list[ContentError]):
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


@dataclass
class ChoiceSpec:
    text: str
    correct: bool
    feedback: str


@dataclass
class QuestionSpec:
    prompt: str
    kind: str
    explanation: str
    choices: list[ChoiceSpec]
    objective: str = ""
    section: str = ""


@dataclass
class QuizSpec:
    pass_mark: int
    max_attempts: int | None
    questions: list[QuestionSpec]
    retry_after_hours: int = DEFAULT_RETRY_AFTER_HOURS
    draw: int | None = None
    review: str = "after_pass"


@dataclass
class LevelSpec:
    points: int
    description: str


@dataclass
class CriterionSpec:
    criterion: str
    description: str
    points: int
    levels: list[LevelSpec] = field(default_factory=list)
    must_pass: bool = False
    pass_at: int | None = None

    @property
    def gate(self) -> int | None:
        return (self.pass_at or self.points) if self.must_pass else None


@dataclass
class SampleSpec:
    level: str
    submission: str
    scores: dict[str, int]
    why: str


@dataclass
class AssignmentSpec:
    title: str
    required: bool
    brief: str
    rubric: list[CriterionSpec]
    pass_points: int | None = None
    samples: list[SampleSpec] = field(default_factory=list)


def sample_passes(rubric: list, scores: dict[str, int], pass_points: int | None) -> bool:
    """Whether `scores` (criterion name → points) approve: every gate met, total at threshold.

    The one statement of the rule, used for samples at import and for reviews (which pass
    criteria as model rows or specs alike: both have `criterion`, `points` and `gate`).
    """
    for criterion in rubric:
        gate = criterion.gate
        if gate is not None and scores.get(criterion.criterion, 0) < gate:
            return False
    total = sum(scores.get(criterion.criterion, 0) for criterion in rubric)
    return pass_points is None or total >= pass_points


@dataclass
class LessonSpec:
    slug: str
    title: str
    minutes: int
    body: str
    platforms: list[str] = field(default_factory=list)
    last_reviewed: datetime.date | None = None
    facts_checked: datetime.date | None = None
    quiz: QuizSpec | None = None
    assignment: AssignmentSpec | None = None


@dataclass
class ModuleSpec:
    slug: str
    title: str
    summary: str
    lessons: list[LessonSpec] = field(default_factory=list)
    self_check: str = ""


@dataclass
class TrackSpec:
    slug: str
    title: str
    role: str
    summary: str
    level: str
    published: bool
    modules: list[ModuleSpec] = field(default_factory=list)
    position: int | None = None
    validity_months: int | None = None  # certificates expire after this many months; None: never


# --------------------------------------------------------------------------------------------
# Reading


def read_tree(root: Path, *, known_roles: set[str]) -> list[TrackSpec]:
    """Read every track under `root` (or `root` itself when it holds a track.toml).

    Raises InvalidContentError with every error found; returns specs only when all are valid.
    """
    root = Path(root)
    errors: list[ContentError] = []
    if not root.is_dir():
        raise InvalidContentError([ContentError(root, 0, "no such folder")])
    if (root / "track.toml").is_file():
        track_dirs = [root]
    else:
        track_dirs = sorted(
            p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
        )
        track_dirs = [p for p in track_dirs if (p / "track.toml").is_file()]
        if not track_dirs:
            errors.append(ContentError(root, 0, "no track folders (a folder with a track.toml)"))
    specs = []
    for track_dir in track_dirs:
        spec = _read_track(track_dir, known_roles, errors)
        if spec is not None:
            errors += _too_long(spec, track_dir)
            specs.append(spec)
    if errors:
        raise InvalidContentError(errors)
    return specs


# The longest text each field holds in the database (courses.models; a test keeps them equal):
# PostgreSQL refuses a longer value, so the files are checked before anything is written.
MAX_LENGTHS = {
    ("track", "title"): 160,
    ("module", "slug"): 80,
    ("module", "title"): 160,
    ("module", "self_check"): 240,
    ("lesson", "slug"): 80,
    ("lesson", "title"): 160,
    ("question", "objective"): 80,
    ("question", "section"): 160,
    ("assignment", "title"): 160,
    ("rubric", "criterion"): 120,
}


def _too_long(spec: TrackSpec, track_dir: Path) -> list[ContentError]:
    """A message for every text longer than its database column."""
    found = []

    def check(where: Path, what: str, field_of: tuple[str, str], value: str) -> None:
        limit = MAX_LENGTHS[field_of]
        if len(value) > limit:
            found.append(
                ContentError(
                    where, 0, f"{what}: {field_of[1]} is {len(value)} characters; at most {limit}"
                )
            )

    toml = track_dir / "track.toml"
    check(toml, "track", ("track", "title"), spec.title)
    for index, module in enumerate(spec.modules, start=1):
        where = f"module {index} '{module.slug}'"
        for name in ("slug", "title", "self_check"):
            check(toml, where, ("module", name), getattr(module, name))
        folder = track_dir / f"{index:02d}-{module.slug}"
        for lesson in module.lessons:
            what = f"lesson '{lesson.slug}'"
            check(folder, what, ("lesson", "slug"), lesson.slug)
            check(folder, what, ("lesson", "title"), lesson.title)
            for number, question in enumerate(lesson.quiz.questions if lesson.quiz else [], 1):
                for name in ("objective", "section"):
                    check(folder, f"{what}, question {number}", ("question", name),
                          getattr(question, name))  # fmt: skip
            if lesson.assignment:
                check(folder, what, ("assignment", "title"), lesson.assignment.title)
                for criterion in lesson.assignment.rubric:
                    check(folder, f"{what}, rubric", ("rubric", "criterion"), criterion.criterion)
    return found


class _Lines:
    """Finds the line of a key or table header in a TOML text, for error messages."""

    def __init__(self, text: str, first_line: int = 1):
        self.lines = text.splitlines()
        self.first_line = first_line

    def find(self, pattern: str, occurrence: int = 1, after: int = 0) -> int:
        regex = re.compile(pattern)
        seen = 0
        for index, line in enumerate(self.lines[after:], start=after):
            if regex.search(line):
                seen += 1
                if seen == occurrence:
                    return self.first_line + index
        return self.first_line

    def key(self, name: str) -> int:
        return self.find(rf"^\s*{re.escape(name)}\s*=")

    def table(self, header: str, occurrence: int = 1) -> int:
        return self.find(rf"^\s*\[\[?\s*{re.escape(header)}\s*\]\]?", occurrence)


def _toml_error(path: Path, error: tomllib.TOMLDecodeError, first_line: int) -> ContentError:
    lineno = getattr(error, "lineno", None)
    if lineno is None:
        match = TOML_LINE_RE.search(str(error))
        lineno = int(match.group(1)) if match else 1
    message = TOML_LINE_RE.sub("", str(error)).replace("(, column", "(column").strip()
    return ContentError(path, first_line + lineno - 1, f"invalid TOML: {message}")


def _check_keys(data: dict, allowed: set[str], where: str, report) -> None:
    for key in sorted(set(data) - allowed):
        report(f"unknown key '{key}' in {where} (allowed: {', '.join(sorted(allowed))})", key)


def _text(data: dict, key: str, report, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None:
        if required:
            report(f"'{key}' is required", None)
        return ""
    if not isinstance(value, str):
        report(f"'{key}' must be a string", key)
        return ""
    if required and not value.strip():
        report(f"'{key}' must not be empty", key)
    return value


def _int(data: dict, key: str, report, *, default=None, low=None, high=None):
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        report(f"'{key}' must be a whole number", key)
        return default
    if (low is not None and value < low) or (high is not None and value > high):
        report(f"'{key}' must be between {low} and {high}, not {value}", key)
    return value


def _bool(data: dict, key: str, report, *, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        report(f"'{key}' must be true or false", key)
        return default
    return value


def _read_track(track_dir: Path, known_roles: set[str], errors: list) -> TrackSpec | None:
    path = track_dir / "track.toml"
    text = path.read_text(encoding="utf-8")
    lines = _Lines(text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        errors.append(_toml_error(path, error, 1))
        return None

    def report(message: str, key: str | None, line: int | None = None) -> None:
        errors.append(ContentError(path, line or (lines.key(key) if key else 1), message))

    slug = track_dir.name
    if not SLUG_RE.match(slug):
        report(f"track folder name '{slug}' is not a valid slug (a-z, 0-9 and hyphens)", None)
    _check_keys(data, TRACK_KEYS, "track.toml", report)
    role = _text(data, "role", report)
    if role and role not in known_roles:
        report(f"unknown role '{role}' (known: {', '.join(sorted(known_roles))})", "role")
    level = data.get("level", "beginner")
    if level not in LEVELS:
        report(f"'level' must be one of {', '.join(LEVELS)}, not '{level}'", "level")
    spec = TrackSpec(
        slug=slug,
        title=_text(data, "title", report),
        role=role,
        summary=_text(data, "summary", report, required=False),
        level=level if level in LEVELS else "beginner",
        published=_bool(data, "published", report, default=False),
        position=_int(data, "position", report, low=0, high=32767),
        validity_months=_int(data, "validity_months", report, low=1, high=600),
    )
    modules = data.get("modules", [])
    if not isinstance(modules, list) or not modules:
        report("a track needs at least one [[modules]] entry", "modules" if modules else None)
        modules = []

    expected_dirs = _listed_module_dirs(modules, lines, report)

    present_dirs = {
        p.name: p for p in track_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    }
    errors.extend(
        ContentError(
            present_dirs[dir_name],
            0,
            "folder is not a module listed in track.toml (expected NN-<slug> with NN its "
            "position in [[modules]])",
        )
        for dir_name in sorted(set(present_dirs) - set(expected_dirs))
    )

    lesson_slugs: dict[str, Path] = {}
    for dir_name, (index, module) in expected_dirs.items():
        module_spec = _read_module(
            module, index, present_dirs.get(dir_name), dir_name, lesson_slugs, errors, report, lines
        )
        if module_spec is not None:
            spec.modules.append(module_spec)
    return spec


def _listed_module_dirs(modules: list, lines: _Lines, report) -> dict[str, tuple[int, dict]]:
    """The folder each [[modules]] entry expects (NN-<slug>), with its position and table."""
    expected_dirs: dict[str, tuple[int, dict]] = {}
    seen_modules: set[str] = set()
    for index, module in enumerate(modules, start=1):
        line = lines.table("modules", index)

        def module_report(message, key, _line=line, _index=index):
            report(f"module {_index}: {message}", None, _line)

        if not isinstance(module, dict):
            module_report("must be a table", None)
            continue
        _check_keys(module, MODULE_KEYS, "[[modules]]", module_report)
        module_slug = _text(module, "slug", module_report)
        if module_slug and not SLUG_RE.match(module_slug):
            module_report(f"slug '{module_slug}' is not a valid slug (a-z, 0-9 and hyphens)", None)
        if module_slug in seen_modules:
            module_report(f"duplicate module slug '{module_slug}'", None)
        seen_modules.add(module_slug)
        expected_dirs[f"{index:02d}-{module_slug}"] = (index, module)
    return expected_dirs


def _read_module(
    module: dict,
    index: int,
    module_dir: Path | None,
    dir_name: str,
    lesson_slugs: dict[str, Path],
    errors: list,
    report,
    lines: _Lines,
) -> ModuleSpec | None:
    """A module's table and its folder's lessons; `lesson_slugs` collects slugs across the
    track, so a lesson slug used twice is reported where it repeats."""
    module_spec = ModuleSpec(
        slug=module.get("slug", ""),
        title=module.get("title", "") if isinstance(module.get("title"), str) else "",
        summary=module.get("summary", "") if isinstance(module.get("summary"), str) else "",
        self_check=module.get("self_check", "")
        if isinstance(module.get("self_check"), str)
        else "",
    )
    if module_dir is None:
        report(
            f"module {index} '{module_spec.slug}' has no folder {dir_name}/",
            None,
            lines.table("modules", index),
        )
        return None
    lesson_files = _lesson_files(module_dir, errors)
    if not lesson_files:
        errors.append(ContentError(module_dir, 0, "module folder has no lesson files"))
    for lesson_path, lesson_slug in lesson_files:
        if lesson_slug in lesson_slugs:
            errors.append(
                ContentError(
                    lesson_path,
                    1,
                    f"duplicate lesson slug '{lesson_slug}' (also {lesson_slugs[lesson_slug]})",
                )
            )
        lesson_slugs[lesson_slug] = lesson_path
        lesson = _read_lesson(lesson_path, lesson_slug, errors)
        if lesson is not None:
            module_spec.lessons.append(lesson)
    return module_spec


def _lesson_files(module_dir: Path, errors: list) -> list[tuple[Path, str]]:
    found = []
    numbers: dict[str, Path] = {}
    for path in sorted(module_dir.iterdir()):
        if path.name.startswith(".") or path.suffix != ".md":
            continue
        match = LESSON_FILE_RE.match(path.name)
        if not match or not SLUG_RE.match(match.group(2)):
            errors.append(
                ContentError(path, 0, "lesson file names are NN-<slug>.md (slug: a-z, 0-9, -)")
            )
            continue
        number, slug = match.groups()
        if number in numbers:
            errors.append(ContentError(path, 0, f"two lessons numbered {number} in one module"))
        numbers[number] = path
        found.append((path, slug))
    return found


def split_front_matter(text: str) -> tuple[str, str] | None:
    """Return (front matter, body) of a lesson file, or None without a +++ block."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "+++":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == "+++":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :])
    return None


def _read_lesson(path: Path, slug: str, errors: list) -> LessonSpec | None:
    return read_lesson_text(path.read_text(encoding="utf-8"), slug, errors, path=path)


def read_lesson_text(text: str, slug: str, errors: list, *, path: Path) -> LessonSpec | None:
    """One lesson file's text as a spec; problems go to `errors` (as ContentErrors of `path`,
    which names the text in messages: a lesson draft is read from the admin, not a file)."""
    parts = split_front_matter(text)
    if parts is None:
        errors.append(
            ContentError(path, 1, "a lesson starts with TOML front matter between two '+++' lines")
        )
        return None
    front, body = parts
    lines = _Lines(front, first_line=2)
    try:
        data = tomllib.loads(front)
    except tomllib.TOMLDecodeError as error:
        errors.append(_toml_error(path, error, 2))
        return None

    def report(message: str, key: str | None, line: int | None = None) -> None:
        errors.append(ContentError(path, line or (lines.key(key) if key else 2), message))

    _check_keys(data, LESSON_KEYS, "the front matter", report)
    if not body.strip():
        report("the lesson has no Markdown body after the front matter", None)
    platforms = data.get("platforms", [])
    if not isinstance(platforms, list) or not all(isinstance(p, str) for p in platforms):
        report("'platforms' must be a list of strings", "platforms")
        platforms = []
    headings = {heading.strip() for heading in HEADING_RE.findall(body)}
    return LessonSpec(
        slug=slug,
        title=_text(data, "title", report),
        minutes=_int(data, "minutes", report, default=5, low=1, high=600) or 5,
        body=body,
        platforms=platforms,
        last_reviewed=_date(data, "last_reviewed", report),
        facts_checked=_date(data, "facts_checked", report),
        quiz=_read_quiz(data.get("quiz"), lines, report, headings),
        assignment=_read_assignment(data.get("assignment"), lines, report),
    )


def _date(data: dict, key: str, report) -> datetime.date | None:
    value = data.get(key)
    if value is not None and not (
        isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)
    ):
        report(f"'{key}' must be a TOML date such as 2026-11-25", key)
        return None
    return value


def _read_quiz(data, lines: _Lines, report, headings: set[str]) -> QuizSpec | None:
    if data is None:
        return None
    quiz_line = lines.table("quiz")
    if not isinstance(data, dict):
        report("[quiz] must be a table", None, quiz_line)
        return None

    def quiz_report(message, key, _line=quiz_line):
        report(f"quiz: {message}", None, lines.key(key) if key else _line)

    _check_keys(data, QUIZ_KEYS, "[quiz]", quiz_report)
    review = data.get("review", "after_pass")
    if review not in REVIEW_POLICIES:
        quiz_report(f"'review' is '{review}'; use one of {', '.join(REVIEW_POLICIES)}", "review")
        review = "after_pass"
    spec = QuizSpec(
        pass_mark=_int(data, "pass_mark", quiz_report, default=70, low=1, high=100),
        # 0 in a file means unlimited (None), so every setting can be written back out.
        max_attempts=_int(
            data, "max_attempts", quiz_report, default=DEFAULT_MAX_ATTEMPTS, low=0, high=1000
        )
        or None,
        retry_after_hours=_int(
            data,
            "retry_after_hours",
            quiz_report,
            default=DEFAULT_RETRY_AFTER_HOURS,
            low=0,
            high=8760,
        ),
        draw=_int(data, "draw", quiz_report, low=1, high=1000),
        review=review,
        questions=[],
    )
    questions = data.get("questions", [])
    if not isinstance(questions, list) or not questions:
        quiz_report("a quiz needs at least one [[quiz.questions]] entry", None)
        return spec
    for number, question in enumerate(questions, start=1):
        line = lines.table("quiz.questions", number)

        def q_report(message, key, _line=line, _number=number):
            report(f"quiz question {_number} {message}", None, _line)

        read = _read_question(question, number, q_report, headings)
        if read is not None:
            spec.questions.append(read)
    if spec.draw is not None and spec.questions and spec.draw > len(spec.questions):
        quiz_report(
            f"'draw' is {spec.draw} but the bank has {len(spec.questions)} questions", "draw"
        )
    return spec


def _read_question(question, number: int, q_report, headings: set[str]) -> QuestionSpec | None:
    """One [[quiz.questions]] entry; every problem is reported, and what can be read is kept."""
    if not isinstance(question, dict):
        q_report("must be a table", None)
        return None
    _check_keys(
        question,
        QUESTION_KEYS,
        f"quiz question {number}",
        lambda m, k: q_report(f"has an {m}", k),
    )
    kind = question.get("kind", "single")
    if kind not in KINDS:
        q_report(f"has kind '{kind}'; use 'single' or 'multiple'", None)
    prompt = question.get("prompt")
    explanation = question.get("explanation")
    if not isinstance(prompt, str) or not prompt.strip():
        q_report("has no prompt", None)
    if not isinstance(explanation, str) or not explanation.strip():
        q_report("has no explanation", None)
    choice_specs = _read_choices(question.get("choices", []), q_report)
    correct_count = sum(choice.correct for choice in choice_specs)
    if choice_specs and correct_count == 0:
        q_report("has no correct choice", None)
    elif kind == "single" and correct_count > 1:
        q_report(f"is single choice but has {correct_count} correct choices", None)
    objective = question.get("objective", "")
    if not isinstance(objective, str) or (objective and not SLUG_RE.match(objective)):
        q_report("has an 'objective' that isn't a slug (lowercase, digits, hyphens)", None)
        objective = ""
    section = question.get("section", "")
    if not isinstance(section, str):
        section = ""
    if section and section.strip() not in headings:
        q_report(f"names section '{section}', which is not a heading of this lesson", None)
    return QuestionSpec(
        prompt=prompt if isinstance(prompt, str) else "",
        kind=kind if kind in KINDS else "single",
        explanation=explanation if isinstance(explanation, str) else "",
        choices=choice_specs,
        objective=objective,
        section=section.strip(),
    )


def _read_choices(choices, q_report) -> list[ChoiceSpec]:
    if not isinstance(choices, list) or len(choices) < 2:
        q_report("needs at least two choices", None)
        choices = choices if isinstance(choices, list) else []
    specs = []
    for c_number, choice in enumerate(choices, start=1):
        if not isinstance(choice, dict):
            q_report(f"choice {c_number} must be a table", None)
            continue
        unknown = sorted(set(choice) - CHOICE_KEYS)
        if unknown:
            q_report(f"choice {c_number} has unknown key '{unknown[0]}'", None)
        text = choice.get("text")
        feedback = choice.get("feedback")
        correct = choice.get("correct", False)
        if not isinstance(text, str) or not text.strip():
            q_report(f"choice {c_number} has no text", None)
        if not isinstance(feedback, str) or not feedback.strip():
            q_report(f"choice {c_number} has no feedback", None)
        if not isinstance(correct, bool):
            q_report(f"choice {c_number}: 'correct' must be true or false", None)
            correct = False
        specs.append(
            ChoiceSpec(
                text=text if isinstance(text, str) else "",
                correct=correct,
                feedback=feedback if isinstance(feedback, str) else "",
            )
        )
    return specs


def _read_assignment(data, lines: _Lines, report) -> AssignmentSpec | None:
    if data is None:
        return None
    line = lines.table("assignment")
    if not isinstance(data, dict):
        report("[assignment] must be a table", None, line)
        return None

    def a_report(message, key, _line=line):
        report(f"assignment: {message}", None, lines.key(key) if key else _line)

    _check_keys(data, ASSIGNMENT_KEYS, "[assignment]", a_report)
    spec = AssignmentSpec(
        title=_text(data, "title", a_report),
        required=_bool(data, "required", a_report, default=True),
        brief=_text(data, "brief", a_report),
        rubric=[],
        pass_points=_int(data, "pass_points", a_report, low=1, high=1000),
    )
    rubric = data.get("rubric", [])
    if not isinstance(rubric, list):
        a_report("'rubric' must be a list of [[assignment.rubric]] tables", None)
        rubric = []
    for number, criterion in enumerate(rubric, start=1):
        c_line = lines.table("assignment.rubric", number)

        def c_report(message, key, _line=c_line, _number=number):
            report(f"assignment rubric criterion {_number}: {message}", None, _line)

        if not isinstance(criterion, dict):
            c_report("must be a table", None)
            continue
        _check_keys(criterion, CRITERION_KEYS, "[[assignment.rubric]]", c_report)
        points = _int(criterion, "points", c_report, default=4, low=1, high=100) or 1
        c_spec = CriterionSpec(
            criterion=_text(criterion, "criterion", c_report),
            description=_text(criterion, "description", c_report, required=False),
            points=points,
            levels=_read_levels(criterion.get("levels", []), points, c_report),
            must_pass=_bool(criterion, "must_pass", c_report, default=False),
            pass_at=_int(criterion, "pass_at", c_report, low=1, high=points),
        )
        if c_spec.pass_at is not None and not c_spec.must_pass:
            c_report("'pass_at' only applies with must_pass = true", None)
        spec.rubric.append(c_spec)
    if spec.required and not spec.rubric:
        a_report("a required assignment needs at least one [[assignment.rubric]] criterion", None)
    total = sum(c.points for c in spec.rubric)
    if spec.pass_points is not None and spec.rubric and spec.pass_points > total:
        a_report(f"'pass_points' is {spec.pass_points} but the rubric totals {total}", None)
    spec.samples = _read_samples(data.get("samples", []), spec, lines, report)
    return spec


def _read_levels(levels, points: int, c_report) -> list[LevelSpec]:
    if not isinstance(levels, list):
        c_report("'levels' must be a list of { points = N, description = \"...\" }", None)
        return []
    specs = []
    for number, level in enumerate(levels, start=1):
        if (
            not isinstance(level, dict)
            or set(level) - LEVEL_KEYS
            or not isinstance(level.get("points"), int)
            or not isinstance(level.get("description"), str)
            or not level["description"].strip()
        ):
            c_report(f"level {number} needs exactly 'points' (a number) and a 'description'", None)
            continue
        specs.append(LevelSpec(points=level["points"], description=level["description"]))
    scores = [level.points for level in specs]
    if specs and (scores != sorted(set(scores)) or scores[0] != 0 or scores[-1] != points):
        c_report(f"levels must run upwards from 0 to the criterion's {points} points", None)
    return specs


def _read_samples(samples, assignment: AssignmentSpec, lines: _Lines, report) -> list[SampleSpec]:
    if not isinstance(samples, list):
        report("assignment: 'samples' must be a list of [[assignment.samples]]", None, None)
        return []
    names = {c.criterion: c for c in assignment.rubric}
    specs = []
    for number, sample in enumerate(samples, start=1):
        line = lines.table("assignment.samples", number)

        def s_report(message, key, _line=line, _number=number):
            report(f"assignment sample {_number}: {message}", None, _line)

        if not isinstance(sample, dict):
            s_report("must be a table", None)
            continue
        _check_keys(sample, SAMPLE_KEYS, "[[assignment.samples]]", s_report)
        level = sample.get("level")
        if level not in SAMPLE_LEVELS:
            s_report(f"'level' must be one of {', '.join(SAMPLE_LEVELS)}", None)
            continue
        scores = sample.get("scores", {})
        if not isinstance(scores, dict) or not all(isinstance(v, int) for v in scores.values()):
            s_report("'scores' must map each criterion's name to its points", None)
            continue
        if set(scores) != set(names):
            missing = sorted(set(names) - set(scores))
            extra = sorted(set(scores) - set(names))
            s_report(f"scores must name every criterion (missing {missing}, unknown {extra})", None)
            continue
        for name, points in scores.items():
            allowed = [lv.points for lv in names[name].levels] or range(names[name].points + 1)
            if points not in allowed:
                s_report(f"scores '{name}' {points}, which is not a score it can give", None)
        spec = SampleSpec(
            level=level,
            submission=_text(sample, "submission", s_report),
            scores=dict(scores),
            why=_text(sample, "why", s_report),
        )
        passes = sample_passes(assignment.rubric, spec.scores, assignment.pass_points)
        if level == "strong" and not passes:
            s_report("is 'strong' but its scores don't pass the rubric", None)
        if level == "weak" and passes:
            s_report("is 'weak' but its scores pass the rubric", None)
        specs.append(spec)
    return specs


# --------------------------------------------------------------------------------------------
# Writing


def _escape(value: str, *, multiline: bool) -> str:
    out = []
    for char in value:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n" and multiline:
            out.append("\n")
        elif char == "\t":
            out.append("\t" if multiline else "\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def toml_value(value, *, inline: bool = False) -> str:
    """One TOML value; strings with newlines become multi-line strings unless inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item, inline=True) for item in value) + "]"
    if isinstance(value, str):
        if "\n" in value and not inline:
            return '"""\n' + _escape(value, multiline=True) + '"""'
        return '"' + _escape(value, multiline=False) + '"'
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _pairs(pairs: list[tuple[str, object]]) -> list[str]:
    return [f"{key} = {toml_value(value)}" for key, value in pairs if value is not None]


def track_toml(spec: TrackSpec) -> str:
    lines = _pairs(
        [
            ("title", spec.title),
            ("role", spec.role),
            ("summary", spec.summary),
            ("level", spec.level),
            ("published", spec.published),
            ("position", spec.position),
            ("validity_months", spec.validity_months),
        ]
    )
    for module in spec.modules:
        lines += ["", "[[modules]]"]
        lines += _pairs(
            [
                ("slug", module.slug),
                ("title", module.title),
                ("summary", module.summary),
                ("self_check", module.self_check or None),
            ]
        )
    return "\n".join(lines) + "\n"


def lesson_file(spec: LessonSpec) -> str:
    lines = _pairs(
        [
            ("title", spec.title),
            ("minutes", spec.minutes),
            ("platforms", spec.platforms or None),
            ("last_reviewed", spec.last_reviewed),
            ("facts_checked", spec.facts_checked),
        ]
    )
    if spec.quiz:
        quiz = spec.quiz
        lines += ["", "[quiz]"]
        lines += _pairs(
            [
                ("pass_mark", quiz.pass_mark),
                ("draw", quiz.draw),
                ("review", quiz.review if quiz.review != "after_pass" else None),
                ("max_attempts", quiz.max_attempts or 0),
                (
                    "retry_after_hours",
                    quiz.retry_after_hours
                    if quiz.retry_after_hours != DEFAULT_RETRY_AFTER_HOURS
                    else None,
                ),
            ]
        )
        for question in quiz.questions:
            lines += ["", "[[quiz.questions]]"]
            lines += _pairs(
                [
                    ("objective", question.objective or None),
                    ("section", question.section or None),
                    ("prompt", question.prompt),
                    ("kind", question.kind),
                    ("explanation", question.explanation),
                ]
            )
            lines.append("choices = [")
            for choice in question.choices:
                lines.append(
                    f"  {{ text = {toml_value(choice.text, inline=True)}, "
                    f"correct = {toml_value(choice.correct)}, "
                    f"feedback = {toml_value(choice.feedback, inline=True)} }},"
                )
            lines.append("]")
    if spec.assignment:
        lines += ["", "[assignment]"]
        lines += _pairs(
            [
                ("title", spec.assignment.title),
                ("required", spec.assignment.required),
                ("pass_points", spec.assignment.pass_points),
                ("brief", spec.assignment.brief),
            ]
        )
        for criterion in spec.assignment.rubric:
            lines += ["", "[[assignment.rubric]]"]
            lines += _pairs(
                [
                    ("criterion", criterion.criterion),
                    ("description", criterion.description),
                    ("points", criterion.points),
                    ("must_pass", criterion.must_pass or None),
                    ("pass_at", criterion.pass_at),
                ]
            )
            if criterion.levels:
                lines.append("levels = [")
                lines.extend(
                    f"  {{ points = {level.points}, "
                    f"description = {toml_value(level.description, inline=True)} }},"
                    for level in criterion.levels
                )
                lines.append("]")
        for sample in spec.assignment.samples:
            lines += ["", "[[assignment.samples]]"]
            lines += _pairs([("level", sample.level), ("submission", sample.submission)])
            scores = ", ".join(
                f"{toml_value(name, inline=True)} = {points}"
                for name, points in sample.scores.items()
            )
            lines.append(f"scores = {{ {scores} }}")
            lines += _pairs([("why", sample.why)])
    return "+++\n" + "\n".join(lines) + "\n+++\n" + spec.body


def write_tree(specs: list[TrackSpec], dest: Path) -> list[Path]:
    """Write tracks in the content-file format under `dest`; returns the files written."""
    written = []
    for spec in specs:
        track_dir = Path(dest) / spec.slug
        track_dir.mkdir(parents=True, exist_ok=True)
        (track_dir / "track.toml").write_text(track_toml(spec), encoding="utf-8")
        written.append(track_dir / "track.toml")
        for m_index, module in enumerate(spec.modules, start=1):
            module_dir = track_dir / f"{m_index:02d}-{module.slug}"
            module_dir.mkdir(exist_ok=True)
            for l_index, lesson in enumerate(module.lessons, start=1):
                path = module_dir / f"{l_index:02d}-{lesson.slug}.md"
                path.write_text(lesson_file(lesson), encoding="utf-8")
                written.append(path)
    return written
