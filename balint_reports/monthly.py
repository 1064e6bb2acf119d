"""The monthly job around the pipeline: lock OUT, read (with the cache), compare with the month
before in the history store, stage the month's snapshot, publish the month's folder, and only
then take the snapshot into the store (history.py says why a kill anywhere is safe).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from .cache import SheetCache
from .changes import Change, compare, forecast_changes, moved_trainees
from .config import Config
from .errors import OutputError, WouldReplaceBetter
from .history import HistoryStore, fed_files, missing_sources, new_issues
from .lock import locked
from .model import RegisterStatus, RunResult, Severity, snapshot_of
from .pause import Pause, no_pause
from .pipeline import EarlierReport, build_report
from .publish import Staging, recover_interrupted, write_problem
from .render import month_files
from .rendered import Rendered, load_rendered, save_rendered
from .ruleset import Ruleset
from .wording import day_text


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
    # letters and digests taken from the last run's as rendered, and rendered afresh
    reused: int = 0
    rendered: int = 0

    @property
    def moved(self) -> int:
        """Trainees already known whose values moved."""
        return moved_trainees(list(self.changes))[0]

    @property
    def new_trainees(self) -> int:
        """Trainees new in this report."""
        return moved_trainees(list(self.changes))[1]


@dataclass(frozen=True)
class _Existing:
    """The report a run would replace: its date and how many trainees it had."""

    as_of: dt.date
    trainees: int


def _existing(folder: Path) -> _Existing | None:
    """The report already in a month folder, if it holds a readable progress.json."""
    try:
        document = json.loads((folder / "progress.json").read_text(encoding="utf-8"))
        return _Existing(dt.date.fromisoformat(document["as_of"]), len(document["trainees"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # nothing there, or not ours: nothing to protect


def _refuse_later(existing: _Existing | None, as_of: dt.date, folder: Path) -> None:
    if existing is not None and existing.as_of > as_of:
        raise WouldReplaceBetter(
            f"{folder} holds the report as of {day_text(existing.as_of)}, later than this "
            f"run's {day_text(as_of)}: give --as-of {existing.as_of:%Y-%m-%d} to run it "
            "again, or --replace to replace it anyway"
        )


def _refuse_emptier(existing: _Existing | None, report: RunResult, folder: Path) -> None:
    if existing is None or existing.trainees == 0:
        return
    if not report.trainees:
        found = (
            "no trainees"
            if (report.sources["kind"] == "trainees").any()
            else "no trainees register"
        )
        raise WouldReplaceBetter(
            f"this run found {found} in the inbox, but {folder} holds a report on "
            f"{existing.trainees} trainee{'' if existing.trainees == 1 else 's'}: check the "
            "folder you named, or give --replace to replace it anyway"
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
    replace: bool = False,
    pause: Pause = no_pause,
    pdf_browser: str | None = None,
) -> MonthResult:
    """Write OUT/<YYYY-MM>/ for `as_of` and record it in OUT's history store.

    `pdf_browser`: the browser that prints each letter as PDF too; None for no PDFs.

    Unless `replace`, a report already there that is dated later, or that had trainees when
    this run found none, is kept and WouldReplaceBetter raised (docs/contract.md#outputs).
    """
    month = f"{as_of:%Y-%m}"
    with locked(out):
        recover_interrupted(out)
        existing = None if replace else _existing(out / month)
        _refuse_later(existing, as_of, out / month)
        cache = SheetCache(out, config, use=use_cache)
        rendered = load_rendered(out) if use_cache else Rendered()
        store = HistoryStore(out)
        try:
            # A run killed after its swap left its month's snapshot staged: take it in first,
            # so that this run compares with what the folders hold.
            store.take_staged()
            store.check_writable()
            previous = store.previous(month)
            earlier = (
                EarlierReport(previous.month, fed_files(previous), previous.outlooks)
                if previous
                else None
            )
            report = build_report(inbox, as_of, config, rulesets, cache, (out,), earlier)
            pause("report-built")
            cache.prune()
            _refuse_emptier(existing, report, out / month)
            current = tuple(snapshot_of(t) for t in report.trainees)
            # counts are told in the words of the route each letter shows
            labels = {
                (t.trainee_id, r.id): route.label
                for t in report.trainees
                for r in t.requirements
                if (route := r.shown_route) is not None
            }
            changes = compare(
                previous.trainees if previous else None, current, rulesets, labels
            ) + forecast_changes(report.forecast_moves, report.trainees)
            had_letter = frozenset(
                t.trainee_id
                for t in (previous.trainees if previous else ())
                if RegisterStatus.of(t.status).gets_letter
            )
            letters = not (strict and report.count(Severity.ERROR) > 0)
            try:
                files = month_files(report, changes, had_letter, letters, pdf_browser, rendered)
            except OSError as exc:  # openpyxl writes a workbook through temporary files
                raise OutputError(
                    f"{out}: cannot make the report's files in this computer's temporary "
                    f"folder, {write_problem(exc)}; the previous report was left as it was"
                ) from None
            # The month's files are written from here on, by a thread of their own, while this
            # one saves the letter store and the history store's snapshot.
            staging = Staging(out, month, files, pause)
            try:
                rendered.release()
                if letters:  # else nothing was rendered: keep what the last run kept
                    # now, not after the swap, so the letters' text is not held meanwhile beside
                    # their bytes (entries are keyed by content: right whichever month is
                    # published)
                    save_rendered(out, rendered)
                    rendered.used.clear()
                # The store's snapshot is staged before the swap and taken in after it: a kill
                # anywhere leaves the store and the folders consistent, or repaired by the
                # next run.
                store.stage(month, report, current, files.files["progress.json"])
                pause("history-staged")
                folder = staging.swap()
            except BaseException:
                staging.discard()
                store.discard_staged()
                raise
            pause("after-swap")
            if store.take_staged(pause) != month:
                raise OutputError(
                    f"{store.path}: the report was written but the history store could not be "
                    "updated; run the same month again"
                )
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
        reused=rendered.hits,
        rendered=rendered.misses,
    )
