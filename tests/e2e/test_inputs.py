"""Real-world spreadsheets (issue 3): formats, layouts, config, unreadable files, outcomes."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile

from ..conftest import TRAINEE_HEADER, run_cli, run_report, trainee_row, write_csv, write_xlsx

REGISTER = {
    "Trainees": [
        TRAINEE_HEADER,
        trainee_row("T1", "Jane Smith", psychodynamic_training="no"),
        trainee_row("T2", "Siân O’Brien", psychodynamic_training="no"),
        trainee_row("T3", "José Álvarez", psychodynamic_training="no"),
    ],
    "Leaders": [["leader_id", "name", "accredited"], ["L1", "Ann Leader", "yes"]],
}


def membership(progress: dict, trainee_id: str) -> float | None:
    """Accepted member sessions of one trainee (membership achieved)."""
    trainee = next(t for t in progress["trainees"] if t["trainee_id"] == trainee_id)
    return trainee["requirements"]["membership"]["achieved"]


def issues_about(progress: dict, file: str) -> list[dict]:
    """The issues that name one file."""
    return [i for i in progress["issues"] if i["file"] == file]


def source(progress: dict, file: str, sheet: str = "") -> dict:
    """The Sources entry of one sheet."""
    return next(s for s in progress["sources"] if s["file"] == file and s["sheet"] == sheet)


@pytest.fixture
def registered(inbox: Path) -> Path:
    write_xlsx(inbox / "registers.xlsx", REGISTER)
    return inbox


# --- formats -------------------------------------------------------------------------------


def test_xls_ods_xlsm_and_csv_are_all_read(registered: Path, tmp_path: Path) -> None:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Tuesday")
    for r, row in enumerate([["trainee", "date", "activity"], ["T1", "05/03/2025", "member"]]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(registered / "old.xls"))
    pd.DataFrame([["trainee", "date", "activity"], ["T1", "06/03/2025", "member"]]).to_excel(
        registered / "libre.ods", engine="odf", header=False, index=False
    )
    write_xlsx(
        registered / "macro.xlsm",
        {"S": [["trainee", "date", "activity"], ["T1", "07/03/2025", "member"]]},
    )
    write_csv(
        registered / "GROUP.CSV", [["trainee", "date", "activity"], ["T1", "08/03/2025", "member"]]
    )
    progress = run_report(registered, tmp_path / "out")
    assert membership(progress, "T1") == 4
    kinds = {s["file"]: s["kind"] for s in progress["sources"]}
    assert kinds["old.xls"] == kinds["libre.ods"] == kinds["macro.xlsm"] == "attendance"
    assert kinds["GROUP.CSV"] == "attendance"


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [
        *((encoding, sep) for encoding in ("utf-8", "utf-8-sig", "cp1252") for sep in ",;"),
        ("utf-16", "\t"),  # Excel's "Unicode Text": UTF-16 with its byte order mark, tabs
        ("utf-16-le", ","),  # UTF-16 without the mark
        ("utf-8", "\t"),  # Excel's "Text (Tab delimited)" named .csv
        ("cp1252", "\t"),
    ],
)
def test_csv_encodings_and_separators(
    registered: Path, tmp_path: Path, encoding: str, sep: str
) -> None:
    write_csv(
        registered / "groups.csv",
        [
            ["Participant", "Session date", "Role", "Notes"],
            [
                "Siân O’Brien" if encoding != "cp1252" else "Siân O'Brien",
                "05/03/2025",
                "member",
                "£60, paid",
            ],
            ["José Álvarez", "06/03/2025", "member", "café"],
        ],
        encoding=encoding,
        sep=sep,
    )
    progress = run_report(registered, tmp_path / "out")
    assert source(progress, "groups.csv")["accepted"] == 2
    assert membership(progress, "T2") == membership(progress, "T3") == 1
    assert issues_about(progress, "groups.csv") == []


def test_lock_files_and_dotfiles_are_skipped_other_files_listed(
    registered: Path, tmp_path: Path
) -> None:
    (registered / "~$registers.xlsx").write_bytes(b"lock")
    (registered / ".DS_Store").write_bytes(b"junk")
    (registered / "minutes.docx").write_bytes(b"not a spreadsheet")
    progress = run_report(registered, tmp_path / "out")
    files = [s["file"] for s in progress["sources"]]
    assert "~$registers.xlsx" not in files and ".DS_Store" not in files
    assert source(progress, "minutes.docx")["kind"] == "ignored"
    assert not [i for i in progress["issues"] if i["severity"] == "error"]


@pytest.mark.parametrize(
    ("name", "advice"),
    [
        (
            "attendance.xlsb",
            "Excel binary workbook (.xlsb), which is not read: open it in Excel "
            "and save it as .xlsx (File > Save As > Excel Workbook)",
        ),
        (
            "register.numbers",
            "Apple Numbers file, which is not read: open it in Numbers, "
            "choose File > Export To > Excel",
        ),
        ("Register.gsheet", "only a link to a Google Sheets spreadsheet"),
        ("attendance.XLTX", "a spreadsheet template (.xltx), which is not read"),
    ],
)
def test_spreadsheets_in_formats_not_read_are_errors_saying_how_to_save_them(
    registered: Path, tmp_path: Path, name: str, advice: str
) -> None:
    (registered / name).write_bytes(b"PK\x03\x04 a spreadsheet in its own format")
    (registered / "README.md").write_text("# Our inbox\n")
    (registered / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 JFIF")
    result = run_cli("check", registered)
    assert result.exit_code == 1
    assert name in result.output  # `check` names the file, and exits 1: its rows are lost
    progress = run_report(registered, tmp_path / "out")
    [error] = issues_about(progress, name)
    assert error["severity"] == "error" and advice in error["problem"]
    assert source(progress, name)["kind"] == "unreadable"
    assert source(progress, "README.md")["kind"] == source(progress, "photo.jpg")["kind"]
    assert source(progress, "photo.jpg")["kind"] == "ignored"
    assert issues_about(progress, "README.md") == issues_about(progress, "photo.jpg") == []


def test_an_original_beside_the_spreadsheet_exported_from_it_is_a_note(
    registered: Path, tmp_path: Path
) -> None:
    """A Mac user sends okafor.numbers with the okafor.xlsx they exported; Google Drive keeps
    the .gsheet link beside its download. The export is read, and the original is a note, not
    an error every month; alone, it stays an error. Last month's parse, kept in the cache
    with its error, does not decide this month's."""
    out = tmp_path / "out"
    (registered / "okafor.numbers").write_bytes(b"PK\x03\x04 Index/Document.iwa")
    progress = run_report(registered, out, as_of="2026-10-31")
    [error] = issues_about(progress, "okafor.numbers")
    assert error["severity"] == "error"

    rows = [["Name", "Date", "Role"], ["Jane Smith", "03/11/2026", "member"]]
    write_xlsx(registered / "Okafor.xlsx", {"Register": rows})
    (registered / "raman").mkdir()
    (registered / "raman" / "Raman group.gsheet").write_text('{"doc_id": "abc"}')
    rows[1][1] = "10/11/2026"
    write_csv(registered / "raman" / "Raman group.csv", rows)
    (registered / "holiday.numbers").write_bytes(b"PK\x03\x04 Index/Document.iwa")
    progress = run_report(registered, out)
    assert membership(progress, "T1") == 2
    notes = {i["file"]: i for i in progress["issues"] if i["code"] == "file_exported"}
    assert set(notes) == {"okafor.numbers", "raman/Raman group.gsheet"}
    assert notes["okafor.numbers"]["severity"] == "info"
    assert notes["okafor.numbers"]["problem"].startswith(
        "this Apple Numbers file is not read: Okafor.xlsx beside it, most likely exported "
        "from it, is read in its place"
    )
    gsheet = notes["raman/Raman group.gsheet"]["problem"]
    assert "raman/Raman group.csv beside it, most likely its download" in gsheet
    for original in notes:
        assert source(progress, original)["kind"] == "ignored"
    [error] = [i for i in progress["issues"] if i["severity"] == "error"]
    assert error["file"] == "holiday.numbers"  # no export beside it: its rows are lost


def test_tsv_and_tab_separated_txt_are_read_and_a_note_in_txt_is_ignored(
    registered: Path, tmp_path: Path
) -> None:
    rows = [["Participant", "Session date", "Role"], ["Jane Smith", "05/03/2025", "member"]]
    write_csv(registered / "group.tsv", rows, sep="\t")
    rows[1][1] = "06/03/2025"  # Excel's "Unicode Text" is a .txt in UTF-16
    write_csv(registered / "unicode.txt", rows, encoding="utf-16", sep="\t")
    rows[1][1] = "07/03/2025"  # and "Text (Tab delimited)" a .txt in Windows-1252
    write_csv(registered / "tabs.txt", rows, encoding="cp1252", sep="\t")
    (registered / "notes.txt").write_text('Ann: call Jane about March.\nSee the "old" file\n')
    progress = run_report(registered, tmp_path / "out")
    assert membership(progress, "T1") == 3
    for name in ("group.tsv", "unicode.txt", "tabs.txt"):
        assert source(progress, name)["kind"] == "attendance"
        assert source(progress, name)["accepted"] == 1
    assert source(progress, "notes.txt")["kind"] == "ignored"
    assert issues_about(progress, "notes.txt") == []


def test_a_readme_txt_with_tabbed_lines_is_ignored_without_a_word(
    registered: Path, tmp_path: Path
) -> None:
    """A volunteer's README lists the month's files, a tab before who sent each: not a table
    of two columns. Another sets them out as a table of its own: a table, but of no kind, and
    a `.txt` is as often notes as records. Neither is named as a sheet not read every month."""
    (registered / "README.txt").write_text(
        "Files this month\n\nokafor.xlsx\tfrom Margaret, 3 Dec\nraman.xlsx\tfrom Anjali, 5 Dec\n"
        "Note:\tBen asked to pause from January\n"
    )
    (registered / "received.txt").write_text(
        "File\tFrom\tReceived\nokafor.xlsx\tMargaret\t3 Dec\nraman.xlsx\tAnjali\t5 Dec\n"
    )
    result = run_cli("run", registered, "--out", tmp_path / "out", "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert "fits no kind" not in result.output
    progress = json.loads((tmp_path / "out" / "2026-11" / "progress.json").read_text("utf-8"))
    for name in ("README.txt", "received.txt"):
        assert source(progress, name)["kind"] == "ignored"
        assert issues_about(progress, name) == []


# --- layout --------------------------------------------------------------------------------


def test_header_below_merged_titles_blank_rows_and_trailing_formatting(
    registered: Path, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "March"
    sheet["A1"] = "Tuesday Balint group — attendance 2025"
    sheet.merge_cells("A1:D1")
    sheet["A2"] = "Kept by Dr Ann Leader"
    sheet.append([])
    sheet.append(["Name", "Meeting date", "Attended as", "Group"])  # row 4
    sheet.append(["Jane Smith", dt.date(2025, 3, 4), "member", "Tuesday"])  # row 5
    sheet.append([])  # row 6: blank in the middle
    sheet.append(["Jane Smith", dt.datetime(2025, 3, 11, 19, 30), "member", "Tuesday"])  # row 7
    sheet.append(["Jane Smyth", dt.date(2025, 3, 18), "member", "Tuesday"])  # row 8
    sheet.cell(1_048_576, 1).font = openpyxl.styles.Font(bold=True)  # the sheet claims 1M rows
    sheet.cell(5, 200).font = openpyxl.styles.Font(bold=True)
    book.save(registered / "tuesday.xlsx")
    progress = run_report(registered, tmp_path / "out")
    assert membership(progress, "T1") == 2
    assert source(progress, "tuesday.xlsx", "March") == {
        "file": "tuesday.xlsx",
        "sheet": "March",
        "kind": "attendance",
        "rows_read": 3,
        "accepted": 2,
        "rejected": 1,
        "duplicate": 0,
        "future": 0,
        "absent": 0,
    }
    [error] = [i for i in issues_about(progress, "tuesday.xlsx") if i["severity"] == "error"]
    assert (error["row"], error["column"], error["value"]) == (8, "trainee", "Jane Smyth")
    assert "did you mean Jane Smith (T1)?" in error["problem"]


def test_several_sheets_and_a_sheet_of_no_kind(registered: Path, tmp_path: Path) -> None:
    write_xlsx(
        registered / "weekend.xlsx",
        {
            "Members": [["trainee", "date", "activity"], ["T1", "05/03/2025", "weekend member"]],
            "Leaders group": [
                ["trainee", "date", "activity"],
                ["T1", "05/03/2025", "leadership weekend"],
            ],
            "Catering": [["Name", "Dietary needs"], ["Jane Smith", "vegetarian"]],
        },
    )
    progress = run_report(registered, tmp_path / "out")
    assert source(progress, "weekend.xlsx", "Catering")["kind"] == "ignored"
    [note] = [i for i in issues_about(progress, "weekend.xlsx") if i["sheet"] == "Catering"]
    assert note["severity"] == "info"
    assert "missing" in note["problem"] and "Dietary needs" in note["problem"]
    assert source(progress, "weekend.xlsx", "Leaders group")["accepted"] == 1


def test_hidden_sheets_are_read_and_named_as_hidden(registered: Path, tmp_path: Path) -> None:
    rows = [["Participant", "Meeting date", "Attended as"], ["Jane Smith", "05/03/2025", "member"]]
    book = openpyxl.Workbook()
    book.active.title = "Tuesday"
    for row in rows:
        book.active.append(row)
    for title, state, date in [("Old copy", "hidden", "05/03/2025"), ("Macro", "veryHidden", "")]:
        sheet = book.create_sheet(title)
        sheet.sheet_state = state
        sheet.append(rows[0])
        sheet.append(["Jane Smith", date or "12/03/2025", "member"])
    book.create_sheet("Lists").sheet_state = "hidden"  # a dropdown's list: not news
    book.save(registered / "group.xlsx")
    progress = run_report(registered, tmp_path / "out")
    assert membership(progress, "T1") == 2  # read like any sheet: the copy is a duplicate
    notes = {
        i["sheet"]: i for i in issues_about(progress, "group.xlsx") if i["code"] == "sheet_hidden"
    }
    assert set(notes) == {"Old copy", "Macro"}
    assert notes["Old copy"]["severity"] == "warning"
    assert "this sheet is hidden in the workbook" in notes["Old copy"]["problem"]
    assert "choose Unhide" in notes["Old copy"]["problem"]
    assert "'very hidden'" in notes["Macro"]["problem"]
    [duplicate] = [i for i in progress["issues"] if i["code"] == "duplicate_row"]
    assert duplicate["sheet"] == "Old copy"


def test_a_hidden_sheet_that_fits_no_kind_is_a_note_not_an_error(
    registered: Path, tmp_path: Path
) -> None:
    """A group's workbook keeps its dropdowns' choices on a hidden sheet headed "Name, Role"
    (attendance but for its date column) and last term's ticks hidden as a grid: neither is
    an error (`check` would fail every month) nor a hidden sheet read; each is a note. A
    visible "Lists" sheet, as the template has, is not news at all."""
    book = openpyxl.Workbook()
    book.active.title = "Register"
    for row in [["Name", "Date", "Role"], ["Jane Smith", "05/03/2025", "member"]]:
        book.active.append(row)
    hidden = {
        "Dropdowns": [["Name", "Role"], ["Jane Smith", "member"], [None, "co-leader"]],
        "Spring": [["Name", "07/01/2025", "14/01/2025"], ["Jane Smith", "x", "x"]],
    }
    for title, rows in hidden.items():
        sheet = book.create_sheet(title)
        sheet.sheet_state = "hidden"
        for row in rows:
            sheet.append(row)
    lists = book.create_sheet("Lists")
    for row in [["Name", "Role"], ["Jane Smith", "member"]]:
        lists.append(row)
    book.save(registered / "group.xlsx")
    checked = run_cli("check", registered, "--as-of", "2026-11-30")
    assert checked.exit_code == 0, checked.output
    assert "No data issues." in checked.output
    progress = run_report(registered, tmp_path / "out")
    assert membership(progress, "T1") == 1
    notes = {i["sheet"]: i for i in issues_about(progress, "group.xlsx")}
    assert set(notes) == {"Dropdowns", "Spring"}
    for note in notes.values():
        assert (note["severity"], note["code"]) == ("info", "sheet_hidden")
        assert note["problem"].startswith(
            "this sheet is hidden in the workbook and fits no kind of record, so it is not read"
        )
    for sheet in ("Dropdowns", "Spring", "Lists"):
        assert source(progress, "group.xlsx", sheet)["kind"] == "ignored"


def test_header_fitting_two_kinds_equally_is_an_error(inbox: Path, tmp_path: Path) -> None:
    write_xlsx(inbox / "people.xlsx", {"People": [["id", "name"], ["X1", "Someone"]]})
    progress = run_report(inbox, tmp_path / "out")
    [error] = issues_about(progress, "people.xlsx")
    assert error["severity"] == "error" and "trainees and leaders equally" in error["problem"]


def test_unknown_columns_listed_once_per_sheet(registered: Path, tmp_path: Path) -> None:
    write_csv(
        registered / "g.csv",
        [["trainee", "date", "activity", "Room", "Biscuits"]]
        + [["T1", f"0{d}/03/2025", "member", "B12", "yes"] for d in range(1, 4)],
    )
    progress = run_report(registered, tmp_path / "out")
    [info] = issues_about(progress, "g.csv")
    assert info["severity"] == "info" and "'Room', 'Biscuits'" in info["problem"]


def test_headings_ending_in_a_question_mark_or_colon_and_e_mail_are_known(
    inbox: Path, tmp_path: Path
) -> None:
    """ "E-mail address" and "Ready to apply?" are `email address` and `ready to apply` as
    people write them; so is a heading ending in a colon, and a config line's heading."""
    (inbox / "balint.toml").write_text('[columns.attendance]\n"Wann?" = "date"\n')
    trainees = [
        ["Membership number", "Full name", "E-mail address", "Ready to apply?", "Psychodynamic:"],
        ["T1", "Jane Smith", "jane@example.org", "yes", "no"],
    ]
    leaders = [["Leader ID:", "Name", "E_mail"], ["L1", "Ann Leader", "ann@example.org"]]
    write_xlsx(inbox / "registers.xlsx", {"Trainees": trainees, "Leaders": leaders})
    write_csv(inbox / "g.csv", [["Name", "Wann:", "Role"], ["Jane Smith", "05/03/2025", "member"]])
    progress = run_report(inbox, tmp_path / "out")
    assert membership(progress, "T1") == 1
    assert issues_about(progress, "registers.xlsx") == []  # every heading read, none unused
    assert issues_about(progress, "g.csv") == []


# --- config --------------------------------------------------------------------------------


def test_config_column_and_value_aliases(registered: Path, tmp_path: Path) -> None:
    (registered / "balint.toml").write_text(
        '[columns.attendance]\n"Wer" = "trainee"\n"Wann" = "date"\n'
        '[values.activity]\n"Co-facilitator" = "co_leader"\n'
        '[values.mode]\n"Carrier pigeon" = "telephone"\n',
        encoding="utf-8",
    )
    write_csv(
        registered / "g.csv",
        [
            ["Wer", "Wann", "Role"],
            ["T1", "05/03/2025", "co-facilitator"],
            ["T1", "06/03/2025", "member"],
        ],
    )
    progress = run_report(registered, tmp_path / "out")
    trainee = progress["trainees"][0]
    assert trainee["requirements"]["co_leading"]["achieved"] == 1
    assert trainee["requirements"]["membership"]["achieved"] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[columns.atendance]\nX = 'trainee'\n", "[columns.atendance]: unknown kind"),
        ("[columns.attendance]\nX = 'trainees'\n", "attendance has no column 'trainees'"),
        ("[values.activity]\nX = 'lead'\n", "unknown activity"),
        ("[report\nsociety = 1\n", "not valid TOML"),
        ("[reports]\n", "unknown section [reports]"),
    ],
)
def test_bad_config_stops_with_one_line(
    registered: Path, tmp_path: Path, text: str, message: str
) -> None:
    (registered / "balint.toml").write_text(text, encoding="utf-8")
    result = run_cli("run", registered, "--out", tmp_path / "out", "--as-of", "2026-11-30")
    assert result.exit_code == 1
    assert "balint.toml" in result.output and message in result.output
    assert len(result.output.strip().splitlines()) == 1


# --- values --------------------------------------------------------------------------------


def test_every_date_form_day_first_and_impossible_dates(registered: Path, tmp_path: Path) -> None:
    rows = [["trainee", "date", "activity", "event"]]
    accepted = [
        dt.datetime(2025, 3, 4, 10, 0),
        "2025-03-05",
        "06/03/2025",
        "7-3-2025",
        "8.3.25",
        "9 March 2025",
        "10 Mar 2025",
        "03/04/2025",
        "March 11 2025",  # beyond SPEC r2: a month in words cannot be misread
        "12-Mar-25",
    ]
    rejected = ["31/02/2025", "2025/13/01", "March 11 25", "11th of March"]
    for i, value in enumerate(accepted + rejected):
        rows.append(["T1", value, "member", f"group {i}"])
    write_xlsx(registered / "dates.xlsx", {"S": rows})
    progress = run_report(registered, tmp_path / "out")
    assert membership(progress, "T1") == len(accepted)
    errors = {i["value"]: i for i in issues_about(progress, "dates.xlsx")}
    assert set(errors) == set(rejected)
    assert errors["31/02/2025"]["row"] == 2 + len(accepted)
    assert all(e["column"] == "date" for e in errors.values())


def test_03_04_is_the_third_of_april(registered: Path, tmp_path: Path) -> None:
    write_csv(
        registered / "g.csv", [["trainee", "date", "activity"], ["T1", "03/04/2025", "member"]]
    )
    progress = run_report(registered, tmp_path / "out", as_of="2025-03-31")
    assert membership(progress, "T1") == 0  # 3 April is after a 31 March report
    assert source(progress, "g.csv")["future"] == 1


def test_formula_without_saved_value_is_rejected_with_its_cell(
    registered: Path, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["trainee", "date", "activity"])
    sheet.append(["T1", "=DATE(2025,3,4)", "member"])  # openpyxl saves no result for it
    sheet.append(["T1", "05/03/2025", "member"])
    book.save(registered / "formula.xlsx")
    progress = run_report(registered, tmp_path / "out")
    [error] = [i for i in issues_about(progress, "formula.xlsx") if i["severity"] == "error"]
    assert "B2" in error["problem"]
    assert (error["row"], error["column"], error["severity"]) == (2, "date", "error")
    assert membership(progress, "T1") == 1


def test_numbers_as_text_yes_no_forms_and_odd_spaces(inbox: Path, tmp_path: Path) -> None:
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                ["trainee id", "full\u00a0name", "Psychodynamic", "Registered"],
                ["T1", "Jane\u00a0\u00a0Smith ", "Y", "2024-01-01"],
                ["T2", "Bob  Jones", False, "2024-01-01"],
                ["T3", "Cy Twombly", "perhaps", "2024-01-01"],
            ],
            "Leaders": [["leader id", "leader name"]],
        },
    )
    write_csv(
        inbox / "g.csv",
        [
            ["trainee", "date", "activity", "number of sessions"],
            ["jane smith", "05/03/2025", "member", " 8 "],
            ["T2", "05/03/2025", "member", "2.0"],
            ["T2", "06/03/2025", "member", "1.5"],
        ],
    )
    progress = run_report(inbox, tmp_path / "out")
    by_id = {t["trainee_id"]: t for t in progress["trainees"]}
    assert by_id["T1"]["requirements"]["membership"]["status"] == "met"  # psychodynamic Y, 8
    assert by_id["T2"]["requirements"]["membership"]["achieved"] == 2
    assert "T3" not in by_id
    problems = {(i["column"], i["value"]) for i in progress["issues"] if i["severity"] == "error"}
    assert ("psychodynamic_training", "perhaps") in problems
    assert ("sessions", "1.5") in problems


def test_hours_written_with_their_unit_and_minutes_written_as_hours(
    registered: Path, tmp_path: Path
) -> None:
    """A supervisor writes `1 hr`, `90 mins` or `1:30` (a time cell, in Excel): each is read
    as hours. `90` under Duration is most likely minutes: it counts as written, with a
    warning that says how to write it, rather than silently telling of 90 hours."""
    write_csv(
        registered / "log.csv",
        [
            ["Supervisee", "Supervisor", "Date", "Duration"],
            ["T1", "L1", "05/03/2025", "1 hr"],
            ["T1", "L1", "12/03/2025", "90 mins"],
            ["T1", "L1", "19/03/2025", "1h30"],
            ["T2", "L1", "05/03/2025", "90"],
            ["T2", "L1", "12/03/2025", "an hour"],
        ],
    )
    book = openpyxl.Workbook()
    book.active.append(["Supervisee", "Supervisor", "Date", "Duration"])
    book.active.append(["T3", "L1", dt.datetime(2025, 3, 5), dt.time(1, 30)])
    book.active["D2"].number_format = "h:mm"
    book.save(registered / "log.xlsx")
    progress = run_report(registered, tmp_path / "out")
    hours = {t["trainee_id"]: t["supervision_hours"] for t in progress["trainees"]}
    assert hours == {"T1": 4.0, "T2": 90.0, "T3": 1.5}
    issues = issues_about(progress, "log.csv")
    by_value = {(i["severity"], i["value"]): i["problem"] for i in issues}
    assert by_value[("warning", "90")] == (
        "90 hours is longer than any supervision session (8 at most): if it is minutes, write "
        "1.5 (hours); it counts as 90 hours until corrected"
    )
    assert by_value[("error", "an hour")].startswith(
        "'an hour' is not a number of hours: write hours as a number, e.g. 1.5"
    )
    assert len(by_value) == 2


def test_competencies_written_with_their_word_or_title_and_a_signed_by_heading(
    registered: Path, tmp_path: Path
) -> None:
    """`Competency 4`, `C1` and `3 - group process` name competencies as a supervisor writes
    them; words that are not the numbered competency's own are still an error. `Signed by`
    is the signer's column."""
    write_csv(
        registered / "portfolio.csv",
        [
            ["Trainee", "Competency", "Date signed off", "Signed by"],
            ["T1", "Competency 4", "05/03/2025", "Ann Leader"],
            ["T1", "C1", "05/03/2025", "Ann Leader"],
            ["T1", "3 - group process", "05/03/2025", "Ann Leader"],
            ["T1", "2 - leading style", "05/03/2025", "Ann Leader"],
            ["T1", "Competency 5", "05/03/2025", "Bob Nobody"],
        ],
    )
    progress = run_report(registered, tmp_path / "out")
    t1 = next(t for t in progress["trainees"] if t["trainee_id"] == "T1")
    assert t1["requirements"]["portfolio"]["achieved"] == 4
    issues = issues_about(progress, "portfolio.csv")
    assert [(i["severity"], i["column"], i["value"]) for i in issues] == [
        ("error", "competency", "2 - leading style"),
        ("warning", "signed_off_by", "Bob Nobody"),
    ]


# --- people --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["dr. jane SMITH", "Smith, Jane", "JANE SMITH", "t1", "Mrs Jane Smith", "Jane  Smith"],
)
def test_name_forms_resolve(registered: Path, tmp_path: Path, written: str) -> None:
    write_csv(
        registered / "g.csv", [["trainee", "date", "activity"], [written, "05/03/2025", "member"]]
    )
    assert membership(run_report(registered, tmp_path / "out"), "T1") == 1


@pytest.mark.parametrize(
    "written", ["Sian O'Brien", "SIÂN O’BRIEN", "O'Brien, Siân", "Siân O.Brien"]
)
def test_accents_and_curly_apostrophes_resolve(
    registered: Path, tmp_path: Path, written: str
) -> None:
    write_csv(
        registered / "g.csv", [["trainee", "date", "activity"], [written, "05/03/2025", "member"]]
    )
    assert membership(run_report(registered, tmp_path / "out"), "T2") == 1


def test_invisible_characters_in_names_and_ids_do_not_stop_a_match(
    registered: Path, tmp_path: Path
) -> None:
    """Pasted from a web page or a PDF, a name brings a zero-width space, a soft hyphen, a
    byte order mark, a direction mark or a NUL with it: none shows, so none may stop it
    matching. One that matches nobody says what it holds, which the eye cannot see."""
    written = [
        "Jane Smith\u200b",
        "Ja\u00adne Smith",
        "\ufeffJane Smith",
        "Jane Smith\u200e",
        "Jane\x00 Smith",
        "T1\u200b",
        "Jane Smyth\u2060",
    ]
    write_csv(
        registered / "g.csv",
        [["Participant", "Session date", "Role"]]
        + [[name, f"{day:02d}/03/2025", "member"] for day, name in enumerate(written, 1)],
    )
    progress = run_report(registered, tmp_path / "out")
    assert membership(progress, "T1") == 6
    [error] = issues_about(progress, "g.csv")
    assert error["value"] == "Jane Smyth\u2060"  # the value as written
    assert error["problem"] == (
        "'Jane Smyth\u2060' (it holds an invisible character, U+2060) is not in the trainees "
        "register; did you mean Jane Smith (T1)?"
    )


def test_membership_numbers_match_without_their_leading_zeros(inbox: Path, tmp_path: Path) -> None:
    """Excel takes a membership number typed in a cell for a number and drops its leading
    zeros: `72` (a number cell, or text) is the register's `0072`."""
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("0072", "Bob Two", psychodynamic_training="no"),
                trainee_row(1001, "Ann One", psychodynamic_training="no"),
                trainee_row("05", "Cat Three", psychodynamic_training="no"),
                trainee_row("005", "Dan Four", psychodynamic_training="no"),
            ],
            "Leaders": [["leader_id", "name"], ["L1", "Lee Der"]],
        },
    )
    write_xlsx(
        inbox / "group.xlsx",
        {
            "S": [
                ["Participant", "Session date", "Role"],
                [72, "01/03/2025", "member"],
                ["72", "02/03/2025", "member"],
                ["072", "03/03/2025", "member"],
                ["1001.0", "04/03/2025", "member"],
                [5, "05/03/2025", "member"],
            ]
        },
    )
    progress = run_report(inbox, tmp_path / "out")
    assert membership(progress, "0072") == 3
    assert membership(progress, "1001") == 1
    [error] = issues_about(progress, "group.xlsx")
    assert error["code"] == "person_ambiguous" and error["value"] == "5"
    assert "Cat Three (05)" in error["problem"] and "Dan Four (005)" in error["problem"]


def test_ambiguous_name_lists_candidates(inbox: Path, tmp_path: Path) -> None:
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Jane Smith"),
                trainee_row("T9", "Dr Jane Smith"),
            ]
        },
    )
    write_csv(
        inbox / "g.csv", [["trainee", "date", "activity"], ["Jane Smith", "05/03/2025", "member"]]
    )
    progress = run_report(inbox, tmp_path / "out")
    [error] = issues_about(progress, "g.csv")
    assert "Jane Smith (T1)" in error["problem"] and "Dr Jane Smith (T9)" in error["problem"]
    assert source(progress, "g.csv")["rejected"] == 1


def test_unknown_co_leader_is_a_warning_and_the_row_counts(
    registered: Path, tmp_path: Path
) -> None:
    write_csv(
        registered / "g.csv",
        [
            ["trainee", "date", "activity", "co-leader"],
            ["T1", "05/03/2025", "co-leader", "Nobody Known"],
        ],
    )
    progress = run_report(registered, tmp_path / "out")
    [warning] = issues_about(progress, "g.csv")
    assert warning["severity"] == "warning" and warning["column"] == "co_leader"
    assert progress["trainees"][0]["requirements"]["co_leading"]["achieved"] == 1


# --- outcomes ------------------------------------------------------------------------------


def test_duplicates_across_files_name_the_first(registered: Path, tmp_path: Path) -> None:
    row = ["T1", "05/03/2025", "member", "Tuesday group"]
    write_csv(registered / "a.csv", [["trainee", "date", "activity", "event"], row])
    write_csv(
        registered / "b.csv",
        [
            ["trainee", "date", "activity", "event"],
            ["Jane Smith", "5/3/2025", "Member", "TUESDAY  group"],
        ],
    )
    progress = run_report(registered, tmp_path / "out")
    assert membership(progress, "T1") == 1
    [warning] = issues_about(progress, "b.csv")
    assert warning["row"] == 2 and "same as a.csv, row 2" in warning["problem"]
    assert source(progress, "b.csv")["duplicate"] == 1


def test_rejected_and_future_row_counts_as_rejected(registered: Path, tmp_path: Path) -> None:
    write_csv(
        registered / "g.csv", [["trainee", "date", "activity"], ["Nobody", "05/03/2030", "member"]]
    )
    assert source(run_report(registered, tmp_path / "out"), "g.csv")["rejected"] == 1


def test_register_rows_merge_and_conflicts_name_both_places(inbox: Path, tmp_path: Path) -> None:
    write_xlsx(
        inbox / "a.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Jane Smith", email="", psychodynamic_training="no"),
            ]
        },
    )
    write_xlsx(
        inbox / "b.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("t1", "Jane Smith", email="jane@example.org"),
                trainee_row("T1", "Jane Smith", psychodynamic_training="yes"),
            ]
        },
    )
    progress = run_report(inbox, tmp_path / "out")
    assert progress["trainees"][0]["requirements"]["membership"]["target"] == 20  # first wins: "no"
    counts = source(progress, "b.xlsx", "Trainees")
    assert (counts["duplicate"], counts["rejected"]) == (1, 1)
    [error] = [i for i in issues_about(progress, "b.xlsx") if i["severity"] == "error"]
    assert error["row"] == 3 and error["column"] == "psychodynamic_training"
    assert "a.xlsx, sheet Trainees, row 2" in error["problem"]


# --- unreadable files ----------------------------------------------------------------------


def _protected_xlsx() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["trainee", "date", "activity"])
    plain = io.BytesIO()
    book.save(plain)
    plain.seek(0)
    locked = io.BytesIO()
    OOXMLFile(plain).encrypt("secret", locked)
    return locked.getvalue()


def _xls_bytes() -> bytes:
    book = xlwt.Workbook()
    book.add_sheet("S").write(0, 0, "x")
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


_WEB_PAGE = (
    "<html><head><meta charset='utf-8'></head><body><table>"
    "<tr><td>trainee</td><td>date</td><td>activity</td></tr>"
    "<tr><td>T1</td><td>05/03/2025</td><td>member</td></tr></table></body></html>"
)


def _xlsx_bytes() -> bytes:
    data = io.BytesIO()
    openpyxl.Workbook().save(data)
    return data.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "cause"),
    [
        ("empty.xlsx", lambda: b"", "empty (0 bytes)"),
        ("locked.xlsx", _protected_xlsx, "password-protected: save an unprotected copy"),
        ("renamed.xlsx", _xls_bytes, "old-format Excel (.xls) file named as .xlsx"),
        ("renamed.xls", _xlsx_bytes, "new-format Excel (.xlsx) file named as .xls"),
        ("truncated.xlsx", lambda: _xlsx_bytes()[:300], "the file is incomplete or damaged"),
        ("garbage.ods", lambda: b"hello, world", "a text (CSV) file named as .ods"),
        ("unicode.xls", lambda: "a\tb\n".encode("utf-16"), "a text (CSV) file named as .xls"),
        # a website's or database's "export to Excel": a web page with an .xls name
        (
            "web_export.xls",
            lambda: _WEB_PAGE.encode(),
            "a web page saved with a .xls name, not a workbook (as some websites and databases "
            "export tables): open it in Excel and save it as a workbook (.xlsx)",
        ),
        (
            "web_export.xlsx",
            lambda: ("<!DOCTYPE html>\n" + _WEB_PAGE).encode("utf-16"),
            "a web page saved with a .xlsx name",
        ),
        ("web_export.csv", lambda: _WEB_PAGE.encode(), "a web page saved with a .csv name"),
        (
            "xml2003.xls",
            lambda: (
                b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
                b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>'
            ),
            "an Excel 2003 XML spreadsheet saved with a .xls name: open it in Excel and save it "
            "as a workbook (.xlsx)",
        ),
    ],
)
def test_unreadable_file_is_one_error_and_the_run_goes_on(
    registered: Path, tmp_path: Path, name: str, content, cause: str
) -> None:
    (registered / name).write_bytes(content())
    write_csv(
        registered / "g.csv", [["trainee", "date", "activity"], ["T1", "05/03/2025", "member"]]
    )
    result = run_cli("run", registered, "--out", tmp_path / "out", "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    progress = json.loads((tmp_path / "out" / "2026-11" / "progress.json").read_text())
    [error] = issues_about(progress, name)
    assert error["severity"] == "error" and cause in error["problem"]
    assert membership(progress, "T1") == 1


# --- reporting -----------------------------------------------------------------------------


def test_data_issues_sorted_and_cli_counts(registered: Path, tmp_path: Path) -> None:
    write_csv(
        registered / "b.csv",
        [
            ["trainee", "date", "activity", "extra"],
            ["T1", "05/03/2030", "member", ""],
            ["T1", "31/02/2025", "member", ""],
        ],
    )
    write_csv(
        registered / "a.csv", [["trainee", "date", "activity"], ["Nobody", "05/03/2025", "member"]]
    )
    result = run_cli("run", registered, "--out", tmp_path / "out", "--as-of", "2026-11-30")
    assert "2 errors, 1 warning — see Data issues in summary.xlsx" in result.output
    book = openpyxl.load_workbook(tmp_path / "out" / "2026-11" / "summary.xlsx", read_only=True)
    rows = list(book["Data issues"].iter_rows(values_only=True))
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [
        ("Error", "a.csv", 2),
        ("Error", "b.csv", 3),
        ("Warning", "b.csv", 2),
        ("Note", "b.csv", 1),
    ]


def test_check_prints_a_table_and_exits_1_on_errors(registered: Path) -> None:
    write_csv(
        registered / "g.csv", [["trainee", "date", "activity"], ["T1", "31/02/2025", "member"]]
    )
    result = run_cli("check", registered, "--as-of", "2026-11-30")
    assert result.exit_code == 1
    assert "g.csv" in result.output and "31/02/2025" in result.output
    assert "1 error, 0 warnings." in result.output


def test_check_exits_0_when_clean(registered: Path) -> None:
    write_csv(
        registered / "g.csv", [["trainee", "date", "activity"], ["T1", "01/02/2025", "member"]]
    )
    result = run_cli("check", registered, "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert "No data issues." in result.output


def test_a_file_checked_in_its_inbox_is_read_with_the_inboxs_registers(
    registered: Path, tmp_path: Path
) -> None:
    """A group leader's new file, checked on its own where it sits in the inbox: its names are
    matched against the inbox's registers (as a run would), and only its own issues listed."""
    (registered / "balint.toml").write_text("", encoding="utf-8")
    (registered / "attendance").mkdir()
    december = registered / "attendance" / "december.csv"
    write_csv(
        december,
        [
            ["name", "date", "activity"],
            ["Jane Smith", "01/12/2026", "member"],
            ["Jane Smyth", "08/12/2026", "member"],
        ],
    )
    write_csv(
        registered / "other.csv", [["trainee", "date", "activity"], ["T1", "31/02/2025", "member"]]
    )
    # last month's reports, kept inside the inbox: not read as registers (a run skips them too)
    reports = registered / "reports"
    assert run_cli("run", registered, "--out", reports, "--as-of", "2026-11-30").exit_code == 0
    assert (reports / "2026-11" / "summary.xlsx").is_file()

    result = run_cli("check", december, "--as-of", "2026-12-31")
    assert result.exit_code == 1, result.output  # Jane Smyth's row would be left out
    assert "Checked 1 file, 1 sheet, 2 rows" in result.output
    assert "matched against the inbox's registers (registers.xlsx);" in result.output
    assert "'Jane Smyth' is not in the trainees register; did you mean Jane Smith (T1)?" in (
        result.output
    )
    assert "'Jane Smith' is not in" not in result.output
    assert "other.csv" not in result.output  # another file's error: not this check's
    assert "1 error, 0 warnings." in result.output

    # The same file from elsewhere has no inbox to read: the registers must be named with it.
    elsewhere = tmp_path / "downloads" / "december.csv"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(december.read_bytes())
    alone = run_cli("check", elsewhere, "--as-of", "2026-12-31")
    assert "'Jane Smith' is not in the trainees register" in alone.output
    assert "inbox's registers" not in alone.output
    # ... and says why every name is unknown, and what to give
    assert (
        "No trainees register among these files, so every name above is reported as unknown: "
        "give the registers too" in " ".join(alone.output.split())
    )
    assert "No trainees register among" not in result.output


def test_formulas_and_control_characters_are_neutralised_in_the_summary(
    registered: Path, tmp_path: Path
) -> None:
    write_csv(
        registered / "g.csv",
        [
            ["trainee", "date", "activity"],
            ["T1", "05/03/2025", '=HYPERLINK("http://evil.example","click")'],
            ["T1", "06/03/2025", "dan\x01cing"],
            ["@SUM(A1)", "06/03/2025", "member"],
        ],
    )
    result = run_cli("run", registered, "--out", tmp_path / "out", "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "out" / "2026-11" / "summary.xlsx")
    cells = {row[5].value: row[5] for row in book["Data issues"].iter_rows(min_row=2)}
    # exactly as written, stored as text and marked so that editing it keeps it text
    for text in ('=HYPERLINK("http://evil.example","click")', "@SUM(A1)"):
        assert cells[text].data_type == "s" and cells[text].quotePrefix
    values = list(cells)
    assert "dancing" in values
    assert all(cell.data_type != "f" for row in book["Data issues"].iter_rows() for cell in row)


def test_reports_folder_inside_the_inbox_is_not_read_back(registered: Path, tmp_path: Path) -> None:
    write_csv(
        registered / "g.csv", [["trainee", "date", "activity"], ["T1", "05/03/2025", "member"]]
    )
    for _ in range(2):
        progress = run_report(registered, registered / "reports")
    assert {s["file"] for s in progress["sources"]} == {"g.csv", "registers.xlsx"}
    assert not [i for i in progress["issues"] if i["severity"] == "error"]


@pytest.mark.parametrize(
    ("sep", "notes"), [(";", "with Henry, Ruth, Sam, Ann"), (",", "a;b;c;d;e")]
)
def test_delimiter_is_not_fooled_by_the_other_one_in_notes(
    registered: Path, tmp_path: Path, sep: str, notes: str
) -> None:
    write_csv(
        registered / "g.csv",
        [
            ["Trainee", "Date", "Activity", "Notes"],
            ["Smith, Jane", "01/01/2026", "member", notes],
            ["Smith, Jane", "02/01/2026", "member", ""],
        ],
        sep=sep,
    )
    progress = run_report(registered, tmp_path / "out")
    assert source(progress, "g.csv")["accepted"] == 2


def test_na_typed_in_excel_is_text_not_blank(registered: Path, tmp_path: Path) -> None:
    write_xlsx(
        registered / "g.xlsx",
        {
            "S": [
                ["trainee", "date", "activity", "event"],
                ["NA", "N/A", "n/a", "None"],
                ["T1", "NULL", "member", "x"],
                ["T1", "01/01/2026", "member", "NA"],
            ]
        },
    )
    progress = run_report(registered, tmp_path / "out")
    assert source(progress, "g.xlsx", "S")["rows_read"] == 3
    errors = {(i["row"], i["column"], i["value"]) for i in issues_about(progress, "g.xlsx")}
    assert (2, "trainee", "NA") in errors and (3, "date", "NULL") in errors


def test_co_leader_matching_two_people_is_an_error(inbox: Path, tmp_path: Path) -> None:
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [TRAINEE_HEADER, trainee_row("T1", "Jane Smith")],
            "Leaders": [["leader_id", "name"], ["L3", "Sam Lee"], ["L4", "Sam Lee"]],
        },
    )
    write_csv(
        inbox / "g.csv",
        [
            ["trainee", "date", "activity", "co-leader"],
            ["T1", "05/03/2025", "co-leader", "Sam Lee"],
        ],
    )
    progress = run_report(inbox, tmp_path / "out")
    [error] = issues_about(progress, "g.csv")
    assert error["severity"] == "error" and "Sam Lee (L3)" in error["problem"]
    assert source(progress, "g.csv")["rejected"] == 1


def test_a_conflicting_register_row_lends_nothing(inbox: Path, tmp_path: Path) -> None:
    write_xlsx(
        inbox / "a.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Jane Smith", psychodynamic_training="yes"),
            ]
        },
    )
    write_xlsx(
        inbox / "b.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row(
                    "t1", "Jane Smith", email="jane@example.org", psychodynamic_training="no"
                ),
            ]
        },
    )
    write_xlsx(
        inbox / "c.xlsx",
        {
            "Leaders": [["leader_id", "name", "accredited"], ["L1", "Ann Leader", "yes"]],
            "More leaders": [
                ["leader_id", "name", "email", "accredited"],
                ["l1", "Ann Leader", "ann@example.org", ""],
            ],
        },
    )
    progress = run_report(inbox, tmp_path / "out")
    [error] = [i for i in issues_about(progress, "b.xlsx") if i["severity"] == "error"]
    assert error["value"] == "no" and "'yes'" in error["problem"]
    # the leaders' second row only fills blanks (its blank 'accredited' is not a 'no')
    assert source(progress, "c.xlsx", "More leaders")["duplicate"] == 1
    assert all(i["severity"] != "error" for i in issues_about(progress, "c.xlsx"))


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("05/03/0024", "the year 24 looks mistyped"),
        ("05/03/1524", "the year 1524 looks mistyped"),
        ("03/13/2024", "has no month 13 (dates are day first): correct the month"),
        ("31/04/2024", "no day 31 in month 4"),
    ],
)
def test_date_mistakes_say_which_part_is_wrong(
    registered: Path, tmp_path: Path, written: str, problem: str
) -> None:
    # 25/03/2024 can only be day first, so the column is read day first (docs/contract.md#values).
    rows = [
        ["trainee", "date", "activity"],
        ["T1", written, "member"],
        ["T1", "25/03/2024", "member"],
    ]
    write_csv(registered / "g.csv", rows)
    [error] = issues_about(run_report(registered, tmp_path / "out"), "g.csv")
    assert problem in error["problem"]


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        # Python would read these as numbers; nobody types them meaning one
        ("1e19", "'1e19' is not a whole number: write digits only, e.g. 2"),
        ("1_000", "'1_000' is not a whole number: write digits only, e.g. 2"),
        # a slip that would meet every count: the row is held back until corrected
        (
            "999999",
            "'999999' is more than one row can hold: sessions is at most 100 in a row; correct it",
        ),
        ("99999999999999999999999", "is more than one row can hold"),
    ],
)
def test_unbelievable_numbers_are_an_error_not_a_count(
    registered: Path, tmp_path: Path, written: str, problem: str
) -> None:
    write_csv(
        registered / "g.csv",
        [["trainee", "date", "activity", "sessions"], ["T1", "05/03/2025", "member", written]],
    )
    progress = run_report(registered, tmp_path / "out")
    [error] = issues_about(progress, "g.csv")
    assert error["column"] == "sessions" and problem in error["problem"]
    assert membership(progress, "T1") == 0


def test_a_huge_number_of_hours_is_an_error_not_a_crash(registered: Path, tmp_path: Path) -> None:
    write_csv(
        registered / "s.csv",
        [["trainee", "supervisor", "date", "hours"], ["T1", "L1", "05/03/2025", "2000000"]],
    )
    [error] = issues_about(run_report(registered, tmp_path / "out"), "s.csv")
    assert error["column"] == "hours" and "too large" in error["problem"]


@pytest.mark.parametrize(
    "text",
    ['[values.activity]\n"x" = ["member"]\n', '[columns.attendance]\n"x" = ["trainee"]\n'],
)
def test_a_list_where_a_name_belongs_is_one_line(
    registered: Path, tmp_path: Path, text: str
) -> None:
    (registered / "balint.toml").write_text(text, encoding="utf-8")
    result = run_cli("run", registered, "--out", tmp_path / "out", "--as-of", "2026-11-30")
    assert result.exit_code == 1 and "balint.toml" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_file_name_that_is_not_utf8_is_read(registered: Path, tmp_path: Path) -> None:
    name = b"Si\xe2n register.csv"
    with open(os.fsencode(registered) + b"/" + name, "wb") as handle:
        handle.write(b"trainee,date,activity\nT1,01/02/2025,member\n")
    progress = run_report(registered, tmp_path / "out")
    assert membership(progress, "T1") == 1
    assert "Si\ufffdn register.csv" in {s["file"] for s in progress["sources"]}


@pytest.mark.parametrize("as_of", ["0100-01-01", "0001-01-31", "3000-01-01"])
def test_a_mistyped_report_year_is_a_usage_error(
    registered: Path, tmp_path: Path, as_of: str
) -> None:
    result = run_cli("run", registered, "--out", tmp_path / "out", "--as-of", as_of)
    assert result.exit_code == 2 and "looks mistyped" in result.output


def test_cells_merged_down_beside_their_rows_hold_for_each_row(
    registered: Path, tmp_path: Path
) -> None:
    """A weekend's organiser merges its date and name down beside the delegates: each row
    has them, as the organiser sees the sheet. A title merged across is a title still."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Weekend"
    sheet.append(["Oxford Balint weekend — delegates"])
    sheet.append(["Date", "Event", "Name", "Role", "Days"])
    sheet.append([dt.datetime(2026, 9, 12), "Oxford weekend", "Jane Smith", "weekend_member", 2])
    sheet.append([None, None, "José Álvarez", "weekend_member", 2])
    sheet.append([dt.datetime(2026, 10, 10), "London day", "Jane Smith", "leadership_day", 1])
    for merged in ("A1:E1", "A3:A4", "B3:B4"):
        sheet.merge_cells(merged)
    book.save(registered / "weekends.xlsx")
    progress = run_report(registered, tmp_path / "out")
    assert issues_about(progress, "weekends.xlsx") == []
    assert source(progress, "weekends.xlsx", "Weekend")["accepted"] == 3
    result = run_cli("evidence", tmp_path / "out" / "2026-11", "T3")
    assert result.exit_code == 0, result.output
    statement = json.loads(
        (tmp_path / "out" / "2026-11" / "evidence" / "T3.json").read_text(encoding="utf-8")
    )
    membership_rows = next(q for q in statement["requirements"] if q["id"] == "membership")
    assert [(r["date"], r["detail"]) for r in membership_rows["counted"]] == [
        ("12/09/2026", "Oxford weekend, 2 days")
    ]
