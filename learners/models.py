"""People: accounts, organisations, teams and memberships."""

import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone as django_timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalise_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, email: str) -> "User":
        return self.get(email__iexact=email)


def normalise_email(email: str) -> str:
    # The whole address is lowercased: people type their email in any case and expect one account.
    return email.strip().lower()


def timezone_choices() -> list[tuple[str, str]]:
    # Not on the model field: the list depends on the machine's tz database, and choices in a
    # migration would make `makemigrations --check` differ between machines.
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class User(AbstractBaseUser, PermissionsMixin):
    """An account: the email address is the login; the display name is what others see."""

    email = models.EmailField("email address", max_length=254, unique=True)
    display_name = models.CharField(
        max_length=80, blank=True, help_text="Shown on your certificates and to your manager."
    )
    timezone = models.CharField(max_length=64, default="UTC")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Can sign in to the admin to author content."
    )
    date_joined = models.DateTimeField(default=django_timezone.now)
    # The header's badge, read with the signed-in user at no extra query: kept in step with
    # ledger.Notice by ledger.notices, the only writer.
    unread_notices = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_case_insensitive_unique"),
        ]
        indexes = [
            # People are listed by name (the dashboard's first page, the roster): with this,
            # PostgreSQL finds a large team's first 50 by walking names instead of sorting all.
            models.Index(fields=["display_name", "email"], name="user_name_order_idx"),
        ]

    def save(self, *args, **kwargs):
        # The unread count is written only by ledger.notices: saving a user read earlier in a
        # request must not put back the count it read then.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "unread_notices"
            ]
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.email = normalise_email(self.email)

    @property
    def name(self) -> str:
        """The display name, or the part of the email before the @ when none is set."""
        return self.display_name or self.email.split("@", 1)[0]

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name


class Organisation(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    allow_peer_review = models.BooleanField(
        "learners may ask a peer to review a post",
        default=False,
        help_text="Off: only the learner's manager reviews draft posts. On: a learner in the "
        "same team may review too.",
    )
    password_accounts_need_second_factor = models.BooleanField(
        "password accounts need a second factor",
        default=False,
        help_text="On: its people who sign in with a password must set up two-step sign-in (an "
        "authenticator app or a passkey) before they can use the site. Single sign-on "
        "accounts are left to their provider.",
    )
    reviewers = models.ManyToManyField(
        User,
        blank=True,
        related_name="reviewer_for",
        verbose_name="reviewers for learners without a manager",
        help_text="They review the practice work of this organisation's learners whose teams "
        "have no manager. When no one is named, staff review it.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="team_name_unique_in_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class Membership(models.Model):
    """A person's role in a team: a person can manage several teams and learn in one."""

    class Role(models.TextChoices):
        LEARNER = "learner", "Learner"
        MANAGER = "manager", "Manager"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.LEARNER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "team", "role"], name="membership_unique_role"),
        ]
        indexes = [models.Index(fields=["team", "role"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.team}"


class Placement(models.Model):
    """A learner's self-placement: the role closest to theirs and how they rated themselves.

    Changing it never touches progress: it only changes the recommendation.
    """

    class Level(models.IntegerChoices):
        NEW = 1, "New to me"
        BASICS = 2, "I know the basics"
        REGULAR = 3, "I do this regularly"
        EXPERT = 4, "I could teach it"

    SKIM_FROM = Level.REGULAR  # modules rated at this level or above may be skimmed

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="placement")
    role = models.ForeignKey("courses.Role", on_delete=models.PROTECT, related_name="+")
    recommended_track = models.ForeignKey(
        "courses.Track", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    skim_modules = models.ManyToManyField("courses.Module", blank=True, related_name="+")
    answers = models.JSONField(default=dict)  # {module id: level}
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.role}"


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(models.Model):
    """An invitation to join a team; its emailed link is signed, expires and works once."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=80, blank=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveSmallIntegerField(default=0)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per address and team; accepted or revoked ones stay as history.
            models.UniqueConstraint(
                fields=["team", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_pending_per_team",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.team}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        return "pending"


class TrackAssignmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(cancelled_at__isnull=True)


class TrackAssignment(models.Model):
    """A manager's assignment of a track to one person or to a whole team, with a due date.

    A team assignment also applies to people who join the team later.
    """

    track = models.ForeignKey("courses.Track", on_delete=models.PROTECT, related_name="assignments")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="track_assignments"
    )
    learner = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="track_assignments"
    )
    due_date = models.DateField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="assignments_made"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = TrackAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=True, learner__isnull=False)
                | models.Q(team__isnull=False, learner__isnull=True),
                name="assignment_to_team_xor_person",
            ),
        ]
        indexes = [models.Index(fields=["track", "cancelled_at"])]

    def __str__(self) -> str:
        return f"{self.track} → {self.team or self.learner}"


class Preferences(models.Model):
    """What a person wants to receive, and when (in their own time zone, on the User)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="preferences")
    digest_enabled = models.BooleanField("weekly learning digest", default=True)
    manager_digest_enabled = models.BooleanField("weekly team digest (managers)", default=True)
    digest_weekday = models.PositiveSmallIntegerField(
        "digest day", choices=Weekday.choices, default=Weekday.MONDAY
    )
    digest_hour = models.PositiveSmallIntegerField(
        "digest hour",
        default=8,
        validators=[MinValueValidator(0), MaxValueValidator(23)],
        help_text="Local time, 0–23.",
    )
    nudge_inactive = models.BooleanField(
        "reminders when I haven't been active for a week", default=True
    )
    nudge_due = models.BooleanField("reminders before and after due dates", default=True)
    nudge_review = models.BooleanField("a note when my work has been reviewed", default=True)
    nudge_practice = models.BooleanField("a practice question from a finished lesson", default=True)

    class Meta:
        verbose_name = "preferences"
        verbose_name_plural = "preferences"

    def __str__(self) -> str:
        return f"Preferences of {self.user}"
