"""Render a run's views: progress.json, summary.xlsx, letters, digests and emails, in memory.

Nothing here touches the disk: `month_files` gives every file of the month folder as bytes, and
the publish module writes them.
"""

from __future__ import annotations

import contextlib
import gc
import json
import multiprocessing
import os
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

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
from .parallel import WORKERS_VARIABLE, die_with_parent, forks_safely
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


# Below this many letters the team's files are quick and a worker costs more to start than it
# saves.
PARALLEL_LETTERS = 400

# What the worker writes from, left in this module for it before it forks.
_JOB: tuple[RunResult, list[Change], bool] | None = None


def team_files(result: RunResult, changes: list[Change], letters: bool) -> dict[str, bytes]:
    """The files made from the whole result alone, for the team: progress.json, the dashboard,
    the run record, the senders' notes and summary.xlsx (last: the longest to make)."""
    return {
        "progress.json": json.dumps(
            progress_document(result, letters), indent=2, ensure_ascii=False, default=str
        ).encode("utf-8"),
        "index.html": dashboard_html(result, letters).encode("utf-8"),
        "run.json": run_record_file(result),
        # the senders' notes most of all when there are errors, so even without letters
        **feedback_files(result, result.config.senders),
        "summary.xlsx": workbook_bytes(result, changes, letters),
    }


def _render_team_files() -> dict[str, bytes]:
    """In the worker: the team's files."""
    assert _JOB is not None  # set before the worker forked
    return team_files(*_JOB)


def render_workers(result: RunResult, letters: bool) -> int:
    """1 when a worker process should write the team's files while this one writes the letters
    and the rest, else 0: for a month of PARALLEL_LETTERS letters or more, on two cores or more
    where workers may be forked (`parallel.forks_safely`: Linux), unless BALINT_WORKERS=1
    asks for one process.

    The team's files (the workbook, 1.7 s on the federation inbox, and the rest, 1.2 s) take
    about as long as the letters, digests and emails (3 to 5 s), so the two halves end close
    together. A worker writing letters as well added half a GiB of memory and saved no time
    (benchmarks/README.md).
    """
    if not letters or not forks_safely():
        return 0
    if sum(t.gets_letter for t in result.trainees) < PARALLEL_LETTERS:
        return 0
    if os.environ.get(WORKERS_VARIABLE, "").strip() == "1":
        return 0
    return 1 if (os.cpu_count() or 1) > 1 else 0


def _return_free_memory() -> None:
    """Give the system back the pages the C heap keeps free, before forking.

    Reading the inbox frees hundreds of MB that glibc keeps for later; a forked worker would
    share them, and the two processes' copies of the pages around them add up. On the
    federation inbox this takes the peak from 1.5 to 1.0 GiB. Where the C library has no
    malloc_trim (macOS, musl), nothing to do.
    """
    gc.collect()  # cycles freed first, so that their pages are free too
    import ctypes  # only here: a run that never forks has no use for it

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError, TypeError):
        return
    trim(0)


class _TeamFiles:
    """The team's files: from a worker process when `in_worker`, else made here when asked."""

    def __init__(
        self, result: RunResult, changes: list[Change], letters: bool, in_worker: bool
    ) -> None:
        global _JOB
        self.job = (result, changes, letters)
        self.pool: ProcessPoolExecutor | None = None
        if not in_worker:
            return
        _return_free_memory()
        # The collector would write to every object it scans, copying each page the worker
        # shares with this process: frozen, the worker copies only what it changes.
        gc.freeze()
        _JOB = self.job  # the worker forks with it, at the submit
        try:
            self.pool = ProcessPoolExecutor(
                1,
                mp_context=multiprocessing.get_context("fork"),
                initializer=die_with_parent,
                initargs=(os.getpid(),),
            )
            self.future = self.pool.submit(_render_team_files)
        except Exception:
            # Whatever stops the worker starting (a fork refused is OSError; no thread to
            # spare for the pool's manager, RuntimeError) leaves the files to this process.
            self._abandon()

    def _abandon(self) -> None:
        """After the worker could not be started: nothing half-started left to wait for."""
        pool, self.pool = self.pool, None
        if pool is not None:
            with contextlib.suppress(Exception):
                pool.shutdown(wait=False, cancel_futures=True)
            for child in multiprocessing.active_children():
                child.terminate()
        self.close()

    def files(self) -> dict[str, bytes]:
        """The files, from the worker or made here."""
        if self.pool is not None:
            try:
                return self.future.result()
            except (BrokenProcessPool, CancelledError):
                self.close()  # the worker died (out of memory, killed): make them here, slower
        return team_files(*self.job)

    def close(self) -> None:
        """Stop the worker, if one was started, and leave no state behind for later runs."""
        global _JOB
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        if _JOB is self.job:
            gc.unfreeze()  # frozen just before the worker was asked for
            _JOB = None


def month_files(
    result: RunResult,
    changes: list[Change],
    had_letter: frozenset[str] = frozenset(),
    letters: bool = True,
    pdf_browser: str | None = None,
    rendered: Rendered | None = None,
    workers: int | None = None,
) -> MonthFolder:
    """Every file of the month's folder, by its path inside it.

    `changes` are those since the previous month; `had_letter`, who got a letter then;
    `letters`: False writes the summary and progress.json only (a strict run with errors);
    `pdf_browser`: the browser that prints each letter as PDF too, or None;
    `rendered`: letters and digests an earlier run rendered from the same inputs, reused as they
    are (the files are the same bytes as a full render's), and this run's kept in it;
    `workers`: 1 writes the team's files (`team_files`) in a worker process while this one
    writes the rest, 0 writes all here (None: as `render_workers` says; the files are the same
    bytes either way).
    """
    if workers is None:
        workers = render_workers(result, letters)
    team = _TeamFiles(result, changes, letters, in_worker=workers > 0)
    try:
        for_trainees: dict[str, bytes] = {}
        if letters:
            for_trainees.update(ready_evidence_files(result))
            for_trainees.update(reference_request_files(result))
            digests = render_digests(result, rendered)
            written = render_letters(result, changes, had_letter, rendered)
            for letter in written:
                for_trainees[f"letters/{letter.stem}.html"] = letter.html.encode("utf-8")
                for_trainees[f"letters/{letter.stem}.txt"] = letter.text.encode("utf-8")
            for digest in digests:
                for_trainees[f"digests/{digest.stem}.html"] = digest.html.encode("utf-8")
                for_trainees[f"digests/{digest.stem}.txt"] = digest.text.encode("utf-8")
            for_trainees.update(outbox_files(result, written, digests))
            if pdf_browser:
                for_trainees.update(letter_pdfs(for_trainees, pdf_browser))
        files = {**team.files(), **for_trainees}
    finally:
        team.close()
    return MonthFolder(_in_order(files), folders=("letters",) if letters else ())


def _in_order(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files in the order a month folder always listed them: the summary second."""
    order = ["progress.json", "summary.xlsx"]
    return {
        **{name: files[name] for name in order if name in files},
        **{name: content for name, content in files.items() if name not in order},
    }
