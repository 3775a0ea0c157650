"""Form fields that let authors edit structured rubric data as plain lines in the admin."""

import re

from django import forms
from django.core.exceptions import ValidationError

LINE_RE = re.compile(r"^\s*(\d+)\s*[:=]\s*(.+?)\s*$")


class LevelsField(forms.CharField):
    """A criterion's score levels, one per line: `0: what earns 0`, `2: what earns 2`, …"""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 60})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            "One line per score: “0: what a submission shows to earn 0”, up to the "
            "criterion's points. Describe what a reviewer can see, not adjectives.",
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(f"{level['points']}: {level['description']}" for level in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        levels = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            match = LINE_RE.match(line)
            if not match:
                raise ValidationError(f"Line {number}: write it as “points: description”.")
            levels.append({"points": int(match.group(1)), "description": match.group(2)})
        scores = [level["points"] for level in levels]
        if scores != sorted(set(scores)):
            raise ValidationError("List each score once, from lowest to highest.")
        return levels

    def has_changed(self, initial, data):
        # An empty box and "no levels" are the same, whatever form the initial value takes.
        try:
            return self.to_python(data) != (initial or [])
        except ValidationError:
            return True


class ScoresField(forms.CharField):
    """A sample's scores, one per line: `Criterion name: points`."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 60})

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "One line per criterion: “Criterion name: points”.")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, dict):
            return "\n".join(f"{name}: {points}" for name, points in value.items())
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        scores = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            name, _, points = line.rpartition(":")
            if not name.strip() or not points.strip().isdigit():
                raise ValidationError(f"Line {number}: write it as “Criterion name: points”.")
            scores[name.strip()] = int(points)
        return scores

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != (initial or {})
        except ValidationError:
            return True


class PlatformsField(forms.CharField):
    """The platforms a lesson covers, typed as a list of names: `linkedin, instagram`."""

    widget = forms.TextInput(attrs={"size": 60})

    def __init__(self, *, known=(), **kwargs):
        kwargs.setdefault("required", False)
        examples = ", ".join(sorted(known)[:12]) if known else "linkedin, instagram"
        kwargs.setdefault(
            "help_text",
            "Comma-separated, lower case, as the post studio names them (for example "
            f"{examples}). The freshness report compares the lesson with their rules' dates.",
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value) -> list[str]:
        names = []
        for name in (super().to_python(value) or "").split(","):
            name = " ".join(name.split()).lower()
            if not name:
                continue
            if not re.fullmatch(r"[a-z0-9][a-z0-9 .\-]*", name):
                raise ValidationError(
                    f"“{name}” isn't a platform name: use letters, digits and hyphens."
                )
            if name not in names:
                names.append(name)
        return names
