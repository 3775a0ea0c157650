"""Moving models between apps loses nothing.

The practice-in-public models moved from `progress` to `practice` (`practice.0001`,
`progress.0010`), the governance models from `learners` to `governance` (`governance.0001`,
`learners.0008`), the message ledger from `progress` to `ledger` (`ledger.0001`,
`progress.0011`). Tallies added later count the rows already there (`progress.0016`). The test builds the database as it was before the move, fills it with the
demo organisation and some of every model, migrates forward, and compares every row of every
table, then follows the moved models' relations through today's ORM. It runs on SQLite and,
under `make test-postgres`, on PostgreSQL.
"""

import random
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from courses.models import AssignmentSample, LessonRevision, Track
from governance import holdings, policy
from governance.models import (
    BannedTerm,
    ClearanceLevel,
    LevelHolding,
    Policy,
    PolicyAcknowledgement,
    PolicyOwner,
    PolicyVersion,
)
from integrations import events as webhook_events
from integrations import xapi
from learners.models import Membership, Placement, User
from ledger import notices, outbox
from ledger.models import EmailOptOut, Message
from practice.models import (
    Evidence,
    GrowthProfile,
    GrowthSnapshot,
    Portfolio,
    PostReview,
    PracticePost,
)
from progress import item_analysis, tallies
from progress import services as progress_services
from progress.models import Certificate, QuizTally, RetrievalAnswer, SharedLearning
from tests import factories
from tests.progress.item_analysis_helpers import (
    a_drawn_quiz,
    answer_through_the_service,
    assert_same_figures,
    from_the_tallies,
    straight_from_the_attempts,
)
from tests.security.world import build_world

BEFORE_THE_MOVE = [
    ("progress", "0009_quiz_statistics_proxy"),
    ("practice", None),
    ("ledger", None),
    ("learners", "0007_social_media_policy_and_clearance"),
    ("governance", None),
]
# model → the app it moved from
MOVED = {
    **dict.fromkeys(
        [PracticePost, PostReview, Evidence, GrowthProfile, GrowthSnapshot, Portfolio], "progress"
    ),
    **dict.fromkeys(
        [BannedTerm, PolicyOwner, Policy, PolicyVersion, PolicyAcknowledgement, ClearanceLevel],
        "learners",
    ),
    **dict.fromkeys([Message, EmailOptOut], "progress"),
}
# Tables a migration is expected to change: its own bookkeeping and the content types' labels.
BOOKKEEPING = {"django_migrations", "django_content_type"}
# Every table of these apps holds rows before the move (the others are allauth's and Django's).
OURS = ("courses_", "learners_", "progress_", "teams_", "notifications_", "django_admin_log")


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    ContentType.objects.clear_cache()


def _lend_unread_column(change: str, table: str = "learners_user") -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} {change}")


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _every_row() -> dict[str, list[tuple]]:
    tables = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            # Columns by name, in a fixed order: a migration may rebuild a table (SQLite's
            # ALTER) and put a column elsewhere without changing a value.
            columns = sorted(
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
            )
            names = ", ".join(connection.ops.quote_name(column) for column in columns)
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT {names} FROM {quoted}")  # noqa: S608 - names from introspection
            tables[table] = sorted(cursor.fetchall(), key=repr)
    return tables


def _fill(tmp_path, settings) -> None:
    """The demo organisation with its activity, and rows of every practice model."""
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--password", "demo-pass-123")
    for slug in ("newcomer", "strategy-lead", "executive"):
        track = factories.make_track(slug=slug, role_slug=slug, modules=1, lessons_per_module=3)
        factories.add_rubric(factories.add_assignment(track.lessons.order_by("position").last()))
    call_command("seed_demo_activity")
    world = build_world()
    post = world.extra["post"]
    PostReview.objects.create(
        post=post,
        reviewer=world.users["manager"],
        outcome=PostReview.Outcome.CHANGES_REQUESTED,
        comment="Say who the client is.",
        network_reviewed=post.network,
        text_reviewed=post.text,
    )
    profile = world.extra["growth_profile"]
    today = timezone.localdate()
    for days_ago, followers in ((14, 480), (7, 502), (0, 530)):
        GrowthSnapshot.objects.create(
            profile=profile,
            learner=profile.learner,
            taken_on=today - timedelta(days=days_ago),
            followers=followers,
        )
    Evidence.objects.create(
        learner=world.a,
        url="https://example.com/a-second-post",
        network="linkedin",
        published_on=today,
        post=post,
        assignment=world.lesson.assignment,
    )
    _fill_the_rest(world)


def _fill_the_rest(world) -> None:
    """A row in each table the demo and the security world leave empty."""
    a, manager, staff = world.a, world.users["manager"], world.users["staff"]
    assignment = world.lesson.assignment
    AssignmentSample.objects.create(
        assignment=assignment, level="borderline", submission="A draft", scores={}, why="Thin."
    )
    organisation = world.extra["team"].organisation
    BannedTerm.objects.create(organisation=organisation, term="guaranteed", reason="Claims")
    level = ClearanceLevel.objects.first()
    level.tracks.add(world.track)
    version = PolicyVersion.objects.exclude(published_at=None).first()
    # A version promoted from a practice submission (a plain id before governance.0002).
    PolicyVersion.objects.filter(pk=version.pk).update(source_submission_id=world.submission.pk)
    sean = User.objects.get(email="sean@example.com")
    policy.acknowledge(user=sean, version=version, text_sha256=version.text_sha256)
    placement = Placement.objects.create(user=a, role=world.track.role, answers={})
    placement.skim_modules.add(world.lesson.module)
    progress_services.grant_extra_attempt(granted_by=manager, learner=a, quiz=world.attempt.quiz)
    RetrievalAnswer.objects.create(
        learner=a, question=world.attempt.quiz.questions.first(), token="t" * 40, correct=True
    )
    progress_services.review_submission(
        reviewer=manager,
        submission=world.submission,
        outcome="approved",
        feedback="Clear and safe.",
        points={c.pk: c.points for c in assignment.rubric.all()},
    )
    group = Group.objects.get(name="Editors")
    group.permissions.add(Permission.objects.first())
    staff.groups.add(group)
    LessonRevision.objects.create(
        lesson=world.lesson, text='+++\ntitle = "Draft"\n+++\n', created_by=staff
    )


@pytest.mark.django_db(transaction=True)
def test_moving_the_practice_models_keeps_every_row_and_relation(tmp_path, settings, monkeypatch):
    latest = _latest()
    _migrate(BEFORE_THE_MOVE)
    try:
        # The stored clearance holdings arrive later (governance 0003, which fills them from
        # the records: checked below), so today's code can't write them into the old schema.
        monkeypatch.setattr(holdings, "refresh_holdings", lambda **kwargs: None)
        # Likewise the in-app notices and the outbox (ledger 0002, 0003) and the user's unread
        # count (learners 0011): the column is lent to the old table while today's code fills it.
        monkeypatch.setattr(notices, "record", lambda events: None)
        monkeypatch.setattr(outbox, "announce", lambda kind, object_id: None)
        # And the webhooks (integrations 0001), which look up the person's organisations with
        # the provisioned people (provisioning 0001): no endpoint exists in the old schema.
        monkeypatch.setattr(webhook_events, "organisations_of", lambda person: [])
        # And the xAPI statements (integrations 0003), whose stores don't exist there yet.
        monkeypatch.setattr(xapi, "emit", lambda **kwargs: [])
        # And the quiz statistics' tallies (progress 0016, which counts these attempts).
        monkeypatch.setattr(item_analysis, "count_attempt", lambda attempt: None)
        _lend_unread_column("ADD COLUMN unread_notices integer NOT NULL DEFAULT 0")
        # And the organisation's two-step sign-in setting (learners 0012), read with every
        # signed-in user (learners.backends).
        _lend_unread_column(
            "ADD COLUMN password_accounts_need_second_factor boolean NOT NULL DEFAULT false",
            table="learners_organisation",
        )
        # And certificates' revocation (progress 0012), which renewal and clearance read.
        moment = "timestamp with time zone" if connection.vendor == "postgresql" else "datetime"
        _lend_unread_column(f"ADD COLUMN revoked_at {moment} NULL", table="progress_certificate")
        _lend_unread_column(
            "ADD COLUMN revoked_reason varchar(200) NOT NULL DEFAULT ''",
            table="progress_certificate",
        )
        _fill(tmp_path, settings)
        monkeypatch.undo()
        # Sean acknowledged the demo's policy: with the levels' certificates he holds them, for
        # the migration to store.
        sean = User.objects.get(email="sean@example.com")
        for track in Track.objects.filter(clearance_levels__isnull=False).distinct():
            Certificate.objects.get_or_create(
                learner=sean,
                track=track,
                defaults={"learner_name": sean.name, "track_title": track.title},
            )
        # Before the move the content types carry the old label (today's code, filling the
        # old tables, may have made new-label ones, which the old code never would).
        ContentType.objects.filter(app_label__in=["practice", "governance", "ledger"]).delete()
        old_types = {
            model._meta.model_name: ContentType.objects.get_or_create(
                app_label=source, model=model._meta.model_name
            )[0]
            for model, source in MOVED.items()
        }
        view_post = Permission.objects.create(
            codename="view_practicepost_test",
            name="Can view practice post (test)",
            content_type=old_types["practicepost"],
        )
        editor = User.objects.get(email="manager@example.com")
        editor.user_permissions.add(view_post)
        history = LogEntry.objects.create(
            user=User.objects.get(email="staff@example.com"),
            content_type=old_types["practicepost"],
            object_id=str(PracticePost.objects.first().pk),
            object_repr="A's practice post",
            action_flag=CHANGE,
        )
        before = _every_row()
        for model in MOVED:
            assert before[model._meta.db_table], f"nothing in {model._meta.db_table} to move"
        empty = sorted(t for t, rows in before.items() if not rows and t.startswith(OURS))
        assert not empty, " ".join(empty)

        _lend_unread_column("DROP COLUMN unread_notices")
        _lend_unread_column(
            "DROP COLUMN password_accounts_need_second_factor", table="learners_organisation"
        )
        _lend_unread_column("DROP COLUMN revoked_at", table="progress_certificate")
        _lend_unread_column("DROP COLUMN revoked_reason", table="progress_certificate")
        _migrate(latest)
        after = _every_row()
    finally:
        _migrate(latest)

    filled = sorted(LevelHolding.objects.values_list("level_id", "user_id", "acknowledged_number"))
    holdings.refresh_holdings()
    assert filled, "someone holds a level: the migration should have stored it"
    assert filled == sorted(
        LevelHolding.objects.values_list("level_id", "user_id", "acknowledged_number")
    )

    for table in before.keys() - BOOKKEEPING:
        assert after[table] == before[table], f"{table} changed"
    # The moved models' content types kept their ids (so permissions and the admin's history
    # stay attached), under the new label.
    for model, source in MOVED.items():
        moved = ContentType.objects.get_for_model(model)
        target = model._meta.app_label
        assert (moved.app_label, moved.pk) == (target, old_types[model._meta.model_name].pk)
        assert not ContentType.objects.filter(app_label=source, model=moved.model).exists()
    assert Permission.objects.get(pk=view_post.pk).content_type.app_label == "practice"
    editor = User.objects.get(email="manager@example.com")
    assert editor.has_perm("practice.view_practicepost_test")
    assert LogEntry.objects.get(pk=history.pk).get_edited_object().text == "A's practice post"
    # Today's ORM follows every relation the rows had.
    for review in PostReview.objects.select_related("post__learner", "reviewer"):
        assert review.post.learner.email == "learner.a@example.com"
        assert review.reviewer.email == "manager@example.com"
    snapshots = GrowthSnapshot.objects.select_related("profile")
    assert [s.profile.handle for s in snapshots] == ["learner-a"] * 3
    linked = Evidence.objects.get(url="https://example.com/a-second-post")
    assert linked.post.text == "A's practice post"
    assert linked.assignment.lesson.title
    assert Portfolio.objects.get(handle="learner-a").learner.posts_to_review.count() == 0
    assert PracticePost.objects.get(text="A's practice post").reviews.count() == 1
    acknowledgement = PolicyAcknowledgement.objects.select_related("version__policy").get()
    assert acknowledgement.user.email == "sean@example.com"
    assert acknowledgement.text_sha256 == acknowledgement.version.text_sha256
    promoted = PolicyVersion.objects.exclude(source_submission=None).get()
    assert promoted.source_submission.learner.email == "learner.a@example.com"
    organisation = acknowledgement.version.policy.organisation
    assert organisation.policy_owners.get().user.email == "carrie@example.com"
    level = ClearanceLevel.objects.filter(organisation=organisation).order_by("pk").first()
    assert {track.slug for track in level.tracks.all()} >= {"secure-track"}
    assert BannedTerm.objects.get(term="guaranteed").organisation.banned_terms.count() == 1
    nudge = Message.objects.filter(kind="manager_nudge").select_related("recipient").get()
    assert nudge.recipient.email == "learner.a@example.com"
    assert EmailOptOut.objects.filter(email="learner.a@example.com").exists()


# The triggers progress 0013 installed, as far as SQLite's DROP COLUMN looks: one names
# TeamHeadcount.shared_people, which 0014 removes.
_TRIGGER_OF_0013 = {
    "sqlite": [
        "CREATE TRIGGER progress_tally_membership_insert AFTER INSERT ON learners_membership"
        " FOR EACH ROW WHEN NEW.role = 'learner' BEGIN UPDATE progress_teamheadcount"
        " SET shared_people = shared_people + 1 WHERE team_id = NEW.team_id; END"
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION progress_tally_membership_insert() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN UPDATE progress_teamheadcount"
        " SET shared_people = shared_people + 1 WHERE team_id = NEW.team_id; RETURN NEW; END $$",
        "CREATE TRIGGER progress_tally_membership_insert BEFORE INSERT ON learners_membership"
        " FOR EACH ROW WHEN (NEW.role = 'learner')"
        " EXECUTE FUNCTION progress_tally_membership_insert()",
    ],
}


@pytest.mark.django_db(transaction=True)
def test_a_database_with_0013_s_triggers_moves_to_the_shared_learning_tallies():
    """An existing database has the triggers 0013 installed; 0014 drops the column one of them
    writes and must leave today's triggers working (SQLite refuses the drop otherwise)."""
    latest = _latest()
    _migrate([("progress", "0013_team_tallies")])
    try:
        with connection.cursor() as cursor:
            for statement in _TRIGGER_OF_0013[connection.vendor]:
                cursor.execute(statement)
        _migrate(latest)
    finally:
        _migrate(latest)
    person = factories.UserFactory()
    teams = [factories.team_with() for _ in range(2)]
    for team in teams:
        Membership.objects.create(user=person, team=team, role="learner")
    assert SharedLearning.objects.filter(user_id=person.pk).count() == 2
    assert tallies.rebuild() == 0


@pytest.mark.django_db(transaction=True)
def test_the_quiz_tallies_count_the_attempts_recorded_before_them():
    """0016 adds the quiz statistics' tallies and counts the attempts already recorded."""
    rng = random.Random(3)
    quiz = a_drawn_quiz()
    for _ in range(6):
        learner, skill = factories.UserFactory(), rng.random()
        for _ in range(rng.choice([1, 2])):
            answer_through_the_service(quiz, learner, rng, skill)
    expected = straight_from_the_attempts(quiz)
    latest = _latest()
    _migrate([("progress", "0015_quiz_attempt_quiz_number_index")])
    _migrate(latest)
    assert QuizTally.objects.filter(quiz=quiz).exists()
    assert_same_figures(from_the_tallies(quiz), expected)
    assert item_analysis.recount() == 0
