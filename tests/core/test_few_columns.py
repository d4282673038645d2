"""Rows read with a few of their columns (core.models.FewColumnsModel): the same models
as Django's own from_db() makes of them, the other columns deferred."""

import pytest
from django.db.models import Model

from core.models import loaded_positions
from directory.models import Location, Provider
from directory.search import CARD_SITE_FIELDS, PROVIDER_CARD_FIELDS

pytestmark = pytest.mark.django_db


def django_from_db(model, row):
    """`row` (a model read with some columns) as Django's own from_db() makes it."""
    loaded = [
        field.attname
        for field in model._meta.concrete_fields
        if field.attname not in row.get_deferred_fields()
    ]
    values = [getattr(row, name) for name in loaded]
    return Model.from_db.__func__(model, "default", loaded, values)


@pytest.mark.parametrize(
    ("model", "columns"),
    [(Provider, PROVIDER_CARD_FIELDS), (Location, CARD_SITE_FIELDS), (Provider, ("phone",))],
)
def test_a_row_read_with_a_few_columns_is_the_model_django_makes(providers, model, columns):
    loaded_positions.cache_clear()
    rows = list(model.objects.only(*columns).order_by("pk"))
    assert len(rows) > 1
    # The columns matched to the fields once, for the first row.
    info = loaded_positions.cache_info()
    assert (info.misses, info.hits) == (1, len(rows) - 1)
    for row in rows:
        theirs = django_from_db(model, row)
        assert row.get_deferred_fields() == theirs.get_deferred_fields()
        assert row.get_deferred_fields()  # some are left out
        loaded = [name for name in vars(theirs) if not name.startswith("_")]
        assert {name: vars(row)[name] for name in loaded} == {
            name: vars(theirs)[name] for name in loaded
        }
        assert not row._state.adding
        assert row._state.db == "default"


def test_a_column_left_out_is_read_when_asked_for(providers):
    austin = providers[0]
    row = Provider.objects.only("name").get(pk=austin.pk)
    assert "phone" in row.get_deferred_fields()
    assert row.phone == "(512) 555-0100"
    assert row.name == "Austin Ketamine Clinic"
    # Read again with every column: nothing deferred, as Django reads a whole row.
    whole = Provider.objects.get(pk=austin.pk)
    assert whole.get_deferred_fields() == set()
    assert whole.website == "https://austin-ketamine.example"


def test_a_raw_query_reads_the_columns_it_names(providers):
    table = Provider._meta.db_table
    [row] = Provider.objects.raw(
        f"SELECT id, phone, name FROM {table} WHERE id = %s",  # noqa: S608 - a model's table
        [providers[0].pk],
    )
    assert {"phone", "name", "id"}.isdisjoint(row.get_deferred_fields())
    assert (row.name, row.phone) == ("Austin Ketamine Clinic", "(512) 555-0100")
    assert row.website == "https://austin-ketamine.example"  # read when asked for
