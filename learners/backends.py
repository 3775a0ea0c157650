"""Django's and allauth's authentication backends, loading the signed-in user with what the
two-step sign-in check needs (learners.selectors.second_factor_annotations) in the same query:
the check then runs on every request, always current, with no query of its own."""

from allauth.account import auth_backends
from django.contrib.auth import backends

from . import selectors
from .models import User


def _users():
    return User._default_manager.annotate(**selectors.second_factor_annotations())


class _LoadsSecondFactorFacts:
    def get_user(self, user_id):
        try:
            user = _users().get(pk=user_id)
        except User.DoesNotExist:
            return None
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
