"""manage.py deploy: once per release, safe to start on every node (issue 23, item 5)."""

from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from core.management.commands.deploy import LOCK_ID, deploy_lock
from courses.models import Track

pytestmark = pytest.mark.django_db


def deploy(*args) -> str:
    out = StringIO()
    call_command("deploy", "--skip-static", *args, stdout=out)
    return out.getvalue()


def test_deploy_migrates_and_imports_then_finds_nothing_left_to_do():
    first = deploy()
    assert "deploy: migrate --noinput" in first
    assert "deploy: import_content" in first
    assert first.rstrip().endswith("deploy: done")
    tracks = Track.objects.count()
    assert tracks >= 3  # the shipped curriculum

    second = deploy()  # the next node to start
    assert "deploy: done" in second
    assert Track.objects.count() == tracks


@contextmanager
def another_node_deploying():
    """The lock held by someone else: another database session on PostgreSQL (its advisory
    locks are re-entrant within one session), the lock file elsewhere."""
    if connection.vendor != "postgresql":
        with deploy_lock(wait=1):
            yield
        return
    node = connections["default"]
    other = node.__class__({**node.settings_dict}, alias="default")  # a session of its own
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_ID])
    try:
        yield
    finally:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_ID])
        other.close()


def test_a_node_waits_for_another_nodes_deploy_and_gives_up_clearly():
    with another_node_deploying(), pytest.raises(CommandError, match="Another deploy held"):
        deploy("--skip-content", "--wait", "1")


def test_a_missing_content_folder_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(CommandError, match="No content folder"):
        deploy("--content", str(tmp_path / "nowhere"))
