"""A learner's own data, as JSON: the account and every row of every model that points at it,
less what points at them but is someone else's and no longer theirs to see.

The relations are found from the user model itself, so a new kind of record is exported
without changing this code (and a test checks that nothing is left out).
"""

from collections.abc import Callable

from django.apps import apps
from django.core import serializers

from audit.models import AuditEntry
from courses.models import Quiz
from learners.models import User

from . import quizzes
from .models import QuizAttempt

REDACTED_FIELDS = {"password", "token", "key", "secret", "token_secret", "session_key"}
WITHHELD = "[withheld]"  # someone else's words the person may no longer see


def _rows(queryset) -> list[dict]:
    rows = []
    for item in serializers.serialize("python", queryset):
        fields = {
            name: ("[redacted]" if name in REDACTED_FIELDS else value)
            for name, value in item["fields"].items()
        }
        rows.append({"id": item["pk"], **fields})
    return rows


def section_label(model) -> str:
    """`app.model`, named after the table that holds the rows: a model that moved to another app
    kept its table (`progress_practicepost`), so its section keeps the name people's scripts
    already read."""
    opts = model._meta
    created_in = opts.db_table.removesuffix(f"_{opts.model_name}")
    if created_in != opts.db_table and created_in in _app_labels():
        return f"{created_in}.{opts.model_name}"
    return opts.label_lower


def _app_labels() -> set[str]:
    return {config.label for config in apps.get_app_configs()}


def related_sections() -> list[tuple[str, type, str]]:
    """(section name, model, field pointing at the user) for every relation to User."""
    sections = []
    for relation in User._meta.related_objects:
        model = relation.related_model
        name = section_label(model)
        if relation.field.name not in {"user", "learner"}:
            name = f"{name} ({relation.field.name})"
        sections.append((name, model, relation.field.name))
    return sorted(sections, key=lambda section: section[0])


def _attempts_as_shown(user: User, rows: list[dict]) -> list[dict]:
    """Quiz attempts keep the correct answers; the export holds them back as the result page
    does, for every quiz whose review policy doesn't yet let this learner see them."""
    by_id = Quiz.objects.in_bulk({row["quiz"] for row in rows})
    hidden = {
        quiz_id
        for quiz_id, quiz in by_id.items()
        if not quizzes.learner_may_see_answers(learner=user, quiz=quiz)
    }
    for row in rows:
        if row["quiz"] in hidden:
            row["answers"] = quizzes.without_answers(row["answers"])
    return rows


def _audit_entries_by_them(user: User, rows: list[dict]) -> list[dict]:
    """What they did is theirs; whom they did it to is someone else's (the audit log keeps it
    for the organisation)."""
    for row in rows:
        if row["subject"] != user.pk:
            row["subject_email"] = row["subject_name"] = WITHHELD
    return rows


def _audit_entries_about_them(user: User, rows: list[dict]) -> list[dict]:
    """Entries about them name who acted, as the reviews and assignments they see do; the
    address someone else acted from is that person's."""
    for row in rows:
        if row["actor"] != user.pk:
            row["ip_address"] = WITHHELD
    return rows


# (user, rows) -> the rows as the person may see them, per (model, field pointing at them).
RowFilter = Callable[[User, list[dict]], list[dict]]
_row_filters: dict[tuple[type, str], RowFilter] = {
    (QuizAttempt, "learner"): _attempts_as_shown,
    (AuditEntry, "actor"): _audit_entries_by_them,
    (AuditEntry, "subject"): _audit_entries_about_them,
}


def register_row_filter(model, field: str, row_filter: RowFilter) -> None:
    """A row that points at the person is not always theirs: a draft they were asked to review
    is the learner's, and they may see it only while they may review that learner. The app that
    owns such a model (above this one: it can't be imported here) registers, from its
    AppConfig.ready, what of those rows the person may still see; the export keeps only that."""
    _row_filters[(model, field)] = row_filter


def user_data(user: User) -> dict:
    account = _rows(User.objects.filter(pk=user.pk))[0]
    for name in ("is_superuser", "groups", "user_permissions"):
        account.pop(name, None)
    data = {"account": account}
    for name, model, field in related_sections():
        rows = _rows(model._default_manager.filter(**{field: user}).order_by("pk"))
        if (model, field) in _row_filters:
            rows = _row_filters[(model, field)](user, rows)
        data[name] = rows
    return data
