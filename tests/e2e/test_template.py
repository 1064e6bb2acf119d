"""`template` and `init`: blank spreadsheets with dropdowns that read back with no issues."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl

from ..conftest import run_cli

AS_OF = "2026-11-30"


def _fill(path: Path, sheet: str, rows: list[dict]) -> None:
    """Fill a template's sheet below its headings, as a leader would, and save it."""
    book = openpyxl.load_workbook(path)
    headings = [c.value for c in book[sheet][1]]
    for number, row in enumerate(rows, start=2):
        for heading, value in row.items():
            book[sheet].cell(row=number, column=headings.index(heading) + 1, value=value)
    book.save(path)


def _choices(path: Path, sheet: str, heading: str) -> list[str]:
    """What a column's dropdown offers."""
    book = openpyxl.load_workbook(path)
    column = openpyxl.utils.get_column_letter([c.value for c in book[sheet][1]].index(heading) + 1)
    [check] = [
        v for v in book[sheet].data_validations.dataValidation if f"{column}2:" in str(v.sqref)
    ]
    assert check.type == "list"
    source, cells = check.formula1.split("!")
    first, last = cells.replace("$", "").split(":")
    lists = book[source.strip("'")]
    assert lists.sheet_state == "hidden"
    return [row[0].value for row in lists[first:last]]


def test_filled_templates_read_back_with_no_issues(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    registers = inbox / "registers.xlsx"
    assert run_cli("template", registers, "--kind", "registers").exit_code == 0
    _fill(
        registers,
        "Trainees",
        [
            {
                "Trainee ID": "T1",
                "Name": "Jane Smith",
                "Psychodynamic training": "no",
                "Registered": dt.datetime(2024, 1, 10),
                "Supervisor": "L1",
                "Status": "active",
            }
        ],
    )
    _fill(
        registers,
        "Leaders",
        [
            {
                "Leader ID": "L1",
                "Name": "Ann Leader",
                "Accredited": "yes",
                "Supervision experience": "yes",
            },
            {"Leader ID": "L2", "Name": "Bob Other", "Accredited": "no"},
        ],
    )
    # With the registers in the inbox, the next templates offer their names.
    attendance = inbox / "attendance.xlsx"
    result = run_cli("template", attendance, "--inbox", inbox)
    assert result.exit_code == 0, result.output
    assert "with 1 trainee and 2 leaders in its dropdowns" in result.output
    assert _choices(attendance, "Attendance", "Trainee") == ["Jane Smith"]
    assert _choices(attendance, "Attendance", "Activity") == [
        "member",
        "weekend member",
        "co leader",
        "leader",
        "leadership weekend",
        "leadership day",
    ]
    activities = _choices(attendance, "Attendance", "Activity")
    _fill(
        attendance,
        "Attendance",
        [
            {
                "Trainee": "Jane Smith",
                "Date": dt.datetime(2026, 3, d),
                "Activity": a,
                "Sessions": 2,
                "Event": "Tuesday group",
                "Format": "face to face",
                "Co leader": "Ann Leader" if a == "co leader" else None,
            }
            for d, a in enumerate(activities, start=2)
        ],
    )
    supervision = inbox / "supervision.xlsx"
    assert (
        run_cli("template", supervision, "--inbox", inbox, "--kind", "supervision").exit_code == 0
    )
    assert _choices(supervision, "Supervision", "Co leader present") == ["yes", "no"]
    assert _choices(supervision, "Supervision", "Supervisor") == ["Ann Leader", "Bob Other"]
    assert _choices(supervision, "Supervision", "Mode") == ["face to face", "video", "telephone"]
    _fill(
        supervision,
        "Supervision",
        [
            {
                "Trainee": "Jane Smith",
                "Supervisor": "Ann Leader",
                "Date": dt.datetime(2026, 4, 1),
                "Hours": 1.5,
                "Mode": "video",
                "Trainees present": 1,
                "Co leader present": "yes",
            }
        ],
    )
    portfolio = inbox / "portfolio.xlsx"
    assert run_cli("template", portfolio, "--inbox", inbox, "--kind", "portfolio").exit_code == 0
    competencies = _choices(portfolio, "Portfolio", "Competency")
    assert len(competencies) == 5 and "," in competencies[0]  # a list sheet: commas are safe
    _fill(
        portfolio,
        "Portfolio",
        [
            {
                "Trainee": "Jane Smith",
                "Competency": c,
                "Signed off": dt.datetime(2026, 5, 1),
                "Signed off by": "Ann Leader",
            }
            for c in competencies
        ],
    )

    result = run_cli("run", inbox, "--out", tmp_path / "out", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "No data issues." in result.output
    document = json.loads(
        (tmp_path / "out" / "2026-11" / "progress.json").read_text(encoding="utf-8")
    )
    assert document["issues"] == []  # not even a note about the Instructions or Lists sheets
    kinds = {(s["file"], s["sheet"]): (s["kind"], s["accepted"]) for s in document["sources"]}
    assert kinds[("attendance.xlsx", "Attendance")] == ("attendance", 6)
    assert kinds[("supervision.xlsx", "Supervision")] == ("supervision", 1)
    assert kinds[("portfolio.xlsx", "Portfolio")] == ("portfolio", 5)
    [jane] = document["trainees"]
    assert jane["requirements"]["portfolio"]["status"] == "met"
    assert jane["requirements"]["co_leading"]["achieved"] == 2


def test_register_template_offers_statuses_and_yes_no_and_checks_dates(tmp_path: Path) -> None:
    path = tmp_path / "registers.xlsx"
    assert run_cli("template", path, "--kind", "registers").exit_code == 0
    assert openpyxl.load_workbook(path).sheetnames == [
        "Trainees",
        "Leaders",
        "Instructions",
        "Lists",
    ]
    assert _choices(path, "Trainees", "Status") == ["active", "paused", "withdrawn", "accredited"]
    assert _choices(path, "Trainees", "Psychodynamic training") == ["yes", "no"]
    assert _choices(path, "Leaders", "Accredited") == ["yes", "no"]
    book = openpyxl.load_workbook(path)
    headings = [c.value for c in book["Trainees"][1]]
    dates = {
        str(v.sqref).split(":")[0]: v.type
        for v in book["Trainees"].data_validations.dataValidation
        if v.type == "date"
    }
    letter = openpyxl.utils.get_column_letter(headings.index("Registered") + 1)
    assert dates[f"{letter}2"] == "date"
    # A value outside a closed list is refused in Excel, not only reported by the next run.
    [status] = [
        v
        for v in book["Trainees"].data_validations.dataValidation
        if str(v.sqref).startswith(
            openpyxl.utils.get_column_letter(headings.index("Status") + 1) + "2"
        )
    ]
    assert (status.errorStyle or "stop") == "stop" and status.showErrorMessage


def test_template_has_instructions_date_checks_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "sup.xlsx"
    assert run_cli("template", path, "--kind", "supervision").exit_code == 0
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Supervision", "Instructions", "Lists"]
    text = " ".join(str(c.value) for row in book["Instructions"].iter_rows() for c in row)
    assert "one row per supervision session" in text and "05/03/2026" in text
    checks = {
        str(v.sqref).split(":")[0]: v for v in book["Supervision"].data_validations.dataValidation
    }
    assert (checks["C2"].type, checks["C2"].formula1) == ("date", "DATE(2000,1,1)")
    assert checks["D2"].type == "decimal"  # hours
    assert book["Supervision"]["C2"].number_format == "DD/MM/YYYY"
    again = run_cli("template", path, "--kind", "supervision")
    assert again.exit_code == 1 and "exists: choose another name, or add --force" in again.output
    # a workbook under another name is a file nothing can read: refused, with the name to use
    for name in ("sup.csv", "notes.txt", "sup"):
        refused = run_cli("template", tmp_path / name, "--kind", "supervision")
        assert refused.exit_code == 1 and not (tmp_path / name).exists()
        assert "give a name ending in .xlsx" in refused.output
    assert "e.g. sup.xlsx" in refused.output


def test_init_makes_a_working_folder_and_never_overwrites(tmp_path: Path) -> None:
    folder = tmp_path / "accreditation"
    result = run_cli("init", folder)
    assert result.exit_code == 0, result.output
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert names == [
        "HOW-TO.txt",
        "inbox/attendance.xlsx",
        "inbox/balint.toml",
        "inbox/portfolio.xlsx",
        "inbox/registers.xlsx",
        "inbox/supervision.xlsx",
    ]
    how_to = (folder / "HOW-TO.txt").read_text(encoding="utf-8")
    assert "Task Scheduler" in how_to and "crontab" in how_to
    assert ".venv\\Scripts\\balint-reports" in how_to
    # the whole sending routine: a test to yourself, the letters, then the digests
    assert "--test-to you@example.org" in how_to and "--no-dry-run --digests" in how_to
    config = folder / "inbox" / "balint.toml"
    assert "password" not in config.read_text(encoding="utf-8").split("Never write")[0].lower()
    config.write_text('[report]\nsociety = "Ours"\n', encoding="utf-8")
    again = run_cli("init", folder)
    assert again.exit_code == 0
    assert f"kept     {config}" in again.output
    assert config.read_text(encoding="utf-8") == '[report]\nsociety = "Ours"\n'
    # The fresh folder runs as it is: blank templates and the commented config are valid.
    result = run_cli("run", folder / "inbox", "--out", folder / "reports", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output


def test_the_cli_offers_exactly_the_kinds_a_template_can_be_written_for() -> None:
    from balint_reports.schema import TEMPLATE_KIND_NAMES
    from balint_reports.template import TEMPLATE_KINDS

    assert list(TEMPLATE_KINDS) == list(TEMPLATE_KIND_NAMES)
