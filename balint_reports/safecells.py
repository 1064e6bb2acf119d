"""Cells that a spreadsheet program would run as a formula, kept as plain text.

Every value the program writes into a spreadsheet goes through here: `spreadsheet_safe` for
CSV files (send reports), `xlsx_cell` for workbooks written with openpyxl (the summary and any
other workbook). Values come from the team's inbox and from mail servers, so a name such as
`=HYPERLINK(...)` or `@SUM(...)` must never become a formula in the team's Excel.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# openpyxl's ILLEGAL_CHARACTERS_RE, the control characters an .xlsx cannot hold; copied so
# that `send` (which loads this module for its CSV report) starts without openpyxl, and so
# `--help` stays fast. tests/e2e/test_startup.py checks the two stay the same.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
# Characters no XML may hold, which openpyxl lets through and lxml then refuses, failing the
# whole workbook: a lone surrogate (from a file's undecodable bytes) and U+FFFE, U+FFFF.
NOT_XML_RE = re.compile("[\ud800-\udfff\ufffe\uffff]")

# The bidirectional embeddings, overrides and isolates: a right-to-left override (U+202E) in a
# name shows the rest of the cell, paragraph or line backwards ("Dear ,ronnoC'O leinaD") and
# can disguise what follows it. Names in right-to-left scripts need none of them (their own
# letters give their direction), so every output leaves them out or shows them as a code.
BIDI_CONTROLS_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
_BIDI_CONTROLS = tuple(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A))))


def without_bidi_controls(text: str) -> str:
    """Text for a page or a letter, bidirectional controls left out (BIDI_CONTROLS_RE).

    Looked for one character at a time first: `in` scans a whole letter in under a
    microsecond, the regular expression's class in 150 (a second over the federation's
    pages), and nearly every page has none."""
    if any(control in text for control in _BIDI_CONTROLS):
        return BIDI_CONTROLS_RE.sub("", text)
    return text


def _bidi_shown(found: re.Match[str]) -> str:
    return f"[U+{ord(found[0]):04X}]"


# Excel, LibreOffice and Google Sheets treat a cell starting with any of these as a formula,
# even in a CSV file: a name or address from a register could otherwise run as one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Text openpyxl would write as one of Excel's error values, not as the text someone typed.
ERROR_VALUES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))
# Text that xlsx_cell changes or makes a text cell of: a formula's first character, a
# character an .xlsx or XML cannot hold (one search, not three: the summary asks for each cell).
_NOT_AS_IT_IS = re.compile(
    "|".join(
        [
            "^(?:" + "|".join(map(re.escape, FORMULA_STARTS)) + ")",
            ILLEGAL_CHARACTERS_RE.pattern,
            NOT_XML_RE.pattern,
            BIDI_CONTROLS_RE.pattern,
        ]
    )
)


def kept_as_is(text: str) -> bool:
    """Whether xlsx_cell gives this text back as it is, for a plain text cell."""
    return text not in ERROR_VALUES and _NOT_AS_IT_IS.search(text) is None


def spreadsheet_safe(value: object) -> object:
    """For CSV: the value, with an apostrophe before text that would start a formula.

    A CSV cell has no type, so the apostrophe (which Excel hides on import) is the only way.
    """
    if isinstance(value, str):
        value = BIDI_CONTROLS_RE.sub(_bidi_shown, value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def xlsx_cell(sheet: WriteOnlyWorksheet, value: object) -> object:
    """For openpyxl: the value to append, as the team should read it, never a formula.

    Text that would start a formula, or is an error value such as `#N/A`, becomes a text cell
    holding exactly that text, marked `quotePrefix` so that Excel keeps it as text even when
    someone edits the cell (openpyxl would otherwise write any text starting with `=` as a
    formula, and `#N/A` as an error). Blanks (None, NaN, NA) are empty; numpy numbers plain
    ones; characters an .xlsx file cannot hold (from a CSV) dropped; bidirectional controls
    shown as their code (`[U+202E]`), so that none turns the cell's text backwards.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' blanks, without importing it
        return None
    if isinstance(value, str):
        if kept_as_is(value):
            return value
        text = NOT_XML_RE.sub("", ILLEGAL_CHARACTERS_RE.sub("", value))
        # in a spreadsheet, for the team: shown as a code, so the value is still as written
        text = BIDI_CONTROLS_RE.sub(_bidi_shown, text)
        if not text.startswith(FORMULA_STARTS) and text not in ERROR_VALUES:
            return text
        from openpyxl.cell import WriteOnlyCell  # rare: a formula's start or an error value

        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    if hasattr(value, "item"):  # numpy scalars, a float32 NaN among them
        return xlsx_cell(sheet, value.item())
    return value
