"""Write a report: summary.xlsx, progress.json and the letters, into OUT/<YYYY-MM>/ at once."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .changes import CHANGE_COLUMNS, Change
from .dashboard import dashboard_html
from .digests import write_digests
from .errors import OutputError
from .evaluate import TraineeResult
from .issues import ISSUE_COLUMNS
from .letters import file_stem, render_letters
from .outbox import write_outbox
from .pipeline import SOURCE_COLUMNS, Report
from .safecells import spreadsheet_safe
from .schema import LETTER_STATUSES

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
# Temporary folders of a month being written (`new`) or replaced (`old`), inside OUT.
_TEMPORARY = re.compile(r"^\.(\d{4}-\d{2})-(new|old)-")
# Test-only: the run stops at this point of the swap (`before-swap` or `mid-swap`) so a test can
# kill it there; never set it in real use.
PAUSE_VARIABLE = "BALINT_REPORTS_TEST_PAUSE"


def month_folder(report: Report) -> str:
    """The report's folder name: the report date's year and month."""
    return f"{report.as_of:%Y-%m}"


def letter_file(result: TraineeResult, letters: bool = True) -> str:
    """The letter's path inside the month folder, or empty when no letter is written."""
    if not letters or result.status not in LETTER_STATUSES:
        return ""
    return f"letters/{file_stem(result.trainee_id)}.html"


def progress_document(report: Report) -> dict:
    """The facts of progress.json, in the shape SPEC 4 gives."""
    return {
        "as_of": f"{report.as_of:%Y-%m-%d}",
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
                    }
                    for r in t.requirements
                },
                "advisories": [a.code for a in t.advice],
            }
            for t in report.trainees
        ],
        "issues": [
            {**issue, "row": None if pd.isna(issue["row"]) else int(issue["row"])}
            for issue in report.issues[ISSUE_COLUMNS].to_dict("records")
        ],
        "sources": [
            {k: v for k, v in s.items() if k != "sha256"} for s in report.sources.to_dict("records")
        ],
    }


def _safe(value: object) -> object:
    """Spreadsheet-safe: text that Excel would run as a formula is kept as text."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    if isinstance(value, str):
        # A CSV can carry control characters that an .xlsx file cannot hold.
        return spreadsheet_safe(ILLEGAL_CHARACTERS_RE.sub("", value))
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


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
        sheet.append([_safe(v) for v in row])


def _overview_rows(report: Report, letters: bool) -> tuple[list[str], list[list]]:
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
    ]
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
            ]
        )
    return columns, rows


def write_workbook(path: Path, report: Report, changes: list[Change], letters: bool = True) -> None:
    """summary.xlsx with the six sheets of SPEC 4."""
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
    # After the six SPEC sheets, and only when the team has recorded discretion: a society
    # that never does keeps exactly the six.
    if report.decisions:
        _write_sheet(
            book,
            "Decisions",
            DECISION_COLUMNS,
            [[d[c] for c in DECISION_COLUMNS] for d in report.decisions],
        )
    book.save(path)


def recover_interrupted(out: Path) -> None:
    """Undo what a killed run left in OUT: put back a month it had moved aside, drop its temps.

    Call with OUT locked. A month moved aside (`old`) whose place is empty goes back, so the
    previous report is whole again; every other temporary folder is an unfinished write.
    """
    if not out.is_dir():
        return
    temporaries = sorted(p for p in out.iterdir() if p.is_dir() and _TEMPORARY.match(p.name))
    for path in temporaries:
        match = _TEMPORARY.match(path.name)
        assert match is not None
        month, role = match.groups()
        if role == "old" and (path / month).is_dir() and not (out / month).exists():
            os.replace(path / month, out / month)
        shutil.rmtree(path, ignore_errors=True)


def _pause(point: str) -> None:
    if os.environ.get(PAUSE_VARIABLE) == point:
        print(f"paused: {point}", file=sys.stderr, flush=True)
        time.sleep(600)


def write_report(
    report: Report,
    document: dict,
    out: Path,
    letters: bool = True,
    changes: list[Change] | None = None,
    had_letter: frozenset[str] = frozenset(),
) -> Path:
    """Write the month's folder in full, then move it into place: a crash leaves the old one.

    `document` is the report's progress_document (the caller has built it already);
    `changes` are those since the previous month; `had_letter`, who got a letter then.
    """
    folder = month_folder(report)
    changes = changes or []
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder}-new-", dir=out))
        # mkdtemp makes it private to us; the month's folder gets what the user's umask allows
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the output folder ({exc.strerror})") from None
    retired: Path | None = None
    try:
        (staging / "progress.json").write_text(
            json.dumps(document, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        )
        write_workbook(staging / "summary.xlsx", report, changes, letters)
        (staging / "index.html").write_text(dashboard_html(report, letters), encoding="utf-8")
        if letters:
            render_letters(staging / "letters", report, changes, had_letter)
            write_outbox(staging, report, write_digests(staging, report))
        _pause("before-swap")
        target = out / folder
        if target.exists():
            # Two renames, not one: a directory cannot replace a non-empty one. A run killed
            # between them is undone by recover_interrupted() at the start of the next run.
            retired = Path(tempfile.mkdtemp(prefix=f".{folder}-old-", dir=out))
            os.replace(target, retired / folder)
            _pause("mid-swap")
        os.replace(staging, target)
    except OSError as exc:
        _undo(staging, retired, out / folder)
        raise OutputError(f"{out}: cannot write the report ({exc.strerror or exc})") from None
    except BaseException:
        _undo(staging, retired, out / folder)
        raise
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
    return target


def _undo(staging: Path, retired: Path | None, target: Path) -> None:
    """After a failed write: the previous month back in place, no temporary folders left."""
    if retired is not None and (retired / target.name).is_dir() and not target.exists():
        os.replace(retired / target.name, target)
    shutil.rmtree(staging, ignore_errors=True)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
