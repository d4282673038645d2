"""django-import-export's admin screens, driven by our CSV importer (directory/imports.py).

The admin gives editors upload → preview → confirm; the importer underneath is
the same one `manage.py import_providers` runs, so both agree to the letter.
"""

import csv
import io
from collections import defaultdict

import tablib
from django.core.exceptions import ValidationError
from import_export.fields import Field
from import_export.formats.base_formats import CSV
from import_export.resources import Resource
from import_export.results import Result, RowResult

from directory.imports import COLUMNS, ImportFailed, export_rows, import_providers, rows_from_table
from directory.models import Provider

IMPORT_TYPES = {
    "created": RowResult.IMPORT_TYPE_NEW,
    "updated": RowResult.IMPORT_TYPE_UPDATE,
    "unchanged": RowResult.IMPORT_TYPE_SKIP,
}


class ProviderCSV(CSV):
    """CSV read with the importer's rules, so the admin numbers rows like the command line.

    tablib's own reader drops blank lines, which would shift every "row N" after one.
    """

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode(self.encoding or "utf-8-sig")
        rows = list(csv.reader(io.StringIO(in_stream.lstrip("\ufeff"), newline="")))
        width = max(map(len, rows), default=0)
        if not rows:
            return tablib.Dataset()
        # tablib wants rectangles; rows_from_table treats the padding as blank.
        padded = [row + [""] * (width - len(row)) for row in rows]
        return tablib.Dataset(*padded[1:], headers=padded[0])


class ProviderResource(Resource):
    class Meta:
        model = Provider
        name = "Providers CSV (one row per location)"

    @classmethod
    def get_display_name(cls):
        return cls._meta.name

    def get_user_visible_fields(self):
        return [Field(column_name=column) for column in COLUMNS]

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        result = Result()
        result.diff_headers = ["external_id", "name", "status", "rows", "locations"]
        result.total_rows = len(dataset)
        table = [list(row) for row in dataset]
        try:
            report = import_providers(
                rows_from_table(dataset.headers or [], table), dry_run=dry_run
            )
        except ImportFailed as failed:
            errors_by_row = defaultdict(lambda: defaultdict(list))
            for error in failed.errors:
                errors_by_row[error.row][error.column].append(error.message)
            for number, errors in sorted(errors_by_row.items()):
                values = dataset.headers if number == 1 else table[number - 2]
                result.append_invalid_row(
                    number, dict(enumerate(values or [])), ValidationError(dict(errors))
                )
            return result

        for change in report.changes:
            row = RowResult()
            row.import_type = IMPORT_TYPES[change.action]
            row.object_id = change.provider.pk
            row.object_repr = str(change.provider)
            row.instance = change.provider
            row.diff = [
                change.external_id,
                change.provider.name,
                change.provider.status,
                ", ".join(map(str, change.rows)),
                str(change.locations),
            ]
            result.increment_row_result_total(row)
            result.append_row_result(row)
        # Shown by ProviderAdmin: geocoding never blocks an import, but editors must know.
        result.warnings = report.warnings
        return result

    def export(self, queryset=None, **kwargs):
        rows = export_rows(Provider.objects.all() if queryset is None else queryset)
        return tablib.Dataset(*list(rows)[1:], headers=COLUMNS)
