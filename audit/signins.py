"""Sign-ins in the audit log. allauth and Django announce them only by signal, so these are the
log's only receivers: a success (by password, emailed code or single sign-on) and a failed
password."""

from allauth.account.signals import user_logged_in
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


def connect() -> None:
    user_logged_in.connect(signed_in, dispatch_uid="audit.signed_in")
    user_login_failed.connect(sign_in_failed, dispatch_uid="audit.sign_in_failed")
