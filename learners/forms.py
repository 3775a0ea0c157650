from functools import cache

from django import forms

from core.widgets import PlainSelect

from .models import Preferences, User, timezone_choices

# Up to this many people a form lists them to choose from; beyond, it asks for an address.
PEOPLE_LISTED = 300


class PersonField(forms.ModelChoiceField):
    """One of the people in `queryset`, chosen from a list or, where they are too many to list
    (`PEOPLE_LISTED`), typed as an email address: a list of thousands of names is no way to
    find one, and its HTML alone ran to 800 KB for a team of 10,000. Either way the value must
    be one of `queryset`, so anyone else is refused with `not_found`."""

    def __init__(self, *args, not_found: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.not_found = not_found

    def to_python(self, value):
        if isinstance(value, str) and "@" in value:
            try:
                return self.queryset.get(email__iexact=value.strip())
            except self.queryset.model.DoesNotExist:
                raise forms.ValidationError(self.not_found, code="invalid_choice") from None
        return super().to_python(value)

    def ask_for_an_address(self, *, label: str, help_text: str) -> None:
        """Typed, not chosen: for when the people are too many to list."""
        self.label, self.help_text = label, help_text
        self.widget = forms.EmailInput(attrs={"autocomplete": "off"})


# The time zone database is read from disk (about 600 files): once per process, not twice per
# profile request (building the choices and validating them each scanned it).
cached_timezone_choices = cache(timezone_choices)


class SignupDetailsForm(forms.Form):
    """Extra fields on allauth's signup form (its base class: what is set here applies to the
    whole form)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""

    display_name = forms.CharField(
        max_length=80,
        label="Your name",
        help_text="Shown on your certificates and to your manager.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    # Filled by static/js/browser-timezone.js: the browser's zone, so that digests and
    # reminders come at local hours from the start (UTC when the browser doesn't say).
    timezone = forms.CharField(
        required=False, widget=forms.HiddenInput(attrs={"data-browser-timezone": ""})
    )

    def clean_timezone(self) -> str:
        zone = self.cleaned_data.get("timezone", "")
        known = {value for value, _ in cached_timezone_choices()}
        return zone if zone in known else ""

    def signup(self, request, user: User) -> None:
        user.display_name = self.cleaned_data["display_name"].strip()
        fields = ["display_name"]
        if self.cleaned_data.get("timezone"):
            user.timezone = self.cleaned_data["timezone"]
            fields.append("timezone")
        user.save(update_fields=fields)


class ProfileForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        choices=cached_timezone_choices,
        label="Time zone",
        help_text="Digests and reminders arrive at your local time.",
        # About 600 zones: Django's template-rendered options took 24 ms of the page.
        widget=PlainSelect,
    )

    class Meta:
        model = User
        fields = ["display_name", "timezone"]
        labels = {"display_name": "Your name", "timezone": "Time zone"}


class RoleChoiceForm(forms.Form):
    role = forms.ModelChoiceField(
        queryset=None,
        to_field_name="slug",
        widget=forms.RadioSelect,
        empty_label=None,
        label="Which role is closest to yours?",
    )

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = roles
        self.fields["role"].label_from_instance = lambda role: f"{role.title} — {role.description}"


class SelfAssessmentForm(forms.Form):
    """One question per module of the role's track, each rated on Placement.Level."""

    def __init__(self, *args, modules, initial_levels=None, **kwargs):
        from .models import Placement

        super().__init__(*args, **kwargs)
        self.modules = modules
        for module in modules:
            self.fields[f"module_{module.pk}"] = forms.TypedChoiceField(
                label=module.self_check or f"I'm confident with: {module.title}",
                choices=Placement.Level.choices,
                coerce=int,
                widget=forms.RadioSelect,
                initial=(initial_levels or {}).get(str(module.pk)),
                error_messages={"required": "Choose how well this describes you."},
            )

    def ratings(self) -> dict[int, int]:
        return {m.pk: self.cleaned_data[f"module_{m.pk}"] for m in self.modules}


class PreferencesForm(forms.ModelForm):
    digest_hour = forms.TypedChoiceField(
        label="Digest time",
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        coerce=int,
        help_text="In your time zone.",
        widget=PlainSelect,
    )

    def __init__(self, *args, is_manager: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not is_manager:  # the team digest is for people who manage a team
            del self.fields["manager_digest_enabled"]

    class Meta:
        model = Preferences
        fields = [
            "digest_enabled",
            "digest_weekday",
            "digest_hour",
            "nudge_inactive",
            "nudge_due",
            "nudge_review",
            "nudge_practice",
            "manager_digest_enabled",
        ]
        widgets = {"digest_weekday": PlainSelect}


class DeleteAccountForm(forms.Form):
    """Deleting the account needs the password again: a left-open session is not enough."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
