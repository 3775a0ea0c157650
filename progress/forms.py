from django import forms
from django.core.validators import URLValidator

from courses.models import PracticeAssignment

from . import services
from .models import Submission

MAX_SUBMISSION_CHARS = 20_000


class SubmissionForm(forms.Form):
    text = forms.CharField(
        label="Your work",
        max_length=MAX_SUBMISSION_CHARS,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="Markdown works: **bold**, *italic*, lists, links, > quotes.",
    )
    link = forms.URLField(
        label="Link (optional)",
        required=False,
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        assume_scheme="https",
        help_text="A draft document, a published post or a portfolio page: http or https only.",
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("Write something before submitting.")
        return text


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[
            (Submission.Status.APPROVED, "Approve"),
            (Submission.Status.NEEDS_REVISION, "Needs revision"),
        ],
        widget=forms.RadioSelect,
        label="Outcome",
    )
    feedback = forms.CharField(
        label="Feedback for the learner",
        max_length=MAX_SUBMISSION_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Markdown works. Say what is good, what to change, and why.",
    )

    def __init__(self, *args, assignment: PracticeAssignment, **kwargs):
        super().__init__(*args, **kwargs)
        self.assignment = assignment
        self.criteria = list(assignment.rubric.all())
        for criterion in self.criteria:
            gate = " · safety gate" if criterion.must_pass else ""
            label = f"{criterion.criterion} (0–{criterion.points}{gate})"
            if criterion.levels:
                # Described levels: the reviewer picks the description that matches the work.
                self.fields[f"criterion_{criterion.pk}"] = forms.TypedChoiceField(
                    label=label,
                    coerce=int,
                    choices=[
                        (level["points"], f"{level['points']}: {level['description']}")
                        for level in criterion.levels
                    ],
                    widget=forms.RadioSelect,
                    help_text=criterion.description,
                )
            else:
                self.fields[f"criterion_{criterion.pk}"] = forms.IntegerField(
                    label=label,
                    min_value=0,
                    max_value=criterion.points,
                    help_text=criterion.description,
                )

        self.order_fields([*(f"criterion_{c.pk}" for c in self.criteria), "outcome", "feedback"])

    def clean(self):
        cleaned = super().clean()
        scores = {
            c.criterion: cleaned.get(f"criterion_{c.pk}")
            for c in self.criteria
            if cleaned.get(f"criterion_{c.pk}") is not None
        }
        if cleaned.get("outcome") == Submission.Status.APPROVED and len(scores) == len(
            self.criteria
        ):
            problem = services.approval_problem(
                assignment=self.assignment, criteria=self.criteria, scores=scores
            )
            if problem:
                raise forms.ValidationError(problem)
        return cleaned

    def points(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[f"criterion_{c.pk}"] for c in self.criteria}

    def criterion_fields(self):
        return [self[f"criterion_{c.pk}"] for c in self.criteria]
