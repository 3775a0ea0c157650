"""Lists of ids in one parameter (core.id_lists): the rows `__in` would find, with SQL that
doesn't change with the list's length and works past the databases' parameter limits."""

import pytest
from django.db import connection

from core.id_lists import AmongIds
from learners.models import User
from progress.models import Enrolment
from progress.services import enrol
from tests.factories import UserFactory, make_track
from tests.statements import Statements

pytestmark = pytest.mark.django_db


def test_finds_what_in_finds_on_a_key_and_a_foreign_key():
    people = [UserFactory() for _ in range(6)]
    track = make_track()
    for person in people[:4]:
        enrol(learner=person, track=track)
    wanted = [people[0].pk, people[2].pk, people[5].pk, 10**9]

    assert set(User.objects.filter(AmongIds("pk", wanted))) == set(
        User.objects.filter(pk__in=wanted)
    )
    assert set(Enrolment.objects.filter(AmongIds("learner_id", wanted))) == set(
        Enrolment.objects.filter(learner_id__in=wanted)
    )
    assert not User.objects.filter(AmongIds("pk", [])).exists()
    # Negated and combined, as any other filter.
    assert set(User.objects.exclude(AmongIds("pk", wanted))) == set(people) - {
        people[0],
        people[2],
        people[5],
    }


def test_the_sql_is_the_same_for_any_number_of_ids_even_past_the_parameter_limits():
    person = UserFactory()
    statements = Statements()
    with connection.execute_wrapper(statements):
        few = list(User.objects.filter(AmongIds("pk", [person.pk, 7])))
        # More ids than SQLite (32,766) or PostgreSQL (65,535) take as separate parameters.
        many = list(User.objects.filter(AmongIds("pk", [person.pk, *range(10**8, 10**8 + 70_000)])))
    assert few == many == [person]
    (few_sql, few_params), (many_sql, many_params) = statements.sent
    assert few_sql == many_sql
    assert len(few_params) == len(many_params) == 1
