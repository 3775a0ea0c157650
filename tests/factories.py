import factory
from allauth.account.models import EmailAddress

from courses.models import Choice, Lesson, Module, PracticeAssignment, Question, Quiz, Role, Track
from courses.services import FINGERPRINT_UNKNOWN
from learners.models import User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def role(slug: str = "newcomer") -> Role:
    # get_or_create: transactional tests flush the roles that the data migration created.
    return Role.objects.get_or_create(
        slug=slug, defaults={"title": slug.replace("-", " ").capitalize()}
    )[0]


def make_track(
    *,
    slug: str = "test-track",
    modules: int = 2,
    lessons_per_module: int = 3,
    published: bool = True,
    role_slug: str = "newcomer",
    with_quiz: bool = False,
) -> Track:
    """A track with `modules` × `lessons_per_module` lessons (each with a short body), as if
    imported before imports were fingerprinted: a later import may overwrite it. (Content an
    author made in the admin has no fingerprint; tests of that make it so.)"""
    track = Track.objects.create(
        slug=slug,
        title=f"Track {slug}",
        role=role(role_slug),
        summary="A track for tests.",
        is_published=published,
        imported_fingerprint=FINGERPRINT_UNKNOWN,
    )
    for m in range(1, modules + 1):
        module = Module.objects.create(
            track=track, slug=f"module-{m}", title=f"Module {m}", position=m
        )
        for n in range(1, lessons_per_module + 1):
            lesson = Lesson.objects.create(
                track=track,
                module=module,
                slug=f"lesson-{m}-{n}",
                title=f"Lesson {m}.{n}",
                position=n,
                minutes=5,
                body_markdown=f"## Lesson {m}.{n}\n\nSome *text* for lesson {m}.{n}.",
                imported_fingerprint=FINGERPRINT_UNKNOWN,
            )
            if with_quiz:
                add_quiz(lesson)
    return track


def add_quiz(
    lesson: Lesson, *, pass_mark: int = 50, max_attempts: int | None = None, **options
) -> Quiz:
    """A one-question quiz; retries are unlimited unless `max_attempts` says otherwise (the
    product's default of 3 is tested where limits are the point)."""
    quiz = Quiz.objects.create(
        lesson=lesson, pass_mark=pass_mark, max_attempts=max_attempts, **options
    )
    question = Question.objects.create(
        quiz=quiz, position=1, prompt="Which is right?", kind="single", explanation="Because."
    )
    Choice.objects.create(
        question=question, position=1, text="Right", is_correct=True, feedback="Yes."
    )
    Choice.objects.create(
        question=question, position=2, text="Wrong", is_correct=False, feedback="No."
    )
    return quiz


def add_assignment(lesson: Lesson, *, required: bool = True) -> PracticeAssignment:
    return PracticeAssignment.objects.create(
        lesson=lesson, title="Practice", brief_markdown="Do the thing.", required=required
    )


def add_multiple_choice_question(quiz: Quiz, *, position: int = 2) -> Question:
    question = Question.objects.create(
        quiz=quiz,
        position=position,
        prompt="Pick the rates",
        kind="multiple",
        explanation="Rates divide.",
    )
    Choice.objects.create(
        question=question, position=1, text="Engagement rate", is_correct=True, feedback="A rate."
    )
    Choice.objects.create(
        question=question, position=2, text="Impressions", is_correct=False, feedback="A count."
    )
    Choice.objects.create(
        question=question,
        position=3,
        text="Click-through rate",
        is_correct=True,
        feedback="A rate.",
    )
    return question


def add_rubric(assignment: PracticeAssignment, *criteria: tuple[str, int]):
    from courses.models import RubricCriterion

    for position, (name, points) in enumerate(criteria or (("Voice", 4), ("Accuracy", 3)), start=1):
        RubricCriterion.objects.create(
            assignment=assignment,
            position=position,
            criterion=name,
            description=f"{name} done well.",
            points=points,
        )
    return assignment


def team_with(*, manager=None, learners=()):
    from learners.models import Membership, Organisation, Team

    organisation, _ = Organisation.objects.get_or_create(slug="acme", defaults={"name": "Acme"})
    team = Team.objects.create(organisation=organisation, name=f"Team {Team.objects.count() + 1}")
    if manager is not None:
        Membership.objects.create(user=manager, team=team, role="manager")
    for learner in learners:
        Membership.objects.create(user=learner, team=team, role="learner")
    return team
