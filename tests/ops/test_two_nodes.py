"""Two web nodes behind an imaginary load balancer (issue 23, item 7): two gunicorn processes
on production settings, sharing the suite's database and a real Redis, and a Celery worker.

The test speaks as the load balancer would: HTTPS terminated before the nodes
(`X-Forwarded-Proto`), the client's address appended to `X-Forwarded-For`
(`TRUSTED_PROXY_COUNT=1`). It checks that a session made on one node works on the other, that
a lesson changed once shows on both, that pages answer and no email is lost while Redis is
down, and that the sign-in limits count each client across both nodes.
"""

import html
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from governance.models import PolicyOwner
from learners.models import Membership
from tests import factories
from tests.conftest import free_port
from tests.polling import wait_for
from tests.totp import code_now

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
HOST = "learn.example.com"
PYTHON = sys.executable
BIN = Path(sys.executable).parent


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    auth = quote(settings["USER"] or "")
    if settings.get("PASSWORD"):
        auth += ":" + quote(settings["PASSWORD"])
    host = quote(settings.get("HOST") or "127.0.0.1", safe="")
    return f"postgres://{auth}@{host}:{settings.get('PORT') or 5432}/{settings['NAME']}"


class Client:
    """A browser behind the load balancer: keeps its cookies (the nodes mark them Secure, as
    they would over HTTPS) and sends the headers the balancer adds."""

    def __init__(self, address: str):
        self.address = address
        self.cookies: dict[str, str] = {}

    def request(self, node: str, method: str, path: str, data=None) -> requests.Response:
        headers = {
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}{path}",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = requests.request(
            method, node + path, headers=headers, data=data, allow_redirects=False, timeout=30
        )
        for header in response.raw.headers.getlist("Set-Cookie"):
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    def get(self, node, path):
        return self.request(node, "GET", path)

    def post_form(self, node, path, fields):
        page = self.get(node, path).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.request(node, "POST", path, {"csrfmiddlewaretoken": token, **fields})


@pytest.fixture
def stack(tmp_path, redis_server, redis_url):
    """Two gunicorn nodes and a worker on the suite's database and Redis."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k in ("PATH", "HOME", "LANG", "SOCIALCRAFT_CLOCK_OFFSET_DAYS")
        },
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.ops.two_nodes_settings",
        "SECRET_KEY": "two-nodes-test-only-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": HOST,
        "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "SOCIALCRAFT_VAR_DIR": str(tmp_path / "var"),
        "TRUSTED_PROXY_COUNT": "1",
        "TWO_NODES_MAIL_DIR": str(mail_dir),
        "DB_CONN_MAX_AGE": "0",
    }
    subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    processes, nodes = [], []
    logs = tmp_path / "logs"
    logs.mkdir()
    for name in ("a", "b"):
        port = free_port()
        log = (logs / f"node-{name}.log").open("w")
        processes.append(
            subprocess.Popen(  # noqa: S603
                [
                    str(BIN / "gunicorn"),
                    "config.wsgi",
                    "--workers",
                    "1",
                    "--bind",
                    f"127.0.0.1:{port}",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        nodes.append(f"http://127.0.0.1:{port}")
    worker_log = (logs / "worker.log").open("w")
    processes.append(
        subprocess.Popen(  # noqa: S603
            [str(BIN / "celery"), "-A", "config", "worker", "--pool", "solo", "--loglevel", "INFO"],
            cwd=ROOT,
            env=env,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
    )
    try:
        for node in nodes:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(node + "/healthz/live", timeout=2).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"{node} did not start: {(logs / 'node-a.log').read_text()}")
                time.sleep(0.2)
        yield {"nodes": nodes, "mail": mail_dir, "logs": logs, "env": env}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def emails_to(mail_dir: Path, address: str, subject: str) -> int:
    """The emails the worker wrote for `address` whose subject says `subject` (not a digest
    the dispatcher may find due at the same run)."""
    count = 0
    for path in mail_dir.glob("*.log"):
        for message in path.read_text(errors="replace").split("-" * 79):
            message = " ".join(message.split())  # headers may be folded
            if f"To: {address}" in message and subject in message:
                count += 1
    return count


def test_two_nodes_share_sessions_content_limits_and_survive_redis_going_away(stack, redis_server):
    a, b = stack["nodes"]
    manager = factories.UserFactory(email="max@example.com", display_name="Max Manager")
    lena = factories.UserFactory(email="lena@example.com", display_name="Lena Learner")
    staff = factories.UserFactory(email="ada@example.com", is_staff=True, is_superuser=True)
    secret = "JBSWY3DPEHPK3PXPJBSWY3DP"
    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": secret})
    uma = factories.UserFactory(email="uma@example.com")  # her address not yet verified
    EmailAddress.objects.filter(user=uma).update(verified=False)
    team = factories.team_with(manager=manager, learners=[lena])
    track = factories.make_track(modules=1, lessons_per_module=2)
    lesson = track.lessons.order_by("position").first()
    assignment = factories.add_rubric(factories.add_assignment(track.lessons.last()))
    lesson_path = lesson.get_absolute_url()

    # 1. A session made on node A is good on node B.
    browser = Client("198.51.100.10")
    signed_in = browser.post_form(
        a, "/accounts/login/", {"login": lena.email, "password": factories.PASSWORD}
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    me = browser.get(b, "/me/")
    assert me.status_code == 200
    assert "Lena Learner" in me.text

    # 2. A lesson an author publishes through node A shows on node B, which had the old
    # version in memory (the curriculum version lives in Redis).
    for node in (a, b):
        assert "Rewritten for both nodes." not in browser.get(node, lesson_path).text
    author = Client("198.51.100.30")
    author.post_form(a, "/accounts/login/", {"login": staff.email, "password": factories.PASSWORD})
    # Production's settings ask staff for their second factor: the code, typed on node B.
    second_step = author.post_form(b, "/accounts/2fa/authenticate/", {"code": code_now(secret)})
    assert second_step.status_code == 302, second_step.text[:500]
    draft_path = reverse("admin:courses_lesson_draft", args=[lesson.pk])
    text = html.unescape(
        re.search(r"<textarea[^>]*>(.*?)</textarea>", author.get(a, draft_path).text, re.S).group(1)
    )
    published = author.post_form(
        a,
        draft_path,
        {"text": text.rstrip() + "\n\nRewritten for both nodes.\n", "action": "publish"},
    )
    assert published.status_code == 302, published.text[-2000:]
    for node in (a, b):
        assert "Rewritten for both nodes." in browser.get(node, lesson_path).text

    # 3. Redis stops: pages still answer, and no email is lost: the one a submission owes, a
    # new policy version's announcement, a sign-up's code.
    PolicyOwner.objects.create(user=manager, organisation=team.organisation)
    owner = Client("198.51.100.40")
    owner.post_form(a, "/accounts/login/", {"login": manager.email, "password": factories.PASSWORD})
    redis_server.stop()
    try:
        for node in (a, b):
            assert browser.get(node, lesson_path).status_code == 200
            assert browser.get(node, "/me/").status_code == 200
        submitted = browser.post_form(
            a,
            f"/tracks/{track.slug}/{assignment.lesson.slug}/assignment/",
            {"text": "My plan for the client."},
        )
        assert submitted.status_code == 302, submitted.text[:500]
        published = owner.post_form(
            a,
            reverse("governance:policy_edit"),
            {
                "body": "1. Ask before you post for a client.",
                "changes_summary": "",
                "effective_date": timezone.localdate().isoformat(),
                "action": "publish",
            },
        )
        assert published.status_code == 302, published.text[-2000:]
        signed_up = Client("198.51.100.50").post_form(
            b,
            "/accounts/signup/",
            {
                "email": "nia@example.com",
                "display_name": "Nia",
                "password1": "a-long-unusual-passphrase",
                "password2": "a-long-unusual-passphrase",
            },
        )
        assert signed_up.status_code == 302, signed_up.text[-2000:]
        unverified = Client("198.51.100.60").post_form(
            a, "/accounts/login/", {"login": uma.email, "password": factories.PASSWORD}
        )
        assert unverified.status_code == 302, unverified.text[-2000:]  # on to "enter the code"
        reset = Client("198.51.100.70").post_form(
            b, "/accounts/password/reset/", {"email": lena.email}
        )
        assert reset.status_code == 302, reset.text[-2000:]
    finally:
        redis_server.start()
    subprocess.run(  # noqa: S603 - the hourly dispatcher, run now that Redis is back
        [PYTHON, "manage.py", "send_due_messages", "--now", _later(minutes=20)],
        cwd=ROOT,
        env=stack["env"],
        check=True,
        timeout=120,
    )
    owed = [
        (manager.email, "waiting for your review"),
        (lena.email, "social media policy"),
        ("nia@example.com", "Your code to confirm your email address"),
        (uma.email, "Your code to confirm your email address"),
        (lena.email, "Reset your password"),
    ]
    mail = stack["mail"]
    assert wait_for(lambda: all(emails_to(mail, *email) == 1 for email in owed)), (
        stack["logs"] / "worker.log"
    ).read_text()[-3000:]
    time.sleep(2)
    assert [emails_to(mail, *email) for email in owed] == [1] * len(owed)  # once, not twice

    # 4. Sign-in limits count each client, across both nodes.
    attacker = Client("203.0.113.66")
    for n in range(10):
        attacker.post_form(
            (a, b)[n % 2], "/accounts/login/", {"login": f"x{n}@example.com", "password": "x"}
        )
    refused = attacker.post_form(
        b, "/accounts/login/", {"login": "x99@example.com", "password": "x"}
    )
    assert "Too many failed login attempts" in refused.text
    bystander = Client("198.51.100.20")
    fine = bystander.post_form(
        a, "/accounts/login/", {"login": manager.email, "password": factories.PASSWORD}
    )
    assert fine.status_code == 302
    assert Membership.objects.filter(team=team).count() == 2


def _later(*, minutes: int) -> str:
    from datetime import timedelta

    return (timezone.now() + timedelta(minutes=minutes)).isoformat()
