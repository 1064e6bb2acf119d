"""Blank input workbooks that prevent mistakes, and a working folder to start from (`init`).

A template has the canonical headings of its kind, dropdowns (Excel data validation) for every
closed vocabulary, yes/no and, given the registers, the known people, date checks on date
columns, and an Instructions sheet. What the team fills in reads back through `run` as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .errors import OutputError
from .ruleset import Ruleset
from .safecells import spreadsheet_safe
from .schema import KINDS_BY_NAME, VOCABULARIES, Column, ValueType

# Each template kind and the sheets (title, record kind) it holds.
TEMPLATE_KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    "attendance": (("Attendance", "attendance"),),
    "supervision": (("Supervision", "supervision"),),
    "portfolio": (("Portfolio", "portfolio"),),
    "registers": (("Trainees", "trainees"), ("Leaders", "leaders")),
}
LISTS_SHEET = "Lists"  # hidden: the dropdowns' choices, as lists may hold commas
INSTRUCTIONS_SHEET = "Instructions"
TEMPLATE_SHEETS = (LISTS_SHEET, INSTRUCTIONS_SHEET)  # read as no kind, and said nothing about
ROWS = 1000  # rows below the heading that carry the dropdowns and checks
DATE_FORMAT = "DD/MM/YYYY"
# What each kind's rows are, for the instructions.
ONE_ROW_PER = {
    "attendance": "one row per trainee per group meeting or event (a weekend may be one row "
    "with its number of sessions, or one row per day)",
    "supervision": "one row per supervision session",
    "portfolio": "one row per competency signed off",
    "trainees": "one row per trainee on the pathway",
    "leaders": "one row per accredited leader or supervisor",
}


@dataclass(frozen=True)
class People:
    """Names known from the inbox's registers, for dropdowns: trainees, and leaders."""

    trainees: tuple[str, ...] = ()
    leaders: tuple[str, ...] = ()


def heading(column: Column) -> str:
    """`co_leader_present` -> `Co leader present`, `trainee_id` -> `Trainee ID`: read back as is."""
    words = column.name.replace("_", " ")
    if words.endswith(" id"):
        words = words[:-3] + " ID"
    return words[:1].upper() + words[1:]


def _choice(value: str) -> str:
    """`co_leader` -> `co leader`: a vocabulary value as the team would write it."""
    return value.replace("_", " ")


class _Lists:
    """The hidden Lists sheet: one column per list of choices, named once each."""

    def __init__(self, book: Workbook) -> None:
        self.sheet = book.create_sheet(LISTS_SHEET)
        self.sheet.sheet_state = "hidden"
        self.ranges: dict[str, str] = {}

    def range(self, name: str, values: Sequence[str]) -> str | None:
        """The absolute range holding `values` (written on first use); None when empty."""
        if not values:
            return None
        if name not in self.ranges:
            column = len(self.ranges) + 1
            letter = get_column_letter(column)
            self.sheet.cell(row=1, column=column, value=f"List {name}")
            for row, value in enumerate(values, start=2):
                self.sheet.cell(row=row, column=column, value=spreadsheet_safe(value))
            last = len(values) + 1
            self.ranges[name] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${last}"
        return self.ranges[name]


def _choices(column: Column, rulesets: Sequence[Ruleset], people: People) -> tuple[str, list]:
    """The list a column's dropdown offers, and its name; an empty list for free text."""
    if column.type == ValueType.VOCAB and column.vocabulary:
        return column.vocabulary, [_choice(v) for v in VOCABULARIES[column.vocabulary].values]
    if column.type == ValueType.YESNO:
        return "yes/no", ["yes", "no"]
    if column.type == ValueType.COMPETENCY:
        titles = []
        for ruleset in rulesets:
            titles += [c.title for c in ruleset.competencies if c.title not in titles]
        return "competency", titles
    if column.type == ValueType.TRAINEE:
        return "trainee", list(people.trainees)
    if column.type == ValueType.LEADER:
        return "leader", list(people.leaders)
    if column.type == ValueType.PERSON:
        return "person", sorted({*people.trainees, *people.leaders})
    return "", []


def _validation(
    column: Column, lists: _Lists, rulesets: Sequence[Ruleset], people: People
) -> DataValidation | None:
    """The data validation for a column, or None where any text will do."""
    name, values = _choices(column, rulesets, people)
    source = lists.range(name, values)
    if source is not None:
        # A name not in the list is still allowed (a new trainee): the run checks it.
        strict = column.type not in (ValueType.TRAINEE, ValueType.LEADER, ValueType.PERSON)
        check = DataValidation(
            type="list",
            formula1=source,
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="stop" if strict else "warning",
            errorTitle=heading(column),
            error="Choose a value from the list."
            if strict
            else "This name is not in the "
            "registers: check the spelling, or add the person to the register.",
        )
        return check
    if column.type == ValueType.DATE:
        return DataValidation(
            type="date",
            operator="between",
            formula1="DATE(2000,1,1)",
            formula2="DATE(2099,12,31)",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=heading(column),
            error="Enter a date, e.g. 05/03/2026.",
            promptTitle=heading(column),
            prompt="A date, e.g. 05/03/2026",
            showInputMessage=True,
        )
    if column.type == ValueType.WHOLE:
        return DataValidation(
            type="whole",
            operator="greaterThanOrEqual",
            formula1="1",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=heading(column),
            error="Enter a whole number, 1 or more.",
        )
    if column.type == ValueType.DECIMAL:
        return DataValidation(
            type="decimal",
            operator="greaterThan",
            formula1="0",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=heading(column),
            error="Enter a number greater than 0, e.g. 1.5.",
        )
    return None


def _data_sheet(
    book: Workbook,
    title: str,
    kind_name: str,
    lists: _Lists,
    rulesets: Sequence[Ruleset],
    people: People,
) -> None:
    """One sheet of a kind: bold headings (required ones filled), dropdowns and checks below."""
    sheet: Worksheet = book.create_sheet(title)
    required_fill = PatternFill("solid", fgColor="FAD7A8")
    optional_fill = PatternFill("solid", fgColor="E7E6E6")
    for number, column in enumerate(KINDS_BY_NAME[kind_name].columns, start=1):
        letter = get_column_letter(number)
        cell = sheet.cell(row=1, column=number, value=heading(column))
        cell.font = Font(bold=True)
        cell.fill = required_fill if column.required else optional_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[letter].width = max(14, len(heading(column)) + 4)
        cells = f"{letter}2:{letter}{ROWS + 1}"
        check = _validation(column, lists, rulesets, people)
        if check is not None:
            sheet.add_data_validation(check)
            check.add(cells)
        if column.type == ValueType.DATE:
            for (cell,) in sheet.iter_rows(min_row=2, max_row=ROWS + 1, min_col=number):
                cell.number_format = DATE_FORMAT
    sheet.freeze_panes = "A2"


def _instructions(book: Workbook, sheets: Sequence[tuple[str, str]]) -> None:
    """The sheet that says how to fill the others in."""
    sheet = book.create_sheet(INSTRUCTIONS_SHEET)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 90
    lines: list[tuple[str, str]] = [
        ("How to fill this in", ""),
        (
            "",
            "Fill in the sheet(s) "
            + ", ".join(t for t, _ in sheets)
            + ": "
            + "; ".join(f"{t}: {ONE_ROW_PER[k]}" for t, k in sheets)
            + ".",
        ),
        (
            "",
            "Keep the headings in row 1 as they are. Orange headings must be filled in on "
            "every row; grey ones may be left blank.",
        ),
        ("", "Dates: type them as day/month/year, e.g. 05/03/2026."),
        (
            "",
            "Columns with a small arrow offer a list: choose from it. Names of people may be "
            "typed when someone is new, exactly as the trainee or leader register writes them.",
        ),
        (
            "",
            "Save the file as .xlsx and send it to the leadership team (or put it in the "
            "inbox folder). Add new rows below the last; never reuse a row for something else.",
        ),
        ("Columns", ""),
    ]
    for title, kind_name in sheets:
        for column in KINDS_BY_NAME[kind_name].columns:
            need = "required" if column.required else "optional"
            lines.append((f"{title}: {heading(column)}", f"{need}; {_explain(column)}"))
    for label, text in lines:
        sheet.append([label, text])
        row = sheet.max_row
        sheet.cell(row=row, column=1).font = Font(bold=True)
        sheet.cell(row=row, column=2).alignment = Alignment(wrap_text=True, vertical="top")


def _explain(column: Column) -> str:
    """What a column takes, in a few words."""
    match column.type:
        case ValueType.DATE:
            return "a date, e.g. 05/03/2026"
        case ValueType.YESNO:
            return "yes or no"
        case ValueType.WHOLE:
            return "a whole number, 1 or more"
        case ValueType.DECIMAL:
            return "a number, e.g. 1.5"
        case ValueType.TRAINEE:
            return "the trainee's name or ID, as the trainee register has it"
        case ValueType.LEADER:
            return "the leader's name or ID, as the leader register has it"
        case ValueType.PERSON:
            return "a leader's or trainee's name, if there was one"
        case ValueType.COMPETENCY:
            return "the competency, from the list (its number or title also works)"
        case ValueType.VOCAB:
            choices = VOCABULARIES[column.vocabulary or ""].values
            return "one of: " + ", ".join(_choice(v) for v in choices)
    return "text"


def write_template(
    path: Path, kind: str, rulesets: Sequence[Ruleset], people: People = People()
) -> None:
    """A blank workbook of `kind` (a key of TEMPLATE_KINDS) at `path`, ready to fill in."""
    sheets = TEMPLATE_KINDS[kind]
    book = Workbook()
    book.remove(book.active)
    lists = _Lists(book)
    for title, kind_name in sheets:
        _data_sheet(book, title, kind_name, lists, rulesets, people)
    _instructions(book, sheets)
    book.move_sheet(LISTS_SHEET, offset=len(book.sheetnames))  # last, and hidden
    book.active = 0
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the template ({exc.strerror})") from None


# --- init: a working folder to start from ------------------------------------------------------

CONFIG_TEXT = """# balint.toml: the settings of the monthly run. Lines starting with # are comments.
# balint-reports reads this file when it sits at the top of the inbox folder.

[report]
society = "The Balint Society"              # named in every letter
signature = "The Leadership Team"           # signs every letter
contact_email = "accreditation@example.org" # where trainees reply

# Your own column headings, if your spreadsheets use other words than the templates:
# [columns.attendance]
# "Participant" = "trainee"
# "Session date" = "date"

# Your own spellings of the activities and supervision modes:
# [values.activity]
# "Co-facilitator" = "co_leader"
# [values.mode]
# "MS Teams" = "video"

# Files in the inbox never to read (patterns on paths inside the inbox):
# [inbox]
# ignore = ["old/*", "*draft*"]

# Who the emails come from, once you are ready to send them (see README, Sending the letters):
# [email]
# from = "Balint Society Accreditation <accreditation@example.org>"
# subject = "Your accreditation progress, {month}"
#
# [smtp]
# host = "smtp.example.org"
# port = 587
# security = "starttls"
# username = "accreditation@example.org"
# Never write the password here: set BALINT_SMTP_PASSWORD, or type it when `send` asks.
"""

HOW_TO_TEXT = """HOW TO: the monthly accreditation report
========================================

This folder holds:
  inbox/          the spreadsheets of the month, and balint.toml (the settings)
  inbox/*.xlsx    blank templates: the trainee and leader registers, attendance,
                  supervision and portfolio sign-offs. Send copies to the group leaders
                  and supervisors; their dropdowns prevent most mistakes.
  reports/        written by balint-reports: one folder per month

Each month
----------
1. Put every spreadsheet you received into inbox/ (sub-folders are fine).
2. Run the report, in this folder (Terminal on Linux or macOS, Command Prompt on Windows):
     balint-reports run inbox --out reports
   If balint-reports was installed in a .venv, write .venv/bin/balint-reports on Linux
   or macOS, and .venv\\Scripts\\balint-reports on Windows, instead of balint-reports.
3. Open reports/YYYY-MM/summary.xlsx. Its About sheet says how to read it. Fix what the
   Data issues sheet points at, in the spreadsheets, and run again.
4. Look at a few letters in reports/YYYY-MM/letters/, then email them:
     balint-reports send reports/YYYY-MM                   (a dry run: sends nothing)
     balint-reports send reports/YYYY-MM --test-to you@example.org
                                                  (one letter and one digest, to you)
     balint-reports send reports/YYYY-MM --no-dry-run      (sends the letters)
     balint-reports send reports/YYYY-MM --no-dry-run --digests   (the supervisors' digests)
   Stopped half-way? Run the same command again: nothing is sent twice.

Fresh templates at any time, with dropdowns of the names in your registers:
     balint-reports template attendance.xlsx --inbox inbox --kind attendance

Running it on a schedule
------------------------
The report can be written by itself, e.g. at 7 in the morning on the 1st of each month.
Sending is best left to a person, after a look at the summary.

Linux or macOS, with cron (crontab -e, then add one line; use full paths):
  0 7 1 * *  cd $HOME/balint && .venv/bin/balint-reports run inbox --out reports >>cron.log 2>&1
(here the folder is $HOME/balint, with balint-reports installed in its .venv)

Windows, with Task Scheduler:
  1. Start > Task Scheduler > Create Basic Task. Name: Balint monthly report.
  2. Trigger: Monthly, day 1, 07:00.
  3. Action: Start a program.
       Program/script:  C:\\path\\to\\.venv\\Scripts\\balint-reports.exe
       Add arguments:   run inbox --out reports
       Start in:        C:\\path\\to\\this\\folder
  4. Finish. Right-click the task > Run, to try it once.

Only one run at a time can write to reports/: a second one stops at once and says so.
"""


def init_folder(folder: Path, rulesets: Sequence[Ruleset]) -> list[tuple[Path, bool]]:
    """A working folder: inbox/ with templates and balint.toml, and HOW-TO.txt; never overwrites.

    Returns each file with whether it was written (False: it was there already and is kept).
    """
    inbox = folder / "inbox"
    files: list[tuple[Path, bool]] = []
    try:
        inbox.mkdir(parents=True, exist_ok=True)
        for path, text in (
            (inbox / "balint.toml", CONFIG_TEXT),
            (folder / "HOW-TO.txt", HOW_TO_TEXT),
        ):
            files.append((path, _create(path, text)))
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the folder ({exc.strerror})") from None
    for kind in TEMPLATE_KINDS:
        path = inbox / f"{kind}.xlsx"
        written = not path.exists()
        if written:
            write_template(path, kind, rulesets)
        files.append((path, written))
    return files


def _create(path: Path, text: str) -> bool:
    """Write `text` to a new file; False, and nothing changed, if the file exists."""
    try:
        with path.open("x", encoding="utf-8", newline="") as f:
            f.write(text)
    except FileExistsError:
        return False
    return True
