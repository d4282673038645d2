from django.db import migrations

from core.editors import grant_editor_permissions, revoke_editor_permissions

# Editors keep providers current but never hard-delete one ("closed" hides it);
# locations come and go with the provider's sites. States and the gazetteer
# are reference data loaded by code.
DIRECTORY_EDITOR_PERMISSIONS = {
    "provider": ["add", "change", "view"],
    "location": ["add", "change", "delete", "view"],
    "condition": ["add", "change", "view"],
    "treatment": ["add", "change", "view"],
    "state": ["view"],
}


def grant(apps, schema_editor):
    grant_editor_permissions(apps, "directory", DIRECTORY_EDITOR_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_editor_permissions(apps, "directory")


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_states"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
