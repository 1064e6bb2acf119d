"""What an inbox file may be, checked before any parser opens it: the run's limits in one place.

The inbox holds files that arrive by email from many people. A spreadsheet is a zip of XML
parts (.xlsx, .xlsm, .ods) or a binary (.xls) or text (.csv) file, and each can be made to cost
far more to parse than its size suggests: a zip part that inflates a thousandfold, twenty
thousand entries, an XML entity that expands a billion times, two cells at A1 and XFD1048576
that make a reader allocate the whole grid between them (python-calamine aborts the process on
that one, so it cannot be caught afterwards). Every such file is refused here, from its bytes,
with a problem that names the limit; the run goes on with the other files.

The numbers are generous for a society's registers and logs (tens of thousands of rows); change
them in `LIMITS` below. SECURITY.md lists them.
"""

from __future__ import annotations

import array
import io
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .issue_text import team_text
from .pause import Pause, no_pause

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How large an inbox file may be, on disk and once unpacked."""

    file_bytes: int = 100 * MIB  # an .xlsx/.xlsm/.ods, as stored (its parts: below)
    # .xls and CSV files are parsed as stored, every cell into an object of its own, and an .xls
    # is walked record by record before that: tighter bounds, still far above a society's logs
    # (100,000 rows of a CSV log are about 4 MiB; an .xls holds at most 65,536 rows)
    xls_bytes: int = 10 * MIB
    csv_bytes: int = 20 * MIB
    archive_entries: int = 10_000  # parts in an .xlsx/.xlsm/.ods zip
    part_bytes: int = 100 * MIB  # one part, unpacked
    total_bytes: int = 200 * MIB  # all parts of one file, unpacked
    ratio: int = 100  # unpacked : packed, for parts of at least `ratio_from` bytes
    ratio_from: int = 1 * MIB
    sheet_cells: int = 10_000_000  # rows x columns that one sheet spans (or a CSV holds)
    # the text of an .xlsx's cells once each shared string is copied into every cell using it
    text_bytes: int = 200 * MIB


LIMITS = Limits()
_CHUNK = 4 * MIB


def file_limit(suffix: str, limits: Limits = LIMITS) -> int:
    """How large a file with this suffix may be, as stored."""
    text = limits.csv_bytes
    return {".xls": limits.xls_bytes, ".csv": text, ".tsv": text, ".txt": text}.get(
        suffix.lower(), limits.file_bytes
    )


class Refusal(str):
    """Why a file is not parsed, in the team's words (its code's template, issue_text.py),
    with the stable `code`, `case` and `fields` the Data issue is worded from again."""

    code: str
    case: str
    fields: dict[str, Any]  # Any: they are passed on as keywords (IssueLog.add)

    def __new__(cls, code: str, case: str = "", **fields: Any) -> Refusal:
        """The code's words for these fields, carrying the code, case and fields."""
        made = super().__new__(cls, team_text(code, case, fields))
        made.code, made.case, made.fields = code, case, fields
        return made

    def __reduce__(self) -> tuple:
        """Pickled as what it is made from (a str subclass is otherwise rebuilt from its text)."""
        return (_refusal, (self.code, self.case, self.fields))


def _refusal(code: str, case: str, fields: dict[str, Any]) -> Refusal:
    return Refusal(code, case, **fields)


PASSWORD = Refusal("file_password_protected")


class InputRefused(Exception):
    """An inbox file that is not read; `refusal` says why."""

    def __init__(self, code: str, case: str = "", **fields: object) -> None:
        self.refusal = Refusal(code, case, **fields)
        super().__init__(str(self.refusal))


# `pause` is called with "mid-read" after each piece of a file is read: a test changes the file
# there, to show that a file saved again while it is read is read again whole.
def read_input(path: Path, limits: Limits = LIMITS, pause: Pause = no_pause) -> bytes:
    """The file's bytes, read whole from one open file that did not change while it was read.

    A file saved again while we read it (a synced folder, a colleague saving in place) would
    otherwise give a hash of one version and cells of a mixture: it is read again, and reported
    if it keeps changing. Raises InputRefused for a file over the size limit, OSError as is.
    """
    for _attempt in range(3):
        with path.open("rb") as handle:
            before = os.fstat(handle.fileno())
            limit = file_limit(path.suffix, limits)
            if before.st_size > limit:
                suffix = path.suffix.lower()
                raise InputRefused(
                    "file_too_large",
                    "" if suffix else "no_suffix",
                    size=before.st_size,
                    limit=limit,
                    **({"suffix": suffix} if suffix else {}),
                )
            data = _read_all(handle, limit, pause)
            after = os.fstat(handle.fileno())
        now = path.stat()
        unchanged = (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)
        same_file = (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) == (
            after.st_dev,
            after.st_ino,
            after.st_size,
            after.st_mtime_ns,
        )
        if unchanged and same_file and len(data) == after.st_size:
            return data
    raise InputRefused("file_changed_while_read")


def _read_all(handle: io.BufferedReader, limit: int, pause: Pause) -> bytes:
    """Read to the end in pieces, no more than `limit` + 1 bytes (a file may grow meanwhile)."""
    parts = []
    total = 0
    while total <= limit:
        piece = handle.read(_CHUNK)
        if not piece:
            break
        parts.append(piece)
        total += len(piece)
        pause("mid-read")
    return b"".join(parts)


def check_content(
    suffix: str, data: bytes, limits: Limits = LIMITS, formula_parts: set[str] | None = None
) -> Refusal | None:
    """Why a file's bytes must not reach a parser, or None when they may.

    `formula_parts`: given, it gains the workbook's sheet parts that hold a formula (`<f`), as
    seen while each is unpacked here, so that the formula check need not unpack the others.
    """
    if suffix in (".xlsx", ".xlsm", ".ods") and data.startswith(b"PK"):
        return _check_archive(
            suffix, data, limits, set() if formula_parts is None else formula_parts
        )
    if suffix in (".csv", ".tsv", ".txt"):
        return _check_csv(data, limits)
    if suffix == ".xls" and data.startswith(_OLE2_MAGIC):
        return _check_xls(data, limits)
    return None


def _check_csv(data: bytes, limits: Limits) -> Refusal | None:
    """A CSV's cells, over-counted by every separator and line: each costs memory once read."""
    cells = data.count(b"\n") + max(data.count(b","), data.count(b";"), data.count(b"\t")) + 1
    if cells > limits.sheet_cells:
        return Refusal("csv_too_many_cells", cells=cells, limit=limits.sheet_cells)
    return None


# --- .xls: an OLE2 compound file holding a BIFF workbook stream ---------------------------------

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END_OF_CHAIN = 0xFFFFFFFE
_FREE = 0xFFFFFFFF


class _NotXls(ValueError):
    """The compound file's structure is broken: no reader can make sense of it either."""


def _xls_damaged() -> Refusal:
    return Refusal("file_damaged", "structure")


def _check_xls(data: bytes, limits: Limits) -> Refusal | None:
    """Cells and text of an old-format workbook, counted from its records before any reader.

    A .xls is small for what it can cost: two cells at A1 and IV65536 make a reader lay out 16
    million cells, and one long shared string named by every cell is copied into each. So the
    extent of each sheet and the text its cells hold are checked against the .xlsx limits.
    """
    try:
        stream = _workbook_stream(data)
    except (_NotXls, struct.error, IndexError, ValueError, OverflowError):
        return _xls_damaged()
    if stream is None:
        return None  # no workbook stream: the reader will say it cannot read the file
    try:
        sheets, text = _biff_cost(stream)
    except (struct.error, IndexError, ValueError, OverflowError):
        return _xls_damaged()
    for rows, columns in sheets:
        if rows * columns > limits.sheet_cells:
            return Refusal(
                "sheet_too_many_cells",
                rows=rows,
                columns=columns,
                cells=rows * columns,
                limit=limits.sheet_cells,
            )
    if text > limits.text_bytes:
        return Refusal("sheet_too_much_text", size=text, limit=limits.text_bytes)
    return None


def _workbook_stream(data: bytes) -> bytes | None:
    """The `Workbook` (or Excel 95 `Book`) stream of a compound file, every chain checked."""
    if len(data) < 512:
        raise _NotXls("header")
    (shift, mini_shift) = struct.unpack_from("<HH", data, 30)
    if shift not in (9, 12) or mini_shift != 6:
        raise _NotXls("sector size")
    size = 1 << shift
    fat_count, first_dir = struct.unpack_from("<II", data, 44)
    cutoff, first_mini_fat, _mini_fat_count, first_difat, difat_count = struct.unpack_from(
        "<IIIII", data, 56
    )
    compound = _Compound(data, size, (len(data) - 512 + size - 1) // size)
    if fat_count > compound.sectors or difat_count > compound.sectors:
        raise _NotXls("counts")
    fat = compound.fat(fat_count, first_difat)
    entries = _directory_entries(compound.stream(first_dir, fat))
    found = entries.get("Workbook") or entries.get("Book")
    root = entries.get("Root Entry")
    if found is None or root is None:
        return None
    _kind, start, length = found
    if length > len(data):
        raise _NotXls("stream size")
    if length >= cutoff:
        stream = compound.stream(start, fat)
    else:
        stream = compound.mini_stream(start, fat, first_mini_fat, root[1])
    if len(stream) < length:
        raise _NotXls("stream cut short")
    return stream[:length]


@dataclass(frozen=True)
class _Compound:
    """A compound (OLE2) file's sectors, read only through chains that are checked."""

    data: bytes
    size: int  # bytes per sector
    sectors: int  # how many the file holds; the last one may be cut short

    def sector(self, number: int) -> bytes:
        """One sector's bytes; a number past the file's end is not a well-formed file."""
        if number >= self.sectors:
            raise _NotXls("sector")
        start = 512 + number * self.size
        return self.data[start : start + self.size]

    def fat(self, fat_count: int, first_difat: int) -> np.ndarray:
        """The file allocation table: the header lists its first 109 sectors, the DIFAT chain
        the rest."""
        size = self.size
        fat_sectors = list(struct.unpack_from("<109I", self.data, 76))[: min(fat_count, 109)]
        seen: set[int] = set()
        at = first_difat
        while len(fat_sectors) < fat_count and at not in (_END_OF_CHAIN, _FREE):
            if at in seen:
                raise _NotXls("difat loop")
            seen.add(at)
            listed = struct.unpack_from(f"<{size // 4}I", self.sector(at).ljust(size, b"\0"))
            fat_sectors.extend(listed[:-1])
            at = listed[-1]
        return np.frombuffer(
            b"".join(self.sector(n).ljust(size, b"\0") for n in fat_sectors[:fat_count]),
            dtype="<u4",
        )

    def stream(self, start: int, fat: np.ndarray) -> bytes:
        """The bytes of the sector chain from `start`."""
        return b"".join(self.sector(n) for n in _chain(start, fat, self.sectors))

    def mini_stream(self, start: int, fat: np.ndarray, first_mini_fat: int, root: int) -> bytes:
        """A small stream: it lives in 64-byte pieces inside the root entry's own stream."""
        mini_fat = np.frombuffer(self.stream(first_mini_fat, fat), dtype="<u4")
        mini_stream = self.stream(root, fat)
        pieces = _chain(start, mini_fat, len(mini_fat))
        return b"".join(mini_stream[n * 64 : n * 64 + 64] for n in pieces)


def _chain(start: int, table: np.ndarray, limit: int) -> list[int]:
    """The sector numbers of a chain; one that loops or leaves the table is not well-formed."""
    found: list[int] = []
    at = start
    while at not in (_END_OF_CHAIN, _FREE):
        if at >= len(table) or len(found) > limit:
            raise _NotXls("chain")
        found.append(at)
        at = int(table[at])
    return found


def _directory_entries(directory: bytes) -> dict[str, tuple[int, int, int]]:
    """Each directory entry's name -> (kind, first sector, length)."""
    entries = {}
    for offset in range(0, len(directory) - 127, 128):
        name_length = struct.unpack_from("<H", directory, offset + 64)[0]
        name = directory[offset : offset + min(name_length, 64)].decode("utf-16-le", "replace")
        kind = directory[offset + 66]
        start, length = struct.unpack_from("<II", directory, offset + 116)
        entries[name.rstrip("\0")] = (kind, start, length)
    return entries


# BIFF record types: where a sheet starts, the shared strings and the cells with content
_BOF, _SST, _CONTINUE = 0x0809, 0x00FC, 0x003C
_LABELSST, _LABEL, _NUMBER, _RK, _MULRK, _BOOLERR, _FORMULA, _STRING = (
    0x00FD,
    0x0204,
    0x0203,
    0x027E,
    0x00BD,
    0x0205,
    0x0006,
    0x0207,
)
_ONE_CELL = (_LABELSST, _LABEL, _NUMBER, _RK, _BOOLERR, _FORMULA)


def _biff_cost(stream: bytes) -> tuple[list[tuple[int, int]], int]:
    """(last row, last column) of each sheet's cells with content, and the text they hold.

    One walk from record to record, then numpy over every cell record at once. A text cell
    naming a shared string counts that string's length (a reader copies it into every cell
    naming it), a text cell of its own its length.
    """
    offsets = array.array("q")
    at, end = 0, len(stream) - 3
    while at < end:
        offsets.append(at)
        at += 4 + (stream[at + 2] | stream[at + 3] << 8)
    starts = np.frombuffer(offsets, dtype=np.int64)
    a = np.frombuffer(stream + bytes(16), dtype=np.uint8)  # room to read past a cut record

    def u16(at: np.ndarray) -> np.ndarray:
        return a[at].astype(np.int64) | a[at + 1].astype(np.int64) << 8

    kinds, sizes = u16(starts), u16(starts + 2)
    lengths = _sst_lengths(stream, starts, kinds, sizes)
    text = 0
    labels = starts[kinds == _LABELSST] + 4
    if len(labels):
        index = u16(labels + 6) | u16(labels + 8) << 16
        known = index < len(lengths)
        text += int(lengths[index[known]].sum())
    text += int(u16(starts[kinds == _LABEL] + 10).sum())
    text += int(u16(starts[kinds == _STRING] + 4).sum())
    cells = np.isin(kinds, _ONE_CELL) | (kinds == _MULRK)
    body = starts[cells] + 4
    rows = u16(body)
    last = np.where(kinds[cells] == _MULRK, u16(body + sizes[cells] - 2), u16(body + 2))
    # each BOF starts a sheet (the first, the workbook's globals, holds no cells)
    sheet = np.searchsorted(starts[kinds == _BOF], starts[cells], side="right")
    sheets = []
    for number in np.unique(sheet):
        mine = sheet == number
        sheets.append((int(rows[mine].max()) + 1, int(last[mine].max()) + 1))
    return sheets, text


def _sst_lengths(
    stream: bytes, starts: np.ndarray, kinds: np.ndarray, sizes: np.ndarray
) -> np.ndarray:
    """The length, in characters, of each string of the shared string table (SST) and the
    CONTINUE records after it. Text that runs on into a CONTINUE starts it with a flags byte
    saying whether the characters there take one byte or two."""
    table = _sst_segments(stream, starts, kinds, sizes)
    if table is None:
        return np.zeros(0, dtype=np.int64)
    unique, segments = table
    lengths: list[int] = []
    part, at = 0, 0
    try:
        while len(lengths) < unique:
            head, part, at = _sst_take(segments, part, at, 3)
            characters, flags = struct.unpack("<HB", head)
            runs, extra = 0, 0
            if flags & 0x08:
                counted, part, at = _sst_take(segments, part, at, 2)
                runs = struct.unpack("<H", counted)[0]
            if flags & 0x04:
                counted, part, at = _sst_take(segments, part, at, 4)
                extra = struct.unpack("<I", counted)[0]
            wide = flags & 0x01
            left = characters
            while left:
                if part >= len(segments):
                    raise IndexError("SST cut short")
                room = len(segments[part]) - at
                if room <= 0:  # the characters go on in the next record, after a flags byte
                    part, at = part + 1, 0
                    if part < len(segments):
                        wide = segments[part][0] & 0x01
                        at = 1
                    continue
                step = min(left, room // (2 if wide else 1))
                if step == 0:  # half a character: not a well-formed table
                    raise IndexError("SST character split")
                at += step * (2 if wide else 1)
                left -= step
            _, part, at = _sst_take(segments, part, at, 4 * runs + extra)
            lengths.append(characters)
    except IndexError:
        pass  # a table cut short: the strings read so far are what a reader finds too
    return np.array(lengths, dtype=np.int64)


def _sst_segments(
    stream: bytes, starts: np.ndarray, kinds: np.ndarray, sizes: np.ndarray
) -> tuple[int, list[bytes]] | None:
    """How many strings the SST declares, and its bytes after that count, record by record
    (the SST's own, then each CONTINUE's); None when the stream has no SST."""
    found = np.flatnonzero(kinds == _SST)
    if not len(found):
        return None
    first = int(found[0])
    parts = [stream[int(starts[first]) + 4 : int(starts[first]) + 4 + int(sizes[first])]]
    for k in range(first + 1, len(kinds)):
        if kinds[k] != _CONTINUE:
            break
        parts.append(stream[int(starts[k]) + 4 : int(starts[k]) + 4 + int(sizes[k])])
    if len(parts[0]) < 8:
        return None
    return struct.unpack_from("<I", parts[0], 4)[0], [parts[0][8:], *parts[1:]]


def _sst_take(segments: list[bytes], part: int, at: int, count: int) -> tuple[bytes, int, int]:
    """The next `count` bytes of the SST's structure from record `part`, offset `at`, read
    across records, and where the bytes after them start."""
    found = b""
    while len(found) < count:
        if part < len(segments) and at >= len(segments[part]):
            part, at = part + 1, 0
            continue
        if part >= len(segments):
            raise IndexError("SST cut short")
        piece = segments[part][at : at + count - len(found)]
        found += piece
        at += len(piece)
    return found, part, at


def _check_archive(
    suffix: str, data: bytes, limits: Limits, formula_parts: set[str]
) -> Refusal | None:
    """Entry count, sizes as declared and as really unpacked, ratios, DTDs and sheet extents."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return Refusal("file_truncated")
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.archive_entries:
            return Refusal("archive_too_many_parts", parts=len(infos), limit=limits.archive_entries)
        declared = 0
        for info in infos:
            declared += info.file_size
            problem = _check_sizes(info.filename, info.file_size, info.compress_size, limits)
            if problem:
                return problem
            if info.flag_bits & 0x1:
                return PASSWORD
        if declared > limits.total_bytes:
            return Refusal(
                "archive_too_large", "all_parts", size=declared, limit=limits.total_bytes
            )
        if suffix == ".ods" and _ods_encrypted(archive):
            return PASSWORD
        shared = _SharedText()
        for info in infos:
            problem = _check_part(data, info, limits, shared, formula_parts)
            if problem:
                return problem
        text = shared.total()
        if text > limits.text_bytes:
            return Refusal("sheet_too_much_text", size=text, limit=limits.text_bytes)
    return None


def _check_sizes(name: str, size: int, packed: int, limits: Limits) -> Refusal | None:
    """One part's unpacked size and its compression ratio against the limits."""
    if size > limits.part_bytes:
        return Refusal("archive_too_large", "part", part=name, size=size, limit=limits.part_bytes)
    if size >= limits.ratio_from and size > limits.ratio * max(packed, 1):
        return Refusal(
            "archive_ratio_too_high",
            part=name,
            times=size // max(packed, 1),
            packed=packed,
            size=size,
            ratio=limits.ratio,
        )
    return None


def _ods_encrypted(archive: zipfile.ZipFile) -> bool:
    """An OpenDocument file saved with a password lists its encrypted parts in its manifest."""
    try:
        with archive.open("META-INF/manifest.xml") as manifest:
            head = manifest.read(_CHUNK)
    except (KeyError, zipfile.BadZipFile, OSError, zlib.error, EOFError):
        return False
    return b"encryption-data" in head


def _check_part(
    data: bytes,
    info: zipfile.ZipInfo,
    limits: Limits,
    shared: _SharedText,
    formula_parts: set[str],
) -> Refusal | None:
    """Unpack one part as a stream, never holding it whole, checking what it really holds."""
    ods = info.filename == "content.xml"
    strings = info.filename == "xl/sharedStrings.xml"
    is_sheet = ods or info.filename.startswith("xl/worksheets/")
    extent: _XlsxExtent | _OdsExtent = _OdsExtent() if ods else _XlsxExtent()
    tail = b""  # the end of the last piece, for a mark split between two pieces
    for piece in _inflate(data, info, limits):
        if isinstance(piece, str):
            return piece
        window = tail + piece
        if _declares_dtd(window):
            return Refusal("xml_doctype", part=info.filename)
        if b"<f" in window:  # any part: the workbook, not this, says which parts are sheets
            formula_parts.add(info.filename)
        if is_sheet:
            extent.feed(piece)
            if not ods:
                shared.feed_sheet(piece)
        elif strings:
            shared.feed_strings(piece)
        tail = piece[-32:]
    if not is_sheet:
        return None
    if not ods:
        shared.end_sheet()
    rows, columns = extent.result()
    if isinstance(extent, _XlsxExtent) and extent.sequential:
        rows, columns = _sequential_extent(_inflate(data, info, limits))
    if rows * columns > limits.sheet_cells:
        return Refusal(
            "sheet_too_many_cells",
            "part",
            part=info.filename,
            rows=rows,
            columns=columns,
            cells=rows * columns,
            limit=limits.sheet_cells,
        )
    return None


def _declares_dtd(window: bytes) -> bool:
    """Whether the text holds `<!D` or `<!E` (<!DOCTYPE, <!ENTITY), in UTF-8 or UTF-16.

    XML parts of a spreadsheet never declare a document type; one that does can only be meant
    to expand entities (a "billion laughs") or to fetch files or URLs (an external entity).
    Found with numpy from the rare `!`: a plain search for `<!` is slow where every other byte
    is a `<`.
    """
    a = np.frombuffer(window, dtype=np.uint8)
    at = np.flatnonzero(a[2:-2] == 0x21) + 2
    if not len(at):
        return False
    narrow = (a[at - 1] == 0x3C) & np.isin(a[at + 1], (0x44, 0x45))
    wide = (a[at - 2] == 0x3C) & (a[at - 1] == 0) & np.isin(a[at + 2], (0x44, 0x45))
    return bool((narrow | wide).any())


def _inflate(data: bytes, info: zipfile.ZipInfo, limits: Limits) -> Iterator[bytes | Refusal]:
    """The part's unpacked bytes in pieces; a problem (str) instead ends it.

    Our own inflater rather than zipfile's: that one stops at the declared size, while the
    parsers after us read the compressed stream to its end, so a part that lies about its size
    is caught only by unpacking all of it.
    """
    damaged = Refusal("file_damaged", "part", part=info.filename)
    offset = info.header_offset
    header = data[offset : offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        yield damaged
        return
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = offset + 30 + name_length + extra_length
    packed = memoryview(data)[start : start + info.compress_size]
    if len(packed) < info.compress_size:
        yield damaged
        return
    if info.compress_type == zipfile.ZIP_STORED:
        for at in range(0, len(packed), _CHUNK):
            yield bytes(packed[at : at + _CHUNK])
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        yield Refusal("file_damaged", "packing", part=info.filename)
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    pending: bytes | memoryview = packed
    try:
        while True:
            piece = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
            produced += len(piece)
            if produced > info.file_size:
                yield Refusal("archive_size_mismatch", part=info.filename, size=info.file_size)
                return
            if piece:
                yield piece
            if inflater.eof or (not piece and not pending):
                break
    except zlib.error:
        yield damaged
        return
    if not inflater.eof or produced != info.file_size:
        yield damaged


class _XlsxExtent:
    """The last row and column of an .xlsx sheet's cells with content, found with numpy.

    A reader lays a sheet out from its first to its last cell with content, so that is what
    costs memory. Every `r="C12"` of a `<c>` tag is decoded at once per piece (a regular
    expression over a large sheet would take seconds); a cell written `<c .../>` is empty.
    Cells or rows without a reference (allowed, rare) take their place from the ones before
    them: such a sheet is laid out again in order by `_sequential_extent`.
    """

    def __init__(self) -> None:
        self.rows = 0
        self.columns = 0
        self.cell_tags = 0
        self.cell_refs = 0
        self.row_tags = 0
        self.row_refs = 0
        self.tail = b""  # the end of the previous piece: a tag may start there

    @property
    def sequential(self) -> bool:
        """Whether some cell or row has no reference, so positions depend on order."""
        return self.cell_tags != self.cell_refs or self.row_tags != self.row_refs

    def feed(self, piece: bytes) -> None:
        """Take the tags that start in the unread end of the last piece or in this one."""
        window = self.tail + piece
        self._scan(window, len(self.tail) and _TAIL - _REF_SPAN, len(window) - _REF_SPAN)
        self.tail = window[-_TAIL:]

    def result(self) -> tuple[int, int]:
        """(last row, last column), 1-based, of cells with content; 0 when there are none."""
        window = self.tail + bytes(_REF_SPAN)
        self._scan(window, len(self.tail) and _TAIL - _REF_SPAN, len(self.tail))
        self.tail = b""
        return self.rows, self.columns

    def _scan(self, window: bytes, begin: int, end: int) -> None:
        """Decode the tags and references that start in [begin, end) of the window."""
        begin = max(begin, 0)
        if end <= begin:
            return
        a = np.frombuffer(window, dtype=np.uint8)
        opens = np.flatnonzero(a[:end] == 0x3C)  # every `<`, some before `begin` (for context)
        after = a[opens + 1]
        third = a[opens + 2]
        # `<c ` `<c>` `<c/`; compared one by one: np.isin sorts, 25 times slower here
        cell_tag = (after == 0x63) & ((third == 0x20) | (third == 0x3E) | (third == 0x2F))
        row_tag = (after == 0x72) & (third == 0x6F) & (a[opens + 3] == 0x77)  # `<row`
        counted = opens >= begin
        self.cell_tags += int((cell_tag & counted).sum())
        self.row_tags += int((row_tag & counted).sum())
        # ' r="': from the `=` signs, far fewer than the spaces or quotes
        equals = np.flatnonzero(a[begin + 2 : end + 2] == 0x3D) + begin + 2
        hit = (a[equals - 2] == 0x20) & (a[equals - 1] == 0x72) & (a[equals + 1] == 0x22)
        at = equals[hit] + 2
        if not len(at):
            return
        tag = np.searchsorted(opens, at) - 1  # the tag each reference is in
        known = tag >= 0
        in_cell = known & cell_tag[np.maximum(tag, 0)]
        self.row_refs += int((known & row_tag[np.maximum(tag, 0)]).sum())
        self.cell_refs += int(in_cell.sum())
        closes = np.flatnonzero(a == 0x3E)
        close = np.searchsorted(closes, at)
        has_close = close < len(closes)
        # `<c r="A9" s="1"/>` and `<c r="A9" s="1"></c>` are formatting only, no content
        empty = np.zeros(len(at), dtype=bool)
        end_at = closes[close[has_close]]
        following = np.minimum(end_at[:, None] + np.arange(1, 4), len(a) - 1)
        empty[has_close] = (a[end_at - 1] == 0x2F) | (
            (a[following[:, 0]] == 0x3C)
            & (a[following[:, 1]] == 0x2F)
            & (a[following[:, 2]] == 0x63)
        )
        # an unknown tag, or one whose end is out of sight, counts as a cell with content
        content = (in_cell | ~known) & ~empty
        at = at[content]
        if not len(at):
            return
        column = np.zeros(len(at), dtype=np.int64)
        letters = np.zeros(len(at), dtype=np.int64)
        going = np.ones(len(at), dtype=bool)
        for k in range(4):  # a fourth letter is past XFD: it counts, so the sheet is refused
            c = a[at + k].astype(np.int64)
            going &= (c >= 0x41) & (c <= 0x5A)
            column = np.where(going, column * 26 + (c - 0x40), column)
            letters += going
        row = np.zeros(len(at), dtype=np.int64)
        going = np.ones(len(at), dtype=bool)
        start = at + letters
        for k in range(8):
            c = a[start + k].astype(np.int64)
            going &= (c >= 0x30) & (c <= 0x39)
            row = np.where(going, row * 10 + (c - 0x30), row)
        self.rows = max(self.rows, int(row.max()))
        self.columns = max(self.columns, int(column.max()))


# ' r="' + up to 4 letters + 8 digits; a tag's start is looked for this far back
_REF_SPAN = 16
_TAIL = 1024
_XLSX_TOKEN = re.compile(rb"<row\b([^>]*)>|<c\b([^>]*?)(/?)>")
_XLSX_REF = re.compile(rb'\sr="([A-Z]{0,4})([0-9]{0,8})"')


def _sequential_extent(stream: Iterator[bytes | Refusal]) -> tuple[int, int]:
    """(last row, last column) with content of a sheet whose cells or rows lack references.

    Slow (one regular expression match per tag), so only for the rare sheets that need it.
    """
    text = b"".join(piece for piece in stream if isinstance(piece, bytes))
    row = column = last_row = last_column = 0
    for match in _XLSX_TOKEN.finditer(text):
        empty_cell = match.group(3) or text.startswith(b"</c>", match.end())
        if match.group(1) is not None:
            found = _XLSX_REF.search(match.group(1))
            row = int(found.group(2)) if found and found.group(2) else row + 1
            column = 0
            continue
        found = _XLSX_REF.search(match.group(2))
        if found and found.group(1):
            column = _column_number(found.group(1))
            if found.group(2):
                row = int(found.group(2))
        else:
            column += 1
        if not empty_cell:
            last_row, last_column = max(last_row, row), max(last_column, column)
    return last_row, last_column


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 0x40
    return number


def _find(a: np.ndarray, pattern: bytes, end: int) -> np.ndarray:
    """Where `pattern` starts in `a`, before `end` (which leaves room for the whole pattern)."""
    at = np.flatnonzero(a[:end] == pattern[0])
    for k, byte in enumerate(pattern[1:], start=1):
        at = at[a[at + k] == byte]
    return at


class _SharedText:
    """How much text an .xlsx's cells hold once laid out: each cell gets its own copy of the
    shared string it names (python-calamine copies it), so a 1 MiB string named by a thousand
    cells costs a GiB. Sums the length of the string each `t="s"` cell names.
    """

    _SPAN = 32  # the longest pattern, plus ten digits of an index

    def __init__(self) -> None:
        self.indices: list[np.ndarray] = []
        self.unknown = 0  # string cells whose index is out of sight: counted at the longest
        self.starts: list[np.ndarray] = []
        self.ends: list[np.ndarray] = []
        self.offset = 0  # where the shared strings' window starts in the part
        self.sheet_tail = b""
        self.strings_tail = b""

    def feed_sheet(self, piece: bytes) -> None:
        """Take the string cells of a sheet's piece."""
        window = self.sheet_tail + piece
        self._cells(window, len(window) - self._SPAN)
        self.sheet_tail = window[-self._SPAN :]

    def end_sheet(self) -> None:
        """The sheet's last bytes, then a fresh start for the next sheet."""
        window = self.sheet_tail + bytes(self._SPAN)
        self._cells(window, len(self.sheet_tail))
        self.sheet_tail = b""

    def _cells(self, window: bytes, end: int) -> None:
        if end <= 0:
            return
        a = np.frombuffer(window, dtype=np.uint8)
        cells = _find(a, b' t="s"', end)
        if not len(cells):
            return
        values = _find(a, b"<v>", len(a) - 3)
        which = np.searchsorted(values, cells)
        seen = which < len(values)
        self.unknown += int((~seen).sum())
        start = values[which[seen]] + 3
        number = np.zeros(len(start), dtype=np.int64)
        going = np.ones(len(start), dtype=bool)
        for k in range(10):
            c = a[np.minimum(start + k, len(a) - 1)].astype(np.int64)
            going &= (c >= 0x30) & (c <= 0x39)
            number = np.where(going, number * 10 + (c - 0x30), number)
        self.indices.append(number)

    def feed_strings(self, piece: bytes) -> None:
        """Take the `<si>` and `</si>` of a piece of xl/sharedStrings.xml."""
        window = self.strings_tail + piece
        end = len(window) - 8
        if end > 0:
            a = np.frombuffer(window, dtype=np.uint8)
            opened = np.concatenate([_find(a, b"<si>", end), _find(a, b"<si ", end)])
            self.starts.append(np.sort(opened) + self.offset)
            self.ends.append(_find(a, b"</si>", end) + self.offset)
            self.offset += end
            self.strings_tail = window[end:]

    def total(self) -> int:
        """Bytes of text all string cells hold (each shared string's markup counted too)."""
        starts = np.concatenate(self.starts) if self.starts else np.zeros(0, dtype=np.int64)
        ends = np.concatenate(self.ends) if self.ends else np.zeros(0, dtype=np.int64)
        if not len(starts):
            return 0
        count = min(len(starts), len(ends))
        lengths = np.maximum(ends[:count] - starts[:count], 0)
        longest = int(lengths.max(initial=0))
        indices = np.concatenate(self.indices) if self.indices else np.zeros(0, dtype=np.int64)
        known = indices < count
        return int(lengths[indices[known]].sum()) + longest * (int((~known).sum()) + self.unknown)


_ODS_TOKEN = re.compile(
    rb"<table:table[\s>]|<table:table-row\b([^>]*?)(/?)>|</table:table-row>"
    rb"|<table:(?:covered-)?table-cell\b([^>]*?)(/?)>"
)
_REPEAT = re.compile(rb'number-(?:rows|columns)-repeated="(\d{1,12})"')


class _OdsExtent:
    """The grid an OpenDocument sheet spans once its repeated rows and cells are spelled out.

    Repeats of empty cells (LibreOffice writes a million of them after the last row) cost a
    reader nothing; repeats of cells with content are laid out one by one.
    """

    def __init__(self) -> None:
        self.buffer = b""

    def feed(self, piece: bytes) -> None:
        """Keep the text: content.xml is held whole only here, within the part size limit."""
        self.buffer += piece

    def result(self) -> tuple[int, int]:
        """(rows, columns) of the largest table, counting only content that is laid out."""
        best = (0, 0)
        row = last_row = widest = 0
        row_repeat, column, row_last_column = 1, 0, 0
        for match in _ODS_TOKEN.finditer(self.buffer):
            token = match.group(0)
            if token.startswith(b"<table:table") and not token.startswith(b"<table:table-"):
                best = max(best, (last_row, widest), key=lambda e: e[0] * e[1])
                row = last_row = widest = 0
            elif token.startswith(b"<table:table-row"):
                row_repeat = _repeat(match.group(1))
                column, row_last_column = 0, 0
                if match.group(2):  # an empty row, written as one tag
                    row += row_repeat
            elif token == b"</table:table-row>":
                row += row_repeat
                if row_last_column:
                    last_row = row
                    widest = max(widest, row_last_column)
            else:
                attributes, empty = match.group(3), match.group(4)
                column += _repeat(attributes)
                if not empty or b"value-type" in attributes:
                    row_last_column = column
        return max(best, (last_row, widest), key=lambda e: e[0] * e[1])


def _repeat(attributes: bytes) -> int:
    found = _REPEAT.search(attributes)
    return int(found.group(1)) if found else 1
