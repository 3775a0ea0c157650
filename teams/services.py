"""Managers' writes: invitations, track assignments with due dates, nudges.

Each of them touches learners' records (joining a team or receiving an assignment enrols the
learner) or sends a message through the ledger, so this app sits above `progress`.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from celery import current_app
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from audit import services as audit
from courses.models import Track
from learners.models import (
    Invitation,
    Membership,
    Organisation,
    Placement,
    Team,
    TrackAssignment,
    User,
    normalise_email,
)
from learners.selectors import managed_teams, team_learners
from learners.services import record_assignment, record_membership, review_rights_changed
from ledger import messaging, notices, outbox
from progress import rollups
from progress.models import Enrolment

INVITATION_SALT = "learners.invitation"
INVITATION_MAX_AGE = timedelta(days=getattr(settings, "INVITATION_EXPIRY_DAYS", 7))
MAX_INVITE_LINES = 500  # one paste or upload; larger lists are split by the manager


class TeamError(Exception):
    """A manager's request the rules refuse; the message is shown as-is."""


# -- invitations -------------------------------------------------------------------------


@dataclass
class InviteLine:
    where: str  # "Line 3" or "CSV line 3", for the report
    email: str
    name: str = ""
    team_name: str = ""
    raw: str = ""


@dataclass
class InviteOutcome:
    invited: list[Invitation] = field(default_factory=list)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (where, text, message)


def start_page(user: User) -> str:
    """The URL name someone begins at after signing in: the team dashboard for managers and
    staff, My learning once a track is assigned or started (or the placement check was taken),
    else the placement check. Three queries at most."""
    if user.is_staff or managed_teams(user).exists():
        return "teams:team"
    teams = Membership.objects.filter(user=user, role=Membership.Role.LEARNER).values("team_id")
    assigned = TrackAssignment.objects.active().filter(Q(learner=user) | Q(team_id__in=teams))
    if Enrolment.objects.filter(learner=user).exists() or assigned.exists():
        return "progress:me"
    if Placement.objects.filter(user=user).exists():
        return "progress:me"
    return "placement"


def parse_invite_text(text: str, *, label: str = "Line") -> list[InviteLine]:
    """Lines of `email`, `email,name` or `email,name,team` (a CSV header line is skipped)."""
    lines = []
    # Any line ending a browser or spreadsheet may send (a lone CR would stop the csv reader).
    reader = csv.reader(io.StringIO("\n".join(text.splitlines())))
    for number, row in enumerate(reader, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if cells[0].lower() == "email":
            continue  # a header line
        lines.append(
            InviteLine(
                where=f"{label} {number}",
                email=cells[0] if cells else "",
                name=cells[1] if len(cells) > 1 else "",
                team_name=cells[2] if len(cells) > 2 else "",
                raw=",".join(row),
            )
        )
    return lines


@transaction.atomic
def invite_people(
    *, manager: User, lines: list[InviteLine], default_team: Team | None
) -> InviteOutcome:
    """Invite every good line; report each bad one with its line number. Good lines still go."""
    outcome = InviteOutcome()
    if len(lines) > MAX_INVITE_LINES:
        outcome.problems.append(("", "", f"At most {MAX_INVITE_LINES} people at a time, please."))
        return outcome
    teams = {team.name.lower(): team for team in managed_teams(manager)}
    seen: set[tuple[int, str]] = set()
    for line in lines:
        try:
            email = normalise_email(line.email)
            validate_email(email)
            if len(email) > Invitation._meta.get_field("email").max_length:
                raise ValidationError("too long to store")  # validate_email allows 320
        except ValidationError:
            outcome.problems.append(
                (line.where, line.raw, f"“{line.email}” is not a valid email address.")
            )
            continue
        if line.team_name:
            team = teams.get(line.team_name.lower())
            if team is None:
                outcome.problems.append(
                    (
                        line.where,
                        line.raw,
                        f"Unknown team “{line.team_name}” (or not one you manage).",
                    )
                )
                continue
        elif default_team is not None:
            team = default_team
        else:
            outcome.problems.append((line.where, line.raw, "No team given for this line."))
            continue
        if len(line.name) > 80:
            outcome.problems.append(
                (line.where, line.raw, "The name is longer than 80 characters.")
            )
            continue
        if (team.pk, email) in seen:
            outcome.problems.append((line.where, line.raw, f"{email} appears twice in this list."))
            continue
        seen.add((team.pk, email))
        if Membership.objects.filter(
            team=team, user__email__iexact=email, role=Membership.Role.LEARNER
        ).exists():
            outcome.problems.append(
                (line.where, line.raw, f"{email} is already a member of {team.name}.")
            )
            continue
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    team=team, email=email, name=line.name, invited_by=manager
                )
        except IntegrityError:
            outcome.problems.append(
                (
                    line.where,
                    line.raw,
                    f"{email} already has a pending invitation to {team.name} (resend it from the list).",
                )
            )
            continue
        send_invitation(invitation)
        outcome.invited.append(invitation)
    return outcome


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"invitation": invitation.pk}, salt=INVITATION_SALT)


def send_invitation(invitation: Invitation) -> None:
    """Email the invitation (again). Each send is its own ledger entry."""
    # Counted in the database: two resends at once each get their own number (and ledger key).
    Invitation.objects.filter(pk=invitation.pk).update(
        sent_at=timezone.now(), send_count=F("send_count") + 1
    )
    invitation.refresh_from_db(fields=["sent_at", "send_count"])
    url = messaging.absolute(reverse("teams:invitation", args=[invitation_token(invitation)]))
    # Recorded with the invitation and sent by the worker: a batch of 500 doesn't wait for, or
    # fail on, the mail server.
    messaging.queue_message(
        key=f"invitation:{invitation.pk}:{invitation.send_count}",
        kind="invitation",
        to_email=invitation.email,
        context={
            "invitation": invitation,
            "team": invitation.team,
            "organisation": invitation.team.organisation,
            "inviter": invitation.invited_by,
            "accept_url": url,
            "expires_days": INVITATION_MAX_AGE.days,
        },
    )


def revoke_invitation(invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation behind a link; TeamError explains an expired or used one."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_MAX_AGE)
    except signing.SignatureExpired:
        raise TeamError(
            "This invitation link has expired. Ask your manager to send it again."
        ) from None
    except signing.BadSignature:
        raise TeamError(
            "This invitation link is not valid. Check that you copied all of it."
        ) from None
    invitation = (
        Invitation.objects.select_related("team__organisation", "invited_by")
        .filter(pk=data.get("invitation"))
        .first()
    )
    if invitation is None or invitation.revoked_at:
        raise TeamError("This invitation was withdrawn. Ask your manager for a new one.")
    if invitation.accepted_at:
        raise TeamError("This invitation has already been used.")
    return invitation


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user: User) -> Membership:
    """Join the invitation's team as a learner and inherit the team's assignments. Works once."""
    if normalise_email(user.email) != invitation.email:
        raise TeamError(
            f"This invitation is for {invitation.email}, but you are signed in as {user.email}."
        )
    claimed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(accepted_at=timezone.now(), accepted_by=user)
    if not claimed:
        raise TeamError("This invitation has already been used.")
    membership, joined = Membership.objects.get_or_create(
        user=user, team=invitation.team, role=Membership.Role.LEARNER
    )
    if joined:
        record_membership(kind=audit.Kind.MEMBERSHIP_ADDED, membership=membership, by=user)
    if invitation.name and not user.display_name:
        user.display_name = invitation.name
        user.save(update_fields=["display_name"])
    apply_team_assignments(user=user, team=invitation.team)
    # A team with a manager takes over reviewing from the organisation's named reviewers.
    review_rights_changed(user_ids={user.pk})
    return membership


# -- track assignments -------------------------------------------------------------------


def _enrol_many(user_ids, track: Track) -> None:
    Enrolment.objects.bulk_create(
        [Enrolment(learner_id=user_id, track=track) for user_id in user_ids],
        ignore_conflicts=True,
    )


def apply_team_assignments(*, user: User, team: Team) -> None:
    """Someone joined `team`: enrol them in the team's active assignments."""
    tracks = Track.objects.filter(assignments__team=team, assignments__cancelled_at__isnull=True)
    Enrolment.objects.bulk_create(
        [Enrolment(learner=user, track=track) for track in tracks], ignore_conflicts=True
    )
    rollups.refresh_assignments(learner_ids=[user.pk])


def teams_changed_receiver(sender, *, learner_ids, joined, **kwargs) -> None:
    """Memberships or assignments changed outside these services (learners.signals: the admin,
    learners' own services): those who joined a team inherit its assigned tracks, and the
    stored assignment and due date of everyone named are refreshed."""
    for membership in joined:
        apply_team_assignments(user=membership.user, team=membership.team)
    rollups.refresh_assignments(learner_ids=learner_ids)


def _refresh_assignment_rows(assignment: TrackAssignment) -> None:
    """The stored assignment and due date of everyone the assignment applies to."""
    if assignment.team_id is not None:
        learner_ids = Membership.objects.filter(
            team_id=assignment.team_id, role=Membership.Role.LEARNER
        ).values("user_id")
    else:
        learner_ids = [assignment.learner_id]
    rollups.refresh_assignments(learner_ids=learner_ids, track_ids=[assignment.track_id])


@transaction.atomic
def assign_track(
    *,
    manager: User,
    track: Track,
    team: Team | None = None,
    learner: User | None = None,
    due_date: date | None = None,
) -> TrackAssignment:
    """Assign `track` to a team (and everyone who joins it later) or one person; enrols them."""
    if (team is None) == (learner is None):
        raise TeamError("Choose a team or a person.")
    if not track.is_published or track.archived_at:
        raise TeamError("Only published tracks can be assigned.")
    teams = managed_teams(manager)
    if team is not None and not teams.filter(pk=team.pk).exists():
        raise TeamError("You can only assign tracks to teams you manage.")
    if learner is not None and not team_learners(teams).filter(pk=learner.pk).exists():
        raise TeamError("You can only assign tracks to people in your teams.")
    if due_date is not None and due_date < timezone.localdate():
        raise TeamError("The due date is in the past.")
    assignment = TrackAssignment.objects.create(
        track=track, team=team, learner=learner, due_date=due_date, assigned_by=manager
    )
    if team is not None:
        _enrol_many(team_learners([team]).values_list("pk", flat=True), track)
    else:
        _enrol_many([learner.pk], track)
    _refresh_assignment_rows(assignment)
    _announce_assignment(assignment)
    record_assignment(kind=audit.Kind.TRACK_ASSIGNED, assignment=assignment, by=manager)
    return assignment


# -- telling people a track was assigned to them (issue 22, item 6) ---------------------------
# A notice each in the assignment's transaction; the emails through the outbox (ledger.outbox):
# by the worker once it commits, in batches, each under its ledger key (so a retried batch
# sends nobody twice).

TRACK_ASSIGNED = "track_assigned"
ASSIGNMENT_EMAILS_TASK = "notifications.tasks.send_assignment_emails"
ASSIGNMENT_EMAIL_BATCH = 500


def _assigned_learner_ids(assignment: TrackAssignment) -> list[int]:
    if assignment.team_id is None:
        return [assignment.learner_id]
    return list(team_learners([assignment.team_id]).order_by("pk").values_list("pk", flat=True))


def _assignment_notice_title(assignment: TrackAssignment) -> str:
    due = assignment.due_date
    due = f", due {due.day} {due:%b %Y}" if due else ""
    by = assignment.assigned_by.name if assignment.assigned_by else "Your manager"
    return f"{by} assigned you “{assignment.track.title}”{due}"


def _announce_assignment(assignment: TrackAssignment) -> None:
    title = _assignment_notice_title(assignment)
    url = assignment.track.get_absolute_url()
    notices.record(
        [
            notices.Event(
                recipient_id=learner_id,
                key=f"{TRACK_ASSIGNED}:{assignment.pk}:{learner_id}",
                kind=TRACK_ASSIGNED,
                title=title,
                url=url,
            )
            for learner_id in _assigned_learner_ids(assignment)
        ]
    )
    outbox.announce(TRACK_ASSIGNED, assignment.pk)


def send_assignment_emails(*, assignment_id: int, learner_ids: list[int] | None = None) -> int:
    """Email the people a (still active) assignment applies to; returns how many were sent now.
    Without `learner_ids`, splits everyone into batches, each a task of its own."""
    assignment = (
        TrackAssignment.objects.select_related("track", "assigned_by")
        .filter(pk=assignment_id, cancelled_at__isnull=True)
        .first()
    )
    if assignment is None:
        return 0
    if learner_ids is None:
        everyone = _assigned_learner_ids(assignment)
        if len(everyone) > ASSIGNMENT_EMAIL_BATCH:
            task = current_app.tasks[ASSIGNMENT_EMAILS_TASK]
            for start in range(0, len(everyone), ASSIGNMENT_EMAIL_BATCH):
                batch = everyone[start : start + ASSIGNMENT_EMAIL_BATCH]
                task.delay(assignment_id=assignment_id, learner_ids=batch)  # raises: retried
            return 0
        learner_ids = everyone
    url = messaging.absolute(assignment.track.get_absolute_url())
    sent = 0
    for learner in User.objects.filter(pk__in=learner_ids, is_active=True).order_by("pk"):
        message = messaging.send_message(
            key=f"{TRACK_ASSIGNED}:{assignment.pk}:{learner.pk}",
            kind=TRACK_ASSIGNED,
            to_email=learner.email,
            recipient=learner,
            context={
                "learner": learner,
                "manager": assignment.assigned_by,
                "track": assignment.track,
                "due_date": assignment.due_date,
                "url": url,
            },
        )
        sent += message is not None
    return sent


def assignments_managed_by(manager: User) -> QuerySet[TrackAssignment]:
    teams = managed_teams(manager)
    return TrackAssignment.objects.filter(
        Q(team__in=teams) | Q(learner__in=team_learners(teams))
    ).distinct()


@transaction.atomic
def change_due_date(
    *, assignment: TrackAssignment, due_date: date | None, by: User | None = None
) -> None:
    if due_date is not None and due_date < timezone.localdate():
        raise TeamError("The due date is in the past.")
    TrackAssignment.objects.filter(pk=assignment.pk).update(due_date=due_date)
    _refresh_assignment_rows(assignment)
    assignment.due_date = due_date
    record_assignment(kind=audit.Kind.ASSIGNMENT_CHANGED, assignment=assignment, by=by)


@transaction.atomic
def cancel_assignment(*, assignment: TrackAssignment, by: User | None = None) -> None:
    """Cancel the assignment; the learners stay enrolled and keep all their progress."""
    cancelled = TrackAssignment.objects.filter(pk=assignment.pk, cancelled_at__isnull=True).update(
        cancelled_at=timezone.now()
    )
    _refresh_assignment_rows(assignment)
    if cancelled:
        record_assignment(kind=audit.Kind.ASSIGNMENT_CANCELLED, assignment=assignment, by=by)


def record_export(*, manager: User, team_ids: list[int]) -> None:
    """An audit entry for the dashboard's CSV, in the log of each organisation whose teams it
    holds (staff, who export every team: one entry, for staff)."""
    organisations = (
        [None]
        if manager.is_staff
        else Organisation.objects.filter(teams__in=team_ids).distinct().order_by("pk")
    )
    for organisation in organisations:
        audit.record(
            kind=audit.Kind.DATA_EXPORTED,
            actor=manager,
            organisation=organisation,
            target="Team progress CSV",
        )


# -- nudges ------------------------------------------------------------------------------


def nudge_learner(*, manager: User, learner: User, track: Track) -> bool:
    """Send the learner a reminder about `track`; at most one per person, track and day.

    Returns False when today's nudge was already sent.
    """
    if not team_learners(managed_teams(manager)).filter(pk=learner.pk).exists():
        raise TeamError("You can only nudge people in your teams.")
    today = timezone.localdate().isoformat()
    # Recorded now, sent by the worker once the request is done (never inside it).
    message = messaging.queue_message(
        key=f"manager-nudge:{learner.pk}:{track.pk}:{today}",
        kind="manager_nudge",
        to_email=learner.email,
        recipient=learner,
        context={
            "learner": learner,
            "manager": manager,
            "track": track,
            "track_url": messaging.absolute(track.get_absolute_url()),
        },
    )
    return message is not None
