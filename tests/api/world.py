"""Two organisations with people, teams, assignments and records, for the API's tests."""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from api import tokens
from learners.models import Membership, Organisation, Team, TrackAssignment, User
from progress.models import Certificate, Enrolment, QuizAttempt
from tests import factories


@dataclass
class World:
    acme: Organisation
    globex: Organisation
    acme_token: str
    globex_token: str
    sales: Team
    support: Team
    track: object
    people: list[User] = field(default_factory=list)
    globex_people: list[User] = field(default_factory=list)
    staff: User | None = None
    both: User | None = None  # in a team of each organisation


def add_records(person: User, track, *, n: int = 0) -> None:
    """An enrolment, a quiz attempt and a certificate of `person` in `track`."""
    Enrolment.objects.create(learner=person, track=track, lessons_done=n % 3)
    quiz = track.lessons.first().quiz
    QuizAttempt.objects.create(
        learner=person,
        quiz=quiz,
        token=secrets.token_hex(16),
        number=1,
        score=80,
        passed=True,
        answers={"secret-answer-marker": [1]},
    )
    Certificate.objects.create(
        learner=person, track=track, learner_name=person.name, track_title=track.title
    )


def build(*, people: int = 3) -> World:
    acme = Organisation.objects.create(slug="acme", name="Acme")
    globex = Organisation.objects.create(slug="globex", name="Globex")
    track = factories.make_track(slug="social-basics", modules=1, lessons_per_module=2)
    factories.add_quiz(track.lessons.first())
    sales = Team.objects.create(organisation=acme, name="Sales")
    support = Team.objects.create(organisation=acme, name="Support")
    exports = Team.objects.create(organisation=globex, name="Exports")
    manager = factories.UserFactory(display_name="Mona Manager")
    Membership.objects.create(user=manager, team=sales, role="manager")
    world = World(
        acme=acme,
        globex=globex,
        acme_token=tokens.create_token(organisation=acme, name="Warehouse", by=None)[1],
        globex_token=tokens.create_token(organisation=globex, name="Warehouse", by=None)[1],
        sales=sales,
        support=support,
        track=track,
    )
    for n in range(people):
        person = factories.UserFactory()
        Membership.objects.create(user=person, team=sales if n % 2 == 0 else support)
        add_records(person, track, n=n)
        world.people.append(person)
    TrackAssignment.objects.create(
        track=track, team=sales, assigned_by=manager, due_date=timezone.localdate() + timedelta(7)
    )
    TrackAssignment.objects.create(track=track, learner=world.people[-1], assigned_by=manager)
    for _ in range(2):
        person = factories.UserFactory()
        Membership.objects.create(user=person, team=exports)
        add_records(person, track)
        world.globex_people.append(person)
    TrackAssignment.objects.create(track=track, team=exports)
    world.staff = factories.UserFactory(is_staff=True)
    Membership.objects.create(user=world.staff, team=support)  # staff: never in the API
    world.people_count = people + 1  # and the manager
    return world
