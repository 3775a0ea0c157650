"""LTI 1.3: the learning platforms (LMSs) an organisation registered, the tool's own signing
keys, who each platform's people are here, the nonces already used and where grades go."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class PlatformRegistration(models.Model):
    """One LMS's registration of Socialcraft as a tool: what the LMS administrator gives (issuer,
    client id, its URLs and deployment ids), owned by one organisation, whose people its
    launches sign in."""

    organisation = models.ForeignKey(
        "learners.Organisation", on_delete=models.CASCADE, related_name="lti_registrations"
    )
    name = models.CharField(max_length=120, help_text="For people: “Acme Moodle”.")
    issuer = models.URLField(
        max_length=300, help_text="The platform's issuer (iss), e.g. https://moodle.acme.example"
    )
    client_id = models.CharField(
        "client id", max_length=200, help_text="The client id the platform gave this tool."
    )
    deployment_ids = models.TextField(
        "deployment ids",
        help_text="One per line: the deployments of this tool the platform launches from.",
    )
    auth_login_url = models.URLField(
        "authentication request URL",
        max_length=500,
        help_text="The platform's OIDC authorisation endpoint (Moodle: …/mod/lti/auth.php).",
    )
    auth_token_url = models.URLField(
        "access token URL",
        max_length=500,
        help_text="Where the tool gets tokens for grades (Moodle: …/mod/lti/token.php).",
    )
    auth_audience = models.CharField(
        "access token audience",
        max_length=500,
        blank=True,
        help_text="Only when the platform asks for one (some do): empty means the token URL.",
    )
    key_set_url = models.URLField(
        "public keyset URL",
        max_length=500,
        blank=True,
        help_text="The platform's JWKS (Moodle: …/mod/lti/certs.php). Or paste the key set below.",
    )
    key_set = models.JSONField(
        "public key set",
        null=True,
        blank=True,
        help_text='Only when the platform has no keyset URL: {"keys": [...]}.',
    )
    default_team = models.ForeignKey(
        "learners.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where people this platform brings join. Empty: a team named after this "
        "registration, made on the first launch.",
    )
    active = models.BooleanField(
        default=True, help_text="Off: its launches are refused, and no grades are sent to it."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "client_id"], name="lti_registration_unique_client"
            ),
            models.CheckConstraint(
                condition=~Q(key_set_url="") | Q(key_set__isnull=False),
                name="lti_registration_has_keys",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"

    def deployments(self) -> list[str]:
        return [line.strip() for line in self.deployment_ids.splitlines() if line.strip()]


class ToolKey(models.Model):
    """An RSA key the tool signs with (deep linking responses, grade service tokens). The newest
    key not retired signs; every key not retired is in the JWKS, so platforms that cached the
    previous one still verify while a rotation settles."""

    kid = models.CharField("key id", max_length=64, unique=True, editable=False)
    # PKCS#8 PEM. Kept like the other signing keys: in the database, never shown.
    private_key_pem = models.TextField(editable=False)
    public_jwk = models.JSONField(editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.kid


class LtiIdentity(models.Model):
    """Who a platform's user (issuer + sub) is here. Made on their first launch; every later
    launch signs in the same account."""

    registration = models.ForeignKey(
        PlatformRegistration, on_delete=models.CASCADE, related_name="identities"
    )
    issuer = models.CharField(max_length=300)
    subject = models.CharField("sub", max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_identities"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_launch_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "LTI identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="lti_identity_unique_sub")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class UsedNonce(models.Model):
    """A launch's nonce, once used: the same id_token posted again is refused (pylti1p3 checks
    only that the nonce was issued). Kept until the id_token would have expired anyway."""

    issuer = models.CharField(max_length=300)
    nonce = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "nonce"], name="lti_nonce_used_once")
        ]

    def __str__(self) -> str:
        return self.nonce


class GradeTarget(models.Model):
    """Where a learner's result for a track goes: the line item of a launch (a course in the
    LMS linking to the track). Remembered at each launch; the score is posted when the track is
    completed."""

    registration = models.ForeignKey(
        PlatformRegistration, on_delete=models.CASCADE, related_name="grade_targets"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_grade_targets"
    )
    track = models.ForeignKey(
        "courses.Track", on_delete=models.CASCADE, related_name="lti_grade_targets"
    )
    subject = models.CharField("sub", max_length=255, help_text="The learner's id there.")
    context_id = models.CharField(max_length=255, blank=True)
    resource_link_id = models.CharField(max_length=255)
    lineitem_url = models.URLField(max_length=500, blank=True)
    lineitems_url = models.URLField(max_length=500, blank=True)
    scopes = models.JSONField(default=list)
    score_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "user", "resource_link_id"],
                name="lti_grade_target_once_per_link",
            )
        ]

    def __str__(self) -> str:
        return f"{self.track} → {self.lineitem_url or self.lineitems_url}"
