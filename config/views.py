from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from . import health


@never_cache
def healthz(request):
    checks = {"database": health.database_status(), "broker": health.broker_status()}
    status = 200 if checks["database"] == "ok" else 503
    return JsonResponse({"status": "ok" if status == 200 else "error", **checks}, status=status)


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without a request context: the failure may have been in a context processor.
    return render(None, "500.html", status=500)
