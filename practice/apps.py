from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = "Practice in public"

    def ready(self):
        from courses.selectors import register_platform_reviews
        from learners.services import declare_account_data
        from learners.signals import review_rights_changed
        from progress import data_export, extensions

        from . import networks, studio
        from .models import PostReview, PracticePost

        register_platform_reviews(networks.reviews)
        extensions.register_review_source(
            extensions.ReviewSource(
                template="practice/partials/inbox_posts.html",
                items=studio.posts_waiting_for_review,
                waiting=studio.waiting_for_review,
            )
        )
        # The public portfolio is a page about the person: it goes with the account.
        declare_account_data(deleted_with_account={"practice.portfolio"})
        # A reviewer who lost the right to review a learner stops being their posts' reviewer,
        # and their data download holds only what they may still see.
        review_rights_changed.connect(
            studio.review_rights_changed_receiver, dispatch_uid="practice.studio.reviews"
        )
        data_export.register_row_filter(PracticePost, "reviewer", studio.exported_posts_to_review)
        data_export.register_row_filter(PostReview, "reviewer", studio.exported_reviews_given)
