"""sheetxml: the summary's rows written directly are the bytes openpyxl writes, value by value.

tests/e2e/test_fast_paths.py compares whole workbooks of real runs; this puts every kind of
value a run could give, in every look a column has, through both paths.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl import Workbook

from balint_reports.workbook import Column, _Looks, _write_sheet

LOOKS = ("plain", "text", "number", "wrap", "percent", "date", "status", "link")
VALUES: list[object] = [
    None,
    "",
    "Ann Lee",
    " leading only",
    "trailing only ",
    "line one\nline two",
    "a & b < c > d \"quoted\" 'single'",
    "carriage\r\nreturn",
    "tab\tinside",
    "Zoë Ó Briain — 😀 \x7f \x85 \u2028 \u00a0",
    "Met",
    "Not yet met",
    '=HYPERLINK("http://x")',
    "+44 20 7946 0000",
    "-",
    "@SUM(A1)",
    "\tstarts with a tab",
    "#N/A",
    "#DIV/0!",
    "control \x01\x02 characters",
    "not XML \ufffe\uffff \ud800",
    "x" * 40000,
    "letters/T0001 Ann Lee.html",
    0,
    3,
    -7,
    10**17,
    2.5,
    1 / 3,
    1e20,
    float("nan"),
    float("inf"),
    True,
    False,
    np.int64(12),
    np.float64(0.75),
    np.float64("nan"),
    np.float32("nan"),
    np.bool_(True),
    dt.date(2026, 3, 5),
    dt.datetime(2026, 3, 5, 14, 30),
    pd.Timestamp("2026-03-05"),
    pd.NA,
    pd.NaT,
]


def _row(values: list[object]) -> list[object]:
    """A row of these values, one per look: a link column holds the letter's path or nothing."""
    return [
        value if look != "link" or isinstance(value, str) else None
        for value, look in zip(values, LOOKS, strict=True)
    ]


def _workbook(monkeypatch: pytest.MonkeyPatch, plain: bool, rows: list[list[object]]) -> bytes:
    if plain:
        monkeypatch.setenv("BALINT_PLAIN_PATHS", "1")
    else:
        monkeypatch.delenv("BALINT_PLAIN_PATHS", raising=False)
    book = Workbook(write_only=True)
    looks = _Looks()
    columns = [Column(f"{look} column", 12, look) for look in LOOKS]
    # Twice: a long sheet's plain cells stay unstyled, a short one's are top-aligned. The long
    # one first, so that its unstyled cells are the first to meet each number format.
    _write_sheet(book, looks, "Long", columns, rows, size=10**6)
    _write_sheet(book, looks, "Short", columns, rows, size=len(rows))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        # The workbook's properties carry the time it was made.
        return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}


def test_every_value_in_every_look_is_written_as_openpyxl_writes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each value across a row, and down a column beside the others, so that styles are met
    # for the first time in many orders (openpyxl numbers them in the order of first use).
    # First, a date in an unstyled column before one in a date column: openpyxl numbers the
    # number formats new to the workbook in the order it makes the cells.
    rows = [
        _row(
            [
                dt.datetime(2026, 3, 5, 14, 30),
                None,
                None,
                None,
                None,
                dt.date(2026, 3, 5),
                None,
                None,
            ]
        )
    ]
    rows += [_row([value] * len(LOOKS)) for value in VALUES]
    rows += [_row([VALUES[(i + j) % len(VALUES)] for j in range(len(LOOKS))]) for i in range(50)]
    rows.append([None] * len(LOOKS))
    plain = _members(_workbook(monkeypatch, True, rows))
    direct = _members(_workbook(monkeypatch, False, rows))
    assert direct.keys() == plain.keys()
    for name in plain:
        assert direct[name] == plain[name], name
    # The comparison means something only if the rows were really written (and a hyperlink).
    assert plain["xl/worksheets/sheet1.xml"].count(b"<row ") == len(rows) + 1
    assert b"<hyperlink " in plain["xl/worksheets/sheet2.xml"]


def test_text_that_excel_would_take_for_something_else_stays_text(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    rows = [["#N/A", "=1+1", "not XML \ufffe here", "x" * 40000, "ok"]]
    path = tmp_path / "book.xlsx"
    path.write_bytes(_workbook(monkeypatch, False, [row + [None] * 3 for row in rows]))
    sheet = openpyxl.load_workbook(path)["Long"]
    cells = [sheet.cell(2, column) for column in range(1, 6)]
    assert [c.value for c in cells[:3]] == ["#N/A", "=1+1", "not XML  here"]
    assert [c.data_type for c in cells[:2]] == ["s", "s"]
    assert cells[0].quotePrefix and cells[1].quotePrefix
    assert len(cells[3].value) == 32767


def test_headings_and_titles_from_the_config_stay_text(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """A requirement's title is a column heading: the team's own words, kept as text too."""
    monkeypatch.delenv("BALINT_PLAIN_PATHS", raising=False)
    book = Workbook(write_only=True)
    columns = [Column("=1+1", 10), Column("#N/A", 10), Column("Not \ufffe XML", 10)]
    _write_sheet(book, _Looks(), "Titles", columns, [["a", "b", "c"]])
    path = tmp_path / "book.xlsx"
    book.save(path)
    header = list(openpyxl.load_workbook(path)["Titles"].iter_rows(max_row=1))[0]
    assert [c.value for c in header] == ["=1+1", "#N/A", "Not  XML"]
    assert [c.data_type for c in header] == ["s", "s", "s"]
    assert header[0].quotePrefix and header[1].quotePrefix and header[0].font.bold
