"""The curriculum in the Django admin, made for authors (DESIGN.md §3, journey 7).

- Track → modules → lessons are edited as inlines; a lesson's quiz and practice assignment
  are one click away ("Edit quiz", "Edit assignment"), and each of their pages links back.
- Order is changed with ↑/↓ buttons beside each inline row (and "Move up/down" actions on
  the lists); `services.move_items` renumbers, nobody types positions.
- Tracks are drafts until published; publishing runs `services.validate_track_for_publishing`
  and refuses with every problem linked to the page that fixes it.
- Content that learners have records for is never deleted: the delete page says so and
  offers "Archive" instead (learner records point at content with on_delete=PROTECT).
- Import and export of zipped content folders, the lesson preview and the Markdown preview
  live in `courses.admin.views`.
- Every save and delete here calls `services.curriculum_changed` (`CurriculumChangesAdmin`),
  so learners' pages, kept in memory by each worker, show the edit on their next view.

No action is offered on change forms (Django 6.1's change-form actions): a POST without a
save button would then be read as an action, and the ↑/↓ buttons rely on saving first.
"""

# The admin site registers each model when its module is imported.
from . import assessment, lessons, structure  # noqa: F401
