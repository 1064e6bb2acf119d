"""The monthly run on the shipped sample inbox: what sample_data/README.md promises, it does."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest

from balint_reports.labels import OVERALL_WORDS, STATUS_WORDS, advice_words
from balint_reports.read import decode_csv

from ..conftest import run_cli, run_report

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
AS_OF = "2026-11-30"

REQUIREMENT_TITLES = [
    "Experience as a Balint group member",
    "Co-leading Balint groups",
    "Leadership training",
    "Portfolio of competencies",
    # a title speaks to the trainee; the team's views speak of them
    "Supervision and their supervisor's report",
]
# docs/contract.md#outputs: headings in words, in revision 1's order; each requirement's status
# is followed by how far along it is.
SHEET_HEADERS = {
    "Overview": [
        "Trainee ID",
        "Name",
        "Register status",
        "Overall",
        *[h for title in REQUIREMENT_TITLES for h in (title, f"{title} (%)")],
        "Next step",
        "Forecast",
        "Supervisor",
        "Supervision hours",
        "Cost range",
        "Ruleset",
        "Letter",
        "Report overdue, asked for on",
    ],
    "Requirements": ["Trainee ID", "Name", "Requirement", "Status", "Achieved", "Target", "Detail"],
    "Advisories": ["Trainee ID", "Name", "Advice", "Message"],
    "Data issues": ["Severity", "File", "Sheet", "Row", "Column", "Value", "Problem"],
    "Sources": [
        "File",
        "Sheet",
        "Kind",
        "SHA-256",
        "Rows read",
        "Accepted",
        "Rejected",
        "Duplicate",
        "Future",
        "Not present",
    ],
    "Changes": ["Trainee ID", "Name", "Requirement", "Before", "Now", "Change"],
}
SOURCE_KEYS = [
    "file",
    "sheet",
    "kind",
    "sha256",
    "rows_read",
    "accepted",
    "rejected",
    "duplicate",
    "future",
    "absent",  # after the contract's columns: "Not present"
]

# trainee_id: (name, register status, overall, advice codes) -- the README's table, checked below.
EXPECTED = {
    "T01": ("Amelia Hart", "active", "ready", []),
    "T02": ("Siân Pritchard", "active", "ready", []),
    "T03": (
        "José Álvarez",
        "active",
        "in_progress",
        ["ineligible_supervisor", "large_supervision_group", "coleader_not_in_supervision"],
    ),
    "T04": ("Priya Sharma", "active", "in_progress", []),
    "T05": (
        "Oliver Bennett",
        "active",
        "in_progress",
        ["single_setting", "solo_leading_only", "no_supervision"],
    ),
    "T06": (
        "Grace Mensah",
        "active",
        "in_progress",
        ["single_setting", "no_accredited_coleader", "coleader_not_in_supervision"],
    ),
    "T07": ("Hamish MacLeod", "active", "in_progress", ["no_two_day_event"]),
    "T08": ("Fatima Rahman", "active", "in_progress", ["triangulation_missing"]),
    "T09": ("Chloe Davies", "active", "needs_data", []),
    "T10": ("Daniel O'Connor", "active", "in_progress", []),
    "T11": ("Mei Lin Chen", "paused", "in_progress", ["single_setting", "triangulation_missing"]),
    "T12": ("Robert Ashworth", "withdrawn", "in_progress", ["single_setting", "no_supervision"]),
    "T13": ("Aisha Bello", "accredited", "ready", []),
    "T14": ("Tomasz Nowak", "active", "needs_data", []),
    "T15": ("Eleanor Whitaker", "active", "in_progress", []),
    "T16": ("Kwame Asante", "active", "in_progress", []),
    "T17": ("Sophie Laurent", "active", "in_progress", []),
    "T18": ("Rhys Evans", "active", "ready", []),
    "T19": ("Nadia Haddad", "active", "in_progress", ["ineligible_supervisor"]),
    "T20": ("Jonathan Price", "active", "in_progress", []),
}

# (severity, file, sheet, row as the spreadsheet shows it, column, value, words of the problem)
MISTAKES = [
    (
        "error",
        "attendance/raman_medical_students_group.xlsx",
        "2026",
        5,
        "date",
        "31/02/2026",
        "not a real date",
    ),
    (
        "error",
        "attendance/whitfield_st_lukes_hospital.csv",
        "",
        113,
        "trainee",
        "Priya Shrama",
        "did you mean Priya Sharma (T04)?",
    ),
    (
        "warning",
        "attendance/okafor_thursday_gp_group.xlsx",
        "Register",
        165,
        "date",
        "2026-03-05",
        "same as attendance/okafor_thursday_gp_group.xlsx, sheet Register, row 164",
    ),
    # The sample's accented addresses: most mail servers refuse them (issue 11, item 5).
    (
        "warning",
        "registers.xlsx",
        "Trainees",
        3,
        "email",
        "siân.t02@example.org",
        "most mail servers refuse such addresses",
    ),
    (
        "warning",
        "registers.xlsx",
        "Trainees",
        4,
        "email",
        "josé.t03@example.org",
        "most mail servers refuse such addresses",
    ),
    (
        # Contract: Nadia's report arrived, but none of her supervision is with an eligible
        # supervisor, so it came before any eligible session
        "warning",
        "registers.xlsx",
        "Trainees",
        20,
        "reference_received",
        "2026-09-01",
        "no supervision session with an eligible supervisor is recorded",
    ),
    (
        "warning",
        "supervision/adebayo_supervision_log.csv",
        "",
        5,
        "mode",
        "WhatsApp",
        "not a known mode, kept as written",
    ),
    (
        "warning",
        "supervision/supervision_logs.xlsx",
        "Moreau",
        17,
        "date",
        "2026-12-10",
        "after the report date",
    ),
]

OUTCOMES = ("accepted", "rejected", "duplicate", "future", "absent")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """Run the CLI once on sample_data; the tests below read what it wrote."""
    out = tmp_path_factory.mktemp("sample") / "out"
    progress = run_report(SAMPLE, out, as_of=AS_OF)
    return progress, out / AS_OF[:7]


def _sheets(folder: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(folder / "summary.xlsx", read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}


def test_workbook_has_the_six_sheets_with_exact_headers(report: tuple[dict, Path]) -> None:
    _, folder = report
    sheets = _sheets(folder)
    assert list(sheets) == ["About", *SHEET_HEADERS]
    for title, header in SHEET_HEADERS.items():
        assert list(sheets[title][0]) == header, title


def _written_rows(path: Path, sheet: str) -> int:
    """Non-blank rows below the heading row, counted straight from the file."""
    if path.suffix == ".csv":
        text = decode_csv(path.read_bytes())
        first = text.splitlines()[0]
        rows = list(csv.reader(io.StringIO(text), delimiter=";" if ";" in first else ","))
    else:
        book = openpyxl.load_workbook(path, read_only=True)
        rows = [list(row) for row in book[sheet].iter_rows(values_only=True)]
        book.close()
    filled = [r for r in rows if any(str(c).strip() for c in r if c is not None)]
    # Titles and notes above the heading row fill one cell; the heading row fills several.
    heading = next(i for i, r in enumerate(filled) if sum(c not in (None, "") for c in r) >= 3)
    return len(filled) - heading - 1


def test_every_source_reconciles_in_workbook_and_json(report: tuple[dict, Path]) -> None:
    progress, folder = report
    rows = _sheets(folder)["Sources"][1:]
    assert len(rows) == len(progress["sources"])
    for row in rows:
        counts = dict(zip(SOURCE_KEYS, row, strict=True))
        assert counts["rows_read"] == sum(counts[k] for k in OUTCOMES), counts
    for source in progress["sources"]:
        assert source["rows_read"] == sum(source[k] for k in OUTCOMES), source
        if source["kind"] != "ignored":  # and every row written in the file is one of them
            written = _written_rows(SAMPLE / source["file"], source["sheet"])
            assert source["rows_read"] == written, source
    by_kind: dict[str, set[str]] = {}
    for source in progress["sources"]:
        by_kind.setdefault(source["kind"], set()).add(source["file"])
    # Every spreadsheet of the sample is read as some kind; only the script and README are not.
    assert by_kind.pop("ignored") == {"README.md", "make_sample_data.py"}
    spreadsheets = {
        p.relative_to(SAMPLE).as_posix() for p in SAMPLE.rglob("*") if p.suffix in (".xlsx", ".csv")
    }
    assert set().union(*by_kind.values()) == spreadsheets
    assert set(by_kind) == {"trainees", "leaders", "attendance", "supervision", "portfolio"}
    totals = {k: sum(s[k] for s in progress["sources"]) for k in OUTCOMES}
    assert {k: v for k, v in totals.items() if k != "accepted"} == {
        "rejected": 2,
        "duplicate": 1,
        "future": 1,
        "absent": 0,
    }


def test_other_sheets_agree_with_progress_json(report: tuple[dict, Path]) -> None:
    progress, folder = report
    sheets = _sheets(folder)
    trainees = progress["trainees"]
    overview = [
        dict(zip(SHEET_HEADERS["Overview"], r, strict=True)) for r in sheets["Overview"][1:]
    ]
    assert [(r["Trainee ID"], r["Overall"]) for r in overview] == [
        (t["trainee_id"], OVERALL_WORDS[t["overall"]]) for t in trainees
    ]
    assert [r[3] for r in sheets["Requirements"][1:]] == [
        STATUS_WORDS[r["status"]] for t in trainees for r in t["requirements"].values()
    ]
    assert [(r[0], r[2]) for r in sheets["Advisories"][1:]] == [
        (t["trainee_id"], advice_words(code)) for t in trainees for code in t["advisories"]
    ]
    assert len(sheets["Data issues"]) - 1 == len(progress["issues"])
    assert sheets["Changes"][1:] == []  # the first report in OUT has nothing to compare with


def test_each_trainee_has_the_documented_outcome(report: tuple[dict, Path]) -> None:
    progress, _ = report
    got = {
        t["trainee_id"]: (t["name"], t["status"], t["overall"], t["advisories"])
        for t in progress["trainees"]
    }
    assert got == EXPECTED
    assert [t["ruleset"] for t in progress["trainees"]] == ["uk-2019"] * len(EXPECTED)


def test_every_advice_code_and_overall_status_is_illustrated() -> None:
    # All but r2's signoff_not_by_supervisor, which no sample trainee has (test_rules_r2.py)
    codes = {code for *_, advice in EXPECTED.values() for code in advice}
    assert codes == {
        "single_setting",
        "solo_leading_only",
        "no_accredited_coleader",
        "no_two_day_event",
        "no_supervision",
        "ineligible_supervisor",
        "large_supervision_group",
        "coleader_not_in_supervision",
        "triangulation_missing",
    }
    assert {overall for _, _, overall, _ in EXPECTED.values()} == {
        "ready",
        "in_progress",
        "needs_data",
    }
    assert {"paused", "withdrawn"} <= {status for _, status, _, _ in EXPECTED.values()}


def test_readme_table_matches_the_expected_outcomes() -> None:
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    documented = {}
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and re.fullmatch(r"T\d\d", cells[0]):
            advice = re.findall(r"`([a-z_]+)`", cells[4])
            documented[cells[0]] = (cells[1], cells[2], cells[3], advice)
    assert documented == EXPECTED


def test_the_requirements_the_readme_points_at(report: tuple[dict, Path]) -> None:
    progress, _ = report
    req = {t["trainee_id"]: t["requirements"] for t in progress["trainees"]}
    # the misspelt row is rejected, so one of Priya's 20 sessions is missing until it is fixed
    assert (req["T04"]["co_leading"]["status"], req["T04"]["co_leading"]["achieved"]) == (
        "not_met",
        19,
    )
    # the impossible date rejects one of Jonathan's 17
    assert req["T20"]["co_leading"]["achieved"] == 16
    # the row typed twice counts once: exactly 20
    assert (req["T18"]["co_leading"]["status"], req["T18"]["co_leading"]["achieved"]) == (
        "met",
        20,
    )
    # 4 member sessions before Kwame's training start do not count, the 8 after do
    assert (req["T16"]["membership"]["status"], req["T16"]["membership"]["achieved"]) == (
        "met",
        8,
    )
    # Sophie: only 2 member sessions, but 2 weekends as an ordinary member
    assert req["T17"]["membership"]["status"] == "met"
    weekends = "2 Balint Society weekends as an ordinary group member (2 needed)"
    assert weekends in req["T17"]["membership"]["detail"]
    # a weekend logged one row per day is one event, and a two-day one (Sophie: 3 + 2 sessions)
    assert req["T17"]["co_leading"]["achieved"] == 15
    assert req["T06"]["leadership_training"]["achieved"] == 2
    # Daniel written "O'Connor, Daniel" in the CSV: 16 + 4 sessions
    assert req["T10"]["membership"]["achieved"] == 20
    assert req["T09"]["membership"] == {
        "status": "cannot_assess",
        "achieved": None,
        "target": 8,
        "detail": req["T09"]["membership"]["detail"],
        "route": None,  # no route's numbers can be shown until the answer is known
        "forecast": None,
    }
    assert req["T07"]["supervision"]["status"] == "met"
    assert {r["status"] for r in req["T15"].values()} == {"met"}


def test_one_letter_per_active_or_paused_trainee(report: tuple[dict, Path]) -> None:
    _, folder = report
    expected = sorted(
        f"{trainee_id}.{ext}"
        for trainee_id, (_, status, _, _) in EXPECTED.items()
        if status in ("active", "paused")
        for ext in ("html", "txt")
    )
    assert sorted(p.name for p in (folder / "letters").iterdir()) == expected


def test_letters_use_the_config_and_show_one_trainee_only(report: tuple[dict, Path]) -> None:
    _, folder = report
    names = {trainee_id: name for trainee_id, (name, *_) in EXPECTED.items()}
    for letter in (folder / "letters").glob("*.txt"):
        text = letter.read_text(encoding="utf-8")
        assert names[letter.stem] in text
        assert "The Balint Society (fictional sample)" in text
        assert "leadership-team@example.org" in text
        others = [n for i, n in names.items() if i != letter.stem and n in text]
        assert others == [], letter.name


# Each mistake's column as the file's header spells it, to look the cell up in the file itself.
FILE_HEADERS = [
    "Date",
    "Name",
    "Date",
    "Email",
    "Email",
    "Reference received",
    "How",
    "Session date",
]


def _cell(relative: str, sheet: str, row: int, header: str) -> object:
    """The value the spreadsheet shows at `row` (1-based) under `header`."""
    path = SAMPLE / relative
    if path.suffix == ".csv":
        text = decode_csv(path.read_bytes())
        delimiter = ";" if ";" in text.splitlines()[0] else ","
        rows: list[list] = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    else:
        book = openpyxl.load_workbook(path, read_only=True)
        rows = [list(r) for r in book[sheet].iter_rows(values_only=True)]
    header_row = next(r for r in rows if header in r)
    value = rows[row - 1][header_row.index(header)]
    return f"{value:%Y-%m-%d}" if hasattr(value, "strftime") else value


def test_deliberate_mistakes_are_in_data_issues_where_they_are(report: tuple[dict, Path]) -> None:
    progress, folder = report
    in_json = [
        (i["severity"], i["file"], i["sheet"], i["row"], i["column"], i["value"], i["problem"])
        for i in progress["issues"]
        if i["severity"] in ("error", "warning")
    ]
    in_sheet = [
        (r[0].lower(), r[1], r[2] or "", r[3], r[4], r[5], r[6])
        for r in _sheets(folder)["Data issues"][1:]
        if r[0] in ("Error", "Warning")
    ]
    # progress.json names the column as we do; the sheet as the spreadsheet's heading does,
    # with its letter, so the team can find the cell.
    assert [f[:6] for f in in_json] == [m[:6] for m in MISTAKES]
    assert [f[:4] + f[5:6] for f in in_sheet] == [m[:4] + m[5:6] for m in MISTAKES]
    assert [re.sub(r" \([A-Z]+\)$", "", f[4]) for f in in_sheet] == FILE_HEADERS
    for found in (in_json, in_sheet):
        for issue, mistake in zip(found, MISTAKES, strict=True):
            assert mistake[6] in issue[6], issue
    # The row numbers are the spreadsheet's own: the file holds the value at that row.
    for (_, relative, sheet, row, _, value, _), header in zip(MISTAKES, FILE_HEADERS, strict=True):
        assert _cell(relative, sheet, row, header) == value, (relative, row)
    okafor = "attendance/okafor_thursday_gp_group.xlsx"
    assert [_cell(okafor, "Register", r, "Participant") for r in (164, 165)] == ["Rhys Evans"] * 2
    assert _cell(okafor, "Register", 164, "Date") == _cell(okafor, "Register", 165, "Date")


def test_progress_json_is_plain_utf8_with_names_intact(report: tuple[dict, Path]) -> None:
    _, folder = report
    text = (folder / "progress.json").read_text(encoding="utf-8")
    assert "Siân Pritchard" in text and "José Álvarez" in text
    assert json.loads(text)["as_of"] == AS_OF


def test_the_run_says_who_is_on_the_pathway_and_who_is_not(tmp_path: Path) -> None:
    # The accredited T13 is "ready" by the rules but no application to consider, and the
    # withdrawn T12 is not in progress: the line the team reads counts them apart.
    result = run_cli("run", SAMPLE, "--out", tmp_path / "out", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].endswith(
        ": 18 trainees on the pathway (3 ready, 13 in progress, 2 need data), "
        "1 accredited, 1 withdrawn."
    )
