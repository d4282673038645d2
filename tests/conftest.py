import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def pytest_collection_modifyitems(items):
    """Run the browser tests last: the data they load is committed, not rolled back."""
    items.sort(key=lambda item: "browser" in item.path.relative_to(BASE_DIR).parts)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**overrides):
    """Return an environment with none of the project's variables, plus `overrides`."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    env = {key: value for key, value in os.environ.items() if key in keep}
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def manage(*args, env):
    """Run manage.py in a child process with exactly `env`; fail loudly on error."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )


def get(url, headers=None, timeout=10):
    """GET `url` without following redirects; return (status, headers, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class Server:
    """gunicorn with the production configuration, on a free loopback port."""

    def __init__(self, env, log_path, workers=1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "ketanet/gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_until_up()

    def wait_until_up(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not start in {timeout}s:\n{self.log_path.read_text()}")

    def get(self, path, headers=None):
        return get(self.url + path, headers=headers)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="session")
def redis_url():
    """A database on the real Redis server that this test run may flush.

    CI runs the SQLite and PostgreSQL suites side by side; each names its own
    (TEST_REDIS_URL) so that neither empties the other's keys mid-test.
    """
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """Run collectstatic once with the production storage; return STATIC_ROOT."""
    root = tmp_path_factory.mktemp("static")
    manage(
        "collectstatic",
        "--noinput",
        env=clean_env(DJANGO_SECRET_KEY="collect", DJANGO_STATIC_ROOT=root),
    )
    return root


@pytest.fixture(scope="session")
def production_env(collected_static):
    """Environment of `make serve`: debug off, plain HTTP on loopback."""
    return clean_env(
        DJANGO_SECRET_KEY="server-tests-not-secret",
        DJANGO_DEBUG="0",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_STATIC_ROOT=collected_static,
    )


@pytest.fixture
def start_server(tmp_path):
    """Start production servers with a given environment; stop them after the test."""
    servers = []

    def start(env, workers=1):
        server = Server(env, tmp_path / f"gunicorn-{len(servers)}.log", workers=workers)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def server_db(django_db_setup, django_db_blocker, tmp_path_factory):
    """Return a DATABASE_URL for a migrated database that a child server can reach."""
    from django.db import connection

    if connection.vendor == "postgresql":
        # The test database itself: migrated, and committed data is visible.
        db = connection.settings_dict
        password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
        return (
            f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or 'localhost'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'server.sqlite3'}"
    manage("migrate", "--noinput", env=clean_env(DJANGO_DEBUG="1", DATABASE_URL=url))
    return url


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Give the test database the reference data `make run` loads (tests/demo_site.py)."""
    from tests.demo_site import load_reference

    with django_db_blocker.unblock():
        load_reference()


@pytest.fixture(autouse=True)
def fresh_cache():
    """Start every test with an empty cache and no per-process copy of the reference.

    A rolled-back test must not leave cached rows behind (conditions and
    treatments by id, geocoding answers, pages), nor fragments or providers' terms
    kept under a content version that the rollback hands out again.
    """
    from django.core.cache import cache, caches

    from directory.cards import forget_linked_terms
    from directory.reference import forget_reference

    cache.clear()
    caches["fragments"].clear()
    forget_reference()
    forget_linked_terms()


@pytest.fixture(autouse=True)
def english_outside_requests():
    """Start every test in English. LocaleMiddleware activates each request's language in
    its thread and leaves it there; a Spanish page fetched by an earlier test must not
    make this test's own code (a form, a model method) speak Spanish."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def providers(db):
    """Austin (0.3 mi from 78701), Round Rock (17 mi), an at-home service, a draft."""
    from tests import cast

    return (
        cast.austin_clinic(),
        cast.round_rock_clinic(),
        cast.at_home_service(),
        cast.draft_provider(),
    )


@pytest.fixture
def editor(django_user_model):
    """A staff user in the Editors group, not a superuser."""
    from django.contrib.auth.models import Group

    from core.editors import EDITORS_GROUP

    user = django_user_model.objects.create_user(
        username="eddie", password="a-long-editor-password", is_staff=True
    )
    user.groups.add(Group.objects.get(name=EDITORS_GROUP))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client
