"""Health probes for load balancers and orchestrators, answered before anything else runs.

`/healthz/live` says the process answers (no I/O). `/healthz/ready` says it can serve: the
database answers, every migration is applied, the cache works and the broker (when one is
configured) answers; 503 with the failing parts otherwise. `/healthz` keeps its contract
(the database must answer, the broker is reported). All three are answered by this middleware,
first in the chain: probes come over plain HTTP and by IP address, so they skip the HTTPS
redirect and the allowed-hosts check, and a failing part is logged as one line, never with a
traceback.
"""

import logging

from django.http import JsonResponse

from . import health

logger = logging.getLogger("config.probes")


def live() -> tuple[int, dict]:
    return 200, {"status": "ok"}


def ready() -> tuple[int, dict]:
    checks = {
        "database": health.database_status(),
        "migrations": "not checked",
        "cache": health.cache_status(),
        "broker": health.broker_status(),
    }
    if checks["database"] == "ok":
        checks["migrations"] = health.migrations_status()
    failing = [name for name, state in checks.items() if state not in ("ok", "not configured")]
    if failing:
        logger.warning("Not ready: %s", ", ".join(f"{n} {checks[n]}" for n in failing))
    return (503 if failing else 200), {"status": "error" if failing else "ok", **checks}


def legacy() -> tuple[int, dict]:
    checks = {"database": health.database_status(), "broker": health.broker_status()}
    status = 200 if checks["database"] == "ok" else 503
    return status, {"status": "ok" if status == 200 else "error", **checks}


PROBES = {"/healthz": legacy, "/healthz/live": live, "/healthz/ready": ready}


class HealthProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        status, body = probe()
        response = JsonResponse(body, status=status)
        response["Cache-Control"] = "no-store"
        # The probe logged its one line; Django would log a 503 again, as an error.
        response._has_been_logged = True
        return response
