"""Import and export of zipped content folders in the admin: report, confirm, round trip."""

import io
import stat
import zipfile
from pathlib import Path

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses import services
from courses.models import Choice, Lesson, Track
from tests import factories

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:courses_track_import"


def zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def zip_entries(*entries) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(client, data: bytes, name: str = "content.zip"):
    return client.post(
        reverse(IMPORT_URL),
        {"archive": SimpleUploadedFile(name, data, content_type="application/zip")},
    )


def confirm(client, response):
    return client.post(
        reverse(IMPORT_URL), {"confirm": "1", "token": response.context["token"]}, follow=True
    )


def messages_of(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


@pytest.fixture
def author(client, staff_user):
    client.force_login(staff_user)
    return client


def test_the_track_list_links_to_the_import_page(author):
    body = author.get(reverse("admin:courses_track_changelist")).content.decode()

    assert f'href="{reverse(IMPORT_URL)}">Import from zip' in body
    assert "Check the zip" in author.get(reverse(IMPORT_URL)).content.decode()


def test_a_valid_zip_shows_a_report_then_imports_on_confirm(author, content_tree):
    response = upload(author, zip_folder(content_tree), "sample.zip")

    body = response.content.decode()
    assert response.status_code == 200
    assert "“sample.zip” is valid" in body
    assert "Nothing has been imported yet" in body
    assert "Sample track" in body and "A new track" in body
    assert "lessons          3 created" in body
    assert not Track.objects.exists()

    response = confirm(author, response)

    track = Track.objects.get(slug="sample-track")
    assert track.lessons.count() == 3
    assert "Imported 1 track(s) (sample-track)" in messages_of(response)
    entry = LogEntry.objects.get(object_id=str(track.pk))
    assert entry.action_flag == ADDITION
    assert "Imported from a zip" in entry.get_change_message()


def test_an_invalid_zip_lists_every_error_with_file_and_line_and_imports_nothing(
    author, content_tree
):
    quiz = content_tree / "sample-track/01-basics/02-first-quiz.md"
    quiz.write_text(quiz.read_text().replace("pass_mark = 75", "pass_mark = 0"))
    welcome = content_tree / "sample-track/01-basics/01-welcome.md"
    welcome.write_text(welcome.read_text().replace("title = ", "titel = "))

    response = upload(author, zip_folder(content_tree))

    body = response.content.decode()
    assert response.status_code == 400
    assert "nothing was imported" in body
    assert (
        "<code>sample-track/01-basics/01-welcome.md:2</code> unknown key &#x27;titel&#x27;" in body
    )
    assert (
        "<code>sample-track/01-basics/01-welcome.md:2</code> &#x27;title&#x27; is required" in body
    )
    assert (
        "<code>sample-track/01-basics/02-first-quiz.md:6</code> quiz: &#x27;pass_mark&#x27;" in body
    )
    assert "token" not in response.context
    assert not Track.objects.exists()


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        ([("sample-track/../../../evil.md", b"x")], "points outside the folder"),
        ([("/etc/evil.toml", b"x")], "is an absolute path"),
        ([("sample-track/track.toml", b"\0" * (6 * 1024 * 1024))], "the limit is 5.0 MB"),
        ([(f"t/01-m/{n:03d}-x.md", b"x") for n in range(501)], "the limit is 500"),
    ],
    ids=["path-traversal", "absolute-path", "huge-file", "too-many-files"],
)
def test_hostile_zips_are_refused_with_a_clear_message(author, content_tree, entries, reason):
    response = upload(author, zip_entries(*entries))

    body = response.content.decode()
    assert response.status_code == 400
    assert "was refused and nothing was imported" in body
    assert reason in body
    assert not Track.objects.exists()


def test_a_zip_with_a_symlink_is_refused(author, content_tree):
    link = zipfile.ZipInfo("sample-track/01-basics/03-link.md")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    data = zip_folder(content_tree)
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr(link, "/etc/passwd")

    response = upload(author, buffer.getvalue())

    assert response.status_code == 400
    assert "is a symbolic link; links are not allowed" in response.content.decode()
    assert not Track.objects.exists()


def test_something_that_is_not_a_zip_is_refused(author):
    response = upload(author, b"%PDF-1.7 not a zip", "notes.pdf")

    assert response.status_code == 400
    assert "This is not a zip file" in response.content.decode()


def test_confirming_an_unknown_or_someone_elses_upload_imports_nothing(
    author, client, content_tree
):
    response = upload(author, zip_folder(content_tree))
    token = response.context["token"]
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))

    response = client.post(reverse(IMPORT_URL), {"confirm": "1", "token": token}, follow=True)

    assert "That upload has expired" in messages_of(response)
    assert not Track.objects.exists()


def test_a_report_says_when_an_import_would_unpublish_or_change_nothing(author, content_tree):
    services.import_specs(services.read_content(content_tree))
    data = zip_folder(content_tree)

    assert "importing changes nothing" in upload(author, data).content.decode()

    toml = content_tree / "sample-track/track.toml"
    toml.write_text(toml.read_text().replace("published = true", "published = false"))
    body = upload(author, zip_folder(content_tree)).content.decode()
    assert "Updates the existing track in place" in body
    assert "it is published now and becomes a draft" in body


# -- export ----------------------------------------------------------------------------------


def test_the_track_page_downloads_the_track_as_a_zip(author):
    track = factories.make_track(with_quiz=True)

    assert (
        reverse("admin:courses_track_export", args=[track.pk])
        in author.get(reverse("admin:courses_track_change", args=[track.pk])).content.decode()
    )
    response = author.get(reverse("admin:courses_track_export", args=[track.pk]))

    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="test-track.zip"'
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "test-track/track.toml" in names
    assert "test-track/01-module-1/01-lesson-1-1.md" in names


def test_export_action_zips_several_tracks_and_skips_archived_ones(author):
    first = factories.make_track(slug="first")
    second = factories.make_track(slug="second", published=False)
    gone = factories.make_track(slug="gone")
    Track.objects.filter(pk=gone.pk).update(archived_at="2026-01-01T00:00Z")
    url = reverse("admin:courses_track_changelist")

    response = author.post(
        url, {"action": "export_selected", ACTION_CHECKBOX_NAME: [first.pk, second.pk, gone.pk]}
    )

    assert response["Content-Disposition"] == 'attachment; filename="socialcraft-tracks.zip"'
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert {name.split("/")[0] for name in names} == {"first", "second"}
    response = author.post(
        url, {"action": "export_selected", ACTION_CHECKBOX_NAME: [gone.pk]}, follow=True
    )
    assert "archived tracks are not exported" in messages_of(response)


def test_export_then_import_through_the_admin_round_trips(author):
    track = factories.make_track(with_quiz=True)
    factories.add_multiple_choice_question(track.lessons.get(slug="lesson-1-1").quiz)
    factories.add_rubric(factories.add_assignment(track.lessons.get(slug="lesson-2-1")))
    exported = author.get(reverse("admin:courses_track_export", args=[track.pk])).content
    ids = sorted(Lesson.objects.values_list("pk", flat=True))

    # Unchanged content: the report says nothing would change, and importing changes nothing.
    response = upload(author, exported, "test-track.zip")
    assert "importing changes nothing" in response.content.decode()
    confirm(author, response)
    assert sorted(Lesson.objects.values_list("pk", flat=True)) == ids

    # Edits made since the export are put back in place, keeping every row's id.
    lesson = track.lessons.get(slug="lesson-1-2")
    lesson.title = "Edited after the export"
    lesson.save()
    Choice.objects.filter(question__quiz__lesson__slug="lesson-1-1", position=1).update(
        feedback="Changed."
    )
    response = upload(author, exported, "test-track.zip")
    assert "lessons          1 updated, 5 unchanged" in response.content.decode()
    response = confirm(author, response)

    assert Lesson.objects.get(pk=lesson.pk).title == "Lesson 1.2"
    assert not Choice.objects.filter(feedback="Changed.").exists()
    assert sorted(Lesson.objects.values_list("pk", flat=True)) == ids
    assert LogEntry.objects.filter(object_id=str(track.pk), action_flag=CHANGE).count() == 2

    # And into an empty database, the same tracks come back.
    Track.objects.all().delete()
    confirm(author, upload(author, exported))
    again = Track.objects.get(slug="test-track")
    assert again.lessons.count() == 6
    assert again.lessons.get(slug="lesson-1-1").quiz.questions.count() == 2
    assert [c.criterion for c in again.lessons.get(slug="lesson-2-1").assignment.rubric.all()] == [
        "Voice",
        "Accuracy",
    ]


def test_export_keeps_the_placement_statements(author):
    track = factories.make_track()
    track.modules.update(self_check="I can plan a week of posts.")
    exported = author.get(reverse("admin:courses_track_export", args=[track.pk])).content

    confirm(author, upload(author, exported))

    assert set(track.modules.values_list("self_check", flat=True)) == {
        "I can plan a week of posts."
    }
