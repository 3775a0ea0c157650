"""CSRF on every URL, and forms that ignore the fields a tampered POST adds."""

import pytest
from django.test import Client
from django.urls import reverse

from learners.models import Invitation, User
from ledger.models import EmailOptOut
from progress.models import QuizAttempt, Review, Submission
from tests.progress.helpers import answers_for, attempt_token, quiz_url
from tests.security import urlwalk
from tests.security.helpers import field_name, form_data
from tests.security.test_authorization_matrix import MATRIX, post_data
from tests.security.world import ROLES, build_world

pytestmark = pytest.mark.django_db

# One-click unsubscribe (RFC 8058): mail clients POST without a session or a token. The signed
# link is the credential and the only thing it can do is stop emails to its address.
# SCIM (provisioning/views.py) authenticates by bearer token only, never by a cookie, so a
# forged cross-site form carries nothing it would accept. SAML's assertion consumer and logout
# services (allauth) are posted to from the identity provider's pages, cross-site by design:
# the signed response and the sign-in state it must answer are the credential. LTI's login
# initiation and launch (lti/views.py) are likewise sent by the LMS's pages: the launch's
# id_token signed by the platform, the state cookie set at login in this browser and the
# single-use nonce are the credential; login initiation only starts that and changes nothing.
# (The deep linking choice that follows is an ordinary form of ours and keeps its token.)
# The reporting API (api/) is the same: a bearer token, never a session, and read only (every
# POST is a 401 or a 405 whatever the cookies; tests/security/test_authorization_matrix.py).
CSRF_EXEMPT_BY_DESIGN = {
    "ledger:unsubscribe", "scim:root", "scim:endpoint", "saml_acs", "saml_sls", "lti:login",
    "lti:launch",
    *(name for name in MATRIX if name.startswith("api:")),
}  # fmt: skip


@pytest.fixture
def world():
    return build_world()


def test_every_post_without_a_csrf_token_is_refused(world):
    routes = urlwalk.all_routes()
    clients = {}
    for role in ROLES:
        clients[role] = Client(enforce_csrf_checks=True, raise_request_exception=False)
        if role != "anonymous":
            clients[role].force_login(world.users[role])
    accepted, checked = [], 0
    for key in sorted(MATRIX):
        if key in CSRF_EXEMPT_BY_DESIGN:
            continue
        url = urlwalk.url_for(routes[key], world)
        for role in ROLES:
            response = clients[role].post(url, post_data(key, world))
            checked += 1
            if response.status_code != 403 or b"CSRF" not in response.content:
                accepted.append(f"{key} as {role}: {response.status_code}")
    assert accepted == []
    assert checked == (len(MATRIX) - len(CSRF_EXEMPT_BY_DESIGN)) * len(ROLES)


def test_the_one_click_unsubscribe_works_without_a_token(world):
    url = urlwalk.url_for(urlwalk.all_routes()["ledger:unsubscribe"], world)
    response = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert EmailOptOut.objects.filter(email=world.a.email, kind="manager_nudge").exists()


def test_a_post_with_the_token_goes_through(world):
    """The refusals above are CSRF's doing: the same POST with the token works."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.a)
    page = client.get(reverse("profile")).content.decode()
    data = form_data(page, containing="display_name")
    data[field_name(data, "display_name")] = ["Learner A, again"]
    assert client.post(reverse("profile"), data).status_code == 302
    world.a.refresh_from_db()
    assert world.a.display_name == "Learner A, again"


# -- extra fields in POSTs are ignored ----------------------------------------------------------


def tampered(data: dict, world) -> dict:
    """`data` plus the fields an attacker would add to take over someone else's record."""
    b, staff = world.users["learner_b"], world.users["staff"]
    return {
        **data,
        "user": b.pk,
        "learner": b.pk,
        "learner_id": b.pk,
        "score": 100,
        "status": Submission.Status.APPROVED,
        "reviewer": staff.pk,
        "passed": "true",
        "version": 99,
        "is_staff": "on",
        "is_superuser": "on",
        "email": "attacker@example.com",
        "invited_by": staff.pk,
    }


def test_quiz_ignores_extra_fields(client, world):
    client.force_login(world.a)
    data = {"attempt_token": attempt_token(client, world.lesson)}
    data.update(answers_for(world.lesson.quiz, correct=False))
    response = client.post(quiz_url(world.lesson), tampered(data, world))
    assert response.status_code == 302
    attempt = QuizAttempt.objects.exclude(pk=world.attempt.pk).get()
    assert (attempt.learner, attempt.score, attempt.passed) == (world.a, 0, False)


def test_submission_ignores_extra_fields(client, world):
    learner = world.users["learner_b"]
    client.force_login(learner)
    url = reverse("progress:assignment", args=[world.track.slug, world.lesson.slug])
    response = client.post(url, tampered({"text": "My work", "submit": "1"}, world))
    assert response.status_code == 302
    submission = Submission.objects.get(learner=learner)
    assert (submission.version, submission.status) == (1, Submission.Status.AWAITING_REVIEW)
    assert not Submission.objects.filter(learner=world.users["learner_b"], version=99).exists()


def test_review_ignores_extra_fields(client, world):
    manager = world.users["manager"]
    client.force_login(manager)
    data = {"outcome": "needs_revision", "feedback": "Warmer, please."}
    criteria = list(world.lesson.assignment.rubric.all())
    data.update({f"criterion_{c.pk}": 1 for c in criteria})
    response = client.post(world.submission.get_absolute_url(), tampered(data, world))
    assert response.status_code == 302
    review = Review.objects.get(submission=world.submission)
    world.submission.refresh_from_db()
    assert review.reviewer == manager
    assert review.total == len(criteria)
    assert world.submission.status == Submission.Status.NEEDS_REVISION
    assert world.submission.learner == world.a


def test_profile_ignores_extra_fields(client, world):
    client.force_login(world.a)
    data = form_data(client.get(reverse("profile")).content.decode(), containing="display_name")
    data[field_name(data, "display_name")] = ["Still A"]
    response = client.post(reverse("profile"), tampered(data, world))
    assert response.status_code == 302
    a = User.objects.get(pk=world.a.pk)
    assert (a.display_name, a.email, a.is_staff, a.is_superuser) == (
        "Still A",
        "learner.a@example.com",
        False,
        False,
    )


def test_invitation_form_ignores_extra_fields(client, world):
    manager = world.users["manager"]
    client.force_login(manager)
    data = {"team": world.extra["team"].pk, "emails": "fresh@example.com,Fresh"}
    response = client.post(reverse("teams:team_invitations"), tampered(data, world))
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="fresh@example.com")
    assert invitation.invited_by == manager
    assert invitation.team == world.extra["team"]
