"""Browser tests: Debian's Chromium, driven by Playwright, against Django's live server.

The site is filled once per session with what `make run` gives a new machine
(gazetteer, fixtures, demo providers) plus an editor account. These tests run
after every other test (see tests/conftest.py), because that data is committed.
"""

import os
from pathlib import Path

import pytest

from tests.demo_site import load_demo_content

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Headless, and quiet: no sandbox (root in CI), and no calls home to any service.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Playwright's sync API keeps an event loop running in this thread, which makes
# Django think the (synchronous) fixtures below are async code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
EDITOR = {"username": "editor-erin", "password": "a-long-editor-password-42"}


def pytest_collection_modifyitems(items):
    """Give every browser test the test database (never the developer's own)."""
    for item in items:
        if "browser" in item.path.parts:
            item.add_marker(pytest.mark.django_db)


def missing(thing, how):
    """Fail in CI, skip elsewhere, saying how to get what is missing."""
    message = f"{thing} is missing: {how}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        missing(f"Chromium ({CHROMIUM})", "install it with `apt-get install chromium`.")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture(scope="session")
def axe_source():
    if not AXE.exists():
        missing("axe-core", "run `make test` (it runs `npm ci` in tests/browser).")
    return AXE.read_text()


@pytest.fixture(scope="session")
def site(django_db_setup, django_db_blocker):
    """Django's live server over a database filled like a fresh `make run`."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from pytest_django.live_server_helper import LiveServer

    from core.editors import EDITORS_GROUP

    with django_db_blocker.unblock():
        load_demo_content()
        editor = get_user_model().objects.create_user(**EDITOR, is_staff=True)
        editor.groups.add(Group.objects.get(name=EDITORS_GROUP))
        server = LiveServer("127.0.0.1:0")
        server._live_server_modified_settings.enable()
        yield server
        server._live_server_modified_settings.disable()
        server.stop()
        end_stray_connections()


def end_stray_connections():
    """Close server-thread connections still open, so the test database can be dropped.

    A request the browser sent as a test ended (a favicon, say) may still hold
    a PostgreSQL connection when the session tears down. The one this runs on is
    closed too: it is not the tests' own but one opened here (pg_stat_activity showed
    both; with Playwright's event loop in this thread, Django's connections follow the
    context), and left open it was the "1 other session" that kept the test database
    from being dropped.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connection.close()


@pytest.fixture
def site_url(site):
    return site.url


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-US", "timezone_id": "America/Chicago"}
