from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from progress.models import Certificate

from . import issuing
from .models import IssuerKey


def _json(text: str, *, filename: str = "", max_age: int) -> HttpResponse:
    response = HttpResponse(text, content_type=f"{issuing.MEDIA_TYPE}; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["Access-Control-Allow-Origin"] = "*"  # verifiers fetch these from other sites
    if filename:
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_safe
def credential(request, code: str):
    """The certificate as a signed Open Badges 3.0 credential: public, like its page."""
    certificate = get_object_or_404(
        Certificate.objects.select_related("track", "learner", "credential__key__organisation"),
        code=code,
    )
    return _json(
        issuing.credential_json(certificate),
        filename=f"certificate-{certificate.code}.json",
        max_age=300,
    )


@require_safe
def status_list(request, key_id: int):
    """An issuer key's revocation list, which verifiers read to see a credential revoked."""
    key = get_object_or_404(IssuerKey, pk=key_id)
    return _json(issuing.status_list_json(key), max_age=issuing.STATUS_CACHE_SECONDS)
