from django import forms
from django.utils import timezone

from core.widgets import PlainSelect

from .models import PolicyVersion

MAX_POLICY_CHARS = 60_000


class PolicyDraftForm(forms.Form):
    body = forms.CharField(
        label="Policy text",
        max_length=MAX_POLICY_CHARS,
        widget=forms.Textarea(attrs={"rows": 22}),
        help_text="Markdown: ## headings, lists, **bold**, links. Plain language, second person.",
    )
    changes_summary = forms.CharField(
        label="What changed in this version",
        max_length=PolicyVersion._meta.get_field("changes_summary").max_length,
        required=False,
        help_text="One or two sentences everyone reads before acknowledging it again "
        "(not needed for the first version).",
    )
    effective_date = forms.DateField(
        label="Effective date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="People are asked to acknowledge it now; it replaces the current version on "
        "this date.",
    )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError("Write the policy before saving it.")
        return body

    def clean_effective_date(self):
        value = self.cleaned_data["effective_date"]
        if value < timezone.localdate():
            raise forms.ValidationError("The effective date is in the past.")
        return value


class RosterFilterForm(forms.Form):
    level = forms.ChoiceField(required=False, label="Level", widget=PlainSelect)
    status = forms.ChoiceField(
        required=False,
        label="Status",
        widget=PlainSelect,
        choices=[
            ("", "Any status"),
            ("cleared", "Cleared"),
            ("lost", "Lost clearance"),
            ("not_cleared", "Not cleared"),
        ],
    )

    def __init__(self, *args, levels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [("", "Any level")] + [
            (str(level.pk), level.name) for level in levels
        ]
