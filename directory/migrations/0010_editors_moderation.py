from django.db import migrations

from core.editors import EDITORS_GROUP, grant_editor_permissions

# Editors work the queue (no adding items by hand, no deleting them: old items
# go by purge_moderation) and record verifications, which are evidence and
# so are never changed or deleted.
MODERATION_EDITOR_PERMISSIONS = {
    "submission": ["change", "view"],
    "verification": ["add", "view"],
}


def grant(apps, schema_editor):
    grant_editor_permissions(apps, "directory", MODERATION_EDITOR_PERMISSIONS)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=EDITORS_GROUP).first()
    if group:
        group.permissions.remove(
            *group.permissions.filter(
                content_type__app_label="directory",
                content_type__model__in=list(MODERATION_EDITOR_PERMISSIONS),
            )
        )


class Migration(migrations.Migration):
    dependencies = [("directory", "0009_moderation_and_verification")]

    operations = [migrations.RunPython(grant, revoke)]
