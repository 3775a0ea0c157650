from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def get_from_email(self) -> str:
        return settings.DEFAULT_FROM_EMAIL

    def get_signup_redirect_url(self, request) -> str:
        # Someone who came through an invitation link goes back to it to join the team.
        return request.session.pop("invitation_next", None) or reverse("placement")

    def get_login_redirect_url(self, request) -> str:
        # Someone who came through an invitation link goes back to it; everyone else to
        # LOGIN_REDIRECT_URL, which sends each role where its work is (teams:start).
        invitation = request.session.pop("invitation_next", None)
        return invitation or super().get_login_redirect_url(request)
