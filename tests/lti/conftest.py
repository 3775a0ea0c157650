"""The LMS for the LTI tests: lti1p3platform in a second process (tests/lti/platform), with
Socialcraft's registration of it in the Acme organisation."""

import pytest

from learners.models import Organisation, Team
from lti.models import PlatformRegistration
from tests import factories
from tests.e2e.conftest import (  # noqa: F401 (fixtures: Chromium as the other browser tests)
    browser_context_args,
    browser_type_launch_args,
    problems,
    site,
)
from tests.lti.platform.server import CLIENT_ID, DEPLOYMENT_ID, lms

TRACK = "posting-at-work"


@pytest.fixture(scope="module")
def platform(live_server, tmp_path_factory):
    """The LMS's base URL (its issuer), registered with the live server as its tool."""
    assert "localhost" in live_server.url
    with lms(tmp_path_factory.mktemp("lms"), tool_url=live_server.url) as url:
        yield url


def register(issuer: str, *, organisation=None, **extra) -> PlatformRegistration:
    organisation = (
        organisation
        or Organisation.objects.get_or_create(slug="acme", defaults={"name": "Acme"})[0]
    )
    fields = {
        "organisation": organisation,
        "name": "Acme Moodle",
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "deployment_ids": f"{DEPLOYMENT_ID}\n",
        "auth_login_url": f"{issuer}/authorize",
        "auth_token_url": f"{issuer}/token",
        "key_set_url": f"{issuer}/jwks",
        **extra,
    }
    return PlatformRegistration.objects.create(**fields)


@pytest.fixture
def registration(platform, site):  # noqa: F811
    acme = Organisation.objects.create(name="Acme", slug="acme")
    team = Team.objects.create(organisation=acme, name="Marketing")
    return register(platform, organisation=acme, default_team=team)


@pytest.fixture
def track(site):  # noqa: F811
    return factories.make_track(slug=TRACK, modules=1, lessons_per_module=2)
