"""summary.xlsx as the team sees it: words, colours, links, print setup, opened by LibreOffice."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from ..conftest import TRAINEE_HEADER, run_report, trainee_row, write_xlsx
from .rules_inbox import att, run_rules

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
AS_OF = "2026-11-30"


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample month's summary.xlsx."""
    out = tmp_path_factory.mktemp("workbook") / "out"
    run_report(SAMPLE, out, as_of=AS_OF)
    return out / AS_OF[:7] / "summary.xlsx"


def _rows(sheet: openpyxl.worksheet.worksheet.Worksheet) -> list[dict]:
    header, *rows = sheet.iter_rows()
    names = [c.value for c in header]
    return [dict(zip(names, row, strict=False)) for row in rows]


def test_about_comes_first_and_charts_who_meets_each_requirement(summary: Path) -> None:
    book = openpyxl.load_workbook(summary)
    assert book.sheetnames[0] == "About"
    about = book["About"]
    text = [c.value for row in about.iter_rows() for c in row if isinstance(c.value, str)]
    assert "How to read this workbook" in text
    assert any("Fix them in the spreadsheets and run again" in t for t in text)
    date = next(row[1] for row in about.iter_rows() if row[0].value == "Report date")
    assert (f"{date.value:%Y-%m-%d}", date.number_format) == (AS_OF, "DD/MM/YYYY")
    # The chart's numbers are cells of the sheet: trainees meeting each requirement.
    table = next(
        i for i, row in enumerate(about.iter_rows(values_only=True)) if row[0] == "Requirement"
    )
    counted = list(about.iter_rows(min_row=table + 2, max_row=table + 6, values_only=True))
    assert [r[0] for r in counted][:2] == [
        "Experience as a Balint group member",
        "Co-leading Balint groups",
    ]
    overview = _rows(book["Overview"])
    for title, met, assessed in (r[:3] for r in counted):
        assert met == sum(r[title].value == "Met" for r in overview)
        assert assessed == len(overview)
    [chart] = about._charts
    assert chart.title is not None


def test_overview_in_words_with_fills_progress_and_a_working_letter_link(summary: Path) -> None:
    book = openpyxl.load_workbook(summary)
    rows = {r["Trainee ID"].value: r for r in _rows(book["Overview"])}
    t03 = rows["T03"]  # José Álvarez: co-leading not yet met, supervision with an ineligible one
    assert t03["Overall"].value == "In progress"
    assert t03["Co-leading Balint groups"].value == "Not yet met"
    assert 0 < t03["Co-leading Balint groups (%)"].value < 1
    assert t03["Co-leading Balint groups (%)"].number_format == "0%"
    # Each status has its own fill, the same wherever it is; the word is always in the cell.
    fills: dict[str, set[str]] = {}
    for row in _rows(book["Requirements"]):
        fills.setdefault(row["Status"].value, set()).add(row["Status"].fill.fgColor.rgb)
    assert set(fills) == {"Met", "Not yet met", "Cannot assess"}
    assert all(len(f) == 1 for f in fills.values())
    assert len({f.pop() for f in fills.values()}) == 3
    assert t03["Next step"].alignment.wrap_text
    # Hours with a supervisor who is not eligible were still had: shown and costed, not counted.
    assert (t03["Supervision hours"].value, t03["Cost range"].value) == (9, "£540–£720")
    assert t03["Supervision and their supervisor's report"].value == "Not yet met"
    link = rows["T01"]["Letter"]
    assert link.value == "letters/T01.html"
    assert link.hyperlink.target == "letters/T01.html"
    assert (summary.parent / link.hyperlink.target).is_file()
    # Already accredited: never told that an application can now be considered.
    t13 = rows["T13"]
    assert t13["Register status"].value == "Accredited"
    assert t13["Next step"].value == "Already accredited."
    assert not t13["Letter"].hyperlink


def test_wrapped_columns_are_wide_enough_and_rows_tall_enough_for_their_text(
    summary: Path,
) -> None:
    book = openpyxl.load_workbook(summary)
    overview = book["Overview"]
    headings = {c.value: c.column_letter for c in overview[1]}
    assert overview.column_dimensions[headings["Next step"]].width >= 30
    assert overview.column_dimensions[headings["Name"]].width >= 15
    # Long headings wrap in a taller first row, so narrow columns still show them whole.
    assert overview[1][0].alignment.wrap_text
    assert overview.row_dimensions[1].height >= 30
    # A row whose next step runs over several lines is as tall as those lines.
    step = headings["Next step"]
    width = overview.column_dimensions[step].width
    for row in range(2, overview.max_row + 1):
        text = overview[f"{step}{row}"].value or ""
        lines = -(-len(text) // int(width))
        if lines > 1:
            assert overview.row_dimensions[row].height >= 15 * lines, (row, text)
    assert any(
        (overview.row_dimensions[r].height or 0) >= 30 for r in range(2, overview.max_row + 1)
    )
    problems = book["Data issues"]
    assert problems.column_dimensions["G"].width >= 60  # Problem: a sentence, wrapped
    assert problems["G2"].alignment.wrap_text
    # The file and row sit at the top of the row, level with the start of the problem.
    assert {problems[f"{c}2"].alignment.vertical for c in "ABCDEFG"} == {"top"}
    # No heading breaks inside a word (`Supervisio-n hours`, `competencie-s`).
    for title in book.sheetnames[1:]:
        sheet = book[title]
        for cell in sheet[1]:
            longest = max(len(word) for word in str(cell.value).split())
            assert sheet.column_dimensions[cell.column_letter].width > longest, cell.value


def test_the_about_sheet_prints_without_gridlines_and_tables_with_them(summary: Path) -> None:
    book = openpyxl.load_workbook(summary)
    assert not book["About"].print_options.gridLines
    assert book["Overview"].print_options.gridLines


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_row(summary: Path) -> None:
    book = openpyxl.load_workbook(summary)
    for title in book.sheetnames:
        sheet = book[title]
        assert sheet.page_setup.orientation == "landscape", title
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0), title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, title
        if title != "About":
            assert sheet.print_title_rows == "$1:$1", title
            assert sheet.freeze_panes in ("A2", "C2"), title


def test_statuses_and_severities_are_words_everywhere(summary: Path) -> None:
    book = openpyxl.load_workbook(summary, read_only=True)
    try:
        statuses = {r[3] for r in book["Requirements"].iter_rows(min_row=2, values_only=True)}
        severities = {r[0] for r in book["Data issues"].iter_rows(min_row=2, values_only=True)}
        kinds = {r[2] for r in book["Sources"].iter_rows(min_row=2, values_only=True)}
    finally:
        book.close()
    assert statuses == {"Met", "Not yet met", "Cannot assess"}
    assert severities <= {"Error", "Warning", "Note"} and "Error" in severities
    assert "Attendance" in kinds and "attendance" not in kinds


def test_names_are_shown_whole_advice_spelt_as_prose_and_text_kept_off_numbers(
    summary: Path,
) -> None:
    """A sheet name cut short ("London day Mar 202") cannot be found; `No accredited coleader`
    is not how the letters spell it; printed, a right-aligned target ran into the detail."""
    book = openpyxl.load_workbook(summary)
    try:
        sources = book["Sources"]
        longest = max(len(str(r[1] or "")) for r in sources.iter_rows(min_row=2, values_only=True))
        assert longest > 16 and sources.column_dimensions["B"].width >= longest
        advice = {r[2] for r in book["Advisories"].iter_rows(min_row=2, values_only=True)}
        assert "No accredited co-leader" in advice and "Co-leader not in supervision" in advice
        assert not any("coleader" in a for a in advice)
        detail = book["Requirements"]["G2"]
        assert detail.alignment.wrap_text and detail.alignment.indent == 1
        assert book["Requirements"]["G1"].alignment.indent == 0  # headings are not indented
    finally:
        book.close()


def test_forecast_names_the_requirement_and_month(tmp_path: Path) -> None:
    # 10 co-led sessions in the last year, 10 to go: at that pace, 12 months after November.
    rows = [att(f"05/{m:02d}/2026", "co_leader") for m in range(1, 11)]
    out = run_rules(tmp_path, {"psychodynamic_training": "no"}, attendance=rows)
    assert out.overview["Forecast"] == "Co-leading Balint groups: November 2027"
    assert out.progress["requirements"]["co_leading"]["status"] == "not_met"


def test_supervision_hours_and_cost_agree_with_progress_json_whoever_supervised(
    tmp_path: Path,
) -> None:
    # T1's only supervisor is not accredited; T2 has an hour with an eligible supervisor and two
    # with one who lacks supervision experience. Hours that do not count were still had and
    # paid for, so both files give the same hours and the cost range is of those hours.
    inbox = tmp_path / "inbox"
    write_xlsx(
        inbox / "society.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Jane Smith", psychodynamic_training="no"),
                trainee_row("T2", "Tom Other", psychodynamic_training="no"),
            ],
            "Leaders": [
                ["leader_id", "name", "accredited", "supervision_experience"],
                ["L1", "Ann Leader", "yes", "yes"],
                ["L2", "Bob Accredited", "yes", "no"],
                ["L3", "Cat Novice", "no", "yes"],
            ],
            "Supervision": [
                ["trainee", "supervisor", "date", "hours"],
                ["T1", "L3", "01/06/2026", 1.5],
                ["T1", "L3", "08/06/2026", 3],
                ["T2", "L1", "01/06/2026", 1],
                ["T2", "L2", "08/06/2026", 2],
            ],
        },
    )
    out = tmp_path / "out"
    progress = run_report(inbox, out, as_of=AS_OF)
    book = openpyxl.load_workbook(out / AS_OF[:7] / "summary.xlsx", read_only=True)
    try:
        header, *rows = book["Overview"].iter_rows(values_only=True)
    finally:
        book.close()
    overview = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    trainees = {t["trainee_id"]: t for t in progress["trainees"]}
    assert {t: trainees[t]["supervision_hours"] for t in trainees} == {"T1": 4.5, "T2": 3}
    assert {t: (r["Supervision hours"], r["Cost range"]) for t, r in overview.items()} == {
        "T1": (4.5, "£270–£360"),
        "T2": (3, "£180–£240"),
    }
    # Whether the hours count is the requirement's to say, and the letter gives the same hours.
    assert trainees["T1"]["requirements"]["supervision"]["achieved"] == 0
    assert trainees["T2"]["requirements"]["supervision"]["achieved"] == 1
    letter = (out / AS_OF[:7] / "letters" / "T1.txt").read_text(encoding="utf-8")
    assert "2 sessions (4.5 hours) with Cat Novice do not count" in letter


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is not installed: .ci/run installs libreoffice-calc")
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc")
    return found


def test_libreoffice_opens_the_workbook_and_shows_its_words(summary: Path, tmp_path: Path) -> None:
    soffice = _soffice()
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"  # no shared LO profile
    # Every sheet as CSV, with values as LibreOffice shows them (formatted: dates, percentages).
    every_sheet = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
    for target in (every_sheet, "pdf"):
        done = subprocess.run(
            [soffice, profile, "--headless", "--convert-to", target, "--outdir", tmp_path, summary],
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, done.stderr
        problems = [
            line
            for line in done.stderr.splitlines()
            if line.strip() and "javaldx" not in line  # LibreOffice runs without Java here
        ]
        assert problems == []
    with (tmp_path / "summary-Overview.csv").open(encoding="utf-8") as f:
        overview = list(csv.DictReader(f))
    t01 = next(r for r in overview if r["Trainee ID"] == "T01")
    assert (t01["Overall"], t01["Co-leading Balint groups"]) == ("Ready", "Met")
    assert t01["Co-leading Balint groups (%)"] == "100%"
    about = (tmp_path / "summary-About.csv").read_text(encoding="utf-8")
    assert "Report date,30/11/2026" in about
    assert (tmp_path / "summary.pdf").stat().st_size > 10_000
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", tmp_path / "summary.pdf", "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "How to read this workbook" in text
        assert "Not yet met" in text and "Amelia Hart" in text


def test_changes_run_in_the_registers_order_as_every_other_sheet(tmp_path: Path) -> None:
    """A month later the sample's moves (counts, then forecasts) were listed T18, T17, T20:
    a trainee's changes are found together, in the order the Overview lists trainees."""
    out = tmp_path / "out"
    run_report(SAMPLE, out, as_of=AS_OF)
    run_report(SAMPLE, out, as_of="2026-12-31")
    book = openpyxl.load_workbook(out / "2026-12" / "summary.xlsx", read_only=True)
    try:
        order = [r[0] for r in book["Overview"].iter_rows(min_row=2, values_only=True)]
        changed = [r[0] for r in book["Changes"].iter_rows(min_row=2, values_only=True)]
    finally:
        book.close()
    assert len(set(changed)) > 1
    assert changed == sorted(changed, key=order.index)
