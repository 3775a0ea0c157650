"""Social governance: the organisation's social media policy (its versions, owners and the
acknowledgements that name the exact text), the clearance levels computed from learners'
records, and the words an organisation keeps out of public posts.

The models moved here from `learners` and keep its table names (`learners_*`): the move changed
where the code lives, not a row of data.
"""

import hashlib
from datetime import date

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone as django_timezone

from courses.markdown import render_markdown
from learners.models import Organisation, User


class BannedTerm(models.Model):
    """A word or phrase the organisation doesn't want in public posts (a code name, an unreleased
    product, a client's name): the post studio flags drafts that use it."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="banned_terms"
    )
    term = models.CharField(max_length=100, help_text="Matched as whole words, in any case.")
    reason = models.CharField(
        max_length=200, blank=True, help_text="Shown to the learner: why it can't be posted."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "learners_bannedterm"
        ordering = ["organisation", "term"]
        constraints = [
            models.UniqueConstraint(
                "organisation", Lower("term"), name="banned_term_unique_in_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term} ({self.organisation})"


def policy_text_hash(text: str) -> str:
    """The SHA-256 of a policy text exactly as published (UTF-8), as hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PolicyOwner(models.Model):
    """Someone who publishes the organisation's social media policy and sees its whole roster.

    A relation of its own rather than a flag on a membership: the owner may be a manager, a
    learner (the strategy lead who wrote the policy) or belong to no team at all.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="policy_owners"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="policy_ownerships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "learners_policyowner"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="policy_owner_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} owns the policy of {self.organisation}"


class Policy(models.Model):
    """An organisation's social media policy: a series of published versions and one draft."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="policy"
    )
    title = models.CharField(max_length=160, default="Social media policy")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "learners_policy"
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return f"{self.title} ({self.organisation})"


class PolicyVersionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False)

    def drafts(self):
        return self.filter(published_at__isnull=True)

    def in_effect(self, today):
        """Published versions whose effective date has come; the newest is the current one."""
        return self.published().filter(effective_date__lte=today)


class PolicyVersion(models.Model):
    """One version of the policy. Drafts are edited freely; a published version never changes
    (people acknowledged its exact text, recorded by hash)."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(null=True, blank=True)  # given when published
    body_markdown = models.TextField("policy text (Markdown)")
    body_html = models.TextField(blank=True, editable=False)
    text_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    changes_summary = models.CharField(
        "what changed in this version",
        max_length=280,
        blank=True,
        help_text="One or two sentences people read before acknowledging the new version.",
    )
    effective_date = models.DateField(null=True, blank=True)
    # The practice submission a draft was promoted from (policy_promote).
    source_submission = models.ForeignKey(
        "progress.Submission",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_column="source_submission_id",
    )
    published_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="policy_versions_published",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        db_table = "learners_policyversion"
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "number"], name="policy_version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["policy"],
                condition=models.Q(published_at__isnull=True),
                name="policy_one_draft",
            ),
            models.CheckConstraint(
                condition=models.Q(published_at__isnull=True)
                | models.Q(number__isnull=False, effective_date__isnull=False),
                name="policy_version_published_has_number_and_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} — {f'version {self.number}' if self.number else 'draft'}"

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body_markdown)
        self.text_sha256 = policy_text_hash(self.body_markdown)
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "body_html", "text_sha256"}
        super().save(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class PolicyAcknowledgement(models.Model):
    """A person read a published version and said so; the hash proves which text it was."""

    version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="policy_acknowledgements")
    acknowledged_at = models.DateTimeField(default=django_timezone.now)
    text_sha256 = models.CharField(max_length=64)

    class Meta:
        db_table = "learners_policyacknowledgement"
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="policy_acknowledged_once"),
        ]
        indexes = [models.Index(fields=["user", "version"])]

    def __str__(self) -> str:
        return f"{self.user} acknowledged {self.version}"


class ClearanceLevel(models.Model):
    """What someone must have done to act for the organisation in public ("Can post for the
    brand"): acknowledged the current policy, hold a valid certificate for each of `tracks` and,
    optionally, have `assignment` approved. Computed from records, never ticked by hand."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="clearance_levels"
    )
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    tracks = models.ManyToManyField(
        "courses.Track",
        blank=True,
        related_name="clearance_levels",
        db_table="learners_clearancelevel_tracks",
        help_text="A valid (unexpired) certificate for each of these tracks is required.",
    )
    assignment = models.ForeignKey(
        "courses.PracticeAssignment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clearance_levels",
        help_text="Optionally, a practice assignment that must have been approved.",
    )

    class Meta:
        db_table = "learners_clearancelevel"
        ordering = ["organisation", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="clearance_level_name_unique_in_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class LevelHolding(models.Model):
    """A person who holds a clearance level or held it (stored so whole teams are counted from
    one narrow table): they acknowledged a version of the organisation's policy, have a
    certificate for each of the level's tracks and the assignment approved. Kept in step by
    `clearance.refresh_holdings` whenever those records change.

    What time changes is decided when reading, not stored: held *and* cleared while
    `acknowledged_number` is at least the policy version in effect and `valid_until` (the
    earliest expiry of those certificates) hasn't passed; otherwise lost. No row: not cleared."""

    level = models.ForeignKey(ClearanceLevel, on_delete=models.CASCADE, related_name="holdings")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="level_holdings")
    acknowledged_number = models.PositiveSmallIntegerField()  # the newest version acknowledged
    valid_until = models.DateTimeField(null=True, blank=True)  # None: no certificate expires

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "user"], name="level_holding_unique"),
        ]
        # valid_until: the clearance counts read the holdings that run out today.
        indexes = [
            models.Index(fields=["user", "level"]),
            models.Index(fields=["valid_until"], name="level_holding_valid_until_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} holds {self.level}"


class TeamClearanceTally(models.Model):
    """How many of a team's active learners hold a level, per policy version acknowledged and
    day (UTC) their holding runs out (`NO_EXPIRY` when it doesn't), kept by database triggers
    (governance.clearance_tally) on every write to holdings, memberships, accounts and teams:
    the team dashboard's clearance section reads a few rows per team whatever its size."""

    NO_EXPIRY = date(9999, 12, 31)

    team = models.ForeignKey("learners.Team", on_delete=models.CASCADE, related_name="+")
    level = models.ForeignKey(ClearanceLevel, on_delete=models.CASCADE, related_name="+")
    acknowledged_number = models.PositiveSmallIntegerField()
    expires_on = models.DateField()
    holders = models.IntegerField(db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "level", "acknowledged_number", "expires_on"],
                name="team_clearance_tally_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"team {self.team_id}, level {self.level_id}: {self.holders}"
