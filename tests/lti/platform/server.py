"""Start the LMS (this folder's Django project on lti1p3platform) in its own process on a free
loopback port, registered with the tool at `tool_url`, with its own signing key; stop it
afterwards."""

import os
import sys
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.provisioning.servers import free_port, serving

ROOT = Path(__file__).resolve().parents[3]
CLIENT_ID = "socialcraft-tool"
DEPLOYMENT_ID = "deployment-1"


def _key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@contextmanager
def lms(tmp_path: Path, *, tool_url: str):
    """Yield the platform's base URL (its issuer) while it runs."""
    port = free_port()
    # "localhost", like the test server: the launch's state cookie (SameSite=Lax over plain
    # http) then rides on the platform's cross-origin POST, as SameSite=None does over HTTPS in
    # production. The platform sets no cookies of its own, so sharing the host costs nothing.
    url = f"http://localhost:{port}"
    private, public = _key_pair()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.lti.platform.settings",
        "PLATFORM_URL": url,
        "TOOL_URL": tool_url,
        "PLATFORM_CLIENT_ID": CLIENT_ID,
        "PLATFORM_DEPLOYMENT_ID": DEPLOYMENT_ID,
        "PLATFORM_PRIVATE_KEY": private,
        "PLATFORM_PUBLIC_KEY": public,
        "PYTHONPATH": str(ROOT),
    }
    with serving(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        ready_url=f"{url}/jwks",
        log_path=tmp_path / "lms.log",
        cwd=ROOT,
        env=env,
    ):
        yield url
