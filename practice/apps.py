from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = "Practice in public"

    def ready(self):
        from courses.selectors import register_platform_reviews

        from . import networks

        register_platform_reviews(networks.reviews)
