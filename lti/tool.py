"""pylti1p3 over our models: which registration and deployment a message names, with the
tool's signing key; the OIDC login and the launch, storing their state in the cache.

The library checks a launch's state, signature (against the platform's key set), issuer,
audience (the client id), deployment, expiry and message shape, and that its nonce was issued
here; it never consumes the nonce, so `services.use_nonce` does after a launch validates."""

from pylti1p3.contrib.django import DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.contrib.django.launch_data_storage.cache import DjangoCacheDataStorage
from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract

from . import keys
from .models import PlatformRegistration

# A launch's data is kept this long for the deep linking page that follows it.
LAUNCH_DATA_SECONDS = 3600


class ToolRegistration(Registration):
    """A pylti1p3 registration that remembers its model and names the signing key by our kid."""

    model: PlatformRegistration
    _kid: str = ""

    def get_kid(self) -> str | None:
        return self._kid or None


def registration_for(model: PlatformRegistration) -> ToolRegistration:
    key = keys.signing_key()
    registration = ToolRegistration()
    registration.model = model
    registration._kid = key.kid
    registration.set_issuer(model.issuer).set_client_id(model.client_id)
    registration.set_auth_login_url(model.auth_login_url)
    registration.set_auth_token_url(model.auth_token_url)
    if model.auth_audience:
        registration.set_auth_audience(model.auth_audience)
    registration.set_key_set_url(model.key_set_url or None).set_key_set(model.key_set or None)
    registration.set_tool_private_key(key.private_key_pem)
    return registration


class ToolConf(ToolConfAbstract):
    """Registrations from the database: many clients per issuer, active ones only."""

    def __init__(self):
        super().__init__()
        self.found: PlatformRegistration | None = None

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def _model(self, iss: str, client_id: str | None) -> PlatformRegistration | None:
        if not client_id:
            return None
        if self.found is None or (self.found.issuer, self.found.client_id) != (iss, client_id):
            self.found = (
                PlatformRegistration.objects.select_related("organisation", "default_team")
                .filter(issuer=iss, client_id=client_id, active=True)
                .first()
            )
        return self.found

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        return None  # never one client per issuer: the client id must be named

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        model = self._model(iss, client_id)
        return registration_for(model) if model is not None else None

    def find_deployment(self, iss, deployment_id):
        return None

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        model = self._model(iss, client_id)
        if model is None or deployment_id not in model.deployments():
            return None
        return Deployment().set_deployment_id(deployment_id)


def _storage() -> DjangoCacheDataStorage:
    # The default cache (Redis in production): every web process sees the login's nonce and
    # state when the launch arrives, whichever process took the login.
    return DjangoCacheDataStorage(cache_name="default")


def oidc_login(request, conf: ToolConf) -> DjangoOIDCLogin:
    login = DjangoOIDCLogin(request, conf)
    login.set_launch_data_storage(_storage())  # before the lifetime: the session can't expire keys
    login.set_launch_data_lifetime(LAUNCH_DATA_SECONDS)
    return login


def message_launch(request, conf: ToolConf) -> DjangoMessageLaunch:
    launch = DjangoMessageLaunch(request, conf, launch_data_storage=_storage())
    launch.set_launch_data_lifetime(LAUNCH_DATA_SECONDS)
    return launch


def launch_from_cache(launch_id: str, request, conf: ToolConf) -> DjangoMessageLaunch:
    """A validated launch kept for the page that followed it (deep linking); raises
    LtiException when it expired or never was."""
    return DjangoMessageLaunch.from_cache(launch_id, request, conf, launch_data_storage=_storage())
