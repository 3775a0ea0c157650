"""The authoring admin: every page loads, inlines and link-through, ordering, preview, theme."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import Lesson, Module, Quiz, Track
from ledger.models import EmailOptOut, Message
from progress.models import Enrolment, LessonCompletion
from tests import factories

pytestmark = pytest.mark.django_db


# -- helpers -------------------------------------------------------------------------------------


class _FormReader(HTMLParser):
    """The data a browser would submit from the form with id `form_id` (no button pressed)."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: list[tuple[str, str]] = []
        self.textarea: str | None = None
        self.text = ""
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
            return
        name = attrs.get("name")
        if not self.inside or (not name and tag != "option"):
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "image", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.data.append((name, attrs.get("value") or "on"))
                return
            self.data.append((name, attrs.get("value") or ""))
        elif tag == "textarea":
            self.textarea, self.text = name, ""
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.data.append((self.select, attrs.get("value") or ""))

    def handle_data(self, data):
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self.textarea is not None:
            # A newline right after <textarea> is not part of the value (HTML spec).
            self.data.append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None
        elif tag == "select":
            self.select = None


def form_data(html: str, form_id: str) -> dict[str, list[str]]:
    reader = _FormReader(form_id)
    reader.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in reader.data:
        if "__prefix__" not in name:
            data.setdefault(name, []).append(value)
    return data


def submit_change_form(client, obj, changes: dict | None = None, *, form_id: str):
    """GET the object's admin change page, apply `changes`, POST it back."""
    url = change_url(obj)
    data = form_data(client.get(url).content.decode(), form_id)
    for name, value in (changes or {}).items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value if isinstance(value, list) else [value]
    return client.post(url, data)


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def lesson_body(html: str) -> str:
    match = re.search(r'<div class="prose" id="lesson-body">(.*?)</div>', html, re.S)
    assert match, "no lesson body on the page"
    return match.group(1)


@pytest.fixture
def authored(db) -> Track:
    """Two modules of three lessons, each with a quiz; lesson 1.1 also has an assignment. Not
    published yet, so edited directly (a published track's lessons change through drafts:
    test_drafts)."""
    track = factories.make_track(with_quiz=True, published=False)
    lesson = Lesson.objects.get(slug="lesson-1-1")
    factories.add_rubric(factories.add_assignment(lesson))
    return track


@pytest.fixture
def author(client, staff_user):
    client.force_login(staff_user)
    return client


# -- every page loads ------------------------------------------------------------------------------


def test_every_admin_changelist_add_change_and_history_page_loads(author, staff_user, authored):
    learner = factories.UserFactory()
    factories.team_with(manager=factories.UserFactory(), learners=[learner])
    Enrolment.objects.create(learner=learner, track=authored)
    LessonCompletion.objects.create(learner=learner, lesson=Lesson.objects.first())
    Message.objects.create(
        key="digest:1:2026-W48",
        kind="digest",
        recipient=learner,
        to_email=learner.email,
        subject="Your week",
        body_text="Hello",
        body_html='<p style="color: red">Hello</p>',
    )
    EmailOptOut.objects.create(email=learner.email, kind="all")
    Group.objects.create(name="Authors")
    request = RequestFactory().get("/admin/")
    request.user = staff_user
    without_rows = []

    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        response = author.get(reverse(f"{info}_changelist"))
        assert response.status_code == 200, label
        response = author.get(reverse(f"{info}_add"))
        assert response.status_code == (200 if model_admin.has_add_permission(request) else 403)
        obj = model._default_manager.first()
        if obj is None:
            without_rows.append(label)
            continue
        assert author.get(reverse(f"{info}_change", args=[obj.pk])).status_code == 200, label
        assert author.get(reverse(f"{info}_history", args=[obj.pk])).status_code == 200, label

    # Every model this test made a row for had its change and history pages opened; other
    # apps' models without rows here still had their list and add pages walked above.
    opened = {
        "courses.Role", "courses.Track", "courses.Module", "courses.Lesson", "courses.Quiz",
        "courses.Question", "courses.PracticeAssignment", "ledger.Message",
        "ledger.EmailOptOut", "learners.User", "learners.Organisation", "learners.Team",
        "learners.Membership", "auth.Group", "sites.Site", "account.EmailAddress",
    }  # fmt: skip
    assert not opened & set(without_rows)


def test_admin_pages_carry_the_theme_and_no_inline_scripts_or_styles(author, authored):
    lesson = Lesson.objects.get(slug="lesson-1-1")
    urls = [
        reverse("admin:index"),
        reverse("admin:courses_track_changelist"),
        change_url(authored),
        change_url(lesson.module),
        change_url(lesson),
        change_url(lesson.quiz),
        change_url(lesson.quiz.questions.first()),
        change_url(lesson.assignment),
        reverse("admin:courses_track_import"),
        reverse("admin:courses_lesson_delete", args=[lesson.pk]),
    ]
    for url in urls:
        body = author.get(url).content.decode()
        assert 'href="/static/css/admin.css"' in body, url
        assert 'class="admin-brand"' in body and "Socialcraft" in body, url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), f"inline script on {url}"
        assert "<style" not in body and " style=" not in body, f"inline style on {url}"


def test_pages_are_for_staff_only(client, learner, authored):
    lesson = Lesson.objects.get(slug="lesson-1-1")
    client.force_login(learner)
    for url in (
        reverse("admin:courses_track_changelist"),
        reverse("admin:courses_lesson_preview", args=[lesson.pk]),
        reverse("admin:courses_track_import"),
        reverse("admin:courses_track_export", args=[authored.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "login" in response["Location"], url
    response = client.post(reverse("admin:courses_lesson_markdown_preview"), {"text": "*x*"})
    assert response.status_code == 302


# -- lists: counts, filters, search -------------------------------------------------------------


def cell(body: str, field: str) -> list[str]:
    return re.findall(rf'<td class="field-{field}[^"]*">([^<]*)</td>', body)


def test_track_list_counts_modules_lessons_quizzes_and_learners(author, authored):
    Track.objects.filter(pk=authored.pk).update(is_published=True)
    for learner in factories.UserFactory.create_batch(2):
        Enrolment.objects.create(learner=learner, track=authored)
    Lesson.objects.filter(slug="lesson-2-3").update(archived_at="2026-01-01T00:00Z")

    body = author.get(reverse("admin:courses_track_changelist")).content.decode()

    assert cell(body, "module_count") == ["2"]
    assert cell(body, "lesson_count") == ["5"]  # the archived lesson is not counted
    assert cell(body, "quiz_count") == ["5"]
    assert cell(body, "enrolled_count") == ["2"]
    assert cell(body, "status") == ["Published"]


def count_queries(client, url: str) -> int:
    client.get(url)  # warm the session and the content types
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "admin:courses_track_changelist",
        "admin:courses_module_changelist",
        "admin:courses_lesson_changelist",
        "admin:courses_quiz_changelist",
        "admin:courses_question_changelist",
        "admin:courses_practiceassignment_changelist",
        "admin:courses_role_changelist",
    ],
)
def test_list_queries_do_not_grow_with_rows(author, url):
    factories.make_track(slug="first", with_quiz=True, modules=1, lessons_per_module=1)
    few = count_queries(author, reverse(url))
    for number in range(5):
        track = factories.make_track(slug=f"more-{number}", with_quiz=True)
        factories.add_rubric(factories.add_assignment(track.lessons.first()))
        Enrolment.objects.create(learner=factories.UserFactory(), track=track)

    # Counts are subqueries of the one list query, never one query per row.
    assert count_queries(author, reverse(url)) == few


def test_track_list_filters_by_status_and_role(author):
    factories.make_track(slug="live")
    factories.make_track(slug="draft", published=False)
    factories.make_track(slug="old", role_slug="executive")
    Track.objects.filter(slug="old").update(archived_at="2026-01-01T00:00Z")
    url = reverse("admin:courses_track_changelist")

    def slugs(query: str) -> set[str]:
        body = author.get(f"{url}?{query}").content.decode()
        return {slug for slug in ("live", "draft", "old") if f"Track {slug}<" in body}

    assert slugs("status=published") == {"live"}
    assert slugs("status=draft") == {"draft"}
    assert slugs("status=archived") == {"old"}
    executive = Track.objects.get(slug="old").role_id
    assert slugs(f"role__id__exact={executive}") == {"old"}
    assert slugs("q=draft") == {"draft"}


def test_lesson_list_filters_by_track_status_and_archived(author, authored):
    Track.objects.filter(pk=authored.pk).update(is_published=True)
    factories.make_track(slug="other", published=False, modules=1, lessons_per_module=1)
    Lesson.objects.filter(slug="lesson-1-2", track=authored).update(archived_at="2026-01-01T00:00Z")
    url = reverse("admin:courses_lesson_changelist")

    drafts = author.get(f"{url}?track_status=draft").content.decode()
    archived = author.get(f"{url}?archived=yes").content.decode()

    assert set(cell(drafts, "track")) == {"Track other"}
    assert cell(archived, "status") == ["Archived 01 Jan 2026"]
    assert ">Lesson 1.2</a>" in archived and ">Lesson 1.1</a>" not in archived


# -- link-through: lesson ⇄ quiz ⇄ question, lesson ⇄ assignment --------------------------------


def test_lesson_page_links_to_its_quiz_and_assignment_and_back(author, authored):
    lesson = Lesson.objects.select_related("quiz", "assignment").get(slug="lesson-1-1")
    question = lesson.quiz.questions.first()

    body = author.get(change_url(lesson)).content.decode()
    assert f'<a href="{change_url(lesson.quiz)}">Edit quiz</a>' in body
    assert f'<a href="{change_url(lesson.assignment)}">Edit assignment</a>' in body

    for page in (lesson.quiz, question, lesson.assignment):
        body = author.get(change_url(page)).content.decode()
        assert f'<a href="{change_url(lesson)}">Back to lesson “Lesson 1.1”</a>' in body
    assert f'<a href="{change_url(lesson.quiz)}">Back to quiz</a>' in (
        author.get(change_url(question)).content.decode()
    )


def test_quiz_and_assignment_are_created_from_the_lesson_page(author, authored):
    lesson = Lesson.objects.get(slug="lesson-1-2")
    lesson.quiz.delete()
    add_quiz = f"{reverse('admin:courses_quiz_add')}?lesson={lesson.pk}"
    add_assignment = f"{reverse('admin:courses_practiceassignment_add')}?lesson={lesson.pk}"

    body = author.get(change_url(lesson)).content.decode()
    assert "Add a quiz" in body and add_quiz.replace("?", "?") in body
    assert "Add an assignment" in body

    form = author.get(add_quiz).content.decode()
    assert f'<option value="{lesson.pk}" selected>Track test-track › Lesson 1.2</option>' in form
    response = author.post(
        add_quiz,
        {
            **form_data(form, "quiz_form"),
            "pass_mark": "80",
            "questions-0-prompt": "What comes first?",
            "questions-0-kind": "single",
            "questions-0-explanation": "The beginning.",
        },
    )
    assert response.status_code == 302
    quiz = Quiz.objects.get(lesson=lesson)
    assert quiz.pass_mark == 80
    assert [q.prompt for q in quiz.questions.all()] == ["What comes first?"]

    response = author.post(
        add_assignment,
        {
            **form_data(author.get(add_assignment).content.decode(), "practiceassignment_form"),
            "title": "Write a post",
            "brief_markdown": "Write **one** post.",
            "rubric-0-criterion": "Voice",
            "rubric-0-points": "4",
        },
    )
    assert response.status_code == 302
    assignment = Lesson.objects.get(pk=lesson.pk).assignment
    assert "<strong>one</strong>" in assignment.brief_html
    assert [c.criterion for c in assignment.rubric.all()] == ["Voice"]


def test_choices_are_edited_on_the_question_page(author, authored):
    question = Lesson.objects.get(slug="lesson-1-1").quiz.questions.get()
    wrong = question.choices.get(is_correct=False)

    response = submit_change_form(
        author,
        question,
        {"choices-1-feedback": "Better feedback.", "choices-1-is_correct": None},
        form_id="question_form",
    )

    assert response.status_code == 302
    wrong.refresh_from_db()
    assert wrong.feedback == "Better feedback."


# -- roles and placement statements -------------------------------------------------------------


def test_self_check_is_on_the_module_form_and_the_track_inline(author, authored):
    module = authored.modules.get(slug="module-1")
    assert 'name="self_check"' in author.get(change_url(module)).content.decode()
    track_page = author.get(change_url(authored)).content.decode()
    assert 'name="modules-0-self_check"' in track_page

    response = submit_change_form(
        author,
        authored,
        {"modules-0-self_check": "I can plan a week of posts."},
        form_id="track_form",
    )

    assert response.status_code == 302
    module.refresh_from_db()
    assert module.self_check == "I can plan a week of posts."


def test_roles_are_editable(author):
    response = author.post(
        reverse("admin:courses_role_add"),
        {"title": "Community manager", "slug": "community-manager", "position": "4"},
    )

    assert response.status_code == 302
    assert author.get(reverse("admin:courses_role_changelist")).status_code == 200


# -- ordering through the inlines -----------------------------------------------------------------


def test_inline_up_button_saves_the_page_and_moves_the_row(author, authored):
    module = authored.modules.get(slug="module-1")
    third = module.lessons.get(slug="lesson-1-3")

    response = submit_change_form(
        author,
        module,
        {"_move": f"lesson:{third.pk}:up", "lessons-0-title": "Lesson one, renamed"},
        form_id="module_form",
    )

    assert response.status_code == 302
    assert response["Location"] == change_url(module)
    assert list(module.lessons.order_by("position").values_list("title", flat=True)) == [
        "Lesson one, renamed",
        "Lesson 1.3",
        "Lesson 1.2",
    ]


def test_inline_buttons_move_choices_that_have_unique_positions(author, authored):
    question = Lesson.objects.get(slug="lesson-1-1").quiz.questions.get()
    right = question.choices.get(position=1)

    response = submit_change_form(
        author, question, {"_move": f"choice:{right.pk}:down"}, form_id="question_form"
    )

    assert response.status_code == 302
    assert list(question.choices.order_by("position").values_list("text", flat=True)) == [
        "Wrong",
        "Right",
    ]


def test_a_row_of_another_parent_is_not_moved(author, authored):
    module = authored.modules.get(slug="module-1")
    elsewhere = Lesson.objects.get(slug="lesson-2-2")

    submit_change_form(
        author, module, {"_move": f"lesson:{elsewhere.pk}:up"}, form_id="module_form"
    )

    assert Lesson.objects.get(pk=elsewhere.pk).position == 2


def test_new_inline_rows_go_last(author, authored):
    module = authored.modules.get(slug="module-1")

    response = submit_change_form(
        author,
        module,
        {
            "lessons-TOTAL_FORMS": "4",
            "lessons-3-title": "A new lesson",
            "lessons-3-slug": "a-new-lesson",
            "lessons-3-minutes": "6",
        },
        form_id="module_form",
    )

    assert response.status_code == 302
    new = Lesson.objects.get(slug="a-new-lesson")
    assert (new.track, new.position) == (authored, 4)


def test_a_lesson_slug_used_elsewhere_in_the_track_is_a_form_error(author, authored):
    module = authored.modules.get(slug="module-1")

    response = submit_change_form(
        author, module, {"lessons-0-slug": "lesson-2-1"}, form_id="module_form"
    )

    assert response.status_code == 200
    assert "Another lesson in this track already uses “lesson-2-1”" in response.content.decode()
    lesson = Lesson.objects.get(slug="lesson-2-1")
    assert lesson.module.slug == "module-2"


def test_a_new_module_gets_the_next_position_and_its_track_stays_fixed(author, authored):
    response = author.post(
        reverse("admin:courses_module_add"),
        {
            "track": authored.pk,
            "title": "Module three",
            "slug": "module-3",
            "summary": "",
            "self_check": "I can do the third thing.",
            "lessons-TOTAL_FORMS": "0",
            "lessons-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    module = Module.objects.get(slug="module-3")
    assert module.position == 3
    assert 'name="track"' not in author.get(change_url(module)).content.decode()


# -- preview --------------------------------------------------------------------------------------


def test_preview_shows_the_same_lesson_html_as_the_learner_page(client, learner, staff_user):
    track = factories.make_track()
    lesson = Lesson.objects.get(slug="lesson-1-2")
    lesson.body_markdown = "## Voice\n\nA [link](https://example.com) and a list:\n\n- one\n- two"
    lesson.save()
    client.force_login(learner)
    learner_page = client.get(lesson.get_absolute_url()).content.decode()
    client.force_login(staff_user)

    response = client.get(reverse("admin:courses_lesson_preview", args=[lesson.pk]))

    preview = response.content.decode()
    assert response.status_code == 200
    assert lesson_body(preview) == lesson_body(learner_page) == lesson.body_html
    assert "Preview — this is exactly what a learner sees" in preview
    assert "Mark complete" not in preview
    assert not Enrolment.objects.filter(learner=staff_user, track=track).exists()


def test_preview_works_for_drafts(author):
    factories.make_track(slug="draft-track", published=False)
    lesson = Lesson.objects.get(slug="lesson-2-1")

    body = author.get(reverse("admin:courses_lesson_preview", args=[lesson.pk])).content.decode()

    assert "once the track is published" in body
    assert lesson_body(body) == lesson.body_html
    assert (
        author.get(change_url(lesson))
        .content.decode()
        .count(reverse("admin:courses_lesson_preview", args=[lesson.pk]))
    )


def test_preview_of_an_archived_lesson_explains_instead(author, authored):
    lesson = Lesson.objects.get(slug="lesson-1-2")
    Lesson.objects.filter(pk=lesson.pk).update(archived_at="2026-01-01T00:00Z")

    response = author.get(reverse("admin:courses_lesson_preview", args=[lesson.pk]), follow=True)

    assert "is archived, so learners don&#x27;t see it" in response.content.decode()


def test_markdown_preview_returns_sanitised_html(author):
    url = reverse("admin:courses_lesson_markdown_preview")

    response = author.post(
        url, {"text": "**bold** <script>alert(1)</script>[x](javascript:alert(1))"}
    )

    assert response.status_code == 200
    html = response.json()["html"]
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html
    assert author.get(url).status_code == 405


def test_lesson_editor_is_wired_to_the_markdown_preview(author, authored):
    lesson = Lesson.objects.get(slug="lesson-1-1")

    body = author.get(change_url(lesson)).content.decode()

    assert 'data-markdown-preview="/admin/courses/lesson/markdown-preview/"' in body
    assert '<script src="/static/js/admin-markdown-preview.js"' in body
    assignment = author.get(change_url(lesson.assignment)).content.decode()
    assert 'data-markdown-preview="/admin/courses/lesson/markdown-preview/"' in assignment


def test_two_modules_with_one_slug_is_a_form_error(author, authored):
    response = submit_change_form(
        author, authored, {"modules-1-slug": "module-1"}, form_id="track_form"
    )

    assert response.status_code == 200
    assert "Module with this Track and Slug already exists." in response.content.decode()
    assert set(authored.modules.values_list("slug", flat=True)) == {"module-1", "module-2"}


def test_renaming_a_module_to_a_taken_slug_is_a_form_error(author, authored):
    module = authored.modules.get(slug="module-2")

    response = submit_change_form(author, module, {"slug": "module-1"}, form_id="module_form")

    assert response.status_code == 200
    assert "Another module of “Track test-track” uses “module-1”." in response.content.decode()
    module.refresh_from_db()
    assert module.slug == "module-2"


def test_certificate_validity_is_on_the_track_form(author, authored):
    response = submit_change_form(author, authored, {"validity_months": "24"}, form_id="track_form")

    assert response.status_code == 302
    authored.refresh_from_db()
    assert authored.validity_months == 24


def test_lessons_are_marked_materially_changed_by_an_action(author, authored):
    lesson = Lesson.objects.get(slug="lesson-1-2")

    response = author.post(
        reverse("admin:courses_lesson_changelist"),
        {"action": "mark_changed", ACTION_CHECKBOX_NAME: [lesson.pk]},
        follow=True,
    )

    lesson.refresh_from_db()
    assert lesson.changed_at is not None
    assert "Marked 1 lesson as materially changed" in response.content.decode()
    assert 'name="changed_at"' not in author.get(change_url(lesson)).content.decode()
