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

from .changes import Change
from .dashboard import dashboard_html
from .digests import write_digests
from .errors import OutputError
from .issues import ISSUE_COLUMNS
from .letters import render_letters
from .outbox import write_outbox
from .pipeline import Report
from .workbook import write_workbook

# Temporary folders of a month being written (`new`) or replaced (`old`), inside OUT.
_TEMPORARY = re.compile(r"^\.(\d{4}-\d{2})-(new|old)-")
# Test-only: the run stops at this point of the swap (`before-swap` or `mid-swap`) so a test can
# kill it there; never set it in real use.
PAUSE_VARIABLE = "BALINT_REPORTS_TEST_PAUSE"


def month_folder(report: Report) -> str:
    """The report's folder name: the report date's year and month."""
    return f"{report.as_of:%Y-%m}"


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
