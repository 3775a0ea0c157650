"""Keeping the stored clearance holdings (`LevelHolding`) in step with people's records.

A holding says a person holds, or held, a level: `clearance` counts and filters whole teams
from these rows and decides when reading whether each is cleared or lost now. This module only
writes them; it imports no rule of its own beyond what makes a row exist.
"""

from collections.abc import Iterable

from django.apps import apps as global_apps
from django.db.models import DateTimeField, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from progress.models import Submission


def refresh_holdings(
    *,
    organisation_ids: Iterable[int] | None = None,
    user_ids: Iterable[int] | None = None,
    registry=global_apps,
) -> None:
    """Rewrite the stored holdings (`LevelHolding`) of `user_ids` (everyone when None) for the
    levels of `organisation_ids` (every organisation's when None). Set-based: two statements
    and one insert per level, whether it is one person or an organisation of 50,000.

    Called wherever what a level asks for or what a person has done changes: an
    acknowledgement (`policy.acknowledge`), a certificate issued or renewed and an approval
    (`progress.signals.records_changed`), a level edited in the admin, and by code that writes
    records in bulk (the benchmark's seed). A new policy version or an expiry needs nothing:
    `clearance.Rules.cleared_holding` compares with them when reading. `registry` lets the migration
    that created the table fill it from its historical models."""
    holding_model = registry.get_model("governance", "LevelHolding")
    level_model = registry.get_model("governance", "ClearanceLevel")
    acknowledgement_model = registry.get_model("governance", "PolicyAcknowledgement")
    certificate_model = registry.get_model("progress", "Certificate")
    submission_model = registry.get_model("progress", "Submission")
    # The migration that first filled the table ran before certificates could be revoked.
    revocable = any(f.name == "revoked_at" for f in certificate_model._meta.get_fields())
    person_model = registry.get_model("learners", "User")
    user_ids = None if user_ids is None else list(user_ids)
    levels = level_model.objects.order_by("pk")
    if organisation_ids is not None:
        levels = levels.filter(organisation_id__in=list(organisation_ids))
    if user_ids is not None:  # only where they could hold something, or did
        levels = levels.filter(
            Q(organisation__policy__versions__acknowledgements__user_id__in=user_ids)
            | Q(holdings__user_id__in=user_ids)
        ).distinct()
    level_tracks = level_model.tracks.through.objects  # read directly: historical models too
    for level in levels:
        track_ids = list(
            level_tracks.filter(clearancelevel_id=level.pk).values_list("track_id", flat=True)
        )
        acknowledged = acknowledgement_model.objects.filter(
            user=OuterRef("pk"), version__policy__organisation_id=level.organisation_id
        )
        people = person_model.objects.filter(Exists(acknowledged))
        if user_ids is not None:
            people = people.filter(pk__in=user_ids)
        for track_id in track_ids:
            people = people.filter(
                Exists(certificate_model.objects.filter(learner=OuterRef("pk"), track_id=track_id))
            )
        if level.assignment_id:
            people = people.filter(
                Exists(
                    submission_model.objects.filter(
                        learner=OuterRef("pk"),
                        assignment_id=level.assignment_id,
                        status=Submission.Status.APPROVED,
                    )
                )
            )
        expiring = certificate_model.objects.filter(
            learner=OuterRef("pk"), track_id__in=track_ids, expires_at__isnull=False
        ).order_by("expires_at")
        until = Subquery(expiring.values("expires_at")[:1])
        if revocable:
            # A revoked certificate ends the holding when it was revoked: the row then reads
            # as a lost clearance, as an expired one does (clearance.Rules.cleared_holding).
            revoked = certificate_model.objects.filter(
                learner=OuterRef("pk"), track_id__in=track_ids, revoked_at__isnull=False
            ).order_by("revoked_at")
            until = Coalesce(
                Subquery(revoked.values("revoked_at")[:1]), until, output_field=DateTimeField()
            )
        rows = people.annotate(
            newest=Subquery(
                acknowledged.order_by("-version__number").values("version__number")[:1]
            ),
            until=until,
        ).values_list("pk", "newest", "until")
        stale = holding_model.objects.filter(level_id=level.pk)
        if user_ids is not None:
            stale = stale.filter(user_id__in=user_ids)
        stale.delete()
        holding_model.objects.bulk_create(
            [
                holding_model(
                    level_id=level.pk,
                    user_id=user_id,
                    acknowledged_number=newest,
                    valid_until=until,
                )
                for user_id, newest, until in rows
            ],
            batch_size=2000,
        )


def records_changed_receiver(sender, *, learner_ids, **kwargs) -> None:
    """Certificates or approvals of these people changed (progress.signals)."""
    refresh_holdings(user_ids=learner_ids)
