"""“Continue with your company account”: an address's domain picks the organisation's identity
provider (provisioning/sso.py), and the browser goes there to sign in."""

from django.conf import settings
from django.shortcuts import render
from django.utils.csp import CSP
from django.views.decorators.http import require_http_methods

from . import sso
from .forms import CompanySignInForm


def _form_may_go_to_providers(response):
    """The form's answer redirects to the organisation's provider, and browsers hold a form's
    redirects to the page's form-action: this page allows the providers' schemes (not their
    hosts, which would name customers). The page shows nothing anyone else wrote."""
    schemes = sorted({f"{url.split(':', 1)[0]}:" for url in sso.provider_urls()} or {"https:"})
    response._csp_config = {**settings.SECURE_CSP, "form-action": [CSP.SELF, *schemes]}
    return response


@require_http_methods(["GET", "POST"])
def company_sign_in(request):
    form = CompanySignInForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        sign_in = sso.sign_in_for_email(email)
        if sign_in is not None:
            provider = sign_in.app.get_provider(request)
            next_url = request.POST.get("next") or None
            extra = {}
            if sign_in.app.provider == "openid_connect":  # the provider's page starts filled in
                extra["auth_params"] = {**provider.get_auth_params(), "login_hint": email}
            response = provider.redirect(request, "login", next_url=next_url, **extra)
            return _form_may_go_to_providers(response)
        form.add_error(
            "email",
            f"No company sign-in is set up for addresses at {sso.domain_of(email)}. Sign in with "
            "your password, or ask your organisation's Socialcraft administrator.",
        )
    page = render(request, "provisioning/company_sign_in.html", {"form": form})
    return _form_may_go_to_providers(page)
