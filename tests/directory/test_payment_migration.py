"""Migration 0007 folds accepts_insurance and self_pay into payment options, losing nothing.

Runs the real migrations on the test database: back to before the fold, rows
written with the old columns, forward again (and back, and forward). Outside a
test transaction, because SQLite cannot alter tables inside one; the fixture
removes its rows and leaves the schema where it found it. (transactional_db
would flush the reference data every later test reads.)
"""

import itertools

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("directory", "0006_listing_facts")]
AFTER = [("directory", "0008_remove_payment_booleans")]

ANSWERS = [True, False, None]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_providers(django_db_setup, django_db_blocker):
    """One provider for each of the nine (accepts_insurance, self_pay) answers, by slug."""
    with django_db_blocker.unblock():
        try:
            apps = migrate(BEFORE)
            Provider = apps.get_model("directory", "Provider")
            slugs = {}
            for insurance, self_pay in itertools.product(ANSWERS, ANSWERS):
                slug = f"fold-{insurance}-{self_pay}".lower()
                Provider.objects.create(
                    name=slug, slug=slug, accepts_insurance=insurance, self_pay=self_pay
                )
                slugs[slug] = (insurance, self_pay)
            yield slugs
        finally:
            apps = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("directory"))
            # The migration state's model: no history signal records the clean-up.
            apps.get_model("directory", "Provider").objects.filter(
                slug__startswith="fold-"
            ).delete()


def payment(Provider, slug):
    provider = Provider.objects.get(slug=slug)
    return (
        sorted(provider.payment_options.values_list("slug", flat=True)),
        sorted(provider.payment_declined.values_list("slug", flat=True)),
    )


def expected(insurance, self_pay):
    accepted, declined = [], []
    for answer, option in [(insurance, "commercial-insurance"), (self_pay, "self-pay")]:
        if answer is True:
            accepted.append(option)
        elif answer is False:
            declined.append(option)
    return sorted(accepted), sorted(declined)


def test_every_answer_becomes_accepted_declined_or_unknown_and_back(old_providers):
    apps = migrate(AFTER)
    Provider = apps.get_model("directory", "Provider")
    for slug, answers in old_providers.items():
        assert payment(Provider, slug) == expected(*answers), slug
    assert apps.get_model("directory", "PaymentOption").objects.count() == 10
    assert apps.get_model("directory", "Language").objects.filter(slug="es").exists()

    # Undone, the old answers are back exactly.
    apps = migrate(BEFORE)
    Provider = apps.get_model("directory", "Provider")
    for slug, (insurance, self_pay) in old_providers.items():
        provider = Provider.objects.get(slug=slug)
        assert (provider.accepts_insurance, provider.self_pay) == (insurance, self_pay), slug
