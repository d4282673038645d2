"""Migration 0011 gives every existing provider its folded name key (and, on PostgreSQL, the index).

Runs the real migrations on the test database, outside a test transaction as
tests/directory/test_payment_migration.py does (SQLite cannot alter tables
inside one); the fixture removes its rows and leaves the schema at the latest
migration.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("directory", "0010_editors_moderation")]
AFTER = [("directory", "0011_provider_name_search")]
NAMES = ["Aspen Mind & Body Ketamine Clinic", "Clínica Serenidad", "O’Neil's Infusions", "!!!"]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def trigram_index_exists():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_indexes WHERE indexname = 'directory_provider_name_search_trgm'"
        )
        return cursor.fetchone() is not None


@pytest.fixture
def old_providers(django_db_setup, django_db_blocker):
    """Providers written before the key existed, by slug."""
    with django_db_blocker.unblock():
        try:
            apps = migrate(BEFORE)
            Provider = apps.get_model("directory", "Provider")
            slugs = {}
            for number, name in enumerate(NAMES):
                slug = f"name-key-{number}"
                Provider.objects.create(name=name, slug=slug)
                slugs[slug] = name
            yield slugs
        finally:
            apps = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("directory"))
            apps.get_model("directory", "Provider").objects.filter(
                slug__startswith="name-key-"
            ).delete()


def test_existing_providers_get_their_folded_name_key(old_providers):
    apps = migrate(AFTER)
    Provider = apps.get_model("directory", "Provider")
    keys = dict(Provider.objects.filter(slug__in=old_providers).values_list("name", "name_search"))
    assert keys == {
        "Aspen Mind & Body Ketamine Clinic": " aspen mind and body ketamine clinic",
        "Clínica Serenidad": " clinica serenidad",
        "O’Neil's Infusions": " oneils infusions",
        "!!!": "",
    }
    if connection.vendor == "postgresql":
        assert trigram_index_exists()
        migrate(BEFORE)
        assert not trigram_index_exists()
