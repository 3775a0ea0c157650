"""The ledger's models now live in `ledger` (see ledger.0001): removed from this app's state
only; their tables and rows stay.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('progress', '0010_practice_models_moved_to_practice'),
        ('ledger', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name='emailoptout',
                    name='opt_out_unique',
                ),
                migrations.DeleteModel(
                    name='EmailOptOut',
                ),
                migrations.RemoveIndex(
                    model_name='message',
                    name='progress_me_status_817824_idx',
                ),
                migrations.DeleteModel(
                    name='Message',
                ),
            ],
            database_operations=[],
        ),
    ]
