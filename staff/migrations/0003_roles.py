from django.db import migrations


def create_role_groups(apps, schema_editor):
    # The groups are created here; their permissions are set by staff.roles.roles_sync, which runs
    # after every migrate (post_migrate), when every app's permissions exist.
    from staff.roles import ROLES

    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("staff", "0002_accesslog_auditevent"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
