"""The growth journal (self-reported numbers per profile), cadence goals, the public portfolio
and a manager's view of the team's growth. Numbers are what learners type in: nothing is
scraped or fetched.
"""

import functools
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.paginator import Page
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, Greatest, TruncWeek
from django.utils import timezone

from core import charts
from core.pagination import KnownCountPaginator
from core.prepared import prepared
from learners.models import Membership, User
from learners.selectors import managed_team_ids, managed_team_ids_sql, sorts_its_people
from progress import tallies
from progress.models import Certificate, LessonCompletion

from . import networks
from .models import Evidence, GrowthProfile, GrowthSnapshot, Portfolio
from .studio import learner_today

WINDOW_DAYS = 364  # the journal's timeline: the last year
MIN_SPAN_DAYS = 28  # ...but never squeezed into less than four weeks
RECENT_SNAPSHOTS = 30  # rows in the journal's table (the chart shows the whole year)
CADENCE_NUDGE_FROM = 3  # Thursday: from then on, a week short of its goal is about to be missed
MAX_GOAL = 21


class JournalError(Exception):
    """A request the rules refuse; the message is shown as-is."""


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


# -- writes ------------------------------------------------------------------------------


def add_profile(
    *, learner: User, network: str, handle: str, weekly_post_goal: int | None = None
) -> GrowthProfile:
    if network not in networks.BY_SLUG:
        raise JournalError("Choose a network.")
    if weekly_post_goal is not None and not 1 <= weekly_post_goal <= MAX_GOAL:
        raise JournalError(f"A goal is between 1 and {MAX_GOAL} posts a week.")
    try:
        with transaction.atomic():
            return GrowthProfile.objects.create(
                learner=learner,
                network=network,
                handle=handle.strip(),
                weekly_post_goal=weekly_post_goal,
            )
    except IntegrityError:
        raise JournalError(
            f"You already track {handle.strip()} on {networks.label(network)}."
        ) from None


def set_goal(*, profile: GrowthProfile, weekly_post_goal: int | None) -> None:
    if weekly_post_goal is not None and not 1 <= weekly_post_goal <= MAX_GOAL:
        raise JournalError(f"A goal is between 1 and {MAX_GOAL} posts a week.")
    GrowthProfile.objects.filter(pk=profile.pk).update(weekly_post_goal=weekly_post_goal)


def record_snapshot(
    *,
    learner: User,
    profile: GrowthProfile,
    taken_on: date,
    followers: int,
    posts_published: int = 0,
    engagement: int = 0,
    note: str = "",
) -> GrowthSnapshot:
    """One set of numbers for one profile and day. Refuses negative numbers, future dates (in
    the learner's time zone) and a second snapshot of the same profile on the same day (a
    unique constraint holds that under concurrency)."""
    if profile.learner_id != learner.pk:
        raise JournalError("That profile isn't yours.")
    if taken_on > learner_today(learner):
        raise JournalError("The date is in the future: record numbers once you have them.")
    if min(followers, posts_published, engagement) < 0:
        raise JournalError("Numbers can't be negative.")
    try:
        with transaction.atomic():
            return GrowthSnapshot.objects.create(
                profile=profile,
                learner=learner,
                taken_on=taken_on,
                followers=followers,
                posts_published=posts_published,
                engagement=engagement,
                note=note,
            )
    except IntegrityError:
        raise JournalError(
            f"You already recorded {profile.handle} on {taken_on:%d %b %Y}: one snapshot per "
            "profile per day."
        ) from None


def portfolio_for(learner: User) -> Portfolio:
    """The learner's portfolio settings (private until they switch it on)."""
    portfolio, _ = Portfolio.objects.get_or_create(learner=learner)
    return portfolio


# -- reads -------------------------------------------------------------------------------


def profiles_with_numbers(
    profiles: QuerySet[GrowthProfile], *, today: date, posts_since: date
) -> QuerySet[GrowthProfile]:
    """`profiles` annotated with the latest followers (on or before `today`), the followers a
    week earlier (and when they were counted), and the posts from `posts_since` to `today`:
    the evidence logged for the profile's network and the posts reported with its numbers.
    Subqueries only: one query however many profiles."""
    on_or_before = GrowthSnapshot.objects.filter(
        profile=OuterRef("pk"), taken_on__lte=today
    ).order_by("-taken_on")
    week_earlier = on_or_before.filter(taken_on__lte=today - timedelta(days=7))
    posts = (
        Evidence.objects.filter(
            learner=OuterRef("learner_id"),
            network=OuterRef("network"),
            published_on__gte=posts_since,
            published_on__lte=today,
        )
        .order_by()
        .values("learner")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    reported = (
        GrowthSnapshot.objects.filter(
            profile=OuterRef("pk"), taken_on__gte=posts_since, taken_on__lte=today
        )
        .order_by()
        .values("profile")
        .annotate(n=Sum("posts_published"))
        .values("n")[:1]
    )
    numbers = profiles.annotate(
        latest_followers=Subquery(on_or_before.values("followers")[:1]),
        latest_on=Subquery(on_or_before.values("taken_on")[:1], output_field=DateField()),
        earlier_followers=Subquery(week_earlier.values("followers")[:1]),
        earlier_on=Subquery(week_earlier.values("taken_on")[:1], output_field=DateField()),
        posts_logged=Coalesce(Subquery(posts, output_field=IntegerField()), 0),
        posts_reported=Coalesce(Subquery(reported, output_field=IntegerField()), 0),
    )
    # A profile line's two rules, stated here once, in SQL, so that a team's totals can sum
    # them: a change needs numbers from the last seven days and numbers a week older; a post
    # may be both logged and reported, so the larger count of the two stands.
    return numbers.annotate(
        change=Case(
            When(
                latest_on__gt=today - timedelta(days=7),
                earlier_followers__isnull=False,
                then=F("latest_followers") - F("earlier_followers"),
            ),
            default=None,
            output_field=IntegerField(),
        ),
        posts=Greatest("posts_logged", "posts_reported"),
    )


@dataclass
class ProfileLine:
    """A profile's numbers for a page or an email."""

    id: int
    network: str
    handle: str
    followers: int | None
    latest_on: date | None
    change: int | None  # followers gained (or lost) since `change_since`; None without two
    change_since: date | None  # the numbers compared: the latest on or before a week earlier
    goal: int | None
    # Posts in the period (this week, or the last seven days): those logged as evidence or
    # those reported with the profile's numbers, whichever is more (one post may be both).
    posts: int

    @property
    def network_name(self) -> str:
        return networks.label(self.network)

    @property
    def goal_met(self) -> bool:
        return self.goal is not None and self.posts >= self.goal

    @property
    def goal_percent(self) -> int:
        return min(round(100 * self.posts / self.goal), 100) if self.goal else 0


def profile_line(row: dict) -> ProfileLine:
    """A row of `profiles_with_numbers(...).values(*PROFILE_VALUES)` as a line."""
    return ProfileLine(
        id=row["pk"],
        network=row["network"],
        handle=row["handle"],
        followers=row["latest_followers"],
        latest_on=row["latest_on"],
        change=row["change"],
        change_since=row["earlier_on"] if row["change"] is not None else None,
        goal=row["weekly_post_goal"],
        posts=row["posts"],
    )


PROFILE_VALUES = (
    "pk",
    "learner_id",
    "network",
    "handle",
    "weekly_post_goal",
    "latest_followers",
    "latest_on",
    "earlier_on",
    "change",
    "posts",
)


def _window(today: date, first: date | None) -> date:
    start = today - timedelta(days=WINDOW_DAYS)
    if first is not None and first > start:
        start = first
    return min(start, today - timedelta(days=MIN_SPAN_DAYS))


def _chart(
    profiles: list[ProfileLine],
    snapshots: list[dict],
    *,
    today: date,
    certificates: list[dict],
    weekly: list[tuple[date, int]],
) -> charts.LineChart:
    by_profile: dict[int, list[tuple[date, int]]] = {}
    for row in snapshots:
        by_profile.setdefault(row["profile_id"], []).append((row["taken_on"], row["followers"]))
    firsts = [points[0][0] for points in by_profile.values()]
    start = _window(today, min(firsts) if firsts else None)
    series = [
        charts.LineSeries(f"{p.network_name} {p.handle}", by_profile[p.id])
        for p in profiles
        if p.id in by_profile
    ]
    milestones = [
        (timezone.localtime(c["issued_at"]).date(), f"Certificate: {c['track_title']}")
        for c in certificates
    ]
    return charts.line_chart(series, start=start, end=today, milestones=milestones, weekly=weekly)


@dataclass
class JournalPage:
    today: date
    profiles: list[ProfileLine]
    recent: list[dict]  # snapshot rows, newest first
    chart: charts.LineChart


def journal_page(learner: User) -> JournalPage:
    """Everything on /journal/ in four queries, however many snapshots there are: profiles
    (with their latest numbers and this week's posts), the year's snapshots, certificates and
    lessons completed per week."""
    today = learner_today(learner)
    rows = profiles_with_numbers(
        GrowthProfile.objects.filter(learner=learner), today=today, posts_since=week_start(today)
    ).values(*PROFILE_VALUES)
    profiles = [profile_line(row) for row in rows]
    start = today - timedelta(days=WINDOW_DAYS)
    snapshots = list(
        GrowthSnapshot.objects.filter(learner=learner, taken_on__gte=start)
        .order_by("taken_on", "pk")
        .values(
            "pk", "profile_id", "taken_on", "followers", "posts_published", "engagement", "note"
        )
    )
    certificates = list(
        Certificate.objects.filter(learner=learner, issued_at__date__gte=start).values(
            "track_title", "issued_at"
        )
    )
    weekly = [
        (timezone.localtime(row["week"]).date(), row["n"])
        for row in LessonCompletion.objects.filter(learner=learner, completed_at__date__gte=start)
        .annotate(week=TruncWeek("completed_at"))
        .order_by()
        .values("week")
        .annotate(n=Count("pk"))
    ]
    names = {p.id: f"{p.network_name} · {p.handle}" for p in profiles}
    recent = list(reversed(snapshots))[:RECENT_SNAPSHOTS]
    for row in recent:
        row["profile_name"] = names.get(row["profile_id"], "")
    return JournalPage(
        today=today,
        profiles=profiles,
        recent=recent,
        chart=_chart(profiles, snapshots, today=today, certificates=certificates, weekly=weekly),
    )


# -- the public portfolio ----------------------------------------------------------------


@dataclass
class PortfolioPage:
    portfolio: Portfolio
    certificates: list[dict]
    evidence: list[Evidence]
    profiles: list[ProfileLine]
    chart: charts.LineChart | None


def public_portfolio(handle: str) -> Portfolio | None:
    """The portfolio at /p/<handle>/, only while its owner shows it publicly. One query."""
    return (
        Portfolio.objects.select_related("learner")
        .filter(handle=handle.lower(), is_public=True, learner__is_active=True)
        .first()
    )


def portfolio_page(portfolio: Portfolio) -> PortfolioPage:
    """What the learner chose to show, in at most four more queries whatever its size."""
    learner = portfolio.learner
    today = learner_today(learner)
    certificates = (
        list(
            Certificate.objects.filter(learner=learner)
            .order_by("-issued_at")
            .values("track_title", "code", "issued_at")
        )
        if portfolio.show_certificates
        else []
    )
    evidence = list(
        Evidence.objects.filter(learner=learner, on_portfolio=True).only(
            "url", "network", "published_on", "note"
        )
    )
    profiles, chart = [], None
    if portfolio.show_growth:
        rows = profiles_with_numbers(
            GrowthProfile.objects.filter(learner=learner),
            today=today,
            posts_since=week_start(today),
        ).values(*PROFILE_VALUES)
        profiles = [profile_line(row) for row in rows]
        snapshots = list(
            GrowthSnapshot.objects.filter(
                learner=learner, taken_on__gte=today - timedelta(days=WINDOW_DAYS)
            )
            .order_by("taken_on", "pk")
            .values("profile_id", "taken_on", "followers")
        )
        chart = _chart(profiles, snapshots, today=today, certificates=certificates, weekly=[])
    return PortfolioPage(
        portfolio=portfolio,
        certificates=certificates,
        evidence=evidence,
        profiles=profiles,
        chart=chart,
    )


# -- the team's growth (managers) --------------------------------------------------------


@dataclass
class NetworkTotal:
    network: str
    people: int
    profiles: int
    followers: int
    change: int
    posts: int

    @property
    def network_name(self) -> str:
        return networks.label(self.network)


@dataclass
class TeamGrowth:
    totals: list[NetworkTotal]
    page: Page  # of (person, ProfileLine), ordered by person
    sharing: int
    people: int


TEAM_GROWTH_PER_PAGE = 50


def team_growth(manager: User, *, page: str | int | None = 1) -> TeamGrowth:
    """Growth of the learners in the manager's teams who chose to share it: totals by network
    summed in the database, and the people's profiles a page at a time. Five queries however
    many people share, four of them compiled once (a day, for those that hold dates)."""
    people = _active_learners(manager)
    # Few people: start from them. Many: from the few who share (_sharers).
    reads = _team_growth_reads(timezone.localdate(), from_sharers=not sorts_its_people(people))
    staff = manager.is_staff
    values = {} if staff else {"manager_id": manager.pk}
    sharing = (reads.sharing_for_staff if staff else reads.sharing).count(**values)
    totals = [
        NetworkTotal(
            network=row["network"],
            people=row["people"],
            profiles=row["profiles"],
            followers=row["followers_total"],
            change=row["change_total"],
            posts=row["posts_total"],
        )
        for row in (reads.totals_for_staff if staff else reads.totals)(**values)
    ]
    paginator = KnownCountPaginator(
        _SharedProfiles(reads, staff=staff, values=values),
        TEAM_GROWTH_PER_PAGE,
        count=sum(total.profiles for total in totals),
    )
    return TeamGrowth(
        totals=sorted(totals, key=lambda total: total.network_name),
        page=paginator.get_page(page),
        sharing=sharing,
        people=people,
    )


def _active_learners(manager: User) -> int:
    """How many active learners the manager's teams have, from the teams' headcounts (not by
    counting them: 11 ms of PostgreSQL for 10,000 people). One query."""
    teams_sql, params = managed_team_ids_sql(manager)
    with connection.cursor() as cursor:
        # Table names and placeholders only: the values are parameters.
        sql = f"SELECT {tallies.active_learners_sql(teams_sql)}"  # nosec B608
        cursor.execute(sql, [*params, *params])
        return int(cursor.fetchone()[0])  # PostgreSQL sums to a decimal


def _sharers(manager_id: int | None, *, from_sharers: bool) -> QuerySet[Portfolio]:
    """The portfolios of the active people in the manager's teams (staff, None: every team's)
    who share their growth with their team.

    `from_sharers`, for many people: asked per sharer (a correlated EXISTS), which SQLite
    answers by reading the few who share (`portfolio_sharing_growth_idx`, 5 % of the learners in
    the benchmark) rather than each of the team's people three times (a team of 10,000: 4.5 ms
    a query); PostgreSQL plans both forms alike. For a few people "in the team" is the fast way
    in (a team of three against every sharer of the site)."""
    manager = User(pk=manager_id, is_staff=manager_id is None)
    learning = Membership.objects.filter(
        role=Membership.Role.LEARNER, team_id__in=managed_team_ids(manager)
    )
    sharing = Portfolio.objects.filter(share_growth_with_team=True, learner__is_active=True)
    if from_sharers:
        return sharing.filter(Exists(learning.filter(user_id=OuterRef("learner_id"))))
    return sharing.filter(learner_id__in=learning.values("user_id"))


def _shared_profiles(manager_id: int | None, *, from_sharers: bool) -> QuerySet[GrowthProfile]:
    """The growth profiles of `_sharers`."""
    sharers = _sharers(manager_id, from_sharers=from_sharers)
    return GrowthProfile.objects.filter(learner_id__in=sharers.values("learner_id"))


def _network_totals(profiles: QuerySet[GrowthProfile], *, today: date) -> QuerySet:
    return (
        profiles_with_numbers(profiles, today=today, posts_since=today - timedelta(days=6))
        .order_by()
        .values("network")
        .annotate(
            people=Count("learner_id", distinct=True),
            profiles=Count("pk"),
            followers_total=Coalesce(Sum("latest_followers"), 0),
            change_total=Coalesce(Sum("change"), 0),
            posts_total=Coalesce(Sum("posts"), 0),
        )
    )


def _shared_page(profiles: QuerySet[GrowthProfile]) -> QuerySet[GrowthProfile]:
    return (
        profiles.select_related("learner")
        .only("network", "handle", "learner__display_name", "learner__email")
        .order_by("learner__display_name", "learner__email", "network", "handle", "pk")
    )


class _TeamGrowthReads:
    """team_growth's reads in one of the two forms (`_sharers`), compiled once, and a day's
    for those that hold dates (core.prepared: a compiled read takes ids as values, not dates).
    Building and compiling the totals and the numbers cost 7 of the page's 10 ms."""

    def __init__(self, today: date, *, from_sharers: bool):
        def profiles(manager_id=None):
            return _shared_profiles(manager_id, from_sharers=from_sharers)

        self.sharing = prepared(
            lambda manager_id: _sharers(manager_id, from_sharers=from_sharers).values("pk")
        )
        self.sharing_for_staff = prepared(
            lambda: _sharers(None, from_sharers=from_sharers).values("pk")
        )
        self.totals = prepared(
            lambda manager_id: _network_totals(profiles(manager_id), today=today)
        )
        self.totals_for_staff = prepared(lambda: _network_totals(profiles(), today=today))
        self.page = prepared(lambda manager_id: _shared_page(profiles(manager_id)))
        self.page_for_staff = prepared(lambda: _shared_page(profiles()))
        self.numbers = prepared(
            lambda ids: profiles_with_numbers(
                GrowthProfile.objects.filter(pk__in=ids),
                today=today,
                posts_since=today - timedelta(days=6),
            ).values(*PROFILE_VALUES)
        )


# Today's in both forms, and yesterday's for the requests around midnight.
@functools.lru_cache(maxsize=4)
def _team_growth_reads(today: date, *, from_sharers: bool) -> _TeamGrowthReads:
    return _TeamGrowthReads(today, from_sharers=from_sharers)


class _SharedProfiles:
    """The shared profiles as the paginator slices them: a page of profiles with their people,
    then that page's numbers."""

    def __init__(self, reads: _TeamGrowthReads, *, staff: bool, values: dict):
        self.reads, self.values = reads, values
        self.page = reads.page_for_staff if staff else reads.page

    def __getitem__(self, window: slice) -> list[tuple[User, ProfileLine]]:
        size = window.stop - window.start
        profiles = self.page.page(offset=window.start, limit=size, **self.values) if size else []
        if not profiles:
            return []
        numbers = self.reads.numbers(ids=[profile.pk for profile in profiles])
        lines = {row["pk"]: profile_line(row) for row in numbers}
        return [(profile.learner, lines[profile.pk]) for profile in profiles]


# -- cadence: digests and nudges ---------------------------------------------------------


def cadence_shortfalls(user: User, *, today: date) -> list[ProfileLine]:
    """Profiles whose weekly goal is about to be missed: from Thursday of the learner's week,
    fewer posts logged since Monday than the goal. One query."""
    if today.weekday() < CADENCE_NUDGE_FROM:
        return []
    rows = profiles_with_numbers(
        GrowthProfile.objects.filter(learner=user, weekly_post_goal__isnull=False),
        today=today,
        posts_since=week_start(today),
    ).values(*PROFILE_VALUES)
    lines = [profile_line(row) for row in rows]
    return [line for line in lines if not line.goal_met]


def digest_growth(user_ids: list[int], *, now) -> dict[int, list[ProfileLine]]:
    """Each learner's profiles with the change since last week and the posts logged in the
    last seven days against their goal: ONE query for the whole digest batch.

    "Today" is the batch's UTC date (the learners' own dates differ by at most a day)."""
    today = now.date()
    rows = (
        profiles_with_numbers(
            GrowthProfile.objects.filter(learner_id__in=user_ids),
            today=today,
            posts_since=today - timedelta(days=6),
        )
        .order_by("learner_id", "network", "handle")
        .values(*PROFILE_VALUES)
    )
    found: dict[int, list[ProfileLine]] = {}
    for row in rows:
        line = profile_line(row)
        if line.change is not None or line.goal is not None:
            found.setdefault(row["learner_id"], []).append(line)
    return found
