"""SCIM provisioning: the tokens an organisation's identity provider uses, and the people it
manages. The protocol itself is scim2-server's (provisioning/scim.py connects it)."""

from django.conf import settings
from django.db import models


class ScimToken(models.Model):
    """A bearer token for one organisation's SCIM client. Only its SHA-256 is kept: the token
    is shown once, when it is created (random 256 bits, so a slow hash adds nothing)."""

    organisation = models.ForeignKey(
        "learners.Organisation", on_delete=models.CASCADE, related_name="scim_tokens"
    )
    name = models.CharField(
        max_length=80, help_text="Who uses it, e.g. “Okta production”. Shown in the audit log."
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=8, editable=False, help_text="The token's first characters, to recognise it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "SCIM token"
        ordering = ["organisation__name", "-created_at"]

    def __str__(self) -> str:
        state = " (revoked)" if self.revoked_at else ""
        return f"{self.name} — {self.organisation}{state}"


class ProvisionedPerson(models.Model):
    """A person whose account an organisation's identity provider manages through SCIM.

    The account's email, name and active status live on the user; what SCIM says beyond them
    (its userName, externalId, the parts of the name, the email's type) is kept here so the
    provider reads back what it wrote. `version` changes with every write (the ETag)."""

    organisation = models.ForeignKey(
        "learners.Organisation", on_delete=models.CASCADE, related_name="provisioned_people"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provisioned"
    )
    user_name = models.CharField(max_length=254)
    external_id = models.CharField(max_length=254, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    # Set by SCIM's DELETE: the account is inactive and out of the provider's view.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # userName is unique in the organisation, whatever its case (RFC 7643 §4.1.1).
            models.UniqueConstraint(
                models.functions.Lower("user_name"),
                "organisation",
                name="provisioned_user_name_unique_in_org",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_name} ({self.organisation})"


class ProvisionedTeam(models.Model):
    """A team an organisation's identity provider manages as a SCIM group."""

    team = models.OneToOneField(
        "learners.Team", on_delete=models.CASCADE, related_name="provisioned"
    )
    external_id = models.CharField(max_length=254, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return str(self.team)


class CompanySignIn(models.Model):
    """An organisation's own sign-in: its identity provider (an OpenID Connect or SAML app in
    allauth's social apps), the email domains it vouches for, and whether its people must use it.
    provisioning/sso.py applies it."""

    organisation = models.OneToOneField(
        "learners.Organisation", on_delete=models.CASCADE, related_name="company_sign_in"
    )
    app = models.OneToOneField(
        "socialaccount.SocialApp",
        on_delete=models.PROTECT,
        related_name="company_sign_in",
        help_text="The organisation's identity provider: a social application of the provider "
        "“OpenID Connect” (its provider ID is in the callback URL, /accounts/oidc/<provider "
        'ID>/login/callback/; settings: {"server_url": the issuer}) or “SAML” (its client '
        "ID is in the URLs, /accounts/saml/<client ID>/acs/ and …/metadata/; settings: the "
        "identity provider's entity ID, single sign-on URL and certificate). See "
        "docs/company-sign-in.md.",
    )
    email_domains = models.CharField(
        max_length=500,
        help_text="The domains of its people's addresses, separated by commas (acme.com, "
        "acme.co.uk). “Continue with your company account” sends these addresses to the "
        "provider, and it may sign in only these addresses.",
    )
    required = models.BooleanField(
        "people must use the company sign-in",
        default=False,
        help_text="On: the organisation's people can no longer sign in with a password (staff "
        "accounts can: they are the site's break-glass accounts).",
    )
    team_claim = models.CharField(
        max_length=80,
        blank=True,
        help_text="A claim of the provider naming the person's team (e.g. “department”): their "
        "first sign-in puts them in that team, made if needed. Blank: no team.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "company sign-in"

    def __str__(self) -> str:
        return f"{self.organisation} — {self.app.name}"

    def domains(self) -> list[str]:
        return [d.strip().lower().lstrip("@") for d in self.email_domains.split(",") if d.strip()]

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.app_id and self.app.provider not in ("openid_connect", "saml"):
            errors["app"] = (
                "Choose a social application of the provider “OpenID Connect” or “SAML”."
            )
        domains = self.domains()
        if not domains or any("." not in d or " " in d for d in domains):
            errors["email_domains"] = "Give one or more domains, separated by commas: acme.com"
        else:
            self.email_domains = ", ".join(domains)
            others = CompanySignIn.objects.exclude(pk=self.pk)
            for other in others.select_related("organisation"):
                shared = set(domains) & set(other.domains())
                if shared:
                    errors["email_domains"] = (
                        f"{', '.join(sorted(shared))} already belongs to {other.organisation}."
                    )
        if errors:
            raise ValidationError(errors)
