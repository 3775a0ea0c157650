from django import forms

from .models import User, timezone_choices


class SignupDetailsForm(forms.Form):
    """Extra fields on allauth's signup form."""

    display_name = forms.CharField(
        max_length=80,
        label="Your name",
        help_text="Shown on your certificates and to your manager.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def signup(self, request, user: User) -> None:
        user.display_name = self.cleaned_data["display_name"].strip()
        user.save(update_fields=["display_name"])


class ProfileForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        choices=timezone_choices,
        label="Time zone",
        help_text="Digests and reminders arrive at your local time.",
    )

    class Meta:
        model = User
        fields = ["display_name", "timezone"]
        labels = {"display_name": "Your name", "timezone": "Time zone"}
