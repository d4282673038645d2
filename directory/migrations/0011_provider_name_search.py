from django.db import migrations, models

from directory.names import name_key

BATCH = 2000
# Lets PostgreSQL answer LIKE '% word%' from the index (directory/names.py).
TRIGRAM_INDEX = "directory_provider_name_search_trgm"


def fill_name_search(apps, schema_editor):
    Provider = apps.get_model("directory", "Provider")
    batch = []
    for provider in Provider.objects.only("pk", "name").order_by("pk").iterator(BATCH):
        provider.name_search = name_key(provider.name)
        batch.append(provider)
        if len(batch) == BATCH:
            Provider.objects.bulk_update(batch, ["name_search"])
            batch = []
    Provider.objects.bulk_update(batch, ["name_search"])


def add_trigram_index(apps, schema_editor):
    # The index is PostgreSQL's (pg_trgm); SQLite runs the same LIKE without one.
    # (Not django.contrib.postgres's TrigramExtension: undone, it queries pg_extension
    # on any database, and it would drop an extension other things may use.)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f"CREATE INDEX {TRIGRAM_INDEX} ON directory_provider USING gin (name_search gin_trgm_ops)"
        )


def drop_trigram_index(apps, schema_editor):
    # The extension stays: dropping it would break anything else built on it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0010_editors_moderation"),
    ]

    operations = [
        migrations.AddField(
            model_name="provider",
            name="name_search",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_name_search, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(add_trigram_index, drop_trigram_index),
    ]
