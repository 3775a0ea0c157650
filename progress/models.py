"""Learners' records: enrolments, completions, quiz attempts, submissions, reviews, certificates.

Records point at curriculum rows with PROTECT: content that learners have records for can be
archived but never deleted out from under them.
"""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from courses.markdown import render_markdown
from courses.models import Choice, Lesson, PracticeAssignment, Question, Quiz, Track


class Enrolment(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="enrolments")
    enrolled_at = models.DateTimeField(auto_now_add=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    last_lesson = models.ForeignKey(
        Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # Stored for the team pages and kept in step by progress.rollups (see there): the lessons
    # done among the track's current lessons, the average quiz score, the submissions awaiting
    # review, the earliest active assignment that applies (None: not assigned) and the earliest
    # due date among those that apply.
    lessons_done = models.PositiveIntegerField(default=0, editable=False)
    quiz_average = models.FloatField(null=True, blank=True, editable=False)
    pending_reviews = models.PositiveIntegerField(default=0, editable=False)
    assignment = models.ForeignKey(
        "learners.TrackAssignment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    due_date = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "track"], name="enrolment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} in {self.track}"


class TeamTally(models.Model):
    """The team dashboard's counts for one team, track and due date, kept by database triggers
    (progress.tallies) on every write to enrolments and memberships, so that the dashboard's
    summary reads a few rows whatever the team's size. Only assigned enrolments of people who
    learn in the team count; an enrolment without a due date counts under `tallies.NO_DUE_DATE`."""

    team = models.ForeignKey("learners.Team", on_delete=models.CASCADE, related_name="+")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    due_date = models.DateField()
    assigned = models.IntegerField(db_default=0)
    completed = models.IntegerField(db_default=0)
    started = models.IntegerField(db_default=0)  # started and not completed
    awaiting_review = models.IntegerField(db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "track", "due_date"], name="team_tally_unique"),
        ]

    def __str__(self) -> str:
        return f"team {self.team_id}, track {self.track_id}, due {self.due_date}"


class TeamHeadcount(models.Model):
    """Per team, kept by the same triggers: how many of its learners have an assigned track and
    how many have an active account (the clearance summary counts them). People who also learn
    in another team are in `SharedLearning`."""

    team = models.OneToOneField(
        "learners.Team", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    assigned_people = models.IntegerField(db_default=0)
    active_learners = models.IntegerField(db_default=0)  # learners whose account is active

    def __str__(self) -> str:
        return f"team {self.team_id}: {self.assigned_people} people assigned"


class SharedLearning(models.Model):
    """A learner's team, for people who learn in more than one team; kept by the tallies'
    triggers. The sums of several teams' tallies count such a person once per team, and these
    rows say by how much to take them off (tallies.summary), reading only the people shared.
    Plain ids, as written by the triggers only: deleting a membership removes its row."""

    team_id = models.BigIntegerField()
    user_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team_id", "user_id"], name="shared_learning_unique"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} in team {self.team_id}"


class LessonCompletion(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_completions"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="completions")
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "lesson"], name="completion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} completed {self.lesson}"


class QuizAttempt(models.Model):
    """One submitted attempt; keeps a copy of what was asked and answered."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="attempts")
    # The one-time token of the form this attempt came from: a double click or a second tab
    # submitting the same form hits this unique constraint and records nothing more.
    token = models.CharField(max_length=64, unique=True)
    # The attempt's place in the learner's sequence at this quiz. Unique, so two attempts
    # posted at once can't both take the last allowed place: the loser re-checks the limit.
    number = models.PositiveIntegerField()
    submitted_at = models.DateTimeField(auto_now_add=True)
    score = models.PositiveSmallIntegerField()  # percent
    passed = models.BooleanField()
    answers = models.JSONField()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["learner", "quiz"]),
            # Who is out of attempts: the few attempts at or past a quiz's limit
            # (progress.quizzes.locked_out), found without reading a team's whole history.
            models.Index(fields=["quiz", "number"], name="quiz_attempt_quiz_number_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "quiz", "number"], name="quiz_attempt_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="quiz_attempt_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner}: {self.score}% on {self.quiz}"

    def get_absolute_url(self) -> str:
        lesson = self.quiz.lesson
        return reverse("progress:quiz_result", args=[lesson.track.slug, lesson.slug, self.pk])


class QuizTally(models.Model):
    """A quiz's figures for item analysis (progress.item_analysis), kept in step as attempts are
    recorded, so the statistics page reads a few rows whatever the number of attempts."""

    quiz = models.OneToOneField(
        Quiz, on_delete=models.CASCADE, primary_key=True, related_name="tally"
    )
    attempts = models.PositiveIntegerField(default=0)  # every attempt, retries included
    first_attempts = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)  # first attempts naming no question
    first_score_sum = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"quiz {self.quiz_id}: {self.attempts} attempts, {self.first_attempts} first"


class QuestionTally(models.Model):
    """One question's first-attempt responses: the sums facility and discrimination come from.

    Discrimination correlates getting the question right (x, 0 or 1) with the score on the rest
    of the attempt (y), over the responses whose attempt asked more than this question (the
    `paired` ones); a Pearson correlation needs only their count and the sums of x, y, y² and xy
    (x² is x)."""

    question = models.OneToOneField(
        Question, on_delete=models.CASCADE, primary_key=True, related_name="tally"
    )
    responses = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)
    paired = models.PositiveIntegerField(default=0)
    paired_correct = models.PositiveIntegerField(default=0)
    rest_sum = models.FloatField(default=0)
    rest_squares = models.FloatField(default=0)
    correct_rest_sum = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"question {self.question_id}: {self.correct} of {self.responses} right"


class ChoiceTally(models.Model):
    """How many first attempts picked a choice."""

    choice = models.OneToOneField(
        Choice, on_delete=models.CASCADE, primary_key=True, related_name="tally"
    )
    picked = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"choice {self.choice_id}: picked {self.picked} times"


class AttemptGrant(models.Model):
    """One extra quiz attempt granted to a learner by their manager or staff."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempt_grants"
    )
    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="grants")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="attempt_grants_given",
    )
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["learner", "quiz"])]

    def __str__(self) -> str:
        return f"Extra attempt for {self.learner} on {self.quiz}"


class SubmissionQuerySet(models.QuerySet):
    def awaiting_review(self):
        return self.filter(status=Submission.Status.AWAITING_REVIEW)


class Submission(models.Model):
    """One version of a learner's practice work; every version is kept."""

    class Status(models.TextChoices):
        AWAITING_REVIEW = "awaiting_review", "Awaiting review"
        NEEDS_REVISION = "needs_revision", "Needs revision"
        APPROVED = "approved", "Approved"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    assignment = models.ForeignKey(
        PracticeAssignment, on_delete=models.PROTECT, related_name="submissions"
    )
    version = models.PositiveSmallIntegerField()
    text_markdown = models.TextField()
    text_html = models.TextField(editable=False)
    link = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING_REVIEW)
    submitted_at = models.DateTimeField(auto_now_add=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "assignment", "version"], name="submission_version_unique"
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.assignment} v{self.version} by {self.learner}"

    def save(self, *args, **kwargs):
        self.text_html = render_markdown(self.text_markdown)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("progress:submission", args=[self.pk])


class Review(models.Model):
    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="review")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="reviews_given"
    )
    outcome = models.CharField(
        max_length=20,
        choices=[
            (Submission.Status.APPROVED, "Approved"),
            (Submission.Status.NEEDS_REVISION, "Needs revision"),
        ],
    )
    feedback_markdown = models.TextField()
    feedback_html = models.TextField(editable=False)
    # [{"criterion": ..., "points": awarded, "max": possible}] — a copy, so later rubric
    # edits don't rewrite what the reviewer gave.
    scores = models.JSONField(default=list)
    reviewed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Review of {self.submission}"

    def save(self, *args, **kwargs):
        self.feedback_html = render_markdown(self.feedback_markdown)
        super().save(*args, **kwargs)

    @property
    def total(self) -> int:
        return sum(item["points"] for item in self.scores)

    @property
    def total_possible(self) -> int:
        return sum(item["max"] for item in self.scores)


def new_certificate_code() -> str:
    return secrets.token_urlsafe(12)  # 96 random bits: unguessable, short enough to type


class CertificateQuerySet(models.QuerySet):
    def in_standing(self, standing: str, now=None) -> "CertificateQuerySet":
        """The certificates whose `Certificate.standing(now)` is `standing`, in SQL."""
        now = now or timezone.now()
        live = self.filter(revoked_at__isnull=True)
        return {
            "revoked": self.filter(revoked_at__isnull=False),
            "expired": live.filter(expires_at__lte=now),
            "valid": live.exclude(expires_at__lte=now),
        }[standing]


class Certificate(models.Model):
    STANDINGS = [("valid", "Valid"), ("expired", "Expired"), ("revoked", "Revoked")]

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates"
    )
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="certificates")
    code = models.CharField(max_length=32, unique=True, default=new_certificate_code)
    issued_at = models.DateTimeField(auto_now_add=True)
    # Set at issue (and renewal) from the track's validity period; null: valid for ever. Stored
    # rather than computed so that changing a track's period never rewrites what was issued.
    expires_at = models.DateTimeField(null=True, blank=True)
    renewed_at = models.DateTimeField(null=True, blank=True)  # the latest refresher passed
    # Copies as they were at issue time: the certificate states what was earned then.
    learner_name = models.CharField(max_length=120)
    track_title = models.CharField(max_length=160)
    # Withdrawn by staff (issued in error, or earned dishonestly): it no longer counts for
    # anything, its page says so, and its verifiable credential's status list bit is set.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "track"], name="certificate_once_per_track"),
        ]
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"{self.track_title} — {self.learner_name}"

    def get_absolute_url(self) -> str:
        return reverse("progress:certificate", args=[self.code])

    @property
    def certified_at(self):
        """When the learner last showed they know the track: issue or latest renewal."""
        return self.renewed_at or self.issued_at

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def standing(self, now=None) -> str:
        """ "revoked", else "expired", else "valid" (CertificateQuerySet.in_standing in SQL)."""
        if self.is_revoked:
            return "revoked"
        return "expired" if self.is_expired(now) else "valid"


class RetrievalAnswer(models.Model):
    """An answer to a practice question sent by email (one click on a choice)."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="retrieval_answers"
    )
    question = models.ForeignKey(
        "courses.Question", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True)  # one answer per emailed question
    correct = models.BooleanField()
    answered_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.learner} answered {'right' if self.correct else 'wrong'}"


class QuizStatistics(Quiz):
    """Quizzes as authors study them: item analysis over learners' attempts (the admin's
    "Quiz statistics"); the quiz itself is edited under Courses."""

    class Meta:
        proxy = True
        verbose_name = "quiz statistics"
        verbose_name_plural = "quiz statistics"
