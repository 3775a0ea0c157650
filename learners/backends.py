"""Django's and allauth's authentication backends, loading the signed-in user with what the
two-step sign-in check needs (learners.selectors.second_factor_annotations) in the same query:
the check then runs on every request, always current, with no query of its own. The query is
compiled once per process (core.prepared): every request pays for it."""

from allauth.account import auth_backends
from django.contrib.auth import backends

from core.prepared import prepared

from . import selectors
from .models import User


def _users():
    return User._default_manager.annotate(**selectors.second_factor_annotations())


_signed_in_user = prepared(lambda user_id: _users().filter(pk=user_id))


class _LoadsSecondFactorFacts:
    def get_user(self, user_id):
        found = _signed_in_user(user_id=int(user_id))
        if not found:
            return None
        user = found[0]
        return user if self.user_can_authenticate(user) else None

    async def aget_user(self, user_id):
        try:
            user = await _users().aget(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class ModelBackend(_LoadsSecondFactorFacts, backends.ModelBackend):
    pass


class AuthenticationBackend(_LoadsSecondFactorFacts, auth_backends.AuthenticationBackend):
    pass
