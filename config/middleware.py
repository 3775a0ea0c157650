"""Turn a write the database refused into a clear page instead of a server error.

Views and services catch the conflicts they expect (a double click, two tabs submitting the
same form). This is the net under them: when a constraint still refuses a write (two requests
raced past a check), a value doesn't fit a column, or the database is busy or gone, the person
sees what happened and that nothing was saved, with a status that says so (409, 400, 503).
The error is still logged with its traceback.
"""

import logging

from django.db import DataError, IntegrityError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger("config.database_errors")

PROBLEMS = {
    IntegrityError: (
        409,
        "This change clashed with another one",
        "Someone (perhaps you, in another tab) changed the same thing at the same moment, so "
        "nothing was saved. Reload the page to see the current state, then try again.",
    ),
    DataError: (
        400,
        "Some of what you entered couldn't be saved",
        "A value was too long or contained characters that can't be stored, so nothing was "
        "saved. Go back, shorten or correct it, and try again.",
    ),
    OperationalError: (
        503,
        "We couldn't save that just now",
        "The database is busy or unreachable, so nothing was saved. Please try again in a minute.",
    ),
}


class DatabaseErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        problem = next((p for cls, p in PROBLEMS.items() if isinstance(exception, cls)), None)
        if problem is None:
            return None
        status, title, message = problem
        logger.error(
            "%s on %s %s answered %s",
            type(exception).__name__,
            request.method,
            request.path,
            status,
            exc_info=exception,
        )
        # Rendered without the request: its context processors may need the database.
        body = render_to_string("database_error.html", {"title": title, "message": message})
        response = HttpResponse(body, status=status)
        if status == 503:
            response["Retry-After"] = "60"
        return response
