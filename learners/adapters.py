from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.urls import reverse

from .models import Placement


class AccountAdapter(DefaultAccountAdapter):
    def get_from_email(self) -> str:
        return settings.DEFAULT_FROM_EMAIL

    def get_signup_redirect_url(self, request) -> str:
        # Someone who came through an invitation link goes back to it to join the team.
        return request.session.pop("invitation_next", None) or reverse("placement")

    def get_login_redirect_url(self, request) -> str:
        invitation = request.session.pop("invitation_next", None)
        if invitation:
            return invitation
        # A new learner goes to the placement check first; everyone else to "My learning".
        if not Placement.objects.filter(user_id=request.user.pk).exists():
            return reverse("placement")
        return reverse("progress:me")
