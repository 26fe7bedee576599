from django.db import migrations


def forwards(apps, schema_editor):
    from policy.seed import seed_policy

    seed_policy(apps.get_model("policy", "Region"), apps.get_model("policy", "District"),
                apps.get_model("policy", "ParameterSet"))


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
