from datetime import timedelta

from django.db import migrations

from articles import rendering
from core.editors import EDITORS_GROUP, grant_editor_permissions

# Editors keep the glossary; corrections are a public record, so they are added
# and amended but never deleted.
LIBRARY_EDITOR_PERMISSIONS = {
    "glossaryterm": ["add", "change", "delete", "view"],
    "correction": ["add", "change", "view"],
}


def forward(apps, schema_editor):
    grant_editor_permissions(apps, "articles", LIBRARY_EDITOR_PERMISSIONS)
    Article = apps.get_model("articles", "Article")
    for article in Article.objects.filter(next_review__isnull=True, last_reviewed__isnull=False):
        article.next_review = article.last_reviewed + timedelta(days=365)
        article.save(update_fields=["next_review"])
    # The search reads the plain text, rendered from the body like the HTML.
    for article in Article.objects.filter(body_text=""):
        article.body_text = rendering.render(article.body).text
        article.save(update_fields=["body_text"])


def backward(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=EDITORS_GROUP).first()
    if group:
        group.permissions.remove(
            *group.permissions.filter(
                content_type__app_label="articles",
                content_type__model__in=list(LIBRARY_EDITOR_PERMISSIONS),
            )
        )


class Migration(migrations.Migration):
    dependencies = [("articles", "0005_library")]

    operations = [migrations.RunPython(forward, backward)]
