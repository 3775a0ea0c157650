from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = "Practice in public"

    def ready(self):
        from courses.selectors import register_platform_reviews
        from learners.services import declare_account_data

        from . import networks

        register_platform_reviews(networks.reviews)
        # The public portfolio is a page about the person: it goes with the account.
        declare_account_data(deleted_with_account={"practice.portfolio"})
