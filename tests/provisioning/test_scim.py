"""SCIM provisioning at /scim/v2/: an organisation's identity provider creates, updates,
deactivates and removes its people and teams with its own token, and sees nothing of another
organisation's. (tests/provisioning/test_scim_compliance.py runs the outside checker.)"""

import json

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import Client, RequestFactory

from audit.models import AuditEntry
from learners.models import Membership, Organisation, Team, User
from progress.models import Enrolment
from provisioning import tokens
from provisioning.admin import ScimTokenAdmin
from provisioning.models import ProvisionedPerson, ScimToken
from tests import factories

pytestmark = pytest.mark.django_db

Kind = AuditEntry.Kind
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class Scim:
    """A SCIM client for one organisation's token."""

    def __init__(self, raw_token: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw_token}"} if raw_token else {}

    def call(self, method: str, path: str, body=None, **headers):
        response = getattr(self.client, method.lower())(
            f"/scim/v2/{path}",
            data=json.dumps(body) if body is not None else None,
            content_type="application/scim+json",
            headers={**self.headers, **headers},
        )
        payload = json.loads(response.content) if response.content else None
        return response.status_code, payload


def organisation(slug: str) -> tuple[Organisation, Scim]:
    org = Organisation.objects.create(name=slug.capitalize(), slug=slug)
    _, raw = tokens.create_token(organisation=org, name=f"{slug} IdP", by=None)
    return org, Scim(raw)


def new_user(user_name: str, email: str | None = None, **extra) -> dict:
    body = {"schemas": [USER], "userName": user_name, **extra}
    body["emails"] = [{"value": email or user_name, "primary": True, "type": "work"}]
    return body


@pytest.fixture
def acme():
    return organisation("acme")


def test_without_a_live_token_nothing_is_served(acme):
    org, scim = acme
    assert Scim(None).call("GET", "Users")[0] == 401
    assert Scim("scim_not-a-token").call("GET", "Users")[0] == 401
    token = ScimToken.objects.get(organisation=org)
    tokens.revoke_token(token=token, by=None)
    status, body = scim.call("GET", "Users")
    assert status == 401 and body["status"] == "401"
    # The service's description is public (RFC 7643 §5), and says how to authenticate.
    status, body = Scim(None).call("GET", "ServiceProviderConfig")
    assert status == 200 and body["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert body["bulk"]["supported"] is False and body["etag"]["supported"] is True


def test_tokens_are_kept_hashed_and_their_use_is_recorded(acme):
    org, scim = acme
    token = ScimToken.objects.get(organisation=org)
    raw = scim.headers["Authorization"].split()[1]
    assert raw not in token.digest and len(token.digest) == 64 and raw.startswith(token.prefix)
    assert token.last_used_at is None
    scim.call("GET", "Users")
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert AuditEntry.objects.filter(kind=Kind.SCIM_TOKEN_CREATED, organisation=org).count() == 1


def test_a_person_is_created_verified_in_the_organisation_and_found_by_user_name(acme):
    org, scim = acme
    body = new_user(
        "Sean.Doyle@Acme.example",
        name={"givenName": "Sean", "familyName": "Doyle"},
        externalId="00u1",
    )
    status, created = scim.call("POST", "Users", body)
    assert status == 201, created
    user = User.objects.get(pk=created["id"])
    assert user.email == "sean.doyle@acme.example" and user.display_name == "Sean Doyle"
    assert user.is_active and not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert ProvisionedPerson.objects.get(user=user).organisation == org
    assert created["userName"] == "Sean.Doyle@Acme.example" and created["externalId"] == "00u1"
    assert created["meta"]["location"].endswith(f"/scim/v2/Users/{user.pk}")
    # userName is matched whatever its case (RFC 7643 §4.1.1: caseExact false).
    status, found = scim.call("GET", 'Users?filter=userName eq "sean.doyle@acme.example"')
    assert status == 200 and found["totalResults"] == 1
    assert found["Resources"][0]["id"] == str(user.pk)
    assert AuditEntry.objects.filter(kind=Kind.ACCOUNT_PROVISIONED, subject=user).exists()
    # The same userName again: a conflict, nothing created.
    status, error = scim.call(
        "POST", "Users", new_user("SEAN.DOYLE@acme.example", "x@acme.example")
    )
    assert status == 409 and error["scimType"] == "uniqueness"
    assert User.objects.count() == 1


def test_a_person_needs_an_email_address(acme):
    _, scim = acme
    status, error = scim.call("POST", "Users", {"schemas": [USER], "userName": "sean"})
    assert status == 400 and "emails" in error["detail"]  # required, as /Schemas says
    assert User.objects.count() == 0


def test_deactivating_stops_sign_in_and_keeps_the_records(acme):
    _, scim = acme
    _, created = scim.call("POST", "Users", new_user("carrie@acme.example"))
    user = User.objects.get(pk=created["id"])
    user.set_password("a long enough password 1")
    user.save()
    track = factories.make_track()
    Enrolment.objects.create(learner=user, track=track)
    browser = Client()
    assert browser.login(email="carrie@acme.example", password="a long enough password 1")

    patch = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
    assert scim.call("PATCH", f"Users/{user.pk}", patch)[0] == 204  # RFC 7644 §3.5.2
    assert scim.call("GET", f"Users/{user.pk}")[1]["active"] is False
    user.refresh_from_db()
    assert not user.is_active
    assert Enrolment.objects.filter(learner=user).exists()  # their records stay
    # Their session fails its next request, and the password no longer signs in.
    assert browser.get("/me/").status_code == 302
    assert not Client().login(email="carrie@acme.example", password="a long enough password 1")
    assert AuditEntry.objects.filter(kind=Kind.ACCOUNT_DEACTIVATED, subject=user).exists()

    patch["Operations"][0]["value"]["active"] = True
    assert scim.call("PATCH", f"Users/{user.pk}", patch)[0] == 204
    user.refresh_from_db()
    assert user.is_active
    assert AuditEntry.objects.filter(kind=Kind.ACCOUNT_REACTIVATED, subject=user).exists()


def test_removing_a_person_deactivates_them_and_the_same_address_brings_them_back(acme):
    _, scim = acme
    _, created = scim.call("POST", "Users", new_user("eric@acme.example"))
    user_id = created["id"]
    assert scim.call("DELETE", f"Users/{user_id}")[0] == 204
    assert scim.call("GET", f"Users/{user_id}")[0] == 404
    assert not User.objects.get(pk=user_id).is_active
    assert scim.call("GET", "Users")[1]["totalResults"] == 0

    status, again = scim.call("POST", "Users", new_user("eric@acme.example"))
    assert status == 201 and again["id"] == user_id
    assert User.objects.get(pk=user_id).is_active


def test_put_replaces_and_if_match_guards_against_lost_updates(acme):
    _, scim = acme
    _, created = scim.call("POST", "Users", new_user("sean@acme.example", displayName="Sean"))
    version = created["meta"]["version"]
    replacement = new_user("sean@acme.example", "sean.d@acme.example", displayName="Sean D")
    status, body = scim.call("PUT", f"Users/{created['id']}", replacement, **{"If-Match": version})
    assert status == 200 and body["displayName"] == "Sean D"
    assert body["meta"]["version"] != version
    user = User.objects.get(pk=created["id"])
    assert user.email == "sean.d@acme.example"
    assert EmailAddress.objects.get(user=user).email == "sean.d@acme.example"
    # The old version no longer matches: refused, and nothing changes.
    stale = new_user("sean@acme.example", displayName="Stale")
    status, _ = scim.call("PUT", f"Users/{created['id']}", stale, **{"If-Match": version})
    assert status == 412
    assert User.objects.get(pk=created["id"]).display_name == "Sean D"


def test_an_address_taken_by_any_other_account_is_a_conflict(acme):
    _, scim = acme
    factories.UserFactory(email="taken@elsewhere.example")
    status, error = scim.call("POST", "Users", new_user("taken@elsewhere.example"))
    assert status == 409 and error["scimType"] == "uniqueness"
    assert not ProvisionedPerson.objects.exists()


def test_existing_members_are_listed_and_claimed_but_staff_and_other_organisations_are_not(acme):
    org, scim = acme
    other, other_scim = organisation("globex")
    team = Team.objects.create(organisation=org, name="Social")
    member = factories.UserFactory(email="member@acme.example")
    Membership.objects.create(user=member, team=team, role="learner")
    staff = factories.UserFactory(email="staff@acme.example", is_staff=True)
    Membership.objects.create(user=staff, team=team, role="manager")
    outsider = factories.UserFactory(email="someone@globex.example")
    ops = Team.objects.create(organisation=other, name="Ops")
    Membership.objects.create(user=outsider, team=ops, role="learner")
    # Someone in both organisations' teams is neither provider's to manage.
    shared = factories.UserFactory(email="contractor@example.com")
    Membership.objects.create(user=shared, team=team, role="learner")
    Membership.objects.create(user=shared, team=ops, role="learner")

    listed = scim.call("GET", "Users")[1]
    assert [r["userName"] for r in listed["Resources"]] == ["member@acme.example"]
    # Another organisation's person and staff are not found, by id or by any filter.
    for person in (outsider, staff, shared):
        assert scim.call("GET", f"Users/{person.pk}")[0] == 404
        assert scim.call("PATCH", f"Users/{person.pk}", {"schemas": [PATCH], "Operations": [
            {"op": "replace", "value": {"active": False}}]})[0] == 404  # fmt: skip
        assert scim.call("DELETE", f"Users/{person.pk}")[0] == 404
    assert (
        User.objects.filter(pk__in=[outsider.pk, staff.pk, shared.pk], is_active=True).count() == 3
    )
    assert (
        other_scim.call("GET", 'Users?filter=userName eq "member@acme.example"')[1]["totalResults"]
        == 0
    )

    # The provider's first write claims the member: theirs from now on.
    patch = {"schemas": [PATCH], "Operations": [{"op": "add", "path": "externalId", "value": "7"}]}
    assert scim.call("PATCH", f"Users/{member.pk}", patch)[0] == 204
    assert ProvisionedPerson.objects.get(user=member).organisation == org


def test_groups_are_teams_and_their_members_are_its_learners(acme):
    org, scim = acme
    _, other_scim = organisation("globex")
    ids = [scim.call("POST", "Users", new_user(f"p{i}@acme.example"))[1]["id"] for i in range(3)]
    body = {"schemas": [GROUP], "displayName": "Social team", "members": [{"value": ids[0]}]}
    status, group = scim.call("POST", "Groups", body)
    assert status == 201, group
    team = Team.objects.get(pk=group["id"], organisation=org)
    assert list(team.memberships.values_list("user_id", "role")) == [(int(ids[0]), "learner")]

    patch = {
        "schemas": [PATCH],
        "Operations": [
            {"op": "add", "path": "members", "value": [{"value": ids[1]}, {"value": ids[2]}]},
            {"op": "remove", "path": f'members[value eq "{ids[0]}"]'},
        ],
    }
    assert scim.call("PATCH", f"Groups/{team.pk}?attributes=members", patch)[0] == 200
    group = scim.call("GET", f"Groups/{team.pk}")[1]
    assert sorted(m["value"] for m in group["members"]) == sorted(ids[1:])
    assert set(team.memberships.values_list("user_id", flat=True)) == {int(i) for i in ids[1:]}
    assert AuditEntry.objects.filter(kind=Kind.MEMBERSHIP_REMOVED, organisation=org).count() == 1

    # A manager set in Socialcraft stays whatever the provider sends.
    manager = factories.UserFactory(email="boss@acme.example")
    Membership.objects.create(user=manager, team=team, role="manager")
    put = {"schemas": [GROUP], "displayName": "Social", "members": [{"value": ids[1]}]}
    assert scim.call("PUT", f"Groups/{team.pk}", put)[0] == 200
    team.refresh_from_db()
    assert team.name == "Social"
    assert set(team.memberships.values_list("user_id", "role")) == {
        (int(ids[1]), "learner"),
        (manager.pk, "manager"),
    }

    # Another organisation's provider sees nothing of it, and can't add its people.
    assert other_scim.call("GET", f"Groups/{team.pk}")[0] == 404
    assert other_scim.call("GET", "Groups")[1]["totalResults"] == 0
    foreign = {"schemas": [GROUP], "displayName": "Raid", "members": [{"value": ids[1]}]}
    status, error = other_scim.call("POST", "Groups", foreign)
    assert status == 400 and "organisation" in error["detail"]
    assert not Team.objects.filter(name="Raid").exists()

    assert scim.call("DELETE", f"Groups/{team.pk}")[0] == 204
    assert not Team.objects.filter(pk=team.pk).exists()
    assert User.objects.filter(pk__in=ids).count() == 3
    assert AuditEntry.objects.filter(kind=Kind.TEAM_DEPROVISIONED, organisation=org).exists()


def test_lists_are_paged_and_filters_refuse_what_they_cannot_search(acme):
    _, scim = acme
    for i in range(5):
        scim.call("POST", "Users", new_user(f"user{i}@acme.example"))
    status, page = scim.call("GET", "Users?startIndex=2&count=2")
    assert status == 200
    assert page["totalResults"] == 5 and page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [r["userName"] for r in page["Resources"]] == [
        "user1@acme.example",
        "user2@acme.example",
    ]
    status, found = scim.call(
        "GET", 'Users?filter=userName sw "user3" or userName eq "user4@acme.example"'
    )
    assert found["totalResults"] == 2
    status, error = scim.call("GET", 'Users?filter=title eq "x"')
    assert status == 400 and error["scimType"] == "invalidFilter"
    status, error = scim.call("GET", "Users?filter=userName eq")
    assert status == 400


def test_malformed_bodies_are_refused_with_a_scim_error(acme):
    _, scim = acme
    response = scim.client.post(
        "/scim/v2/Users", data="{not json", content_type="application/scim+json",
        headers=scim.headers,
    )  # fmt: skip
    assert response.status_code == 400
    assert json.loads(response.content)["schemas"] == [
        "urn:ietf:params:scim:api:messages:2.0:Error"
    ]
    assert User.objects.count() == 0


def test_staff_create_a_token_in_the_admin_and_see_it_once():
    org = Organisation.objects.create(name="Initech", slug="initech")
    staff = factories.UserFactory(is_staff=True, is_superuser=True)
    request = RequestFactory().post("/admin/provisioning/scimtoken/add/")
    request.user = staff
    request.session = {}
    request._messages = FallbackStorage(request)
    model_admin = ScimTokenAdmin(ScimToken, admin.site)
    obj = ScimToken(organisation=org, name="Okta")
    model_admin.save_model(request, obj, form=None, change=False)
    shown = [str(m) for m in request._messages]
    raw = shown[0].split("Token: ")[1]
    assert Scim(raw).call("GET", "Users")[0] == 200
    token = ScimToken.objects.get(pk=obj.pk)
    assert token.created_by == staff and raw not in str(ScimToken.objects.values().get())

    model_admin.revoke(request, ScimToken.objects.filter(pk=token.pk))
    assert Scim(raw).call("GET", "Users")[0] == 401
    assert AuditEntry.objects.filter(kind=Kind.SCIM_TOKEN_REVOKED, actor=staff).exists()


def test_listing_costs_the_same_queries_for_3_or_30_people_and_teams(acme):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    org, scim = acme

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            status, body = scim.call("GET", path)
        assert status == 200 and body["totalResults"] == User.objects.count()
        return len(captured.captured_queries)

    def grow(to: int) -> None:
        for i in range(User.objects.count(), to):
            user = User.objects.get(
                pk=scim.call("POST", "Users", new_user(f"u{i}@acme.example"))[1]["id"]
            )
            team = Team.objects.create(organisation=org, name=f"Team {i}")
            Membership.objects.create(user=user, team=team, role="learner")

    grow(3)
    small = queries("Users"), queries("Groups")
    grow(30)
    assert (queries("Users"), queries("Groups")) == small
    assert small == (3, 4)  # token, count, page (+ the page's members)


def test_the_scim_token_command_creates_lists_and_revokes():
    from io import StringIO

    from django.core.management import CommandError, call_command

    Organisation.objects.create(name="Acme", slug="acme")
    out = StringIO()
    call_command("scim_token", "create", "acme", "--name", "Okta", stdout=out, stderr=StringIO())
    raw = out.getvalue().strip()
    assert Scim(raw).call("GET", "Users")[0] == 200
    with pytest.raises(CommandError, match="already has a live token"):
        call_command("scim_token", "create", "acme", "--name", "Okta", stderr=StringIO())
    with pytest.raises(CommandError, match="No organisation “nope”"):
        call_command("scim_token", "list", "nope")
    listed = StringIO()
    call_command("scim_token", "list", "acme", stdout=listed)
    assert listed.getvalue().startswith("Okta\tscim_")
    call_command("scim_token", "revoke", "acme", "--name", "Okta", stdout=StringIO())
    assert Scim(raw).call("GET", "Users")[0] == 401
