"""LTI 1.3's endpoints: the platform's login initiation, the launch (resource link and deep
linking), the deep linking choice and the tool's key set.

Login initiation and launch are posted or redirected to from the platform's pages, cross-site
by design: they are CSRF-exempt, and the launch's signed id_token, its state (set at login in
this browser) and its single-use nonce are the credential. Every refusal is a page saying what
went wrong and what to tell the LMS administrator, with a 4xx status, never a 500."""

import logging
from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.contrib.auth import login as sign_in
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.csp import CSP
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.lineitem import LineItem

from courses.models import Track

from . import keys, services, tool
from .grades import SCORE_MAXIMUM
from .services import AGS, SCORE_SCOPE, TRACK_PARAMETER, LaunchRefusedError

logger = logging.getLogger(__name__)

CLOCK_SKEW_SECONDS = 5
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"

# reason: (status, what happened, what to tell the LMS administrator)
REASONS = {
    "missing_parameters": (
        400,
        "This sign-in request is missing what an LMS sends.",
        "Open the course from your LMS rather than this address.",
    ),
    "unknown_registration": (
        403,
        "Socialcraft doesn't know the LMS (or the client id) this launch came from.",
        "Ask your LMS administrator to check the issuer and client id registered for "
        "Socialcraft, and your Socialcraft administrator that the registration is active.",
    ),
    "state": (
        400,
        "This launch doesn't match a sign-in started in this browser, or it took too long.",
        "Open the course again from your LMS. If this keeps happening, your browser may block "
        "cookies for Socialcraft: ask your LMS administrator to open Socialcraft in a new "
        "window rather than inside the course page.",
    ),
    "replayed": (
        403,
        "This launch has already been used.",
        "Each launch from the LMS works once. Open the course again from your LMS.",
    ),
    "signature": (
        403,
        "The launch's signature doesn't verify against the LMS's keys.",
        "Ask your LMS administrator to check the public keyset URL registered for the LMS in "
        "Socialcraft. A launch changed on its way is refused this way too.",
    ),
    "expired": (
        403,
        "The launch has expired.",
        "Open the course again from your LMS. If it keeps happening, the LMS's clock and "
        "Socialcraft's disagree: tell your LMS administrator.",
    ),
    "deployment": (
        403,
        "The LMS launched from a deployment Socialcraft doesn't know.",
        "Ask your Socialcraft administrator to add the deployment id to the LMS's registration.",
    ),
    "platform_keys": (
        400,
        "Socialcraft couldn't read the LMS's public keys to check this launch.",
        "Try again in a minute; if it keeps happening, ask your LMS administrator to check the "
        "public keyset URL registered in Socialcraft.",
    ),
    "malformed": (
        400,
        "The launch couldn't be read.",
        "Open the course again from your LMS; if it keeps happening, tell your LMS "
        "administrator which link you used.",
    ),
    "unsupported": (
        400,
        "Socialcraft doesn't handle this kind of LTI message.",
        "Socialcraft takes resource link and deep linking launches only.",
    ),
    "no_track": (
        400,
        "This link doesn't say which Socialcraft track to open.",
        f"Ask your course's teacher to add the link again through Socialcraft's picker (deep "
        f"linking), or to set the custom parameter {TRACK_PARAMETER}=<track slug>.",
    ),
    "unknown_track": (
        400,
        "The track this link names isn't published on Socialcraft.",
        "Ask your course's teacher to choose the track again through Socialcraft's picker.",
    ),
    "no_subject": (
        400,
        "The LMS didn't say who you are.",
        "Tell your LMS administrator: the launch has no user id (sub).",
    ),
    "staff": (
        403,
        "Socialcraft staff accounts don't sign in through an LMS.",
        "Sign in to Socialcraft directly.",
    ),
    "other_organisation": (
        403,
        "Your address belongs to a Socialcraft account outside this LMS's organisation.",
        "Sign in to Socialcraft directly, or ask your Socialcraft administrator to move your "
        "account.",
    ),
    "inactive": (
        403,
        "Your Socialcraft account is deactivated.",
        "Ask your organisation's Socialcraft administrator.",
    ),
    "deep_link_expired": (
        400,
        "This choice took too long, or was already made.",
        "Start adding the activity again from your LMS.",
    ),
}


def _reason_for(error: Exception) -> str:
    """pylti1p3 says what failed only in its messages."""
    message = str(error)
    if isinstance(error, OIDCException):
        if "registration" in message:
            return "unknown_registration"
        return "missing_parameters"
    if "Registration not found" in message or "Client id not registered" in message:
        return "unknown_registration"
    if "state" in message.lower() or "cookie" in message.lower():
        return "state"
    if "nonce" in message.lower():
        return "state"  # a nonce this site never issued: not a sign-in started here
    if "fetch URL" in message or "Must be JSON" in message:
        return "platform_keys"
    if "expired" in message.lower():
        return "expired"
    if "deployment" in message.lower():
        return "deployment"
    if "Can't decode id_token" in message or "public key" in message or "KID" in message:
        return "signature"
    if "message type" in message or "Unrecognized" in message:
        return "unsupported"
    return "malformed"


def refused(request, reason: str, *, registration=None, detail: str = ""):
    status, problem, advice = REASONS[reason]
    services.record_refusal(registration=registration, reason=reason, request=request)
    logger.info("LTI launch refused: %s %s", reason, detail)
    return render(
        request,
        "lti/refused.html",
        {"problem": problem, "advice": advice, "reason": reason, "detail": detail},
        status=status,
    )


def _launch_url(request) -> str:
    return request.build_absolute_uri(reverse("lti:launch"))


@csrf_exempt  # the platform sends the browser here from its own pages (GET or POST)
@never_cache
@require_http_methods(["GET", "POST"])
def login(request):
    """OIDC login initiation: back to the platform's authorisation endpoint with a new state
    (a cookie in this browser) and nonce; the platform then posts the launch."""
    conf = tool.ToolConf()
    try:
        return tool.oidc_login(request, conf).redirect(_launch_url(request))
    except (LtiException, OIDCException) as error:
        return refused(request, _reason_for(error), detail=str(error)[:200])


def _validated(request, conf: tool.ToolConf):
    try:
        launch = tool.message_launch(request, conf)
        claims = launch.get_launch_data()
    except (LtiException, OIDCException) as error:
        raise LaunchRefusedError(_reason_for(error), str(error)[:200]) from error
    except (ValueError, TypeError, KeyError, AttributeError, jwt.PyJWTError) as error:
        raise LaunchRefusedError("malformed", f"{type(error).__name__}: {error}"[:200]) from error
    services.use_nonce(
        issuer=conf.found.issuer, nonce=str(claims.get("nonce")), expires=claims.get("exp")
    )
    return launch, claims


@csrf_exempt  # posted by the platform's page (form_post): the signed id_token is the credential
@never_cache
@require_POST
def launch(request):
    conf = tool.ToolConf()
    try:
        message, claims = _validated(request, conf)
        if message.is_deep_link_launch():
            return _deep_link_page(request, conf.found, message.get_launch_id())
        if not message.is_resource_launch():
            raise LaunchRefusedError("unsupported")
        arrival = services.arrive(registration=conf.found, claims=claims, request=request)
    except LaunchRefusedError as refusal:
        return refused(request, refusal.reason, registration=conf.found, detail=refusal.detail)
    sign_in(request, arrival.user, backend=settings.AUTHENTICATION_BACKENDS[0])
    return redirect(arrival.track.get_absolute_url())


def _deep_link_page(request, registration, launch_id: str, status: int = 200):
    tracks = Track.objects.published().order_by("position", "title")
    return render(
        request,
        "lti/deep_link_choose.html",
        {"registration": registration, "launch_id": launch_id, "tracks": tracks},
        status=status,
    )


@never_cache
@require_POST
def deep_link_choose(request):
    """The track a teacher chose: back to the platform as a signed LtiDeepLinkingResponse (an
    ltiResourceLink naming the track, with a line item when the platform offers grades)."""
    conf = tool.ToolConf()
    try:
        message = tool.launch_from_cache(request.POST.get("launch_id", ""), request, conf)
        claims = message.get_launch_data()
    except LtiException:
        return refused(request, "deep_link_expired")
    if not message.is_deep_link_launch():
        return refused(request, "unsupported", registration=conf.found)
    track = Track.objects.published().filter(slug=request.POST.get("track", "")).first()
    if track is None:
        launch_id = message.get_launch_id()
        return _deep_link_page(request, conf.found, launch_id, status=400)
    resource = (
        DeepLinkResource()
        .set_url(_launch_url(request))
        .set_title(track.title)
        .set_custom_params({TRACK_PARAMETER: track.slug})
    )
    if SCORE_SCOPE in ((claims.get(AGS) or {}).get("scope") or []):
        resource.set_lineitem(
            LineItem()
            .set_label(track.title)
            .set_score_maximum(SCORE_MAXIMUM)
            .set_resource_id(track.slug)
        )
    deep_link = message.get_deep_link()
    return_url = claims[DEEP_LINKING_SETTINGS]["deep_link_return_url"]
    response = render(
        request,
        "lti/deep_link_return.html",
        {
            "return_url": return_url,
            "jwt": _signed_response(deep_link, resource),
            "track": track,
            "registration": conf.found,
        },
    )
    # The form goes back to the platform: this page alone may post there, and only there.
    parts = urlsplit(return_url)
    response._csp_config = {
        **settings.SECURE_CSP,
        "form-action": [CSP.SELF, f"{parts.scheme}://{parts.netloc}"],
    }
    return response


def _signed_response(deep_link, resource) -> str:
    """The LtiDeepLinkingResponse JWT, issued a few seconds in the past: a platform whose clock
    is a little behind ours would otherwise refuse it as "not yet valid" (pylti1p3's own grade
    service tokens are backdated the same way)."""
    message = deep_link.get_message_jwt([resource])
    message["iat"] -= CLOCK_SKEW_SECONDS
    return deep_link.encode_jwt(message)


@require_GET
def jwks(request):
    """The tool's public keys (every key not retired), for platforms to verify its signatures."""
    response = JsonResponse(keys.jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response
