"""Nothing silently misread or dropped (issue 11, items 1, 2, 4, 8, 9): near-miss sheets,
month-first columns, register copies, `check` on files, and dates typed day first."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from balint_reports.inbox import ignored_by
from balint_reports.normalise import decide_date_order
from balint_reports.values import parse_date

from ..conftest import TRAINEE_HEADER, run_cli, run_report, trainee_row, write_csv, write_xlsx

REGISTERS = {
    "Trainees": [
        TRAINEE_HEADER,
        trainee_row("T1", "Jane Smith", psychodynamic_training="no"),
        trainee_row("T2", "Priya Sharma", psychodynamic_training="no"),
    ],
    "Leaders": [["leader_id", "name", "accredited"], ["L1", "Ann Leader", "yes"]],
}

# A group leader's December register, as received: "Date of session" is no known heading.
LEADERS_SHEET = [
    ["Tuesday group, December 2026"],
    ["Name", "Date of session", "Role", "Group", "Co-leader", "Comments"],
    ["Jane Smith", "01/12/2026", "member", "Tuesday", "", ""],
    ["Priya Sharma", "01/12/2026", "member", "Tuesday", "", ""],
    ["Jane Smith", "08/12/2026", "member", "Tuesday", "", "late"],
    [],
    ["Priya Sharma", "08/12/2026", "member", "Tuesday", "", ""],
    ["Jane Smith", "15/12/2026", "member", "Tuesday", "", ""],
]


@pytest.fixture
def registered(inbox: Path) -> Path:
    write_xlsx(inbox / "registers.xlsx", REGISTERS)
    return inbox


def issues_about(progress: dict, file: str) -> list[dict]:
    return [i for i in progress["issues"] if i["file"] == file]


def source(progress: dict, file: str, sheet: str = "") -> dict:
    return next(s for s in progress["sources"] if s["file"] == file and s["sheet"] == sheet)


def membership(progress: dict, trainee_id: str) -> float | None:
    trainee = next(t for t in progress["trainees"] if t["trainee_id"] == trainee_id)
    return trainee["requirements"]["membership"]["achieved"]


# --- 1. near-miss sheets ---------------------------------------------------------------------


def test_a_sheet_missing_one_heading_is_an_error_with_the_line_that_fixes_it(
    registered: Path, tmp_path: Path
) -> None:
    write_xlsx(registered / "attendance" / "december.xlsx", {"Tuesday": LEADERS_SHEET})
    progress = run_report(registered, tmp_path / "out", as_of="2026-12-31")
    [error] = issues_about(progress, "attendance/december.xlsx")
    assert error["severity"] == "error"
    assert (error["sheet"], error["row"], error["column"]) == ("Tuesday", 2, "date")
    assert error["value"] == "Date of session"
    problem = error["problem"]
    assert "looks like attendance but has no date column" in problem
    assert "none of its 5 rows could be read" in problem
    assert "Name, Date of session, Role, Group, Co-leader, Comments" in problem
    assert 'add the line "Date of session" = "date" under [columns.attendance]' in problem
    # The loss shows in Sources: five rows read, five rejected.
    counts = source(progress, "attendance/december.xlsx", "Tuesday")
    assert counts["kind"] == "attendance"
    assert (counts["rows_read"], counts["rejected"], counts["accepted"]) == (5, 5, 0)

    result = run_cli("check", registered, "--as-of", "2026-12-31")
    assert result.exit_code == 1, result.output
    assert "1 error, 0 warnings." in result.output
    assert "A run now would leave out 5 rows" in result.output

    # The line it gives, added to the config, makes the sheet read.
    (registered / "balint.toml").write_text(
        '[columns.attendance]\n"Date of session" = "date"\n', encoding="utf-8"
    )
    progress = run_report(registered, tmp_path / "out2", as_of="2026-12-31")
    assert source(progress, "attendance/december.xlsx", "Tuesday")["accepted"] == 5
    assert membership(progress, "T1") == 3
    assert run_cli("check", registered, "--as-of", "31/12/2026").exit_code == 0


def test_a_near_miss_without_a_close_heading_says_how_to_map_one(
    registered: Path, tmp_path: Path
) -> None:
    write_csv(
        registered / "log.csv",
        [["Supervisee", "Supervisor", "Hours", "Venue", "Colour"], ["T1", "L1", "1", "x", "y"]],
    )
    # One unknown heading is taken as the one meant; several unlike the column are not guessed.
    write_csv(registered / "one.csv", [["Name", "When", "Role"], ["T1", "05/03/2025", "member"]])
    progress = run_report(registered, tmp_path / "out")
    [error] = issues_about(progress, "log.csv")
    assert error["severity"] == "error" and error["column"] == "date"
    assert "looks like supervision" in error["problem"]
    assert '"<that heading>" = "date" under [columns.supervision]' in error["problem"]
    assert error["value"] == ""
    [error] = issues_about(progress, "one.csv")
    assert '"When" = "date" under [columns.attendance]' in error["problem"]
    assert "so its one row could not be read" in error["problem"]
    assert source(progress, "one.csv")["rejected"] == 1


def test_a_sheet_missing_two_headings_close_to_its_own_is_an_error_for_each(
    registered: Path, tmp_path: Path
) -> None:
    """A supervisor's own log: only Supervisor is a known heading, but "Name of supervisee" and
    "Date of session" are plainly the other two. It once vanished into a note ("closest to
    trainees"), its sessions missing from the letters with no error to say so."""
    log = [
        ["Supervision record kept by Ann Leader"],
        ["Name of supervisee", "Date of session", "Length (hours)", "Supervisor"],
        ["Jane Smith", "02/12/2026", 1, "Ann Leader"],
        ["Priya Sharma", "09/12/2026", 1.5, "Ann Leader"],
    ]
    write_xlsx(registered / "supervision" / "december.xlsx", {"Dec": log})
    progress = run_report(registered, tmp_path / "out", as_of="2026-12-31")
    errors = issues_about(progress, "supervision/december.xlsx")
    assert [(e["severity"], e["column"], e["value"]) for e in errors] == [
        ("error", "trainee", "Name of supervisee"),
        ("error", "date", "Date of session"),
    ]
    assert (
        "looks like supervision but has no trainee column (nor a date column: each"
        in (errors[0]["problem"])
    )
    assert (
        'add the line "Date of session" = "date" under [columns.supervision]'
        in (errors[1]["problem"])
    )
    counts = source(progress, "supervision/december.xlsx", "Dec")
    assert counts["kind"] == "supervision"
    assert (counts["rows_read"], counts["rejected"]) == (2, 2)  # counted once, not per error

    (registered / "balint.toml").write_text(
        '[columns.supervision]\n"Name of supervisee" = "trainee"\n"Date of session" = "date"\n',
        encoding="utf-8",
    )
    progress = run_report(registered, tmp_path / "out2", as_of="2026-12-31")
    assert source(progress, "supervision/december.xlsx", "Dec")["accepted"] == 2


@pytest.mark.parametrize(
    "headings",
    [
        # nothing like a trainee or a date beside the Supervisor column
        ["Supervisor", "Room", "Notes"],
        # who supervises whom, not when they met: "Date allocated" is no session's date
        ["Supervisee name", "Supervisor", "Date allocated", "Notes"],
        # a membership list: Name and Date joined are on every list, Type on many
        ["Name", "Email", "Membership type", "Date joined"],
        # a list of supervisors: "supervisees" counts them, and no date is a session's
        ["Supervisor", "Email", "Number of supervisees", "Date accredited"],
        # a contact list: its only known heading is Name, which every list has
        ["Name", "Supervisor email", "Date of next session"],
        # headings that could be the trainee and the date more than one way
        ["Supervisor", "Supervisee name", "Supervisee session date", "Date of session"],
    ],
)
def test_a_sheet_missing_two_headings_without_one_of_its_own_for_each_stays_a_note(
    registered: Path, tmp_path: Path, headings: list[str]
) -> None:
    write_xlsx(registered / "list.xlsx", {"List": [headings, ["x"] * len(headings)]})
    progress = run_report(registered, tmp_path / "out")
    [note] = issues_about(progress, "list.xlsx")
    assert note["severity"] == "info", note
    assert source(progress, "list.xlsx", "List")["kind"] == "ignored"


def test_a_sheet_far_from_every_kind_is_still_only_a_note(registered: Path, tmp_path: Path) -> None:
    # Two of attendance's three required columns are missing: a catering list, not a register.
    write_xlsx(registered / "weekend.xlsx", {"Catering": [["Name", "Diet"], ["Jane", "vegan"]]})
    progress = run_report(registered, tmp_path / "out")
    [note] = issues_about(progress, "weekend.xlsx")
    assert note["severity"] == "info"
    assert source(progress, "weekend.xlsx", "Catering")["kind"] == "ignored"
    assert run_cli("check", registered, "--as-of", "2026-11-30").exit_code == 0


def test_a_weekend_register_of_delegates_is_read_as_attendance(
    registered: Path, tmp_path: Path
) -> None:
    """Weekend organisers head their lists "Delegate name" or "Delegate": read as the trainee
    column, not an error asking for a line in balint.toml; their days may name the weekday."""
    weekend = [
        ["Leadership training weekend, Oxford, November 2026"],
        ["Delegate name", "Date", "Attended as", "Weekend"],
        ["Jane Smith", "Sat 14 Nov 2026", "leadership weekend", "Oxford weekend"],
        ["Priya Sharma", "14/11/2026", "leadership weekend", "Oxford weekend"],
    ]
    write_xlsx(registered / "weekends" / "oxford.xlsx", {"Delegates": weekend})
    write_csv(
        registered / "day.csv",
        [["Delegate", "Date", "Role"], ["Jane Smith", "21/11/2026", "leadership day"]],
    )
    progress = run_report(registered, tmp_path / "out", as_of="2026-11-30")
    assert issues_about(progress, "weekends/oxford.xlsx") == []
    assert source(progress, "weekends/oxford.xlsx", "Delegates")["accepted"] == 2
    assert source(progress, "day.csv")["accepted"] == 1


def test_a_grid_register_is_an_error_that_says_how_to_lay_it_out(
    registered: Path, tmp_path: Path
) -> None:
    """Names down, session dates across, a tick for each session: how many group leaders keep a
    register. No heading mapping reads it; as a note ("closest to trainees but missing
    trainee_id") its sessions were lost from the letters with nothing saying why."""
    grid = [
        ["Thursday group, December 2026"],
        ["Name", dt.datetime(2026, 12, 3), "10/12/2026", "17 Dec 2026", "Comments"],
        ["Jane Smith", "✓", "✓", "", ""],
        ["Priya Sharma", "✓", "", "✓", "new"],
        [],
        ["Total", 2, 1, 1, ""],
    ]
    write_xlsx(registered / "attendance" / "thursday.xlsx", {"Register": grid})
    # a log of supervision sessions kept the same way, by a supervisor
    weeks = [f"{day:02}/12/2026" for day in range(1, 8)]
    write_csv(
        registered / "supervision.csv",
        [["Supervisee", *weeks], ["Jane Smith", "1", "1.5", "", "", "", "", ""]],
    )
    progress = run_report(registered, tmp_path / "out", as_of="2026-12-31")
    [error] = issues_about(progress, "attendance/thursday.xlsx")
    assert (error["severity"], error["sheet"], error["row"]) == ("error", "Register", 2)
    assert error["value"] == "2026-12-03"
    assert error["problem"].startswith(
        "this sheet is a grid, names down and dates across (2026-12-03, 10/12/2026, 17 Dec "
        "2026), so none of its 3 rows could be read: attendance is read as one row per person "
        "per session, under the headings trainee, date, activity."
    )
    assert "balint-reports template attendance.xlsx --kind attendance" in error["problem"]
    lost = source(progress, "attendance/thursday.xlsx", "Register")
    assert (lost["kind"], lost["rows_read"], lost["rejected"]) == ("attendance", 3, 3)
    [error] = issues_about(progress, "supervision.csv")
    assert "supervision is read as one row per person per session" in error["problem"]
    assert "trainee, supervisor, date" in error["problem"]
    assert (
        "dates across (01/12/2026, 02/12/2026, 03/12/2026, 04/12/2026, 3 more)"
        in (error["problem"])
    )
    assert membership(progress, "T1") == 0
    result = run_cli("check", registered, "--as-of", "31/12/2026")
    assert result.exit_code == 1
    assert "A run now would leave out 4 rows" in " ".join(result.output.split())


def test_a_grid_with_a_role_column_is_a_grid_not_a_register_missing_its_dates(
    registered: Path, tmp_path: Path
) -> None:
    """A weekend's organisers keep a column saying how each came, then the dates: the row holds
    the trainee and activity headings but no date heading. Told to map a heading to `date`,
    the team could not have made it read; told it is a grid, they can."""
    grid = [
        ["Name", "Attended as", dt.datetime(2026, 12, 5), dt.datetime(2026, 12, 6), "Total"],
        ["Jane Smith", "Leadership weekend", "✓", "✓", 2],
    ]
    write_xlsx(registered / "weekend.xlsx", {"Delegates": grid})
    progress = run_report(registered, tmp_path / "out", as_of="2026-12-31")
    [error] = issues_about(progress, "weekend.xlsx")
    assert error["problem"].startswith(
        "this sheet is a grid, names down and dates across (2026-12-05, 2026-12-06), so its one "
        "row could not be read"
    )
    assert '= "date"' not in error["problem"]


def _letter(out: Path, trainee_id: str) -> str:
    return (out / "2026-12" / "letters" / f"{trainee_id}.txt").read_text(encoding="utf-8")


def test_the_rows_of_a_sheet_that_could_not_be_read_are_in_the_letters_of_whom_they_name(
    registered: Path, tmp_path: Path
) -> None:
    """A trainee whose sessions are in a near-miss or a grid sheet was told how many sessions
    are left as if those were not there: their letter now says that rows naming them wait on a
    fix, and a row under a name like theirs that it may be theirs. Nobody else's letter does."""
    supervised = {**REGISTERS, "Trainees": [REGISTERS["Trainees"][0]]}
    supervised["Trainees"].append(trainee_row("T1", "Jane Smith", supervisor="L1"))
    supervised["Trainees"].append(trainee_row("T2", "Priya Sharma", supervisor="L1"))
    write_xlsx(registered / "registers.xlsx", supervised)
    write_xlsx(registered / "attendance" / "december.xlsx", {"Tuesday": LEADERS_SHEET})
    grid = [
        ["Name", "03/12/2026", "10/12/2026"],
        ["Priya Sharma", "x", "x"],
        ["Jane Smyth", "x", ""],  # misspelt: it may be Jane Smith's
        ["Total", 2, 1],
    ]
    write_xlsx(registered / "attendance" / "thursday.xlsx", {"Register": grid})
    # the column missing is the trainee's own: nobody can be told
    write_csv(registered / "nameless.csv", [["Who", "Date", "Role"], ["Jane Smith", "01/12/2026"]])
    out = tmp_path / "out"
    progress = run_report(registered, out, as_of="2026-12-31")
    [error] = issues_about(progress, "nameless.csv")
    assert (error["code"], error["column"]) == ("near_miss_sheet", "trainee")
    jane, priya = _letter(out, "T1"), _letter(out, "T2")
    assert "Some records that may be yours could not be counted yet because of a" in jane
    assert "Some of your records could not be counted yet because of a mistake" in priya
    assert (
        "3 rows in attendance/december.xlsx naming you could not be counted because of a "
        "mistake in the spreadsheet" in " ".join(jane.split())
    )
    assert "1 row in attendance/thursday.xlsx has a name like yours" in " ".join(jane.split())
    assert "2 rows in attendance/december.xlsx naming you" in " ".join(priya.split())
    assert "1 row in attendance/thursday.xlsx naming you" in " ".join(priya.split())
    assert "name like yours" not in priya and "nameless.csv" not in jane + priya
    # and to her supervisor, as no data issue is about her
    digest = " ".join((out / "2026-12" / "digests" / "L1.txt").read_text(encoding="utf-8").split())
    assert (
        "2 rows in attendance/december.xlsx naming Priya Sharma could not be read, because of a "
        "mistake in how the spreadsheet is laid out: they do not count until the leadership team "
        "has corrected it." in digest
    )
    assert "1 row in attendance/thursday.xlsx naming Priya Sharma" in digest
    assert (
        "1 row in attendance/thursday.xlsx has a name like Jane Smith's that is not in the "
        "register, in a sheet that could not be read because of a mistake in how it is laid "
        "out: it does not count until the leadership team has corrected the sheet and the name."
        in digest
    )
    # the same from the cache, when the files are unchanged
    run_report(registered, out, "--replace", as_of="2026-12-31")
    assert (_letter(out, "T1"), _letter(out, "T2")) == (jane, priya)


@pytest.mark.parametrize(
    "headings",
    [
        ["Name", "1", "2", "3"],  # sessions numbered, not dated: a grid we cannot tell from a list
        ["Name", "Date joined", "03/12/2026"],  # one date: a heading for notes made that day
        ["Colour", "03/12/2026", "10/12/2026"],  # dates, but no column of people
    ],
)
def test_a_sheet_is_a_grid_only_with_a_person_column_and_two_dated_headings(
    registered: Path, tmp_path: Path, headings: list[str]
) -> None:
    write_csv(registered / "sheet.csv", [headings, ["Jane Smith", "x", "x", "x"][: len(headings)]])
    progress = run_report(registered, tmp_path / "out")
    [note] = issues_about(progress, "sheet.csv")
    assert note["severity"] == "info" and note["code"] == "sheet_not_used"


def test_a_grid_with_no_names_yet_is_a_blank_register_not_an_error(
    registered: Path, tmp_path: Path
) -> None:
    """Nothing is lost from a grid's heading row alone (a register ready for the month), and
    a data row (`member` and two dates) is not taken for one."""
    write_csv(registered / "blank.csv", [["Name", "03/12/2026", "10/12/2026"]])
    write_csv(registered / "list.csv", [["Notes"], ["member", "05/03/2025", "06/03/2025"]])
    progress = run_report(registered, tmp_path / "out")
    for file in ("blank.csv", "list.csv"):
        [note] = issues_about(progress, file)
        assert (note["severity"], note["code"]) == ("info", "sheet_not_used"), note


def test_run_and_check_name_the_sheets_they_did_not_read(registered: Path, tmp_path: Path) -> None:
    """A sheet that fits no kind is a note, as SPEC 2.1 says; a weekend organiser's register
    headed "Delegate, Day, Group role" is one, and a note alone is easily missed."""
    write_xlsx(registered / "weekend.xlsx", {"Catering": [["Name", "Diet"], ["Jane", "vegan"]]})
    write_csv(
        registered / "oxford.csv",
        [["Delegate", "Day", "Group role", "Sessions"], ["Jane Smith", "9/12/2026", "member", 5]],
    )

    def printed(*arguments: object) -> str:
        result = run_cli(*arguments, registered, "--as-of", "2026-12-31")
        assert result.exit_code == 0, result.output
        return " ".join(result.output.split())  # as one line, however the terminal wraps it

    assert (
        "2 sheets fit no kind of record and were not read: oxford.csv, weekend.xlsx (Catering). "
        "If one holds records, name its headings under [columns.<kind>] in balint.toml (their "
        "notes in Data issues say which kind each came closest to)."
    ) in printed("run", "--out", tmp_path / "out")
    (registered / "oxford.csv").unlink()
    assert (
        "1 sheet fits no kind of record and was not read: weekend.xlsx (Catering). If it holds "
        "records, name its headings under [columns.<kind>] in balint.toml (its note above says "
        "which kind it came closest to)."
    ) in printed("check")


def test_inbox_ignore_globs_skip_files_and_list_them_as_ignored(
    registered: Path, tmp_path: Path
) -> None:
    write_csv(
        registered / "a.csv", [["trainee", "date", "activity"], ["T1", "05/03/2025", "member"]]
    )
    write_csv(
        registered / "old" / "2024.csv", [["trainee", "date", "activity"], ["T1", "x", "member"]]
    )
    write_xlsx(registered / "sub" / "registers - Copy.xlsx", REGISTERS)
    (registered / "balint.toml").write_text(
        '[inbox]\nignore = ["old", "* - COPY.xlsx"]\n', encoding="utf-8"
    )
    progress = run_report(registered, tmp_path / "out")
    for name in ("old/2024.csv", "sub/registers - Copy.xlsx"):
        assert source(progress, name) == {
            "file": name,
            "sheet": "",
            "kind": "ignored",
            "rows_read": 0,
            "accepted": 0,
            "rejected": 0,
            "duplicate": 0,
            "future": 0,
            "absent": 0,
        }
        assert issues_about(progress, name) == []
    assert membership(progress, "T1") == 1
    assert [i for i in progress["issues"] if i["severity"] != "info"] == []


def test_inbox_ignore_must_be_a_list_of_patterns(registered: Path, tmp_path: Path) -> None:
    (registered / "balint.toml").write_text('[inbox]\nignore = "old"\n', encoding="utf-8")
    result = run_cli("run", registered, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "[inbox] ignore must be a list of file patterns in quotes" in result.output


# --- 2. month-first columns ------------------------------------------------------------------

# Each row's sessions are a power of two, so the sum counted says exactly which rows counted.
GOOGLE_EXPORT = [
    ["trainee", "date", "activity", "sessions"],
    ["T1", "11/3/2026", "member", "1"],
    ["T1", "11/10/2026", "member", "2"],
    ["T1", "11/17/2026", "member", "4"],
    ["T1", "11/24/2026", "member", "8"],
    ["T1", "11/12/2026", "member", "16"],
    ["T1", "2026-11-05", "member", "32"],
]


def test_a_column_with_a_date_only_valid_month_first_is_read_month_first(
    registered: Path, tmp_path: Path
) -> None:
    write_csv(registered / "google.csv", GOOGLE_EXPORT)
    progress = run_report(registered, tmp_path / "out", as_of="2026-11-20")
    # 3, 10, 17, 12 and 5 November count; 24 November is after the report date.
    assert membership(progress, "T1") == 1 + 2 + 4 + 16 + 32
    [warning] = [i for i in issues_about(progress, "google.csv") if i["row"] == 1]
    assert (warning["severity"], warning["column"], warning["value"]) == (
        "warning",
        "date",
        "11/17/2026",
    )
    assert "read month first" in warning["problem"]
    assert 'order = "day-first" under [dates]' in warning["problem"]
    [future] = [i for i in issues_about(progress, "google.csv") if i["row"] == 5]
    assert future["value"] == "2026-11-24"
    assert source(progress, "google.csv")["future"] == 1


def test_month_first_is_decided_per_workbook_and_never_touches_real_dates(
    registered: Path, tmp_path: Path
) -> None:
    """A US-style workbook's October sheet shows it (11/17/2026); its September sheet's dates
    are real both ways and are read as the workbook writes them, with a warning naming the sheet
    that shows it. A workbook with a date real only day first anywhere is day first throughout."""
    header = ["trainee", "date", "activity", "sessions"]
    write_xlsx(
        registered / "us.xlsx",
        {
            "US": [
                header,
                ["T1", "11/17/2026", "member", 1],
                ["T1", "11/3/2026", "member", 2],
                # A real date cell: 1 December, after the report date whatever the column says.
                ["T1", dt.datetime(2026, 12, 1), "member", 4],
            ],
            # 3 December month first: after the report date; 12 March day first
            "Earlier": [header, ["T2", "12/3/2026", "member", 8]],
        },
    )
    write_xlsx(
        registered / "mixed.xlsx",
        {
            "One": [header, ["T1", "11/18/2026", "member", 16]],
            "Two": [header, ["T1", "25/10/2026", "member", 32], ["T2", "12/3/2026", "member", 64]],
        },
    )
    progress = run_report(registered, tmp_path / "out", as_of="2026-11-20")
    # the mixed workbook is day first: its 11/18/2026 is a slip to correct
    assert membership(progress, "T1") == 1 + 2 + 32
    assert membership(progress, "T2") == 64  # 12 March, from the mixed workbook only
    assert source(progress, "us.xlsx", "US")["future"] == 1
    assert source(progress, "us.xlsx", "Earlier")["future"] == 1
    warnings = {
        i["sheet"]: i for i in issues_about(progress, "us.xlsx") if "month first" in i["problem"]
    }
    assert sorted((s, w["column"], w["value"]) for s, w in warnings.items()) == [
        ("Earlier", "date", "11/17/2026"),
        ("US", "date", "11/17/2026"),
    ]
    assert warnings["US"]["problem"].startswith("the date column has dates written month first")
    assert warnings["Earlier"]["problem"].startswith(
        "the date column's dates are read month first, as sheet US of this workbook shows "
        "('11/17/2026' can only be 17 November 2026)"
    )
    [slip] = issues_about(progress, "mixed.xlsx")
    assert (slip["sheet"], slip["severity"], slip["value"]) == ("One", "error", "11/18/2026")
    assert "(dates are day first)" in slip["problem"]


def test_a_column_with_evidence_both_ways_stays_day_first(registered: Path, tmp_path: Path) -> None:
    write_csv(
        registered / "mixed.csv",
        [
            ["trainee", "date", "activity"],
            ["T1", "25/10/2026", "member"],
            ["T1", "11/17/2026", "member"],
            ["T1", "11/10/2026", "member"],
        ],
    )
    progress = run_report(registered, tmp_path / "out")
    issues = issues_about(progress, "mixed.csv")
    assert [(i["severity"], i["row"], i["value"]) for i in issues] == [("error", 3, "11/17/2026")]
    assert "has no month 17 (dates are day first)" in issues[0]["problem"]
    assert membership(progress, "T1") == 2


@pytest.mark.parametrize(
    ("order", "counted", "errors"),
    [
        ("day-first", 1 + 2 + 16 + 32, 2),  # 11 Mar, 11 Oct, 11 Dec; 11/17 and 11/24 wrong
        ("month-first", 1 + 2 + 4 + 16 + 32, 0),  # 24 Nov is future at 2026-11-20
    ],
)
def test_dates_order_in_the_config_overrides_the_columns(
    registered: Path, tmp_path: Path, order: str, counted: int, errors: int
) -> None:
    write_csv(registered / "google.csv", GOOGLE_EXPORT)
    (registered / "balint.toml").write_text(f'[dates]\norder = "{order}"\n', encoding="utf-8")
    as_of = "2026-12-20" if order == "day-first" else "2026-11-20"
    progress = run_report(registered, tmp_path / "out", as_of=as_of)
    issues = issues_about(progress, "google.csv")
    assert membership(progress, "T1") == counted
    assert sum(i["severity"] == "error" for i in issues) == errors
    assert not any("read month first" in i["problem"] for i in issues)


def test_an_unknown_dates_order_is_refused(registered: Path, tmp_path: Path) -> None:
    (registered / "balint.toml").write_text('[dates]\norder = "US"\n', encoding="utf-8")
    result = run_cli("check", registered)
    assert result.exit_code == 1
    assert "[dates] order = 'US': use one of" in result.output


# --- 4. register conflicts and copies --------------------------------------------------------


def test_a_stale_register_copy_is_named_and_each_conflict_says_which_value_won(
    inbox: Path, tmp_path: Path
) -> None:
    current = {
        "Trainees": [
            TRAINEE_HEADER,
            trainee_row("T1", "Jane Smith", status="withdrawn"),
            trainee_row("T2", "Priya Sharma"),
            trainee_row("T3", "Ann Other"),
        ]
    }
    stale = {
        "Trainees": [
            TRAINEE_HEADER,
            trainee_row("T1", "Jane Smith", status="active"),
            trainee_row("T2", "Priya Sharma"),
            trainee_row("T3", "Ann Other"),
        ]
    }
    write_xlsx(inbox / "registers.xlsx", current)
    write_xlsx(inbox / "registers - Copy.xlsx", stale)
    progress = run_report(inbox, tmp_path / "out")
    [conflict] = [i for i in progress["issues"] if i["severity"] == "error"]
    assert (conflict["file"], conflict["sheet"], conflict["row"]) == (
        "registers.xlsx",
        "Trainees",
        2,
    )
    assert (conflict["column"], conflict["value"]) == ("status", "withdrawn")
    problem = conflict["problem"]
    assert "'withdrawn' here (registers.xlsx, sheet Trainees, row 2)" in problem
    assert "'active' at registers - Copy.xlsx, sheet Trainees, row 2" in problem
    assert "'active' is used because files are read in name order" in problem
    copies = [i for i in progress["issues"] if "hold mostly the same" in i["problem"]]
    assert len(copies) == 1
    assert copies[0]["severity"] == "warning"
    assert "registers - Copy.xlsx and registers.xlsx" in copies[0]["problem"]
    assert "3 trainee_ids in both" in copies[0]["problem"]
    # The remedy it names works: ignored, the copy no longer wins.
    (inbox / "balint.toml").write_text('[inbox]\nignore = ["* - Copy.xlsx"]\n', encoding="utf-8")
    progress = run_report(inbox, tmp_path / "out2")
    assert next(t for t in progress["trainees"] if t["trainee_id"] == "T1")["status"] == (
        "withdrawn"
    )
    assert not [i for i in progress["issues"] if i["severity"] in ("error", "warning")]


def test_a_conflict_names_the_row_a_filled_value_came_from(inbox: Path, tmp_path: Path) -> None:
    for name, email in (("a", ""), ("b", "jane@example.org"), ("c", "js@example.org")):
        write_xlsx(
            inbox / f"{name}.xlsx",
            {"Trainees": [TRAINEE_HEADER, trainee_row("T1", "Jane Smith", email=email)]},
        )
    progress = run_report(inbox, tmp_path / "out")
    [conflict] = [i for i in progress["issues"] if i["severity"] == "error"]
    assert conflict["file"] == "c.xlsx"
    assert "'jane@example.org' at b.xlsx, sheet Trainees, row 2" in conflict["problem"]
    # One shared id is an update, not a copy.
    assert not any("hold mostly the same" in i["problem"] for i in progress["issues"])


def test_registers_that_share_few_ids_are_not_called_copies(inbox: Path, tmp_path: Path) -> None:
    write_xlsx(
        inbox / "a.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                *(trainee_row(f"T{n}", f"Person {n}") for n in range(1, 6)),
            ]
        },
    )
    write_xlsx(
        inbox / "b.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                *(trainee_row(f"T{n}", f"Person {n}") for n in (1, 2, 6, 7, 8)),
            ]
        },
    )
    progress = run_report(inbox, tmp_path / "out")
    assert not any("hold mostly the same" in i["problem"] for i in progress["issues"])


# --- 8. check on files -----------------------------------------------------------------------

LONG_NAME = "Tuesday Balint group at St Luke's hospital - December 2026 register.xlsx"


def test_check_takes_files_and_folders_and_prints_whole_names(
    registered: Path, tmp_path: Path
) -> None:
    december = write_xlsx(
        registered / "attendance" / LONG_NAME,
        {"Sheet1": [["trainee", "date", "activity"], ["Jane Smyth", "01/12/2026", "member"]]},
    )
    # The registers as a file, the attendance as a file in a sub-folder: names as a run shows.
    result = run_cli("check", december, registered / "registers.xlsx", "--as-of", "31/12/2026")
    assert result.exit_code == 1, result.output
    assert "Checked 2 files, 3 sheets, 4 rows, as of 31 December 2026." in result.output
    assert "…" not in result.output
    lines = result.output.splitlines()
    [start] = [n for n, line in enumerate(lines) if line.startswith("error")]
    # The name wraps in its column: the column's lines put together give it whole.
    [header] = [line for line in lines if line.startswith("severity")]
    column = header.index("file")
    width = header.index("sheet") - column
    pieces = [lines[start][column : column + width].strip()]
    for line in lines[start + 1 :]:
        if not line.startswith(" "):
            break
        pieces.append(line[column : column + width].strip())
    assert len(pieces) > 1
    assert " ".join(pieces).replace("/ ", "/") == "attendance/" + LONG_NAME
    assert "did you mean Jane Smith (T1)?" in result.output
    assert "A run now would leave out 1 row" in result.output

    # Several folders and files at once, duplicates read once.
    other = write_csv(
        tmp_path / "elsewhere" / "extra.csv",
        [["trainee", "date", "activity"], ["T1", "02/12/2026", "member"]],
    )
    result = run_cli(
        "check", registered, other, registered / "registers.xlsx", "--as-of", "2026-12-31"
    )
    assert "Checked 3 files, 4 sheets, 5 rows" in result.output
    # Named from the folder they share, so files of different folders cannot be confused.
    [error] = [line for line in result.output.splitlines() if line.startswith("error")]
    assert error.split()[1] == "inbox/attendance/Tuesday"
    assert result.exit_code == 1


def test_check_on_a_file_uses_the_inbox_config_above_it(registered: Path) -> None:
    write_xlsx(registered / "attendance" / "december.xlsx", {"Tuesday": LEADERS_SHEET})
    december = registered / "attendance" / "december.xlsx"
    result = run_cli("check", december, registered / "registers.xlsx", "--as-of", "31 Dec 2026")
    assert result.exit_code == 1
    assert "attendance/december.xlsx" in result.output
    assert '"Date of session" = "date"' in result.output
    (registered / "balint.toml").write_text(
        '[columns.attendance]\n"Date of session" = "date"\n', encoding="utf-8"
    )
    result = run_cli("check", december, registered / "registers.xlsx", "--as-of", "31 Dec 2026")
    assert result.exit_code == 0, result.output
    assert f"Config: {registered / 'balint.toml'}" in result.output
    assert "Checked 2 files, 3 sheets, 8 rows, as of 31 December 2026." in result.output


def test_check_without_as_of_says_the_date_it_used_and_what_is_future(registered: Path) -> None:
    write_csv(
        registered / "next.csv",
        [["trainee", "date", "activity"], ["T1", "01/01/2099", "member"]],
    )
    result = run_cli("check", registered)
    assert result.exit_code == 0, result.output
    today = dt.date.today()
    assert f"as of {today.day} {today:%B %Y} (today)." in result.output
    assert "1 row dated after today would be left out" in result.output
    assert "--as-of 31/12/2026" in result.output


def test_check_exits_1_on_an_unreadable_file(registered: Path) -> None:
    (registered / "broken.xlsx").write_bytes(b"not a spreadsheet at all")
    result = run_cli("check", registered / "broken.xlsx", registered / "registers.xlsx")
    assert result.exit_code == 1
    assert "broken.xlsx" in result.output
    assert "A run now would leave out 1 unreadable file" in result.output


def test_check_on_the_registers_alone_does_not_blame_received_reports(inbox: Path) -> None:
    # Without the supervision logs every received report would seem to have no supervision
    # behind it; with them, the one really received before any session is still warned about.
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Jane Smith", supervisor="L1", reference_received="01/10/2026"),
                trainee_row("T2", "Priya Sharma", supervisor="L1", reference_received="01/10/2026"),
            ],
            "Leaders": [
                ["leader_id", "name", "accredited", "supervision_experience"],
                ["L1", "Ann Leader", "yes", "yes"],
            ],
        },
    )
    write_csv(
        inbox / "supervision" / "log.csv",
        [["trainee", "supervisor", "date", "hours"], ["T1", "L1", "01/09/2026", "1"]],
    )
    alone = run_cli("check", inbox / "registers.xlsx", "--as-of", "2026-11-30")
    assert "reference_received" not in alone.output, alone.output
    assert "No supervision log among these files" in alone.output
    both = run_cli("check", inbox, "--as-of", "2026-11-30")
    warned = [line for line in both.output.splitlines() if "reference_received" in line]
    assert len(warned) == 1 and "Trainees  3 " in warned[0], both.output
    assert "No supervision log" not in both.output


def test_issues_name_the_column_by_the_heading_the_sheet_shows(
    registered: Path, tmp_path: Path
) -> None:
    # A leader's own headings: the team and the leader look for "Date of session", not "date".
    (registered / "balint.toml").write_text(
        '[columns.attendance]\n"Date of session" = "date"\n', encoding="utf-8"
    )
    sheet = [*LEADERS_SHEET, ["Jane Smyth", "31/02/2026", "member", "Tuesday", "", ""]]
    write_xlsx(registered / "attendance" / "december.xlsx", {"Tuesday": sheet})
    progress = run_report(registered, tmp_path / "out", as_of="2026-12-31")
    found = {(i["row"], i["column"]) for i in issues_about(progress, "attendance/december.xlsx")}
    assert {(9, "trainee"), (9, "date")} <= found  # machines keep our names
    book = openpyxl.load_workbook(tmp_path / "out" / "2026-12" / "summary.xlsx", read_only=True)
    shown = {
        (row[3], row[4])
        for row in book["Data issues"].iter_rows(min_row=2, values_only=True)
        if row[1] == "attendance/december.xlsx"
    }
    assert {(9, "Name (A)"), (9, "Date of session (B)")} <= shown
    feedback = tmp_path / "out" / "2026-12" / "feedback" / "attendance__december.xlsx.txt"
    assert "Row 9 of sheet Tuesday, column Date of session (B): " in feedback.read_text("utf-8")
    checked = run_cli("check", registered, "--as-of", "2026-12-31")
    assert "Date of session (B)" in checked.output


# --- 9. --as-of as the team types it --------------------------------------------------------


@pytest.mark.parametrize("typed", ["31/12/2026", "31 Dec 2026", "31 December 2026", "2026-12-31"])
def test_as_of_accepts_dates_typed_day_first(registered: Path, tmp_path: Path, typed: str) -> None:
    result = run_cli("run", registered, "--out", tmp_path / "out", "--as-of", typed)
    assert result.exit_code == 0, result.output
    progress = json.loads((tmp_path / "out" / "2026-12" / "progress.json").read_text("utf-8"))
    assert progress["as_of"] == "2026-12-31"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12/31/2026", "'12/31/2026' has no month 31 (dates are day first)"),
        ("next week", "'next week' is not a date"),
        ("31/12/2926", "the year 2926 looks mistyped"),
    ],
)
def test_as_of_refuses_what_is_not_a_day_first_date(
    registered: Path, tmp_path: Path, typed: str, message: str
) -> None:
    result = run_cli("run", registered, "--out", tmp_path / "out", "--as-of", typed)
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "out").exists()


# --- below the CLI: the decisions on their own ----------------------------------------------


@pytest.mark.parametrize(
    ("cells", "setting", "expected"),
    [
        (
            ["11/3/2026", "11/17/2026", dt.datetime(2026, 1, 30)],
            "auto",
            ("month-first", "11/17/2026"),
        ),
        (["11/3/2026", "11/10/2026"], "auto", ("day-first", "")),  # no evidence: day first
        (["11/17/2026", "25/11/2026"], "auto", ("day-first", "")),  # evidence both ways
        (["31/02/2026", "2026-11-17", "17 Nov 2026"], "auto", ("day-first", "")),
        (["11/17/26"], "auto", ("month-first", "11/17/26")),
        (["11/17/2026"], "day-first", ("day-first", "")),
        (["11/3/2026"], "month-first", ("month-first", "")),
    ],
)
def test_decide_date_order(cells: list[object], setting: str, expected: tuple[str, str]) -> None:
    assert decide_date_order(cells, setting) == expected


def test_parse_date_reads_the_order_it_is_given() -> None:
    assert parse_date("11/3/2026", order="month-first") == (dt.date(2026, 11, 3), None)
    assert parse_date("11/3/2026") == (dt.date(2026, 3, 11), None)
    assert parse_date(dt.datetime(2026, 3, 11), order="month-first") == (dt.date(2026, 3, 11), None)
    assert "month first in this column" in (parse_date("17/11/2026", order="month-first")[1] or "")


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("3-Dec-26", dt.date(2026, 12, 3)),  # Excel's dd-mmm-yy, as it writes a CSV
        ("03-Dec-2026", dt.date(2026, 12, 3)),
        ("3 Dec 26", dt.date(2026, 12, 3)),
        ("Dec 3, 2026", dt.date(2026, 12, 3)),  # a month in words cannot be misread
        ("December 3rd 2026", dt.date(2026, 12, 3)),
        ("Thu Dec 3, 2026", dt.date(2026, 12, 3)),
        ("May 31 2026", dt.date(2026, 5, 31)),
    ],
)
def test_written_months_are_read_however_the_day_and_year_are_placed(
    typed: str, day: dt.date
) -> None:
    assert parse_date(typed) == (day, None)
    assert parse_date(typed, order="month-first") == (day, None)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Dec 2026", "'Dec 2026' is not a date"),  # no day
        ("3 Dec", "'3 Dec' is not a date"),  # no year
        ("Dec 3, 26", "'Dec 3, 26' is not a date"),  # month first needs the whole year
        ("31-Feb-26", "no day 31 in month 2"),
        ("Smarch 3, 2026", "is not a date"),
        ("Fri Dec 3, 2026", "3 December 2026 is a Thursday, not a Friday"),
    ],
)
def test_written_months_that_are_no_date_say_why(typed: str, message: str) -> None:
    day, problem = parse_date(typed)
    assert day is None and message in (problem or "")


def test_a_register_headed_no_sessions_and_co_facilitator_is_read(
    registered: Path, tmp_path: Path
) -> None:
    write_csv(
        registered / "group.csv",
        [
            ["Name", "Date", "Role", "No. sessions", "Co-facilitator"],
            ["Jane Smith", "1-Dec-26", "co-leader", "2", "Ann Leader"],
        ],
    )
    progress = run_report(registered, tmp_path / "out", as_of="2026-12-31")
    assert source(progress, "group.csv")["accepted"] == 1
    jane = next(t for t in progress["trainees"] if t["trainee_id"] == "T1")
    assert jane["requirements"]["co_leading"]["achieved"] == 2
    assert issues_about(progress, "group.csv") == []


@pytest.mark.parametrize(
    ("relative", "patterns", "expected"),
    [
        ("registers - Copy.xlsx", ["* - copy.xlsx"], "* - copy.xlsx"),
        ("2025/registers - Copy.xlsx", ["* - Copy.xlsx"], "* - Copy.xlsx"),
        ("archive/2024/a.csv", ["archive"], "archive"),
        ("archive/2024/a.csv", ["archive/*"], "archive/*"),
        ("attendance/a.csv", ["archive", "b.csv"], ""),
        ("attendance/a.csv", ["attendance/b*.csv"], ""),
    ],
)
def test_ignored_by(relative: str, patterns: list[str], expected: str) -> None:
    assert ignored_by(relative, patterns) == expected


def test_a_files_rejected_and_unread_rows_are_one_line_of_the_letter(
    registered: Path, tmp_path: Path
) -> None:
    """Rows of one workbook rejected in one sheet and unread in another are both 'a mistake in
    the spreadsheet' to the trainee: two identical lines about one file read as a fault."""
    write_xlsx(
        registered / "december.xlsx",
        {
            "Tuesday": [["trainee", "date", "activity"], ["T1", "31/02/2026", "member"]],
            "Thursday": [
                ["Participant", "When we met", "Attended as"],
                ["Jane Smith", "03/12/2026", "member"],
                ["Jane Smith", "10/12/2026", "member"],
            ],
        },
    )
    out = tmp_path / "out"
    run_report(registered, out, as_of="2026-12-31")
    letter = " ".join(_letter(out, "T1").split())
    assert (
        "3 rows in december.xlsx naming you could not be counted because of a mistake in the "
        "spreadsheet" in letter
    )
    assert letter.count("in december.xlsx") == 1


# --- registers that mark who came -----------------------------------------------------------


def test_rows_marked_not_present_are_read_and_are_no_attendance(
    registered: Path, tmp_path: Path
) -> None:
    """A leader's register lists every member at every session and marks who came: the rows of
    those who did not are counted in Sources as not present, not as sessions attended."""
    write_xlsx(
        registered / "tuesday.xlsx",
        {
            "Register": [
                ["Participant", "Date", "Role", "Present?", "Notes"],
                ["Jane Smith", "06/10/2026", "member", "Y", ""],
                ["Jane Smith", "13/10/2026", "member", "N", "apologies"],
                ["Jane Smith", "20/10/2026", "member", "apologies", ""],
                ["Jane Smith", "27/10/2026", "member", "", ""],  # blank: not said, counted
                ["Priya Sharma", "06/10/2026", "member", "DNA", ""],
                ["Priya Sharma", "13/10/2026", "member", True, ""],
                ["Priya Sharma", "20/10/2026", "member", "late", ""],
                # a misspelt name on a row marked absent is no error: the row counts for no one
                ["Jane Smyth", "27/10/2026", "member", "N", ""],
            ]
        },
    )
    progress = run_report(registered, tmp_path / "out")
    assert membership(progress, "T1") == 2
    assert membership(progress, "T2") == 1
    counts = source(progress, "tuesday.xlsx", "Register")
    assert (counts["rows_read"], counts["accepted"], counts["absent"], counts["rejected"]) == (
        8,
        3,
        4,
        1,
    )
    # a mark that is neither is an error on its cell, not a guess either way; a blank one,
    # in a sheet marking both, is counted as present with a warning
    found = {i["severity"]: i for i in issues_about(progress, "tuesday.xlsx")}
    unmarked, late = found["warning"], found["error"]
    assert (unmarked["row"], unmarked["severity"], unmarked["column"]) == (5, "warning", "attended")
    assert unmarked["problem"] == (
        "no mark here, while other rows of the column are marked present or absent: counted "
        "as present; if they were not there, mark them absent"
    )
    assert (late["row"], late["value"], late["severity"]) == (8, "late", "error")
    assert late["problem"] == (
        "'late' is not a known attendance mark (known: present, absent; a new spelling can be "
        "added under [values.attended] in balint.toml)"
    )
    book = openpyxl.load_workbook(tmp_path / "out" / "2026-11" / "summary.xlsx", read_only=True)
    header, *rows = book["Sources"].iter_rows(values_only=True)
    assert header[-1] == "Not present"
    assert dict(zip(header, rows[-1], strict=True))["Not present"] == 4


def test_a_register_of_ticks_reads_a_blank_as_not_there_and_a_row_of_a_mark_alone_as_blank(
    registered: Path, tmp_path: Path
) -> None:
    """Ticks for who came: a blank was not there (said once). A Google Sheets checkbox column
    runs FALSE down every row below the register: those rows are blank, not errors. A row
    marked absent wants no role or date."""
    write_csv(
        registered / "ticks.csv",
        [
            ["Name", "Date", "Role", "Present"],
            ["Jane Smith", "06/10/2026", "member", "✓"],
            ["Jane Smith", "13/10/2026", "member", ""],
            ["Priya Sharma", "06/10/2026", "member", "✓"],
            ["Priya Sharma", "13/10/2026", "member", "✓"],
            *[["", "", "", "FALSE"]] * 5,
        ],
    )
    write_csv(
        registered / "apologies.csv",
        [
            ["Name", "Date", "Role", "Present"],
            ["Jane Smith", "20/10/2026", "member", "Y"],
            ["Priya Sharma", "TBC", "", "apologies"],
        ],
    )
    progress = run_report(registered, tmp_path / "out")
    assert membership(progress, "T1") == 1 + 1
    assert membership(progress, "T2") == 2
    ticks = source(progress, "ticks.csv")
    assert (ticks["rows_read"], ticks["accepted"], ticks["absent"]) == (4, 3, 1)
    [note] = issues_about(progress, "ticks.csv")
    assert (note["severity"], note["row"]) == ("info", 1)
    assert note["problem"] == (
        "the Present column marks only who came: its 1 rows without a mark are read as not "
        "there, and count in Sources as not present"
    )
    assert issues_about(progress, "apologies.csv") == []
    assert source(progress, "apologies.csv")["absent"] == 1


def test_an_attendance_heading_is_not_taken_for_a_mark(registered: Path, tmp_path: Path) -> None:
    """'Attendance' in a leader's register says how people came (in person, Zoom): read as
    marks it rejected every row."""
    write_csv(
        registered / "modes.csv",
        [
            ["Name", "Date", "Role", "Attendance"],
            ["Jane Smith", "06/10/2026", "member", "In person"],
            ["Jane Smith", "13/10/2026", "member", "Zoom"],
        ],
    )
    progress = run_report(registered, tmp_path / "out")
    assert membership(progress, "T1") == 2
    assert [i["severity"] for i in issues_about(progress, "modes.csv")] == ["info"]


def test_a_register_heading_that_may_be_its_status_is_a_warning_and_is_said_by_run(
    inbox: Path, tmp_path: Path
) -> None:
    """The team renames Status to "Current status": read as no status, a withdrawn trainee
    would be active and get a letter. The run says so on screen and in Data issues, with the
    line that reads it; with that line, she is withdrawn again."""
    header = [
        {"status": "Current status", "professional_training_from": "Prof. training start date"}.get(
            column, column
        )
        for column in TRAINEE_HEADER
    ]
    # Jane's start date is not known yet: a blank among dates
    rows = [
        trainee_row("T1", "Jane Smith", psychodynamic_training="no"),
        trainee_row(
            "T2",
            "Priya Sharma",
            psychodynamic_training="no",
            status="withdrawn",
            professional_training_from="03/09/2018",
        ),
    ]
    write_xlsx(inbox / "registers.xlsx", {"Trainees": [header, *rows]})
    out = tmp_path / "out"
    result = run_cli("run", inbox, "--out", out, "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert (
        "Warning: register headings not read: 'Prof. training start date' (registers.xlsx: its "
        "professional training from column?), 'Current status' (registers.xlsx: its status "
        "column?). See Data issues for the line that reads them, then run again before sending."
    ) in result.output
    progress = json.loads((out / "2026-11" / "progress.json").read_text(encoding="utf-8"))
    found = {i["value"]: i for i in issues_about(progress, "registers.xlsx")}
    status = found["Current status"]
    assert (status["severity"], status["row"], status["column"]) == ("warning", 1, "status")
    assert status["problem"] == (
        "the heading 'Current status' is not read, though it may be the register's status "
        "column (its cells read as such): without it, status is taken as 'active' on every "
        'row. If it is, add the line "Current status" = "status" under [columns.trainees] in '
        "balint.toml, or rename the heading to status"
    )
    assert (
        "may be the register's professional training from column (its cells read as such): "
        "without it, professional training from is taken as blank on every row"
    ) in found["Prof. training start date"]["problem"]
    assert (out / "2026-11" / "letters" / "T2.html").exists()
    # and again before sending, which may be days later
    dry = run_cli("send", out / "2026-11")
    assert dry.output.startswith(
        "Not read this month, though it may hold records: the heading 'Prof. training start "
        "date' in registers.xlsx, the heading 'Current status' in registers.xlsx (see Data "
        "issues).\n"
    )

    (inbox / "balint.toml").write_text(
        '[columns.trainees]\n"Current status" = "status"\n', encoding="utf-8"
    )
    progress = run_report(inbox, tmp_path / "again")
    assert "Current status" not in {i["value"] for i in progress["issues"]}
    assert not (tmp_path / "again" / "2026-11" / "letters" / "T2.html").exists()


def test_register_headings_of_the_teams_own_that_share_a_columns_words_are_a_note(
    inbox: Path, tmp_path: Path
) -> None:
    """A GP practice, a GMC number, the supervisor's address, notes on a status, a leader's
    accreditation number: headings that hold the words (or beginnings) of columns the register
    lacks, over cells that are no such column's. A warning on them every month would teach
    the team to skip warnings; they are in the note of headings not used."""
    own = ["Registered GP practice", "GMC Reg No", "Reg. no.", "Supervisor email", "Status notes"]
    trainees = [
        ["trainee_id", "name", "email", *own],
        ["T1", "Jane Smith", "jane@example.org", "Riverside Surgery", "7012345", "7012345",
         "hw@example.org", "back from leave in May"],
        ["T2", "Priya Sharma", "priya@example.org", "Hill Practice", "7012346", "7012346",
         "hw@example.org", ""],
    ]  # fmt: skip
    leaders = [["leader_id", "name", "Acc No"], ["L1", "Ann Leader", "12345678"]]
    write_xlsx(inbox / "registers.xlsx", {"Trainees": trainees, "Leaders": leaders})
    result = run_cli("run", inbox, "--out", tmp_path / "out", "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert "register heading" not in result.output
    progress = json.loads((tmp_path / "out" / "2026-11" / "progress.json").read_text("utf-8"))
    issues = issues_about(progress, "registers.xlsx")
    assert not [i for i in issues if i["code"] == "register_column_unread"]
    notes = {i["sheet"]: i["problem"] for i in issues if i["code"] == "columns_not_used"}
    assert notes["Trainees"].startswith(
        "column(s) 'Registered GP practice', 'GMC Reg No', 'Reg. no.', 'Supervisor email', "
        "'Status notes' not used for trainees"
    )
    assert notes["Leaders"].startswith("column(s) 'Acc No' not used for leaders")


def test_one_session_sent_by_two_people_under_two_group_names_is_a_warning(
    registered: Path, tmp_path: Path
) -> None:
    """The leader's register and Jane's own log name the group alike, or not at all: not a
    duplicate by its key, so both count, and the team alone is told where the other is. Two
    groups of other names on one day are two sessions: nothing to say."""
    header = ["Participant", "Meeting date", "Attended as", "Group", "Co-leader"]
    dates = ["06/10/2026", "13/10/2026"]
    write_xlsx(
        registered / "leader.xlsx",
        {
            "Register": [
                header,
                *[["Jane Smith", d, "member", "Tuesday Balint Group", "L1"] for d in dates],
                ["Priya Sharma", "06/10/2026", "member", "St Luke's", "L1"],
            ]
        },
    )
    write_xlsx(
        registered / "own_log.xlsx",
        {
            "Log": [
                header,
                ["Smith, Jane", dates[0], "group member", "Tues Balint grp", None],
                ["Smith, Jane", dates[1], "group member", None, None],
            ]
        },
    )
    # Jane's supervisor, who has a digest of her
    write_csv(
        registered / "supervision.csv", [["trainee", "supervisor", "date"], ["T1", "L1", dates[0]]]
    )
    # Priya's noon and evening groups, from two leaders
    write_xlsx(
        registered / "riverside.xlsx",
        {"Groups": [header, ["Priya Sharma", "06/10/2026", "member", "Riverside GP", None]]},
    )
    progress = run_report(registered, tmp_path / "out")
    assert membership(progress, "T1") == 4  # the team decides which to take out
    assert membership(progress, "T2") == 2
    warnings = issues_about(progress, "own_log.xlsx")
    assert [(w["row"], w["severity"], w["code"]) for w in warnings] == [
        (2, "warning", "same_day_elsewhere"),
        (3, "warning", "same_day_elsewhere"),
    ]
    assert warnings[0]["problem"] == (
        "the same trainee, date and role are also at leader.xlsx, sheet Register, row 2, under "
        "a like group or event name or none: if both are one session, take one of them out; "
        "until then both count"
    )
    assert issues_about(progress, "leader.xlsx") == issues_about(progress, "riverside.xlsx") == []
    # the senders' rows are right, and a supervisor cannot tell them apart
    month = tmp_path / "out" / "2026-11"
    assert not (month / "feedback" / "own_log.xlsx.txt").exists()
    digest = (month / "digests" / "L1.txt").read_text(encoding="utf-8")
    assert "Jane Smith (T1)" in digest and "own_log.xlsx" not in digest
