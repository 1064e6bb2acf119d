"""Parse the inbox's spreadsheets in worker processes when there are enough to pay for them.

The run still takes the files one by one in path order (through the cache, which decides
which files need parsing at all); this only has the next few files parsed ahead, on the other
cores, so that each is ready when its turn comes. What a file parses to depends on nothing
but the file and the config, so the results, and everything made from them, are the same
byte for byte as a serial run's.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .cache import ParsedFile
    from .config import Config
    from .read import SourceFile

WORKERS_VARIABLE = "BALINT_WORKERS"  # 1: parse in the main process only
# Below this much spreadsheet the workers' start-up costs more than it saves.
MINIMUM_BYTES = 2 * 1024 * 1024
MINIMUM_FILES = 4


def worker_count(sources: list[SourceFile]) -> int:
    """How many processes should parse `sources`: 1 (none besides this one) for a small inbox."""
    chosen = os.environ.get(WORKERS_VARIABLE, "").strip()
    if chosen.isdigit() and int(chosen) >= 1:
        return min(int(chosen), max(len(sources), 1))
    if "fork" not in multiprocessing.get_all_start_methods():
        # Elsewhere each worker would import pandas afresh: slower than reading in one process.
        return 1
    if len(sources) < MINIMUM_FILES:
        return 1
    size = 0
    for source in sources:
        try:
            size += source.path.stat().st_size
        except OSError:
            continue  # the reader will say what is wrong with it
    return min(os.cpu_count() or 1, len(sources)) if size >= MINIMUM_BYTES else 1


class ParseAhead:
    """Parses files on demand, with the next few in path order already started in workers.

    Use as a context manager; `parse(source)` returns what `parse_file(source, config)` does.
    A file asked for out of turn, or after a worker died, is parsed in this process.
    """

    def __init__(
        self,
        sources: list[SourceFile],
        config: Config,
        parse_file: Callable[[SourceFile, Config], ParsedFile],
    ) -> None:
        self.sources = sources
        self.config = config
        self.parse_file = parse_file
        self.workers = worker_count(sources)
        self._position = {source.relative: i for i, source in enumerate(sources)}
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[int, Future[ParsedFile]] = {}

    def __enter__(self) -> ParseAhead:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers; files parsed ahead that were then found in the cache are dropped."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._futures.clear()

    def parse(self, source: SourceFile) -> ParsedFile:
        """The parsed file, from a worker when one has it (or is on it), else parsed here."""
        position = self._position.get(source.relative)
        if self.workers <= 1 or position is None:
            return self.parse_file(source, self.config)
        try:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("fork")
                )
            # Keep every worker busy with the files that come next; most runs read them all.
            for ahead in range(position, min(position + 2 * self.workers, len(self.sources))):
                if ahead not in self._futures:
                    self._futures[ahead] = self._pool.submit(
                        self.parse_file, self.sources[ahead], self.config
                    )
            return self._futures.pop(position).result()
        except BrokenProcessPool:
            # A worker died (out of memory, killed): finish in this process, slower but whole.
            self.workers = 1
            self.close()
            return self.parse_file(source, self.config)
