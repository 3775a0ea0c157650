"""Writes that touch people and organisations."""

import secrets

from allauth.account.models import EmailAddress
from django.db import transaction

from audit import services as audit
from ledger import preferences as ledger_preferences
from ledger.models import EmailOptOut

from . import signals
from .models import (
    Invitation,
    Membership,
    Organisation,
    Placement,
    Team,
    TrackAssignment,
    User,
    normalise_email,
)


@transaction.atomic
def ensure_user(
    *,
    email: str,
    display_name: str,
    password: str | None,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> tuple[User, bool]:
    """Create the account (verified email) or update its name; set the password when given.

    Returns (user, created). An existing account keeps its password unless one is given.
    """
    email = normalise_email(email)
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"display_name": display_name, "is_staff": is_staff, "is_superuser": is_superuser},
    )
    if not created and (user.display_name, user.is_staff, user.is_superuser) != (
        display_name,
        is_staff,
        is_superuser,
    ):
        user.display_name, user.is_staff, user.is_superuser = display_name, is_staff, is_superuser
        user.save(update_fields=["display_name", "is_staff", "is_superuser"])
    if password is not None:
        user.set_password(password)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user, created


@transaction.atomic
def ensure_membership(*, user: User, team: Team, role: str) -> Membership:
    membership, created = Membership.objects.get_or_create(user=user, team=team, role=role)
    if created:
        record_membership(kind=audit.Kind.MEMBERSHIP_ADDED, membership=membership)
        teams_changed(learner_ids={user.pk}, joined=[membership])
    return membership


def record_membership(*, kind: str, membership: Membership, by: User | None = None) -> None:
    """An audit entry for a membership made, changed or ended (by `by`, when someone did it)."""
    audit.record(
        kind=kind,
        actor=by,
        subject=membership.user,
        organisation=membership.team.organisation,
        target=f"Team “{membership.team.name}”",
        details={"role": membership.role},
    )


def record_assignment(*, kind: str, assignment: TrackAssignment, by: User | None = None) -> None:
    """An audit entry for a track assigned to a team or a person, changed or cancelled."""
    team = assignment.team
    due = assignment.due_date
    audit.record(
        kind=kind,
        actor=by,
        subject=assignment.learner,  # None for a team: the team's organisation's log
        organisation=team.organisation if team else None,
        target=f"Track “{assignment.track.title}”" + (f" for team “{team.name}”" if team else ""),
        details={"assignment": assignment.pk, "due_date": due.isoformat() if due else None},
    )


def teams_changed(*, learner_ids, joined=(), team_ids=()) -> None:
    """Tell the apps that keep data derived from teams and assignments (signals.teams_changed)
    that these people's memberships or assignments changed; `joined`: memberships just made;
    `team_ids`: teams whose managers may have changed (see review_rights_changed). Sent inside
    the caller's transaction, so what the receivers write commits with it."""
    learner_ids = frozenset(learner_ids)
    joined = [m for m in joined if m.role == Membership.Role.LEARNER]
    if learner_ids or joined:
        signals.teams_changed.send(sender=Membership, learner_ids=learner_ids, joined=joined)
    # Who manages a team decides who reviews its learners (selectors.review_route).
    review_rights_changed(user_ids=learner_ids, team_ids=team_ids)


def review_rights_changed(*, user_ids=(), team_ids=()) -> None:
    """Someone may have lost the right to review someone's work (selectors.review_route and
    its mirror reviewed_learners): tell the apps that ask people to review
    (signals.review_rights_changed), so that a reviewer who lost the right stops being the
    reviewer. `user_ids`: the people whose memberships or roles changed (before the change
    too); `team_ids`: teams whose manager may have changed, all of whose people are concerned.
    Sent inside the caller's transaction."""
    user_ids = set(user_ids)
    if team_ids:
        user_ids.update(
            Membership.objects.filter(team_id__in=team_ids).values_list("user_id", flat=True)
        )
    if user_ids:
        signals.review_rights_changed.send(sender=Membership, user_ids=frozenset(user_ids))


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def ensure_organisation(*, name: str, slug: str) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(slug=slug, defaults={"name": name})
    return organisation


def ensure_team(*, organisation: Organisation, name: str) -> Team:
    team, _ = Team.objects.get_or_create(organisation=organisation, name=name)
    return team


@transaction.atomic
def save_placement(*, user: User, role, ratings: dict[int, int]) -> Placement:
    """Store the learner's self-placement and its recommendation; progress is never touched.

    `ratings` maps module ids of the role's track to a Placement.Level.
    """
    from .selectors import placement_track

    track = placement_track(role)
    placement, _ = Placement.objects.update_or_create(
        user=user,
        defaults={
            "role": role,
            "recommended_track": track,
            "answers": {str(module_id): level for module_id, level in ratings.items()},
        },
    )
    placement.skim_modules.set(
        [module_id for module_id, level in ratings.items() if level >= Placement.SKIM_FROM]
    )
    return placement


# Which preference switches a kind of email; turning one back on lifts an earlier unsubscribe.
PREFERENCE_KINDS = {
    "digest_enabled": "learner_digest",
    "manager_digest_enabled": "manager_digest",
}


@transaction.atomic
def save_preferences(*, user: User, form) -> None:
    """Save the preferences form. Re-enabling a digest removes the matching one-click opt-out."""
    before = {name: form.initial.get(name) for name in PREFERENCE_KINDS}
    preferences = form.save()
    for name, kind in PREFERENCE_KINDS.items():
        if getattr(preferences, name) and not before.get(name):
            EmailOptOut.objects.filter(email=user.email.lower(), kind=kind).delete()


# -- deleting an account -----------------------------------------------------------------
#
# The account row is anonymised and deactivated rather than deleted, and so are the records
# that belong to it: a manager's team numbers (completions, quiz scores, review points) stay
# true, but nothing in them says who the person was. Everything is found from the model
# graph, so a new model that points at the user is handled without changing this code: every
# free-text field of every row that belongs to the person (see `belongs_to_user`), of every
# row that cascades from those, and of every row that holds their email address, is blanked
# unless declared below.

ANONYMOUS_NAME = "Former learner"
# Which rows are the person's: those that would be deleted with the account (on_delete
# CASCADE), plus these that outlive it but are about them...
ABOUT_THEM = {
    ("ledger.message", "recipient"),  # emails sent to them
    ("learners.invitation", "accepted_by"),  # the invitation that brought them in
}
# ...minus these, where they acted on someone else's record (the admin's history of what a
# staff member changed). Other rows that point at them and survive (on_delete SET_NULL: an
# invitation they sent, a review they gave, a policy they published) belong to someone else,
# stay as they are and show "Former learner".
THEIR_ACTS = {
    ("admin.logentry", "user"),
}
# Rows removed with the account instead of being kept for aggregates: sign-in identities,
# self-assessment and preferences, and public pages about the person (certificates, portfolio).
DELETED_WITH_ACCOUNT = {
    "account.emailaddress",
    "socialaccount.socialaccount",
    "learners.placement",
    "learners.preferences",
}
# Free-text fields that hold system identifiers or labels, not anything about the person.
NOT_PERSONAL = {
    ("ledger.message", "key"),  # the idempotency key: a retried task must still find it
    ("ledger.message", "kind"),
    ("ledger.message", "topic"),
    ("ledger.message", "claim_token"),
    ("ledger.emailoptout", "kind"),
}


def declare_account_data(
    *,
    deleted_with_account: set[str] = frozenset(),
    not_personal: set[tuple[str, str]] = frozenset(),
) -> None:
    """The apps above state, for their own models, which rows go with a deleted account
    (`app.model` labels) and which free-text fields hold nothing about the person
    (`(label, field)`), from their AppConfig.ready: this app doesn't know them."""
    DELETED_WITH_ACCOUNT.update(deleted_with_account)
    NOT_PERSONAL.update(not_personal)


def relations_to_users() -> list:
    """Every relation that points at the user model, hidden ones (related_name "+") included."""
    return [
        field
        for field in User._meta.get_fields(include_hidden=True)
        if field.is_relation and field.auto_created and not field.concrete
    ]


def belongs_to_user(relation) -> bool:
    """Whether the rows on the far side of this relation to the user are the person's own."""
    from django.db import models

    key = (relation.related_model._meta.label_lower, relation.field.name)
    if relation.many_to_many or key in THEIR_ACTS:
        return False
    return relation.on_delete is models.CASCADE or key in ABOUT_THEM


def anonymous_email(user: User) -> str:
    return f"deleted-{user.pk}@deleted.invalid"  # .invalid never resolves (RFC 2606)


def is_personal_text(model, field) -> bool:
    """Whether account deletion blanks this field of a row that belongs to the person."""
    from django.db import models

    return (
        isinstance(field, models.CharField | models.TextField | models.JSONField)
        and not field.primary_key
        and not field.choices
        and (model._meta.label_lower, field.name) not in NOT_PERSONAL
    )


def _unique_per_row(model, field) -> bool:
    """Whether a blanked value must still differ from row to row (a unique constraint)."""
    from django.db.models import F, UniqueConstraint

    if field.unique or any(field.name in together for together in model._meta.unique_together):
        return True
    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint):
            names = set(constraint.fields)
            pending = list(constraint.expressions)
            while pending:  # F("handle") may sit inside Lower(...) and the like
                node = pending.pop()
                if isinstance(node, F):
                    names.add(node.name)
                else:
                    pending += node.get_source_expressions()
            if field.name in names:
                return True
    return False


def _blank(model, field, email: str):
    """The value that replaces a personal field: empty, or unique per row where it must be."""
    from django.db import models
    from django.db.models import Value
    from django.db.models.functions import Cast, Concat

    def per_row(prefix: str):
        return Concat(Value(prefix), Cast("pk", models.CharField()), output_field=field)

    if isinstance(field, models.JSONField):
        if field.has_default():
            return field.get_default()
        return None if field.null else []
    if isinstance(field, models.URLField):  # still a URL, for checks that want http(s)
        return per_row("https://deleted.invalid/")
    if isinstance(field, models.EmailField):
        return email
    if _unique_per_row(model, field):
        return None if field.null else per_row("deleted-")
    return ""


def _scrub(queryset, *, email: str, seen: set, cascade: bool = True) -> None:
    """Blank the personal text of these rows and of every row that cascades from them."""
    from django.db import models

    model = queryset.model
    label = model._meta.label_lower
    pks = [pk for pk in queryset.values_list("pk", flat=True) if (label, pk) not in seen]
    if not pks:
        return
    seen.update((label, pk) for pk in pks)
    updates = {
        field.name: _blank(model, field, email)
        for field in model._meta.concrete_fields
        if is_personal_text(model, field)
    }
    if updates:
        model._default_manager.filter(pk__in=pks).update(**updates)
    if not cascade:
        return
    for relation in model._meta.related_objects:
        if relation.on_delete is models.CASCADE and not relation.many_to_many:
            children = relation.related_model._default_manager.filter(
                **{f"{relation.field.name}__in": pks}
            )
            _scrub(children, email=email, seen=seen)


@transaction.atomic
def delete_account(*, user: User) -> User:
    """Remove or anonymise everything about `user`; keep their numbers for managers, anonymously.

    Afterwards the account can't sign in (inactive, unusable password: every session it had
    fails its next request), no email goes to it (an "all" opt-out for its new address), its
    sign-in identities, placement, preferences and certificates are gone, its learner
    memberships, enrolments, completions, attempt scores, submission statuses and review
    points remain under "Former learner", and its free text is blank everywhere. The email
    address is free to sign up again. Runs a few queries per model that points at users.
    """
    from django.apps import apps
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType
    from django.db import models
    from django.db.models import Value
    from django.db.models.functions import Replace
    from django.utils import timezone

    user = User.objects.select_for_update().get(pk=user.pk)
    old_email, old_name = user.email, user.display_name
    email = anonymous_email(user)
    # Recorded while their teams still say which organisations' logs it goes in; then the log
    # names them as "Former learner", as their other records do (before the address sweep
    # below, which would blank the entries' other text).
    audit.record(kind=audit.Kind.ACCOUNT_DELETED, actor=user, subject=user)
    audit.forget_person(person=user, old_email=old_email, email=email, name=ANONYMOUS_NAME)
    seen: set = set()
    Invitation.objects.pending().filter(email__iexact=old_email).update(revoked_at=timezone.now())
    Membership.objects.filter(user=user, role=Membership.Role.MANAGER).delete()

    for relation in relations_to_users():
        if not belongs_to_user(relation):
            continue
        model, field_name = relation.related_model, relation.field.name
        label = model._meta.label_lower
        rows = model._default_manager.filter(**{field_name: user})
        if label in DELETED_WITH_ACCOUNT:
            rows.delete()
        else:
            _scrub(rows, email=email, seen=seen)
    # Records that hold the address without pointing at the account (an invitation, an email
    # sent before the account existed, an opt-out).
    for model in apps.get_models():
        if model is User or model._meta.label_lower in DELETED_WITH_ACCOUNT:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.EmailField):
                rows = model._default_manager.filter(**{f"{field.name}__iexact": old_email})
                _scrub(rows, email=email, seen=seen)
                rows.update(**{field.name: email})  # also where the field is not "personal"

    # The admin's history names objects as they were called when they were changed.
    user_type = ContentType.objects.get_for_model(User)
    LogEntry.objects.filter(content_type=user_type, object_id=str(user.pk)).update(
        object_repr=ANONYMOUS_NAME
    )
    for mention in {old_email, old_name} - {""}:
        if len(mention) >= 3:
            LogEntry.objects.filter(object_repr__contains=mention).update(
                object_repr=Replace("object_repr", Value(mention), Value(ANONYMOUS_NAME))
            )

    # The account row itself; what cascades from it was handled relation by relation above.
    _scrub(User.objects.filter(pk=user.pk), email=email, seen=set(), cascade=False)
    user.refresh_from_db()
    user.email, user.display_name, user.timezone = email, ANONYMOUS_NAME, "UTC"
    user.is_active = user.is_staff = user.is_superuser = False
    user.last_login = None
    user.set_unusable_password()  # changes the session hash: every open session ends
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    EmailOptOut.objects.get_or_create(email=email, kind=ledger_preferences.ALL_KINDS)
    review_rights_changed(user_ids={user.pk})  # inactive and managing nothing: reviews no one
    return user
