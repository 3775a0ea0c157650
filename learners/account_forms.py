"""allauth's sign-in, password reset and sign-up code forms in the site's wording.

Apart from learners.forms: allauth imports that module (the signup form's base class) while
loading its own forms, which these subclass.
"""

from allauth.account.forms import (
    ConfirmEmailVerificationCodeForm as AllauthConfirmCodeForm,
)
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form in the site's wording: no colons after labels, and "remember me"
    said as what it does."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        if "remember" in self.fields:
            self.fields["remember"].label = "Keep me signed in on this device"


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
