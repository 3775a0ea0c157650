"""View decorators for permissions that depend on memberships."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .selectors import is_a_manager, is_a_named_reviewer

NOT_A_MANAGER = "Only team managers can open this page."
NOT_A_REVIEWER = "Only team managers and the reviewers an organisation named can open this page."


def manager_required(view):
    """Signed in (else the login page) and managing at least one team, or staff (else 403)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_a_manager(request.user):
            raise PermissionDenied(NOT_A_MANAGER)
        return view(request, *args, **kwargs)

    return wrapper


def reviewer_required(view):
    """As manager_required, and also open to the reviewers an organisation named for its
    learners without a manager (learners.selectors.review_route)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (is_a_manager(request.user) or is_a_named_reviewer(request.user)):
            raise PermissionDenied(NOT_A_REVIEWER)
        return view(request, *args, **kwargs)

    return wrapper
