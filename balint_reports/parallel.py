"""Parse the inbox's spreadsheets in worker processes when there are enough to pay for them.

The run reads each file's bytes once, in path order, in this process (hashing them for the
cache, which decides which files need parsing at all); only the files the cache lacks are
handed, bytes and all, to the workers, and their results are taken back in path order. What a
file parses to depends on nothing but its bytes, its path and the config, so the results, and
everything made from them, are the same byte for byte as a serial run's.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .cache import ParsedFile
    from .read import Loaded, SourceFile

WORKERS_VARIABLE = "BALINT_WORKERS"  # 1: the whole run in one process (parsing and the workbook)
# Below this much spreadsheet the workers' start-up costs more than it saves. Measured on
# two cores (forked workers, 4 December): the sample inbox's 11 files, 87 KB, took 0.07 s less
# with two workers; 4 of them, 21 KB, 0.01 s more.
MINIMUM_BYTES = 64 * 1024
MINIMUM_FILES = 4

ParseFile = Callable[["SourceFile", "Loaded"], "ParsedFile"]
# In a worker: the parsed file as the cache keeps it (cache.encode), or the parsed file itself
# when the cache cannot keep it. Bytes travel back far cheaper than pickled tables.
ParseInWorker = Callable[["SourceFile", "Loaded"], "ParsedFile | bytes"]


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent: int) -> None:
    """In a worker, first of all: have Linux kill it when the run's process dies (killed, out of
    memory). A worker outlives a killed run otherwise: it waits on a pipe that its own copy
    keeps open, holding the copy of OUT's lock it was forked with, and every later run would
    be told that another run is writing. Elsewhere there is no such request to make."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (AttributeError, OSError, TypeError):
        return
    if os.getppid() != parent:  # the run died before the request was made
        os._exit(1)


def forks_safely() -> bool:
    """Whether worker processes may be forked from the run: on Linux. macOS has fork but warns
    against it (system libraries, numpy's among them, may hold locks a child inherits), and
    Windows has none; there a worker would have to import everything afresh, costing more
    than it saves."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def worker_count(sources: list[SourceFile]) -> int:
    """How many processes should parse `sources`: 1 (none besides this one) for a small inbox,
    or where workers cannot be forked, whatever BALINT_WORKERS asks."""
    if not forks_safely():
        return 1
    chosen = os.environ.get(WORKERS_VARIABLE, "").strip()
    if chosen.isdigit() and int(chosen) >= 1:
        return min(int(chosen), max(len(sources), 1))
    if len(sources) < MINIMUM_FILES:
        return 1
    size = 0
    for source in sources:
        try:
            size += source.path.stat().st_size
        except OSError:
            continue  # the reader will say what is wrong with it
    if size < MINIMUM_BYTES:
        return 1
    # each worker at least half of MINIMUM_BYTES: a small inbox gets two workers, not one per core
    return min(os.cpu_count() or 1, len(sources), size // (MINIMUM_BYTES // 2))


class Parsing:
    """Starts parsing files, in worker processes when `sources` are enough to pay for them.

    Use as a context manager; `start(source, loaded)` returns a function that gives what
    `parse(source, loaded)` does, or what `in_worker(source, loaded)` does when a worker
    parsed the file (`in_worker` must pickle: a module's function, perhaps partial). A serial
    run parses when that function is called; after a worker died, the rest is parsed in this
    process.
    """

    def __init__(
        self, sources: list[SourceFile], parse: ParseFile, in_worker: ParseInWorker
    ) -> None:
        self.parse = parse
        self.in_worker = in_worker
        self.workers = worker_count(sources)
        self._pool: ProcessPoolExecutor | None = None

    @property
    def ahead(self) -> int:
        """How many files to have started before taking the first result: every worker busy."""
        return 2 * self.workers if self.workers > 1 else 0

    def __enter__(self) -> Parsing:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (after an error, the files still queued are dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def start(self, source: SourceFile, loaded: Loaded) -> Callable[[], ParsedFile | bytes]:
        """Begin parsing one file; call the result to wait for it: what `parse` gives, or
        what `in_worker` gives when a worker parsed it."""
        if self.workers <= 1:
            return lambda: self.parse(source, loaded)
        try:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self.workers,
                    mp_context=multiprocessing.get_context("fork"),
                    initializer=die_with_parent,
                    initargs=(os.getpid(),),
                )
            future = self._pool.submit(self.in_worker, source, loaded)
        except BrokenProcessPool:
            return self._serial(source, loaded)

        def result() -> ParsedFile | bytes:
            try:
                return future.result()
            except (BrokenProcessPool, CancelledError):
                # cancelled: queued behind a worker that died, and dropped when the pool closed
                return self._serial(source, loaded)()

        return result

    def _serial(self, source: SourceFile, loaded: Loaded) -> Callable[[], ParsedFile]:
        # A worker died (out of memory, killed): finish in this process, slower but whole.
        self.workers = 1
        self.close()
        return lambda: self.parse(source, loaded)
