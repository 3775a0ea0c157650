"""The Django side of a run, one process per database: `python -m bench.probe --scale NAME ...`.

Migrates the throw-away database the harness created, imports the real curriculum, generates
the extra tracks, seeds the population in bulk, signs in the bench accounts, counts each page's
queries once with Django's test client, writes the quiz POST bodies (one fresh one-time token
each) and hands the harness a plan as JSON. The harness itself never imports Django.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlencode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.probe")
    parser.add_argument("--scale", required=True)
    parser.add_argument("--plan", type=Path, required=True, help="where to write the plan (JSON)")
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=0, help="rounds to write quiz bodies for")
    parser.add_argument("--seconds", type=int, default=0)
    parser.add_argument("--warmup-seconds", type=int, default=0)
    parser.add_argument("--collectstatic", action="store_true")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from . import seed
    from .config import SCALES

    scale = SCALES[args.scale]
    timings = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    if args.collectstatic:
        call_command("collectstatic", verbosity=0, interactive=False)
    timings["migrate_s"] = time.perf_counter() - started

    mark = time.perf_counter()
    seed.import_curriculum()
    seed.generate_tracks(scale)
    timings["curriculum_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    rows = seed.seed_people(scale)
    timings["people_s"] = time.perf_counter() - mark
    if connection.vendor == "postgresql":
        # A production database has statistics (autovacuum analyses after bulk loads).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    plan = build_plan(args)
    plan.update(scale=scale.as_dict(), timings=timings, rows=rows, vendor=connection.vendor)
    args.plan.write_text(json.dumps(plan, indent=2, default=str))
    return 0


def build_plan(args) -> dict:
    from django.conf import settings
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.test import Client
    from django.urls import reverse
    from django.utils.crypto import get_random_string

    from courses.models import Lesson, Quiz
    from learners.models import User
    from progress.services import new_attempt_token

    from . import seed, tails
    from .config import QUIZ_TOKENS_PER_SECOND, SCALES
    from .seed import (
        BENCH_AUTHOR,
        BENCH_LEARNER,
        BENCH_MANAGER,
        BENCH_QUIZ_TAKER,
        LESSON_SLUG,
        LONG_LESSON_SLUG,
    )

    def session_cookie(email: str) -> str:
        client = Client()
        client.force_login(User.objects.get(email=email))
        return (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )

    learner = session_cookie(BENCH_LEARNER)
    manager = session_cookie(BENCH_MANAGER)
    author = session_cookie(BENCH_AUTHOR)
    csrf = get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)
    taker = f"{session_cookie(BENCH_QUIZ_TAKER)}; {settings.CSRF_COOKIE_NAME}={csrf}"

    track = "bench-1"
    quiz = Quiz.objects.select_related("lesson").get(
        lesson__track__slug=track, lesson__slug=LESSON_SLUG
    )
    taker_user = User.objects.get(email=BENCH_QUIZ_TAKER)
    right_answers = [
        (f"q{question.pk}", str(choice.pk))
        for question in quiz.questions.prefetch_related("choices")
        for choice in question.choices.all()
        if choice.is_correct
    ]

    def bodies(label: str, count: int) -> str:
        path = args.workdir / f"quiz-bodies-{label}.txt"
        with path.open("w") as out:
            for _ in range(count):
                token = new_attempt_token(learner=taker_user, quiz=quiz)
                fields = [("csrfmiddlewaretoken", csrf), ("attempt_token", token), *right_answers]
                out.write(urlencode(fields) + "\n")
        return str(path)

    quiz_bodies = []
    if args.rounds:
        quiz_bodies.append(bodies("check", 1))
        quiz_bodies.append(bodies("warmup", QUIZ_TOKENS_PER_SECOND * args.warmup_seconds))
        quiz_bodies += [
            bodies(str(n), QUIZ_TOKENS_PER_SECOND * args.seconds) for n in range(args.rounds)
        ]
        quiz_bodies.append(bodies("tails", tails.TOKENS))  # bench.tails sends each 32 times

    lesson_path = reverse("progress:lesson", args=[track, LESSON_SLUG])
    cases = {
        "bare_auth": ("GET", reverse("bench_bare_auth"), learner, 200),
        "catalogue": ("GET", reverse("courses:catalogue"), learner, 200),
        "track": ("GET", reverse("progress:track", args=[track]), learner, 200),
        "lesson": ("GET", lesson_path, learner, 200),
        "lesson_long": ("GET", reverse("progress:lesson", args=[track, LONG_LESSON_SLUG]), learner, 200),
        "me": ("GET", reverse("progress:me"), learner, 200),
        "team_50": ("GET", reverse("teams:team"), manager, 200),
        "team_all": ("GET", reverse("teams:team_export"), manager, 200),
        "quiz_submit": ("POST", reverse("progress:quiz", args=[track, LESSON_SLUG]), taker, 302),
        # Item analysis over the quiz's 10,000+ attempts (an author's admin page)
        "quiz_statistics": ("GET", reverse("admin:progress_quizstatistics_change", args=[quiz.pk]), author, 200),
    }  # fmt: skip
    small_team_manager = session_cookie(seed.small_team_manager(SCALES[args.scale]))
    cases.update(
        page_cases(
            track,
            learner=learner,
            manager=manager,
            author=author,
            small_team_manager=small_team_manager,
        )
    )
    token = api_authorization()
    plan = {"cases": {}}
    for name, (method, path, cookie, expect) in cases.items():
        authorization = token if path.startswith("/api/") else ""
        plan["cases"][name] = {
            "method": method,
            "path": path,
            "cookie": cookie,
            "expect": expect,
            "bodies": quiz_bodies if method == "POST" else [],
            "authorization": authorization,
            "queries": count_queries(
                method,
                path,
                cookie,
                expect,
                lambda: _one_body(taker_user, quiz, right_answers),
                authorization=authorization,
            ),
        }
    plan["lesson_body_bytes"] = {
        slug: len(html)
        for slug, html in Lesson.objects.filter(
            track__slug=track, slug__in=[LESSON_SLUG, LONG_LESSON_SLUG]
        ).values_list("slug", "body_html")
    }
    return plan


def page_cases(
    track: str, *, learner: str, manager: str, author: str, small_team_manager: str
) -> dict:
    """Every other page, as the person who opens it, on the seeded records (a few rows are
    added here: a self-placement, an invitation to accept)."""
    from django.urls import reverse

    from courses.models import PracticeAssignment, Question
    from credentials import issuing
    from learners.models import Invitation, Placement, Team, User
    from ledger import messaging
    from notifications import nudges
    from practice.models import Portfolio, PracticePost
    from progress.models import Certificate, QuizAttempt, Submission
    from teams import services as team_services

    from .config import PAGE_CASES
    from .seed import BENCH_LEARNER, BENCH_MANAGER

    me = User.objects.get(email=BENCH_LEARNER)
    boss = User.objects.get(email=BENCH_MANAGER)
    attempt = (
        QuizAttempt.objects.filter(learner=me, quiz__lesson__track__slug=track)
        .select_related("quiz__lesson")
        .latest("pk")
    )
    assignment = PracticeAssignment.objects.filter(lesson__track__slug=track).select_related(
        "lesson"
    )[0]
    waiting = Submission.objects.filter(
        learner__memberships__team__name="Big team", status="awaiting_review"
    ).first()
    question = Question.objects.filter(quiz=attempt.quiz).prefetch_related("choices")[0]
    big_team = Team.objects.get(name="Big team")
    invitation = Invitation.objects.create(
        team=big_team, email="invited@bench.example", name="Invited", invited_by=boss
    )
    Placement.objects.get_or_create(user=me, defaults={"role": track_role(track), "answers": {}})
    own_post = PracticePost.objects.filter(learner=me).order_by("pk")[0]
    to_review = PracticePost.objects.filter(reviewer=boss, status="in_review")[0]
    lesson = (track, attempt.quiz.lesson.slug)
    paths = {
        "healthz": (reverse("healthz"), learner),
        "security_txt": (reverse("security_txt"), learner),
        "security_policy": (reverse("security_policy"), learner),
        "profile": (reverse("profile"), learner),
        "profile_delete": (reverse("profile_delete"), learner),
        "placement": (reverse("placement"), learner),
        "placement_result": (reverse("placement_result"), learner),
        "my_data": (reverse("progress:my_data"), learner),
        "quiz_form": (reverse("progress:quiz", args=lesson), learner),
        "quiz_result": (reverse("progress:quiz_result", args=[*lesson, attempt.pk]), learner),
        "assignment": (
            reverse("progress:assignment", args=[track, assignment.lesson.slug]),
            learner,
        ),
        "submission": (reverse("progress:submission", args=[waiting.pk]), manager),
        "certificate": (reverse("progress:certificate", args=[Certificate.objects.first().code]), learner),
        "certificate_pdf": (
            reverse("progress:certificate_pdf", args=[Certificate.objects.first().code]),
            learner,
        ),
        "credential": (
            reverse("credentials:credential", args=[Certificate.objects.first().code]),
            learner,
        ),
        "status_list": (
            reverse(
                "credentials:status_list",
                args=[issuing.issued_credential(Certificate.objects.first()).key_id],
            ),
            learner,
        ),
        "lti_jwks": (reverse("lti:jwks"), learner),
        "unsubscribe": (
            reverse("ledger:unsubscribe", args=[messaging.unsubscribe_token(email=me.email, kind="nudge")]),
            learner,
        ),
        "practice_answer": (
            reverse(
                "notifications:practice_answer",
                args=[nudges.practice_token(me.pk, question.pk, question.choices.all()[0].pk, "2026-01-05")],
            ),
            learner,
        ),
        "invitation": (reverse("teams:invitation", args=[team_services.invitation_token(invitation)]), learner),
        "team_staff": (reverse("teams:team"), author),
        "team_3": (reverse("teams:team"), small_team_manager),
        "person": (reverse("teams:person", args=[waiting.learner_id]), manager),
        "team_reviews": (reverse("teams:team_reviews"), manager),
        "team_attempts": (reverse("teams:team_attempts"), manager),
        "team_invitations": (reverse("teams:team_invitations"), manager),
        "team_assignments": (reverse("teams:team_assignments"), manager),
        "team_growth": (reverse("practice:team_growth"), manager),
        "policy": (reverse("governance:policy"), learner),
        "policy_edit": (reverse("governance:policy_edit"), author),
        "roster": (reverse("governance:roster"), manager),
        "roster_lost": (f"{reverse('governance:roster')}?status=lost", manager),
        "roster_csv": (reverse("governance:roster_csv"), manager),
        "freshness": (reverse("governance:freshness"), author),
        "studio": (reverse("practice:studio"), learner),
        "studio_post": (reverse("practice:studio_post", args=[own_post.pk]), learner),
        "studio_reviews": (reverse("practice:studio_reviews"), manager),
        "studio_review": (reverse("practice:studio_review", args=[to_review.pk]), manager),
        "journal": (reverse("practice:journal"), learner),
        "journal_evidence": (reverse("practice:journal_evidence"), learner),
        "journal_portfolio": (reverse("practice:journal_portfolio"), learner),
        "notifications": (reverse("notifications:inbox"), learner),
        "audit_log": (reverse("audit:log"), author),  # staff: every organisation's entries
        "audit_export": (reverse("audit:export"), author),
        # The reporting API's public pages (its data needs a bearer token, which the load
        # generator doesn't send; tests/api/test_queries.py holds its query budgets).
        "api_root": (reverse("api:root"), learner),
        "api_schema": (reverse("api:schema"), learner),
        "api_docs": (reverse("api:docs"), learner),
        # The API's lists, a page of 100 (its default) with the big team's organisation's token
        # (api_authorization; no cookie): the session middleware finds nothing to read.
        **{
            f"api_{name.replace('-', '_')}": (reverse(f"api:{name}-list"), "")
            for name in API_LISTS
        },
        "portfolio": (
            reverse("practice:portfolio", args=[Portfolio.objects.filter(is_public=True)[0].handle]),
            learner,
        ),
    }  # fmt: skip
    if set(paths) != set(PAGE_CASES):
        raise RuntimeError(
            f"page cases without a path, or paths without a case: {set(paths) ^ set(PAGE_CASES)}"
        )
    return {name: ("GET", path, cookie, 200) for name, (path, cookie) in paths.items()}


API_LISTS = (
    "person", "team", "assignment", "enrolment", "quiz-result", "certificate", "clearance",
)  # fmt: skip


def api_authorization() -> str:
    """An Authorization header for the reporting API, as the big team's organisation."""
    from api import tokens
    from learners.models import Team

    organisation = Team.objects.select_related("organisation").get(name="Big team").organisation
    _, raw = tokens.create_token(organisation=organisation, name="bench", by=None)
    return f"Bearer {raw}"


def track_role(track_slug: str):
    from courses.models import Track

    return Track.objects.select_related("role").get(slug=track_slug).role


def _one_body(taker, quiz, right_answers) -> dict:
    from progress.services import new_attempt_token

    data: dict[str, list[str] | str] = {
        "attempt_token": new_attempt_token(learner=taker, quiz=quiz)
    }
    for key, value in right_answers:
        data.setdefault(key, []).append(value)
    return data


def count_queries(
    method: str, path: str, cookie: str, expect: int, post_data, *, authorization: str = ""
) -> int:
    """Queries of one request after a warm-up request (the session is then in the cache, as
    it is in a running worker). Streamed responses are consumed inside the count."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(**({"HTTP_AUTHORIZATION": authorization} if authorization else {}))
    for part in filter(None, cookie.split("; ")):
        name, _, value = part.partition("=")
        client.cookies[name] = value

    def request():
        response = client.post(path, post_data()) if method == "POST" else client.get(path)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path} answered {response.status_code}, not {expect}")
        return response

    request()
    with CaptureQueriesContext(connection) as captured:
        request()
    return len(captured)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    sys.exit(main())
