"""xAPI statements (issue 25, item 4) against a real learning record store: ralph
(ralph-malph) with its file backend, from its own virtual environment (scripts/ralph-lrs),
started on a loopback port with HTTP Basic credentials made by `ralph auth`. Each statement of
a learner's journey is read back from ralph by its id; a retry never duplicates one; a
malformed one is refused and not retried; other organisations' and inactive stores hear
nothing; a real Celery worker on Redis sends after commit and retries until the store is up."""

import json
import os
import subprocess
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.urls import reverse

from integrations import outbox, xapi
from integrations.models import LearningRecordStore, StatementDelivery, XapiAccount
from learners.models import Membership, Organisation
from progress import services, signals
from progress.models import Certificate
from tests import factories
from tests.integrations.test_webhooks import learner_in
from tests.notifications.test_celery import on_redis, worker  # noqa: F401 (fixtures)
from tests.polling import wait_for
from tests.provisioning.servers import free_port, serving

ROOT = Path(__file__).resolve().parents[2]
KEY, SECRET = "socialcraft", "lrs-secret-for-tests"


@pytest.fixture(scope="session")
def ralph_command() -> str:
    """ralph's own environment, built from requirements/ralph.txt on first use (CI too): a
    registry that can't be reached fails here, loudly."""
    built = subprocess.run(  # noqa: S603 (our own script)
        [str(ROOT / "scripts" / "ralph-lrs")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, f"scripts/ralph-lrs failed:\n{built.stderr[-3000:]}"
    return built.stdout.strip()


class Ralph:
    """ralph's LRS on a loopback port, its statements in `folder`; `start()` and `stop()` as a
    test needs (the port is chosen at once, so a store can point at it before it runs)."""

    def __init__(self, command: str, folder: Path):
        self.command, self.folder = command, folder
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}/xAPI/"
        self.env = {
            **os.environ,
            "RALPH_APP_DIR": str(folder / "app"),
            "RALPH_AUTH_FILE": str(folder / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            # ralph 5.1's file backend stores one request per file: see this folder's
            # sitecustomize.py, which makes it append.
            "PYTHONPATH": str(Path(__file__).parent / "ralph_site"),
        }
        # ralph's own Basic credentials file, written by its CLI (the agent is the authority
        # it stamps on what it stores).
        subprocess.run(  # noqa: S603 (the ralph the fixture built)
            [command, "auth", "-u", KEY, "-p", SECRET, "-s", "all",
             "-A", "socialcraft", "http://lrs.test", "-w"],
            env=self.env, check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        self._running = ExitStack()

    def start(self) -> None:
        self._running.enter_context(
            serving(
                [self.command, "runserver", "--backend", "fs",
                 "--fs-default-directory-path", str(self.folder / "statements"),
                 "--host", "127.0.0.1", "--port", str(self.port)],
                ready_url=f"http://127.0.0.1:{self.port}/__heartbeat__",
                log_path=self.folder / "ralph.log",
                cwd=self.folder,  # runserver reloads on .py changes below its directory
                env=self.env,
            )
        )  # fmt: skip

    def stop(self) -> None:
        self._running.close()

    def get(self, statement_id) -> list[dict]:
        """The statements ralph holds under this id (by id: its file backend can't filter by
        verb)."""
        response = requests.get(
            self.endpoint + "statements",
            params={"statementId": str(statement_id)},
            auth=(KEY, SECRET),
            headers={"X-Experience-API-Version": "1.0.3"},
            timeout=10,
        )
        if response.status_code == 404:
            return []
        response.raise_for_status()
        found = response.json()
        return found.get("statements", [found] if "id" in found else [])

    def stored_lines(self) -> list[dict]:
        """Every statement ralph wrote, as its file holds them."""
        return [
            json.loads(line)
            for path in (self.folder / "statements").glob("*")
            for line in path.read_text().splitlines()
            if line.strip()
        ]


@pytest.fixture
def ralph(ralph_command, tmp_path):
    lrs = Ralph(ralph_command, tmp_path)
    lrs.start()
    yield lrs
    lrs.stop()


def store_for(organisation, lrs: Ralph, name="Acme LRS", **extra) -> LearningRecordStore:
    return LearningRecordStore.objects.create(
        organisation=organisation, name=name, endpoint=lrs.endpoint, key=KEY, secret=SECRET,
        **extra,
    )  # fmt: skip


def read_one_lesson(learner, slug: str) -> None:
    """One lesson of a two-lesson track read: one statement (experienced), nothing finished."""
    track = factories.make_track(modules=1, lessons_per_module=2, slug=slug)
    services.record_lesson_completion(learner=learner, lesson=track.lessons.first())


def journey(learner) -> Certificate:
    """Read a lesson, fail the quiz then pass it, submit the practice work (approved by a
    manager), which finishes the track: the certificate."""
    track = factories.make_track(modules=1, lessons_per_module=3, slug=f"journey-{learner.pk}")
    reading, quizzed, practice = track.lessons.order_by("position")
    quiz = factories.add_quiz(quizzed)
    assignment = factories.add_rubric(factories.add_assignment(practice))
    question = quiz.questions.get()
    right, wrong = question.choices.order_by("-is_correct")

    services.record_lesson_completion(learner=learner, lesson=reading)
    for choice in (wrong, right):
        token = services.new_attempt_token(learner=learner, quiz=quiz)
        services.submit_quiz_attempt(
            learner=learner, quiz=quiz, token=token, answers={str(question.pk): [str(choice.pk)]}
        )
    services.record_lesson_completion(learner=learner, lesson=practice)
    submission = services.submit_assignment(learner=learner, assignment=assignment, text="Plan.")
    manager = factories.UserFactory(email=f"max{learner.pk}@acme.example")
    Membership.objects.create(user=manager, team=learner.memberships.get().team, role="manager")
    services.review_submission(
        reviewer=manager, submission=submission, outcome="approved", feedback="Good.",
        points={criterion.pk: criterion.points for criterion in assignment.rubric.all()},
    )  # fmt: skip
    return Certificate.objects.get(learner=learner, track=track)


# The statements of one journey, in the order they happen: 10.
JOURNEY = [
    "experienced",  # the first lesson read
    "answered", "failed",  # the quiz's one question, then the quiz failed (0 of 1)
    "answered", "passed", "experienced",  # ... then passed, which completes its lesson
    "experienced",  # the practice lesson read
    "attempted",  # the practice work submitted
    "completed", "earned",  # approved: the track completed, its certificate earned
]  # fmt: skip


@pytest.mark.django_db
def test_a_learners_journey_reaches_the_store_once_each_without_their_email_or_name(
    ralph, django_capture_on_commit_callbacks
):
    learner = learner_in("acme")
    learner.display_name = "Seanna Quigley"
    learner.save()
    store = store_for(Organisation.objects.get(slug="acme"), ralph)
    with django_capture_on_commit_callbacks(execute=True):
        certificate = journey(learner)

    sent = list(StatementDelivery.objects.order_by("pk"))
    assert [row.verb for row in sent] == JOURNEY
    assert {row.state for row in sent} == {"delivered"}
    assert {row.store_id for row in sent} == {store.pk}
    account = str(XapiAccount.objects.get(user=learner).name)
    registration = xapi.registration(learner_id=learner.pk, track_id=certificate.track_id)
    for row in sent:
        [stored] = ralph.get(row.statement_id)  # each once
        assert stored["verb"]["id"] == xapi.VERBS[row.verb]
        assert stored["actor"] == {
            "objectType": "Agent",
            "account": {"homePage": settings.SITE_URL.rstrip("/"), "name": account},
        }
        assert stored["context"]["registration"] == registration
        assert stored["context"]["platform"] == "Socialcraft"
        assert stored["timestamp"].startswith(row.occurred_at.date().isoformat())
        text = json.dumps(stored)
        assert learner.email not in text and "Seanna" not in text and "Quigley" not in text
    assert len(ralph.stored_lines()) == len(JOURNEY)

    by_verb = {row.verb: row for row in sent}
    failed, passed = (
        ralph.get(by_verb["failed"].statement_id)[0],
        ralph.get(by_verb["passed"].statement_id)[0],
    )
    assert failed["result"] == {
        "score": {"scaled": 0.0, "raw": 0, "min": 0, "max": 1}, "success": False,
        "completion": True,
    }  # fmt: skip
    assert passed["result"]["score"]["scaled"] == 1.0 and passed["result"]["success"] is True
    assert passed["object"]["definition"]["type"] == xapi.ASSESSMENT
    assert passed["context"]["contextActivities"]["parent"][0]["id"].endswith(
        f"/tracks/{certificate.track.slug}/"
    )
    earned = ralph.get(by_verb["earned"].statement_id)[0]
    assert earned["object"]["id"].endswith(f"/certificates/{certificate.code}/")
    assert earned["verb"]["id"] == "http://id.tincanapi.com/verb/earned"

    # The same event heard again (a signal sent twice) writes nothing and sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        signals.certificate_issued.send(sender=Certificate, certificate=certificate)
    assert StatementDelivery.objects.count() == len(JOURNEY)
    assert len(ralph.stored_lines()) == len(JOURNEY)


@pytest.mark.django_db
def test_the_same_statement_sent_again_is_kept_once_by_the_store(ralph):
    learner = learner_in("acme")
    store_for(Organisation.objects.get(slug="acme"), ralph)
    read_one_lesson(learner, "again")  # no commit
    row = StatementDelivery.objects.get(verb="experienced")
    assert xapi.attempt(row.pk).state == "delivered"
    # Sent again (the admin's "send again now", or a worker that died before recording it):
    # the same id, and ralph still holds one.
    StatementDelivery.objects.filter(pk=row.pk).update(state="pending")
    again = xapi.attempt(row.pk)
    assert (again.state, again.last_status, again.attempts) == ("delivered", 204, 2)
    assert len(ralph.get(row.statement_id)) == 1 and len(ralph.stored_lines()) == 1
    # A different statement under the same id: the store answers 409 and keeps its copy; the
    # id is taken, so this counts as delivered (nothing to retry).
    changed = StatementDelivery.objects.get(pk=row.pk)
    changed.statement["verb"]["display"] = {"en-US": "read"}
    changed.state = "pending"
    changed.save()
    conflict = xapi.attempt(row.pk)
    assert (conflict.state, conflict.last_status) == ("delivered", 409)
    assert "already exists" in conflict.last_error
    assert len(ralph.stored_lines()) == 1


@pytest.mark.django_db
def test_a_malformed_statement_is_refused_recorded_as_failed_and_not_retried(ralph):
    learner = learner_in("acme")
    store_for(Organisation.objects.get(slug="acme"), ralph)
    read_one_lesson(learner, "malformed")
    row = StatementDelivery.objects.get()
    del row.statement["verb"]
    row.save()

    done = xapi.attempt(row.pk)
    assert (done.state, done.last_status, done.attempts) == ("failed", 422, 1)
    assert "verb" in done.last_error  # the store's own words
    assert xapi.due(now=done.next_attempt_at + outbox.RETRY_AFTER[-1]) == []  # never again
    assert ralph.get(row.statement_id) == []


@pytest.mark.django_db
def test_wrong_credentials_are_refused_for_good_a_store_that_is_down_is_tried_again(
    ralph_command, tmp_path
):
    lrs = Ralph(ralph_command, tmp_path)  # not started yet
    learner = learner_in("acme")
    store = store_for(Organisation.objects.get(slug="acme"), lrs)
    read_one_lesson(learner, "down")
    row = StatementDelivery.objects.get()

    down = xapi.attempt(row.pk)
    assert (down.state, down.attempts) == ("pending", 1) and "ConnectionError" in down.last_error
    lrs.start()
    try:
        store.secret = "not-the-secret"
        store.save()
        refused = xapi.attempt(row.pk, now=down.next_attempt_at)
        assert (refused.state, refused.last_status) == ("failed", 401)
    finally:
        lrs.stop()


@pytest.mark.django_db
def test_other_organisations_and_inactive_stores_get_nothing(
    ralph, django_capture_on_commit_callbacks
):
    learner = learner_in("acme")
    acme = Organisation.objects.get(slug="acme")
    globex = Organisation.objects.create(name="Globex", slug="globex")
    store_for(globex, ralph, name="Globex LRS")
    store_for(acme, ralph, name="Switched off", active=False)
    outsider = learner_in("initech")  # learns in another organisation, with no store
    with django_capture_on_commit_callbacks(execute=True):
        journey(learner)
        read_one_lesson(outsider, "elsewhere")
    assert not StatementDelivery.objects.exists()
    assert ralph.stored_lines() == []
    assert not XapiAccount.objects.exists()  # no store, no account made up


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_after_commit_and_retries_until_the_store_is_up(
    worker,  # noqa: F811
    ralph_command,
    tmp_path,
):
    lrs = Ralph(ralph_command, tmp_path)  # down when the statement is first sent
    learner = learner_in("acme")
    store_for(Organisation.objects.get(slug="acme"), lrs)
    read_one_lesson(learner, "worker")  # commits
    row = StatementDelivery.objects.get()
    assert wait_for(lambda: StatementDelivery.objects.get().attempts >= 1, timeout=30)
    first = StatementDelivery.objects.get()
    assert first.state == "pending" and "ConnectionError" in first.last_error
    lrs.start()  # the retry, 5 seconds later, finds it up
    try:
        assert wait_for(lambda: StatementDelivery.objects.get().state == "delivered", timeout=40)
        assert StatementDelivery.objects.get().attempts == 2
        [stored] = lrs.get(row.statement_id)
        assert stored["verb"]["id"] == xapi.VERBS["experienced"]
        assert len(lrs.stored_lines()) == 1
    finally:
        lrs.stop()


@pytest.mark.django_db
def test_staff_set_up_a_store_whose_secret_is_never_shown_back_and_resend_from_the_log(
    client, staff_user, ralph
):
    acme = Organisation.objects.create(name="Acme", slug="acme")
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:integrations_learningrecordstore_add"),
        {"organisation": acme.pk, "name": "Acme LRS", "endpoint": ralph.endpoint, "key": KEY,
         "secret": SECRET, "active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    store = LearningRecordStore.objects.get()
    assert (store.secret, store.created_by) == (SECRET, staff_user)
    for page in (
        reverse("admin:integrations_learningrecordstore_changelist"),
        reverse("admin:integrations_learningrecordstore_change", args=[store.pk]),
    ):
        assert SECRET not in client.get(page).content.decode()
    # Changed without typing the secret again: it stays.
    client.post(
        reverse("admin:integrations_learningrecordstore_change", args=[store.pk]),
        {"organisation": acme.pk, "name": "Acme's LRS", "endpoint": ralph.endpoint, "key": KEY,
         "secret": "", "active": "on"},
    )  # fmt: skip
    store.refresh_from_db()
    assert (store.name, store.secret) == ("Acme's LRS", SECRET)

    # A statement refused for good (a wrong secret then) is sent again from the log once fixed.
    learner = learner_in("acme")
    LearningRecordStore.objects.filter(pk=store.pk).update(secret="wrong")
    read_one_lesson(learner, "resend")
    row = StatementDelivery.objects.get()
    assert xapi.attempt(row.pk).state == "failed"
    LearningRecordStore.objects.filter(pk=store.pk).update(secret=SECRET)
    client.post(
        reverse("admin:integrations_statementdelivery_changelist"),
        {"action": "send_again_now", "_selected_action": [row.pk]},
    )
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("delivered", 2)
    assert len(ralph.get(row.statement_id)) == 1
