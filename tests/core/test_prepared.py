"""Reads compiled once per process (core.prepared) give what the ORM gives, for anyone."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.prepared import NotPreparableError, prepared
from progress.models import Certificate, Enrolment
from progress.services import enrol
from tests.factories import UserFactory, make_track

pytestmark = pytest.mark.django_db


def _certificates_query(learner_id):
    return (
        Certificate.objects.filter(learner_id=learner_id)
        .select_related("track")
        .order_by("-issued_at")
    )


@pytest.fixture
def two_learners():
    tracks = [make_track(slug=f"track-{n}") for n in range(3)]
    first, second = UserFactory(), UserFactory()
    for track in tracks:
        enrol(learner=first, track=track)
    enrol(learner=second, track=tracks[1])
    Certificate.objects.create(
        learner=first, track=tracks[0], code="aaaa1111", expires_at=timezone.now() + timedelta(1)
    )
    Certificate.objects.create(learner=second, track=tracks[1], code="bbbb2222")
    return first, second


def test_a_prepared_read_gives_each_person_what_the_orm_gives(two_learners):
    certificates = prepared(_certificates_query)
    for learner in (*two_learners, UserFactory()):
        got = certificates(learner_id=learner.pk)
        expected = list(_certificates_query(learner.pk))
        assert got == expected
        # Related rows, converted values (aware datetimes on SQLite too) and field types match.
        assert [(c.track.title, c.issued_at, c.expires_at) for c in got] == [
            (c.track.title, c.issued_at, c.expires_at) for c in expected
        ]


def test_values_and_annotations_come_back_as_the_orm_returns_them(two_learners):
    def tracks_with_people(learner_id):
        return (
            Enrolment.objects.filter(learner_id=learner_id)
            .values("track__slug")
            .annotate(people=Count("track__enrolments"))
            .order_by("track__slug")
        )

    read = prepared(tracks_with_people)
    first, second = two_learners
    assert read(learner_id=first.pk) == list(tracks_with_people(first.pk))
    assert read(learner_id=second.pk) == [{"track__slug": "track-1", "people": 2}]


def test_the_sql_is_built_once_then_only_run(two_learners):
    builds = []

    def counted(learner_id):
        builds.append(learner_id)
        return _certificates_query(learner_id)

    read = prepared(counted)
    first, second = two_learners
    read(learner_id=first.pk)
    built = len(builds)
    with CaptureQueriesContext(connection) as queries:
        assert read(learner_id=second.pk)[0].code == "bbbb2222"
        assert read(learner_id=first.pk)[0].code == "aaaa1111"
    assert len(builds) == built  # nothing rebuilt
    assert len(queries) == 2  # one query per call, select_related included


def test_the_columns_converters_are_worked_out_once(two_learners, monkeypatch):
    """What turns stored values into Python's (SQLite's text into aware datetimes) is found on
    the first run and reused: the rows still come back converted."""
    worked_out = []
    original = SQLCompiler.get_converters

    def counted(compiler, expressions):
        worked_out.append(len(expressions))
        return original(compiler, expressions)

    monkeypatch.setattr(SQLCompiler, "get_converters", counted)
    read = prepared(_certificates_query)
    first, second = two_learners
    for learner in (first, second, first):
        [certificate, *_] = read(learner_id=learner.pk)
        assert timezone.is_aware(certificate.issued_at)
        assert certificate == _certificates_query(learner.pk).first()
    # Three runs of the read, the columns worked out once (the ORM's own reads above count too).
    assert len(worked_out) == 1 + 3


def test_a_read_that_depends_on_the_clock_is_refused():
    read = prepared(
        lambda learner_id: Certificate.objects.filter(
            learner_id=learner_id, issued_at__lte=timezone.now()
        )
    )
    with pytest.raises(NotPreparableError, match="reads something besides"):
        read(learner_id=1)


def test_a_read_that_ignores_one_of_its_values_is_refused():
    read = prepared(lambda learner_id, track_id: Certificate.objects.filter(learner_id=learner_id))
    with pytest.raises(NotPreparableError, match="doesn't use all"):
        read(learner_id=1, track_id=2)


@pytest.mark.django_db(transaction=True)
def test_a_read_compiled_in_one_thread_runs_on_another_threads_connection(two_learners):
    read = prepared(_certificates_query)
    first, second = two_learners
    assert read(learner_id=first.pk)[0].code == "aaaa1111"
    found, errors = [], []

    def in_another_thread():
        try:
            found.extend(c.code for c in read(learner_id=second.pk))
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=in_another_thread)
    thread.start()
    thread.join()
    assert errors == []
    assert found == ["bbbb2222"]


def test_a_list_of_ids_compiles_once_per_length_and_an_empty_one_is_read_the_orms_way(
    two_learners,
):
    builds = []

    def of_people(people):
        builds.append(people)
        return Certificate.objects.filter(learner_id__in=people).order_by("code")

    read = prepared(of_people)
    first, second = two_learners
    assert [c.code for c in read(people=[first.pk, second.pk])] == ["aaaa1111", "bbbb2222"]
    built = len(builds)
    assert [c.code for c in read(people={second.pk, first.pk})] == ["aaaa1111", "bbbb2222"]
    assert [c.code for c in read(people=[second.pk, 0])] == ["bbbb2222"]
    assert len(builds) == built  # two people either way: the same SQL
    assert [c.code for c in read(people=[second.pk])] == ["bbbb2222"]  # one: compiled anew
    assert read(people=[]) == []


def test_a_page_of_a_read_is_its_slice(two_learners):
    first, _ = two_learners
    enrolments = prepared(
        lambda learner_id: Enrolment.objects.filter(learner_id=learner_id).order_by("track__slug")
    )
    everything = [e.track.slug for e in enrolments(learner_id=first.pk)]
    assert everything == ["track-0", "track-1", "track-2"]
    assert [e.track.slug for e in enrolments.page(learner_id=first.pk, offset=1, limit=1)] == [
        "track-1"
    ]
    assert [e.track.slug for e in enrolments.page(learner_id=first.pk, offset=2, limit=5)] == [
        "track-2"
    ]


def test_a_list_used_three_times_in_a_union_gives_what_the_orm_gives(two_learners):
    def codes_and_tracks(people):
        codes = Certificate.objects.filter(learner_id__in=people).values_list("learner_id", "code")
        tracks = Enrolment.objects.filter(learner_id__in=people).values_list(
            "learner_id", "track__slug"
        )
        others = Certificate.objects.exclude(learner_id__in=people).values_list(
            "learner_id", "code"
        )
        return codes.order_by().union(tracks.order_by(), others.order_by(), all=True)

    read = prepared(codes_and_tracks)
    first, second = two_learners
    for people in ([first.pk], [first.pk, second.pk], [second.pk, 0, 10**6]):
        assert sorted(read(people=people)) == sorted(codes_and_tracks(people))


def test_on_postgresql_a_list_goes_to_the_database_as_one_array(two_learners):
    if connection.vendor != "postgresql":
        pytest.skip("the rewrite is PostgreSQL's (psycopg re-parses statements of 50+ values)")
    read = prepared(
        lambda people: Certificate.objects.filter(learner_id__in=people).order_by("code")
    )
    sixty = [two_learners[0].pk, two_learners[1].pk, *range(10**6, 10**6 + 58)]
    with CaptureQueriesContext(connection) as queries:
        assert [c.code for c in read(people=sixty)] == ["aaaa1111", "bbbb2222"]
    (sql,) = [query["sql"] for query in queries]
    assert "= ANY(" in sql and " IN (" not in sql
    # As array text, typed by the column it is compared with (psycopg dumps a list slowly).
    ids = ",".join(str(pk) for pk in sorted(sixty))
    assert f"= ANY('{{{ids}}}')" in sql


def test_only_a_whole_list_inside_in_becomes_an_array():
    from core.prepared import WHOLE, _lists_as_arrays

    slots = ((0, "team", None), (1, "people", 0), (2, "people", 1), (3, "people", 0))
    sql = 'SELECT 1 WHERE "t" = %s AND "p" IN (%s, %s) AND "q" > %s AND "r" LIKE \'%%x\''
    params = (7, 1, 2, 1)
    rewritten, new_params, new_slots = _lists_as_arrays(sql, (*params, 0)[:4], slots)
    assert rewritten == (
        'SELECT 1 WHERE "t" = %s AND "p" = ANY(%s) AND "q" > %s AND "r" LIKE \'%%x\''
    )
    assert new_params == (7, [], 1)
    # The list's first value compared on its own (`> %s`) is not a whole list: kept as it was.
    assert new_slots == ((0, "team", None), (1, "people", WHOLE), (2, "people", 0))
    # Placeholders that don't line up with the parameters: nothing is touched.
    assert _lists_as_arrays(sql, params[:3], slots[:3]) == (sql, params[:3], slots[:3])


def test_a_prepared_count_is_the_orms_count_and_stops_where_asked(two_learners):
    def enrolments(people):
        return Enrolment.objects.filter(learner_id__in=people).order_by().values("pk")

    read = prepared(enrolments)
    first, second = two_learners
    for people in ([first.pk], [first.pk, second.pk], [10**6], []):
        assert read.count(people=people) == enrolments(people).count()
    assert read.count(people=[first.pk, second.pk], up_to=2) == 2
    assert read.count(people=[first.pk, second.pk], up_to=10) == 4
    assert read.count(people=[], up_to=2) == 0
