"""Two-step sign-in, enforced: someone who must have a second factor and has none is sent to
set one up before anything else (issue 24, item 2).

Who must is learners.selectors.second_factor_required. The check reads what the signed-in user
was loaded with (learners.backends), so it adds no query. It runs in process_view, where the
URL is resolved: the pages needed to set a factor up, to prove who you are on the way, to
verify the address allauth asks for first, and to sign out stay open, as do the probes.
"""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from . import selectors

SETUP_URL_NAME = "mfa_index"
OPEN_WITHOUT_SECOND_FACTOR = frozenset(
    {
        # setting a factor up: the app (with its recovery codes) or a security key/passkey
        "mfa_index",
        "mfa_activate_totp",
        "mfa_view_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_add_webauthn",
        "mfa_list_webauthn",
        # allauth asks for the password (or an emailed code) again before a factor is added
        "account_reauthenticate",
        "account_request_reauthentication_code",
        "account_confirm_reauthentication_code",
        "mfa_reauthenticate",
        "mfa_reauthenticate_webauthn",
        # and for a verified address
        "account_email",
        "account_confirm_email",
        "account_email_verification_sent",
        # leaving, and the machines' URLs
        "account_logout",
        "admin:logout",
        "healthz",
        "healthz_live",
        "healthz_ready",
        "security_txt",
        "security_policy",
    }
)
MESSAGE = (
    "Your account needs two-step sign-in. Set up an authenticator app (or a passkey, if your "
    "device offers one) to carry on."
)


def _wants_data(request) -> bool:
    """A download or a script's request: it gets a refusal it can read, not a page."""
    if "." in request.path.rstrip("/").rsplit("/", 1)[-1]:  # /me/data.json, /team/export.csv
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.resolver_match.view_name in OPEN_WITHOUT_SECOND_FACTOR:
            return None
        if not selectors.second_factor_missing(user):
            return None
        if _wants_data(request):
            return JsonResponse(
                {"error": "second_factor_required", "setup_url": reverse(SETUP_URL_NAME)},
                status=403,
            )
        messages.warning(request, MESSAGE)
        return redirect(SETUP_URL_NAME)
