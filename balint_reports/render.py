"""Render a run's views: progress.json, summary.xlsx, letters, digests and emails, in memory.

Nothing here touches the disk: `month_files` gives every file of the month folder as bytes, and
the publish module writes them.
"""

from __future__ import annotations

import json

import pandas as pd

from .changes import Change
from .dashboard import dashboard_html
from .digests import render_digests
from .evidence import ready_evidence_files, run_record_file
from .feedback import feedback_files
from .issues import ISSUE_COLUMNS
from .letters import letter_file, render_letters
from .model import RunResult
from .outbox import outbox_files
from .pdf import letter_pdfs
from .publish import MonthFolder
from .references import reference_request_files
from .rendered import Rendered
from .workbook import workbook_bytes


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


def month_files(
    result: RunResult,
    changes: list[Change],
    had_letter: frozenset[str] = frozenset(),
    letters: bool = True,
    pdf_browser: str | None = None,
    rendered: Rendered | None = None,
) -> MonthFolder:
    """Every file of the month's folder, by its path inside it.

    `changes` are those since the previous month; `had_letter`, who got a letter then;
    `letters`: False writes the summary and progress.json only (a strict run with errors);
    `pdf_browser`: the browser that prints each letter as PDF too, or None;
    `rendered`: letters and digests an earlier run rendered from the same inputs, reused as they
    are (the files are the same bytes as a full render's), and this run's kept in it.
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
        written = render_letters(result, changes, had_letter, rendered)
        digests = render_digests(result, rendered)
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
