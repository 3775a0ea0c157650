from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import probes


@never_cache
def healthz(request):
    """Reached only by a POST (config.probes answers GETs before the middleware chain)."""
    status, body = probes.legacy()
    return JsonResponse(body, status=status)


@require_GET
def healthz_live(request):
    """Reached only by other methods than GET (config.probes answers GETs): 405."""
    status, body = probes.live()
    return JsonResponse(body, status=status)


@require_GET
def healthz_ready(request):
    status, body = probes.ready()
    return JsonResponse(body, status=status)


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without a request context: the failure may have been in a context processor.
    return render(None, "500.html", status=500)


# -- security.txt (RFC 9116) -------------------------------------------------------------


SECURITY_TXT_ROLLING_DAYS = 180


def _rolling_expiry() -> str:
    expires = timezone.now() + timedelta(days=SECURITY_TXT_ROLLING_DAYS)
    return expires.strftime("%Y-%m-%dT00:00:00Z")


@require_GET
def security_txt(request):
    """Where to report a vulnerability: RFC 9116's machine-readable pointer to SECURITY.md."""
    site = settings.SITE_URL.rstrip("/")
    contact = settings.SECURITY_CONTACT or f"mailto:security@{urlsplit(site).hostname}"
    lines = [
        f"Contact: {contact}",
        f"Expires: {settings.SECURITY_TXT_EXPIRES or _rolling_expiry()}",
        "Preferred-Languages: en",
        f"Policy: {site}{reverse('security_policy')}",
        f"Canonical: {site}{reverse('security_txt')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_GET
def security_policy(request):
    """SECURITY.md as plain text: how to report a vulnerability and what happens next."""
    text = (settings.BASE_DIR / "SECURITY.md").read_text(encoding="utf-8")
    return HttpResponse(text, content_type="text/plain; charset=utf-8")
