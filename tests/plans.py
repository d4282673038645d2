"""PostgreSQL's query plans, for the tests that pin which index answers a query."""

from django.db import connection


def postgresql_plan(queryset, *statements):
    """PostgreSQL's plan for `queryset` after `statements` ("SET LOCAL enable_sort =
    off", …), which last only as long as the test's transaction."""
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return queryset.explain()
