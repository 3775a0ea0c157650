from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

# The links of the site's layout (base.html, its header, the team pages' menu), by the name
# templates use:
# `site_urls.<name>`.
SITE_URL_NAMES = {
    "catalogue": "courses:catalogue",
    "me": "progress:me",
    "studio": "practice:studio",
    "journal": "practice:journal",
    "team": "teams:team",
    "profile": "profile",
    "admin": "admin:index",
    "logout": "account_logout",
    "login": "account_login",
    "signup": "account_signup",
    "team_reviews": "teams:team_reviews",
    "team_assignments": "teams:team_assignments",
    "team_invitations": "teams:team_invitations",
    "team_growth": "practice:team_growth",
    "team_attempts": "teams:team_attempts",
    "team_export": "teams:team_export",
    "roster": "governance:roster",
    "notifications": "notifications:inbox",
}
SITE_STATIC_NAMES = {
    "logo": "img/logo.svg",
    "css": "css/site.css",
    "favicon": "img/favicon.svg",
}


class SiteUrls(dict):
    """Each URL reversed (or static path resolved) on first use, then remembered: every page
    renders these, and `{% url %}` / `{% static %}` cost tens of microseconds each."""

    def __missing__(self, name: str) -> str:
        if name in SITE_URL_NAMES:
            url = reverse(SITE_URL_NAMES[name])
        else:
            try:
                url = static(SITE_STATIC_NAMES[name])
            except ValueError as missing:
                # A file missing from the manifest: fail as `{% static %}` does, rather than let
                # the template engine (which swallows ValueError) render an empty link.
                raise ImproperlyConfigured(str(missing)) from missing
        self[name] = url
        return url


# One SiteUrls per URLconf, script prefix and static URL, which shape the URLs (the language
# would join them if the URLs ever used i18n_patterns).
_site_urls: dict[tuple, SiteUrls] = {}


def site(request):
    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), settings.STATIC_URL)
    urls = _site_urls.get(key)
    if urls is None:
        urls = _site_urls[key] = SiteUrls()
    return {"site_name": settings.SITE_NAME, "site_urls": urls}
