"""Load and fault tests (`make resilience`): the production server on its own PostgreSQL.

Slow by design (a minute of load, a database restart), so `make test` leaves
this folder out. RESILIENCE_LOAD_SECONDS (default 60) and RESILIENCE_PROVIDERS
(default 2000) size the run. The figures are printed at the end.
"""

import os
import random
import time

import psycopg
import pytest

from tests.conftest import Server, clean_env, manage
from tests.resilience.load import Load, children
from tests.resilience.postgres import ThrowawayPostgres, binaries

PROVIDERS = int(os.environ.get("RESILIENCE_PROVIDERS") or 2000)
WARM_UP_SECONDS = 5
WORKERS = 2  # one per core of the CI machine
FIXTURES = [f"fixtures/{name}.json" for name in ["conditions", "treatments", "people", "articles"]]
CONDITIONS = ["depression", "anxiety", "ptsd", "chronic-pain", "ocd"]

FIGURES = {}  # what the issue asks to be reported, printed after the run


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("resilience figures")
    for name, value in FIGURES.items():
        terminalreporter.write_line(f"{name}: {value}")


@pytest.fixture(scope="session")
def figures():
    return FIGURES


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server of our own, on a free port, removed after the run."""
    bin_dir = binaries()
    if bin_dir is None:
        message = (
            "PostgreSQL server programs (initdb, pg_ctl) not found: install the "
            "postgresql package to run the database restart and load tests."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    server = ThrowawayPostgres(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="session")
def site_db(postgres):
    """A DATABASE_URL with what `make setup` loads, at PROVIDERS demo providers."""
    started = time.monotonic()
    url = postgres.create_database("ketanet")
    env = clean_env(DJANGO_DEBUG="1", DATABASE_URL=url)
    manage("migrate", "--noinput", env=env)
    manage("load_gazetteer", env=env)
    manage("loaddata", *FIXTURES, env=env)
    manage("seed_demo", "--providers", str(PROVIDERS), env=env)
    FIGURES["database set-up"] = (
        f"{PROVIDERS:,} providers loaded in {time.monotonic() - started:.0f} s"
    )
    return url


@pytest.fixture(scope="session")
def site_paths(site_db):
    """A mix of searches (page and API), provider profiles and articles that exist."""
    with psycopg.connect(site_db) as conn:
        located = conn.execute(
            "SELECT p.slug, l.zip FROM directory_provider p "
            "JOIN directory_location l ON l.provider_id = p.id "
            "WHERE p.status = 'published' ORDER BY p.id LIMIT 100"
        ).fetchall()
        articles = [
            slug
            for (slug,) in conn.execute(
                "SELECT slug FROM articles_article WHERE status = 'published' ORDER BY id"
            )
        ]
    assert located, "the demo data has no published providers"
    assert articles, "the fixtures have no published articles"
    rng = random.Random(8)  # a fixed request mix
    paths = []
    for slug, zip_code in located:
        condition = rng.choice(CONDITIONS)
        paths += [
            f"/clinics/?near={zip_code[:5]}&condition={condition}",
            f"/api/providers/?near={zip_code[:5]}&condition={condition}",
            f"/providers/{slug}/",
        ]
    paths += [f"/articles/{slug}/" for slug in articles] * (len(located) // len(articles))
    return paths


class SiteServer(Server):
    """gunicorn with the production configuration and `workers` workers."""

    def __init__(self, env, log_path, workers=WORKERS):
        # Recycling workers would hide a leak and change their pids mid-test.
        super().__init__({**env, "GUNICORN_MAX_REQUESTS": "0"}, log_path, workers=workers)
        deadline = time.monotonic() + 30
        while len(self.workers()) < workers:
            assert time.monotonic() < deadline, f"workers did not start:\n{log_path.read_text()}"
            time.sleep(0.1)

    def workers(self):
        return children(self.process.pid)


@pytest.fixture(scope="session")
def start_site(production_env, site_db, tmp_path_factory):
    """Start production servers on the throwaway database; stop them after the run."""
    servers = []

    def start(**env):
        log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
        server = SiteServer({**production_env, "DATABASE_URL": site_db, **env}, log)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def site(start_site, site_paths):
    """The production server, after a few seconds of warm-up on every kind of page."""
    server = start_site()
    warm_up = Load(server.port, site_paths, connections=8).run(WARM_UP_SECONDS)
    failed = [result for result in warm_up if result.status != 200]
    assert not failed, failed[:5]
    return server
