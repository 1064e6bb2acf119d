"""Discover the inbox's files and read every sheet's raw cells with python-calamine."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from .config import CONFIG_NAME
from .limits import PASSWORD, InputRefused, Refusal, check_content, read_input
from .pause import Pause, no_pause

# Text tables: `.tsv`, and `.txt` as Excel saves "Text (Tab delimited)" and "Unicode Text"
# (a `.txt` that is not a tab-separated table is listed as ignored, like a note would be).
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
# Attendance, supervision, portfolio and decisions need three columns or more, and a register
# of ids and names alone is not kept as text: a `.txt` of fewer tab-separated columns is taken
# for a note (a README's list of files, each with who sent it).
TAB_TABLE_COLUMNS = 3
# Spreadsheets in formats that are not read: each is an error saying how to save it as one
# that is, rather than an "ignored" line in Sources that nobody reads. `.xlsb` is binary:
# the limits that guard the reader (limits.py) are checked on the XML of an .xlsx.
OTHER_FORMATS = {
    ".xlsb": "xlsb",
    ".numbers": "numbers",
    ".gsheet": "gsheet",
    ".xltx": "template",
    ".xltm": "template",
    ".xlt": "template",
    ".ots": "template",
    ".fods": "fods",
}
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", *CSV_SUFFIXES, *OTHER_FORMATS)
# Of those, the originals kept beside the spreadsheet exported from them, as a Mac user keeps
# `okafor.numbers` beside the `okafor.xlsx` they exported and Google Drive keeps the `.gsheet`
# link beside its download: with an export of the same name, the original is no error.
ORIGINALS = (".numbers", ".gsheet")
EXPORTS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or an encrypted .xlsx
_ZIP_MAGIC = b"PK\x03\x04"  # .xlsx, .xlsm, .ods


@dataclass(frozen=True)
class SourceFile:
    """A file found in the inbox."""

    path: Path
    relative: str  # the path relative to the inbox, with `/`
    spreadsheet: bool


@dataclass(frozen=True)
class RawSheet:
    """A sheet's cells as read, row 0 being the spreadsheet's row 1 and column 0 column A."""

    file: str
    sheet: str  # empty for a CSV
    cells: pd.DataFrame
    # (row, column), 0-based, of formula cells whose result was never saved: they read as blank
    unsaved_formulas: frozenset[tuple[int, int]] = frozenset()
    # "hidden" or "very_hidden" (only a macro can show it) for a sheet its workbook hides
    hidden: str = ""


@dataclass(frozen=True)
class ReadResult:
    """A file's sheets, or why it could not be read."""

    source: SourceFile
    sha256: str
    sheets: tuple[RawSheet, ...] = ()
    problem: Refusal | None = None  # its `code`, `case` and `fields` word the Data issue


def discover(inbox: Path, skip: tuple[Path, ...] = ()) -> list[SourceFile]:
    """Every file under the inbox in path order, skipping dotfiles and Excel lock files.

    Folders in `skip` (the reports folder, when it sits inside the inbox) are left out, so a
    run never reads last month's reports back in as spreadsheets.
    """
    skipped = tuple(folder.resolve() for folder in skip)
    found = []
    for path in inbox.rglob("*"):
        if any(path.resolve().is_relative_to(folder) for folder in skipped):
            continue
        relative = path.relative_to(inbox)
        if any(part.startswith((".", "~$")) for part in relative.parts):
            continue
        if not path.is_file() or relative.as_posix() == CONFIG_NAME:
            continue
        spreadsheet = path.suffix.lower() in SPREADSHEET_SUFFIXES
        found.append(SourceFile(path, _printable(relative.as_posix()), spreadsheet))
    return sorted(found, key=lambda s: s.relative)


def exports_beside(files: list[SourceFile]) -> dict[str, str]:
    """The ORIGINALS among the files to read that have an export of theirs read beside them
    (the same name in the same folder, but for capitals): by the original's name, the
    export's. Decided over the whole listing, never in a file's cached parse (cache.py), which
    knows only its own bytes."""

    def stem(source: SourceFile) -> tuple[Path, str]:
        return source.path.parent, source.path.stem.casefold()

    exports = {
        stem(s): s.relative
        for s in reversed(files)  # the first by name, when there are two
        if s.spreadsheet and s.path.suffix.lower() in EXPORTS
    }
    return {
        s.relative: exports[stem(s)]
        for s in files
        if s.spreadsheet and s.path.suffix.lower() in ORIGINALS and stem(s) in exports
    }


def _printable(name: str) -> str:
    """A file name that can be written anywhere: bytes that were not UTF-8 (a name made on an
    old Windows machine, say) show as the replacement character instead of failing later."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@dataclass(frozen=True)
class Loaded:
    """A file's bytes, read once (within the size limit), with their sha256; or why not."""

    data: bytes = b""
    sha256: str = ""
    problem: Refusal | None = None


def load(source: SourceFile, pause: Pause = no_pause) -> Loaded:
    """Read a file's bytes once: the cache's key and the parsers' input are the same bytes.

    `pause` is called at named points of the read (limits.read_input): a test's hook.
    """
    try:
        data = read_input(source.path, pause=pause)
    except InputRefused as exc:
        return Loaded(problem=exc.refusal)
    except OSError as exc:
        return Loaded(problem=Refusal("file_cannot_open", reason=exc.strerror))
    return Loaded(data, hashlib.sha256(data).hexdigest())


def read_source(
    source: SourceFile, loaded: Loaded | None = None, pause: Pause = no_pause
) -> ReadResult:
    """Read every sheet of one file (from `loaded`, its bytes, when already read); a file that
    cannot be read carries the likely cause. `pause`: as for `load`."""
    suffix = source.path.suffix.lower()
    if suffix in OTHER_FORMATS:
        case = OTHER_FORMATS[suffix]
        refusal = Refusal("file_format", case, **({"suffix": suffix} if case == "template" else {}))
        return ReadResult(source, loaded.sha256 if loaded else "", problem=refusal)
    if loaded is None:
        loaded = load(source, pause)
    if loaded.problem is not None:
        return ReadResult(source, loaded.sha256, problem=loaded.problem)
    data, sha256 = loaded.data, loaded.sha256
    formula_parts: set[str] = set()
    problem = _sniff_problem(source, data) or check_content(
        suffix, data, formula_parts=formula_parts
    )
    if problem:
        return ReadResult(source, sha256, problem=problem)
    if suffix == ".txt" and not _tab_table(data):
        return ReadResult(source, sha256)  # a note, not a table: listed as ignored
    try:
        if suffix in CSV_SUFFIXES:
            sheets: tuple[RawSheet, ...] = (RawSheet(source.relative, "", _read_csv(data)),)
        else:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
            book, merged = _read_book(workbook)
            if not fast_paths():
                book = _read_book_with_pandas(data)
            for name, ranges in merged.items():
                _fill_merged(book[name], ranges)
            hidden = _hidden_sheets(workbook)
            formulas = (
                _unsaved_formulas(data, formula_parts) if suffix in (".xlsx", ".xlsm") else {}
            )
            sheets = tuple(
                RawSheet(
                    source.relative,
                    name,
                    _cover(cells, formulas.get(name, frozenset())),
                    formulas.get(name, frozenset()),
                    hidden.get(name, ""),
                )
                for name, cells in book.items()
            )
    except CsvProblem as exc:
        return ReadResult(source, sha256, problem=exc.refusal)
    except Exception:  # any reader failure is the file's fault, reported as such
        return ReadResult(
            source,
            sha256,
            problem=Refusal("file_unreadable", suffix=source.path.suffix),
        )
    return ReadResult(source, sha256, sheets=sheets)


def fast_paths() -> bool:
    """False when BALINT_PLAIN_PATHS is set: read and parse cell by cell, the way the fast
    paths are checked against (tests compare both; the outputs must be identical)."""
    return not os.environ.get("BALINT_PLAIN_PATHS")


def _hidden_sheets(workbook: CalamineWorkbook) -> dict[str, str]:
    """The sheets the workbook hides, by name: "hidden", or "very_hidden" (a macro's doing)."""
    hidden = {}
    for sheet in workbook.sheets_metadata:
        if sheet.visible == SheetVisibleEnum.Hidden:
            hidden[sheet.name] = "hidden"
        elif sheet.visible == SheetVisibleEnum.VeryHidden:
            hidden[sheet.name] = "very_hidden"
    return hidden


Merged = tuple[tuple[tuple[int, int], tuple[int, int]], ...]


def _read_book(workbook: CalamineWorkbook) -> tuple[dict[str, pd.DataFrame], dict[str, Merged]]:
    """Every worksheet's cells, straight from python-calamine's rows, and its merged ranges
    that span rows.

    pandas' own calamine reader converts each of the millions of cells in Python (integral
    floats to int, dates to datetimes); every later stage reads both forms the same way, so
    the rows go into the frame as calamine gives them.
    """
    book, merged = {}, {}
    for sheet in workbook.sheets_metadata:
        if sheet.typ != SheetTypeEnum.WorkSheet:
            continue  # chart sheets hold no cells
        cells = workbook.get_sheet_by_name(sheet.name)
        rows = cells.to_python(skip_empty_area=False)
        book[sheet.name] = pd.DataFrame(rows, dtype=object) if rows else pd.DataFrame()
        ranges = tuple(r for r in cells.merged_cell_ranges or () if r[1][0] > r[0][0])
        if ranges:
            merged[sheet.name] = ranges
    return book, merged


def _fill_merged(cells: pd.DataFrame, ranges: Merged) -> None:
    """A cell merged down over several rows (a weekend's date beside each of its delegates)
    holds its value in every row it covers, as the person who made it sees it: calamine gives
    it to the first row alone, and the others would be read as blank dates and events."""
    for (top, left), (bottom, right) in ranges:
        if top >= len(cells) or left >= len(cells.columns):
            continue
        value = cells.iat[top, left]
        bottom, right = min(bottom, len(cells) - 1), min(right, len(cells.columns) - 1)
        cells.iloc[top : bottom + 1, left : right + 1] = value


def _read_book_with_pandas(data: bytes) -> dict[str, pd.DataFrame]:
    """The plain path: pandas' reader, cell by cell."""
    return pd.read_excel(
        io.BytesIO(data),
        sheet_name=None,
        header=None,
        dtype=object,
        engine="calamine",
        # "NA", "N/A" or "NULL" typed in a cell is what the user wrote, not a blank
        keep_default_na=False,
    )


_NS = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
_CELL = re.compile(rb'<c r="([A-Z]+)([0-9]+)"[^>]*?(?:/>|>(.*?)</c>)', re.DOTALL)
_SAVED_VALUE = re.compile(rb"<v>[^<]+</v>|<is>")


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


def _cover(cells: pd.DataFrame, formulas: frozenset[tuple[int, int]]) -> pd.DataFrame:
    """The grid grown to hold every unsaved formula cell.

    The reader sees such a cell as empty, so it drops trailing rows and columns made only of
    them; without them back, a row whose cells are all unsaved formulas would vanish uncounted.
    """
    if not formulas:
        return cells
    rows = max(max(r for r, _ in formulas) + 1, len(cells))
    columns = max(max(c for _, c in formulas) + 1, len(cells.columns))
    if rows == len(cells) and columns == len(cells.columns):
        return cells
    return cells.reindex(index=range(rows), columns=range(columns))


def _unsaved_formulas(
    data: bytes, formula_parts: set[str]
) -> dict[str, frozenset[tuple[int, int]]]:
    """Per sheet, the formula cells with no saved result (files written by scripts, not Excel).

    The reader shows such a cell as blank; this finds them so the team is told why. Only the
    sheet parts in `formula_parts` (those check_content saw a formula in) are unpacked again.
    """
    found: dict[str, frozenset[tuple[int, int]]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            targets = {
                r.get("Id"): r.get("Target", "") for r in rels.findall("rel:Relationship", _NS)
            }
            for sheet in book.iterfind("main:sheets/main:sheet", _NS):
                target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "").lstrip("/")
                path = target if target.startswith("xl/") else f"xl/{target}"
                if path not in formula_parts:
                    continue
                xml = archive.read(path)
                cells = frozenset(
                    (int(m[2]) - 1, _column_index(m[1]))
                    for m in _CELL.finditer(xml)
                    if m[3] and b"<f" in m[3] and not _SAVED_VALUE.search(m[3])
                )
                if cells:
                    found[sheet.get("name", "")] = cells
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return {}  # the reader itself will say what is wrong with the file
    return found


def _sniff_problem(source: SourceFile, data: bytes) -> Refusal | None:
    """Explain the common unreadable cases in the team's words, before a reader fails on them."""
    suffix = source.path.suffix.lower()
    if not data:
        return Refusal("file_empty")
    if suffix in (".xlsx", ".xlsm") and data.startswith(_OLE2_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            return PASSWORD
        return Refusal("file_misnamed", "xls_as_xlsx")
    if suffix == ".xls" and data.startswith(_ZIP_MAGIC):
        return Refusal("file_misnamed", "xlsx_as_xls")
    if suffix == ".xls" and _xls_has_password(data):
        return PASSWORD
    if suffix != ".csv" and data.startswith(b"%PDF"):
        return Refusal("file_misnamed", "pdf", suffix=suffix)
    if suffix in (".xlsx", ".xlsm", ".ods", ".xls", ".csv", ".tsv") and (markup := _markup(data)):
        return Refusal("file_misnamed", markup, suffix=suffix)
    if suffix in (".xlsx", ".xlsm", ".ods", ".xls") and _looks_like_text(data):
        return Refusal("file_misnamed", "text", suffix=suffix)
    if suffix in (".xlsx", ".xlsm", ".ods") and not data.startswith(_ZIP_MAGIC):
        return Refusal("file_misnamed", "not_really", suffix=suffix)
    return None


def _xls_has_password(data: bytes) -> bool:
    """An old-format workbook saved with a password has a FILEPASS record right after its BOF."""
    bof = data.find(b"\x09\x08\x10\x00\x00\x06\x05\x00")  # BIFF8 workbook globals
    return bof != -1 and data[bof + 20 : bof + 22] == b"\x2f\x00"


# A web page (an "export to Excel" of many websites and databases is an HTML table), or Excel
# 2003's XML spreadsheet: a reader of either would be the wrong one, and a CSV reader too.
_HTML_START = re.compile(
    r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
    r"<(?:!doctype\s+html|html|head|body|table|meta|style|title)\b",
    re.DOTALL,
)
_XML_SPREADSHEET = re.compile(r"urn:schemas-microsoft-com:office:spreadsheet|progid=.excel\.sheet")


def _head_text(data: bytes) -> str:
    """The first kilobytes as text, UTF-16 or else UTF-8 (undecodable bytes left out)."""
    head = data[:4096]
    encoding = utf16_encoding(head)
    if encoding:
        text = head[: len(head) // 2 * 2].decode(encoding, errors="ignore")
        return text.removeprefix("\ufeff")
    return head.decode("utf-8-sig", errors="ignore")


def _markup(data: bytes) -> str:
    """ "html" for a web page, "xml" for an Excel 2003 XML spreadsheet, else ""."""
    if b"<" not in data[:64]:
        return ""
    text = _head_text(data).casefold()
    if _HTML_START.match(text):
        return "html"
    if text.lstrip().startswith("<?xml") and _XML_SPREADSHEET.search(text):
        return "xml"
    return ""


def _looks_like_text(data: bytes) -> bool:
    """Printable text in its first kilobytes (UTF-16, or else no NUL bytes): a CSV, whatever
    its name."""
    head = data[:4096]
    if b"\0" in head and not utf16_encoding(head):
        return False
    text = _head_text(data)
    printable = sum(c.isprintable() or c in "\r\n\t" for c in text)
    return bool(text) and printable >= 0.95 * len(text)


class CsvProblem(ValueError):
    """A CSV file that cannot be read as a table; the message names the line."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


def utf16_encoding(data: bytes) -> str | None:
    """ "utf-16" for text saved as UTF-16 (Excel's "Unicode Text"), with its byte order mark or
    without (then told by the NUL byte beside each ASCII character), else None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:4096]
    if len(head) >= 4 and head.count(b"\0") >= len(head) // 3:
        if head[1::2].count(0) > len(head) // 3:
            return "utf-16-le"
        if head[0::2].count(0) > len(head) // 3:
            return "utf-16-be"
    return None


def decode_csv(data: bytes) -> str:
    """Text of a CSV written as UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode Text")
    or Windows-1252.

    Raises CsvProblem naming the first line that is none of these.
    """
    utf16 = utf16_encoding(data)
    if utf16:
        try:
            return data.decode(utf16).removeprefix("\ufeff")
        except UnicodeDecodeError as exc:  # an odd number of bytes, a lone surrogate
            line = data[: exc.start].decode(utf16, errors="replace").count("\n") + 1
            raise CsvProblem(Refusal("csv_encoding", line=line, byte=data[exc.start])) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        # cp1252 leaves five bytes undefined: such a file is in some other encoding, and
        # reading it anyway would garble names so that nobody matches.
        line = data.count(b"\n", 0, exc.start) + 1
        raise CsvProblem(Refusal("csv_encoding", line=line, byte=data[exc.start])) from None


def _unclosed_quote(text: str, delimiter: str) -> Refusal | None:
    """The problem of a quote that opens a cell and never closes, with the line it opens on."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    ended = 0  # the line the last complete row ended on
    try:
        for _row in reader:
            ended = reader.line_num
    except csv.Error:
        return Refusal("csv_unclosed_quote", line=ended + 1)
    return None


def _head_lines(text: str) -> list[str]:
    return [line for line in text[:65536].splitlines()[:20] if line.strip()]


def _agreement(head: list[str], delimiter: str) -> tuple[int, int]:
    """How many of the lines split into the most common width, and that width (0, 0 when the
    delimiter splits none of them in two)."""
    widths = Counter(len(row) for row in csv.reader(head, delimiter=delimiter))
    width, lines = max(widths.items(), key=lambda item: (item[1], item[0]), default=(0, 0))
    return (lines, width) if width > 1 else (0, 0)


def _guess_delimiter(text: str) -> str:
    """The separator (`,`, `;` or a tab) that splits the first lines into the same number of
    columns most often.

    Counting the widest line instead is fooled by a note such as "with Henry, Ruth, Sam" in a
    `;` file; a table's rows agree on their width, free text does not.
    """
    head = _head_lines(text)
    # Ties go to the first: `,`, then `;`, then a tab (Excel's "Text (Tab delimited)").
    return max((",", ";", "\t"), key=lambda delimiter: _agreement(head, delimiter))


def _tab_table(data: bytes) -> bool:
    """Whether a `.txt` file is a table as Excel saves one: text most of whose first lines
    (two at least) agree on TAB_TABLE_COLUMNS or more tab-separated columns. A note with a
    few tabbed lines ("okafor.xlsx<tab>from Margaret") is not one."""
    try:
        text = decode_csv(data)
    except CsvProblem:
        return False
    head = _head_lines(text)
    lines, width = _agreement(head, "\t")
    return (
        _guess_delimiter(text) == "\t"
        and width >= TAB_TABLE_COLUMNS
        and lines >= 2
        and lines * 2 > len(head)
    )


def _read_csv(data: bytes) -> pd.DataFrame:
    text = decode_csv(data)
    if not text.strip():
        return pd.DataFrame()
    delimiter = _guess_delimiter(text)
    if '"' in text:
        problem = _unclosed_quote(text, delimiter)
        if problem:
            raise CsvProblem(problem)
    options = {
        "sep": delimiter,
        "header": None,
        "dtype": object,
        "keep_default_na": False,
        "skip_blank_lines": False,
        "engine": "c",
    }
    try:
        return pd.read_csv(io.StringIO(text), **options)
    except pd.errors.ParserError:
        # A row wider than the first: name every column the widest row needs, then read again.
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        width = max(len(row) for row in reader)
        return pd.read_csv(io.StringIO(text), names=range(width), **options)
