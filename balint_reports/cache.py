"""Each spreadsheet's parsed tables, kept in OUT/.cache/ by content, so unchanged files are not
re-read next month.

What is kept for a file depends only on that file's bytes, its path in the inbox, the config's
column and value spellings, and the code that parses it: never on other files or on the report
date. Row ids are numbered from 0 within the file and shifted when the run puts files together.
Entries are data only: a JSON description, then plain arrays' bytes one after another, read
back with numpy.frombuffer as the numbers and booleans the description names (never objects,
so nothing in an entry can run as code); text as UTF-8 bytes with codes. Not numpy's .npz: a
zip member per array cost a tenth of a second per dozen files to write and read. An index
(index.json) holds each entry's sha256, checked before the entry is used. Whoever can
write OUT/.cache can at worst make a run read its files again, never run code as the next run
(a pickle could). Not Parquet or Arrow: pyarrow would be a 40 MB dependency, and installed it
changes how pandas 3 stores every text column in the program.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from .config import Config

CACHE_FOLDER = ".cache"
_SUFFIX = ".entry"
_INDEX = "index.json"
_FORMAT = 2
_MAGIC = b"balint-reports parsed file\n"
# rendered.py keeps its files (rendered.json, rendered-*.bin) in the same folder, and prunes
# them itself.
_OTHERS = "rendered"
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
        self._entries: dict[str, str] | None = None  # the index, read once a run
        self._unsaved = False  # entries kept that the index on disk does not name yet
        self.hits = 0
        self.misses = 0

    def _key(self, relative: str, sha256: str, salt: str = "") -> str:
        text = f"{self._fingerprint}\0{relative}\0{sha256}" + (f"\0{salt}" if salt else "")
        return hashlib.sha256(text.encode()).hexdigest()

    def _index(self) -> dict[str, str]:
        """Entry key -> sha256 of the entry file, as last written (the run holds OUT's lock,
        so nobody else writes it meanwhile)."""
        if self._entries is None:
            self._entries = self._read_index()
        return self._entries

    def _read_index(self) -> dict[str, str]:
        try:
            index = json.loads((self.folder / _INDEX).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        entries = index.get("entries") if isinstance(index, dict) else None
        if index.get("format") != _FORMAT or not isinstance(entries, dict):
            return {}
        return {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, str)}

    def lookup(self, relative: str, sha256: str, salt: str = "") -> ParsedFile | None:
        """The file's parsed tables when a file of these bytes at this path was kept, else None.

        `sha256` is of the bytes the run read (and will parse on a miss): the key and the
        tables always come from the same bytes, however the file changes meanwhile. An empty
        `sha256` (a file that could not be read) is a miss. `salt`: anything else the parse
        depends on (a ruleset's own columns).
        """
        if not sha256:
            self.misses += 1
            return None
        key = self._key(relative, sha256, salt)
        self._used.add(key)
        if self.use:
            found = self._load(self.folder / f"{key}{_SUFFIX}", self._index().get(key))
            if found is not None and found.sha256 == sha256:
                self.hits += 1
                return found
        self.misses += 1
        return None

    def keep(
        self, relative: str, parsed: ParsedFile, salt: str = "", entry: bytes | None = None
    ) -> None:
        """Keep a file's parsed tables for the next run, under the hash of the bytes parsed.

        `entry`: `encode(parsed)`, when a worker made it already."""
        if parsed.sha256:
            key = self._key(relative, parsed.sha256, salt)
            self._store(key, self.folder / f"{key}{_SUFFIX}", parsed, entry)

    def _load(self, entry: Path, expected: str | None) -> ParsedFile | None:
        """The entry if its bytes hash to what the index says; None for any doubt."""
        if expected is None:
            return None
        try:
            data = entry.read_bytes()
            if hashlib.sha256(data).hexdigest() != expected:
                return None  # changed since we wrote it: read the file again
            return decode(data)
        except Exception:  # any entry that does not decode as written: read the file again
            return None

    def _store(self, key: str, entry: Path, parsed: ParsedFile, data: bytes | None) -> None:
        """Write an entry whole or not at all, then record its hash in the index."""
        try:
            data = encode(parsed) if data is None else data
        except Uncacheable:
            return  # read again next time: correct, only slower
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(entry, data)
        except OSError:
            return  # a cache that cannot be written only makes the next run slower
        self._index()[key] = hashlib.sha256(data).hexdigest()
        self._unsaved = True

    def save_index(self) -> None:
        """Write the index of the entries kept since it was last written: once per reading of
        the inbox, not once per file (a federation's 200 entries rewrote it 200 times). An
        entry the index does not name yet is never used, and the next prune deletes it."""
        if not self._unsaved:
            return
        try:
            document = {"format": _FORMAT, "entries": self._index()}
            _write_atomically(self.folder / _INDEX, json.dumps(document).encode())
            self._unsaved = False
        except OSError:
            pass  # as for an entry: only slower next time

    def prune(self) -> None:
        """Drop entries this run did not use, and any half-written ones: the inbox moved on."""
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.name.startswith(_OTHERS):
                continue
            if path.name != _INDEX and path.name.removesuffix(_SUFFIX) not in self._used:
                with contextlib.suppress(OSError):  # kept: the next run tries again
                    path.unlink(missing_ok=True)
        index = self._index()
        kept = {k: v for k, v in index.items() if k in self._used}
        if kept != index:
            self._entries, self._unsaved = kept, True
        self.save_index()


def _write_atomically(path: Path, data: bytes) -> None:
    """Write a file whole or not at all, so a killed run never leaves half of one."""
    handle, temporary = tempfile.mkstemp(prefix=".entry-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Uncacheable(ValueError):
    """A table holding a value the data-only format does not keep; the file is not cached."""


_MASKED = {"Int64": pd.arrays.IntegerArray, "Float64": pd.arrays.FloatingArray}
_MASKED_NUMPY = {"Int64": "int64", "Float64": "float64", "boolean": "bool"}


def _encode_frame(frame: pd.DataFrame, name: str, arrays: dict[str, np.ndarray]) -> dict:
    """Put a frame's columns into `arrays` under `name`; return how to put them back."""
    index = frame.index
    if not isinstance(index, pd.RangeIndex) or index.start != 0 or index.step != 1:
        raise Uncacheable("index")
    columns = []
    for position, (column, series) in enumerate(frame.items()):
        if not isinstance(column, str):
            raise Uncacheable("column name")
        base = f"{name}.{position}"
        dtype = str(series.dtype)
        if dtype in _MASKED_NUMPY:
            mask = series.isna().to_numpy()
            fill = False if dtype == "boolean" else 0
            arrays[base] = series.to_numpy(dtype=_MASKED_NUMPY[dtype], na_value=fill)
            arrays[base + ".mask"] = mask
        elif series.dtype.kind in "biufmM" and not isinstance(
            series.dtype, pd.api.extensions.ExtensionDtype
        ):
            arrays[base] = series.to_numpy()
        elif dtype in ("object", "str"):
            # Text repeats (ids, names, file names): each distinct text is kept once, joined
            # by NUL, with one code per row; -1 is a blank of the `str` dtype.
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
            if dtype == "object" and (codes < 0).any():
                raise Uncacheable("blank in a text column")
            texts = list(uniques)
            if not all(isinstance(text, str) for text in texts):
                raise Uncacheable("a value that is not text")
            joined = "\0".join(texts)
            if joined.count("\0") != max(len(texts) - 1, 0):
                raise Uncacheable("a NUL character in a text")
            arrays[base] = np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8)
            arrays[base + ".codes"] = codes.astype(np.int64)
            arrays[base + ".count"] = np.array([len(texts)], dtype=np.int64)
        else:
            raise Uncacheable(dtype)
        columns.append([column, dtype])
    return {"name": name, "rows": len(frame), "columns": columns}


def _decode_frame(layout: dict, arrays: _Arrays) -> pd.DataFrame:
    """The frame `_encode_frame` described."""
    data = {}
    for position, (column, dtype) in enumerate(layout["columns"]):
        base = f"{layout['name']}.{position}"
        if dtype in _MASKED_NUMPY:
            values, mask = arrays[base], arrays[base + ".mask"]
            if dtype == "boolean":
                data[column] = pd.arrays.BooleanArray(values, mask)
            else:
                data[column] = _MASKED[dtype](values, mask)
        elif dtype in ("object", "str"):
            count = int(arrays[base + ".count"][0])
            text = arrays[base].tobytes().decode("utf-8", "surrogatepass")
            # one slot more, left None, for code -1 (a blank of the `str` dtype)
            uniques = np.empty(count + 1, dtype=object)
            uniques[:count] = text.split("\0") if count else []
            codes = arrays[base + ".codes"]
            if codes.dtype.kind != "i" or (
                len(codes) and not -1 <= codes.min() <= codes.max() < count
            ):
                raise ValueError("text codes")
            values = uniques[codes]
            if dtype == "str":
                data[column] = pd.array(values, dtype="str")
            else:  # pandas would otherwise infer its `str` dtype from text
                data[column] = pd.Series(values, dtype=object)
        else:
            data[column] = arrays[base]
    frame = pd.DataFrame(data, index=pd.RangeIndex(layout["rows"]))
    if list(frame.columns) != [c for c, _ in layout["columns"]]:
        raise ValueError("columns")
    return frame


def encode(parsed: ParsedFile) -> bytes:
    """A parsed file as bytes: a JSON description, then plain arrays, nothing executable."""
    arrays: dict[str, np.ndarray] = {}
    meta = {
        "sha256": parsed.sha256,
        "sources": parsed.sources,
        "rows": parsed.rows,
        "tables": [
            [kind, _encode_frame(table, f"t{i}", arrays)]
            for i, (kind, table) in enumerate(parsed.tables)
        ],
        "issues": _encode_frame(parsed.issues, "issues", arrays),
    }
    places, offset, blobs = {}, 0, []
    for name, array in arrays.items():
        if array.dtype.hasobject or array.ndim != 1:
            raise Uncacheable(str(array.dtype))
        blob = np.ascontiguousarray(array).tobytes()
        places[name] = [array.dtype.str, len(array), offset]
        blobs.append(blob + bytes(-len(blob) % 8))  # each array aligned, as numpy reads fastest
        offset += len(blobs[-1])
    try:
        head = json.dumps({"meta": meta, "arrays": places}).encode("utf-8")
    except TypeError:
        raise Uncacheable("sources") from None
    return b"".join([_MAGIC, len(head).to_bytes(8, "little"), head, *blobs])


class _Arrays:
    """An entry's arrays by name, each a writable numpy array over one copy of the bytes."""

    def __init__(self, body: bytearray, places: dict) -> None:
        self.body, self.places = body, places

    def __getitem__(self, name: str) -> np.ndarray:
        dtype_text, length, offset = self.places[name]
        dtype = np.dtype(dtype_text)
        if dtype.hasobject or dtype.kind not in "biufmM":
            raise ValueError("not a plain array")
        return np.frombuffer(self.body, dtype=dtype, count=length, offset=offset)


def decode(data: bytes) -> ParsedFile:
    """The parsed file `encode` wrote; arrays are numbers and booleans only, so only data."""
    if not data.startswith(_MAGIC):
        raise ValueError("not an entry")
    start = len(_MAGIC) + 8
    end = start + int.from_bytes(data[len(_MAGIC) : start], "little")
    head = json.loads(data[start:end].decode("utf-8"))
    meta = head["meta"]
    # one copy of the arrays' bytes, writable, as pandas may write to them
    arrays = _Arrays(bytearray(memoryview(data)[end:]), head["arrays"])
    tables = [(kind, _decode_frame(layout, arrays)) for kind, layout in meta["tables"]]
    issues = _decode_frame(meta["issues"], arrays)
    return ParsedFile(meta["sha256"], meta["sources"], tables, issues, int(meta["rows"]))
