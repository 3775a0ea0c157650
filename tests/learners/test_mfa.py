"""Two-step sign-in (issue 24, item 2): allauth.mfa's authenticator app with recovery codes
and passkeys, who must have one (learners.selectors.second_factor_required) and how they are
sent to set one up (learners.middleware).

The codes are worked out from the secret the setup page gave by the tests' own RFC 6238
function (tests/totp.py, checked here against the RFC's published values), never by allauth's.
"""

import base64
import time

import pytest
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from learners import selectors
from learners.middleware import MESSAGE
from learners.models import Membership, Organisation, Team, User
from tests import factories
from tests.totp import code_now, totp

pytestmark = pytest.mark.django_db

SETUP = reverse("mfa_index")


# -- RFC 6238 ---------------------------------------------------------------------------------
def test_the_tests_totp_gives_the_rfc_6238_values():
    secret = base64.b32encode(b"12345678901234567890").decode()  # RFC 6238, appendix B (SHA-1)
    assert totp(secret, 59, digits=8) == "94287082"
    assert totp(secret, 1111111109, digits=8) == "07081804"
    assert totp(secret, 2000000000, digits=8) == "69279037"


# -- helpers ------------------------------------------------------------------------------------
def sign_in(client, user: User):
    return client.post(
        reverse("account_login"), {"login": user.email, "password": factories.PASSWORD}
    )


def sign_out(client) -> None:
    client.post(reverse("account_logout"))


def confirm_password(client) -> None:
    """allauth asks for the password again before a factor is added or removed."""
    confirmed = client.post(reverse("account_reauthenticate"), {"password": factories.PASSWORD})
    assert confirmed.status_code == 302


def activate_app(client) -> tuple[str, list[str]]:
    """Set up the authenticator app through its pages, as a person does; returns the secret
    and the recovery codes shown afterwards."""
    asked = client.get(reverse("mfa_activate_totp"))
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    confirm_password(client)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert client.session["mfa.totp.secret"] == secret
    body = page.content.decode()
    assert secret in body  # to type in, beside the QR code
    assert 'alt="QR code for your authenticator app' in body
    refused = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    if totp(secret, time.time()) != "000000":  # one in a million: it was the right code
        assert refused.status_code == 200
        assert "Incorrect code" in refused.content.decode()
    done = client.post(reverse("mfa_activate_totp"), {"code": code_now(secret)})
    assert done.status_code == 302
    assert done["Location"] == reverse("mfa_view_recovery_codes")
    codes = client.get(done["Location"]).context["unused_codes"]
    return secret, list(codes)


@pytest.fixture
def member_of():
    def make(*, strict: bool) -> User:
        person = factories.UserFactory()
        organisation = Organisation.objects.create(
            name=f"Org {person.pk}",
            slug=f"org-{person.pk}",
            password_accounts_need_second_factor=strict,
        )
        Membership.objects.create(
            user=person, team=Team.objects.create(organisation=organisation, name="Team")
        )
        return person

    return make


@pytest.fixture
def staff_must(settings):
    settings.MFA_REQUIRED_FOR_STAFF = True


# -- the authenticator app and recovery codes, end to end --------------------------------------
def test_app_code_is_asked_at_sign_in_and_only_the_right_one_signs_in(client, learner):
    assert sign_in(client, learner).status_code == 302
    secret, _ = activate_app(client)
    assert Authenticator.objects.filter(user=learner, type="totp").exists()
    sign_out(client)

    asked = sign_in(client, learner)
    assert asked["Location"] == reverse("mfa_authenticate")
    page = client.get(asked["Location"])
    assert "Enter your code" in page.content.decode()
    assert client.get(reverse("progress:me"))["Location"].startswith(reverse("account_login"))

    code = code_now(secret)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert refused.status_code == 200
    assert "Incorrect code" in refused.content.decode()
    assert "_auth_user_id" not in client.session

    accepted = client.post(reverse("mfa_authenticate"), {"code": code})
    assert accepted.status_code == 302
    assert client.session["_auth_user_id"] == str(learner.pk)
    assert client.get(reverse("progress:me")).status_code == 200


def test_a_code_signs_in_once(client, learner):
    sign_in(client, learner)
    secret, _ = activate_app(client)
    sign_out(client)
    sign_in(client, learner)
    code = code_now(secret)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    sign_out(client)
    sign_in(client, learner)
    replayed = client.post(reverse("mfa_authenticate"), {"code": code})
    assert replayed.status_code == 200  # the same code, within its 30 seconds: refused
    assert "_auth_user_id" not in client.session


def test_each_recovery_code_works_once(client, learner):
    sign_in(client, learner)
    _, codes = activate_app(client)
    assert len(codes) == 10
    sign_out(client)

    sign_in(client, learner)
    assert client.post(reverse("mfa_authenticate"), {"code": codes[0]}).status_code == 302
    assert client.session["_auth_user_id"] == str(learner.pk)
    sign_out(client)

    sign_in(client, learner)
    again = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert again.status_code == 200
    assert "Incorrect code" in again.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.post(reverse("mfa_authenticate"), {"code": codes[1]}).status_code == 302
    assert client.session["_auth_user_id"] == str(learner.pk)

    listed = client.get(SETUP).content.decode()
    assert "8 of 10 codes left" in listed


def test_recovery_codes_download_holds_the_unused_codes(client, learner):
    sign_in(client, learner)
    _, codes = activate_app(client)
    download = client.get(reverse("mfa_download_recovery_codes"))
    assert download.status_code == 200
    assert download.content.decode().split() == codes


# -- who must have a second factor ---------------------------------------------------------------
def test_staff_without_a_factor_are_sent_to_set_one_up(client, staff_user, staff_must):
    client.force_login(staff_user)
    for path in ("/admin/", reverse("progress:me"), reverse("teams:team")):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == SETUP
    page = client.get(SETUP)
    assert page.status_code == 200
    assert MESSAGE in page.content.decode()
    # Downloads and scripts get a refusal they can read, not a page.
    data = client.get(reverse("progress:my_data"))
    assert data.status_code == 403
    assert data.json() == {"error": "second_factor_required", "setup_url": SETUP}
    # What stays open: the probes, and signing out.
    assert client.get(reverse("healthz_live")).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_staff_set_up_the_app_and_get_through(client, staff_user, staff_must):
    signed_in = sign_in(client, staff_user)
    assert client.get(signed_in["Location"])["Location"] == SETUP  # straight to the setup
    activate_app(client)
    assert client.get("/admin/").status_code == 200
    assert client.get(reverse("progress:me")).status_code == 200


def test_staff_are_not_forced_while_the_setting_is_off(client, staff_user, settings):
    settings.MFA_REQUIRED_FOR_STAFF = False  # the test settings' value, as under DEBUG
    client.force_login(staff_user)
    assert client.get("/admin/").status_code == 200


def test_an_organisation_that_asks_for_it_forces_its_people_and_others_dont(client, member_of):
    strict, relaxed = member_of(strict=True), member_of(strict=False)
    client.force_login(strict)
    assert client.get(reverse("progress:me"))["Location"] == SETUP
    assert client.get(reverse("profile"))["Location"] == SETUP
    client.force_login(relaxed)
    assert client.get(reverse("progress:me")).status_code == 200


def test_accounts_without_a_password_are_left_to_their_provider(client, member_of):
    single_sign_on = member_of(strict=True)
    single_sign_on.set_unusable_password()
    single_sign_on.save()
    client.force_login(single_sign_on)
    assert client.get(reverse("progress:me")).status_code == 200
    assert not selectors.second_factor_required(single_sign_on)


def test_the_organisations_setting_applies_from_the_next_request(client, member_of):
    person = member_of(strict=False)
    client.force_login(person)
    assert client.get(reverse("progress:me")).status_code == 200
    Organisation.objects.update(password_accounts_need_second_factor=True)
    assert client.get(reverse("progress:me"))["Location"] == SETUP
    Organisation.objects.update(password_accounts_need_second_factor=False)
    assert client.get(reverse("progress:me")).status_code == 200


def test_a_member_who_sets_up_a_passkey_or_app_gets_through(client, member_of):
    person = member_of(strict=True)
    sign_in(client, person)
    activate_app(client)
    assert client.get(reverse("progress:me")).status_code == 200


def test_recovery_codes_alone_are_not_a_second_factor(client, member_of):
    person = member_of(strict=True)
    Authenticator.objects.create(
        user=person, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "00" * 20}
    )
    client.force_login(person)
    assert client.get(reverse("progress:me"))["Location"] == SETUP


def test_the_rule_read_without_the_signed_in_users_query(member_of, staff_user, settings):
    """A user loaded some other way (a plain query) gets the same answers, a query each."""
    settings.MFA_REQUIRED_FOR_STAFF = True
    strict = User.objects.get(pk=member_of(strict=True).pk)
    relaxed = User.objects.get(pk=member_of(strict=False).pk)
    staff = User.objects.get(pk=staff_user.pk)
    assert selectors.second_factor_missing(strict)
    assert not selectors.second_factor_required(relaxed)
    assert selectors.second_factor_required(staff)
    settings.MFA_REQUIRED_FOR_STAFF = False
    assert not selectors.second_factor_required(staff)


def test_the_check_costs_no_query_of_its_own(client, member_of):
    """The signed-in user is loaded with both answers (learners.backends): a page costs the
    same for someone whose organisation asks for a second factor as for anyone else."""
    relaxed, strict = member_of(strict=False), member_of(strict=True)
    Authenticator.objects.create(user=strict, type=Authenticator.Type.TOTP, data={"secret": "A"})
    counts = []
    for person in (relaxed, strict):
        client.force_login(person)
        client.get(reverse("profile"))  # warm the caches (session, site, navigation)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("profile")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# -- the pages ------------------------------------------------------------------------------------
def test_the_profile_links_to_two_step_sign_in(client, learner):
    client.force_login(learner)
    body = client.get(reverse("profile")).content.decode()
    assert "Off: signing in asks only for your password." in body
    assert f'href="{SETUP}"' in body


def test_the_setup_page_offers_an_app_and_passkeys(client, learner):
    client.force_login(learner)
    body = client.get(SETUP).content.decode()
    assert "<h1>Two-step sign-in</h1>" in body
    assert reverse("mfa_activate_totp") in body
    assert reverse("mfa_add_webauthn") in body


def test_the_passkey_pages_render_for_a_signed_in_person(client, learner):
    sign_in(client, learner)
    confirm_password(client)
    add = client.get(reverse("mfa_add_webauthn"))
    assert add.status_code == 200
    body = add.content.decode()
    assert "Add a passkey or security key" in body
    assert 'id="js_data"' in body and "creation_options" in body  # the browser's challenge
    assert '<label for="id_name">' in body
    keys = client.get(reverse("mfa_list_webauthn"))
    assert keys.status_code == 200
    assert "No keys yet." in keys.content.decode()


def test_nobody_can_rename_or_remove_someone_elses_key(client, learner):
    other = factories.UserFactory()
    key = Authenticator.objects.create(
        user=other, type=Authenticator.Type.WEBAUTHN, data={"name": "Other's key"}
    )
    sign_in(client, learner)
    confirm_password(client)
    for name in ("mfa_remove_webauthn", "mfa_edit_webauthn"):
        url = reverse(name, kwargs={"pk": key.pk})
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "Mine now"}).status_code == 404
    key.refresh_from_db()
    assert key.data == {"name": "Other's key"}


def test_staff_see_who_has_a_factor_and_can_remove_one_but_never_its_secret(client, staff_user):
    person = factories.UserFactory()
    app = Authenticator.objects.create(
        user=person, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXPSECRET"}
    )
    client.force_login(staff_user)
    change = reverse("admin:mfa_authenticator_change", args=[app.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert person.name in page.content.decode()
    assert "JBSWY3DPEHPK3PXPSECRET" not in page.content.decode()
    assert client.post(change, {"data": "{}"}).status_code == 403
    assert client.get(reverse("admin:mfa_authenticator_add")).status_code == 403
    deleted = client.post(reverse("admin:mfa_authenticator_delete", args=[app.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert not Authenticator.objects.filter(pk=app.pk).exists()


def test_the_organisation_admin_edits_the_setting(client, staff_user):
    organisation = Organisation.objects.create(name="Acme", slug="acme")
    client.force_login(staff_user)
    change = reverse("admin:learners_organisation_change", args=[organisation.pk])
    page = client.get(change)
    assert "Signing in" in page.content.decode()
    form = page.context["adminform"].form
    data = {"name": "Acme", "slug": "acme", "password_accounts_need_second_factor": "on"}
    for inline in page.context["inline_admin_formsets"]:  # teams, and what other apps add
        data |= {
            f"{inline.formset.prefix}-TOTAL_FORMS": 0,
            f"{inline.formset.prefix}-INITIAL_FORMS": 0,
        }
    assert "password_accounts_need_second_factor" in form.fields
    saved = client.post(change, data)
    assert saved.status_code == 302, saved.context["errors"] if saved.context else saved
    organisation.refresh_from_db()
    assert organisation.password_accounts_need_second_factor


# -- in the audit log ---------------------------------------------------------------------------


def test_two_step_sign_in_changes_and_refused_codes_are_in_the_audit_log(
    client, learner, staff_user, django_capture_on_commit_callbacks
):
    from audit.models import AuditEntry

    assert sign_in(client, learner).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals after commit
        secret, _ = activate_app(client)
    sign_out(client)
    sign_in(client, learner)
    wrong = f"{(int(code_now(secret)) + 1) % 1_000_000:06d}"
    client.post(reverse("mfa_authenticate"), {"code": wrong})

    def entries(kind):
        return list(
            AuditEntry.objects.filter(kind=kind).values_list("actor_id", "subject_id", "target")
        )

    # The app and the recovery codes that come with it.
    assert sorted(entries(AuditEntry.Kind.SECOND_FACTOR_ADDED)) == [
        (learner.pk, learner.pk, "recovery_codes"),
        (learner.pk, learner.pk, "totp"),
    ]
    assert entries(AuditEntry.Kind.SECOND_FACTOR_FAILED) == [(learner.pk, learner.pk, "totp")]

    client.force_login(staff_user)  # a lost phone: staff remove the app
    app = Authenticator.objects.get(user=learner, type="totp")
    client.post(reverse("admin:mfa_authenticator_delete", args=[app.pk]), {"post": "yes"})
    assert entries(AuditEntry.Kind.SECOND_FACTOR_REMOVED) == [(staff_user.pk, learner.pk, "totp")]
