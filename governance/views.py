"""Social governance pages: the policy and its acknowledgement, the policy owner's editor, the
clearance roster (page and CSV) and the staff's content-freshness report."""

import csv
import itertools
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit import services as audit
from core.csv import Echo, csv_safe
from core.pagination import KnownCountPaginator
from courses import selectors as course_selectors
from courses.dates import add_months
from courses.markdown import render_markdown
from learners.models import Organisation, User
from learners.selectors import sorts_its_people
from progress import selectors

from . import clearance, roster_table
from . import policy as policies
from . import services as governance
from .forms import PolicyDraftForm, RosterFilterForm
from .models import PolicyAcknowledgement, PolicyVersion

ROSTER_PER_PAGE = 50  # as the team dashboard: a screenful to scan, the rest a filter away
CSV_BATCH = 500  # people evaluated per round of queries while the CSV streams


# -- the policy ------------------------------------------------------------------------------


@dataclass
class PolicyPanel:
    organisation: Organisation
    state: policies.PolicyState
    acknowledged: dict[int, PolicyAcknowledgement]  # version id → the person's acknowledgement
    is_owner: bool
    is_member: bool  # only members acknowledge; an owner from outside only reads

    @property
    def latest_acknowledgement(self) -> PolicyAcknowledgement | None:
        latest = self.state.latest
        return self.acknowledged.get(latest.pk) if latest else None


def _policy_panels(user: User) -> list[PolicyPanel]:
    owned = set(policies.owned_organisations(user).values_list("pk", flat=True))
    member_of = set(policies.organisations_of(user).values_list("pk", flat=True))
    organisations = Organisation.objects.filter(
        Q(teams__memberships__user=user) | Q(policy_owners__user=user)
    ).distinct()
    today = timezone.localdate()
    panels = []
    for organisation in organisations.order_by("name"):
        acknowledged = {
            ack.version_id: ack
            for ack in PolicyAcknowledgement.objects.filter(
                user=user, version__policy__organisation=organisation
            )
        }
        panels.append(
            PolicyPanel(
                organisation=organisation,
                state=policies.policy_state(organisation, today=today),
                acknowledged=acknowledged,
                is_owner=organisation.pk in owned,
                is_member=organisation.pk in member_of,
            )
        )
    return panels


@login_required
def policy(request):
    """The current policy of each organisation the person is in, and its acknowledgement."""
    if request.method == "POST":
        version = get_object_or_404(
            PolicyVersion.objects.published().select_related("policy__organisation"),
            pk=request.POST.get("version"),
        )
        try:
            _, created = policies.acknowledge(
                user=request.user, version=version, text_sha256=request.POST.get("sha256", "")
            )
        except policies.PolicyError as error:
            messages.error(request, str(error))
        else:
            if created:
                messages.success(
                    request,
                    f"Thank you: you acknowledged version {version.number} of "
                    f"{version.policy.organisation}'s policy.",
                )
        return redirect("governance:policy")
    return render(
        request,
        "governance/policy_detail.html",
        {"panels": _policy_panels(request.user), "today": timezone.localdate()},
    )


def _owned_organisation(request) -> Organisation:
    """The organisation whose policy the signed-in owner is editing (?organisation=<slug>)."""
    owned = policies.owned_organisations(request.user).order_by("name")
    slug = request.GET.get("organisation") or request.POST.get("organisation")
    if slug:
        return get_object_or_404(owned, slug=slug)
    organisation = owned.first()
    if organisation is None:
        raise PermissionDenied("Only the organisation's policy owner can edit its policy.")
    return organisation


@login_required
def policy_edit(request):
    """The policy owner drafts the next version, previews it and publishes it."""
    if not policies.owned_organisations(request.user).exists():
        raise PermissionDenied("Only the organisation's policy owner can edit its policy.")
    organisation = _owned_organisation(request)
    state = policies.policy_state(organisation)
    draft = policies.draft_for(organisation)
    # A new draft starts from the latest published text: most versions are edits.
    starting_text = state.latest.body_markdown if state.latest else ""
    initial = {
        "body": draft.body_markdown if draft else starting_text,
        "changes_summary": draft.changes_summary if draft else "",
        "effective_date": (draft.effective_date if draft else None) or timezone.localdate(),
    }
    form = PolicyDraftForm(request.POST or None, initial=initial)
    preview_html = None
    action = request.POST.get("action", "save")
    if request.method == "POST" and action == "discard":
        policies.discard_draft(organisation=organisation)
        messages.success(request, "Draft discarded.")
        return redirect(_edit_url(organisation))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if action == "preview":
            preview_html = render_markdown(data["body"])
        else:
            policies.save_draft(
                organisation=organisation,
                body=data["body"],
                changes_summary=data["changes_summary"],
                effective_date=data["effective_date"],
            )
            if action != "publish":
                messages.success(request, "Draft saved. Nobody sees it until you publish it.")
                return redirect(_edit_url(organisation))
            try:
                version = governance.publish_policy(organisation=organisation, by=request.user)
            except policies.PolicyError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    f"Version {version.number} published. Everyone in {organisation} is asked "
                    "to acknowledge it.",
                )
                return redirect(_edit_url(organisation))
    acknowledged = dict(
        PolicyAcknowledgement.objects.filter(version__in=[v.pk for v in state.versions])
        .values_list("version_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return render(
        request,
        "governance/policy_edit.html",
        {
            "organisation": organisation,
            "organisations": policies.owned_organisations(request.user).order_by("name"),
            "state": state,
            "draft": draft,
            "form": form,
            "preview_html": preview_html,
            "versions": [(v, acknowledged.get(v.pk, 0)) for v in state.versions],
            "members": governance.count_members(organisation),
        },
        status=400 if form.errors else 200,
    )


def _edit_url(organisation: Organisation) -> str:
    return f"{reverse('governance:policy_edit')}?organisation={organisation.slug}"


@login_required
@require_POST
def promote_submission(request, submission_id: int):
    """The policy owner turns an approved "Write your team's social media policy" into the
    organisation's policy draft."""
    submission = get_object_or_404(
        selectors.submissions_visible_to(request.user).select_related("assignment"),
        pk=submission_id,
    )
    try:
        draft = governance.promote_submission(submission=submission, by=request.user)
    except policies.PolicyError as error:
        raise PermissionDenied(str(error)) from None
    messages.success(
        request,
        "The approved draft is now your organisation's policy draft. Review it, say what "
        "changed and publish it.",
    )
    return redirect(_edit_url(draft.policy.organisation))


# -- the roster ------------------------------------------------------------------------------


@dataclass
class RosterRow:
    person: governance.RosterPerson
    levels: list[clearance.LevelStatus]


def _roster_scope(request) -> tuple[governance.Scope, list[governance.Scope]]:
    """The scope chosen with ?organisation=<slug> (default: the first), and all of them."""
    scopes = governance.roster_scopes(request.user)
    if not scopes:
        raise PermissionDenied("Only managers and policy owners can see the clearance roster.")
    slug = request.GET.get("organisation")
    if not slug:
        return scopes[0], scopes
    scope = next((s for s in scopes if s.organisation.slug == slug), None)
    if scope is None:
        raise Http404("No roster for that organisation")
    return scope, scopes


class _RowsOfScope:
    """Everyone in the scope (`people` of them) as the paginator slices them (Scope.rows_page)."""

    def __init__(self, scope: governance.Scope, people: int):
        self.scope, self.people = scope, people

    def __getitem__(self, bounds: slice) -> list[governance.RosterPerson]:
        return self.scope.rows_page(
            offset=bounds.start, limit=bounds.stop - bounds.start, people=self.people
        )


class _MatchingRows:
    """The people a filter keeps, as the paginator slices them."""

    def __init__(self, people: QuerySet[User]):
        self.rows = people.values_list(*governance.ROSTER_PERSON_FIELDS)

    def __getitem__(self, bounds: slice) -> list[governance.RosterPerson]:
        return [governance.RosterPerson(*row) for row in self.rows[bounds]]


def _chosen_levels(rules: clearance.Rules, level_id: str) -> list:
    """The levels the roster's filter asks about: the chosen one, or every level."""
    return [level for level in rules.levels if not level_id or str(level.pk) == level_id]


def _roster_filter(rules: clearance.Rules, levels: list, status: str) -> Q:
    """People with `status` on any of `levels`, in SQL."""
    return rules.condition_on_any(levels, status) if status else Q()


@login_required
def roster(request):
    """Who is cleared for what, since when, and who lost clearance (and why). The database
    counts, filters and pages everyone; only the page's people have their checks read, so a
    team of 50 and an organisation of 50,000 cost the same queries and nearly the same time."""
    scope, scopes = _roster_scope(request)
    rules = clearance.Rules(scope.organisation)
    form = RosterFilterForm(request.GET or None, levels=rules.levels)
    level_id = status = ""
    if form.is_bound and form.is_valid():
        level_id, status = form.cleaned_data["level"], form.cleaned_data["status"]
    levels = _chosen_levels(rules, level_id)
    matching = _roster_filter(rules, levels, status) if rules.levels else Q()
    counts, everyone = clearance.counts(
        rules, scope.people, pairs_sql=scope.pairs_sql(), teams_sql=scope.teams_sql()
    )
    # A filter that names its people ("in these holdings") in a large scope: the scope is asked
    # of each of them, so that SQLite starts from the holdings, not from each of the scope's
    # people (a team of 10,000: 3.6 ms a query, 0.8 this way).
    per_person = not sorts_its_people(everyone) and rules.names_its_people(status)
    if not matching:
        found = everyone
    elif len(levels) == 1:
        # One of the counts read anyway; counting the people again would ask about each of
        # them (50 ms for a team of 10,000).
        found = clearance.with_status(counts, levels[0], status)
    else:
        found = scope.people(walking_names=per_person).filter(matching).order_by().count()
    if matching:
        rows = scope.people_rows(sort=sorts_its_people(found), per_person=per_person)
        people = _MatchingRows(rows.filter(matching))
    else:
        people = _RowsOfScope(scope, found)
    page = KnownCountPaginator(people, ROSTER_PER_PAGE, count=found).get_page(
        request.GET.get("page")
    )
    statuses = rules.evaluate([person.pk for person in page.object_list])
    nobody = rules.empty()
    page.object_list = [RosterRow(p, statuses.get(p.pk) or nobody) for p in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "governance/roster.html",
        {
            "scope": scope,
            "scopes": scopes,
            "rules": rules,
            "form": form,
            "page": page,
            "table_rows": roster_table.rows_html(page.object_list),
            "counts": counts,
            "query": query.urlencode(),
            "is_manager_view": scope.teams is not None,
        },
    )


ROSTER_CSV_HEADER = [
    "name", "email", "team", "organisation", "level", "status", "since", "valid_until",
    "lost_since", "lost_because", "missing",
]  # fmt: skip


def _iso(moment) -> str:
    return moment.isoformat() if moment else ""


def _roster_lines(scope: governance.Scope, rules: clearance.Rules):
    writer = csv.writer(Echo())
    yield writer.writerow(ROSTER_CSV_HEADER)
    rows = scope.people_rows().values_list(*governance.ROSTER_PERSON_FIELDS)
    for batch in itertools.batched(rows.iterator(chunk_size=CSV_BATCH), CSV_BATCH):
        people = [governance.RosterPerson(*row) for row in batch]
        statuses = rules.evaluate([person.pk for person in people])
        for person in people:
            for level_status in statuses.get(person.pk) or rules.empty():
                yield writer.writerow(
                    [
                        csv_safe(person.name),
                        csv_safe(person.email),
                        csv_safe(person.team_name or ""),
                        csv_safe(scope.organisation.name),
                        csv_safe(level_status.level.name),
                        level_status.status,
                        _iso(level_status.since),
                        _iso(level_status.valid_until),
                        _iso(level_status.lost_since),
                        " ".join(level_status.lapse_reasons),
                        csv_safe(level_status.explanation),
                    ]
                )


@login_required
def roster_csv(request):
    """The roster as CSV (one row per person and level), streamed in constant memory."""
    scope, _ = _roster_scope(request)
    rules = clearance.Rules(scope.organisation)
    audit.record(
        kind=audit.Kind.DATA_EXPORTED,
        actor=request.user,
        organisation=scope.organisation,
        target="Clearance roster CSV",
    )
    response = StreamingHttpResponse(
        _roster_lines(scope, rules), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="clearance-{scope.organisation.slug}-{stamp}.csv"'
    )
    return response


# -- content freshness -----------------------------------------------------------------------

DEFAULT_STALE_MONTHS = 6


DEFAULT_FACTS_MONTHS = 3


def _months(request, name: str, default: int) -> int:
    try:
        months = int(request.GET.get(name, default))
    except ValueError:
        months = default
    return min(max(months, 1), 120)


@login_required
def freshness(request):
    """Staff: lessons not reviewed in N months (?months=, default 6), reviewed before the
    rules of a platform they cover changed, or whose volatile facts (limits, rules) weren't
    checked in M months (?facts_months=, default 3: they change faster than lessons age)."""
    if not request.user.is_staff:
        raise PermissionDenied("Only staff can see the freshness report.")
    months = _months(request, "months", DEFAULT_STALE_MONTHS)
    facts_months = _months(request, "facts_months", DEFAULT_FACTS_MONTHS)
    today = timezone.localdate()
    cutoff = add_months(today, -months)
    facts_cutoff = add_months(today, -facts_months)
    reviews = course_selectors.platform_reviews()
    lessons = course_selectors.stale_lessons(
        reviewed_before=cutoff, platform_reviews=reviews, facts_checked_before=facts_cutoff
    )
    return render(
        request,
        "governance/freshness.html",
        {
            "months": months,
            "cutoff": cutoff,
            "facts_months": facts_months,
            "facts_cutoff": facts_cutoff,
            "lessons": lessons,
            "compares_platforms": reviews is not None,
        },
    )
