"""Each spreadsheet's parsed tables, kept in OUT/.cache/ by content, so unchanged files are not
re-read next month.

What is kept for a file depends only on that file's bytes, its path in the inbox, the config's
column and value spellings, and the code that parses it: never on other files or on the report
date. Row ids are numbered from 0 within the file and shifted when the run puts files together.
The entries are pickles of our own tables: the cache is trusted like the rest of OUT.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd

from .config import Config

CACHE_FOLDER = ".cache"
_SUFFIX = ".pickle"
# The libraries whose behaviour decides what a parsed file holds, besides our own code.
_READERS = ("pandas", "python-calamine", "openpyxl")


@dataclass(frozen=True)
class ParsedFile:
    """One spreadsheet read, classified and normalised on its own."""

    sha256: str
    sources: list[dict]  # one entry per sheet: file, sheet, kind, sha256
    tables: list[tuple[str, pd.DataFrame]]  # (kind name, rows with file-local `_rid` from 0)
    issues: pd.DataFrame  # the file's issues, `rid` file-local too
    rows: int  # how many row ids the file uses


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _code_digest() -> str:
    """All of the package's code: a narrower list would one day miss the module that matters."""
    digest = hashlib.sha256()
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.name.encode())
        digest.update(module.read_bytes())
    return digest.hexdigest()


def fingerprint(config: Config) -> str:
    """What besides a file's bytes and path changes its parsed tables."""
    try:
        version = metadata.version("balint-reports")
    except metadata.PackageNotFoundError:
        version = "unknown"
    parts = {
        "version": version,
        "code": _code_digest(),
        "readers": {name: metadata.version(name) for name in _READERS},
        "python": sys.version_info[:2],
        "columns": config.column_aliases,
        "values": config.value_aliases,
        "dates": config.date_order,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class SheetCache:
    """Parsed files by content; `use=False` reads nothing from it but still refills it."""

    def __init__(self, out: Path, config: Config, use: bool = True) -> None:
        self.folder = out / CACHE_FOLDER
        self.use = use
        self._fingerprint = fingerprint(config)
        self._used: set[str] = set()
        self.hits = 0
        self.misses = 0

    def _key(self, relative: str, sha256: str) -> str:
        text = f"{self._fingerprint}\0{relative}\0{sha256}"
        return hashlib.sha256(text.encode()).hexdigest()

    def parsed(self, path: Path, relative: str, parse: Callable[[], ParsedFile]) -> ParsedFile:
        """The file's parsed tables: from the cache when its bytes are unchanged, else `parse()`."""
        sha256 = file_sha256(path)
        key = self._key(relative, sha256)
        self._used.add(key)
        entry = self.folder / f"{key}{_SUFFIX}"
        if self.use:
            try:
                with entry.open("rb") as handle:
                    found = pickle.load(handle)
                if isinstance(found, ParsedFile):
                    self.hits += 1
                    return found
            except Exception:  # a missing or damaged entry is only a miss
                pass
        self.misses += 1
        result = parse()
        # a file saved again while we read it must not be cached under its older bytes
        if result.sha256 == sha256:
            self._store(entry, result)
        return result

    def _store(self, entry: Path, parsed: ParsedFile) -> None:
        """Write an entry whole or not at all, so a killed run never leaves half an entry."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".entry-", dir=self.folder)
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(parsed, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, entry)
        except OSError:
            # A cache that cannot be written only makes the next run slower.
            pass

    def prune(self) -> None:
        """Drop entries this run did not use, and any half-written ones: the inbox moved on."""
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.name.removesuffix(_SUFFIX) not in self._used:
                path.unlink(missing_ok=True)
