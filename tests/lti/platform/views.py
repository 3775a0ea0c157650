"""The LMS's side of LTI 1.3 on lti1p3platform: start a launch (OIDC login initiation), answer
the tool's authentication request with a signed id_token posted to its launch URL, accept deep
linking responses, issue access tokens and serve the grade services' line items and scores.

A launch is started by GET /launch with what the LMS knows (who, which link, its custom
parameters); `hold=1` renders the launch form without submitting it, so a test can edit it.
GET /test/state shows what the platform holds (launches sent, deep links received, line items,
scores: the gradebook) for the tests to read back."""

import json
import os
import threading
import uuid
from html import escape

from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from lti1p3platform.exceptions import LineItemNotFoundException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService

BASE = os.environ["PLATFORM_URL"]
TOOL = os.environ["TOOL_URL"]
CLIENT_ID = os.environ["PLATFORM_CLIENT_ID"]
DEPLOYMENT_ID = os.environ["PLATFORM_DEPLOYMENT_ID"]
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"

LOCK = threading.Lock()
STATE: dict = {"hints": {}, "launches": [], "deep_links": [], "lineitems": {}, "scores": []}


class PlatformRequest(Request):
    def build_metadata(self, request):
        content_type = request.content_type or ""
        return {
            "method": request.method,
            "form_data": request.POST.dict(),
            "get_data": request.GET.dict(),
            "headers": request.headers,
            "content_type": content_type,
            "path": request.path,
            "json": json.loads(request.body) if "json" in content_type and request.body else None,
        }


class Platform(LTI1P3PlatformConfAbstract):
    """One registration: Socialcraft at TOOL, its keys read from its JWKS URL each time (a fresh
    config per request, so a rotated key is seen)."""

    def init_platform_config(self, **kwargs):
        pass

    def get_registration_by_params(self, **kwargs):
        private = os.environ["PLATFORM_PRIVATE_KEY"]
        return (
            Registration()
            .set_iss(BASE)
            .set_client_id(CLIENT_ID)
            .set_deployment_id(DEPLOYMENT_ID)
            .set_oidc_login_url(f"{TOOL}/lti/login/")
            .set_launch_url(f"{TOOL}/lti/launch/")
            .set_deeplink_launch_url(f"{TOOL}/lti/launch/")
            .set_tool_key_set_url(f"{TOOL}/lti/jwks/")
            .set_platform_private_key(private)
            .set_platform_public_key(os.environ["PLATFORM_PUBLIC_KEY"])
        )


def platform() -> Platform:
    config = Platform()
    config.get_registration()
    return config


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs):
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url):
        return HttpResponseRedirect(url)


class Launch(LTIAdvantageMessageLaunchAbstract):
    hold = False

    def render_launch_form(self, launch_data, **kwargs):
        with LOCK:
            STATE["launches"].append(dict(launch_data))
        submit = "" if self.hold else '<script>document.getElementById("launch").submit();</script>'
        return HttpResponse(
            f'<!doctype html><title>LMS launch</title><form id="launch" method="post" '
            f'action="{escape(launch_data["launch_url"])}">'
            f'<textarea name="id_token" aria-label="id_token">{escape(launch_data["id_token"])}'
            f'</textarea><input type="hidden" name="state" value="{escape(launch_data["state"])}">'
            f'<button type="submit">Launch</button></form>{submit}'
        )


def start_launch(request):
    """What a learner's or teacher's click in the LMS does: a message hint remembers the
    launch, and the browser goes to the tool's login initiation URL."""
    spec = {key: request.GET.get(key, "") for key in request.GET}
    hint = uuid.uuid4().hex
    with LOCK:
        STATE["hints"][hint] = spec
    login = Login(PlatformRequest(request), platform())
    login.set_lti_message_hint(hint=hint)
    if spec.get("deep"):
        login.set_deeplinking_launch_url()
    return login.initiate_login(spec.get("user", "learner-1"))


def _lineitem_for_link(context: str, link: str) -> str | None:
    with LOCK:
        for item_id, item in STATE["lineitems"].items():
            if item["context"] == context and item.get("resourceLinkId") == link:
                return item_id
    return None


def _deep_linked(link: str) -> dict:
    """The content item a deep linking response made into this link, if one did."""
    with LOCK:
        for received in STATE["deep_links"]:
            for item in received.get("items", []):
                if item["link_id"] == link:
                    return item
    return {}


def authorize(request):
    """The tool's authentication request (OIDC): answered with a signed launch, posted by the
    browser to the tool's redirect_uri."""
    with LOCK:
        spec = STATE["hints"].get(request.GET.get("lti_message_hint", ""))
    if spec is None:
        return HttpResponse("unknown lti_message_hint", status=400)
    config = platform()
    launch = Launch(PlatformRequest(request), config)
    launch.hold = bool(spec.get("hold"))
    context = spec.get("context", "course-1")
    deep = bool(spec.get("deep"))
    launch.set_user_data(
        spec.get("user", "learner-1"),
        [INSTRUCTOR if deep else LEARNER],
        full_name=spec.get("name") or None,
        email_address=spec.get("email") or None,
    )
    launch.set_launch_context_claim(context, context_title="Social media at work")
    lineitems = f"{BASE}/ags/{context}/lineitems"
    if deep:
        launch.set_dl(f"{BASE}/deep-link-return", title="Add an activity")
        launch.set_ags(lineitems)
    else:
        link = spec.get("link", "link-1")
        launch.set_resource_link_claim(link)
        custom = _deep_linked(link).get("custom") or {}
        if spec.get("track"):
            custom = {"track": spec["track"]}
        if custom:
            launch.set_custom_parameters_claim(custom)
        item = _lineitem_for_link(context, link)
        launch.set_ags(lineitems, f"{lineitems}/{item}" if item else None)
    if spec.get("deployment"):
        launch.set_extra_claims(
            {"https://purl.imsglobal.org/spec/lti/claim/deployment_id": spec["deployment"]}
        )
    return launch.lti_launch()


@csrf_exempt
def deep_link_return(request):
    """The tool's LtiDeepLinkingResponse: verified against the tool's JWKS; each resource link
    becomes a link in the course, with its line item when the tool asked for one."""
    try:
        items = platform().validate_deeplinking_resp(request.POST.dict())
    except Exception as error:  # the test reads what was refused and why
        with LOCK:
            STATE["deep_links"].append({"error": f"{type(error).__name__}: {error}"})
        return HttpResponse(f"Deep linking response refused: {escape(str(error))}", status=400)
    with LOCK:
        for item in items:
            item["link_id"] = f"link-{uuid.uuid4().hex[:8]}"
            if "lineItem" in item:
                item_id = uuid.uuid4().hex[:8]
                STATE["lineitems"][item_id] = {
                    **item["lineItem"],
                    "context": "course-1",
                    "resourceLinkId": item["link_id"],
                }
        STATE["deep_links"].append({"items": items})
    return HttpResponse("<!doctype html><title>Added</title><h1>Activity added</h1>")


def jwks(request):
    return JsonResponse({"keys": platform().get_registration().get_jwks()})


@csrf_exempt
def token(request):
    try:
        return JsonResponse(platform().get_access_token(request.POST.dict()))
    except Exception as error:
        return JsonResponse({"error": "invalid_client", "detail": str(error)}, status=400)


class Grades(AssignmentsGradesService):
    def __init__(self, request, context: str, item: str | None = None):
        base = f"{BASE}/ags/{context}/lineitems"
        super().__init__(
            PlatformRequest(request), platform(), base, f"{base}/{item}" if item else None
        )
        self.context = context

    def find_lineitems(self, page=1, limit=None, **filters):
        with LOCK:
            found = [
                {"id": f"{BASE}/ags/{self.context}/lineitems/{key}", **item}
                for key, item in STATE["lineitems"].items()
                if item["context"] == self.context
                and all(item.get(_camel(k)) == v for k, v in filters.items() if v)
            ]
        return {"content": found, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id):
        with LOCK:
            if line_item_id not in STATE["lineitems"]:
                raise LineItemNotFoundException()
            return {
                "id": f"{BASE}/ags/{self.context}/lineitems/{line_item_id}",
                **STATE["lineitems"][line_item_id],
            }

    def create_lineitem(self, creation_data):
        item_id = uuid.uuid4().hex[:8]
        with LOCK:
            STATE["lineitems"][item_id] = {**creation_data, "context": self.context}
        return self.find_lineitem(item_id)

    def update_lineitem(self, update_data):
        raise NotImplementedError

    def delete_lineitem(self, line_item_id):
        raise NotImplementedError

    def update_score(self, line_item_id, score):
        with LOCK:
            if line_item_id not in STATE["lineitems"]:
                raise LineItemNotFoundException()
            STATE["scores"].append({"lineitem": line_item_id, **score})
        return UpdateScoreStatus.SUCCESS

    def get_results(self, line_item_id, page=1, limit=None, user_id=None):
        with LOCK:
            found = [s for s in STATE["scores"] if s["lineitem"] == line_item_id]
        return {"content": found, "has_next": False, "next": None}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _answer(service: Grades, handler, **kwargs):
    response = service.handle_resp(handler, **kwargs)
    if 200 <= response.code < 300:
        body = response.result.get("content", response.result) if response.result else None
        return JsonResponse(body, status=response.code, safe=False)
    return JsonResponse({"error": response.message}, status=response.code)


@csrf_exempt
def lineitems(request, context):
    service = Grades(request, context)
    if request.method == "POST":
        return _answer(service, service.handle_create_lineitem)
    return _answer(service, service.handle_get_lineitems)


def lineitem(request, context, item):
    service = Grades(request, context, item)
    return _answer(service, service.handle_get_lineitem, line_item_id=item)


@csrf_exempt
def scores(request, context, item):
    service = Grades(request, context, item)
    return _answer(service, service.handle_update_score, line_item_id=item)


def results(request, context, item):
    service = Grades(request, context, item)
    return _answer(service, service.handle_get_results, line_item_id=item)


def state(request):
    with LOCK:
        return JsonResponse(STATE)
