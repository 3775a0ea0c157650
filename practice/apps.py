from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = "Practice in public"

    def ready(self):
        from courses.selectors import register_platform_reviews
        from learners.services import declare_account_data
        from progress import extensions

        from . import networks, studio

        register_platform_reviews(networks.reviews)
        extensions.register_review_source(
            extensions.ReviewSource(
                template="practice/partials/inbox_posts.html",
                items=studio.review_queue,
                waiting=studio.waiting_for_review,
            )
        )
        # The public portfolio is a page about the person: it goes with the account.
        declare_account_data(deleted_with_account={"practice.portfolio"})
