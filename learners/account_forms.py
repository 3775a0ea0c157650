"""allauth's sign-in, sign-up, password reset, sign-up code and two-step sign-in forms in the
site's wording.

Apart from learners.forms: allauth imports that module (the signup form's base class) while
loading its own forms, which these subclass.
"""

from allauth.account.forms import (
    ConfirmEmailVerificationCodeForm as AllauthConfirmCodeForm,
)
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.mfa.base.forms import AuthenticateForm as AllauthAuthenticateForm
from allauth.mfa.webauthn.forms import AddWebAuthnForm as AllauthAddWebAuthnForm
from django.contrib.auth.hashers import make_password


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form in the site's wording: no colons after labels, and "remember me"
    said as what it does."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        if "remember" in self.fields:
            self.fields["remember"].label = "Keep me signed in on this device"


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form, taking as long for a taken address as for a new one.

    With ACCOUNT_PREVENT_ENUMERATION a taken address gets the same page as a new one (and its
    owner an email), but no account is created, so the password hash that is most of a
    sign-up's time was skipped: about 20 ms against 450 ms told which addresses have accounts.
    The taken path hashes the password too, with the default hasher, and drops the result, as
    Django's ModelBackend does for an unknown address at sign-in."""

    def try_save(self, request):
        password = self.cleaned_data.get("password1")
        if self.account_already_exists and password:
            make_password(password)
        return super().try_save(request)


class ResetPasswordForm(AllauthResetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""


class ConfirmEmailVerificationCodeForm(AllauthConfirmCodeForm):
    """The code emailed at sign-up: labelled as what it is, no colon, no placeholder echoing
    the label."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        self.fields["code"].label = "The code from the email"
        self.fields["code"].widget.attrs.pop("placeholder", None)


# -- two-step sign-in (allauth.mfa; MFA_FORMS) ----------------------------------------------


class AuthenticateForm(AllauthAuthenticateForm):
    """The second step of signing in: the code field says which codes it takes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        self.fields["code"].label = "Code from your app, or a recovery code"
        self.fields["code"].widget.attrs.update(placeholder="", inputmode="numeric")


class AddPasskeyForm(AllauthAddWebAuthnForm):
    """Adding a passkey or security key, in the site's wording."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        self.fields["name"].label = "Name for this key"
        self.fields["name"].help_text = "To tell your keys apart, such as “Work laptop”."
        if passwordless := self.fields.get("passwordless"):
            passwordless.label = "Make it a passkey: sign in with this key alone"
            passwordless.help_text = (
                "Your device then checks your fingerprint, face or PIN each time you use it."
            )
