"""A resettlement 异地安置 is now an out-of-area registration of kind ``resettled`` (with its destination,
history and cancellation: RULES.md "Out-of-area care"), so the member's old ``resettled_on`` date
goes. It carried no destination, so it cannot become a registration by itself: each date still set
is kept in the member's change history (action ``resettled_on_dropped``, one INSERT ... SELECT) for
staff to register properly, then the column is dropped."""
from django.db import migrations

KEEP_IN_HISTORY = """
    INSERT INTO members_memberchange (member_id, changed_at, changed_by_id, action, before, after)
    SELECT id, now(), NULL, 'resettled_on_dropped', jsonb_build_object('resettled_on', resettled_on::text),
           '{}'::jsonb
    FROM members_member WHERE resettled_on IS NOT NULL
"""


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0007_out_of_area_registration'),
    ]

    operations = [
        migrations.RunSQL(KEEP_IN_HISTORY, reverse_sql=migrations.RunSQL.noop),
        migrations.RemoveField(
            model_name='member',
            name='resettled_on',
        ),
    ]
