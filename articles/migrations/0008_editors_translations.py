from django.db import migrations

from core.editors import EDITORS_GROUP, grant_editor_permissions

# Editors keep translations as they keep articles: added and changed, never deleted
# (unpublish instead); their references may be removed like an article's.
TRANSLATION_EDITOR_PERMISSIONS = {
    "articletranslation": ["add", "change", "view"],
    "translationcitation": ["add", "change", "delete", "view"],
}


def forward(apps, schema_editor):
    grant_editor_permissions(apps, "articles", TRANSLATION_EDITOR_PERMISSIONS)


def backward(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=EDITORS_GROUP).first()
    if group:
        group.permissions.remove(
            *group.permissions.filter(
                content_type__app_label="articles",
                content_type__model__in=list(TRANSLATION_EDITOR_PERMISSIONS),
            )
        )


class Migration(migrations.Migration):
    dependencies = [("articles", "0007_translations")]

    operations = [migrations.RunPython(forward, backward)]
