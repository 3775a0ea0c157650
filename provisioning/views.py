"""The SCIM endpoint: one view hands every request under /scim/v2/ to scim2-server, with the
storage of the organisation whose token it carries."""

import json
import logging

from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from scim2_models import SCIMException, UnauthorizedException
from scim2_server.requests import ScimRequest
from scim2_server.routing import Operation

from . import scim, tokens

log = logging.getLogger(__name__)


def _scim_request(request, path: str) -> ScimRequest:
    return ScimRequest(
        method=request.method,
        base_url=request.build_absolute_uri(reverse("scim:root")).rstrip("/"),
        path="/" + path.removesuffix(".scim"),
        query=request.GET.dict(),
        headers=dict(request.headers),
        body=request.body,
    )


def _serve(scim_request: ScimRequest):
    service = scim.service()
    operation = service.match(scim_request).operation
    if operation is Operation.service_provider_config:  # public (RFC 7643 §5)
        return scim.handler_for(None, "").handle(scim_request)
    token = tokens.token_for(scim_request.header("Authorization"))
    if token is None:
        raise UnauthorizedException(detail="Send a live SCIM token: Authorization: Bearer …")
    handler = scim.handler_for(token.organisation, token.name)
    if scim_request.method.upper() == "GET":
        return handler.handle(scim_request)
    with transaction.atomic():  # a refused write leaves nothing half done
        return handler.handle(scim_request)


@csrf_exempt  # bearer tokens, not cookies: nothing for a forged form to ride on
def endpoint(request, path: str = ""):
    scim_request = _scim_request(request, path)
    try:
        response = _serve(scim_request)
    except Exception as error:  # SCIM answers every failure with its own error body
        if not isinstance(error, SCIMException):
            log.exception("SCIM request failed: %s %s", request.method, request.path)
        response = scim.service().error_response(error)
    body = b"" if response.body is None else json.dumps(response.body).encode()
    http = HttpResponse(body, status=response.status.value)
    for name, value in response.headers.items():
        http[name] = value
    http.setdefault("Cache-Control", "no-store")
    return http
