"""Smaller admin fixes of issue 22, item 7: the lesson list keeps each track's lessons together,
and a lesson's platforms are typed as names, not JSON."""

import re

import pytest
from django.urls import reverse

from courses.models import Lesson
from tests import factories
from tests.courses.test_admin import submit_change_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(client, staff_user):
    client.force_login(staff_user)
    return client


def test_the_lesson_list_keeps_each_tracks_lessons_together_in_order(author):
    factories.make_track(slug="bravo", modules=1, lessons_per_module=2)
    factories.make_track(slug="alpha", modules=2, lessons_per_module=1)

    page = author.get(reverse("admin:courses_lesson_changelist")).content.decode()

    tracks = re.findall(r'<td class="field-track[^"]*">Track (\w+)</td>', page)
    assert tracks == ["alpha", "alpha", "bravo", "bravo"]


def test_platforms_are_typed_as_names(author):
    factories.make_track(published=False, modules=1, lessons_per_module=1)
    lesson = Lesson.objects.get()

    response = submit_change_form(
        author, lesson, {"platforms": "LinkedIn,  instagram, linkedin,"}, form_id="lesson_form"
    )

    assert response.status_code == 302
    lesson.refresh_from_db()
    assert lesson.platforms == ["linkedin", "instagram"]
    page = author.get(reverse("admin:courses_lesson_change", args=[lesson.pk])).content.decode()
    assert 'value="linkedin, instagram"' in page


def test_a_platform_name_that_isnt_one_is_explained(author):
    factories.make_track(published=False, modules=1, lessons_per_module=1)
    lesson = Lesson.objects.get()

    response = submit_change_form(author, lesson, {"platforms": '["x"]'}, form_id="lesson_form")

    assert response.status_code == 200
    assert "a platform name: use letters, digits and hyphens" in response.content.decode()
    lesson.refresh_from_db()
    assert lesson.platforms == []
