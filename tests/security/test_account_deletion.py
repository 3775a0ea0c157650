"""Data rights: a learner deletes their account; nothing personal is left, their team's numbers
stay (anonymously), their sessions end and no more email goes out.

The check is generic: a canary goes into the person's name and address and into every free-text
field of every row that points at them (found from the model graph, hidden relations included;
a model with no such row gets one made up), and afterwards no text field of any model in the
database contains it.
"""

import uuid

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import TextField
from django.db.models.functions import Cast
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from learners import services as learner_services
from learners.models import Invitation, Membership, Placement, User
from ledger import messaging
from progress import services
from progress.models import (
    Certificate,
    Enrolment,
    LessonCompletion,
    QuizAttempt,
    Review,
    Submission,
)
from teams import services as team_services
from tests import factories
from tests.security.urlwalk import LOGIN, classify
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

CANARY = "canary5e1d"


def _text_value(field, suffix: str = "", marker: str = CANARY):
    if isinstance(field, models.EmailField):
        return f"{marker}{suffix}@example.com"
    if isinstance(field, models.URLField):
        return f"https://example.com/{marker}{suffix}"
    if isinstance(field, models.JSONField):
        return [marker, {"note": marker}]
    limit = field.max_length or 1000
    return f"{marker}{suffix} text"[:limit]


def _made_up_row(model, user: User, values: dict | None = None, depth: int = 0):
    """A row of `model`, every required field filled in (related rows made up as needed)."""
    values = dict(values or {})
    for field in model._meta.concrete_fields:
        if field.name in values or field.primary_key or field.has_default() or field.null:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if field.is_relation:
            target = field.related_model
            if target is User:
                values[field.name] = user
            else:
                existing = target._default_manager.first()
                assert existing is not None or depth < 3, f"can't make up a {target}"
                values[field.name] = existing or _made_up_row(target, user, depth=depth + 1)
        elif field.choices:
            values[field.name] = field.choices[0][0]
        elif isinstance(field, models.CharField | models.TextField | models.JSONField):
            values[field.name] = _text_value(
                field,
                uuid.uuid4().hex[:8] if field.unique else "",
                # Rows made up only to be pointed at (a policy version) are not the person's,
                # nor are the fields declared not personal (a hash of the policy's text).
                marker=(
                    CANARY
                    if depth == 0 and learner_services.is_personal_text(model, field)
                    else "filler"
                ),
            )
        elif isinstance(field, models.BooleanField):
            values[field.name] = False
        elif isinstance(field, models.DateTimeField):
            values[field.name] = timezone.now()
        elif isinstance(field, models.DateField):
            values[field.name] = timezone.localdate()
        else:
            values[field.name] = 1
    return model._default_manager.create(**values)


def _personal_rows(user: User):
    """(model, queryset) of every row that belongs to `user`, and what cascades from them."""
    found, queue = [], []
    for relation in learner_services.relations_to_users():
        if not learner_services.belongs_to_user(relation):
            continue
        rows = relation.related_model._default_manager.filter(**{relation.field.name: user})
        if not rows.exists():
            _made_up_row(relation.related_model, user, {relation.field.name: user})
        queue.append(rows)
    seen = set()
    while queue:
        rows = queue.pop()
        model = rows.model
        pks = {pk for pk in rows.values_list("pk", flat=True) if (model, pk) not in seen}
        if not pks:
            continue
        seen |= {(model, pk) for pk in pks}
        found.append((model, model._default_manager.filter(pk__in=pks)))
        queue += [
            relation.related_model._default_manager.filter(**{f"{relation.field.name}__in": pks})
            for relation in model._meta.related_objects
            if relation.on_delete is models.CASCADE and not relation.many_to_many
        ]
    return found


def plant_canaries(user: User) -> int:
    """The canary in every personal text field of every row that belongs to `user`."""
    planted = 0
    for model, rows in _personal_rows(user):
        for field in model._meta.concrete_fields:
            if learner_services.is_personal_text(model, field):
                for pk in rows.values_list("pk", flat=True):
                    model._default_manager.filter(pk=pk).update(
                        **{field.name: _text_value(field, f"-{pk}")}
                    )
                    planted += 1
    return planted


def canary_sightings() -> list[str]:
    """Every (model, field) in the whole database whose text still contains the canary."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField):
                rows = model._default_manager.filter(**{f"{field.name}__contains": CANARY})
            elif isinstance(field, models.JSONField):
                rows = model._default_manager.annotate(
                    as_text=Cast(field.name, TextField())
                ).filter(as_text__contains=CANARY)
            else:
                continue
            if rows.exists():
                found.append(f"{model._meta.label}.{field.name}")
    return found


@pytest.fixture
def world():
    world = build_world()
    a, manager = world.a, world.users["manager"]
    # More of A's life: the manager reviewed an earlier version, A placed themself, accepted an
    # invitation and has another waiting elsewhere, an admin edited A, A got an email.
    factories.add_rubric(factories.add_assignment(world.plain_lesson))
    submission = services.submit_assignment(
        learner=a, assignment=world.plain_lesson.assignment, text="An earlier draft"
    )
    services.review_submission(
        reviewer=manager,
        submission=submission,
        outcome="needs_revision",
        feedback="About A's draft",
        points={c.pk: 1 for c in world.plain_lesson.assignment.rubric.all()},
    )
    Placement.objects.create(user=a, role=world.track.role, answers={"1": 3})
    Invitation.objects.create(
        team=world.extra["team"],
        email=a.email,
        name="Learner A",
        invited_by=manager,
        accepted_at=timezone.now(),
        accepted_by=a,
    )
    other_team = Membership.objects.get(user=world.users["other_manager"]).team
    Invitation.objects.create(team=other_team, email=a.email, name="A elsewhere")
    LogEntry.objects.create(
        user=world.users["staff"],
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(a.pk),
        object_repr=str(a),
        action_flag=CHANGE,
        change_message="[]",
    )
    return world


def _rename_everywhere(user: User, email: str, name: str) -> None:
    old = user.email
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.EmailField):
                model._default_manager.filter(**{f"{field.name}__iexact": old}).update(
                    **{field.name: email}
                )
    User.objects.filter(pk=user.pk).update(display_name=name)
    LogEntry.objects.filter(object_id=str(user.pk)).update(object_repr=name)
    user.refresh_from_db()


def test_deleting_leaves_no_personal_text_anywhere(world):
    a = world.a
    _rename_everywhere(a, f"{CANARY}@example.com", f"{CANARY} Learner")
    planted = plant_canaries(a)
    assert planted >= 20
    assert canary_sightings()  # the canary is there to be found

    learner_services.delete_account(user=a)

    assert canary_sightings() == []
    a.refresh_from_db()
    assert a.email == learner_services.anonymous_email(a)
    assert a.display_name == learner_services.ANONYMOUS_NAME
    assert not a.is_active and not a.is_staff and not a.is_superuser
    assert not a.has_usable_password()


def test_rows_that_outlive_the_account_are_kept_only_where_they_are_someone_elses():
    """Rows Django would delete with the account are the person's; rows that survive it (SET_NULL)
    are someone else's record of what the person did, unless declared to be about them."""
    kept = {
        (r.related_model._meta.label_lower, r.field.name)
        for r in learner_services.relations_to_users()
        if not r.many_to_many and not learner_services.belongs_to_user(r)
    }
    assert ("progress.review", "reviewer") in kept
    assert ("learners.invitation", "invited_by") in kept
    assert ("ledger.message", "recipient") not in kept
    assert ("learners.invitation", "accepted_by") not in kept
    for relation in learner_services.relations_to_users():
        key = (relation.related_model._meta.label_lower, relation.field.name)
        if key in kept and key not in learner_services.THEIR_ACTS:
            assert relation.on_delete is not models.CASCADE, key


def test_the_team_keeps_its_numbers_anonymously(world):
    a, manager = world.a, world.users["manager"]
    before = {
        "completions": LessonCompletion.objects.filter(learner=a).count(),
        "scores": list(QuizAttempt.objects.filter(learner=a).values_list("score", flat=True)),
        "statuses": list(Submission.objects.filter(learner=a).values_list("status", flat=True)),
        "enrolments": Enrolment.objects.filter(learner=a).count(),
        "review points": [r.total for r in Review.objects.filter(submission__learner=a)],
    }
    learner_services.delete_account(user=a)
    after = {
        "completions": LessonCompletion.objects.filter(learner=a).count(),
        "scores": list(QuizAttempt.objects.filter(learner=a).values_list("score", flat=True)),
        "statuses": list(Submission.objects.filter(learner=a).values_list("status", flat=True)),
        "enrolments": Enrolment.objects.filter(learner=a).count(),
        "review points": [r.total for r in Review.objects.filter(submission__learner=a)],
    }
    assert after == before
    assert not Certificate.objects.filter(learner=a).exists()  # a public page naming them
    client = Client()
    client.force_login(manager)
    dashboard = client.get(reverse("teams:team")).content.decode()
    assert learner_services.ANONYMOUS_NAME in dashboard
    assert "Learner A" not in dashboard and "learner.a@example.com" not in dashboard
    export = b"".join(client.get(reverse("teams:team_export")).streaming_content).decode()
    assert learner_services.ANONYMOUS_NAME in export and "learner.a@" not in export


def test_no_more_email_goes_to_a_deleted_account(world, mailoutbox):
    a, manager = world.a, world.users["manager"]
    learner_services.delete_account(user=a)
    a.refresh_from_db()
    mailoutbox.clear()
    assert not team_services.nudge_learner(manager=manager, learner=a, track=world.track)
    assert (
        messaging.send_message(
            key="after-deletion", kind="learner_digest", to_email=a.email, context={}, recipient=a
        )
        is None
    )
    assert mailoutbox == []


def test_the_delete_page_needs_the_password_and_then_ends_every_session(world):
    a = world.a
    browser, other_device = Client(), Client()
    browser.force_login(a)
    other_device.force_login(a)
    url = reverse("profile_delete")
    assert reverse("profile_delete") in browser.get(reverse("profile")).content.decode()
    assert browser.get(url).status_code == 200

    response = browser.post(url, {"password": "not my password"})
    assert response.status_code == 400
    assert "That is not your password" in response.content.decode()
    assert User.objects.get(pk=a.pk).is_active

    response = browser.post(url, {"password": factories.PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("courses:catalogue")
    assert "deleted" in browser.get(response["Location"]).content.decode()
    for client in (browser, other_device):
        assert classify(client.get(reverse("progress:me"))) == LOGIN
    login = Client().post(
        reverse("account_login"), {"login": "learner.a@example.com", "password": factories.PASSWORD}
    )
    assert login.status_code == 200  # the old credentials open nothing


def test_the_address_can_sign_up_again_as_a_new_learner(world, client):
    learner_services.delete_account(user=world.a)
    response = client.post(
        reverse("account_signup"),
        {
            "email": "learner.a@example.com",
            "display_name": "A, again",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert response.status_code == 302
    fresh = User.objects.get(email="learner.a@example.com")
    assert fresh.pk != world.a.pk
    assert not QuizAttempt.objects.filter(learner=fresh).exists()


def test_guessing_the_password_on_the_delete_page_is_rate_limited(world):
    client = Client()
    client.force_login(world.a)
    url = reverse("profile_delete")
    for _ in range(10):
        client.post(url, {"password": "guess"})
    response = client.post(url, {"password": factories.PASSWORD})  # even the right one, now
    assert response.status_code == 400
    assert "Too many attempts" in response.content.decode()
    assert User.objects.get(pk=world.a.pk).is_active
