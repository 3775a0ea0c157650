"""The log itself: append-only, kept for the retention period, forgotten with a deleted
account, and shown to each organisation's policy owner (their entries only) and to staff."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from audit import services as audit
from audit import tasks
from audit.admin import AuditEntryAdmin
from audit.models import AuditEntry
from governance.models import PolicyOwner
from learners import services as learner_services
from learners.models import Membership, Organisation, Team
from tests import factories

pytestmark = pytest.mark.django_db

Kind = AuditEntry.Kind
LOG, EXPORT = reverse("audit:log"), reverse("audit:export")


def organisation_with_owner(slug: str):
    """An organisation, its policy owner and a learner in one of its teams."""
    organisation = Organisation.objects.create(name=slug.capitalize(), slug=slug)
    team = Team.objects.create(organisation=organisation, name=f"{slug} team")
    owner = factories.UserFactory(email=f"owner@{slug}.example")
    learner = factories.UserFactory(email=f"learner@{slug}.example", display_name=f"{slug} L")
    Membership.objects.create(user=learner, team=team, role="learner")
    PolicyOwner.objects.create(user=owner, organisation=organisation)
    return organisation, owner, learner


@pytest.fixture
def two_organisations():
    return organisation_with_owner("acme"), organisation_with_owner("globex")


def csv_rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


# -- append-only ------------------------------------------------------------------------------


def test_an_entry_cannot_be_changed_or_deleted_by_the_application(two_organisations):
    (_, _, learner), _ = two_organisations
    (entry,) = audit.record(kind=Kind.SIGN_IN, actor=learner, subject=learner)
    entry.target = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
    entry.refresh_from_db()
    assert entry.target == ""


def test_the_admin_only_views_entries():
    staff = factories.UserFactory(is_staff=True, is_superuser=True)
    request = RequestFactory().get("/")
    request.user = staff
    model_admin = AuditEntryAdmin(AuditEntry, admin.site)
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.get_actions(request) == {}


def test_staff_read_the_log_in_the_admin_and_cannot_change_it(admin_client, two_organisations):
    (_, _, learner), _ = two_organisations
    (entry,) = audit.record(kind=Kind.SIGN_IN, actor=learner, subject=learner)
    page = admin_client.get(reverse("admin:audit_auditentry_changelist") + "?kind=sign_in")
    assert page.status_code == 200 and learner.email in page.content.decode()
    change = reverse("admin:audit_auditentry_change", args=[entry.pk])
    assert admin_client.post(change, {"target": "rewritten"}).status_code == 403
    delete = reverse("admin:audit_auditentry_delete", args=[entry.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk, target="").exists()


# -- retention --------------------------------------------------------------------------------


def test_the_purge_deletes_only_entries_older_than_the_retention_period(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    for days in (31, 29, 1):
        AuditEntry.objects.create(kind=Kind.SIGN_IN, occurred_at=now - timedelta(days=days))
    assert tasks.purge_audit_log.delay().get() == 1
    left = sorted((now - e.occurred_at).days for e in AuditEntry.objects.all())
    assert left == [1, 29]
    assert tasks.purge_audit_log.delay().get() == 0  # twice: nothing more


def test_the_purge_runs_daily():
    from django.conf import settings

    schedule = settings.CELERY_BEAT_SCHEDULE["purge-audit-log"]
    assert schedule == {"task": "audit.tasks.purge_audit_log", "schedule": 24 * 60 * 60}


# -- account deletion -------------------------------------------------------------------------


def test_a_deleted_account_stays_in_the_log_without_its_name_or_address(two_organisations):
    (organisation, owner, learner), _ = two_organisations
    audit.record(
        kind=Kind.SIGN_IN, actor=learner, subject=learner, request=RequestFactory().get("/")
    )
    audit.record(kind=Kind.EXTRA_ATTEMPT_GRANTED, actor=owner, subject=learner, target="Quiz")
    audit.record(kind=Kind.SIGN_IN_FAILED, subject_email=learner.email.upper())
    old_email = learner.email

    learner_services.delete_account(user=learner)

    anonymous = learner_services.anonymous_email(learner)
    name = learner_services.ANONYMOUS_NAME
    assert not AuditEntry.objects.filter(actor_email__iexact=old_email).exists()
    assert not AuditEntry.objects.filter(subject_email__iexact=old_email).exists()
    sign_in = AuditEntry.objects.get(kind=Kind.SIGN_IN)
    assert (sign_in.actor_email, sign_in.actor_name, sign_in.ip_address) == (anonymous, name, None)
    grant = AuditEntry.objects.get(kind=Kind.EXTRA_ATTEMPT_GRANTED)
    assert (grant.actor_email, grant.subject_email, grant.subject_name) == (
        owner.email,
        anonymous,
        name,
    )
    assert grant.target == "Quiz" and grant.organisation_name == organisation.name
    deleted = AuditEntry.objects.get(kind=Kind.ACCOUNT_DELETED)
    assert (deleted.subject_email, deleted.organisation) == (anonymous, organisation)
    assert AuditEntry.objects.get(kind=Kind.SIGN_IN_FAILED).subject_email == anonymous


def test_a_persons_data_download_holds_their_entries_but_not_others_addresses(
    client, two_organisations
):
    (_, owner, learner), _ = two_organisations
    audit.record(kind=Kind.EXTRA_ATTEMPT_GRANTED, actor=owner, subject=learner)
    factories.UserFactory()
    client.force_login(learner)
    with_ip = {"REMOTE_ADDR": "192.0.2.1"}
    data = client.get(reverse("progress:my_data"), **with_ip).json()
    about = data["audit.auditentry (subject)"]
    granted = next(row for row in about if row["kind"] == Kind.EXTRA_ATTEMPT_GRANTED)
    assert granted["actor_email"] == owner.email and granted["ip_address"] == "[withheld]"
    exported = next(row for row in about if row["kind"] == Kind.DATA_EXPORTED)
    assert exported["ip_address"] == "192.0.2.1"  # their own
    client.force_login(owner)
    rows = client.get(reverse("progress:my_data")).json()["audit.auditentry (actor)"]
    granted = next(row for row in rows if row["kind"] == Kind.EXTRA_ATTEMPT_GRANTED)
    assert granted["subject_email"] == "[withheld]"


# -- the page and the CSV ---------------------------------------------------------------------


def test_a_policy_owner_sees_only_their_organisations_entries(client, two_organisations):
    (acme, acme_owner, acme_learner), (_, globex_owner, globex_learner) = two_organisations
    audit.record(kind=Kind.SIGN_IN, actor=acme_learner, subject=acme_learner)
    audit.record(kind=Kind.SIGN_IN, actor=globex_learner, subject=globex_learner)
    audit.record(kind=Kind.CONTENT_PUBLISHED, target="Track “Shared”")  # staff only

    client.force_login(acme_owner)
    page = client.get(LOG).content.decode()
    assert acme_learner.email in page
    assert globex_learner.email not in page and "Shared" not in page
    exported = csv_rows(client.get(EXPORT))
    assert {row["actor_email"] for row in exported} == {acme_learner.email, acme_owner.email}

    client.force_login(globex_owner)
    page = client.get(LOG).content.decode()
    assert globex_learner.email in page and acme_learner.email not in page
    # Choosing the other organisation shows nothing of it.
    chosen = client.get(LOG, {"organisation": acme.pk}).content.decode()
    assert acme_learner.email not in chosen


def test_staff_see_every_entry(client, two_organisations):
    (_, _, acme_learner), (_, _, globex_learner) = two_organisations
    audit.record(kind=Kind.SIGN_IN, actor=acme_learner, subject=acme_learner)
    audit.record(kind=Kind.SIGN_IN, actor=globex_learner, subject=globex_learner)
    audit.record(kind=Kind.CONTENT_PUBLISHED, target="Track “Shared”")
    client.force_login(factories.UserFactory(is_staff=True))
    page = client.get(LOG).content.decode()
    assert acme_learner.email in page and globex_learner.email in page and "Shared" in page


def test_anyone_else_is_refused(client, two_organisations):
    (_, _, learner), _ = two_organisations
    client.force_login(learner)
    assert client.get(LOG).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert client.post(LOG).status_code == 405


def test_the_filters(client, two_organisations):
    (acme, owner, learner), (globex, _, _) = two_organisations
    PolicyOwner.objects.create(user=owner, organisation=globex)
    other = factories.UserFactory(email="someone.else@acme.example")
    Membership.objects.create(user=other, team=acme.teams.first(), role="learner")
    long_ago = timezone.now() - timedelta(days=40)
    AuditEntry.objects.create(
        kind=Kind.SIGN_IN,
        occurred_at=long_ago,
        actor_email="old@acme.example",
        organisation=acme,
    )
    audit.record(kind=Kind.SIGN_IN, actor=learner, subject=learner)
    audit.record(kind=Kind.DATA_EXPORTED, actor=other, subject=other)
    audit.record(kind=Kind.POLICY_PUBLISHED, actor=owner, organisation=globex, target="Policy v1")
    client.force_login(owner)

    def shown(**query) -> set[str]:
        response = client.get(EXPORT, query)
        return {(row["kind"], row["actor_email"]) for row in csv_rows(response)} - {
            (Kind.DATA_EXPORTED, owner.email)  # the export itself
        }

    assert shown(kind=Kind.SIGN_IN) == {
        (Kind.SIGN_IN, learner.email),
        (Kind.SIGN_IN, "old@acme.example"),
    }
    assert shown(person="someone.else") == {(Kind.DATA_EXPORTED, other.email)}
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert (Kind.SIGN_IN, "old@acme.example") not in shown(since=since)
    until = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert shown(until=until) == {(Kind.SIGN_IN, "old@acme.example")}
    assert shown(organisation=globex.pk) == {(Kind.POLICY_PUBLISHED, owner.email)}
    page = client.get(LOG, {"kind": Kind.POLICY_PUBLISHED}).content.decode()
    assert "Policy v1" in page and learner.email not in page


def test_the_csv_defuses_formulas_and_records_its_own_export(client, two_organisations):
    (acme, owner, _), _ = two_organisations
    audit.record(
        kind=Kind.TRACK_ASSIGNED,
        actor=owner,
        organisation=acme,
        target='=HYPERLINK("http://evil.example")',
        details={"due_date": "2027-01-01"},
    )
    client.force_login(owner)
    response = client.get(EXPORT)
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    (row,) = [row for row in csv_rows(response) if row["kind"] == Kind.TRACK_ASSIGNED]
    assert row["target"] == '\'=HYPERLINK("http://evil.example")'
    assert row["details"] == "due_date=2027-01-01"
    assert row["organisation"] == "Acme" and row["actor_email"] == owner.email
    exported = AuditEntry.objects.get(kind=Kind.DATA_EXPORTED, actor=owner)
    assert (exported.organisation, exported.target) == (acme, "Audit log CSV")


def test_the_page_costs_the_same_queries_for_5_and_500_entries(
    client, two_organisations, django_assert_max_num_queries
):
    (acme, owner, learner), _ = two_organisations
    client.force_login(owner)
    counts = []
    for size in (5, 500):
        AuditEntry.objects.bulk_create(
            [
                AuditEntry(
                    kind=Kind.SIGN_IN, actor=learner, actor_email=learner.email, organisation=acme
                )
                for _ in range(size)
            ]
        )
        client.get(LOG)  # warm the session
        # session + user + owned organisations + count + the page's entries = 5 (each entry
        # carries its own names: no query per row)
        with django_assert_max_num_queries(5) as captured:
            response = client.get(LOG)
        assert response.status_code == 200
        assert response.content.decode().count(learner.email) >= min(size, 50)
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
