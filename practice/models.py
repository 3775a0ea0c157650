"""Practice in public: drafts in the post studio and their reviews, the evidence of what a learner
published, the growth journal (their accounts and self-reported numbers) and the public portfolio.

The models moved here from `progress` and keep its table names (`progress_*`): the move changed
where the code lives, not a row of data.
"""

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from courses.models import PracticeAssignment

from . import networks

HTTP_URL = URLValidator(schemes=["http", "https"])


class PracticePost(models.Model):
    """A post a learner drafts in the studio, has reviewed, then publishes on the network
    themselves (nothing here posts anywhere). `network` is a slug from practice.networks."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        PUBLISHED = "published", "Published"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_posts"
    )
    network = models.CharField(max_length=20)
    text = models.TextField(blank=True)
    link_url = models.URLField(max_length=500, blank=True, validators=[HTTP_URL])
    link_title = models.CharField(max_length=200, blank=True)
    link_description = models.CharField(max_length=300, blank=True)
    has_image = models.BooleanField(default=False)
    image_alt = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # SET_NULL, not PROTECT: a draft is the learner's own work and survives its assignment.
    assignment = models.ForeignKey(
        PracticeAssignment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="practice_posts",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="posts_to_review",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "progress_practicepost"
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["reviewer", "status"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.network})"

    def get_absolute_url(self) -> str:
        return reverse("practice:studio_post", args=[self.pk])

    @property
    def network_name(self) -> str:
        return networks.label(self.network)

    @property
    def title(self) -> str:
        first = (self.text.strip().splitlines() or ["Untitled draft"])[0]
        return first if len(first) <= 60 else first[:59].rstrip() + "…"


class PostReview(models.Model):
    """A reviewer's decision on a draft, with a copy of the text they saw."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"

    post = models.ForeignKey(PracticePost, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="post_reviews_given",
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    comment = models.TextField(blank=True)
    network_reviewed = models.CharField(max_length=20)
    text_reviewed = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "progress_postreview"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.post}"


class Evidence(models.Model):
    """The public URL of something the learner published, as they pasted it (never fetched)."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="evidence"
    )
    url = models.URLField(max_length=500, validators=[HTTP_URL])
    network = models.CharField(max_length=20)
    post = models.ForeignKey(
        PracticePost, on_delete=models.SET_NULL, null=True, blank=True, related_name="evidence"
    )
    assignment = models.ForeignKey(
        PracticeAssignment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_on = models.DateField()
    note = models.TextField(blank=True)
    on_portfolio = models.BooleanField("show on my portfolio", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "progress_evidence"
        verbose_name_plural = "evidence"
        ordering = ["-published_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "url"], name="evidence_url_once"),
            models.CheckConstraint(
                condition=models.Q(url__startswith="http://")
                | models.Q(url__startswith="https://"),
                name="evidence_url_http_or_https",
            ),
        ]
        indexes = [models.Index(fields=["learner", "published_on"])]

    def __str__(self) -> str:
        return self.url

    @property
    def network_name(self) -> str:
        return networks.label(self.network)


class GrowthProfile(models.Model):
    """One of the learner's accounts (a network and a handle), with an optional cadence goal."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="growth_profiles"
    )
    network = models.CharField(max_length=20)
    handle = models.CharField(max_length=100)
    weekly_post_goal = models.PositiveSmallIntegerField(
        "posts a week (goal)", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "progress_growthprofile"
        ordering = ["network", "handle"]
        constraints = [
            models.UniqueConstraint(
                "learner", "network", Lower("handle"), name="growth_profile_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(weekly_post_goal__isnull=True)
                | models.Q(weekly_post_goal__gte=1, weekly_post_goal__lte=21),
                name="growth_profile_goal_1_to_21",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.handle} on {self.network}"

    @property
    def network_name(self) -> str:
        return networks.label(self.network)


class GrowthSnapshot(models.Model):
    """Self-reported numbers for one profile on one day (nothing is scraped)."""

    profile = models.ForeignKey(GrowthProfile, on_delete=models.CASCADE, related_name="snapshots")
    # Also on the profile; kept here so the journal and the learner's data export read the
    # learner's snapshots without a join.
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="growth_snapshots"
    )
    taken_on = models.DateField()
    followers = models.PositiveIntegerField()
    posts_published = models.PositiveIntegerField(default=0)
    engagement = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "progress_growthsnapshot"
        ordering = ["taken_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "taken_on"], name="growth_snapshot_one_per_day"
            ),
        ]
        indexes = [models.Index(fields=["learner", "taken_on"])]

    def __str__(self) -> str:
        return f"{self.profile} on {self.taken_on}: {self.followers}"


class Portfolio(models.Model):
    """The learner's public page at /p/<handle>/: private until they switch it on."""

    learner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portfolio"
    )
    handle = models.SlugField(max_length=40, unique=True, null=True, blank=True)
    is_public = models.BooleanField("show my portfolio publicly", default=False)
    headline = models.CharField(max_length=160, blank=True)
    show_certificates = models.BooleanField("show my certificates", default=True)
    show_growth = models.BooleanField("show my growth chart", default=False)
    share_growth_with_team = models.BooleanField(
        "share my growth numbers with my manager", default=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "progress_portfolio"
        # The few who share their growth, for team growth to start from in a large team.
        indexes = [
            models.Index(
                fields=["learner"],
                condition=models.Q(share_growth_with_team=True),
                name="portfolio_sharing_growth_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Portfolio of {self.learner}"

    def get_absolute_url(self) -> str:
        return reverse("practice:portfolio", args=[self.handle])
