from django import forms

from core.widgets import PlainSelect
from courses.models import Track
from learners.forms import PEOPLE_LISTED, PersonField
from learners.models import Membership, TrackAssignment
from learners.selectors import managed_teams, team_learners

from .dashboards import SORTS, STATUSES

MAX_CSV_BYTES = 512 * 1024


class DashboardFilterForm(forms.Form):
    """The dashboard's filters. Its team and track choices are handed in (the manager's teams
    and the published tracks, which the dashboard has read already), so building, checking and
    showing the form costs no query."""

    team = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, widget=PlainSelect)
    track = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, widget=PlainSelect)
    status = forms.ChoiceField(
        choices=[("", "Any status"), *STATUSES], required=False, widget=PlainSelect
    )
    sort = forms.ChoiceField(
        widget=PlainSelect,
        choices=[
            ("name", "Name"),
            ("-progress", "Most progress"),
            ("progress", "Least progress"),
            ("due", "Due soonest"),
            ("active", "Least recently active"),
            ("-active", "Most recently active"),
            ("track", "Track"),
        ],
        required=False,
    )

    def __init__(self, *args, teams, tracks, **kwargs):
        """`teams` and `tracks`: (id, label) pairs, in the order to offer them."""
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "All my teams"), *teams]
        self.fields["track"].choices = [("", "All tracks"), *tracks]

    def clean_sort(self):
        sort = self.cleaned_data.get("sort") or "name"
        return sort if sort in SORTS else "name"


class InviteForm(forms.Form):
    team = forms.ModelChoiceField(
        queryset=None,
        label="Team",
        help_text="Used for lines that don't name a team.",
        widget=PlainSelect,
    )
    emails = forms.CharField(
        label="Email addresses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One per line: email, or email,name, or email,name,team.",
    )
    csv_file = forms.FileField(
        label="…or upload a CSV file",
        required=False,
        help_text="Columns: email,name,team (a header line is fine).",
    )

    def __init__(self, *args, manager, **kwargs):
        super().__init__(*args, **kwargs)
        teams = list(managed_teams(manager))
        self.fields["team"].queryset = managed_teams(manager)
        if len(teams) == 1:
            self.fields["team"].initial = teams[0].pk  # most managers have one team

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("csv_file")
        cleaned["csv_text"] = ""
        if upload:
            if upload.size > MAX_CSV_BYTES:
                raise forms.ValidationError("The CSV file is larger than 512 KB.")
            try:
                cleaned["csv_text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError("The CSV file must be UTF-8 text.") from None
            if "\x00" in cleaned["csv_text"]:  # PostgreSQL can't store it; a text box refuses it
                raise forms.ValidationError("The CSV file contains a null character (\\0).")
        if not (cleaned.get("emails") or "").strip() and not cleaned["csv_text"].strip():
            raise forms.ValidationError("Enter at least one email address or upload a CSV file.")
        return cleaned


# Up to this many learners the person is picked from a list; beyond it, typed as an address.
LEARNERS_LISTED = PEOPLE_LISTED


class AssignForm(forms.Form):
    # Selects built in Python (core.widgets): a list of 300 people through Django's option
    # templates cost about 9 ms (0.2 this way).
    track = forms.ModelChoiceField(queryset=None, label="Track", widget=PlainSelect)
    team = forms.ModelChoiceField(
        queryset=None, required=False, label="A whole team", widget=PlainSelect
    )
    learner = PersonField(
        queryset=None,
        required=False,
        label="…or one person",
        widget=PlainSelect,
        not_found="Nobody with that email address learns in your teams.",
    )
    due_date = forms.DateField(
        required=False, label="Due date (optional)", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, manager, **kwargs):
        super().__init__(*args, **kwargs)
        teams = managed_teams(manager)
        learners = team_learners(teams).order_by("display_name", "email")
        self.fields["track"].queryset = Track.objects.published()
        self.fields["team"].queryset = teams
        field = self.fields["learner"]
        field.queryset = learners
        field.label_from_instance = lambda user: f"{user.name} <{user.email}>"
        # Counted by memberships (no DISTINCT over the people): someone in two teams counts
        # twice, which a threshold can bear.
        memberships = Membership.objects.filter(team__in=teams, role=Membership.Role.LEARNER)
        if memberships[LEARNERS_LISTED : LEARNERS_LISTED + 1].exists():
            field.ask_for_an_address(
                label="…or one person (their email address)",
                help_text="Your teams are too large to list everyone: type the address.",
            )

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("team")) == bool(cleaned.get("learner")):
            raise forms.ValidationError("Choose either a whole team or one person.")
        return cleaned


class DueDateForm(forms.ModelForm):
    class Meta:
        model = TrackAssignment
        fields = ["due_date"]
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"})}
