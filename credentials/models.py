"""Each certificate as an Open Badges 3.0 credential (a W3C Verifiable Credential 2.0): the
issuers' signing keys and, per certificate, what the credential fixed when first made (its
issuer key, its bit in the issuer's revocation status list, the learner's hashed address)."""

from django.db import models
from django.db.models import Q


class IssuerKey(models.Model):
    """An Ed25519 key an organisation's credentials are signed with; its did:key names it.
    Rotating retires the key: it signs nothing new, and every credential it signed still
    verifies (a verifier resolves the did:key from the credential itself)."""

    organisation = models.ForeignKey(
        "learners.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="issuer_keys",
        help_text="Empty: the site's own key, for people who learn in no organisation.",
    )
    did = models.CharField("DID", max_length=120, unique=True, editable=False)
    # PKCS#8 PEM. Kept like the sign-in providers' keys: in the database, never shown.
    private_key_pem = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["organisation__name", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(retired_at__isnull=True),
                name="one_active_issuer_key_per_organisation",
            )
        ]

    def __str__(self) -> str:
        owner = self.organisation.name if self.organisation_id else "the site"
        return f"{owner}: {self.did[:32]}…"

    @property
    def verification_method(self) -> str:
        # did:key's only verification method is named by the key itself.
        return f"{self.did}#{self.did.removeprefix('did:key:')}"


class IssuedCredential(models.Model):
    """What a certificate's credential fixed when it was first downloaded."""

    certificate = models.OneToOneField(
        "progress.Certificate", on_delete=models.CASCADE, related_name="credential"
    )
    key = models.ForeignKey(IssuerKey, on_delete=models.PROTECT, related_name="credentials")
    # The certificate's bit in its key's revocation list: random, so a list's set bits say
    # nothing about who or when (Bitstring Status List's herd privacy).
    status_index = models.PositiveIntegerField()
    email_hash = models.CharField(max_length=80)  # "sha256$<hex>" of the address and salt
    salt = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "status_index"], name="one_certificate_per_bit")
        ]

    def __str__(self) -> str:
        return f"Credential for certificate {self.certificate_id}"
