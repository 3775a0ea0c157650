"""Logs an operator can use: one line per request, a request id on every line, JSON on demand,
and the expected refusals (a 403, a bad Host header) without tracebacks.

`LOG_FORMAT=json` switches every line to one JSON object (time, level, logger, message,
request_id, and the request fields on access lines). Paths are logged without their query
string, and a URL's secret part (an invitation or unsubscribe token, a password-reset key) is
replaced by "[redacted]": no password or token reaches the logs.
"""

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
access_logger = logging.getLogger("socialcraft.access")

# URL arguments that are credentials: whoever has the link can act with it.
SECRET_ARGUMENTS = {"token", "key", "uidb36"}
INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")  # a load balancer's id, if it sends one
ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "user_id")


def loggable_path(request) -> str:
    path = request.path
    match = getattr(request, "resolver_match", None)
    for name, value in match.kwargs.items() if match else ():
        if name in SECRET_ARGUMENTS and value:
            path = path.replace(str(value), "[redacted]")
    return path


class RequestLogMiddleware:
    """First after the probes: gives the request an id (the load balancer's X-Request-ID when it
    sends a plausible one), returns it as X-Request-ID, and logs one line when it is answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if INCOMING_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            user = getattr(request, "user", None)
            fields = {
                "method": request.method,
                "path": loggable_path(request),
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            }
            access_logger.info(
                "%(method)s %(path)s %(status)s %(duration_ms)sms user=%(user_id)s",
                fields,
                extra=fields,
            )
            return response
        finally:
            request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    """Every record carries the id of the request it was logged in ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class ExpectedRefusalFilter(logging.Filter):
    """A refused request is the system working: Django logs a 403 (PermissionDenied) as a
    warning and a bad Host header (DisallowedHost) as an error, each with a traceback. Both
    become one warning line; the access line already says what was answered."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        refused = record.name == "django.request" and status is not None and status < 500
        refused = refused or (record.name.startswith("django.security.") and status == 400)
        if refused:
            record.exc_info = record.exc_text = None
            record.stack_info = None
            if record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        line |= {name: getattr(record, name) for name in ACCESS_FIELDS if hasattr(record, name)}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
