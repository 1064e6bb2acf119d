"""Shared test helpers: build real spreadsheets in tmp_path and run the real CLI."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

from balint_reports.cli import main

# The property tests draw the same examples on every run, so main stays green or red for what
# is on it, not for a new draw (CI once failed on a draw that local runs had not made). To look
# for new failures, with fresh random examples on each run:
#     .venv/bin/pytest tests/e2e/test_properties.py tests/stages --hypothesis-profile explore
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("repeatable")

AS_OF = "2026-11-30"

TRAINEE_HEADER = [
    "trainee_id",
    "name",
    "email",
    "psychodynamic_training",
    "professional_training_from",
    "registered",
    "supervisor",
    "supervisor_overseen_by",
    "status",
    "feels_ready",
    "reference_requested",
    "reference_received",
    "reference_shared",
    "reference_forwarded",
]


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    """Write a workbook with one sheet per entry, rows as given (first row first)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_csv(
    path: Path, rows: Sequence[Sequence[object]], encoding: str = "utf-8", sep: str = ","
) -> Path:
    """Write a CSV file the way a spreadsheet program would."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\r\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def trainee_row(trainee_id: str, name: str, **fields: object) -> list[object]:
    """A trainees-register row with the given fields, the rest blank."""
    values = {"trainee_id": trainee_id, "name": name, **fields}
    return [values.get(column, "") for column in TRAINEE_HEADER]


def run_cli(*args: str) -> Result:
    """Run the real CLI in-process and return click's result."""
    return CliRunner().invoke(
        main, [str(a) for a in args], catch_exceptions=False, prog_name="balint-reports"
    )


def run_report(inbox: Path, out: Path, *extra: str, as_of: str = AS_OF) -> dict:
    """Run the monthly job and return progress.json, failing on a non-zero exit."""
    result = run_cli("run", inbox, "--out", out, "--as-of", as_of, *extra)
    assert result.exit_code == 0, result.output
    return json.loads((out / as_of[:7] / "progress.json").read_text(encoding="utf-8"))


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder
