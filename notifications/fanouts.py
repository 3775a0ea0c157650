"""Running the outbox's fan-outs (ledger.outbox): each kind of announcement and who makes it.

Each maker tells everyone concerned once (ledger keys) and raises if it can't hand its batches
to the broker, so an announcement is marked done only once everything is on its way.
"""

import logging

from governance import services as governance
from ledger import outbox
from teams import services as teams

logger = logging.getLogger(__name__)

MAKERS = {
    teams.TRACK_ASSIGNED: lambda object_id: teams.send_assignment_emails(assignment_id=object_id),
    governance.POLICY_VERSION: lambda object_id: governance.announce_policy_version(
        version_id=object_id
    ),
}


def run(announcement_ids: list[int]) -> int:
    """Make each announcement still to do; returns how many were done now."""
    done = 0
    for announcement in outbox.to_run(announcement_ids):
        maker = MAKERS.get(announcement.kind)
        if maker is None:
            logger.error("No maker for announcement kind %r", announcement.kind)
            continue
        maker(announcement.object_id)
        outbox.mark_done(announcement)
        done += 1
    return done
