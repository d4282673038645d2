"""The PostgreSQL backend's health check (core/postgresql/base.py): a connection the
server has closed is found out before a request uses it, and a healthy one is
passed without a query. Against the real server: another connection of the same
database, closed by the server (pg_terminate_backend()) or left alone."""

import time

import pytest
from django.db import connection, connections
from psycopg.errors import DataError

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
    pytest.mark.django_db,
]


@pytest.fixture
def other():
    """A second connection to the test database, as a worker's persistent one."""
    other = connection.copy()
    other.ensure_connection()
    yield other
    other.close()


def last_query(pid):
    """What the server last ran for the session `pid`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def test_the_settings_name_this_backend():
    assert type(connections["default"]).__module__ == "core.postgresql.base"


def test_a_healthy_connection_passes_without_a_query(other):
    with other.cursor() as cursor:
        cursor.execute("SELECT 42")
    pid = other.connection.info.backend_pid
    assert other.is_usable()
    assert other.is_usable()
    assert last_query(pid) == "SELECT 42"


def test_a_connection_the_server_closed_fails_and_the_next_query_reconnects(other):
    pid = other.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    # The server's notice and the end of the stream reach the socket soon after.
    for _ in range(50):
        if not other.is_usable():
            break
        time.sleep(0.02)
    assert not other.is_usable()
    # As at the start of a request (CONN_HEALTH_CHECKS): the dead connection is
    # dropped, and the request's first query opens a new one.
    other.health_check_enabled, other.health_check_done = True, False
    other.close_if_health_check_failed()
    assert other.connection is None
    with other.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert other.connection.info.backend_pid != pid


def test_a_connection_in_a_failed_transaction_fails_as_select_1_would(other):
    raw = other.connection  # psycopg's own, past Django's transaction handling
    raw.execute("BEGIN")
    assert other.is_usable()  # a transaction under way is no reason to reconnect
    with pytest.raises(DataError):
        raw.execute("SELECT 1 / 0")
    assert not other.is_usable()
    raw.execute("ROLLBACK")
    assert other.is_usable()
