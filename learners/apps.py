from django.apps import AppConfig


class LearnersConfig(AppConfig):
    name = "learners"
    verbose_name = "People and organisations"

    def ready(self):
        from audit import services as audit

        from .models import Organisation

        # An audit entry about a person goes in the log of each organisation they belong to.
        audit.register_organisations_of(
            lambda person: Organisation.objects.filter(teams__memberships__user=person).distinct()
        )
