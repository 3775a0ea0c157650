"""One learner as their manager sees them (/team/people/<id>/): tracks and progress, quiz
attempts, submissions and their reviews, certificates, clearance and last activity.

A manager sees the people who learn in their teams, and their clearance only in the
organisations of those teams; staff see everyone. The page costs the same queries whatever the
person's history: the attempts are the latest `RECENT_ATTEMPTS`, the rest one query each.
"""

from dataclasses import dataclass
from datetime import datetime

from django.http import Http404

from governance import services as governance
from learners.models import Membership, Organisation, Team, User
from learners.selectors import managed_teams
from progress import selectors as progress
from progress.models import QuizAttempt

RECENT_ATTEMPTS = 20


@dataclass
class PersonRecord:
    person: User
    teams: list[Team]  # the viewer's teams the person learns in
    board: progress.Dashboard
    attempts: list[QuizAttempt]
    clearances: list[tuple[Organisation, list]]

    @property
    def last_active(self) -> datetime | None:
        moments = [t.enrolment.last_activity_at for t in self.board.tracks]
        return max((m for m in moments if m is not None), default=None)


def visible_person(viewer: User, learner_id: int) -> tuple[User, list[Team]]:
    """The person and the viewer's teams they learn in; 404 unless there is one (staff see
    anyone). One query: the person comes with their memberships (two for staff looking at
    someone in no team)."""
    memberships = list(
        Membership.objects.filter(
            user_id=learner_id,
            user__is_active=True,
            role=Membership.Role.LEARNER,
            team__in=managed_teams(viewer).values("pk"),
        )
        .select_related("user", "team__organisation")
        .order_by("team__organisation__name", "team__name")
    )
    if memberships:
        return memberships[0].user, [membership.team for membership in memberships]
    if not viewer.is_staff:
        raise Http404("No such person in your teams.")
    try:
        return User.objects.get(pk=learner_id, is_active=True), []
    except User.DoesNotExist:
        raise Http404("No such person.") from None


def person_record(viewer: User, person: User, teams: list[Team]) -> PersonRecord:
    board = progress.dashboard(person, recent_attempts=RECENT_ATTEMPTS)
    standing = governance.my_governance(
        person, certificates=board.certificates, submissions=board.submissions
    )
    shown = {team.organisation_id for team in teams}
    clearances = [
        (organisation, statuses)
        for organisation, statuses in standing.clearances
        if viewer.is_staff or organisation.pk in shown
    ]
    return PersonRecord(
        person=person, teams=teams, board=board, attempts=board.attempts, clearances=clearances
    )
