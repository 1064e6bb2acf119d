"""Render a run's views: progress.json, summary.xlsx, letters, digests and emails, in memory.

Nothing here touches the disk: `month_files` gives every file of the month folder as bytes, and
the publish module writes them.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import pandas as pd

from .changes import Change
from .dashboard import dashboard_html
from .digests import render_digests
from .evidence import ready_evidence_files, run_record_file
from .feedback import feedback_files
from .issues import ISSUE_COLUMNS
from .letters import CountedLines, Letter, letter_file, render_letters, writes_to
from .model import RunResult
from .outbox import outbox_files
from .parallel import WORKERS_VARIABLE
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


# Below this many letters a worker process costs more to start than it saves.
PARALLEL_LETTERS = 400


@dataclass(frozen=True)
class _Job:
    """What the rendering workers need, left in this module for them before they fork."""

    result: RunResult
    changes: list[Change]
    had_letter: frozenset[str]
    letters: bool
    rendered: Rendered | None
    lines: CountedLines


_JOB: _Job | None = None


def _render_part(part: tuple[int, int]) -> tuple[list[Letter], dict[str, tuple[str, ...]], int]:
    """In a worker: one run of the letters, what it took from or added to the store, hits."""
    job = _JOB
    assert job is not None  # set before the workers forked
    rendered = Rendered() if job.rendered is None else job.rendered
    rendered.used.clear()  # only what this part used goes back
    hits = rendered.hits
    written = render_letters(job.result, job.changes, job.had_letter, job.rendered, part, job.lines)
    return written, dict(rendered.used), rendered.hits - hits


def _render_workbook(_: object) -> bytes:
    """In a worker: summary.xlsx."""
    job = _JOB
    assert job is not None
    return workbook_bytes(job.result, job.changes, job.letters)


def render_workers(result: RunResult, letters: bool) -> int:
    """How many worker processes should write the workbook and the letters while this one
    writes the rest: as many as BALINT_WORKERS asks (the processes in all, this one
    included), for a month of PARALLEL_LETTERS letters or more where fork exists; else none.

    None unless asked: on the federation inbox (1,000,000 rows, 2 cores, shared) one worker
    took peak memory from 1.08 to 1.62 GiB (each worker copies the pages of the report it
    touches), over the 1.5 GiB target, and saved no wall time that could be measured under
    that machine's load (benchmarks/README.md).
    """
    if not letters or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    if sum(t.gets_letter for t in result.trainees) < PARALLEL_LETTERS:
        return 0  # a small month: a worker costs more to start than it saves
    chosen = os.environ.get(WORKERS_VARIABLE, "").strip()
    if not chosen.isdigit() or int(chosen) < 1:
        return 0
    # each worker is a copy of the report: never more than the cores can run
    return min(int(chosen), os.cpu_count() or 1) - 1


class _Rendering:
    """The workbook and the letters: in `workers` worker processes when there are any, else here."""

    def __init__(
        self,
        result: RunResult,
        changes: list[Change],
        had_letter: frozenset[str],
        letters: bool,
        rendered: Rendered | None,
        workers: int,
    ) -> None:
        global _JOB
        lines = CountedLines(result.records)
        self.job = _Job(result, changes, had_letter, letters, rendered, lines)
        self.pool: ProcessPoolExecutor | None = None
        if workers < 1:
            return
        if letters:
            lines.fill(writes_to(result))  # once, here: the workers share them
        _JOB = self.job  # the workers fork with it (all at the first submit)
        # The collector would write to every object it scans, copying each page a worker
        # shares with this process: frozen, the workers copy only what they change.
        gc.freeze()
        try:
            self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
            self.workbook = self.pool.submit(_render_workbook, None)
            # more parts than workers: a worker done with the workbook takes the rest, and
            # each part's letters wait in memory to be taken in for less long
            parts = 4 * workers if letters else 0
            self.parts = [self.pool.submit(_render_part, (i, parts)) for i in range(parts)]
        except (BrokenProcessPool, OSError):
            # a fork refused (memory, a process limit) is OSError at the first submit: this
            # process then writes everything, as it would with no workers
            self.close()

    def summary(self) -> bytes:
        """summary.xlsx, from a worker or made here."""
        if self.pool is not None:
            try:
                return self.workbook.result()
            except (BrokenProcessPool, CancelledError):
                self.close()  # a worker died (out of memory, killed): make it here, slower
        return workbook_bytes(self.job.result, self.job.changes, self.job.letters)

    def letters(self) -> list[Letter]:
        """Every letter, in the report's order, as one process would write them."""
        job = self.job
        if self.pool is not None:
            try:
                return self._from_workers()
            except (BrokenProcessPool, CancelledError):
                self.close()
        return render_letters(
            job.result, job.changes, job.had_letter, job.rendered, lines=job.lines
        )

    def _from_workers(self) -> list[Letter]:
        job = self.job
        results = [future.result() for future in self.parts]  # all, before taking any in
        written: list[Letter] = []
        for part, used, hits in results:
            written.extend(part)
            if job.rendered is not None:
                job.rendered.used.update(used)
                job.rendered.hits += hits
                job.rendered.misses += len(part) - hits
        return written

    def close(self) -> None:
        """Stop the workers, if any were started, and leave no state behind for later runs."""
        global _JOB
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        if _JOB is self.job:
            gc.unfreeze()  # frozen just before the workers were asked for
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
    `workers`: processes besides this one that write the workbook and the letters (None: as
    `render_workers` says, which is none unless BALINT_WORKERS asks; the files are the same
    bytes however many).
    """
    if workers is None:
        workers = render_workers(result, letters)
    rendering = _Rendering(result, changes, had_letter, letters, rendered, workers)
    try:
        # this process writes the rest while the workers write the workbook and letters
        document = progress_document(result, letters)
        files = {
            "progress.json": json.dumps(document, indent=2, ensure_ascii=False, default=str).encode(
                "utf-8"
            ),
            "index.html": dashboard_html(result, letters).encode("utf-8"),
            "run.json": run_record_file(result),
            # the senders' notes most of all when there are errors, so even without letters
            **feedback_files(result, result.config.senders),
        }
        if letters:
            files.update(ready_evidence_files(result))
            files.update(reference_request_files(result))
            digests = render_digests(result, rendered)
            written = rendering.letters()
            for letter in written:
                files[f"letters/{letter.stem}.html"] = letter.html.encode("utf-8")
                files[f"letters/{letter.stem}.txt"] = letter.text.encode("utf-8")
            for digest in digests:
                files[f"digests/{digest.stem}.html"] = digest.html.encode("utf-8")
                files[f"digests/{digest.stem}.txt"] = digest.text.encode("utf-8")
            files.update(outbox_files(result, written, digests))
            if pdf_browser:
                files.update(letter_pdfs(files, pdf_browser))
        files["summary.xlsx"] = rendering.summary()
    finally:
        rendering.close()
    return MonthFolder(_in_order(files), folders=("letters",) if letters else ())


def _in_order(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files in the order a month folder always listed them: the summary second."""
    order = ["progress.json", "summary.xlsx"]
    return {
        **{name: files[name] for name in order if name in files},
        **{name: content for name, content in files.items() if name not in order},
    }
