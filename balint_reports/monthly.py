"""The monthly job around the pipeline: lock OUT, read (with the cache), compare with the month
before in the history store, write the month's folder, and only then record it in the store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .cache import SheetCache
from .changes import Change, compare, moved_trainees
from .config import Config
from .history import HistoryStore, Snapshot, missing_sources, new_issues
from .issues import ISSUE_COLUMNS, SEVERITY_ORDER
from .lock import locked
from .pipeline import Report, build_report
from .render import month_folder, progress_document, recover_interrupted, write_report
from .ruleset import Ruleset
from .schema import LETTER_STATUSES


@dataclass(frozen=True)
class MonthResult:
    """What the CLI tells the team after a run."""

    report: Report
    folder: Path
    previous_month: str  # "" on the first report
    moved: int  # trainees already known whose values moved
    new_trainees: int
    new_issues: int
    missing: list[str]  # files that fed the previous report and are gone
    from_cache: int
    read: int
    letters_written: bool


def _warn_missing(report: Report, previous: Snapshot, missing: list[str]) -> None:
    """Add a warning per lost file to the report's issues, in their usual order."""
    rows = [
        {
            "severity": "warning",
            "file": name,
            "sheet": "",
            "row": pd.NA,
            "column": "",
            "value": "",
            "problem": f"this file fed the {previous.month} report but is no longer in the inbox: "
            "if it was removed by mistake, put it back and run again",
        }
        for name in missing
    ]
    issues = pd.concat([report.issues, pd.DataFrame(rows, columns=ISSUE_COLUMNS)])
    issues["row"] = issues["row"].astype("Int64")
    order = issues["severity"].map(SEVERITY_ORDER)
    report.issues = (
        issues.assign(_order=order)
        .sort_values(["_order", "file", "sheet", "row"], kind="stable", na_position="first")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def run_month(
    inbox: Path,
    out: Path,
    as_of: dt.date,
    config: Config,
    rulesets: tuple[Ruleset, ...],
    *,
    use_cache: bool = True,
    strict: bool = False,
    pdf_browser: str | None = None,
) -> MonthResult:
    """Write OUT/<YYYY-MM>/ for `as_of` and record it in OUT's history store.

    `pdf_browser`: the browser that prints each letter as PDF too; None for no PDFs.
    """
    with locked(out):
        recover_interrupted(out)
        cache = SheetCache(out, config, use=use_cache)
        report = build_report(inbox, as_of, config, rulesets, cache, skip=(out,))
        cache.prune()
        month = month_folder(report)
        store = HistoryStore(out)
        try:
            previous = store.previous(month)
            missing: list[str] = []
            if previous is not None:
                missing = missing_sources(previous, set(report.sources["file"]))
                if missing:
                    _warn_missing(report, previous, missing)
            document = progress_document(report)
            changes: list[Change] = compare(
                previous.trainees if previous else None, document["trainees"], rulesets
            )
            had_letter = frozenset(
                t["trainee_id"]
                for t in (previous.trainees if previous else [])
                if t["status"] in LETTER_STATUSES
            )
            letters = not (strict and report.count("error") > 0)
            folder = write_report(report, document, out, letters, changes, had_letter, pdf_browser)
            # Only now: a store that says a month was written when its files are not is worse
            # than a store one month behind (the next run of the month puts it right).
            store.save(month, document, report.sources.to_dict("records"))
        finally:
            store.close()
    moved, new_trainees = moved_trainees(changes)
    return MonthResult(
        report=report,
        folder=folder,
        previous_month=previous.month if previous else "",
        moved=moved,
        new_trainees=new_trainees,
        new_issues=new_issues(previous, document["issues"]),
        missing=missing,
        from_cache=cache.hits,
        read=cache.misses,
        letters_written=letters,
    )
