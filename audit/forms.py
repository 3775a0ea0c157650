from django import forms

from core.widgets import PlainSelect

from .models import AuditEntry
from .selectors import EntryFilter


class EntryFilterForm(forms.Form):
    """The audit page's filters; `organisations` are those the visitor may see."""

    organisation = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, widget=PlainSelect
    )
    person = forms.CharField(required=False, max_length=254, label="Person (email)", strip=True)
    kind = forms.ChoiceField(
        required=False,
        choices=[("", "Any kind"), *AuditEntry.Kind.choices],
        label="Kind",
        widget=PlainSelect,
    )
    since = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))

    def __init__(self, *args, organisations: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", "All")] + [
            (organisation.pk, organisation.name) for organisation in organisations
        ]
        if len(organisations) < 2:
            del self.fields["organisation"]

    def chosen(self) -> EntryFilter:
        """What the form asks for; an invalid form filters nothing it couldn't read."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return EntryFilter(
            organisation_id=data.get("organisation"),
            person=data.get("person") or "",
            kind=data.get("kind") or "",
            since=data.get("since"),
            until=data.get("until"),
        )
