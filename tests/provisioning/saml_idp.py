"""A real SAML 2.0 identity provider for the tests: Debian's SimpleSAMLphp served by PHP's
built-in server (`php -S`) on a free loopback port, configured in a temporary folder
(SIMPLESAMLPHP_CONFIG_DIR): its own signing key and certificate, people with attributes
(exampleauth:UserPass) and the service providers it answers, then stopped afterwards."""

import datetime
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.clock import libfaketime, suite_clock_env
from tests.provisioning.servers import free_port, serving

WWW = Path("/usr/share/simplesamlphp/www")
PASSWORD = "saml-password-1"


def available() -> str | None:
    """Why the provider can't run here, or None (scripts/system-packages installs it)."""
    if not shutil.which("php"):
        return "php is missing: run scripts/system-packages"
    if not (WWW / "saml2" / "idp" / "SSOService.php").exists():
        return "simplesamlphp is missing: run scripts/system-packages"
    if os.environ.get("SOCIALCRAFT_CLOCK_OFFSET_DAYS", "0") != "0" and libfaketime() is None:
        return "libfaketime is missing (the clock-ahead runs need it): run scripts/system-packages"
    return None


def _key_and_certificate(folder: Path) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test identity provider")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    (folder / "idp.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    (folder / "idp.crt").write_bytes(pem)
    return "".join(pem.decode().strip().splitlines()[1:-1])


def _php(value) -> str:
    """A Python value written as PHP."""
    if isinstance(value, dict):
        return "[" + ", ".join(f"{_php(k)} => {_php(v)}" for k, v in value.items()) + "]"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_php(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


@contextmanager
def identity_provider(
    folder: Path, *, people: dict[str, dict], service_providers: dict[str, str], port: int = 0
):
    """Run the provider; yields (base URL, entity ID, certificate as one base64 line).

    `people`: user name → attributes; `service_providers`: entity ID → its assertion consumer
    service URL; `port`: 0 for any free one."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    config, cert, metadata = folder / "config", folder / "cert", folder / "metadata"
    for sub in (config, cert, metadata, folder / "log", folder / "data", folder / "tmp"):
        sub.mkdir(parents=True, exist_ok=True)
    certificate = _key_and_certificate(cert)
    settings = {
        "baseurlpath": f"{url}/",
        "certdir": f"{cert}/",
        "loggingdir": f"{folder / 'log'}/",
        "datadir": f"{folder / 'data'}/",
        "tempdir": f"{folder / 'tmp'}/",
        "technicalcontact_name": "Tests",
        "technicalcontact_email": "tests@example.com",
        "secretsalt": "socialcraft-tests-salt",
        "auth.adminpassword": "not-used-by-the-tests",
        "admin.protectindexpage": False,
        "admin.protectmetadata": False,
        "timezone": "UTC",
        "logging.handler": "file",
        "logging.logfile": "simplesamlphp.log",
        "enable.saml20-idp": True,
        "session.cookie.secure": False,
        "session.phpsession.cookiename": "SimpleSAMLSessionID",
        "store.type": "phpsession",
        "module.enable": {"exampleauth": True, "core": True, "saml": True, "admin": False},
        "metadata.sources": [{"type": "flatfile", "directory": str(metadata)}],
        "language.default": "en",
    }
    (config / "config.php").write_text(f"<?php\n$config = {_php(settings)};\n")
    users = {
        f"{name}:{PASSWORD}": {key: [value] for key, value in attributes.items()}
        for name, attributes in people.items()
    }
    (config / "authsources.php").write_text(
        "<?php\n$config = ['example-userpass' => array_merge(['exampleauth:UserPass'], "
        f"{_php(users)})];\n"
    )
    entity_id = f"{url}/saml2/idp/metadata.php"
    hosted = {
        "host": "__DEFAULT__",
        "privatekey": "idp.key",
        "certificate": "idp.crt",
        "auth": "example-userpass",
        "saml20.sign.assertion": True,
        "saml20.sign.response": True,
        "NameIDFormat": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        "simplesaml.nameidattribute": "uid",
    }
    (metadata / "saml20-idp-hosted.php").write_text(
        f"<?php\n$metadata[{_php(entity_id)}] = {_php(hosted)};\n"
    )
    remote = "".join(
        f"$metadata[{_php(sp)}] = {_php({'AssertionConsumerService': acs, 'attributes.NameFormat': 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic'})};\n"
        for sp, acs in service_providers.items()
    )
    (metadata / "saml20-sp-remote.php").write_text(f"<?php\n{remote}")

    # A suite run with the clock moved ahead (tests/conftest.py) moves the provider's clock too:
    # Socialcraft checks its assertions' times against its own clock.
    env = suite_clock_env({**os.environ, "SIMPLESAMLPHP_CONFIG_DIR": str(config)})
    command = ["php", "-S", f"127.0.0.1:{port}", "-t", str(WWW)]
    with serving(command, ready_url=entity_id, log_path=folder / "php.log", timeout=30, env=env):
        yield url, entity_id, certificate
