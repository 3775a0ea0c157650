from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Social governance"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

        from learners.models import Organisation
        from learners.services import declare_account_data
        from progress import extensions
        from progress.signals import records_changed

        from . import clearance, clearance_tally, holdings, services, tasks  # noqa: F401 - tasks
        from .models import ClearanceLevel, Policy, PolicyVersion

        post_migrate.connect(
            clearance_tally.reinstall_after_migrate, sender=self, dispatch_uid="clearance_tally"
        )

        records_changed.connect(holdings.records_changed_receiver, dispatch_uid="holdings")

        # What the clearance rules are made of (clearance.kept_rules_of): the levels, their
        # tracks, the policies and their versions, and the organisations they belong to.
        for model in (ClearanceLevel, Policy, PolicyVersion, Organisation):
            for signal in (post_save, post_delete):
                signal.connect(clearance.rules_changed, sender=model, dispatch_uid="rules")
        m2m_changed.connect(
            clearance.rules_changed, sender=ClearanceLevel.tracks.through, dispatch_uid="rules"
        )

        declare_account_data(
            # A role, not a record: a deleted account owns nothing.
            deleted_with_account={"governance.policyowner"},
            # The hash of the policy's text, not anything about them.
            not_personal={("governance.policyacknowledgement", "text_sha256")},
        )

        extensions.register(
            "me",
            extensions.PagePart(
                template="governance/partials/my_governance.html",
                context=lambda *, user, now, certificates, submissions: {
                    "governance": services.my_governance(
                        user, now=now, certificates=certificates, submissions=submissions
                    )
                },
                shows=lambda context: (
                    context["governance"].has_policy or bool(context["governance"].clearances)
                ),
            ),
        )
        extensions.register(
            "submission",
            extensions.PagePart(
                template="governance/partials/promote_submission.html",
                context=lambda *, user, submission: {
                    "promote_to": services.promotable_to(user, submission)
                },
                shows=lambda context: context["promote_to"] is not None,
            ),
        )
