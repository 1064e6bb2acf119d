"""Ingest: discover the inbox's files, read each (or take it from the cache), classify and
normalise its sheets, and put each kind's rows into one table."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from .cache import ParsedFile, SheetCache, Uncacheable, decode, encode
from .config import Config
from .inbox import without_ignored
from .issues import IssueLog
from .model import IGNORED, UNREADABLE, Severity
from .normalise import (
    Classification,
    Grid,
    NearMiss,
    classify,
    file_date_orders,
    headings_of,
    normalise_sheet,
    report_grid,
    report_near_miss,
    unread_people,
)
from .parallel import Parsing
from .read import (
    OTHER_FORMATS,
    Loaded,
    RawSheet,
    SourceFile,
    discover,
    exports_beside,
    load,
    read_source,
)
from .schema import (
    KINDS,
    KINDS_BY_NAME,
    PROVENANCE_COLUMNS,
    UNREAD,
    UNREAD_COLUMNS,
    Kind,
    ValueType,
)
from .template import TEMPLATE_SHEETS


def empty_table(kind_name: str, kinds: tuple[Kind, ...] = KINDS) -> pd.DataFrame:
    """A table of a kind with no rows: every column there, typed, so later stages need no case."""
    kind = (
        KINDS_BY_NAME[kind_name]
        if kinds is KINDS
        else next(k for k in kinds if k.name == kind_name)
    )
    columns: dict[str, list] = {name: [] for name in PROVENANCE_COLUMNS}
    frame = pd.DataFrame(columns)
    for column in kind.columns:
        match column.type:
            case ValueType.DATE:
                frame[column.name] = pd.Series(dtype="datetime64[ns]")
            case ValueType.WHOLE:
                frame[column.name] = pd.Series(dtype="Int64")
            case ValueType.DECIMAL:
                frame[column.name] = pd.Series(dtype="Float64")
            case ValueType.YESNO:
                frame[column.name] = pd.Series(dtype="boolean")
            case _:
                frame[column.name] = pd.Series(dtype=object)
    return frame


def parse_file(
    source: SourceFile,
    config: Config,
    kinds: tuple[Kind, ...] = KINDS,
    loaded: Loaded | None = None,
) -> ParsedFile:
    """Read (from `loaded`, its bytes, when given), classify and normalise one spreadsheet on
    its own: what the cache keeps."""
    log = IssueLog()
    result = read_source(source, loaded)
    if result.problem:
        # a Refusal names its kind (file_too_large, xml_doctype, csv_unclosed_quote...)
        refused = result.problem
        log.add(
            Severity.ERROR,
            source.relative,
            "",
            code=refused.code,
            case=refused.case,
            **refused.fields,
        )
        entry = {"file": source.relative, "sheet": "", "kind": UNREADABLE}
        return ParsedFile(result.sha256, [{**entry, "sha256": result.sha256}], [], log.frame(), 0)
    if not result.sheets:  # a `.txt` that is a note, a workbook of chart sheets only
        entry = {"file": source.relative, "sheet": "", "kind": IGNORED}
        return ParsedFile(result.sha256, [{**entry, "sha256": result.sha256}], [], log.frame(), 0)
    sources: list[dict] = []
    tables: list[tuple[str, pd.DataFrame]] = []
    next_rid = 0
    classified = [(sheet, classify(sheet, config, kinds)) for sheet in result.sheets]
    file_orders = file_date_orders(
        [(sheet, found.match) for sheet, found in classified if found.match is not None],
        config.date_order,
    )
    for sheet, found in classified:
        entry = {"file": source.relative, "sheet": sheet.sheet, "sha256": result.sha256}
        if found.match is None:
            unread = _unread(sheet, found, log)
            if unread is None:
                sources.append({**entry, "kind": IGNORED})
                continue
            if isinstance(unread, NearMiss):
                lost = report_near_miss(sheet, unread, log)
            else:
                lost = report_grid(sheet, unread, log)
            # Its rows count as read and rejected, so that the loss shows in Sources, and
            # whom they name is kept for their letters.
            sources.append({**entry, "kind": unread.kind.name, "unread": lost})
            people = unread_people(sheet, unread.kind, unread.row_index, unread.person)
            if not people.empty:
                tables.append((UNREAD, people))
            continue
        if sheet.hidden:
            # Read like any other, but the team cannot see it: say so, or its rows' issues
            # (duplicates of the sheet it copies, say) point at a sheet nobody can find.
            log.add(
                Severity.WARNING, sheet.file, sheet.sheet, code="sheet_hidden", case=sheet.hidden
            )
        table = normalise_sheet(sheet, found.match, config, next_rid, log, file_orders)
        next_rid += len(table)
        tables.append((found.match.kind.name, table))
        headings = headings_of(sheet, found.match)
        sources.append({**entry, "kind": found.match.kind.name, "headings": headings})
    return ParsedFile(result.sha256, sources, tables, log.frame(), next_rid)


def _unread(sheet: RawSheet, found: Classification, log: IssueLog) -> NearMiss | Grid | None:
    """Of a sheet that fits no kind, the near miss or grid whose rows count as rejected; None
    for one simply not read, once what is to be said about it is logged."""
    if found.tied:
        log.add(
            Severity.ERROR,
            sheet.file,
            sheet.sheet,
            code="sheet_ambiguous",
            header_row=found.header_row,
            kinds=found.tied,
        )
    elif sheet.sheet in TEMPLATE_SHEETS:
        pass  # a template's own instructions and lists: expected, not news
    elif sheet.hidden:
        # Most often the choices of a workbook's dropdowns ("Name, Role", a near miss by its
        # headings), kept out of sight by the sender, not records: an error on it would fail
        # `check` every month. A note says it is there.
        log.add(Severity.INFO, sheet.file, sheet.sheet, code="sheet_hidden", case="not_used")
    elif found.near_miss is not None or found.grid is not None:
        return found.near_miss or found.grid
    elif PurePosixPath(sheet.file).suffix.lower() == ".txt":
        # A `.txt` is as often notes as a table: a README's table of the month's files would
        # be named as a sheet not read every month. Ignored like a note, it is in Sources.
        pass
    else:
        case, fields = found.not_used()
        log.add(Severity.INFO, sheet.file, sheet.sheet, code="sheet_not_used", case=case, **fields)
    return None


def read_inbox(
    inbox: Path,
    config: Config,
    log: IssueLog,
    cache: SheetCache | None = None,
    skip: tuple[Path, ...] = (),
    files: list[SourceFile] | None = None,
    kinds: tuple[Kind, ...] = KINDS,
) -> tuple[dict[str, pd.DataFrame], list[dict], pd.DataFrame]:
    """Every sheet of every file (the inbox's, or `files`), classified and normalised: one
    table per kind, sources, and whom the rows of the sheets that could not be read name
    (UNREAD_COLUMNS). `kinds`: KINDS with the loaded rulesets' own columns."""
    # A ruleset's own columns change what a file parses to: they are part of its cache key.
    salt = "" if kinds is KINDS else repr(kinds)
    if files is None:
        files = without_ignored(discover(inbox, skip), config.ignore)
    # An original beside its export is listed as ignored, with a note: not read, and no error.
    exported = exports_beside(files)
    for original, export in exported.items():
        case = OTHER_FORMATS[PurePosixPath(original).suffix.lower()]
        log.add(Severity.INFO, original, "", code="file_exported", case=case, export=export)
    files = [SourceFile(s.path, s.relative, False) if s.relative in exported else s for s in files]
    parsed_files: list[ParsedFile] = []
    # Each file's bytes are read once, here, in path order: hashed for the cache and, when the
    # cache lacks them, handed to a parser (a worker, when there are enough files to pay for
    # one) while the next files are read. Results are taken back in path order. Each entry:
    # how to get a file's parsed tables, and the path to keep them under in the cache.
    waiting: deque[tuple[Callable[[], ParsedFile | bytes], str | None]] = deque()

    def take_next() -> None:
        result, keep_as = waiting.popleft()
        got = result()
        # a worker's file comes back as the cache keeps it: the same bytes are kept as they are
        parsed = decode(got) if isinstance(got, bytes) else got
        if keep_as is not None and cache is not None:
            cache.keep(keep_as, parsed, salt, got if isinstance(got, bytes) else None)
        parsed_files.append(parsed)

    parse = partial(_parse_loaded, config, kinds)
    in_worker = partial(_parse_to_entry, config, kinds)
    try:
        with Parsing([s for s in files if s.spreadsheet], parse, in_worker) as parsing:
            for source in files:
                if not source.spreadsheet:
                    entry = {"file": source.relative, "sheet": "", "kind": IGNORED, "sha256": ""}
                    ignored = ParsedFile("", [entry], [], IssueLog().frame(), 0)
                    waiting.append((partial(_ready, ignored), None))
                    continue
                loaded = load(source)
                found = cache.lookup(source.relative, loaded.sha256, salt) if cache else None
                if found is not None:
                    waiting.append((partial(_ready, found), None))
                elif loaded.problem is not None:  # nothing to parse, so no worker
                    waiting.append((partial(parse, source, loaded), None))
                else:
                    waiting.append((parsing.start(source, loaded), source.relative))
                while len(waiting) > parsing.ahead:
                    take_next()
            while waiting:
                take_next()
    finally:
        if cache is not None:  # what was kept, even when the reading stopped part way
            cache.save_index()
    return _put_together(parsed_files, log, kinds)


def _parse_loaded(
    config: Config, kinds: tuple[Kind, ...], source: SourceFile, loaded: Loaded
) -> ParsedFile:
    """parse_file with the run's config and kinds bound first: what the workers are given."""
    return parse_file(source, config, kinds, loaded)


def _parse_to_entry(
    config: Config, kinds: tuple[Kind, ...], source: SourceFile, loaded: Loaded
) -> ParsedFile | bytes:
    """In a worker: the parsed file as a cache entry, which travels back to the run far faster
    than pickled tables (or the parsed file, when the cache cannot keep it)."""
    parsed = parse_file(source, config, kinds, loaded)
    try:
        return encode(parsed)
    except Uncacheable:
        return parsed


def _ready(parsed: ParsedFile) -> ParsedFile:
    return parsed


def _put_together(
    parsed_files: list[ParsedFile], log: IssueLog, kinds: tuple[Kind, ...]
) -> tuple[dict[str, pd.DataFrame], list[dict], pd.DataFrame]:
    """One table per kind from the files' own, row ids made run-wide, sources, and the rows
    of sheets that could not be read; issues into `log`."""
    parts: dict[str, list[pd.DataFrame]] = {k.name: [] for k in KINDS}
    unread: list[pd.DataFrame] = []
    # Each file numbers its rows from 0; its offset in the inbox is added per kind after the
    # concat, in one pass, rather than by copying every table first.
    offsets: dict[str, list[int]] = {k.name: [] for k in KINDS}
    sources: list[dict] = []
    next_rid = 0
    for parsed in parsed_files:
        for kind_name, table in parsed.tables:
            if kind_name == UNREAD:  # no row ids: no issue is about these rows
                unread.append(table)
                continue
            parts[kind_name].append(table)
            offsets[kind_name].append(next_rid)
        log.absorb(parsed.issues, next_rid)
        next_rid += parsed.rows
        sources.extend(parsed.sources)
    tables = {}
    for name, frames in parts.items():
        if not frames:
            tables[name] = empty_table(name, kinds)
            continue
        table = pd.concat(frames, ignore_index=True)
        shift = np.repeat(np.array(offsets[name], dtype="int64"), [len(f) for f in frames])
        table["_rid"] = table["_rid"] + shift
        tables[name] = table
    unread_rows = (
        pd.concat(unread, ignore_index=True)
        if unread
        else pd.DataFrame(columns=list(UNREAD_COLUMNS), dtype=object)
    )
    return tables, sources, unread_rows
