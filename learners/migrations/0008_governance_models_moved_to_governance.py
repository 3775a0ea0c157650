"""The governance models now live in `governance` (see governance.0001): removed from this
app's state only; their tables and rows stay.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('learners', '0007_social_media_policy_and_clearance'),
        ('governance', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name='bannedterm',
                    name='banned_term_unique_in_org',
                ),
                migrations.RemoveConstraint(
                    model_name='clearancelevel',
                    name='clearance_level_name_unique_in_org',
                ),
                migrations.RemoveField(
                    model_name='policy',
                    name='organisation',
                ),
                migrations.RemoveIndex(
                    model_name='policyacknowledgement',
                    name='learners_po_user_id_0cfb39_idx',
                ),
                migrations.RemoveConstraint(
                    model_name='policyacknowledgement',
                    name='policy_acknowledged_once',
                ),
                migrations.RemoveConstraint(
                    model_name='policyowner',
                    name='policy_owner_unique',
                ),
                migrations.RemoveConstraint(
                    model_name='policyversion',
                    name='policy_version_number_unique',
                ),
                migrations.RemoveConstraint(
                    model_name='policyversion',
                    name='policy_one_draft',
                ),
                migrations.RemoveConstraint(
                    model_name='policyversion',
                    name='policy_version_published_has_number_and_date',
                ),
                migrations.RemoveField(
                    model_name='clearancelevel',
                    name='assignment',
                ),
                migrations.RemoveField(
                    model_name='clearancelevel',
                    name='organisation',
                ),
                migrations.RemoveField(
                    model_name='clearancelevel',
                    name='tracks',
                ),
                migrations.RemoveField(
                    model_name='policyacknowledgement',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='policyacknowledgement',
                    name='version',
                ),
                migrations.RemoveField(
                    model_name='policyowner',
                    name='organisation',
                ),
                migrations.RemoveField(
                    model_name='policyowner',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='policyversion',
                    name='policy',
                ),
                migrations.RemoveField(
                    model_name='policyversion',
                    name='published_by',
                ),
                migrations.DeleteModel(
                    name='BannedTerm',
                ),
                migrations.DeleteModel(
                    name='ClearanceLevel',
                ),
                migrations.DeleteModel(
                    name='PolicyAcknowledgement',
                ),
                migrations.DeleteModel(
                    name='PolicyOwner',
                ),
                migrations.DeleteModel(
                    name='Policy',
                ),
                migrations.DeleteModel(
                    name='PolicyVersion',
                ),
            ],
            database_operations=[],
        ),
    ]
