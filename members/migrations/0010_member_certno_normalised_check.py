"""Only the normalised spelling of a certno (17 ASCII digits, then a digit or X) may be stored, so the
(certno, admdvs) uniqueness is uniqueness of the person (issue 21, finding 1)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0009_member_inpatient_only"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="member",
            constraint=models.CheckConstraint(condition=models.Q(certno__regex="^[0-9]{17}[0-9X]$"),
                                              name="member_certno_normalised"),
        ),
    ]
