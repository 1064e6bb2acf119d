"""summary.xlsx: the month's report for the team, in their words (docs/contract.md#outputs).

Each sheet is a list of `Column`s (heading, width, how its cells look) and plain rows of
values; `_write_sheet` turns them into cells. Values are words the team uses (`Not yet met`,
`Warning`); progress.json keeps the machine names.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from copy import copy
from dataclasses import dataclass

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from .changes import Change
from .chase import overdue_since
from .issues import ISSUE_COLUMNS
from .labels import (
    OVERALL_WORDS,
    REGISTER_WORDS,
    SEVERITY_WORDS,
    STATUS_WORDS,
    advice_words,
)
from .letters import letter_file
from .model import MET, RunResult, TraineeResult
from .read import fast_paths
from .safecells import xlsx_cell
from .sheetxml import WRITES_AS_OPENPYXL, DirectRows
from .validate import SOURCE_COLUMNS
from .wording import month_text, third_person

# Fills from the Okabe-Ito palette, lightened: blue for done, orange for not yet, grey for
# unknown tell apart for every common colour blindness, and the word is always in the cell.
_BLUE, _ORANGE, _GREY, _RED, _YELLOW = "BCD9F0", "FAD7A8", "DDDDDD", "F2B8A0", "FFF1B0"
FILLS = {
    "Met": _BLUE,
    "Ready": _BLUE,
    "Not yet met": _ORANGE,
    "In progress": _ORANGE,
    "Cannot assess": _GREY,
    "Needs data": _GREY,
    "Error": _RED,
    "Warning": _YELLOW,
}
LINE_HEIGHT = 15  # points: one line of 11-point text
DATE_FORMAT = "DD/MM/YYYY"  # as the team's locale shows dates: 05/03/2026
ABOUT_TEXT_WIDTH = 70
# Up to this many rows a sheet's plain cells are top-aligned beside its wrapped ones; a longer
# sheet keeps them unstyled, which writes about twice as fast.
STYLED_ROWS = 5000


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its heading, its width in characters, and how its cells look."""

    header: str
    width: int
    # text, number (top-aligned, beside wrapped cells), plain (no style: cheapest, for the
    # long sheets), wrap, percent, date, status (filled by its word), link
    look: str = "text"


def _words(mapping: dict[str, str], value: object) -> object:
    """The word for a machine value; anything else as it is."""
    return mapping.get(value, value) if isinstance(value, str) else value


def _month(value: str) -> str:
    """`2027-05` -> `May 2027`: a forecast month as the team reads it; anything else as it is."""
    try:
        return month_text(value)
    except ValueError:
        return value


def _text_cell(sheet: Worksheet, text: str) -> Cell:
    """A cell holding `text` as text: a heading or title from the team's config or rulesets,
    kept from becoming a formula or an error value as every other value is (safecells)."""
    safe = xlsx_cell(sheet, text)
    return safe if isinstance(safe, Cell) else WriteOnlyCell(sheet, value=safe)


class _Looks:
    """The workbook's cell styles, made once: openpyxl shares a style between equal cells."""

    def __init__(self) -> None:
        top = Alignment(vertical="top")
        self.heading = Alignment(vertical="top", wrap_text=True)
        # Indented: printed, a number right-aligned in the column before ran into the text
        # ("20 | 24 member sessions" read as "2024 member sessions").
        self.wrap = Alignment(vertical="top", wrap_text=True, indent=1)
        self.top = top
        self.header_font = Font(bold=True)
        self.header_fill = PatternFill("solid", fgColor="E7E6E6")
        self.header_border = Border(bottom=Side(style="thin"))
        self.fills = {word: PatternFill("solid", fgColor=rgb) for word, rgb in FILLS.items()}
        self.link_font = Font(color="0563C1", underline="single")
        self._styles: dict[tuple[str, object], StyleArray] = {}

    def _styled(self, cell: WriteOnlyCell, look: str, value: object) -> None:
        """Give `cell` the style of its column's look (and, for a status, of its word)."""
        if look == "wrap":
            cell.alignment = self.wrap
            return
        cell.alignment = self.top
        if look == "percent":
            cell.number_format = "0%"
        elif look == "date":
            cell.number_format = DATE_FORMAT
        elif look == "status" and value in self.fills:
            cell.fill = self.fills[value]
        elif look == "link":
            cell.font = self.link_font

    def cell(self, sheet: Worksheet, value: object, look: str) -> object:
        """A cell for `value` as the column's look wants it; a plain value where no style is."""
        safe = xlsx_cell(sheet, value)
        if look == "plain" or isinstance(safe, Cell):
            return safe  # text that would start a formula: safecells' text cell, as it is
        value = safe
        cell = WriteOnlyCell(sheet, value=value)
        # Setting a style looks it up in the workbook's tables, which is most of the time a
        # styled cell takes: each look's style is worked out once and copied after that.
        key = (look, value if look == "status" else None)
        style = self._styles.get(key)
        if style is None:
            self._styled(cell, look, value)
            self._styles[key] = copy(cell._style)
        else:
            cell._style = copy(style)
        if look == "link" and value:
            cell.hyperlink = value  # a path relative to summary.xlsx: the letter beside it
        return cell

    def style(self, sheet: Worksheet, look: str, value: object) -> StyleArray | None:
        """The style `cell` gives `value` in `look`; None for a cell without one."""
        cell = self.cell(sheet, value, look)
        return cell._style if isinstance(cell, Cell) and cell.has_style else None


def _lines(value: object, width: int) -> int:
    """How many lines `value` takes wrapped in a column `width` characters wide (roughly)."""
    if not isinstance(value, str) or not value:
        return 1
    return sum(max(1, math.ceil(len(part) / width)) for part in value.split("\n"))


def _height(cells: list[tuple[object, int]]) -> int | None:
    """The height in points of a row with these (value, column width) cells wrapped; None for
    one line, which needs none."""
    lines = max((_lines(value, width) for value, width in cells), default=1)
    return min(409, LINE_HEIGHT * lines) if lines > 1 else None


def _fit_height(sheet: Worksheet, row: int, cells: list[tuple[object, int]]) -> None:
    """Give a row with wrapped text the height it needs: not every program works it out.

    Call before the row is appended: a write-only sheet writes each row as it comes.
    """
    height = _height(cells)
    if height:
        sheet.row_dimensions[row].height = height


def _print_setup(sheet: Worksheet, columns: int) -> None:
    """Landscape, as wide as one page, the header row on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as it takes
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = "1:1"
    sheet.print_options.gridLines = True
    sheet.oddFooter.center.text = "&A, page &P of &N"


# The widest a column of file or sheet names is made to show them whole.
WIDEST_NAMES = 60


def _fitting(names: pd.Series, width: int) -> int:
    """A width at least `width` that shows the column's names whole, up to WIDEST_NAMES: a file
    or sheet cut short ("London day Mar 202") cannot be found."""
    longest = int(names.astype(str).str.len().max()) if len(names) else 0
    return max(width, min(WIDEST_NAMES, longest + 2))


def _write_sheet(
    book: Workbook,
    looks: _Looks,
    title: str,
    columns: list[Column],
    rows: Iterable[list],
    freeze: str = "A2",
    size: int | None = None,
) -> Worksheet:
    """A sheet with a bold, filtered, frozen header row, then one row per item of `rows`.

    `size`, the number of rows when known, lets a short sheet's plain cells be top-aligned.
    """
    sheet = book.create_sheet(title)
    for i, column in enumerate(columns, start=1):
        # Wide enough for the heading's longest word: a wrapped heading never breaks a word.
        longest = max(len(word) for word in column.header.split())
        sheet.column_dimensions[get_column_letter(i)].width = max(column.width, longest + 3)
    sheet.freeze_panes = freeze
    _print_setup(sheet, len(columns))
    header = []
    for column in columns:
        cell = _text_cell(sheet, column.header)
        cell.font = looks.header_font
        cell.fill = looks.header_fill
        cell.border = looks.header_border
        cell.alignment = looks.heading
        header.append(cell)
    _fit_height(sheet, 1, [(c.header, c.width) for c in columns])
    sheet.append(header)
    count = 0
    looks_of = [c.look for c in columns]
    if size is not None and size <= STYLED_ROWS:
        looks_of = ["text" if look == "plain" else look for look in looks_of]
    wrapped = [(i, c.width) for i, c in enumerate(columns) if c.look == "wrap"]
    direct = None
    if fast_paths() and WRITES_AS_OPENPYXL:
        direct = DirectRows(sheet, looks_of, looks.cell, looks.style, 2)
    for row in rows:
        count += 1
        height = _height([(row[i], width) for i, width in wrapped])
        if direct:
            direct.append(row, height)
            continue
        if height:
            sheet.row_dimensions[count + 1].height = height
        sheet.append([looks.cell(sheet, v, look) for v, look in zip(row, looks_of, strict=True)])
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    if direct:
        direct.close()
    return sheet


def _requirement_titles(report: RunResult) -> dict[str, str]:
    """Requirement id -> its heading: the title in the first ruleset that has it, for the team
    (a title speaks to the trainee: `wording.third_person`), made unique."""
    titles: dict[str, str] = {}
    for ruleset in report.rulesets:
        for q in ruleset.requirements:
            if q.id not in titles:
                titles[q.id] = third_person(q.title)
    seen: dict[str, int] = {}
    for title in titles.values():
        seen[title] = seen.get(title, 0) + 1
    # Two rulesets may give different requirements one title: the id tells them apart.
    return {i: t if seen[t] == 1 else f"{t} ({i})" for i, t in titles.items()}


def _progress(achieved: float | None, target: float, status: str) -> float | None:
    """How far along a requirement is, 0 to 1; blank when it cannot be assessed."""
    if status == MET:
        return 1.0
    if achieved is None or not target:
        return None
    return max(0.0, min(1.0, achieved / target))


def _cost(t: TraineeResult) -> str | None:
    """`£60–£80` at the ruleset's suggested fee; blank without a fee or supervision hours."""
    fee = t.ruleset.fee
    if fee is None or t.cost_low is None or t.cost_high is None:
        return None
    return f"{fee.currency}{t.cost_low:,.0f}–{fee.currency}{t.cost_high:,.0f}"


def _overview(report: RunResult, titles: dict[str, str], letters: bool) -> tuple[list, list]:
    # Narrow columns with wrapped headings: the sheet is printed as wide as one page.
    columns = [Column("Trainee ID", 9), Column("Name", 18), Column("Register status", 10)]
    columns.append(Column("Overall", 12, "status"))
    for title in titles.values():
        columns += [Column(title, 12, "status"), Column(f"{title} (%)", 12, "percent")]
    columns += [
        Column("Next step", 36, "wrap"),
        Column("Forecast", 22, "wrap"),
        Column("Supervisor", 16, "wrap"),
        Column("Supervision hours", 10, "number"),
        Column("Cost range", 11),
        Column("Ruleset", 10),
        Column("Letter", 16, "link"),
        # after the contract's columns: the date a supervisor's report was asked for, once overdue
        Column("Report overdue, asked for on", 14, "date"),
    ]
    weeks = report.config.report.reference_chase_weeks
    rows = []
    for t in report.trainees:
        by_id = {r.id: r for r in t.requirements}
        per_requirement: list[object] = []
        for rid in titles:
            r = by_id.get(rid)
            if r is None:  # another ruleset's requirement
                per_requirement += [None, None]
            else:
                per_requirement += [
                    STATUS_WORDS.get(r.status, r.status),
                    _progress(r.achieved, r.target, r.status),
                ]
        forecasts = [
            f"{titles.get(r.id, r.title)}: {month_text(report.forecasts[(t.trainee_id, r.id)])}"
            for r in t.requirements
            if (t.trainee_id, r.id) in report.forecasts
        ]
        rows.append(
            [
                t.trainee_id,
                t.name,
                _words(REGISTER_WORDS, t.status),
                _words(OVERALL_WORDS, t.overall),
                *per_requirement,
                third_person(t.next_step),  # the letter's step, told to the team
                "\n".join(forecasts) or None,
                t.supervisor,
                t.supervision_hours,
                _cost(t),
                t.ruleset.id,
                letter_file(t, letters),
                overdue_since(t, report.as_of, weeks),
            ]
        )
    return columns, rows


def _about(book: Workbook, looks: _Looks, report: RunResult, titles: dict[str, str]) -> None:
    """The first sheet: what the workbook is, how to read it, and who meets each requirement."""
    sheet = book.create_sheet("About")
    sheet.column_dimensions["A"].width = 42
    sheet.column_dimensions["B"].width = 16
    sheet.column_dimensions["C"].width = 16
    sheet.column_dimensions["D"].width = ABOUT_TEXT_WIDTH
    _print_setup(sheet, 4)
    sheet.print_title_rows = None
    sheet.print_options.gridLines = False  # a page of text and a chart, not a table
    heading = _text_cell(sheet, f"Accreditation progress — {report.config.report.society}")
    heading.font = Font(bold=True, size=14)
    sheet.append([heading])
    date = WriteOnlyCell(sheet, value=report.as_of)
    date.number_format = DATE_FORMAT
    date.alignment = Alignment(horizontal="left")
    sheet.append(["Report date", date])
    sheet.append(["Trainees", len(report.trainees)])
    sheet.append([])
    guide = [
        ("How to read this workbook", ""),
        (
            "Overview",
            "One row per trainee: the overall status, each requirement's status and "
            "how far along it is, the next step, when it may be met at the trainee's pace over "
            "the last 12 months, the supervisor, the hours of supervision with any supervisor "
            "(whether they count is the supervision requirement's column) and their cost at the "
            "suggested fee, and a link to the trainee's letter.",
        ),
        (
            "Requirements",
            "One row per trainee and requirement: the numbers reached and needed, "
            "and what they are made of.",
        ),
        ("Advisories", "Suggestions given to each trainee. They never hold up accreditation."),
        (
            "Data issues",
            "Problems found in the spreadsheets: the file, sheet, row and column, "
            "the value, and what to do. Fix them in the spreadsheets and run again.",
        ),
        ("Sources", "Every file and sheet read, and what became of its rows."),
        ("Changes", "What moved for each trainee since the previous report."),
        ("Colours", "Each status is written in its cell; the colour only helps the eye."),
    ]
    for number, (label, text) in enumerate(guide, start=5):
        _fit_height(sheet, number, [(text, ABOUT_TEXT_WIDTH)])
        first = WriteOnlyCell(sheet, value=label)
        first.font = looks.header_font
        first.alignment = looks.top
        second = WriteOnlyCell(sheet, value=text)
        second.alignment = looks.wrap
        sheet.append([first, None, None, second] if text else [first])
    legend = [word for word in FILLS]
    for word in legend:
        sheet.append([None, looks.cell(sheet, word, "status")])
    sheet.append([])
    chart_top = len(guide) + len(legend) + 6
    header = []
    _fit_height(sheet, chart_top, [("Trainees who meet it", 16)])
    for text in ("Requirement", "Trainees who meet it", "Trainees assessed"):
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = looks.header_font
        cell.fill = looks.header_fill
        cell.alignment = looks.heading
        header.append(cell)
    sheet.append(header)
    met = dict.fromkeys(titles, 0)
    assessed = dict.fromkeys(titles, 0)
    for t in report.trainees:
        for r in t.requirements:
            assessed[r.id] += 1
            met[r.id] += r.status == MET
    for rid, title in titles.items():
        sheet.append([_text_cell(sheet, title), met[rid], assessed[rid]])
    if titles and report.trainees:
        chart = BarChart()
        chart.type = "bar"  # horizontal: long requirement titles read on the left
        chart.title = "Trainees who meet each requirement"
        chart.legend = None
        chart.y_axis.title = "Trainees"
        chart.y_axis.majorGridlines = None
        chart.x_axis.scaling.orientation = "maxMin"  # first requirement on top
        data = Reference(sheet, min_col=2, min_row=chart_top, max_row=chart_top + len(titles))
        labels = Reference(sheet, min_col=1, min_row=chart_top + 1, max_row=chart_top + len(titles))
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(labels)
        chart.height = 2 + 1.2 * len(titles)
        chart.width = 18
        sheet.add_chart(chart, f"D{chart_top}")


def workbook_bytes(report: RunResult, changes: list[Change], letters: bool = True) -> bytes:
    """summary.xlsx: About, the six sheets of docs/contract.md#outputs, Decisions if any."""
    book = Workbook(write_only=True)
    looks = _Looks()
    titles = _requirement_titles(report)
    everyone = {**STATUS_WORDS, **OVERALL_WORDS, **REGISTER_WORDS}
    _about(book, looks, report, titles)
    _write_sheet(book, looks, "Overview", *_overview(report, titles, letters), freeze="C2")
    _write_sheet(
        book,
        looks,
        "Requirements",
        [
            # The longest sheet but one: only the cells that need a style get one.
            Column("Trainee ID", 11, "plain"),
            Column("Name", 22, "plain"),
            Column("Requirement", 38, "plain"),
            Column("Status", 14, "status"),
            Column("Achieved", 10, "plain"),
            Column("Target", 10, "plain"),
            Column("Detail", 70, "wrap"),
        ],
        (
            [
                t.trainee_id,
                t.name,
                titles.get(r.id, r.title),
                STATUS_WORDS.get(r.status, r.status),
                r.achieved,
                r.target,
                r.detail,
            ]
            for t in report.trainees
            for r in t.requirements
        ),
        freeze="C2",
        size=sum(len(t.requirements) for t in report.trainees),
    )
    _write_sheet(
        book,
        looks,
        "Advisories",
        [
            Column("Trainee ID", 11, "plain"),
            Column("Name", 22, "plain"),
            Column("Advice", 28, "plain"),
            Column("Message", 80, "wrap"),
        ],
        (
            [t.trainee_id, t.name, advice_words(a.code), third_person(a.message)]
            for t in report.trainees
            for a in t.advice
        ),
        freeze="C2",
        size=sum(len(t.advice) for t in report.trainees),
    )
    # Column shows the heading as the sheet has it, so the team can find the cell.
    issues = report.issues[ISSUE_COLUMNS].assign(column=report.issues["heading"])
    _write_sheet(
        book,
        looks,
        "Data issues",
        [
            Column("Severity", 10, "status"),
            Column("File", _fitting(issues["file"], 34), "plain"),
            Column("Sheet", _fitting(issues["sheet"], 14), "plain"),
            Column("Row", 7, "plain"),
            Column("Column", _fitting(issues["column"], 16), "plain"),
            Column("Value", 20, "plain"),
            Column("Problem", 80, "wrap"),
        ],
        (
            [SEVERITY_WORDS.get(row[0], row[0]), *row[1:]]
            for row in issues.itertuples(index=False, name=None)
        ),
        size=len(issues),
    )
    _write_sheet(
        book,
        looks,
        "Sources",
        [
            Column("File", _fitting(report.sources["file"], 40), "plain"),
            Column("Sheet", _fitting(report.sources["sheet"], 16), "plain"),
            Column("Kind", 12, "plain"),
            Column("SHA-256", 18, "plain"),
            Column("Rows read", 10, "plain"),
            Column("Accepted", 10, "plain"),
            Column("Rejected", 10, "plain"),
            Column("Duplicate", 10, "plain"),
            Column("Future", 10, "plain"),
            # after the contract's columns: rows of a register that mark someone as not there
            Column("Not present", 10, "plain"),
        ],
        (
            [row[0], row[1], str(row[2]).capitalize(), *row[3:]]
            for row in report.sources[SOURCE_COLUMNS].itertuples(index=False, name=None)
        ),
        size=len(report.sources),
    )
    order = {t.trainee_id: i for i, t in enumerate(report.trainees)}
    _write_sheet(
        book,
        looks,
        "Changes",
        [
            Column("Trainee ID", 11),
            Column("Name", 22),
            Column("Requirement", 30, "wrap"),
            # the months compared, as the team names the reports: "October 2026"
            Column(
                month_text(report.compared_with) if report.compared_with else "Before", 16, "text"
            ),
            Column(month_text(report.month) if report.compared_with else "Now", 16, "text"),
            Column("Change", 60, "wrap"),
        ],
        (
            [
                c.trainee_id,
                c.name,
                {"overall": "Overall", "status": "Register status"}.get(c.requirement)
                or titles.get(c.requirement, c.requirement),
                _month(c.before) if c.about == "forecast" else _words(everyone, c.before),
                _month(c.now) if c.about == "forecast" else _words(everyone, c.now),
                third_person(c.change),  # the letters' words, for the team
            ]
            # in the register's order, as every other sheet: a trainee's forecast moves are
            # found after everyone's counts otherwise
            for c in sorted(changes, key=lambda c: order.get(c.trainee_id, len(order)))
        ),
        freeze="C2",
    )
    # After the contract's sheets, and only when the team has recorded discretion: a society that
    # never does keeps exactly those.
    if report.decisions:
        _write_sheet(
            book,
            looks,
            "Decisions",
            [
                Column("Trainee ID", 11),
                Column("Name", 22),
                Column("Requirement", 30, "wrap"),
                Column("Decision", 16),
                Column("Reason", 50, "wrap"),
                Column("Decided by", 20),
                Column("Date", 12, "date"),
            ],
            (
                [
                    d.trainee_id,
                    d.name,
                    titles.get(d.requirement, d.requirement),
                    d.decision,
                    d.reason,
                    d.decided_by,
                    d.date,
                ]
                for d in report.decisions
            ),
            freeze="C2",
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
