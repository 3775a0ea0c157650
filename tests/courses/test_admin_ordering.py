"""Ordering by position without typing numbers: services.move_items and the list actions."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from courses import services
from courses.models import Choice, Lesson, Module, Question, RubricCriterion
from tests import factories

pytestmark = pytest.mark.django_db


def titles(module: Module) -> list[str]:
    return list(module.lessons.order_by("position").values_list("title", flat=True))


@pytest.fixture
def module() -> Module:
    """Module 1 with lessons 1.1 … 1.4, positions 1 … 4."""
    track = factories.make_track(modules=2, lessons_per_module=4)
    return track.modules.get(slug="module-1")


def lesson(title: str) -> Lesson:
    return Lesson.objects.get(title=title)


def test_move_up_swaps_with_the_previous_sibling(module):
    assert titles(module) == ["Lesson 1.1", "Lesson 1.2", "Lesson 1.3", "Lesson 1.4"]

    assert services.move_item(item=lesson("Lesson 1.3"), direction="up") is True

    assert titles(module) == ["Lesson 1.1", "Lesson 1.3", "Lesson 1.2", "Lesson 1.4"]
    assert list(module.lessons.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
        3,
        4,
    ]


def test_move_down_swaps_with_the_next_sibling(module):
    services.move_item(item=lesson("Lesson 1.1"), direction="down")

    assert titles(module) == ["Lesson 1.2", "Lesson 1.1", "Lesson 1.3", "Lesson 1.4"]


def test_the_first_cannot_move_up_and_the_last_cannot_move_down(module):
    assert services.move_item(item=lesson("Lesson 1.1"), direction="up") is False
    assert services.move_item(item=lesson("Lesson 1.4"), direction="down") is False

    assert titles(module) == ["Lesson 1.1", "Lesson 1.2", "Lesson 1.3", "Lesson 1.4"]


def test_items_chosen_together_move_as_a_block(module):
    moved = services.move_items(items=[lesson("Lesson 1.3"), lesson("Lesson 1.4")], direction="up")

    assert moved == 2
    assert titles(module) == ["Lesson 1.1", "Lesson 1.3", "Lesson 1.4", "Lesson 1.2"]


def test_a_block_at_the_edge_stays_together(module):
    moved = services.move_items(items=[lesson("Lesson 1.1"), lesson("Lesson 1.2")], direction="up")

    assert moved == 0
    assert titles(module) == ["Lesson 1.1", "Lesson 1.2", "Lesson 1.3", "Lesson 1.4"]


def test_moving_renumbers_equal_and_gapped_positions(module):
    # Rows added by hand may share a position or leave gaps; ties break by creation order.
    Lesson.objects.filter(module=module).update(position=0)
    Lesson.objects.filter(title="Lesson 1.4").update(position=9)

    services.move_item(item=lesson("Lesson 1.2"), direction="up")

    assert titles(module) == ["Lesson 1.2", "Lesson 1.1", "Lesson 1.3", "Lesson 1.4"]
    assert sorted(module.lessons.values_list("position", flat=True)) == [1, 2, 3, 4]


def test_siblings_are_the_same_parent_only(module):
    other = Module.objects.get(slug="module-2")
    before = list(other.lessons.order_by("pk").values_list("position", flat=True))

    services.move_item(item=lesson("Lesson 1.2"), direction="up")

    assert list(other.lessons.order_by("pk").values_list("position", flat=True)) == before


def test_modules_questions_choices_and_criteria_move_too():
    track = factories.make_track(modules=3, lessons_per_module=1, with_quiz=True)
    first_lesson = track.lessons.get(slug="lesson-1-1")
    quiz = first_lesson.quiz
    factories.add_multiple_choice_question(quiz, position=2)
    assignment = factories.add_rubric(factories.add_assignment(first_lesson))

    services.move_item(item=track.modules.get(slug="module-3"), direction="up")
    services.move_item(item=quiz.questions.get(position=2), direction="up")
    question = quiz.questions.get(kind="multiple")
    services.move_item(item=question.choices.get(text="Click-through rate"), direction="up")
    services.move_item(item=assignment.rubric.get(criterion="Accuracy"), direction="up")

    assert list(track.modules.order_by("position").values_list("slug", flat=True)) == [
        "module-1",
        "module-3",
        "module-2",
    ]
    assert [q.kind for q in quiz.questions.order_by("position")] == ["multiple", "single"]
    # Choice and question positions are unique in their parent: the swap never collides.
    assert list(
        Choice.objects.filter(question=question).order_by("position").values_list("text", flat=True)
    ) == ["Engagement rate", "Click-through rate", "Impressions"]
    assert list(
        RubricCriterion.objects.filter(assignment=assignment)
        .order_by("position")
        .values_list("criterion", flat=True)
    ) == ["Accuracy", "Voice"]


def test_an_unknown_direction_is_refused(module):
    with pytest.raises(ValueError, match="direction"):
        services.move_item(item=lesson("Lesson 1.2"), direction="sideways")


def test_next_position_puts_a_new_child_last(module):
    assert services.next_position(model=Lesson, parent=module) == 5
    empty = Module.objects.create(track=module.track, slug="empty", title="Empty")
    assert services.next_position(model=Lesson, parent=empty) == 1


# -- list actions ------------------------------------------------------------------------------


def run_action(client, model: str, action: str, objects):
    return client.post(
        reverse(f"admin:courses_{model}_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in objects]},
        follow=True,
    )


def test_move_actions_on_the_lesson_list(client, staff_user, module):
    client.force_login(staff_user)

    response = run_action(client, "lesson", "move_up", [lesson("Lesson 1.3")])
    assert "Moved 1 lesson up." in response.content.decode()
    run_action(client, "lesson", "move_down", [lesson("Lesson 1.1")])

    assert titles(module) == ["Lesson 1.3", "Lesson 1.1", "Lesson 1.2", "Lesson 1.4"]


def test_move_actions_on_the_module_and_question_lists(client, staff_user, module):
    client.force_login(staff_user)
    quiz = factories.add_quiz(lesson("Lesson 1.1"))
    factories.add_multiple_choice_question(quiz, position=2)

    run_action(client, "module", "move_down", [module])
    run_action(client, "question", "move_up", [quiz.questions.get(position=2)])

    assert list(module.track.modules.order_by("position").values_list("slug", flat=True)) == [
        "module-2",
        "module-1",
    ]
    assert list(
        Question.objects.filter(quiz=quiz).order_by("position").values_list("kind", flat=True)
    ) == [
        "multiple",
        "single",
    ]
