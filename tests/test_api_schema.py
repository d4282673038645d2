"""The API does what its OpenAPI document says (schemathesis against /api/schema/).

The document is read from the app itself and every request goes through its
WSGI application in this process: no network, the test database, real data.
Generated queries, valid and invalid, must never give a server error, and
every response must have a documented status, content type and shape.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from ketanet.wsgi import application

CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    # Anything the document calls invalid (a radius off the list, a page of 0) is a 400.
    openapi_checks.negative_data_rejection,
    # POST, PUT, DELETE … are a 405 that names GET in its Allow header.
    openapi_checks.unsupported_method,
    openapi_checks.allow_header_conformance,
]


# Serving the document needs no database, so it is read once, at collection.
# (schemathesis.pytest.from_fixture would read it per test, but it does not
# work with pytest 9: it sets Node._nodeid, which pytest 9 no longer has.)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def keep_connection():
    """Keep the test's database connection across requests, as Django's test client does.

    A real WSGI request closes the connection when it ends (CONN_MAX_AGE=0), and
    with it the test's transaction and data.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=100,
    derandomize=True,  # the same cases on every run and in CI
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_matches_its_openapi_document(case, providers, keep_connection):
    # Its WSGI transport asks for gzip but reads the body without undoing it; the
    # compression itself is tested in tests/test_compression.py.
    case.call_and_validate(checks=CHECKS, headers={"Accept-Encoding": "identity"})
