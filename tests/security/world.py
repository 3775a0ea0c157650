"""One small organisation whose records the security tests request, as every role.

Learner A owns everything the URLs point at: A's quiz attempt, A's submission (awaiting review),
A's certificate, an invitation and a track assignment of A's team. Learner B is in A's team;
the manager manages A's team; the other manager manages another team; staff is a superuser.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from courses.models import Lesson, Track
from governance.models import PolicyOwner
from learners.models import Invitation, Preferences, TrackAssignment, User
from ledger import messaging, notices
from ledger.models import EmailOptOut, Notice
from notifications import nudges
from practice.models import Evidence, GrowthProfile, Portfolio, PracticePost
from progress import services
from progress.models import Certificate, QuizAttempt, Submission
from teams import services as team_services
from tests import factories

ROLES = ("anonymous", "learner_a", "learner_b", "manager", "other_manager", "staff")


@dataclass
class World:
    users: dict[str, User]
    track: Track
    lesson: Lesson  # has a quiz and a practice assignment
    plain_lesson: Lesson  # no quiz: "Mark complete" works
    attempt: QuizAttempt
    submission: Submission
    certificate: Certificate
    invitation: Invitation
    track_assignment: TrackAssignment
    extra: dict = field(default_factory=dict)

    @property
    def a(self) -> User:
        return self.users["learner_a"]


def build_world() -> World:
    for slug in ("newcomer", "strategy-lead", "executive"):
        factories.role(slug)
    a = factories.UserFactory(email="learner.a@example.com", display_name="Learner A")
    b = factories.UserFactory(email="learner.b@example.com", display_name="Learner B")
    manager = factories.UserFactory(email="manager@example.com", display_name="Manager M")
    other_manager = factories.UserFactory(email="other.manager@example.com", display_name="Olga")
    outsider = factories.UserFactory(email="outsider@example.com", display_name="Otto")
    staff = factories.UserFactory(
        email="staff@example.com", display_name="Sam Staff", is_staff=True, is_superuser=True
    )
    team = factories.team_with(manager=manager, learners=[a, b])
    factories.team_with(manager=other_manager, learners=[outsider])

    track = factories.make_track(slug="secure-track", modules=1, lessons_per_module=2)
    lesson, plain_lesson = track.lessons.order_by("position")
    quiz = factories.add_quiz(lesson)
    factories.add_rubric(factories.add_assignment(lesson))

    token = services.new_attempt_token(learner=a, quiz=quiz)
    answers = {
        str(q.pk): [str(q.choices.filter(is_correct=True).first().pk)] for q in quiz.questions.all()
    }
    attempt = services.submit_quiz_attempt(
        learner=a, quiz=quiz, token=token, answers=answers
    ).attempt
    submission = services.submit_assignment(
        learner=a, assignment=lesson.assignment, text="A's practice work"
    )
    certificate = Certificate.objects.create(
        learner=a, track=track, learner_name=a.name, track_title=track.title
    )
    invitation = Invitation.objects.create(
        team=team, email="newcomer@example.com", name="New Comer", invited_by=manager
    )
    track_assignment = team_services.assign_track(manager=manager, track=track, team=team)
    # Rows for the admin's pages: an email in the ledger to A, an opt-out, a group.
    team_services.nudge_learner(manager=manager, learner=a, track=track)
    EmailOptOut.objects.create(email=a.email, kind="learner_digest")
    Group.objects.create(name="Editors")
    Preferences.objects.get_or_create(user=a)
    # Practice in public: A's post waiting for the manager's review, A's growth profile,
    # evidence and public portfolio. The manager owns the organisation's policy.
    today = timezone.localdate()
    post = PracticePost.objects.create(
        learner=a,
        network="linkedin",
        text="A's practice post",
        status=PracticePost.Status.IN_REVIEW,
        reviewer=manager,
    )
    profile = GrowthProfile.objects.create(learner=a, network="linkedin", handle="learner-a")
    evidence = Evidence.objects.create(
        learner=a, url="https://example.com/a-post", network="linkedin", published_on=today
    )
    Portfolio.objects.create(learner=a, handle="learner-a", is_public=True)
    PolicyOwner.objects.create(user=manager, organisation=team.organisation)
    notices.record(
        [notices.Event(a.pk, "world:a", "track_assigned", "A's notice", track.get_absolute_url())]
    )
    return World(
        users={
            "learner_a": a,
            "learner_b": b,
            "manager": manager,
            "other_manager": other_manager,
            "staff": staff,
            "outsider": outsider,
        },
        track=track,
        lesson=lesson,
        plain_lesson=plain_lesson,
        attempt=attempt,
        submission=submission,
        certificate=certificate,
        invitation=invitation,
        track_assignment=track_assignment,
        extra={
            "team": team,
            "invitation_token": team_services.invitation_token(invitation),
            "unsubscribe_token": messaging.unsubscribe_token(email=a.email, kind="manager_nudge"),
            "post": post,
            "growth_profile": profile,
            "evidence": evidence,
            # Read when a URL needs it: an old schema (tests/test_migrations.py) has no notices.
            "notice": SimpleLazyObject(lambda: Notice.objects.get(key="world:a")),
            "practice_token": nudges.practice_token(
                a.pk,
                quiz.questions.first().pk,
                quiz.questions.first().choices.first().pk,
                "2026-01-05",
            ),
        },
    )
