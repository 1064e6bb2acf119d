"""The monthly job around the pipeline: lock OUT, read (with the cache), compare with the month
before in the history store, publish the month's folder, and only then record it in the store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .cache import SheetCache
from .changes import Change, compare, moved_trainees
from .config import Config
from .history import HistoryStore, fed_files, missing_sources, new_issues
from .lock import locked
from .model import RegisterStatus, RunResult, Severity, snapshot_of
from .pipeline import EarlierReport, build_report
from .publish import Pause, publish, recover_interrupted
from .render import month_files
from .ruleset import Ruleset


@dataclass(frozen=True)
class MonthResult:
    """What the CLI tells the team after a run."""

    report: RunResult
    folder: Path
    previous_month: str  # "" on the first report
    changes: tuple[Change, ...]
    new_issues: int
    missing: list[str]  # files that fed the previous report and are gone
    from_cache: int
    read: int
    letters_written: bool

    @property
    def moved(self) -> int:
        """Trainees already known whose values moved."""
        return moved_trainees(list(self.changes))[0]

    @property
    def new_trainees(self) -> int:
        """Trainees new in this report."""
        return moved_trainees(list(self.changes))[1]


def _no_pause(point: str) -> None:
    """Publish without stopping anywhere."""


def run_month(
    inbox: Path,
    out: Path,
    as_of: dt.date,
    config: Config,
    rulesets: tuple[Ruleset, ...],
    *,
    use_cache: bool = True,
    strict: bool = False,
    pause: Pause = _no_pause,
) -> MonthResult:
    """Write OUT/<YYYY-MM>/ for `as_of` and record it in OUT's history store."""
    month = f"{as_of:%Y-%m}"
    with locked(out):
        recover_interrupted(out)
        cache = SheetCache(out, config, use=use_cache)
        store = HistoryStore(out)
        try:
            previous = store.previous(month)
            earlier = EarlierReport(previous.month, fed_files(previous)) if previous else None
            report = build_report(inbox, as_of, config, rulesets, cache, (out,), earlier)
            cache.prune()
            current = tuple(snapshot_of(t) for t in report.trainees)
            changes = compare(previous.trainees if previous else None, current, rulesets)
            had_letter = frozenset(
                t.trainee_id
                for t in (previous.trainees if previous else ())
                if RegisterStatus.of(t.status).gets_letter
            )
            letters = not (strict and report.count(Severity.ERROR) > 0)
            files = month_files(report, changes, had_letter, letters)
            folder = publish(out, month, files, pause)
            # Only now: a store that says a month was written when its files are not is worse
            # than a store one month behind (the next run of the month puts it right).
            store.save(month, report, current)
        finally:
            store.close()
    return MonthResult(
        report=report,
        folder=folder,
        previous_month=previous.month if previous else "",
        changes=tuple(changes),
        new_issues=new_issues(previous, report.issues),
        missing=missing_sources(previous, set(report.sources["file"])) if previous else [],
        from_cache=cache.hits,
        read=cache.misses,
        letters_written=letters,
    )
