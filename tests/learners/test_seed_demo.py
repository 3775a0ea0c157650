import pytest
from django.core.management import call_command

from learners.models import Membership, User

pytestmark = pytest.mark.django_db

DEMO = {
    "admin@example.com",
    "morgan@example.com",
    "sean@example.com",
    "carrie@example.com",
    "eric@example.com",
}


def test_seed_demo_creates_the_demo_organisation(capsys, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    out = capsys.readouterr().out

    assert set(User.objects.values_list("email", flat=True)) == DEMO
    assert User.objects.get(email="admin@example.com").is_superuser
    morgan = Membership.objects.get(user__email="morgan@example.com")
    assert (morgan.team.name, morgan.role) == ("Marketing", "manager")
    learners = Membership.objects.filter(role="learner").values_list("user__email", flat=True)
    assert set(learners) == {"sean@example.com", "carrie@example.com", "eric@example.com"}
    password = out.split("password: ")[1].split()[0]
    assert User.objects.get(email="sean@example.com").check_password(password)
    assert (tmp_path / "demo-credentials.txt").read_text().count("@example.com") == 5


def test_seed_demo_is_idempotent_and_keeps_passwords(capsys, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--password", "demo-pass-123")
    call_command("seed_demo")
    assert User.objects.count() == 5
    assert Membership.objects.count() == 4
    assert User.objects.get(email="eric@example.com").check_password("demo-pass-123")
    assert "(unchanged)" in capsys.readouterr().out


def test_seed_demo_password_option_sets_every_password(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    call_command("seed_demo", "--password", "new-pass-456")
    assert all(user.check_password("new-pass-456") for user in User.objects.all())


def test_seed_demo_sets_up_the_governance_demo_idempotently(settings, tmp_path):
    from courses.models import Track
    from governance.models import ClearanceLevel, PolicyOwner, PolicyVersion
    from tests import factories

    settings.VAR_DIR = tmp_path
    call_command("seed_demo")  # before the curriculum is imported: the level waits for it
    track = factories.make_track(slug="newcomer")
    call_command("seed_demo")
    call_command("seed_demo")

    owner = PolicyOwner.objects.get()
    assert (owner.user.email, owner.organisation.slug) == ("carrie@example.com", "demo")
    version = PolicyVersion.objects.get()
    assert (version.number, version.published_by) == (1, owner.user)
    levels = {level.name: level for level in ClearanceLevel.objects.all()}
    assert set(levels) == {"Cleared to post", "Cleared for client accounts"}
    assert not levels["Cleared to post"].tracks.exists()  # every persona can hold it
    assert list(levels["Cleared for client accounts"].tracks.all()) == [
        Track.objects.get(pk=track.pk)
    ]
