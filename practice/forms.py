"""Forms of the post studio, the growth journal and the portfolio settings."""

import re

from django import forms
from django.core.validators import URLValidator

from core.widgets import PlainSelect
from learners.forms import PEOPLE_LISTED, PersonField
from learners.models import User

from . import journal, networks, studio
from .models import Evidence, GrowthProfile, GrowthSnapshot, Portfolio, PostReview, PracticePost

HTTP_URL = URLValidator(schemes=["http", "https"])
URL_HELP = "http or https only, up to 500 characters."
HANDLE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):
        super().__init__(attrs, format=format)  # the only format a date input accepts


def _url_field(label: str, *, required: bool, help_text: str = URL_HELP) -> forms.URLField:
    return forms.URLField(
        label=label,
        required=required,
        max_length=500,
        validators=[HTTP_URL],
        assume_scheme="https",
        help_text=help_text,
    )


# This app's selects are built in Python (core.widgets.PlainSelect, the same markup): through
# Django's option templates, the post studio's three cost about 8 ms of its page.


def _network_field() -> forms.ChoiceField:
    """The network a post, a piece of evidence or a profile is for."""
    return forms.ChoiceField(label="Network", choices=networks.CHOICES, widget=PlainSelect)


class PracticePostForm(forms.ModelForm):
    network = _network_field()
    text = forms.CharField(
        label="Your post",
        required=False,
        max_length=studio.MAX_POST_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    link_url = _url_field(
        "Link (optional)",
        required=False,
        help_text="Shown as a preview card where the network makes one. Nothing is fetched: "
        "type the title and description the card will show.",
    )

    class Meta:
        model = PracticePost
        fields = [
            "network",
            "text",
            "has_image",
            "image_alt",
            "link_url",
            "link_title",
            "link_description",
            "assignment",
        ]
        labels = {
            "has_image": "This post will have an image or video",
            "image_alt": "Alt text for the image",
            "link_title": "Link title (as the card shows it)",
            "link_description": "Link description",
            "assignment": "For a practice assignment (optional)",
        }
        widgets = {
            "image_alt": forms.Textarea(attrs={"rows": 2, "maxlength": 1000}),
            "assignment": PlainSelect,
        }

    def __init__(self, *args, learner: User, **kwargs):
        super().__init__(*args, **kwargs)
        assignment = self.fields["assignment"]
        assignment.queryset = studio.assignments_for_posts(learner)
        assignment.label_from_instance = lambda a: f"{a.lesson.track.title}: {a.title}"
        self.fields["image_alt"].max_length = 1000
        self.fields[
            "image_alt"
        ].help_text = (
            "One or two sentences on what matters in the image, including any words it shows."
        )

    def clean_text(self) -> str:
        return self.cleaned_data["text"].replace("\r\n", "\n").strip()


class ReviewRequestForm(forms.Form):
    """Who should review the post: chosen from a list, or, where peer review puts more people
    within reach than a list can hold (`PEOPLE_LISTED`), the designated reviewers listed and a
    colleague typed by address."""

    reviewer = PersonField(
        label="Reviewer",
        queryset=User.objects.none(),
        required=False,
        empty_label="Choose someone",
        widget=PlainSelect,
        not_found="Choose a reviewer from the list.",
    )
    colleague = PersonField(
        label="…or a colleague",
        queryset=User.objects.none(),
        required=False,
        not_found="Nobody with that email address may review your posts: "
        "ask someone in your team, or your manager.",
    )

    def __init__(self, *args, learner: User, **kwargs):
        super().__init__(*args, **kwargs)
        everyone = studio.post_reviewers(learner)
        # One read says both whether anyone may review and whether they are too many to list.
        within_reach = len(everyone.values_list("pk", flat=True)[: PEOPLE_LISTED + 1])
        self.has_reviewers = within_reach > 0
        if within_reach > PEOPLE_LISTED:
            self.fields["reviewer"].queryset = studio.designated_reviewers(learner)
            self.fields["colleague"].queryset = everyone
            self.fields["colleague"].ask_for_an_address(
                label="…or a colleague (their email address)",
                help_text="Your teams are too large to list everyone: type the address.",
            )
        else:
            self.fields["reviewer"].queryset = everyone
            del self.fields["colleague"]
        self.fields["reviewer"].label_from_instance = lambda user: user.name

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        chosen = [
            person for person in (cleaned.get("reviewer"), cleaned.get("colleague")) if person
        ]
        if not chosen:
            raise forms.ValidationError("Choose who should review it.")
        if len(chosen) > 1:
            raise forms.ValidationError(
                "Choose one reviewer: someone from the list or a colleague's address, not both."
            )
        cleaned["reviewer"] = chosen[0]
        return cleaned


class PostReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Decision",
        choices=[
            (PostReview.Outcome.APPROVED, "Approve: ready to publish"),
            (PostReview.Outcome.CHANGES_REQUESTED, "Ask for changes"),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Comment for the learner",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Needed when you ask for changes: say what to change and why.",
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("outcome") == PostReview.Outcome.CHANGES_REQUESTED
            and not (data.get("comment") or "").strip()
        ):
            self.add_error("comment", "Say what to change: the learner needs your comment.")
        return data


def not_in_the_future(day, learner: User):
    """A date the learner reports (published on, taken on) can't be after their today."""
    if day > studio.learner_today(learner):
        raise forms.ValidationError("That date is in the future.")
    return day


class LoggedPublication:
    """The checks shared by the two ways of logging a published post (evidence, or an approved
    studio post marked published): not dated in the future, and each URL logged once."""

    learner: User

    def clean_published_on(self):
        return not_in_the_future(self.cleaned_data["published_on"], self.learner)

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if Evidence.objects.filter(learner=self.learner, url=url).exists():
            raise forms.ValidationError("You've already logged this URL.")
        return url


class EvidenceForm(LoggedPublication, forms.ModelForm):
    url = _url_field("Public URL of the post", required=True)
    network = _network_field()

    class Meta:
        model = Evidence
        fields = ["url", "network", "published_on", "post", "assignment", "note", "on_portfolio"]
        labels = {
            "published_on": "Published on",
            "post": "Drafted in the studio as (optional)",
            "assignment": "For a practice assignment (optional)",
            "note": "Note (optional): what happened, what you learned",
        }
        widgets = {
            "published_on": DateInput(),
            "note": forms.Textarea(attrs={"rows": 3}),
            "post": PlainSelect,
            "assignment": PlainSelect,
        }

    def __init__(self, *args, learner: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.learner = learner
        self.fields["post"].queryset = studio.publishable_posts(learner)
        self.fields["post"].label_from_instance = lambda p: (
            f"{networks.label(p.network)}: {p.title}"
        )
        self.fields["assignment"].queryset = studio.assignments_for_posts(learner)
        self.fields["assignment"].label_from_instance = lambda a: (
            f"{a.lesson.track.title}: {a.title}"
        )
        self.fields["note"].max_length = 2000


class PublishedForm(LoggedPublication, forms.Form):
    """Logging an approved post as published: its network and assignment come from the post."""

    url = _url_field("Public URL of the post", required=True)
    published_on = forms.DateField(label="Published on", widget=DateInput())
    note = forms.CharField(
        label="Note (optional): what happened, what you learned",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    on_portfolio = forms.BooleanField(label="Show on my portfolio", required=False)

    def __init__(self, *args, learner: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.learner = learner


class GrowthProfileForm(forms.ModelForm):
    network = _network_field()
    weekly_post_goal = forms.IntegerField(
        label="Goal: posts a week (optional)",
        required=False,
        min_value=1,
        max_value=journal.MAX_GOAL,
        help_text="Evidence you log for this network counts toward it.",
    )

    class Meta:
        model = GrowthProfile
        fields = ["network", "handle", "weekly_post_goal"]
        labels = {"handle": "Handle or profile name"}

    def clean_handle(self) -> str:
        handle = self.cleaned_data["handle"].strip()
        if not handle:
            raise forms.ValidationError("Type the handle or profile name.")
        return handle


class GoalForm(forms.Form):
    weekly_post_goal = forms.IntegerField(
        label="Posts a week",
        required=False,
        min_value=1,
        max_value=journal.MAX_GOAL,
        help_text="Leave empty for no goal.",
    )


class SnapshotForm(forms.ModelForm):
    followers = forms.IntegerField(label="Followers", min_value=0)
    posts_published = forms.IntegerField(
        label="Posts published",
        min_value=0,
        initial=0,
        help_text="Since your last numbers for this profile. They count toward your weekly goal "
        "(as do posts you log as evidence: whichever is more, so nothing counts twice).",
    )
    engagement = forms.IntegerField(
        label="Engagement observed",
        min_value=0,
        initial=0,
        help_text="Reactions, comments and shares you counted, as the network shows them.",
    )

    class Meta:
        model = GrowthSnapshot
        fields = ["profile", "taken_on", "followers", "posts_published", "engagement", "note"]
        labels = {"profile": "Profile", "taken_on": "Date", "note": "Note (optional)"}
        widgets = {"taken_on": DateInput(), "profile": PlainSelect}

    def __init__(self, *args, learner: User, profiles=None, **kwargs):
        """`profiles` (the journal's ProfileLines) gives the choices without another query."""
        super().__init__(*args, **kwargs)
        self.learner = learner
        field = self.fields["profile"]
        field.queryset = GrowthProfile.objects.filter(learner=learner)
        field.label_from_instance = lambda p: f"{networks.label(p.network)} · {p.handle}"
        field.empty_label = None
        if profiles is not None:
            field.choices = [(p.id, f"{p.network_name} · {p.handle}") for p in profiles]

    def clean_taken_on(self):
        return not_in_the_future(self.cleaned_data["taken_on"], self.learner)

    def clean(self):
        data = super().clean()
        profile, day = data.get("profile"), data.get("taken_on")
        if (
            profile
            and day
            and GrowthSnapshot.objects.filter(profile=profile, taken_on=day).exists()
        ):
            raise forms.ValidationError(
                f"You already recorded {profile.handle} on {day:%d %b %Y}: one snapshot per "
                "profile per day."
            )
        return data

    def validate_unique(self):
        pass  # clean() says it in words; the service and the constraint hold it under races


class PortfolioForm(forms.ModelForm):
    handle = forms.CharField(
        label="Handle (your address: /p/handle/)",
        required=False,
        max_length=40,
        help_text="3–40 characters: lowercase letters, digits and hyphens.",
    )

    class Meta:
        model = Portfolio
        fields = [
            "handle",
            "is_public",
            "headline",
            "show_certificates",
            "show_growth",
            "share_growth_with_team",
        ]
        labels = {"headline": "Headline (optional)"}
        help_texts = {
            "is_public": "Off by default. Anyone with the link can see what you choose below; "
            "switching it off hides the page at once.",
            "share_growth_with_team": "Your manager sees your followers and posts in the team's "
            "totals. Nobody else does.",
        }

    def clean_handle(self) -> str | None:
        handle = (self.cleaned_data.get("handle") or "").strip().lower()
        if not handle:
            return None
        if not HANDLE_RE.match(handle):
            raise forms.ValidationError(
                "Use 3–40 lowercase letters, digits and hyphens (not at the start or end)."
            )
        taken = Portfolio.objects.filter(handle=handle).exclude(pk=self.instance.pk).exists()
        if taken:
            raise forms.ValidationError("That handle is taken: try another.")
        return handle

    def clean(self):
        data = super().clean()
        if data.get("is_public") and not data.get("handle") and "handle" not in self.errors:
            self.add_error("handle", "Choose a handle to make your portfolio public.")
        return data
