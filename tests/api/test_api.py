"""The reporting API: one organisation per token, read only, paged, filtered, rate limited."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api import tokens
from api.models import ApiToken
from audit.models import AuditEntry
from learners.models import Membership, Organisation, Team
from progress.models import Enrolment
from tests import factories
from tests.api import world as worlds

pytestmark = pytest.mark.django_db

LISTS = ["person", "team", "assignment", "enrolment", "quiz-result", "certificate", "clearance"]
DETAILS = ["person", "team", "assignment", "enrolment", "certificate"]


@pytest.fixture
def world():
    return worlds.build()


def api(token: str | None) -> Client:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client(**headers)


def rows(client: Client, name: str, **params) -> list[dict]:
    response = client.get(reverse(f"api:{name}-list"), params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_token_reads_its_organisation_and_nothing_else(world):
    acme = api(world.acme_token)
    people = rows(acme, "person")

    emails = {p["email"] for p in people}
    assert {p.email for p in world.people} <= emails
    assert world.staff.email not in emails  # staff accounts never
    assert not emails & {p.email for p in world.globex_people}
    assert len(people) == world.people_count
    assert {t["name"] for t in rows(acme, "team")} == {"Sales", "Support"}
    assert {e["person"] for e in rows(acme, "enrolment")} == {p.pk for p in world.people}
    assert {c["person"] for c in rows(acme, "certificate")} == {p.pk for p in world.people}
    assert len(rows(acme, "quiz-result")) == len(world.people)
    assert all(a["team"] != world.globex.teams.get().pk for a in rows(acme, "assignment"))


def test_another_organisations_token_sees_nothing_of_it(world):
    globex = api(world.globex_token)
    acme_ids = {p.pk for p in world.people}
    for name in LISTS:
        found = rows(globex, name)
        assert not {row.get("person", row.get("id")) for row in found} & acme_ids or name == "team"
    assert {t["name"] for t in rows(globex, "team")} == {"Exports"}
    # Acme's rows by id: 404, never the row.
    acme = api(world.acme_token)
    for name in DETAILS:
        for row in rows(acme, name):
            response = globex.get(reverse(f"api:{name}-detail", args=[row["id"]]))
            assert response.status_code == 404, (name, row)
            assert acme.get(reverse(f"api:{name}-detail", args=[row["id"]])).status_code == 200
    # Filtering by the other organisation's team finds nothing either.
    for name in LISTS:
        assert rows(globex, name, team=world.sales.pk) == []


def test_a_new_organisation_sees_empty_lists(world):
    empty = Organisation.objects.create(slug="initech", name="Initech")
    _, raw = tokens.create_token(organisation=empty, name="BI", by=None)
    for name in LISTS:
        assert rows(api(raw), name) == []


def test_a_person_in_two_organisations_shows_each_only_its_own_teams(world):
    person = world.people[0]
    exports = world.globex.teams.get()
    Membership.objects.create(user=person, team=exports)
    seen_by_globex = api(world.globex_token).get(reverse("api:person-detail", args=[person.pk]))
    assert [t["team_name"] for t in seen_by_globex.json()["teams"]] == ["Exports"]
    seen_by_acme = api(world.acme_token).get(reverse("api:person-detail", args=[person.pk]))
    assert [t["team_name"] for t in seen_by_acme.json()["teams"]] == ["Sales"]
    # The sales team's assignment is Acme's: Globex sees only its own team's and the person's.
    globex_assignments = rows(api(world.globex_token), "assignment")
    assert world.sales.pk not in {a["team"] for a in globex_assignments}


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "Send an API token"),
        ("sc_api_not-a-real-token", "not a Socialcraft API token"),
        ("scim_the-wrong-kind", "not a Socialcraft API token"),
    ],
)
def test_no_or_a_wrong_token_is_a_401_that_says_so(world, token, message):
    for name in LISTS:
        response = api(token).get(reverse(f"api:{name}-list"))
        assert response.status_code == 401
        assert message in response.json()["detail"]
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_and_revoked_tokens_are_refused_with_the_reason(world):
    token = ApiToken.objects.get(organisation=world.acme)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = api(world.acme_token).get(reverse("api:person-list"))
    assert response.status_code == 401
    assert "expired on" in response.json()["detail"]
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + timedelta(days=1))
    assert api(world.acme_token).get(reverse("api:person-list")).status_code == 200
    tokens.revoke_token(token=token, by=None)
    response = api(world.acme_token).get(reverse("api:person-list"))
    assert response.status_code == 401
    assert "revoked on" in response.json()["detail"]


def test_a_signed_in_session_does_not_open_the_api(world, client):
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    assert client.get(reverse("api:person-list")).status_code == 401


def test_the_api_is_read_only(world):
    acme = api(world.acme_token)
    url = reverse("api:person-list")
    assert acme.post(url, {}, content_type="application/json").status_code == 405
    detail = reverse("api:person-detail", args=[world.people[0].pk])
    assert acme.delete(detail).status_code == 405
    assert acme.put(detail, {}, content_type="application/json").status_code == 405


def test_filters_by_team_track_and_updated_since(world):
    acme = api(world.acme_token)
    in_sales = {p.pk for p in world.people if world.sales.memberships.filter(user=p).exists()}
    assert {e["person"] for e in rows(acme, "enrolment", team=world.sales.pk)} == in_sales
    assert {p["id"] for p in rows(acme, "person", team=world.support.pk)} == (
        {p.pk for p in world.people} - in_sales
    )
    assert rows(acme, "enrolment", track="no-such-track") == []
    assert len(rows(acme, "enrolment", track=world.track.slug)) == len(world.people)
    later = timezone.now() + timedelta(minutes=5)
    assert rows(acme, "enrolment", updated_since=later.isoformat()) == []
    Enrolment.objects.filter(learner=world.people[0]).update(last_activity_at=later)
    changed = rows(acme, "enrolment", updated_since=later.isoformat())
    assert [e["person"] for e in changed] == [world.people[0].pk]
    earlier = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(rows(acme, "certificate", updated_since=earlier)) == len(world.people)


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "1"])
def test_a_bad_updated_since_is_a_400_that_says_what_to_send(world, value):
    response = api(world.acme_token).get(reverse("api:enrolment-list"), {"updated_since": value})
    assert response.status_code == 400
    assert "ISO 8601" in response.json()["updated_since"][0]


@pytest.mark.parametrize("team", ["sales", "", "0", str(2**70)])
def test_a_bad_team_is_a_400(world, team):
    response = api(world.acme_token).get(reverse("api:person-list"), {"team": team})
    assert response.status_code == 400
    assert "team" in response.json()


def test_an_id_too_long_for_the_database_is_a_json_404(world):
    response = api(world.acme_token).get(f"/api/v1/people/{'9' * 30}/")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("No such endpoint")


def test_the_cursor_walks_every_row_exactly_once(world):
    for n in range(7):
        person = factories.UserFactory()
        Membership.objects.create(user=person, team=world.sales)
        worlds.add_records(person, world.track, n=n)
    acme = api(world.acme_token)
    for name in ["person", "enrolment", "certificate", "quiz-result", "clearance"]:
        everything = rows(acme, name, page_size=500)
        seen, url, pages = [], reverse(f"api:{name}-list") + "?page_size=3", 0
        while url:
            page = acme.get(url).json()
            seen += page["results"]
            url, pages = page["next"], pages + 1
        assert seen == everything
        assert len({str(row) for row in seen}) == len(seen)
        assert pages == -(-len(everything) // 3)
    assert acme.get(reverse("api:person-list"), {"cursor": "garbage"}).status_code == 404


def test_quiz_results_never_carry_answers(world):
    response = api(world.acme_token).get(reverse("api:quiz-result-list"))
    assert "secret-answer-marker" not in response.content.decode()
    (first, *_) = response.json()["results"]
    assert set(first) == {
        "id", "person", "track", "lesson", "lesson_title", "attempt", "score", "pass_mark",
        "passed", "submitted_at",
    }  # fmt: skip
    schema = Client().get(reverse("api:schema")).content.decode()
    assert "answers" not in schema and "is_correct" not in schema


def test_enrolments_show_the_stored_progress_figures(world):
    Enrolment.objects.filter(learner=world.people[0]).update(lessons_done=1, quiz_average=75.0)
    (row,) = rows(api(world.acme_token), "enrolment", updated_since="2000-01-01T00:00:00Z")[:1]
    assert (row["lessons_done"], row["lessons_total"], row["percent"]) == (1, 2, 50)
    assert row["quiz_average"] == 75.0


def test_certificates_carry_their_public_page(world):
    certificate = rows(api(world.acme_token), "certificate")[0]
    assert certificate["url"] == f"http://testserver/certificates/{certificate['code']}/"
    assert certificate["credential_url"] == certificate["url"] + "credential.json"
    assert certificate["status"] == "valid"
    assert certificate["revoked_at"] is None and certificate["revoked_reason"] == ""


def test_a_revoked_certificate_says_so_and_counts_as_updated(world):
    from progress import services
    from progress.models import Certificate

    revoked = Certificate.objects.get(code=rows(api(world.acme_token), "certificate")[0]["code"])
    staff = factories.UserFactory(is_staff=True)
    since = timezone.now()
    services.revoke_certificate(certificate=revoked, by=staff, reason="Issued in error")
    changed = rows(api(world.acme_token), "certificate", updated_since=since.isoformat())
    assert [c["code"] for c in changed] == [revoked.code]
    assert changed[0]["status"] == "revoked"
    assert changed[0]["revoked_reason"] == "Issued in error"


def test_clearance_is_per_level_of_the_organisation(world):
    from governance.models import ClearanceLevel

    level = ClearanceLevel.objects.create(organisation=world.acme, name="Can post")
    level.tracks.add(world.track)
    ClearanceLevel.objects.create(organisation=world.globex, name="Globex level")
    found = rows(api(world.acme_token), "clearance")
    assert len(found) == world.people_count
    for person in found:
        (standing,) = person["levels"]
        assert standing["level_name"] == "Can post"
        assert standing["status"] == "not_cleared"  # no policy acknowledged
        assert any("policy" in missing.lower() for missing in standing["missing"])


def test_over_the_rate_limit_is_a_429_with_retry_after(world, settings):
    settings.API_RATE_LIMIT = "3/minute"
    acme = api(world.acme_token)
    statuses = [acme.get(reverse("api:team-list")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = acme.get(reverse("api:team-list"))
    assert int(response["Retry-After"]) > 0
    # Per token: another organisation's client is not slowed down.
    assert api(world.globex_token).get(reverse("api:team-list")).status_code == 200


def test_last_use_is_written_at_most_once_a_minute(world, django_assert_num_queries):
    acme = api(world.acme_token)
    acme.get(reverse("api:team-list"))
    token = ApiToken.objects.get(organisation=world.acme)
    assert token.last_used_at is not None
    first = token.last_used_at
    acme.get(reverse("api:team-list"))
    token.refresh_from_db()
    assert token.last_used_at == first


def test_the_root_schema_and_docs_are_public_and_the_docs_obey_the_csp(world):
    root = Client().get(reverse("api:root")).json()
    assert root["people"] == "http://testserver/api/v1/people/"
    schema = Client().get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/quiz-results/" in schema.json()["paths"]
    docs = Client().get(reverse("api:docs"))
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "<style" not in html and "<script>" not in html  # nothing inline for the CSP
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
    script = Client().get(reverse("api:docs") + "?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
    assert "script-src 'self'" in docs["Content-Security-Policy"]


# -- tokens: the command, the admin, the audit log --------------------------------------------


def test_the_command_creates_lists_and_revokes_with_an_expiry(world):
    out = StringIO()
    call_command(
        "api_token", "create", "acme", "--name", "BI", "--days", "30", stdout=out, stderr=StringIO()
    )
    raw = out.getvalue().strip()
    assert raw.startswith(tokens.PREFIX)
    token = ApiToken.objects.get(name="BI")
    assert token.digest != raw and raw not in token.digest  # only the hash is kept
    assert abs((token.expires_at - timezone.now()) - timedelta(days=30)) < timedelta(minutes=1)
    assert api(raw).get(reverse("api:team-list")).status_code == 200
    with pytest.raises(CommandError, match="already has a live token"):
        call_command("api_token", "create", "acme", "--name", "BI", stderr=StringIO())
    with pytest.raises(CommandError, match="between 1 and 365 days"):
        call_command("api_token", "create", "acme", "--name", "Long", "--days", "400")
    with pytest.raises(CommandError, match="No organisation “nope”"):
        call_command("api_token", "list", "nope")
    with pytest.raises(CommandError, match="--name"):
        call_command("api_token", "create", "acme")
    listed = StringIO()
    call_command("api_token", "list", "acme", stdout=listed)
    assert "BI\t" in listed.getvalue() and "live" in listed.getvalue()
    call_command("api_token", "revoke", "acme", "--name", "BI", stdout=StringIO())
    assert api(raw).get(reverse("api:team-list")).status_code == 401
    kinds = AuditEntry.objects.filter(organisation=world.acme, target__contains="“BI”")
    assert sorted(kinds.values_list("kind", flat=True)) == [
        AuditEntry.Kind.API_TOKEN_CREATED,
        AuditEntry.Kind.API_TOKEN_REVOKED,
    ]


def test_the_admin_shows_a_new_token_once_and_revokes(world, client, staff_user):
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:api_apitoken_add"),
        {"organisation": world.acme.pk, "name": "Looker", "days": 10},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    token = ApiToken.objects.get(name="Looker")
    (secret,) = set(re.findall(re.escape(tokens.PREFIX) + r"[A-Za-z0-9_-]{20,}", page))
    assert tokens.token_for(f"Bearer {secret}") == token  # the page shows the whole secret
    assert token.created_by == staff_user
    assert (token.expires_at - timezone.now()).days in (9, 10)
    listing = client.get(reverse("admin:api_apitoken_changelist")).content.decode()
    assert token.prefix in listing and "live" in listing
    assert secret not in listing  # the secret is not shown again
    refused = client.post(
        reverse("admin:api_apitoken_add"),
        {"organisation": world.acme.pk, "name": "Forever", "days": 4000},
    )
    assert "between 1 and 365 days" in refused.content.decode()
    client.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.status == "revoked"
    assert AuditEntry.objects.filter(
        kind=AuditEntry.Kind.API_TOKEN_REVOKED, actor=staff_user
    ).exists()


def test_team_rows_count_people_not_staff(world):
    (sales,) = [t for t in rows(api(world.acme_token), "team") if t["name"] == "Sales"]
    assert (sales["learners"], sales["managers"]) == (2, 1)
    support = Team.objects.get(name="Support")
    (row,) = rows(api(world.acme_token), "team", team=support.pk)
    assert row["learners"] == 1  # the staff member in it doesn't count
