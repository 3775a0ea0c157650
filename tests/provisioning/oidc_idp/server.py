"""Start allauth's OpenID Connect identity provider (this folder's Django project) in its own
process on a free loopback port, with its own SQLite database and signing key, people and
client applications; stop it afterwards."""

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.provisioning.servers import free_port, serving

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "identity provider password 1"

SETUP = """
import json, os
from allauth.account.models import EmailAddress
from allauth.idp.oidc.models import Client
from django.contrib.auth.models import Group, User

spec = json.loads(os.environ["IDP_SETUP"])
for person in spec["people"]:
    user = User.objects.create_user(
        username=person["email"].split("@")[0] + "-" + person["email"].split("@")[1],
        email=person["email"], password=spec["password"],
        first_name=person.get("first_name", ""), last_name=person.get("last_name", ""),
    )
    EmailAddress.objects.create(user=user, email=person["email"], verified=True, primary=True)
    if person.get("department"):
        user.groups.add(Group.objects.get_or_create(name=person["department"])[0])
for client in spec["clients"]:
    made = Client(
        id=client["id"], name=client["id"],
        scopes="openid\\nprofile\\nemail", default_scopes="openid\\nprofile\\nemail",
        type="confidential", grant_types="authorization_code\\nrefresh_token",
        response_types="code", redirect_uris=client["redirect_uri"], skip_consent=True,
    )
    made.set_secret(client["secret"])  # kept hashed, as the provider does
    made.save()
"""


def _private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@contextmanager
def identity_provider(tmp_path: Path, *, people: list[dict], clients: list[dict]):
    """Yield the provider's base URL (its issuer) while it runs."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.provisioning.oidc_idp.settings",
        "IDP_DATABASE": str(tmp_path / "idp.sqlite3"),
        "IDP_PRIVATE_KEY": _private_key(),
        "IDP_SETUP": json.dumps({"people": people, "clients": clients, "password": PASSWORD}),
        "PYTHONPATH": str(ROOT),
    }
    django = [sys.executable, "-m", "django"]
    for command in (["migrate", "--noinput", "-v0"], ["shell", "-c", SETUP]):
        subprocess.run([*django, *command], cwd=ROOT, env=env, check=True, timeout=120)  # noqa: S603
    port = free_port()
    # 127.0.0.1, never the test server's "localhost": cookies ignore ports, so the two sites'
    # sessions would overwrite each other in one browser.
    url = f"http://127.0.0.1:{port}"
    with serving(
        [*django, "runserver", f"127.0.0.1:{port}", "--noreload"],
        ready_url=f"{url}/.well-known/openid-configuration",
        log_path=tmp_path / "idp.log",
        cwd=ROOT,
        env=env,
    ):
        yield url
