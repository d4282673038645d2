"""The data `make setup` puts in a new database, in two steps for the test suite.

tests/conftest.py loads the reference data into the test database once per
session (every test sees it); the demo content is loaded only by the tests that
want the whole site: the browser tests (committed, once per session) and the
link crawl in tests/test_links.py (rolled back). The names below follow the
Makefile's FIXTURES and DEMO_PROVIDERS; test_links.py checks that they agree.
"""

from django.core.management import call_command

REFERENCE_FIXTURES = ("fixtures/conditions.json", "fixtures/treatments.json")
DEMO_FIXTURES = ("fixtures/people.json", "fixtures/articles.json")
DEMO_PROVIDERS = 300
DEMO_SEED = 1  # seed_demo's default


def load_reference():
    """The gazetteer, conditions and treatments."""
    call_command("load_gazetteer", verbosity=0)
    call_command("loaddata", *REFERENCE_FIXTURES, verbosity=0)


def load_demo_content():
    """People, articles and the demo providers (after load_reference)."""
    call_command("loaddata", *DEMO_FIXTURES, verbosity=0)
    call_command("seed_demo", providers=DEMO_PROVIDERS, seed=DEMO_SEED, verbosity=0)
