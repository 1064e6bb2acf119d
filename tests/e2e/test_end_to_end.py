"""The monthly run end to end on a small inbox built here."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from ..conftest import TRAINEE_HEADER, run_cli, run_report, trainee_row, write_csv, write_xlsx


def _inbox(inbox: Path) -> None:
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                ["Trainee register, November 2026"],
                [],
                TRAINEE_HEADER,
                trainee_row("T1", "Jane Smith", psychodynamic_training="no", supervisor="L1"),
                trainee_row("T2", "<script>alert(1)</script>", psychodynamic_training="yes"),
            ],
            "Leaders": [
                ["leader_id", "name", "accredited", "supervision_experience"],
                ["L1", "Ann Leader", "yes", "yes"],
            ],
        },
    )
    write_csv(
        inbox / "groups" / "tuesday.csv",
        [["Participant", "Session date", "Role", "Sessions"]]
        + [["Smith, Jane", f"{day}/03/2025", "member", 1] for day in range(1, 21)],
    )


def test_run_writes_every_output_and_counts_reconcile(inbox: Path, tmp_path: Path) -> None:
    _inbox(inbox)
    progress = run_report(inbox, tmp_path / "out")
    by_id = {t["trainee_id"]: t for t in progress["trainees"]}
    assert by_id["T1"]["requirements"]["membership"] == {
        "status": "met",
        "achieved": 20.0,
        "target": 20,
        "detail": "20 member sessions in an ongoing group or at Balint Society weekends"
        " (20 needed)",
        # docs/contract.md#outputs: the route whose numbers are shown, the forecast (none once met)
        "route": "member sessions in an ongoing group or at Balint Society weekends",
        "forecast": None,
    }
    assert by_id["T1"]["letter_file"] == "letters/T1.html"
    folder = tmp_path / "out" / "2026-11"
    book = openpyxl.load_workbook(folder / "summary.xlsx", read_only=True)
    assert book.sheetnames == [
        "About",
        "Overview",
        "Requirements",
        "Advisories",
        "Data issues",
        "Sources",
        "Changes",
    ]
    tuesday = next(s for s in progress["sources"] if s["file"] == "groups/tuesday.csv")
    assert (tuesday["rows_read"], tuesday["accepted"]) == (20, 20)  # the 20 rows written
    assert sorted(p.name for p in (folder / "letters").iterdir()) == [
        "T1.html",
        "T1.txt",
        "T2.html",
        "T2.txt",
    ]


def test_spreadsheet_text_is_escaped_in_letters(inbox: Path, tmp_path: Path) -> None:
    _inbox(inbox)
    run_report(inbox, tmp_path / "out")
    html = (tmp_path / "out" / "2026-11" / "letters" / "T2.html").read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_bad_as_of_is_a_usage_error(inbox: Path, tmp_path: Path) -> None:
    # Day first, as in the spreadsheets: 30/11/2026 is a date (issue 11), 11/30/2026 is not.
    result = run_cli("run", inbox, "--out", tmp_path / "out", "--as-of", "11/30/2026")
    assert result.exit_code == 2
    assert "'11/30/2026' has no month 30 (dates are day first)" in result.output


def test_report_date_defaults_to_today(inbox: Path, tmp_path: Path) -> None:
    _inbox(inbox)
    result = run_cli("run", inbox, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / f"{dt.date.today():%Y-%m}" / "summary.xlsx").is_file()


def test_strict_writes_the_summary_but_no_letters_when_errors(inbox: Path, tmp_path: Path) -> None:
    _inbox(inbox)
    out = tmp_path / "out"
    assert run_cli("run", inbox, "--out", out, "--as-of", "2026-11-30", "--strict").exit_code == 0
    assert (out / "2026-11" / "letters" / "T1.html").is_file()

    write_csv(inbox / "bad.csv", [["trainee", "date", "activity"], ["T1", "31/02/2025", "member"]])
    result = run_cli("run", inbox, "--out", out, "--as-of", "2026-11-30", "--strict")
    assert result.exit_code == 1
    assert "errors found and --strict given: no letters were written" in result.output
    folder = out / "2026-11"
    assert (folder / "summary.xlsx").is_file() and not (folder / "letters").exists()
    book = openpyxl.load_workbook(folder / "summary.xlsx", read_only=True)
    rows = list(book["Overview"].iter_rows(values_only=True))
    column = rows[0].index("Letter")
    assert all(not row[column] for row in rows[1:])


@pytest.mark.parametrize("with_sender", [False, True])
def test_a_register_with_nobody_to_write_to(inbox: Path, tmp_path: Path, with_sender: bool) -> None:
    write_csv(
        inbox / "trainees.csv", [["trainee_id", "name", "status"], ["T1", "Ann Able", "withdrawn"]]
    )
    if with_sender:
        (inbox / "balint.toml").write_text('[report]\ncontact_email = "team@example.org"\n')
    progress = run_report(inbox, tmp_path / "out")
    assert [t["status"] for t in progress["trainees"]] == ["withdrawn"]
    assert not list((tmp_path / "out" / "2026-11" / "letters").iterdir())


def test_an_inbox_without_a_trainees_register_says_so(inbox: Path, tmp_path: Path) -> None:
    result = run_cli("run", inbox, "--out", tmp_path / "out", "--as-of", "2026-11-30")
    assert result.exit_code == 0
    assert "0 errors, 1 warning" in result.output
    progress = json.loads((tmp_path / "out" / "2026-11" / "progress.json").read_text())
    [warning] = progress["issues"]
    assert "no trainees register found" in warning["problem"]
