from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.urls import reverse

from ledger import messaging


class AccountAdapter(DefaultAccountAdapter):
    def get_from_email(self) -> str:
        return settings.DEFAULT_FROM_EMAIL

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's emails (sign-up codes, password resets, notices) rendered as allauth does,
        then recorded in the ledger and sent by the worker: a request never waits for, or
        fails on, the mail server."""
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": get_current_site(request)}
            | context,
        )
        html = next(
            (
                alt.content
                for alt in getattr(message, "alternatives", [])
                if alt.mimetype == "text/html"
            ),
            "",
        )
        messaging.queue_account_email(
            to_email=email, subject=message.subject, text=message.body, html=html
        )

    def get_signup_redirect_url(self, request) -> str:
        # Someone who came through an invitation link goes back to it to join the team.
        return request.session.pop("invitation_next", None) or reverse("placement")

    def get_login_redirect_url(self, request) -> str:
        # Someone who came through an invitation link goes back to it; everyone else to
        # LOGIN_REDIRECT_URL, which sends each role where its work is (teams:start).
        invitation = request.session.pop("invitation_next", None)
        return invitation or super().get_login_redirect_url(request)
