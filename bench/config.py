"""What a run measures and at which size: scales, timings and the cases. No Django here."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Scale:
    """The people seeded on top of the curriculum (the real one plus generated tracks)."""

    name: str
    learners: int
    teams: int
    big_team: int  # people in the team the manager's pages are measured on
    generated_tracks: int = 3
    lessons_per_track: int = 40  # 5 modules of 8
    big_team_tracks: int = 5  # tracks assigned to the big team

    def as_dict(self) -> dict:
        return asdict(self)


# The small database answers "do the query counts hold as data grows?" next to the large one:
# its big team has 50 people where the large one has 1,000.
SMALL = Scale("small", learners=250, teams=5, big_team=50)
DEFAULT = Scale("default", learners=10_000, teams=200, big_team=1_000)
QUICK = Scale("quick", learners=2_000, teams=40, big_team=1_000)
# Flat costs at size (issue 21): a 10,000-person team in an organisation of 50,000 learners.
LARGE = Scale("large", learners=50_000, teams=200, big_team=10_000)
SCALES = {scale.name: scale for scale in (SMALL, DEFAULT, QUICK, LARGE)}


@dataclass(frozen=True)
class Timing:
    rounds: int  # interleaved rounds: every case once per round, in the same order
    seconds: int  # wrk duration of one case in one round
    warmup_seconds: int  # per case, once, before the first round
    connections: int = 4  # two sync workers: four keep both busy and the accept queue non-empty


QUICK_TIMING = Timing(rounds=3, seconds=2, warmup_seconds=1)
DEFAULT_TIMING = Timing(rounds=5, seconds=8, warmup_seconds=2)

# Order matters only for the table; every round runs the cases in this order. These carry the
# ratios and targets.
CORE_CASES = [
    "bare_auth",
    "catalogue",
    "track",
    "lesson",
    "lesson_long",
    "me",
    "team_50",
    "team_all",
    "quiz_submit",
    "quiz_statistics",
]
# Every other page people open, with governance and practice seeded: measured in every round
# like the cases above, for at most PAGE_SECONDS each, so each page's cost shows without the run
# taking an hour. case: the page's URL name (tests/test_bench_coverage.py fails when a page of
# the site has no case here or in CORE_URL_NAMES).
PAGE_CASES = {
    "healthz": "healthz",
    "security_txt": "security_txt",
    "security_policy": "security_policy",
    "profile": "profile",
    "profile_delete": "profile_delete",
    "placement": "placement",
    "placement_result": "placement_result",
    "my_data": "progress:my_data",
    "quiz_form": "progress:quiz",
    "quiz_result": "progress:quiz_result",
    "assignment": "progress:assignment",
    "submission": "progress:submission",
    "certificate": "progress:certificate",
    "certificate_pdf": "progress:certificate_pdf",
    "credential": "credentials:credential",
    "status_list": "credentials:status_list",
    "lti_jwks": "lti:jwks",
    "unsubscribe": "ledger:unsubscribe",
    "practice_answer": "notifications:practice_answer",
    "invitation": "teams:invitation",
    "team_staff": "teams:team",
    "team_3": "teams:team",  # a manager of three people (bench.seed.SMALL_TEAM_SIZE)
    "person": "teams:person",
    "team_reviews": "teams:team_reviews",
    "team_attempts": "teams:team_attempts",
    "team_invitations": "teams:team_invitations",
    "team_assignments": "teams:team_assignments",
    "team_growth": "practice:team_growth",
    "policy": "governance:policy",
    "policy_edit": "governance:policy_edit",
    "roster": "governance:roster",
    "roster_lost": "governance:roster",  # filtered: who lost any level (?status=lost)
    "roster_csv": "governance:roster_csv",
    "freshness": "governance:freshness",
    "studio": "practice:studio",
    "studio_post": "practice:studio_post",
    "studio_reviews": "practice:studio_reviews",
    "studio_review": "practice:studio_review",
    "journal": "practice:journal",
    "journal_evidence": "practice:journal_evidence",
    "journal_portfolio": "practice:journal_portfolio",
    "portfolio": "practice:portfolio",
    "notifications": "notifications:inbox",
    "audit_log": "audit:log",
    "audit_export": "audit:export",
    "api_root": "api:root",
    "api_schema": "api:schema",
    "api_docs": "api:docs",
    "api_person": "api:person-list",
    "api_team": "api:team-list",
    "api_assignment": "api:assignment-list",
    "api_enrolment": "api:enrolment-list",
    "api_quiz_result": "api:quiz-result-list",
    "api_certificate": "api:certificate-list",
    "api_clearance": "api:clearance-list",
}
CORE_URL_NAMES = {
    "catalogue": "courses:catalogue",
    "track": "progress:track",
    "lesson": "progress:lesson",
    "lesson_long": "progress:lesson",
    "me": "progress:me",
    "team_50": "teams:team",
    "team_all": "teams:team_export",
    "quiz_submit": "progress:quiz",
    "quiz_statistics": "admin:progress_quizstatistics_change",
}
PAGE_SECONDS = 2
CASES = CORE_CASES + list(PAGE_CASES)
BASELINE = "bare_auth"
# Pages that take a large part of a second: two connections, one per worker, so no request
# waits in the listen queue (wrk would give up on it at the end of the window while a worker
# still serves it, which only prolongs the wait for the next case).
SLOW_CASES = {
    "team_50", "team_all", "quiz_statistics", "team_staff", "roster_csv", "my_data",
    "audit_export",
}  # fmt: skip
SLOW_CASE_MIN_SECONDS = 6  # so that even a 2-second page completes a few requests per round

# Pre-generated one-time quiz tokens per round: far more than two workers can use up at the
# rates seen for this POST (a few hundred a second), so no request takes the cheaper
# "already submitted" path. The report says so if a round ever ran out.
QUIZ_TOKENS_PER_SECOND = 1_200
