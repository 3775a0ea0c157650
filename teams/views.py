"""The manager's pages: team dashboard, CSV export, review queue, invitations, assignments."""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe

from core.charts import month_starts, monthly_bars
from core.csv import csv_safe
from core.pagination import CappedCountPaginator, KnownCountPaginator
from courses.models import Quiz, Track
from governance import services as governance
from learners import selectors as memberships
from learners.decorators import NOT_A_MANAGER, manager_required, reviewer_required
from learners.models import Invitation, User
from progress import quizzes
from progress import services as progress_services

from . import dashboard_sql, dashboards, people
from . import services as team
from . import table as team_table
from .forms import AssignForm, DashboardFilterForm, DueDateForm, InviteForm

ROWS_PER_PAGE = 50
# The monthly completions chart is drawn at most this often per manager: a month's bar may lag
# a new certificate by up to ten minutes, which a monthly trend can afford (the counts and rows
# above it are always current).
CHART_SECONDS = 600


def _filters(
    request, teams: list[dashboard_sql.TeamChoice], curriculum: dashboards.CurriculumFacts
) -> tuple[DashboardFilterForm, dashboards.Filters]:
    form = DashboardFilterForm(
        request.GET or None,
        teams=[(t.id, t.label) for t in teams],
        tracks=curriculum.published,
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        return form, dashboards.Filters(
            team_id=data["team"], track_id=data["track"], status=data["status"], sort=data["sort"]
        )
    return form, dashboards.Filters()


class _RowsPage:
    """What the paginator slices: the dashboard's rows, read a page at a time."""

    def __init__(self, query: dashboard_sql.DashboardQuery, count: int):
        self.query, self.count = query, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, window: slice) -> list[dict]:
        size = window.stop - window.start
        if size <= 0:
            return []
        return self.query.rows(offset=window.start, limit=size, total=self.count)


def _teams_of_a_manager(request) -> list[dashboard_sql.TeamChoice]:
    """The teams the user manages; 403 if none (manager_required's check, answered by the
    query the dashboard and its CSV need anyway)."""
    teams = dashboard_sql.manager_teams(request.user)
    if not teams and not request.user.is_staff:
        raise PermissionDenied(NOT_A_MANAGER)
    return teams


@login_required
@require_safe
def start(request):
    """Where sign-in leads (LOGIN_REDIRECT_URL): each role to where its work is, with a prompt
    for any policy version still to acknowledge, wherever that is."""
    for version in governance.versions_to_acknowledge(request.user):
        messages.warning(
            request,
            format_html(
                "{} asks you to read and acknowledge its social media policy (version {}). "
                '<a href="{}">Read it now</a>.',
                version.policy.organisation.name,
                version.number,
                reverse("governance:policy"),
            ),
        )
    return redirect(team.start_page(request.user))


@login_required
def dashboard(request):
    teams = _teams_of_a_manager(request)
    today = timezone.localdate()
    curriculum = dashboards.curriculum_facts()
    form, filters = _filters(request, teams, curriculum)
    query = dashboard_sql.DashboardQuery(request.user, teams, filters, curriculum, today)
    counts = query.summary()
    shown = counts.get(filters.status, counts["assignments"])
    # Counted by the summary already.
    paginator = KnownCountPaginator(_RowsPage(query, shown), ROWS_PER_PAGE, count=shown)
    page = paginator.get_page(request.GET.get("page"))
    table = team_table.TableContext.for_request(request, now=timezone.now())
    address = request.GET.copy()
    address.pop("page", None)
    # Only organisations that define levels have a clearance section.
    clearance = (
        governance.team_clearance(request.user)
        if any(t.has_clearance_levels for t in teams)
        else []
    )
    return render(
        request,
        "teams/team_dashboard.html",
        {
            "form": form,
            "page": page,
            "counts": counts,
            "chart_html": _completions_chart(request.user, today),
            "table_rows": team_table.rows_html(page.object_list, table),
            "query": address.urlencode(),
            "today": today,
            "clearance_html": team_table.clearance_html(clearance, reverse("governance:roster")),
        },
    )


@manager_required
@require_safe
def person(request, learner_id: int):
    """One learner of the manager's teams: everything about their learning on one page."""
    found, teams = people.visible_person(request.user, learner_id)
    record = people.person_record(request.user, found, teams)
    return render(request, "teams/person.html", {"record": record, "now": timezone.now()})


def _completions_chart(manager, today) -> str:
    """The chart's rendered HTML, drawn at most every CHART_SECONDS per manager (it holds
    nothing per request: no token, no user input)."""
    html = cache.get_or_set(
        f"team-chart:{manager.pk}:{today.isoformat()}",
        lambda: render_to_string(
            "teams/partials/completions_chart.html",
            {
                "chart": monthly_bars(
                    dashboards.completions_by_month(manager, months=month_starts(today)),
                    today=today,
                )
            },
        ),
        CHART_SECONDS,
    )
    # Rendered by the template engine (which escaped it); the cache hands back a plain str.
    return mark_safe(html)  # noqa: S308  # nosec B308 B703


CSV_HEADER = [
    "name", "email", "team", "track", "progress_percent", "lessons_done", "lessons_total",
    "status", "due_date", "last_active", "quiz_average", "pending_reviews", "assigned_by",
]  # fmt: skip


# Lines go out in chunks: a response chunk per line cost more than writing the line.
CSV_LINES_PER_CHUNK = 500


def _csv_lines(query: dashboard_sql.DashboardQuery):
    """The CSV's lines from plain values (no model objects for 5,000 rows), in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for number, (
        name, email, team_name, track_title, done, total, status, due, active, quiz, waiting,
        assigned_by,
    ) in enumerate(query.export_rows(), start=1):  # fmt: skip
        writer.writerow(
            [
                csv_safe(name),
                csv_safe(email),
                csv_safe(team_name),
                csv_safe(track_title),
                round(100 * done / total) if total else 0,
                done,
                total,
                status,
                due.isoformat() if due else "",
                active.isoformat() if active else "",
                f"{quiz:.1f}" if quiz is not None else "",
                waiting,
                csv_safe(assigned_by),
            ]
        )
        if number % CSV_LINES_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@login_required
def export_csv(request):
    """Exactly what the dashboard shows with the same filters, streamed in constant memory."""
    teams = _teams_of_a_manager(request)
    curriculum = dashboards.curriculum_facts()
    _, filters = _filters(request, teams, curriculum)
    query = dashboard_sql.DashboardQuery(
        request.user, teams, filters, curriculum, timezone.localdate()
    )
    team.record_export(manager=request.user, team_ids=[t.id for t in teams])
    response = StreamingHttpResponse(_csv_lines(query), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="team-progress-{stamp}.csv"'
    return response


@reviewer_required
def review_queue(request):
    """The one review inbox: assignments, then what other apps route to the manager (posts)."""
    submissions = dashboards.waiting_for_review(request.user)
    page = CappedCountPaginator(submissions, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    sections = dashboards.review_sections(request.user, shown=ROWS_PER_PAGE)
    waiting = page.paginator.count + sum(section.count for section in sections)
    dashboards.remember_reviews_waiting(request.user, waiting)
    return render(
        request,
        "teams/team_reviews.html",
        {
            "page": page,
            "table_rows": team_table.inbox_rows_html(page.object_list, timezone.now()),
            "sections": sections,
            "reviews_waiting": waiting,
        },
    )


@manager_required
def quiz_attempts(request):
    """People in the manager's teams who ran out of attempts at a quiz; POST grants one more."""
    teams = memberships.managed_team_ids(request.user)
    if request.method == "POST":
        learner = get_object_or_404(
            User.objects.filter(pk__in=memberships.learner_ids_in(teams)),
            pk=request.POST.get("learner"),
        )
        quiz = get_object_or_404(Quiz.objects.select_related("lesson"), pk=request.POST.get("quiz"))
        progress_services.grant_extra_attempt(granted_by=request.user, learner=learner, quiz=quiz)
        messages.success(
            request, f"{learner.name} can now take the quiz on “{quiz.lesson.title}” once more."
        )
        # Back to the page the grant was made from (one row fewer now, so at most its last).
        page = request.POST.get("page", "")
        suffix = f"?page={page}" if page.isdigit() and page != "1" else ""
        return redirect(reverse("teams:team_attempts") + suffix)
    rows = quizzes.locked_out(team_ids=teams)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "teams/team_attempts.html", {"page": page, "rows": page.object_list})


@manager_required
@require_POST
def nudge(request):
    learner = get_object_or_404(
        memberships.team_learners(memberships.managed_teams(request.user)),
        pk=request.POST.get("learner"),
    )
    track = get_object_or_404(Track.objects.published(), pk=request.POST.get("track"))
    try:
        sent = team.nudge_learner(manager=request.user, learner=learner, track=track)
    except team.TeamError as error:
        messages.error(request, str(error))
    else:
        if sent:
            messages.success(
                request, f"A reminder is on its way to {learner.name} about “{track.title}”."
            )
        else:
            messages.info(request, f"{learner.name} already got a reminder about this track today.")
    target = request.POST.get("next", "")
    # Only back to a page of this site: `next` comes from the form and could be tampered with.
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("teams:team")
    return redirect(target)


# -- invitations -------------------------------------------------------------------------


@manager_required
def invite(request):
    form = InviteForm(request.POST or None, request.FILES or None, manager=request.user)
    outcome = None
    if request.method == "POST" and form.is_valid():
        lines = team.parse_invite_text(form.cleaned_data["emails"] or "") + team.parse_invite_text(
            form.cleaned_data["csv_text"], label="CSV line"
        )
        outcome = team.invite_people(
            manager=request.user, lines=lines, default_team=form.cleaned_data["team"]
        )
        if outcome.invited:
            count = len(outcome.invited)
            messages.success(request, f"Invited {count} {'person' if count == 1 else 'people'}.")
        if not outcome.problems:
            return redirect("teams:team_invitations")
    invitations = (
        Invitation.objects.filter(team__in=memberships.managed_teams(request.user))
        .select_related("team", "invited_by")
        .order_by("-created_at")[:200]
    )
    return render(
        request,
        "teams/team_invite.html",
        {"form": form, "outcome": outcome, "invitations": invitations},
        status=400 if form.errors or (outcome is not None and outcome.problems) else 200,
    )


def _managed_invitation(request, invitation_id: int) -> Invitation:
    return get_object_or_404(
        Invitation.objects.filter(team__in=memberships.managed_teams(request.user)),
        pk=invitation_id,
    )


@manager_required
@require_POST
def resend_invitation(request, invitation_id: int):
    invitation = _managed_invitation(request, invitation_id)
    if invitation.status != "pending":
        messages.error(request, "Only pending invitations can be resent.")
    else:
        team.send_invitation(invitation)
        messages.success(request, f"Invitation sent again to {invitation.email}.")
    return redirect("teams:team_invitations")


@manager_required
@require_POST
def revoke_invitation(request, invitation_id: int):
    invitation = _managed_invitation(request, invitation_id)
    team.revoke_invitation(invitation)
    messages.success(request, f"Invitation for {invitation.email} withdrawn.")
    return redirect("teams:team_invitations")


def accept_invitation(request, token: str):
    """The emailed link. Anonymous visitors sign up (or sign in) first and come back here."""
    try:
        invitation = team.invitation_from_token(token)
    except team.TeamError as error:
        return render(request, "teams/invitation.html", {"error": str(error)}, status=400)
    here = reverse("teams:invitation", args=[token])
    if request.method == "POST" and request.user.is_authenticated:
        try:
            team.accept_invitation(invitation=invitation, user=request.user)
        except team.TeamError as error:
            messages.error(request, str(error))
            return redirect(here)
        messages.success(
            request, f"Welcome to {invitation.team.name} at {invitation.team.organisation}."
        )
        return redirect("progress:me")
    if not request.user.is_authenticated:
        request.session["invitation_next"] = here
        from allauth.account.adapter import get_adapter

        # The link proves the address: a signup with it needs no second verification email.
        get_adapter(request).stash_verified_email(request, invitation.email)
    from learners.models import User

    has_account = User.objects.filter(email__iexact=invitation.email).exists()
    return render(
        request,
        "teams/invitation.html",
        {"invitation": invitation, "has_account": has_account, "next": here},
    )


# -- assignments -------------------------------------------------------------------------


@manager_required
def assignments(request):
    form = AssignForm(request.POST or None, manager=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team.assign_track(
                manager=request.user,
                track=data["track"],
                team=data["team"],
                learner=data["learner"],
                due_date=data["due_date"],
            )
        except team.TeamError as error:
            form.add_error(None, str(error))
        else:
            target = data["team"].name if data["team"] else data["learner"].name
            messages.success(request, f"“{data['track'].title}” assigned to {target}.")
            return redirect("teams:team_assignments")
    items = (
        team.assignments_managed_by(request.user)
        .active()
        .select_related("track", "team", "learner", "assigned_by")
        .order_by("due_date", "-created_at")
    )
    return render(
        request,
        "teams/team_assignments.html",
        {"form": form, "assignments": items, "today": timezone.localdate()},
        status=400 if form.errors else 200,
    )


@manager_required
@require_POST
def change_assignment(request, assignment_id: int):
    assignment = get_object_or_404(
        team.assignments_managed_by(request.user).active(), pk=assignment_id
    )
    if "cancel" in request.POST:
        team.cancel_assignment(assignment=assignment, by=request.user)
        messages.success(request, "Assignment cancelled. Everyone keeps their progress.")
        return redirect("teams:team_assignments")
    form = DueDateForm(request.POST, instance=assignment)
    if form.is_valid():
        try:
            team.change_due_date(
                assignment=assignment, due_date=form.cleaned_data["due_date"], by=request.user
            )
        except team.TeamError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Due date updated.")
    else:
        messages.error(request, "Enter a valid date.")
    return redirect("teams:team_assignments")
