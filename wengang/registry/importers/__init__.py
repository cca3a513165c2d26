"""Importing the rural labour ledger (劳动力台账): reading the file, mapping its columns, validating rows.

This package parses and validates only; it writes nothing. The pieces, in order::

    table = read_table(upload.read(), upload.name)        # TableError: the file cannot be read
    result = validate_rows(table, user=request.user)       # LedgerRow / RowError / RowWarning
    if result.errors:
        data = error_report_xlsx_bytes(table, result)      # rejected rows, masked, bad cells red
    template = template_xlsx_bytes()                       # the downloadable template
"""

from .columns import COLUMN_ALIASES, ENUM_WORDS, ColumnMap, map_columns
from .reading import Table, TableError, TableRow, read_table
from .report import error_report_xlsx_bytes, template_xlsx_bytes
from .validation import LedgerRow, RowError, RowWarning, ValidationResult, validate_rows
from .villages import VillageError, VillageIndex

__all__ = [
    "COLUMN_ALIASES",
    "ENUM_WORDS",
    "ColumnMap",
    "LedgerRow",
    "RowError",
    "RowWarning",
    "Table",
    "TableError",
    "TableRow",
    "ValidationResult",
    "VillageError",
    "VillageIndex",
    "error_report_xlsx_bytes",
    "map_columns",
    "read_table",
    "template_xlsx_bytes",
    "validate_rows",
]
