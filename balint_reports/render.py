"""Render a run's views: progress.json, summary.xlsx, letters, digests and emails, in memory.

Nothing here touches the disk: `month_files` gives every file of the month folder as bytes, and
the publish module writes them.
"""

from __future__ import annotations

import io
import json

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .changes import CHANGE_COLUMNS, Change
from .chase import overdue_since
from .dashboard import dashboard_html
from .digests import render_digests
from .evidence import ready_evidence_files, run_record_file
from .feedback import feedback_files
from .issues import ISSUE_COLUMNS
from .letters import file_stem, render_letters
from .model import RunResult, TraineeResult
from .outbox import outbox_files
from .pdf import letter_pdfs
from .publish import MonthFolder
from .references import reference_request_files
from .safecells import xlsx_cell
from .validate import SOURCE_COLUMNS

REQUIREMENT_COLUMNS = [
    "trainee_id",
    "name",
    "requirement",
    "status",
    "achieved",
    "target",
    "detail",
]
ADVISORY_COLUMNS = ["trainee_id", "name", "code", "message"]
DECISION_COLUMNS = [
    "trainee_id",
    "name",
    "requirement",
    "decision",
    "reason",
    "decided_by",
    "date",
]


def letter_file(result: TraineeResult, letters: bool = True) -> str:
    """The letter's path inside the month folder, or empty when no letter is written."""
    if not letters or not result.gets_letter:
        return ""
    return f"letters/{file_stem(result.trainee_id)}.html"


def _number(value: float | None) -> float | int | None:
    """A whole number as an int, so JSON says 20, not 20.0, where the count is whole."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def progress_document(result: RunResult, letters: bool = True) -> dict:
    """The facts of progress.json (docs/contract.md#outputs); keys are only ever added."""
    forecasts = result.forecasts
    return {
        "as_of": f"{result.as_of:%Y-%m-%d}",
        "trainees": [
            {
                "trainee_id": t.trainee_id,
                "name": t.name,
                "status": t.status,
                "ruleset": t.ruleset.id,
                "overall": t.overall,
                "requirements": {
                    r.id: {
                        "status": r.status,
                        "achieved": r.achieved,
                        "target": r.target,
                        "detail": r.detail,
                        "route": route.label if (route := r.shown_route) else None,
                        "forecast": (
                            f"{forecasts[(t.trainee_id, r.id)]:%Y-%m}"
                            if (t.trainee_id, r.id) in forecasts
                            else None
                        ),
                    }
                    for r in t.requirements
                },
                "advisories": [a.code for a in t.advice],
                "next_step": t.next_step,
                "supervision_hours": _number(t.supervision_hours),
                "letter_file": letter_file(t, letters) or None,
            }
            for t in result.trainees
        ],
        "issues": [
            {
                **{c: issue[c] for c in ISSUE_COLUMNS},
                "row": None if pd.isna(issue["row"]) else int(issue["row"]),
                "code": issue["code"],
            }
            for issue in result.issues.to_dict("records")
        ],
        "sources": [
            {k: v for k, v in s.items() if k != "sha256"} for s in result.sources.to_dict("records")
        ],
    }


def _write_sheet(book: Workbook, title: str, columns: list[str], rows: list[list]) -> None:
    sheet = book.create_sheet(title)
    widths = [len(c) for c in columns]
    for row in rows[:500]:  # widths from a sample: wide enough, without measuring every row
        for i, value in enumerate(row):
            widths[i] = max(widths[i], min(60, len(str(value)) if value is not None else 0))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width + 2
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    bold = Font(bold=True)
    header = []
    for name in columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([xlsx_cell(sheet, v) for v in row])


def _overview_rows(report: RunResult, letters: bool) -> tuple[list[str], list[list]]:
    requirement_ids: list[str] = []
    for ruleset in report.rulesets:
        for q in ruleset.requirements:
            if q.id not in requirement_ids:
                requirement_ids.append(q.id)
    columns = [
        "trainee_id",
        "name",
        "status",
        "overall",
        *requirement_ids,
        "next_step",
        "forecast",
        "supervisor",
        "supervision_hours",
        "supervision_cost",
        "ruleset",
        "letter_file",
        # after the contract's columns: the date of a supervisor's report asked for and overdue
        "reference_overdue",
    ]
    weeks = report.config.report.reference_chase_weeks
    rows = []
    for t in report.trainees:
        statuses = {r.id: r.status for r in t.requirements}
        fee = t.ruleset.fee
        cost = (
            f"{fee.currency}{t.cost_low:,.0f}–{fee.currency}{t.cost_high:,.0f}"
            if fee and t.cost_low is not None and t.cost_high is not None
            else ""
        )
        rows.append(
            [
                t.trainee_id,
                t.name,
                t.status,
                t.overall,
                *[statuses.get(i, "") for i in requirement_ids],
                t.next_step,
                "; ".join(
                    f"{r.id} {report.forecasts[(t.trainee_id, r.id)]:%Y-%m}"
                    for r in t.requirements
                    if (t.trainee_id, r.id) in report.forecasts
                ),
                t.supervisor,
                t.supervision_hours,
                cost,
                t.ruleset.id,
                letter_file(t, letters),
                # blank rather than empty, so readers see the column on every row
                overdue_since(t, report.as_of, weeks) or "",
            ]
        )
    return columns, rows


def workbook_bytes(report: RunResult, changes: list[Change], letters: bool = True) -> bytes:
    """summary.xlsx with the six sheets of docs/contract.md#outputs."""
    book = Workbook(write_only=True)
    _write_sheet(book, "Overview", *_overview_rows(report, letters))
    _write_sheet(
        book,
        "Requirements",
        REQUIREMENT_COLUMNS,
        [
            [t.trainee_id, t.name, r.id, r.status, r.achieved, r.target, r.detail]
            for t in report.trainees
            for r in t.requirements
        ],
    )
    _write_sheet(
        book,
        "Advisories",
        ADVISORY_COLUMNS,
        [[t.trainee_id, t.name, a.code, a.message] for t in report.trainees for a in t.advice],
    )
    _write_sheet(book, "Data issues", ISSUE_COLUMNS, report.issues[ISSUE_COLUMNS].values.tolist())
    _write_sheet(book, "Sources", SOURCE_COLUMNS, report.sources[SOURCE_COLUMNS].values.tolist())
    _write_sheet(
        book,
        "Changes",
        CHANGE_COLUMNS,
        [[c.trainee_id, c.name, c.requirement, c.before, c.now, c.change] for c in changes],
    )
    # After the six sheets of docs/contract.md#outputs, and only when the team has recorded
    # discretion: a society that never does keeps exactly the six.
    if report.decisions:
        _write_sheet(
            book,
            "Decisions",
            DECISION_COLUMNS,
            [[getattr(d, c) for c in DECISION_COLUMNS] for d in report.decisions],
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def month_files(
    result: RunResult,
    changes: list[Change],
    had_letter: frozenset[str] = frozenset(),
    letters: bool = True,
    pdf_browser: str | None = None,
) -> MonthFolder:
    """Every file of the month's folder, by its path inside it.

    `changes` are those since the previous month; `had_letter`, who got a letter then;
    `letters`: False writes the summary and progress.json only (a strict run with errors);
    `pdf_browser`: the browser that prints each letter as PDF too, or None.
    """
    document = progress_document(result, letters)
    files = {
        "progress.json": json.dumps(document, indent=2, ensure_ascii=False, default=str).encode(
            "utf-8"
        ),
        "summary.xlsx": workbook_bytes(result, changes, letters),
        "index.html": dashboard_html(result, letters).encode("utf-8"),
        "run.json": run_record_file(result),
        # the senders' notes most of all when there are errors, so even without letters
        **feedback_files(result, result.config.senders),
    }
    if letters:
        files.update(ready_evidence_files(result))
        files.update(reference_request_files(result))
        written = render_letters(result, changes, had_letter)
        digests = render_digests(result)
        for letter in written:
            files[f"letters/{letter.stem}.html"] = letter.html.encode("utf-8")
            files[f"letters/{letter.stem}.txt"] = letter.text.encode("utf-8")
        for digest in digests:
            files[f"digests/{digest.stem}.html"] = digest.html.encode("utf-8")
            files[f"digests/{digest.stem}.txt"] = digest.text.encode("utf-8")
        files.update(outbox_files(result, written, digests))
        if pdf_browser:
            files.update(letter_pdfs(files, pdf_browser))
    return MonthFolder(files, folders=("letters",) if letters else ())
