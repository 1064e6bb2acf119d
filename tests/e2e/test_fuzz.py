"""Fuzzing (issue 14, item 9): random workbooks and CSVs never raise, and nothing is lost.

Random headings (known and unknown), cell types, encodings and separators, files cut short at
a random byte, huge and tiny values. For every run: no exception escapes, every row read is
counted once in Sources, every rejected row has an error naming it, and a file that is not cut
short has exactly the rows that were written.

CI runs a short search (12 examples each, a minute or two). A longer one, to run now and then:
    BALINT_FUZZ_EXAMPLES=2000 .venv/bin/pytest tests/e2e/test_fuzz.py
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from balint_reports.config import Config
from balint_reports.issues import IssueLog
from balint_reports.pipeline import Validated, validate_inbox
from balint_reports.ruleset import load_rulesets
from balint_reports.schema import KINDS
from balint_reports.values import cell_text

from ..conftest import TRAINEE_HEADER, trainee_row, write_xlsx

EXAMPLES = int(os.environ.get("BALINT_FUZZ_EXAMPLES", "12"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HEADINGS = sorted(
    {text for kind in KINDS for column in kind.columns for text in (column.name, *column.aliases)}
    | {"Notes", "", "Total", "Date of session"}
)
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
_XLSX_SAFE = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x7f"), max_size=20
)
_SAMPLES = st.sampled_from(
    [
        "T1",
        "Jane Smith",
        "L1",
        "member",
        "co-leader",
        "leadership day",
        "yes",
        "no",
        "05/03/2025",
        "2025-03-05",
        "31/02/2025",
        "11/17/2025",
        "1",
        "-3",
        "2.5",
        "=1+1",
        "@x",
        "Smith, Jane",
        "safe_frame",
        "zoom",
        "active",
        "paused",
        "",
        " ",
        '"',
        '""',
        "a,b",
        "a;b",
        "\n",
    ]
)
_HUGE = st.sampled_from(["x" * 40_000, "9" * 400, "1e308", "-1e308", "1" * 20])
_CELLS_CSV = st.one_of(_SAMPLES, _TEXT, _HUGE, st.integers(-(10**30), 10**30).map(str))
_CELLS_XLSX = st.one_of(
    _SAMPLES.filter(lambda s: s != "\n"),
    _XLSX_SAFE,
    _HUGE,
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 12, 31)),
)
_TABLE_CSV = st.tuples(
    st.lists(st.sampled_from(HEADINGS), min_size=1, max_size=8),
    st.lists(st.lists(_CELLS_CSV, max_size=8), max_size=15),
)
_TABLE_XLSX = st.tuples(
    st.lists(st.sampled_from(HEADINGS), min_size=1, max_size=8),
    st.lists(st.lists(_CELLS_XLSX, max_size=8), max_size=15),
)


def _registers(inbox: Path) -> None:
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [TRAINEE_HEADER, trainee_row("T1", "Jane Smith", supervisor="L1")],
            "Leaders": [["leader_id", "name", "accredited"], ["L1", "Ann Leader", "yes"]],
        },
    )


def _csv_bytes(header: list, rows: list, encoding: str, separator: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, lineterminator="\r\n").writerows([header, *rows])
    return buffer.getvalue().encode(encoding, errors="replace")


def _xlsx_bytes(sheets: list[tuple[list, list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for i, (header, rows) in enumerate(sheets):
        sheet = book.create_sheet(f"S{i}")
        for row in [header, *rows]:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl would make `=...` a formula
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


class _Run:
    """What validating an inbox gave: its sources and rows, and every issue."""

    def __init__(self, validated: Validated, log: IssueLog) -> None:
        self.sources = validated.sources
        self.rows = validated.rows
        self.issues = log.frame()


def _run(files: dict[str, bytes]) -> _Run:
    with tempfile.TemporaryDirectory() as folder:
        inbox = Path(folder)
        _registers(inbox)
        for name, data in files.items():
            (inbox / name).write_bytes(data)
        log = IssueLog()
        validated = validate_inbox(inbox, dt.date(2026, 11, 30), Config(), load_rulesets(()), log)
        return _Run(validated, log)


def _check_reconciled(report: _Run) -> dict[tuple[str, str], int]:
    """Each sheet's rows_read is the sum of its outcomes and the rows its tables hold;
    every rejected row has an error naming it. Returns rows_read per (file, sheet)."""
    held: dict[tuple[str, str], int] = {}
    for table in report.rows.values():
        for key in zip(table["_file"], table["_sheet"], strict=True):
            held[key] = held.get(key, 0) + 1
    read = {}
    errors = report.issues[report.issues["severity"] == "error"]
    for source in report.sources.to_dict("records"):
        key = (source["file"], source["sheet"])
        outcomes = sum(source[o] for o in ("accepted", "rejected", "duplicate", "future"))
        assert source["rows_read"] == outcomes, source
        if held.get(key, 0) != outcomes:
            # a sheet that nearly fits a kind (docs/contract.md#sheets-and-headers): its rows
            # count as read and rejected without being parsed, and an error on the sheet says why
            assert source["rejected"] == outcomes and key not in held, source
            sheet_errors = errors[(errors["file"] == key[0]) & (errors["sheet"] == key[1])]
            assert len(sheet_errors), source
        read[key] = source["rows_read"]
    flagged = set(zip(errors["file"], errors["sheet"], errors["row"], strict=True))
    for table in report.rows.values():
        if "_outcome" not in table:
            continue
        for row in table.loc[table["_outcome"] == "rejected"].to_dict("records"):
            assert (row["_file"], row["_sheet"], row["_row"]) in flagged, row
    return read


def _written(rows: list[list]) -> int:
    return sum(1 for row in rows if any(cell_text(cell) for cell in row if cell is not None))


@FUZZ
@given(
    _TABLE_CSV,
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]),
    st.sampled_from([",", ";"]),
    st.one_of(st.none(), st.floats(0, 1)),
)
def test_random_csv_is_reported_never_raised(
    table: tuple[list, list], encoding: str, separator: str, cut: float | None
) -> None:
    header, rows = table
    data = _csv_bytes(header, rows, encoding, separator)
    if cut is not None:
        data = data[: int(len(data) * cut)]
    report = _run({"random.csv": data})
    read = _check_reconciled(report)
    [source] = [s for s in report.sources.to_dict("records") if s["file"] == "random.csv"]
    if source["kind"] in ("ignored", "unreadable"):
        assert read[("random.csv", "")] == 0
        if source["kind"] == "unreadable":  # one clear error names the file
            assert (report.issues["file"] == "random.csv").any()


@FUZZ
@given(
    st.lists(_TABLE_XLSX, min_size=1, max_size=3),
    st.one_of(st.none(), st.floats(0, 1)),
)
def test_random_workbook_is_reported_never_raised(
    sheets: list[tuple[list, list]], cut: float | None
) -> None:
    data = _xlsx_bytes(sheets)
    if cut is not None:
        data = data[: int(len(data) * cut)]
    report = _run({"random.xlsx": data})
    read = _check_reconciled(report)
    sources = [s for s in report.sources.to_dict("records") if s["file"] == "random.xlsx"]
    if cut is not None:
        return  # cut short: read or refused, but reconciled and without a traceback
    for source in sources:
        if source["kind"] in ("ignored", "unreadable"):
            continue
        header, rows = sheets[int(source["sheet"][1:])]
        # rows above a heading row found lower down are not data: count from the heading
        assert read[("random.xlsx", source["sheet"])] <= _written(rows), source


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from([".xlsx", ".xls", ".ods", ".csv", ".xlsm"]))
def test_random_bytes_under_any_spreadsheet_name_are_one_issue(data: bytes, suffix: str) -> None:
    report = _run({f"noise{suffix}": data})
    _check_reconciled(report)
