"""Company sign-in: an organisation's own identity provider (OpenID Connect or SAML 2.0 through
allauth's `openid_connect` and `saml` providers, one social app per organisation, CompanySignIn
says which).

- "Continue with your company account" routes an address by its domain (`sign_in_for_email`).
- A provider may sign in only the addresses of its organisation's domains; anyone else is
  refused with a page that says so (`SocialAccountAdapter.pre_social_login`).
- The first sign-in creates the account in the organisation, named from the provider's claims,
  in the team a claim names where the organisation maps one (`join_organisation`). An existing
  account of the organisation is signed in; staff accounts and accounts of another organisation
  never are, whatever a provider says.
- An organisation can require its sign-in: its people's passwords stop working, except staff's
  (`password_refused`).
"""

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.core.exceptions import ValidationError
from django.shortcuts import render

from audit import services as audit
from learners import services as learner_services
from learners.adapters import AccountAdapter as BaseAccountAdapter
from learners.models import Membership, User, normalise_email

from .models import CompanySignIn, ProvisionedPerson
from .people import organisations_of


def domain_of(email: str) -> str:
    return normalise_email(email).rpartition("@")[2]


def sign_in_for_email(email: str) -> CompanySignIn | None:
    """The company sign-in that vouches for `email`'s domain, if any."""
    domain = domain_of(email)
    if not domain:
        return None
    candidates = CompanySignIn.objects.select_related("app", "organisation").filter(
        email_domains__icontains=domain
    )
    return next((c for c in candidates if domain in c.domains()), None)


def provider_urls() -> list[str]:
    """Where every organisation's provider signs people in (OpenID Connect's server URL, SAML's
    single sign-on URL)."""
    urls = []
    for settings in CompanySignIn.objects.values_list("app__settings", flat=True):
        settings = settings or {}
        idp = settings.get("idp") or {}
        urls += [settings.get("server_url"), idp.get("sso_url"), idp.get("metadata_url")]
    return [url for url in urls if url]


def sign_in_for_app(app) -> CompanySignIn | None:
    if app is None or app.pk is None:
        return None
    return CompanySignIn.objects.select_related("organisation").filter(app=app).first()


def password_refused(user: User) -> bool:
    """True when `user` belongs to an organisation that requires its company sign-in (never for
    staff: their accounts stay reachable when a provider is down or misconfigured)."""
    if user.is_staff:
        return False
    return CompanySignIn.objects.filter(
        required=True, organisation_id__in=organisations_of(user)
    ).exists()


def join_organisation(user: User, sign_in: CompanySignIn, claims: dict) -> None:
    """A first company sign-in: the account joins the organisation, in the team its claim names
    where the organisation maps one, else as one of its provider's people."""
    organisation = sign_in.organisation
    team_name = (
        str(claims.get(sign_in.team_claim) or "").strip()[:120] if sign_in.team_claim else ""
    )
    if team_name:
        team = learner_services.ensure_team(organisation=organisation, name=team_name)
        learner_services.ensure_membership(user=user, team=team, role=Membership.Role.LEARNER)
    elif not ProvisionedPerson.objects.filter(user=user).exists():
        ProvisionedPerson.objects.create(
            organisation=organisation, user=user, user_name=user.email, attributes={}
        )
    audit.record(
        kind=audit.Kind.ACCOUNT_PROVISIONED,
        subject=user,
        organisation=organisation,
        target=f"Company sign-in: {sign_in.app.name}"[:200],
        details={"team": team_name} if team_name else {},
    )


def _refuse(request, sign_in: CompanySignIn, reason: str):
    audit.record(
        kind=audit.Kind.SIGN_IN_FAILED,
        organisation=sign_in.organisation,
        target=f"Company sign-in: {sign_in.app.name}"[:200],
        details={"reason": reason},
        request=request,
    )
    response = render(
        request,
        "provisioning/sso_refused.html",
        {"organisation": sign_in.organisation, "reason": reason},
        status=403,
    )
    raise ImmediateHttpResponse(response)


def _claims(sociallogin) -> dict:
    """The provider's claims, one value each: OpenID Connect keeps the ID token's and the
    userinfo's apart; SAML gives each attribute as a list."""
    data = sociallogin.account.extra_data or {}
    if "id_token" in data or "userinfo" in data:
        return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}
    return {
        key: values[0] if isinstance(values, list) and values else values
        for key, values in data.items()
    }


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def _company_sign_in(self, sociallogin) -> CompanySignIn | None:
        return sign_in_for_app(getattr(sociallogin.provider, "app", None))

    def list_providers(self, request):
        # Organisations' own providers are reached by address (“Continue with your company
        # account”), never listed: the sign-in page would name every customer.
        company_apps = set(CompanySignIn.objects.values_list("app_id", flat=True))
        return [
            provider
            for provider in super().list_providers(request)
            if getattr(getattr(provider, "app", None), "pk", None) not in company_apps
        ]

    def pre_social_login(self, request, sociallogin) -> None:
        sign_in = self._company_sign_in(sociallogin)
        if sign_in is None:
            return
        email = normalise_email(sociallogin.user.email or "")
        if not email or domain_of(email) not in sign_in.domains():
            _refuse(request, sign_in, "other_domain")
        if sociallogin.is_existing:
            if sociallogin.user.is_staff:
                _refuse(request, sign_in, "staff")
            return
        existing = User.objects.filter(email__iexact=email).first()
        if existing is None:
            return  # a new account: save_user makes it
        others = organisations_of(existing) - {sign_in.organisation_id}
        if existing.is_staff or others:
            # Staff keep their own sign-in; another organisation's person isn't this one's.
            _refuse(request, sign_in, "staff" if existing.is_staff else "other_organisation")
        sociallogin.connect(request, existing)
        if not organisations_of(existing):
            join_organisation(existing, sign_in, _claims(sociallogin))

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        if self._company_sign_in(sociallogin) is not None:
            return True  # the organisation's provider vouches for the address and the name
        return super().is_auto_signup_allowed(request, sociallogin)

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        name = data.get("name") or " ".join(
            part for part in (data.get("first_name"), data.get("last_name")) if part
        )
        user.display_name = (name or (user.email or "").split("@")[0])[:80]
        return user

    def save_user(self, request, sociallogin, form=None):
        sign_in = self._company_sign_in(sociallogin)
        if sign_in is not None:
            # The provider vouches for its domains' addresses: verified, whatever it claims.
            for address in sociallogin.email_addresses:
                address.verified = True
        user = super().save_user(request, sociallogin, form)
        if sign_in is not None:
            join_organisation(user, sign_in, _claims(sociallogin))
        return user


REQUIRED_MESSAGE = (
    "Your organisation signs you in with its own account: use “Continue with your company "
    "account” below."
)


def through_own_company_sign_in(user: User, sociallogin) -> bool:
    """Whether this sign-in comes through the company sign-in of one of `user`'s organisations."""
    sign_in = sign_in_for_app(getattr(getattr(sociallogin, "provider", None), "app", None))
    return sign_in is not None and sign_in.organisation_id in organisations_of(user)


class AccountAdapter(BaseAccountAdapter):
    def pre_login(self, request, user, **kwargs):
        """Every way of signing in ends here (a password, a passkey, a code, a provider): the
        people of an organisation that requires its sign-in get in only through it."""
        response = super().pre_login(request, user, **kwargs)
        if response is not None:
            return response
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        if password_refused(user) and not through_own_company_sign_in(user, sociallogin):
            from allauth.account.internal.stagekit import clear_login
            from django.contrib import messages
            from django.shortcuts import redirect

            clear_login(request)
            messages.error(request, REQUIRED_MESSAGE)
            return redirect("company_sign_in")
        return None

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        # Only after the right password: whether an address is bound to a company sign-in is
        # told to no one who doesn't already hold the account.
        if user is not None and password_refused(user):
            raise ValidationError(REQUIRED_MESSAGE, code="company_sign_in_required")
        return user
