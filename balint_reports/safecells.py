"""Cells that a spreadsheet program would run as a formula, kept as plain text."""

from __future__ import annotations

# Excel, LibreOffice and Google Sheets treat a cell starting with any of these as a formula,
# even in a CSV file: a name or address from a register could otherwise run as one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """The value, with an apostrophe before text that would start a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
