"""Sign-ins in the audit log. allauth and Django announce them only by signal, so these are the
log's only receivers: a success (by password, emailed code or single sign-on), a failed
password, and two-step sign-in's methods added, removed or renewed and its codes refused."""

from allauth.account.signals import user_logged_in
from allauth.mfa import signals as mfa
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed

from . import services
from .models import AuditEntry


def signed_in(sender, *, request, user, **kwargs) -> None:
    kind = AuditEntry.Kind.SIGN_IN_SSO if kwargs.get("sociallogin") else AuditEntry.Kind.SIGN_IN
    services.record(kind=kind, actor=user, subject=user, request=request)


def sign_in_failed(sender, *, credentials, request=None, **kwargs) -> None:
    """A wrong password: the entry is about the account it was for (when there is one), in its
    organisations' logs; an address with no account is kept for staff only."""
    typed = str(credentials.get("email") or credentials.get("username") or "").strip()
    account = get_user_model().objects.filter(email__iexact=typed).first() if typed else None
    services.record(
        kind=AuditEntry.Kind.SIGN_IN_FAILED,
        subject=account,
        subject_email="" if account else typed,
        request=request,
    )


def _second_factor(kind):
    def receiver(sender, *, request, user, authenticator, **kwargs) -> None:
        services.record(
            kind=kind, actor=user, subject=user, target=authenticator.type, request=request
        )

    return receiver


SECOND_FACTOR_SIGNALS = [
    (mfa.authenticator_added, AuditEntry.Kind.SECOND_FACTOR_ADDED),
    (mfa.authenticator_removed, AuditEntry.Kind.SECOND_FACTOR_REMOVED),
    (mfa.authenticator_reset, AuditEntry.Kind.RECOVERY_CODES_RENEWED),
    (mfa.authentication_failed, AuditEntry.Kind.SECOND_FACTOR_FAILED),
]
_second_factor_receivers = [
    (signal, _second_factor(kind)) for signal, kind in SECOND_FACTOR_SIGNALS
]


def connect() -> None:
    user_logged_in.connect(signed_in, dispatch_uid="audit.signed_in")
    user_login_failed.connect(sign_in_failed, dispatch_uid="audit.sign_in_failed")
    for signal, receiver in _second_factor_receivers:
        signal.connect(receiver, dispatch_uid=f"audit.{id(signal)}")
