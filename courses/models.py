"""The curriculum: roles, tracks, modules, lessons, quizzes and practice assignments.

Every authored item has a stable slug (or a position inside its parent) so that re-importing or
editing content updates rows in place and learners' records keep pointing at them. Content that
learners have records for is archived, never deleted.
"""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from . import pages
from .markdown import render_markdown


class Role(models.Model):
    """A persona the curriculum is written for (newcomer, strategy lead, executive, ...)."""

    slug = models.SlugField(max_length=40, unique=True)
    title = models.CharField(max_length=80)
    description = models.TextField(blank=True, help_text="Who this role is, in one paragraph.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title


class TrackQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True, archived_at__isnull=True)


class Track(models.Model):
    class Level(models.TextChoices):
        BEGINNER = "beginner", "Beginner"
        INTERMEDIATE = "intermediate", "Intermediate"
        ADVANCED = "advanced", "Advanced"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=160)
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="tracks")
    summary = models.TextField(blank=True)
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.BEGINNER)
    is_published = models.BooleanField("published", default=False)
    position = models.PositiveSmallIntegerField(default=0)
    validity_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="How long a certificate stays valid, in months; empty: forever.",
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The content as the last `import_content` left it (see courses.services.fingerprints):
    # differing from the row now means an author changed it in the admin since. Empty: created
    # in the admin.
    imported_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrackQuerySet.as_manager()

    class Meta:
        ordering = ["role__position", "position", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return pages.track_url(self.slug)


class ModuleQuerySet(models.QuerySet):
    def current(self):
        return self.filter(archived_at__isnull=True)


class Module(models.Model):
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="modules")
    slug = models.SlugField(max_length=80)
    title = models.CharField(max_length=160)
    summary = models.TextField(blank=True)
    self_check = models.CharField(
        max_length=240,
        blank=True,
        help_text="A placement statement, e.g. 'I can write a monthly client report.' "
        "Learners who say they do this confidently may skim the module.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = ModuleQuerySet.as_manager()

    class Meta:
        ordering = ["track", "position"]
        constraints = [
            models.UniqueConstraint(fields=["track", "slug"], name="module_slug_unique_in_track"),
        ]

    def __str__(self) -> str:
        return self.title


class LessonQuerySet(models.QuerySet):
    def current(self):
        """Lessons learners see: not archived, in a module that is not archived."""
        return self.filter(archived_at__isnull=True, module__archived_at__isnull=True)

    def published(self):
        return self.current().filter(track__is_published=True, track__archived_at__isnull=True)


class Lesson(models.Model):
    # The track is stored beside the module so that "slug unique in its track" is a database
    # constraint and a lesson URL resolves with one indexed lookup.
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="lessons")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(max_length=80)
    title = models.CharField(max_length=160)
    position = models.PositiveSmallIntegerField(default=0)
    minutes = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1)])
    body_markdown = models.TextField(blank=True)
    body_html = models.TextField(blank=True, editable=False)
    platforms = models.JSONField(default=list, blank=True)
    last_reviewed = models.DateField(null=True, blank=True)
    facts_checked = models.DateField(
        "facts checked",
        null=True,
        blank=True,
        help_text="When the lesson's volatile facts (platform limits, rules) were last checked "
        "against their primary sources; the freshness report lists lessons checked long ago.",
    )
    # Set by an admin action when the content changed in substance (not a typo fix): learners
    # recertifying on the track are asked to read it again.
    changed_at = models.DateTimeField(
        "materially changed",
        null=True,
        blank=True,
        help_text="When the content last changed "
        "in substance; recertifying learners are asked to read it again.",
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    # The content as the last `import_content` left it (see courses.services.fingerprints):
    # differing from the row now means an author changed it in the admin since. Empty: created
    # in the admin.
    imported_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["module__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["track", "slug"], name="lesson_slug_unique_in_track"),
        ]
        indexes = [models.Index(fields=["module", "position"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # Rendered once on save; pages serve the stored HTML.
        self.body_html = render_markdown(self.body_markdown)
        if self.module_id is not None:
            self.track_id = self.module.track_id  # a lesson belongs to its module's track
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "body_html", "track"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return pages.lesson_url(self.track.slug, self.slug)

    def _live_child(self, name: str):
        try:
            child = getattr(self, name)
        except ObjectDoesNotExist:
            return None
        return child if child.archived_at is None else None

    @property
    def active_quiz(self) -> "Quiz | None":
        """The lesson's quiz, unless it has none or it is archived."""
        return self._live_child("quiz")

    @property
    def active_assignment(self) -> "PracticeAssignment | None":
        """The lesson's practice assignment, unless it has none or it is archived."""
        return self._live_child("assignment")


class Quiz(models.Model):
    class Review(models.TextChoices):
        AFTER_PASS = "after_pass", "After a pass"
        AFTER_LAST_ATTEMPT = "after_last_attempt", "After a pass or the last attempt"
        ALWAYS = "always", "After every attempt"

    DEFAULT_MAX_ATTEMPTS = 3
    DEFAULT_RETRY_AFTER_HOURS = 24

    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="quiz")
    pass_mark = models.PositiveSmallIntegerField(
        default=70,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Percent of points needed to pass (1–100).",
    )
    max_attempts = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=DEFAULT_MAX_ATTEMPTS,
        help_text="Attempts in a row before the wait below; empty for unlimited retries.",
    )
    retry_after_hours = models.PositiveSmallIntegerField(
        default=DEFAULT_RETRY_AFTER_HOURS,
        help_text="After the last attempt of a set, a fresh set opens this many hours later; "
        "0: no fresh set (a manager or staff can grant an extra attempt).",
    )
    draw = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Questions asked per attempt, drawn across objectives; empty: all of them.",
    )
    review = models.CharField(
        "show answers",
        max_length=20,
        choices=Review.choices,
        default=Review.AFTER_PASS,
        help_text="When the correct choices and explanations are shown to the learner.",
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "quizzes"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pass_mark__gte=1, pass_mark__lte=100),
                name="quiz_pass_mark_1_to_100",
            ),
        ]

    def __str__(self) -> str:
        return f"Quiz: {self.lesson}"


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    prompt = models.TextField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    explanation = models.TextField(
        help_text="Why the right answer is right; shown when the quiz's review setting allows."
    )
    objective = models.SlugField(
        max_length=80,
        blank=True,
        help_text="What the question assesses; each attempt draws across objectives.",
    )
    section = models.CharField(
        max_length=160,
        blank=True,
        help_text="The lesson heading that teaches the answer, offered to learners who miss it.",
    )

    class Meta:
        ordering = ["quiz", "position"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "position"], name="question_position_unique"),
        ]

    def __str__(self) -> str:
        return self.prompt[:80]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()
    is_correct = models.BooleanField("correct", default=False)
    feedback = models.TextField(
        help_text="Shown after submitting: why this choice is right or wrong."
    )

    class Meta:
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "position"], name="choice_position_unique"),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class PracticeAssignment(models.Model):
    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="assignment")
    title = models.CharField(max_length=160)
    brief_markdown = models.TextField()
    brief_html = models.TextField(blank=True, editable=False)
    required = models.BooleanField(default=True, help_text="Required for the certificate.")
    pass_points = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Rubric points needed to approve; empty: the reviewer decides.",
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.brief_html = render_markdown(self.brief_markdown)
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "brief_html"}
        super().save(*args, **kwargs)


class RubricCriterion(models.Model):
    assignment = models.ForeignKey(
        PracticeAssignment, on_delete=models.CASCADE, related_name="rubric"
    )
    position = models.PositiveSmallIntegerField(default=0)
    criterion = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    points = models.PositiveSmallIntegerField(default=4, validators=[MinValueValidator(1)])
    # What each score looks like, in observable terms: [{"points": 0, "description": "..."}, ...]
    levels = models.JSONField(default=list, blank=True)
    must_pass = models.BooleanField(
        "safety gate",
        default=False,
        help_text="Scoring below the bar fails the submission whatever the total.",
    )
    pass_at = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The gate's bar; empty: full points."
    )

    class Meta:
        ordering = ["assignment", "position"]
        verbose_name_plural = "rubric criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "position"], name="rubric_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.criterion

    @property
    def gate(self) -> int | None:
        """The lowest score that passes this criterion's safety gate, or None without one."""
        return (self.pass_at or self.points) if self.must_pass else None


class AssignmentSample(models.Model):
    """An annotated example submission, shown to reviewers beside the rubric."""

    class Level(models.TextChoices):
        STRONG = "strong", "Strong"
        BORDERLINE = "borderline", "Borderline"
        WEAK = "weak", "Weak"

    assignment = models.ForeignKey(
        PracticeAssignment, on_delete=models.CASCADE, related_name="samples"
    )
    position = models.PositiveSmallIntegerField(default=0)
    level = models.CharField(max_length=12, choices=Level.choices)
    submission = models.TextField(help_text="Markdown.")
    submission_html = models.TextField(blank=True, editable=False)
    scores = models.JSONField(default=dict, help_text="Criterion name → points it earns.")
    why = models.TextField(help_text="Why it earns these scores.")

    class Meta:
        ordering = ["assignment", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "position"], name="sample_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} sample: {self.assignment}"

    def save(self, *args, **kwargs):
        self.submission_html = render_markdown(self.submission)
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "submission_html"}
        super().save(*args, **kwargs)


class LessonRevision(models.Model):
    """One version of a lesson, with its quiz and assignment, as the text of its content file
    (content/FORMAT.md): a draft while `published_at` is empty, then part of the lesson's
    history. A lesson of a live track changes only by publishing a draft (courses.drafts), so
    learners keep the published version while an author works."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="revisions")
    text = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    material = models.BooleanField(
        default=False,
        help_text="Published as a change in substance (recertifying learners read it again).",
    )

    class Meta:
        ordering = ["lesson", "-published_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson"],
                condition=models.Q(published_at__isnull=True),
                name="one_draft_per_lesson",
            ),
        ]

    def __str__(self) -> str:
        state = (
            "draft"
            if self.published_at is None
            else f"published {self.published_at:%Y-%m-%d %H:%M}"
        )
        return f"{self.lesson} ({state})"
