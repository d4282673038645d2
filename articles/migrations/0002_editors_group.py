from django.db import migrations

from core.editors import grant_editor_permissions, revoke_editor_permissions

# Editors write and update articles and people; unpublishing (back to draft)
# replaces deleting them. Citations come and go with the text.
ARTICLES_EDITOR_PERMISSIONS = {
    "person": ["add", "change", "view"],
    "article": ["add", "change", "view"],
    "citation": ["add", "change", "delete", "view"],
}


def grant(apps, schema_editor):
    grant_editor_permissions(apps, "articles", ARTICLES_EDITOR_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_editor_permissions(apps, "articles")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
        ("directory", "0003_editors_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
