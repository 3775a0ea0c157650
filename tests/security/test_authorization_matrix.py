"""The authorization matrix: every URL in the resolver × six roles × GET and POST.

`MATRIX` is the one declared table of what each role gets from each URL, requested with
learner A's objects (A's attempt, A's submission, A's certificate, an invitation and a track
assignment of A's team, A's unsubscribe link). A URL name missing from the table fails the
test, so a new view can't ship without someone deciding who may use it.

Outcomes: a status code, LOGIN (302 to the sign-in page), ADMIN_LOGIN (302 to the admin's
sign-in, which sends people on to allauth) or REDIRECT (302 anywhere else: the action was done
or refused with a message on the page it leads to).

How the third-party URLs are treated:
- allauth (`ALLAUTH` rows) is pinned as it behaves: its pages are public or need a session, and
  a signed-in visitor is sent away from the sign-in and sign-up pages. They are listed one by
  one, so an allauth upgrade that adds a view shows up here.
- The admin's standard pages for each registered model (changelist, add, change, delete,
  history, and the unnamed "<id>/" redirect) come from `ADMIN_MODELS`, which declares each
  registered model's profile (full, read-only, protected by learners' records). Everyone but
  staff is sent to the admin's sign-in. Registering a model without declaring it fails, and
  every custom admin URL (`ADMIN_EXTRA`) is listed one by one like the site's own.

Each request runs in a savepoint that is rolled back, so a POST (a revoked invitation, a
review) can't change what the next request sees.
"""

import copy
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from tests.security import urlwalk
from tests.security.urlwalk import ADMIN_LOGIN, LOGIN, REDIRECT
from tests.security.world import ROLES, build_world

pytestmark = pytest.mark.django_db

L, AL, R = LOGIN, ADMIN_LOGIN, REDIRECT


def every(outcome) -> tuple:
    return (outcome,) * len(ROLES)


def signed_in(outcome, anonymous=L) -> tuple:
    return (anonymous, *(outcome,) * (len(ROLES) - 1))


#               anonymous  learner A  learner B  manager  other mgr  staff
MANAGERS_ONLY = (L, 403, 403, 200, 200, 200)
MANAGERS_POST_ONLY = (L, 403, 403, 405, 405, 405)
A_TEAM_ACTION = (L, 403, 403, R, 404, R)  # on A's team's object: other managers get 404

API_TOKEN_ONLY = (
    "person-list", "person-detail", "team-list", "team-detail", "assignment-list",
    "assignment-detail", "enrolment-list", "enrolment-detail", "quiz-result-list",
    "certificate-list", "certificate-detail", "clearance-list",
)  # fmt: skip

# name: (GET by each role, POST by each role), roles in the order of ROLES.
MATRIX: dict[str, tuple[tuple, tuple]] = {
    # -- the site ---------------------------------------------------------------------------
    "healthz": (every(200), every(200)),
    "healthz_live": (every(200), every(405)),  # probes for load balancers: GET only
    "healthz_ready": (every(200), every(405)),
    "security_txt": (every(200), every(405)),
    "security_policy": (every(200), every(405)),
    "courses:catalogue": (every(200), every(200)),
    "profile": (signed_in(200), signed_in(400)),  # POST: empty form, refused
    "profile_delete": (signed_in(200), signed_in(400)),  # POST: no password, refused
    "placement": (signed_in(200), signed_in(200)),
    "placement_result": (signed_in(R), signed_in(R)),  # no placement yet: back to step 1
    "progress:me": (signed_in(200), signed_in(200)),
    "progress:my_data": (signed_in(200), signed_in(200)),  # each person's own data only
    "progress:start_track": (signed_in(405), signed_in(R)),
    "progress:track": (every(200), every(200)),  # public outline
    "progress:lesson": (signed_in(200), signed_in(200)),
    "progress:complete_lesson": (signed_in(405), signed_in(R)),
    "progress:quiz": (signed_in(200), signed_in(400)),  # POST: no token, refused
    "progress:quiz_result": ((L, 200, 404, 404, 404, 404), (L, 200, 404, 404, 404, 404)),
    # POST {"text"}: A's earlier version awaits review (a message, 200); others submit theirs.
    "progress:assignment": (signed_in(200), (L, 200, R, R, R, R)),
    # POST a valid review: A can't review their own work; A's manager and staff can.
    "progress:submission": ((L, 200, 404, 200, 404, 200), (L, R, 404, R, 404, R)),
    "progress:certificate": (every(200), every(200)),  # public verification
    "progress:certificate_pdf": (every(200), every(200)),  # the same, as a file
    "credentials:credential": (every(200), every(405)),  # the same, as a signed credential
    "credentials:status_list": (every(200), every(405)),  # what verifiers read: revoked or not
    "ledger:unsubscribe": (every(200), every(200)),  # the signed link is the credential
    "notifications:practice_answer": (every(200), every(200)),  # the signed link is the credential
    "notifications:inbox": (signed_in(200), signed_in(R)),  # each person's own; POST: all read
    "notifications:open_notice": (signed_in(405), (L, R, 404, 404, 404, 404)),  # A's notice
    # POST signed in: the invitation is for another address, refused with a message.
    "teams:invitation": (every(200), (200, R, R, R, R, R)),
    "teams:start": (signed_in(R), signed_in(405)),  # where sign-in leads, by role
    "teams:team": (MANAGERS_ONLY, MANAGERS_ONLY),  # each manager sees their own teams
    "teams:team_export": (MANAGERS_ONLY, MANAGERS_ONLY),
    # A's page: A's manager and staff; another manager gets 404 (A isn't in their teams).
    "teams:person": ((L, 403, 403, 200, 404, 200), MANAGERS_POST_ONLY),
    "teams:team_reviews": (MANAGERS_ONLY, MANAGERS_ONLY),  # and reviewers an organisation named
    "teams:team_nudge": (MANAGERS_POST_ONLY, A_TEAM_ACTION),
    # POST granting A an attempt at a quiz that doesn't exist in the world: 404 for all managers;
    # A is not in the other manager's teams, which is a 404 before the quiz is looked up.
    "teams:team_attempts": (MANAGERS_ONLY, (L, 403, 403, 404, 404, 404)),
    # POST inviting to A's team: the other manager's form has no such team (400).
    "teams:team_invitations": (MANAGERS_ONLY, (L, 403, 403, R, 400, R)),
    "teams:team_invitation_resend": (MANAGERS_POST_ONLY, A_TEAM_ACTION),
    "teams:team_invitation_revoke": (MANAGERS_POST_ONLY, A_TEAM_ACTION),
    # POST assigning a track to A: the other manager's form has no such learner (400).
    "teams:team_assignments": (MANAGERS_ONLY, (L, 403, 403, R, 400, R)),
    "teams:team_assignment_change": (MANAGERS_POST_ONLY, A_TEAM_ACTION),
    "progress:renew_certificate": (signed_in(405), (L, R, 404, 404, 404, 404)),  # A's own only
    # -- governance: the policy (its owner is A's manager), the roster, content freshness --
    "governance:policy": (signed_in(200), signed_in(404)),
    "governance:policy_edit": ((L, 403, 403, 200, 403, 200), (L, 403, 403, 200, 403, 200)),
    # POST promoting A's submission: it isn't approved, so even its owner is refused (403).
    "governance:policy_promote": (signed_in(405), (L, 403, 404, 403, 404, 403)),
    "governance:roster": (MANAGERS_ONLY, MANAGERS_ONLY),  # each sees their own organisation
    "governance:roster_csv": (MANAGERS_ONLY, MANAGERS_ONLY),
    "governance:freshness": ((L, 403, 403, 403, 403, 200), (L, 403, 403, 403, 403, 200)),
    # -- the audit log: the manager owns A's organisation's policy; staff see every entry --
    "audit:log": ((L, 403, 403, 200, 403, 200), signed_in(405)),
    "audit:export": ((L, 403, 403, 200, 403, 200), signed_in(405)),
    # -- practice in public: A's post (waiting for the manager's review), journal, portfolio --
    "practice:studio": (signed_in(200), signed_in(400)),  # each person's own composer
    "practice:studio_preview": (signed_in(405), signed_in(200)),
    "practice:studio_post": ((L, 200, 404, 404, 404, 404), (L, 400, 404, 404, 404, 404)),
    "practice:studio_request_review": (signed_in(405), (L, R, 404, 404, 404, 404)),
    "practice:studio_log_published": (signed_in(405), (L, 400, 404, 404, 404, 404)),
    "practice:studio_reviews": (signed_in(200), signed_in(200)),  # each reviewer's own queue
    # Only the reviewer A asked (the manager); not even staff.
    "practice:studio_review": ((L, 404, 404, 200, 404, 404), (L, 404, 404, 200, 404, 404)),
    "practice:journal": (signed_in(200), signed_in(200)),
    "practice:journal_profiles": (signed_in(405), signed_in(400)),
    "practice:journal_profile": (signed_in(405), (L, R, 404, 404, 404, 404)),
    "practice:journal_snapshots": (signed_in(405), signed_in(400)),
    "practice:journal_evidence": (signed_in(200), signed_in(200)),
    "practice:journal_evidence_item": (signed_in(405), (L, R, 404, 404, 404, 404)),
    "practice:journal_portfolio": (signed_in(200), signed_in(200)),
    "practice:portfolio": (every(200), every(200)),  # A switched it on: public
    "practice:team_growth": (MANAGERS_ONLY, MANAGERS_ONLY),
    # -- SCIM provisioning: a bearer token per organisation, never a session (tests/provisioning)
    "scim:root": (every(401), every(405)),  # GET: a search of every type, which needs a token
    "scim:endpoint": (every(401), every(401)),  # /scim/v2/Users with no token: 401 for everyone
    # -- the reporting API: a bearer token per organisation, never a session (tests/api) ----
    # Its root, OpenAPI document and Swagger page are public (no data); POST: read only.
    "api:root": (every(200), every(405)),
    "api:schema": (every(200), every(405)),
    "api:docs": (every(200), every(405)),
    "api:not_found": (every(404), every(404)),  # any other /api/ URL: a 404 in JSON
    # No token: 401 for everyone, before the method is looked at.
    **{f"api:{name}": (every(401), every(401)) for name in API_TOKEN_ONLY},
    # “Continue with your company account”: the address form; POST without one shows the form.
    "company_sign_in": (every(200), every(200)),
    # An organisation's OpenID Connect sign-in (allauth): no such organisation here.
    "openid_connect_login": (every(404), every(404)),
    "openid_connect_callback": (every(404), every(404)),
    # An organisation's SAML sign-in (allauth): no such organisation here either.
    "saml_acs": (every(R), every(R)),  # kept, then on to acs/finish/, which finds no app
    "saml_finish_acs": (every(404), every(404)),
    "saml_login": (every(404), every(404)),
    "saml_metadata": (every(404), every(404)),
    "saml_sls": (every(404), every(404)),
    # -- LTI 1.3 (tests/lti): what an LMS sends, cross-site; nothing here for a bare request --
    "lti:login": (every(400), every(400)),  # no issuer, no login hint: a page that says so
    "lti:launch": (every(405), every(400)),  # POST with no state or id_token: refused, 400
    "lti:deep_link_choose": (every(405), every(400)),  # no launch behind it: refused
    "lti:jwks": (every(200), every(405)),  # the tool's public keys, for platforms to verify
}

# -- allauth, pinned as it behaves ------------------------------------------------------------
SENT_AWAY_WHEN_SIGNED_IN = (200, R, R, R, R, R)
ALLAUTH: dict[str, tuple[tuple, tuple]] = {
    "account_login": (SENT_AWAY_WHEN_SIGNED_IN, SENT_AWAY_WHEN_SIGNED_IN),
    "account_signup": (SENT_AWAY_WHEN_SIGNED_IN, SENT_AWAY_WHEN_SIGNED_IN),
    "account_logout": ((R, 200, 200, 200, 200, 200), every(R)),
    "account_reauthenticate": (signed_in(200), signed_in(200)),
    "account_change_password": (signed_in(200), signed_in(200)),
    "account_set_password": (signed_in(R), signed_in(R)),  # they have one: go to "change"
    "account_email": (signed_in(200), signed_in(R)),
    "account_confirm_login_code": (signed_in(R), signed_in(R)),
    # Reauthentication by an emailed code (allauth 65.22, on by default beside the password):
    # the signed-in person asks for a code to their own verified address (POST without a
    # choice re-shows the form); confirming needs a pending request, so it sends them back.
    "account_request_reauthentication_code": (signed_in(200), signed_in(200)),
    "account_confirm_reauthentication_code": (signed_in(R), signed_in(R)),
    "account_inactive": (every(200), every(405)),
    # The page for the code emailed at sign-up needs a sign-up in progress: without one,
    # visitors go to sign in and signed-in people are sent on.
    "account_email_verification_sent": ((L, R, R, R, R, R), (L, R, R, R, R, R)),
    "account_reset_password": (every(200), every(200)),
    "account_reset_password_done": (every(200), every(405)),
    "account_reset_password_from_key": (every(200), every(200)),  # a made-up key
    "account_reset_password_from_key_done": (every(200), every(405)),
    "socialaccount_connections": (signed_in(200), signed_in(200)),
    "socialaccount_login_cancelled": (every(200), every(405)),
    "socialaccount_login_error": (every(401), every(405)),
    "socialaccount_signup": (every(L), every(L)),  # only in the middle of a provider sign-in
    # Two-step sign-in (allauth.mfa; issue 24, item 2): each person's own factors only, and
    # nobody here has one yet. Adding or changing one first asks for the password again (a
    # forced login isn't a recent sign-in): redirected. tests/learners/test_mfa.py goes further.
    "mfa_index": (signed_in(200), signed_in(405)),
    "mfa_activate_totp": (signed_in(R), signed_in(R)),
    "mfa_deactivate_totp": (signed_in(404), signed_in(404)),  # no app to deactivate
    "mfa_view_recovery_codes": (signed_in(404), signed_in(405)),  # no codes yet
    "mfa_download_recovery_codes": (signed_in(404), signed_in(404)),
    "mfa_generate_recovery_codes": (signed_in(R), signed_in(R)),
    "mfa_list_webauthn": (signed_in(200), signed_in(405)),
    "mfa_add_webauthn": (signed_in(R), signed_in(R)),
    "mfa_edit_webauthn": (signed_in(R), signed_in(R)),  # someone else's key: test_mfa.py
    "mfa_remove_webauthn": (signed_in(R), signed_in(R)),
    # Only in the middle of a sign-in (the code step) or a re-authentication: sent away.
    "mfa_authenticate": (signed_in(R), signed_in(R)),
    "mfa_reauthenticate": (signed_in(R), signed_in(R)),
    "mfa_reauthenticate_webauthn": (signed_in(R), signed_in(R)),
    # "Sign in with a passkey" posts here from the sign-in page; a bare visit goes back there.
    "mfa_login_webauthn": (signed_in(R), signed_in(R)),
    "accounts/social/connections/": (every(R), every(R)),  # old paths, redirected
    "accounts/social/login/cancelled/": (every(R), every(R)),
    "accounts/social/login/error/": (every(R), every(R)),
    "accounts/social/signup/": (every(R), every(R)),
}
MATRIX.update(ALLAUTH)


# -- the admin ----------------------------------------------------------------------------------
def staff_only(get, post) -> tuple[tuple, tuple]:
    """Everyone but staff goes to the admin's sign-in; staff get `get` and `post`."""
    return ((*(AL,) * (len(ROLES) - 1), get), (*(AL,) * (len(ROLES) - 1), post))


# Staff outcomes (GET, POST) of each standard page of a registered model, by profile. POSTs
# carry no data: the add and change forms come back with errors, delete asks to confirm.
FULL = {
    "changelist": (200, 200),
    "add": (200, 200),
    "change": (200, 200),
    "delete": (200, 200),
    "history": (200, 200),
    "<id>/": (R, R),
}
PROTECTED = {**FULL, "delete": (409, 409)}  # learners' records: archive, don't delete
READ_ONLY = {**FULL, "add": (403, 403), "change": (200, 403), "delete": (403, 403)}
NO_ROW = {**FULL, "change": (R, R), "delete": (R, R), "history": (R, R)}  # none in the world
RECORD_NO_ROW = {**NO_ROW, "add": (403, 403)}  # made by people, never in the admin
# Content of a published track is live: read-only, changed through the lesson's draft.
LIVE = {**PROTECTED, "change": (200, 403)}
LIVE_PART = {**FULL, "change": (200, 403), "delete": (R, R)}  # removed in the draft

ADMIN_MODELS = {
    "account.emailaddress": FULL,
    "audit.auditentry": READ_ONLY,  # append-only: staff read the log, nobody edits it
    "auth.group": FULL,
    "courses.lesson": LIVE,
    "courses.module": PROTECTED,
    "courses.practiceassignment": LIVE,
    "courses.question": LIVE_PART,
    "courses.quiz": LIVE,
    "courses.role": FULL,
    "courses.track": PROTECTED,
    "governance.bannedterm": NO_ROW,
    "governance.clearancelevel": NO_ROW,
    "learners.invitation": FULL,
    "learners.membership": FULL,
    "learners.organisation": FULL,
    "governance.policy": NO_ROW,
    "governance.policyacknowledgement": RECORD_NO_ROW,
    "governance.policyowner": FULL,
    "governance.policyversion": NO_ROW,
    "learners.preferences": FULL,
    "learners.team": FULL,
    "learners.trackassignment": FULL,
    "learners.user": FULL,
    # Second factors: staff see who has which and may remove one; people add their own.
    "mfa.authenticator": RECORD_NO_ROW,
    # Ledgers and learners' records: history, looked at, never edited in the admin.
    "progress.attemptgrant": NO_ROW,
    # SCIM: tokens are created and revoked, never edited or deleted; provisioned people are
    # written by the organisation's identity provider only.
    "provisioning.scimtoken": {**NO_ROW, "delete": (403, 403)},
    "provisioning.companysignin": NO_ROW,
    # Reporting API tokens: the same (created, revoked, never edited or deleted).
    "api.apitoken": {**NO_ROW, "delete": (403, 403)},
    # Webhooks: endpoints set up by staff; the delivery log is read only.
    "integrations.webhookendpoint": NO_ROW,
    "integrations.webhookdelivery": {**RECORD_NO_ROW, "delete": (403, 403)},
    # Credential keys are made on first use and rotated, never edited or deleted; what each
    # certificate's credential fixed is a record.
    "credentials.issuerkey": {**RECORD_NO_ROW, "delete": (403, 403)},
    "credentials.issuedcredential": {**RECORD_NO_ROW, "delete": (403, 403)},
    # xAPI: learning record stores set up by staff; the statement log is read only.
    "integrations.learningrecordstore": NO_ROW,
    "integrations.statementdelivery": {**RECORD_NO_ROW, "delete": (403, 403)},
    # LTI: registrations set up by staff; keys made on first use and rotated; who each
    # platform's people are and where grades go are records.
    "lti.platformregistration": NO_ROW,
    "lti.toolkey": {**RECORD_NO_ROW, "delete": (403, 403)},
    "lti.ltiidentity": {**RECORD_NO_ROW, "delete": (403, 403)},
    "lti.gradetarget": {**RECORD_NO_ROW, "delete": (403, 403)},
    "provisioning.provisionedperson": {
        **RECORD_NO_ROW,
        "delete": (403, 403),
    },  # staff grant extra attempts here; a grant is never edited
    "progress.certificate": READ_ONLY,
    "ledger.emailoptout": READ_ONLY,
    "progress.enrolment": READ_ONLY,
    "practice.evidence": READ_ONLY,
    "ledger.message": READ_ONLY,
    "practice.practicepost": READ_ONLY,
    "progress.quizattempt": READ_ONLY,
    "progress.quizstatistics": READ_ONLY,  # item analysis: a report, nothing to save
    "progress.submission": READ_ONLY,
    "sites.site": FULL,
    "socialaccount.socialaccount": NO_ROW,  # no provider is configured in the tests
    "socialaccount.socialapp": NO_ROW,
    "socialaccount.socialtoken": NO_ROW,
}

ADMIN_EXTRA: dict[str, tuple[tuple, tuple]] = {
    "admin:index": staff_only(200, 200),
    "admin:app_list": staff_only(200, 200),
    "admin:login": ((L, 403, 403, 403, 403, R), (L, 403, 403, 403, 403, 200)),
    "admin:logout": ((R, R, R, R, R, 405), (R, R, R, R, R, 200)),
    "admin:password_change": staff_only(200, 200),
    "admin:password_change_done": staff_only(200, 405),
    "admin:jsi18n": staff_only(200, 405),
    "admin:autocomplete": staff_only(403, 405),  # no field named: refused
    "admin:view_on_site": staff_only(R, R),
    "admin/(?P<url>.*)$": staff_only(404, 404),
    "admin:auth_user_password_change": staff_only(200, 200),
    "admin:ledger_message_html": staff_only(200, 200),
    "admin:progress_quizstatistics_csv": staff_only(200, 405),
    "admin:courses_lesson_preview": staff_only(200, 200),
    "admin:courses_lesson_draft": staff_only(200, R),  # POST without an action: back to the page
    "admin:courses_lesson_markdown_preview": staff_only(405, 200),
    "admin:courses_track_export": staff_only(200, 200),
    "admin:courses_track_import": staff_only(200, 400),  # POST: no file
    **{
        f"admin:courses_{model}_{action}": staff_only(405, R)
        for model, actions in {
            "lesson": ("archive", "restore"),
            "module": ("archive", "restore"),
            "practiceassignment": ("archive", "restore"),
            "quiz": ("archive", "restore"),
            "track": ("archive", "restore", "duplicate", "publish", "unpublish"),
        }.items()
        for action in actions
    },
}


def admin_rows() -> dict[str, tuple[tuple, tuple]]:
    rows = dict(ADMIN_EXTRA)
    for label, profile in ADMIN_MODELS.items():
        app_label, model_name = label.split(".")
        for page, (get, post) in profile.items():
            if page == "<id>/":
                key = f"admin/{app_label}/{model_name}/<path:object_id>/"
            else:
                key = f"admin:{app_label}_{model_name}_{page}"
            rows[key] = staff_only(get, post)
    return rows


MATRIX.update(admin_rows())


# -- what each POST carries ---------------------------------------------------------------------
def post_data(key: str, world) -> dict:
    a, track = world.a, world.track
    if key == "progress:assignment":
        return {"text": "Some new work", "submit": "1"}
    if key == "progress:submission":
        data = {"outcome": "approved", "feedback": "Well done."}
        data.update({f"criterion_{c.pk}": 1 for c in world.lesson.assignment.rubric.all()})
        return data
    if key == "teams:team_nudge":
        return {"learner": a.pk, "track": track.pk}
    if key == "teams:team_invitations":
        return {"team": world.extra["team"].pk, "emails": "someone.new@example.com"}
    if key == "teams:team_assignments":
        return {"track": track.pk, "learner": a.pk}
    if key == "teams:team_assignment_change":
        return {"due_date": (timezone.localdate() + timedelta(days=30)).isoformat()}
    return {}


# Pages whose link is A's own credential (a signed token) may show A's address to its holder.
MAY_SHOW_A_TO_ANYONE = {"ledger:unsubscribe"}
NOT_ENTITLED_TO_A = ("anonymous", "learner_b", "other_manager")


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def clients(world):
    clients = {}
    for role in ROLES:
        clients[role] = Client(raise_request_exception=False)
        if role != "anonymous":
            clients[role].force_login(world.users[role])
    return clients


def request_in_savepoint(client, method: str, url: str, data: dict):
    """One request whose writes are rolled back; the client stays signed in afterwards.

    Returns the response and its body (read inside the savepoint, streamed or not)."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        response = client.generic(method, url) if method == "GET" else client.post(url, data)
        if getattr(response, "streaming", False):
            body = b"".join(response.streaming_content)
        else:
            body = response.content
        transaction.set_rollback(True)
    client.cookies = cookies
    return response, body.decode(errors="replace")


def test_every_url_name_has_a_row_and_every_row_a_url():
    routes = set(urlwalk.all_routes())
    registered = urlwalk.registered_admin_models()
    assert registered - set(ADMIN_MODELS) == set(), "declare these models' admin profile"
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert missing == [], f"URL names without a row in MATRIX: {missing}"
    assert stale == [], f"rows in MATRIX for URLs that no longer exist: {stale}"


def test_every_role_gets_what_the_matrix_says(world, clients):
    routes = urlwalk.all_routes()
    mismatches, leaks = [], []
    checked = 0
    for key, (expected_get, expected_post) in sorted(MATRIX.items()):
        if key not in routes:
            continue  # reported by the test above
        url = urlwalk.url_for(routes[key], world)
        for method, expected in (("GET", expected_get), ("POST", expected_post)):
            for role, wanted in zip(ROLES, expected, strict=True):
                response, body = request_in_savepoint(
                    clients[role], method, url, post_data(key, world) if method == "POST" else {}
                )
                got = urlwalk.classify(response)
                checked += 1
                if got != wanted:
                    mismatches.append(f"{method} {key} as {role}: expected {wanted}, got {got}")
                if role in NOT_ENTITLED_TO_A and key not in MAY_SHOW_A_TO_ANYONE:
                    secrets = (world.a.email, world.submission.text_markdown)
                    leaks += [f"{method} {key} as {role}: {s!r}" for s in secrets if s in body]
    assert mismatches == []
    assert leaks == []
    assert checked == len(MATRIX) * len(ROLES) * 2


def test_post_only_views_answer_405_to_get(world, clients):
    """Every view that changes something only on POST says so to a GET (no side effects)."""
    post_only = [
        key
        for key, (get, _) in MATRIX.items()
        if any(outcome == 405 for outcome in get) and not key.startswith("admin")
    ]
    assert {
        "progress:start_track",
        "progress:complete_lesson",
        "teams:team_nudge",
        "teams:team_invitation_resend",
        "teams:team_invitation_revoke",
        "teams:team_assignment_change",
    } <= set(post_only)
    for key in post_only:
        get, _ = MATRIX[key]
        assert all(outcome in (405, L, 403) for outcome in get), key


def test_admin_login_is_never_offered_to_signed_in_non_staff():
    get, post = MATRIX["admin:login"]
    assert get[1:-1] == post[1:-1] == (403,) * (len(ROLES) - 2)


def test_matrix_has_no_url_open_to_everyone_by_accident():
    """The URLs anyone may open are a short, reviewed list."""
    public = {key for key, (get, _) in MATRIX.items() if get[0] == 200}
    assert public == {
        "healthz",
        "healthz_live",
        "healthz_ready",
        "security_txt",
        "security_policy",
        "courses:catalogue",
        "progress:track",
        "progress:certificate",
        "progress:certificate_pdf",
        "credentials:credential",
        "credentials:status_list",
        "lti:jwks",
        "ledger:unsubscribe",
        "notifications:practice_answer",
        "teams:invitation",
        "practice:portfolio",
        "account_login",
        "account_signup",
        "company_sign_in",
        "account_inactive",
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
        "socialaccount_login_cancelled",
        # The reporting API's list of endpoints, OpenAPI document and Swagger page: no data.
        "api:root",
        "api:schema",
        "api:docs",
    }
