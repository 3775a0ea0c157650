"""What each row of the API says. Fields are named for a reader outside (`person`, not
`learner_id`); every figure is one the pages show. A quiz attempt's answers are not here: the
selector never reads them."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from progress.models import Certificate as CertificateRecord
from teams.dashboards import curriculum_facts

MAX_ID = 2**63 - 1  # the database's largest id: a larger number would overflow the query


class Filters(serializers.Serializer):
    """The query parameters every list takes (validated; a bad value is a 400 naming it)."""

    team = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="A team's id: only its people's rows.",
    )
    track = serializers.SlugField(
        required=False, max_length=80, help_text="A track's slug: only rows of that track."
    )
    updated_since = serializers.DateTimeField(
        required=False,
        help_text="ISO 8601 date-time (e.g. 2026-01-31T09:00:00Z): only rows that changed since "
        "then (each endpoint says which dates count).",
        error_messages={
            "invalid": "Give an ISO 8601 date-time with its time zone, e.g. 2026-01-31T09:00:00Z."
        },
    )
    page_size = serializers.IntegerField(
        required=False, min_value=1, help_text="Rows per page (default 100, at most 500)."
    )


class TeamMembership(serializers.Serializer):
    team = serializers.IntegerField(source="team_id")
    team_name = serializers.CharField(source="team.name")
    role = serializers.ChoiceField(choices=["learner", "manager"])


class Person(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    active = serializers.BooleanField(source="is_active")
    joined_at = serializers.DateTimeField(source="date_joined")
    teams = TeamMembership(many=True, source="organisation_memberships")


class Team(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()
    learners = serializers.IntegerField(help_text="People learning in the team.")
    managers = serializers.IntegerField()


class Assignment(serializers.Serializer):
    id = serializers.IntegerField()
    track = serializers.SlugField(source="track.slug")
    track_title = serializers.CharField(source="track.title")
    team = serializers.IntegerField(
        source="team_id", allow_null=True, help_text="Set for a team's assignment."
    )
    person = serializers.IntegerField(
        source="learner_id", allow_null=True, help_text="Set for one person's assignment."
    )
    due_date = serializers.DateField(allow_null=True)
    assigned_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    cancelled_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_assigned_by(self, assignment) -> str | None:
        return assignment.assigned_by.name if assignment.assigned_by else None


class Enrolment(serializers.Serializer):
    id = serializers.IntegerField()
    person = serializers.IntegerField(source="learner_id")
    track = serializers.SlugField(source="track.slug")
    track_title = serializers.CharField(source="track.title")
    enrolled_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    lessons_done = serializers.IntegerField()
    lessons_total = serializers.SerializerMethodField()
    percent = serializers.SerializerMethodField()
    quiz_average = serializers.FloatField(allow_null=True, help_text="Percent, best attempts.")
    pending_reviews = serializers.IntegerField()
    assigned = serializers.SerializerMethodField()
    due_date = serializers.DateField(allow_null=True, help_text="The earliest assigned due date.")

    @extend_schema_field(serializers.IntegerField(min_value=0))
    def get_lessons_total(self, enrolment) -> int:
        # The curriculum's lesson counts, cached per curriculum version: no query per row.
        return curriculum_facts().lesson_counts.get(enrolment.track_id, 0)

    @extend_schema_field(serializers.IntegerField(min_value=0, max_value=100))
    def get_percent(self, enrolment) -> int:
        total = self.get_lessons_total(enrolment)
        if enrolment.completed_at is not None:
            return 100
        return min(100, round(100 * enrolment.lessons_done / total)) if total else 0

    def get_assigned(self, enrolment) -> bool:
        return enrolment.assignment_id is not None


class QuizResult(serializers.Serializer):
    id = serializers.IntegerField()
    person = serializers.IntegerField(source="learner_id")
    track = serializers.SlugField(source="quiz.lesson.track.slug")
    lesson = serializers.SlugField(source="quiz.lesson.slug")
    lesson_title = serializers.CharField(source="quiz.lesson.title")
    attempt = serializers.IntegerField(source="number", help_text="1 for the first attempt.")
    score = serializers.IntegerField(min_value=0, max_value=100, help_text="Percent.")
    pass_mark = serializers.IntegerField(source="quiz.pass_mark")
    passed = serializers.BooleanField()
    submitted_at = serializers.DateTimeField()


class Certificate(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    person = serializers.IntegerField(source="learner_id")
    track = serializers.SlugField(source="track.slug")
    track_title = serializers.CharField(help_text="As it was when the certificate was issued.")
    learner_name = serializers.CharField()
    issued_at = serializers.DateTimeField()
    renewed_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Null: never expires.")
    revoked_at = serializers.DateTimeField(
        allow_null=True, help_text="Withdrawn by staff then: it counts for nothing since."
    )
    revoked_reason = serializers.CharField(help_text="Why it was revoked (empty if it wasn't).")
    status = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The public verification page.")
    credential_url = serializers.SerializerMethodField(
        help_text="The certificate as a signed Open Badges 3.0 credential (docs/credentials.md)."
    )

    @extend_schema_field(
        serializers.ChoiceField(choices=[value for value, _ in CertificateRecord.STANDINGS])
    )
    def get_status(self, certificate) -> str:
        return certificate.standing()

    @extend_schema_field(serializers.URLField())
    def get_url(self, certificate) -> str:
        return self.context["request"].build_absolute_uri(certificate.get_absolute_url())

    @extend_schema_field(serializers.URLField())
    def get_credential_url(self, certificate) -> str:
        path = reverse("credentials:credential", args=[certificate.code])
        return self.context["request"].build_absolute_uri(path)


class LevelStanding(serializers.Serializer):
    level = serializers.IntegerField(source="level.pk")
    level_name = serializers.CharField(source="level.name")
    status = serializers.ChoiceField(choices=["cleared", "lost", "not_cleared"])
    since = serializers.DateTimeField(allow_null=True, help_text="Cleared since.")
    lost_since = serializers.DateTimeField(allow_null=True)
    valid_until = serializers.DateTimeField(
        allow_null=True, help_text="A held clearance ends then unless a certificate is renewed."
    )
    missing = serializers.SerializerMethodField()

    def get_missing(self, status) -> list[str]:
        return [check.label for check in status.missing]


class Clearance(serializers.Serializer):
    person = serializers.IntegerField(source="pk")
    levels = serializers.SerializerMethodField()

    @extend_schema_field(LevelStanding(many=True))
    def get_levels(self, person) -> list[dict]:
        return LevelStanding(self.context["clearances"][person.pk], many=True).data
