"""Find each sheet's header row and kind, and turn its cells into typed columns."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter
from rapidfuzz import fuzz, process

from .config import CONFIGURABLE_VOCABULARIES, Config
from .issues import IssueLog
from .read import RawSheet, fast_paths
from .schema import (
    KINDS,
    PARSED_TYPES,
    UNREAD_COLUMNS,
    VOCABULARIES,
    Column,
    Kind,
    ValueType,
)
from .values import (
    DAY_FIRST,
    MONTH_FIRST,
    cell_text,
    fold,
    fold_heading,
    is_blank,
    map_unique,
    parse_date,
    parse_decision,
    parse_hours,
    parse_number,
    parse_yesno,
    slash_date_reading,
    written_once,
)

HEADER_SEARCH_ROWS = 10
# A header row with a person column and this many dates is a grid register (`_grid`): one
# date could be the heading of a column for notes made on the day.
GRID_DATES = 2
GRID_DATES_SHOWN = 4
# A sheet that lacks one required column of a kind with this many is most likely that kind
# with a heading we do not know, not some other list (docs/contract.md#sheets-and-headers).
NEAR_MISS_REQUIRED = 3
# A heading's word of this many letters or more may be a word of a column's name shortened
# ("Prof." for professional); shorter ones begin too many words ("Reg No", "Acc No").
SHORTENED_WORD = 4
# How close (rapidfuzz WRatio, 0-100) an unknown heading must be to a column's name or
# aliases to be offered as that column: "Date of session" is 95 from "session date".
HEADING_SUGGESTION_CUTOFF = 60
# A row lacking two required columns is a near miss only when it also holds a required heading
# that is none of these, and holds every word of a name of each missing column (none of these
# either) in a heading of its own: a supervisor's "Name of supervisee" and "Date of session"
# beside "Supervisor". These are on contact, booking and membership lists too.
GENERIC_HEADINGS = frozenset(("name", "date", "type", "role", "member", "participant", "delegate"))
# No count or duration in these registers comes near this; beyond it a cell is a typing slip
# (and past 2**63 it would not even fit the column).
LARGEST_NUMBER = 1_000_000


@dataclass(frozen=True)
class HeaderMatch:
    """Where a sheet's header row is, which kind it fits, and which cell holds which column."""

    kind: Kind
    row_index: int  # 0-based: the spreadsheet's row is one more
    positions: dict[str, object]  # column name -> label of the cells' column
    unknown_headers: tuple[str, ...]


@dataclass(frozen=True)
class NearMiss:
    """A header row holding all but one required column of a kind, or all but two with a
    heading of its own for each (`_near_miss`): a sheet that would be lost."""

    kind: Kind
    row_index: int  # 0-based
    missing: tuple[Column, ...]  # one or two, in the kind's order
    seen: tuple[str, ...]  # every heading of the row, as written
    # per missing column, the unknown heading most like it; "" for none (one missing only)
    suggestions: tuple[str, ...]
    person: object | None = None  # the label of the column under the kind's trainee heading


@dataclass(frozen=True)
class Grid:
    """A header row of names down and session dates across, as many group leaders keep a
    register: one column a kind's person column, two or more headings dates. No column
    mapping reads it, so it is an error (docs/contract.md#sheets-and-headers)."""

    kind: Kind
    row_index: int  # 0-based
    dates: tuple[str, ...]  # the headings that are dates, as written
    person: object  # the label of the column under the kind's trainee heading


@dataclass(frozen=True)
class Classification:
    """The outcome of looking for a header: a match, a near miss, or why the sheet is not used."""

    match: HeaderMatch | None = None
    near_miss: NearMiss | None = None
    grid: Grid | None = None
    # a header row that fits several kinds equally well (an error): which, and its row (1-based)
    tied: tuple[str, ...] = ()
    header_row: int = 0
    # a sheet not used: the kind its best row came closest to, what it lacks, headings seen
    closest: tuple[str, tuple[str, ...], tuple[str, ...]] | None = None

    def not_used(self) -> tuple[str, dict[str, Any]]:
        """The sheet_not_used issue's case and fields, for a sheet that no kind fits."""
        if self.closest is None:
            return "no_header", {"search_rows": HEADER_SEARCH_ROWS}
        kind, missing, seen = self.closest
        return "closest", {"kind": kind, "missing": missing, "seen": seen}


def header_lookup(kind: Kind, config: Config) -> dict[str, str]:
    """Folded header text -> column name, for the built-in aliases and the config's."""
    lookup: dict[str, str] = {}
    for column in kind.columns:
        for text in (column.name, *column.aliases):
            lookup.setdefault(fold_heading(text), column.name)
    lookup.update(config.column_aliases.get(kind.name, {}))
    return lookup


def _match_row(
    cells: pd.Series, kind: Kind, lookup: dict[str, str]
) -> tuple[dict[str, object], list[str]]:
    positions: dict[str, object] = {}
    unknown: list[str] = []
    for label, cell in cells.items():
        text = fold_heading(cell)
        if not text:
            continue
        column = lookup.get(text)
        if column is None or column in positions:
            unknown.append(cell_text(cell))
        else:
            positions[column] = label
    return positions, unknown


def headings_of(sheet: RawSheet, match: HeaderMatch) -> dict[str, str]:
    """Each matched column's heading as the sheet shows it, with its column letter: how the
    team finds the cell an issue is about ("Date of session (B)"), whatever name we use."""
    found = {}
    for name, label in match.positions.items():
        letter = get_column_letter(sheet.cells.columns.get_loc(label) + 1)
        found[name] = f"{_heading_at(sheet, match, label) or name} ({letter})"
    return found


def _heading_at(sheet: RawSheet, match: HeaderMatch, label: object) -> str:
    """The heading of a column of the sheet, as written in its header row."""
    return cell_text(sheet.cells.iat[match.row_index, sheet.cells.columns.get_loc(label)]).strip()


def classify(sheet: RawSheet, config: Config, kinds: tuple[Kind, ...] = KINDS) -> Classification:
    """The first of the first 10 rows that some kind fits, and the kind that fits it best.

    `kinds`: KINDS, with the columns the loaded rulesets declare added."""
    lookups = {kind.name: header_lookup(kind, config) for kind in kinds}
    best_partial: tuple[int, Kind, list[str], list[str]] | None = None
    # the nearest miss: fewest columns missing, then most matched
    near_miss: tuple[tuple[int, int], NearMiss] | None = None
    for index in range(min(HEADER_SEARCH_ROWS, len(sheet.cells))):
        row = sheet.cells.iloc[index]
        fits: list[tuple[int, HeaderMatch]] = []
        for kind in kinds:
            positions, unknown = _match_row(row, kind, lookups[kind.name])
            missing = [c.name for c in kind.required if c.name not in positions]
            if not missing:
                match = HeaderMatch(kind, index, positions, tuple(unknown))
                fits.append((len(positions), match))
            else:
                seen = [cell_text(c) for c in row if cell_text(c)]
                if best_partial is None or len(positions) > best_partial[0]:
                    best_partial = (len(positions), kind, missing, seen)
                nearness = (-len(missing), len(positions))
                if near_miss is None or nearness > near_miss[0]:
                    found = _near_miss(row, index, kind, positions, unknown, seen)
                    if found is not None:
                        near_miss = (nearness, found)
        if not fits:
            continue
        fits.sort(key=lambda f: -f[0])
        if len(fits) > 1 and fits[0][0] == fits[1][0]:
            tied = tuple(f[1].kind.name for f in fits if f[0] == fits[0][0])
            return Classification(tied=tied, header_row=index + 1)
        return Classification(match=fits[0][1])
    grid = _grid(sheet, kinds, lookups)
    # A grid's heading row may hold a role column too ("Name, Attended as, 5 Dec, 6 Dec"):
    # then it also looks like a register without its date column, whose advice (map a heading
    # to date) could not work. Laid out as a grid, it is a grid.
    if grid is not None and (near_miss is None or grid.row_index <= near_miss[1].row_index):
        return Classification(grid=grid)
    if near_miss is not None:
        return Classification(near_miss=near_miss[1])
    if best_partial is None or best_partial[0] == 0:
        return Classification()
    _, kind, missing, seen = best_partial
    return Classification(closest=(kind.name, tuple(missing), tuple(seen[:12])))


def _grid(sheet: RawSheet, kinds: tuple[Kind, ...], lookups: dict[str, dict]) -> Grid | None:
    """The first of the first 10 rows laid out as a grid of a dated kind with a person
    column: that column's heading and at least GRID_DATES headings that are dates, above a row
    with something in it (a grid with no names yet loses nothing: a blank register)."""
    dated = [kind for kind in kinds if kind.date_column is not None]
    for index in range(min(HEADER_SEARCH_ROWS, len(sheet.cells))):
        row = sheet.cells.iloc[index]
        dates = tuple(cell_text(cell) for cell in row if _is_date_heading(cell))
        if len(dates) < GRID_DATES:
            continue
        if not _filled_below(sheet, index)[1].any():
            return None
        for kind in dated:
            person = _trainee_column(kind)
            for label, cell in row.items():
                if person and lookups[kind.name].get(fold_heading(cell)) == person:
                    return Grid(kind, index, dates, label)
    return None


def _trainee_column(kind: Kind) -> str | None:
    return next((c.name for c in kind.columns if c.type is ValueType.TRAINEE), None)


def _is_date_heading(cell: object) -> bool:
    """A heading that is a date: a date cell, or text that reads as one (not a number, which
    a grid's columns of session numbers would be)."""
    if isinstance(cell, dt.date):
        return True
    return isinstance(cell, str) and parse_date(cell)[0] is not None


def _near_miss(
    row: pd.Series,
    index: int,
    kind: Kind,
    positions: dict[str, object],
    unknown: list[str],
    seen: list[str],
) -> NearMiss | None:
    """The row as a near miss of the kind (docs/contract.md#sheets-and-headers), if it is one:
    a kind with three required columns or more, one of them missing, or two with a specific
    heading among those there and a heading of its own for each missing one."""
    missing = tuple(c for c in kind.required if c.name not in positions)
    if len(kind.required) < NEAR_MISS_REQUIRED or not 1 <= len(missing) <= 2:
        return None
    if len(missing) == 2 and not _specific_heading(row, positions, kind):
        return None
    suggestions = _suggestions(missing, unknown)
    if suggestions is None:
        return None
    trainee = _trainee_column(kind)
    person = positions.get(trainee) if trainee else None
    return NearMiss(kind, index, missing, tuple(seen), suggestions, person)


def _specific_heading(row: pd.Series, positions: dict[str, object], kind: Kind) -> bool:
    """Whether some required column of the kind is under a heading that is not GENERIC."""
    return any(
        fold_heading(row[positions[c.name]]) not in GENERIC_HEADINGS
        for c in kind.required
        if c.name in positions
    )


def _words(text: object) -> set[str]:
    return set(re.findall(r"\w+", fold_heading(text)))


def _holds_name_of(heading: str, column: Column) -> bool:
    """Whether the heading has every word of one of the column's names, a generic one aside."""
    words = _words(heading)
    return any(
        _words(name) <= words
        for name in (column.name, *column.aliases)
        if fold_heading(name) not in GENERIC_HEADINGS
    )


def _may_name(heading: str, column: Column) -> bool:
    """Whether each word of one of the column's names is in the heading, or shortened there to
    SHORTENED_WORD letters or more ("Prof. training start date" for professional training
    start), a generic name aside."""
    words = _words(heading)

    def found(word: str) -> bool:
        return word in words or any(len(w) >= SHORTENED_WORD and word.startswith(w) for w in words)

    return any(
        all(found(word) for word in _words(name))
        for name in (column.name, *column.aliases)
        if fold_heading(name) not in GENERIC_HEADINGS
    )


def register_lookalikes(sheet: RawSheet, match: HeaderMatch, config: Config) -> dict[str, Column]:
    """In a register, the unknown headings that may name one of its columns the sheet lacks:
    by heading, that column. A register's optional columns decide who gets a letter and which
    route counts (status, psychodynamic training): one unread for a heading of the team's own
    is a warning, not a note among the others.

    The heading's words are not enough: registers carry columns of their own that share them
    ('Registered GP practice', 'Supervisor email', 'Status notes'), and a warning on those
    every month teaches the team to skip warnings. So most of the cells under it must also
    read as that column's values (`_reads_as`)."""
    if match.kind.id_column is None:
        return {}
    found: dict[str, Column] = {}
    known = set(match.positions.values())
    body = sheet.cells.iloc[match.row_index + 1 :]
    for label, cell in sheet.cells.iloc[match.row_index].items():
        heading = cell_text(cell)
        if label in known or not fold_heading(heading) or heading in found:
            continue
        for column in match.kind.columns:
            taken = column.name in match.positions or column in found.values()
            if (
                not taken
                and _may_name(heading, column)
                and _mostly_reads_as(body[label], column, config)
            ):
                found[heading] = column
                break
    return found


_ORDERS = (DAY_FIRST, MONTH_FIRST)
# The small words of surnames, which are not capitalised ("Ana de la Cruz").
_PARTICLES = frozenset(("de", "da", "di", "du", "la", "le", "van", "von", "der", "den", "bin"))
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _mostly_reads_as(cells: pd.Series, column: Column, config: Config) -> bool:
    """Whether more than half the filled cells read as the column's values (none filled:
    nothing would be lost, so no)."""
    reads = _reads_as(column, config)
    if reads is None:
        return False
    codes, results = written_once(cells, lambda cell: None if is_blank(cell) else bool(reads(cell)))
    values = results[codes]
    filled = values[pd.notna(values)]
    return len(filled) > 0 and int(filled.sum()) * 2 > len(filled)


def _reads_as(column: Column, config: Config) -> Callable[[object], bool] | None:
    """A test of one cell for looking like the column's value; None for a column whose values
    have no shape to tell (an id, a name: required columns, never lacking in a register)."""
    if column.type is ValueType.DATE:
        # either way round: a US-style register is read month first (`_date_order`)
        return lambda cell: any(parse_date(cell, order)[1] is None for order in _ORDERS)
    if column.type in PARSED_TYPES:
        parser = _parser_for(column, config)
        return lambda cell: parser(cell)[1] is None
    if column.type in (ValueType.LEADER, ValueType.TRAINEE, ValueType.PERSON):
        return lambda cell: _looks_like_name(cell_text(cell))
    if column.name == "email":
        return lambda cell: _ADDRESS.fullmatch(cell_text(cell)) is not None
    return None


def _looks_like_name(text: str) -> bool:
    """Whether a cell reads as a person's name: up to six words, each capitalised but for
    the particles of surnames ("Dr Henry Whitfield"); not an address, a number or a note
    ("back from leave in May")."""
    words = text.split()
    return 0 < len(words) <= 6 and all(
        (word[0].isupper() or word in _PARTICLES)
        and not any(ch.isdigit() or ch == "@" for ch in word)
        for word in words
    )


def _in_words(default: object) -> str:
    """A column's default as the team writes it in a register: "no" for False."""
    if isinstance(default, bool):
        return "yes" if default else "no"
    return str(default)


def _suggestions(missing: tuple[Column, ...], unknown: list[str]) -> tuple[str, ...] | None:
    """The heading to offer for each missing required column; None when the row is not a near
    miss. One missing column makes a near miss whatever the headings (the heading most like it,
    if any, is offered); two make one only when the unknown headings holding their names can be
    read one way only: a heading of its own for each."""
    if len(missing) == 1:
        return (_closest_heading(missing[0], unknown),)
    candidates = [[h for h in unknown if _holds_name_of(h, column)] for column in missing]
    readings = [pair for pair in itertools.product(*candidates) if len(set(pair)) == len(pair)]
    return readings[0] if len(readings) == 1 else None


def _closest_heading(column: Column, unknown: list[str]) -> str:
    """The unknown heading most like the column's name or aliases; a lone one is taken as is."""
    if len(unknown) == 1:
        return unknown[0]
    names = [fold_heading(column.name), *(fold_heading(a) for a in column.aliases)]
    best: tuple[float, str] | None = None
    for heading in unknown:
        found = process.extractOne(fold_heading(heading), names, scorer=fuzz.WRatio)
        if found is not None and (best is None or found[1] > best[0]):
            best = (found[1], heading)
    return best[1] if best is not None and best[0] >= HEADING_SUGGESTION_CUTOFF else ""


def _filled_below(sheet: RawSheet, row_index: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows below a heading row, and which of them have something in them."""
    body = sheet.cells.iloc[row_index + 1 :]
    return body, _filled_rows(sheet, body).to_numpy()


def report_near_miss(sheet: RawSheet, near: NearMiss, log: IssueLog) -> int:
    """Log the near-miss sheet as an error saying how to fix it, one for each column it lacks;
    how many rows it loses."""
    rows = int(_filled_below(sheet, near.row_index)[1].sum())
    kind = near.kind.name
    for missing, suggestion in zip(near.missing, near.suggestions, strict=True):
        column = missing.name
        log.add(
            "error",
            sheet.file,
            sheet.sheet,
            code="near_miss_sheet",
            case="suggestion" if suggestion else "no_suggestion",
            row=near.row_index + 1,
            column=column,
            value=suggestion,
            kind=kind,
            rows=rows,
            seen=near.seen,
            aliases=missing.aliases,
            toml_line=f"{json.dumps(suggestion, ensure_ascii=False)} = {json.dumps(column)}",
            column_toml=json.dumps(column),
            also=tuple(other.name for other in near.missing if other is not missing),
        )
    return rows


def report_grid(sheet: RawSheet, grid: Grid, log: IssueLog) -> int:
    """Log the grid sheet as an error saying how to lay it out; how many rows it loses."""
    rows = int(_filled_below(sheet, grid.row_index)[1].sum())
    log.add(
        "error",
        sheet.file,
        sheet.sheet,
        code="grid_sheet",
        row=grid.row_index + 1,
        value=grid.dates[0],
        kind=grid.kind.name,
        rows=rows,
        # a year's register has fifty dates: the first few say what the sheet is
        dates=grid.dates[:GRID_DATES_SHOWN]
        + (
            (f"{len(grid.dates) - GRID_DATES_SHOWN} more",)
            if len(grid.dates) > GRID_DATES_SHOWN
            else ()
        ),
        required=tuple(c.name for c in grid.kind.required),
    )
    return rows


def unread_people(
    sheet: RawSheet, kind: Kind, row_index: int, person: object | None
) -> pd.DataFrame:
    """Who each filled row below the heading row of a sheet that could not be read names, as
    written: so that their letters can say that rows naming them wait on a fix (records.py).
    Columns `_file`, `_sheet`, `_row`, `kind` and `trainee`; none when the sheet has no
    trainee column to read."""
    body, filled = _filled_below(sheet, row_index)
    if person is None or body.empty:
        return pd.DataFrame(columns=list(UNREAD_COLUMNS), dtype=object)
    names = np.array([cell_text(cell) for cell in body[person]], dtype=object)
    named = filled & (names != "")
    return pd.DataFrame(
        {
            "_file": sheet.file,
            "_sheet": sheet.sheet,
            "_row": np.asarray(body.index[named], dtype=np.int64) + 1,
            "kind": kind.name,
            "trainee": names[named],
        },
        columns=list(UNREAD_COLUMNS),
    )


def decide_date_order(cells: Iterable[object], setting: str) -> tuple[str, str]:
    """How one column's text dates are read, and a date that shows it when it is month first.

    `setting` is the config's [dates] order; under "auto" a column is month first when some
    date in it is real only month first (11/17/2026) and none is real only day first.
    """
    if setting in (DAY_FIRST, MONTH_FIRST):
        return setting, ""
    example = ""
    for cell in cells:
        reading = slash_date_reading(cell)
        if reading == DAY_FIRST:
            return DAY_FIRST, ""
        if reading == MONTH_FIRST and not example:
            example = cell_text(cell)
    return (MONTH_FIRST, example) if example else (DAY_FIRST, "")


# A date column's order decided for a whole workbook: (order, a date showing it, the sheet it
# is on), by kind and column.
FileDateOrders = dict[tuple[str, str], tuple[str, str, str]]


def file_date_orders(matched: list[tuple[RawSheet, HeaderMatch]], setting: str) -> FileDateOrders:
    """The date columns' order where a workbook shows it as a whole. Some sheet has a date real
    only day first: every sheet is day first, and a slip such as 11/17/2026 on another is an
    error, not a reason to read that sheet's 03/11 as 11 March. Else some sheet has one real
    only month first: every sheet is month first, so a US-style workbook's September sheet
    (09/01/2026, 09/08/2026: real both ways) is read as its October sheet shows, not as 9
    January. Under a set [dates] order each sheet is read as it says."""
    if setting in (DAY_FIRST, MONTH_FIRST) or len(matched) < 2:
        return {}
    day_only: set[tuple[str, str]] = set()
    month_example: dict[tuple[str, str], tuple[str, str]] = {}
    for sheet, match in matched:
        body = sheet.cells.iloc[match.row_index + 1 :]
        for column in match.kind.columns:
            label = match.positions.get(column.name)
            if column.type is not ValueType.DATE or label is None:
                continue
            key = (match.kind.name, column.name)
            for cell in body[label].dropna().unique():
                reading = slash_date_reading(cell)
                if reading == DAY_FIRST:
                    day_only.add(key)
                    break
                if reading == MONTH_FIRST and key not in month_example:
                    month_example[key] = (cell_text(cell), sheet.sheet)
    orders = {key: (DAY_FIRST, "", "") for key in day_only}
    for key, (example, where) in month_example.items():
        orders.setdefault(key, (MONTH_FIRST, example, where))
    return orders


def _filled_rows(sheet: RawSheet, body: pd.DataFrame, mark: object = None) -> pd.Series:
    """True for each body row with something in it; an unsaved formula counts, as it is reported.

    A row holding only an attendance mark (`mark`: its column) is blank: a sheet of checkboxes
    runs FALSE down every row."""
    blank_cells = _blank_mask(body)
    for row, col in sheet.unsaved_formulas:
        if row in blank_cells.index and col in blank_cells.columns:
            blank_cells.loc[row, col] = False
    if mark is not None and mark in blank_cells.columns and len(blank_cells.columns) > 1:
        blank_cells = blank_cells.drop(columns=mark)
    return ~blank_cells.all(axis=1)


def _blank_mask(frame: pd.DataFrame) -> pd.DataFrame:
    """True where a cell is empty or white space only, testing each distinct value once."""
    blank = {}
    for label in frame.columns:
        codes, uniques = pd.factorize(frame[label], use_na_sentinel=True)
        blank_unique = np.array([*(is_blank(u) for u in uniques), True], dtype=bool)
        blank[label] = blank_unique[codes]
    return pd.DataFrame(blank, index=frame.index)


def _parse_unique(
    raw: pd.Series, parser: Callable[[object], tuple[object, str | None]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values, problems and blankness, parsing each distinct cell once: columns repeat a lot."""
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    cells = [*uniques, None]  # code -1 (a missing cell) picks the last entry
    values = np.empty(len(cells), dtype=object)
    problems = np.empty(len(cells), dtype=object)
    blank = np.empty(len(cells), dtype=bool)
    for i, cell in enumerate(cells):
        values[i], problems[i] = parser(cell)
        blank[i] = is_blank(cell)
    return values[codes], problems[codes], blank[codes]


Parser = Callable[[object], tuple[object, str | None]]
Parsed = tuple[object, str | None, bool]  # value, problem, blank

# What a parser made of a cell, kept for the whole process: the same names, dates and event
# titles come back in file after file, so each distinct cell is parsed once per run, not once
# per file. Only parsers that depend on nothing but the cell (and the column) are kept here.
_MEMO: dict[tuple, dict[tuple[type, object], Parsed]] = {}
_MEMO_LIMIT = 2_000_000  # cells kept in all; past it the memo starts again (memory, not speed)


def _cell_blank(cell: object) -> bool:
    return not cell.strip() if type(cell) is str else is_blank(cell)


def _parsed_uniques(uniques: np.ndarray, parser: Parser, memo: dict) -> list[Parsed]:
    """Each distinct cell's value, problem and blankness, from the memo when seen before."""
    if sum(len(m) for m in _MEMO.values()) > _MEMO_LIMIT:
        for kept in _MEMO.values():
            kept.clear()
    results = []
    for cell in uniques:
        # The type is part of the key: 1, 1.0 and True are equal, but not the same cell.
        key = (type(cell), cell)
        found = memo.get(key)
        if found is None:
            value, problem = parser(cell)
            found = memo[key] = (value, problem, _cell_blank(cell))
        results.append(found)
    return results


def _memo_for(column: Column, date_order: str = DAY_FIRST) -> dict:
    """The run-wide memo of a column's parser; vocabularies (which the config extends) get a
    fresh one per sheet, as they hold few distinct values anyway."""
    key: tuple
    match column.type:
        case ValueType.VOCAB:
            return {}
        case ValueType.WHOLE | ValueType.DECIMAL:
            key = (column,)  # its bounds are part of the parser
        case ValueType.DATE:
            key = (column.type, date_order)  # 05/03 is a different day month first
        case _:
            key = (column.type,)
    return _MEMO.setdefault(key, {})


def _factorized(frame: pd.DataFrame) -> dict[object, tuple[np.ndarray, np.ndarray]]:
    """Each column's codes and distinct cells (code -1: a missing cell), found once."""
    return {
        label: pd.factorize(frame[label].to_numpy(dtype=object), use_na_sentinel=True)
        for label in frame.columns
    }


def _blank_rows_fast(
    columns: dict[object, tuple[np.ndarray, np.ndarray]], rows: int
) -> dict[object, np.ndarray]:
    """Per column, which rows are blank, testing each distinct cell once."""
    blank = {}
    for label, (codes, uniques) in columns.items():
        blank_unique = np.fromiter(
            (_cell_blank(u) for u in uniques), dtype=bool, count=len(uniques)
        )
        blank[label] = np.append(blank_unique, True)[codes] if rows else np.zeros(0, bool)
    return blank


def _vocab_parser(column: Column, config: Config) -> Callable[[object], tuple[object, str | None]]:
    vocabulary = VOCABULARIES[column.vocabulary or ""]
    spellings: dict[str, str] = {}
    for canonical, aliases in vocabulary.values.items():
        for text in (canonical, *aliases):
            spellings[fold(text)] = canonical
    spellings.update(config.value_aliases.get(vocabulary.name, {}))
    # as the team may write them (`face to face`), not as progress.json keeps them
    known = ", ".join(value.replace("_", " ") for value in vocabulary.values)

    def parse(cell: object) -> tuple[object, str | None]:
        text = fold(cell)
        if not text:
            return None, None
        if text in spellings:
            return spellings[text], None
        advice = (
            f"known: {known}; a new spelling can be added under [values.{vocabulary.name}] "
            "in balint.toml"
            if vocabulary.name in CONFIGURABLE_VOCABULARIES
            else f"known: {known}"
        )
        noun = vocabulary.noun or column.name
        if vocabulary.keep_unknown:
            return cell_text(
                cell
            ), f"'{cell_text(cell)}' is not a known {noun}, kept as written ({advice})"
        return None, f"'{cell_text(cell)}' is not a known {noun} ({advice})"

    return parse


def _number_parser(column: Column) -> Callable[[object], tuple[object, str | None]]:
    whole = column.type is ValueType.WHOLE
    number: Callable[[object], tuple[float | int | None, str | None]] = (
        parse_hours if column.unit == "hours" else functools.partial(parse_number, whole=whole)
    )

    def parse(cell: object) -> tuple[object, str | None]:
        value, problem = number(cell)
        if value is None or problem:
            return value, problem
        if column.minimum is not None and value < column.minimum:
            return (
                None,
                f"'{cell_text(cell)}' is too small: "
                f"{column.name} must be at least {column.minimum:g}",
            )
        if column.greater_than is not None and value <= column.greater_than:
            return (
                None,
                f"'{cell_text(cell)}' is too small: "
                f"{column.name} must be more than {column.greater_than:g}",
            )
        if column.maximum is not None and value > column.maximum:
            return (
                None,
                f"'{cell_text(cell)}' is more than one row can hold: {column.name} is at most "
                f"{column.maximum:g} in a row; correct it",
            )
        if abs(value) > LARGEST_NUMBER:
            return None, f"'{cell_text(cell)}' is too large for {column.name}: correct it"
        return value, None

    return parse


def _text_parser(cell: object) -> tuple[object, str | None]:
    return cell_text(cell), None


def _parser_for(
    column: Column, config: Config, date_order: str = DAY_FIRST
) -> Callable[[object], tuple[object, str | None]]:
    match column.type:
        case ValueType.DATE:
            return functools.partial(parse_date, order=date_order)
        case ValueType.YESNO:
            return parse_yesno
        case ValueType.WHOLE | ValueType.DECIMAL:
            return _number_parser(column)
        case ValueType.VOCAB:
            return _vocab_parser(column, config)
        case ValueType.DECISION:
            return parse_decision
        case _:
            return _text_parser


def _report_headings(sheet: RawSheet, match: HeaderMatch, config: Config, log: IssueLog) -> None:
    """The sheet's headings that are no known column: a register's that may be one it lacks
    is a warning each, the others one note."""
    kind = match.kind
    lookalikes = register_lookalikes(sheet, match, config)
    for heading, column in lookalikes.items():
        log.add(
            "warning",
            sheet.file,
            sheet.sheet,
            code="register_column_unread",
            case="default" if column.default is not None else "blank",
            row=match.row_index + 1,
            value=heading,
            column=column.name,
            words=column.name.replace("_", " "),
            default=_in_words(column.default),
            kind=kind.name,
            toml_line=f"{json.dumps(heading, ensure_ascii=False)} = {json.dumps(column.name)}",
        )
    unused = tuple(h for h in match.unknown_headers if h not in lookalikes)
    if unused:
        log.add(
            "info",
            sheet.file,
            sheet.sheet,
            code="columns_not_used",
            row=match.row_index + 1,
            headings=unused,
            kind=kind.name,
        )


def normalise_sheet(
    sheet: RawSheet,
    match: HeaderMatch,
    config: Config,
    first_rid: int,
    log: IssueLog,
    file_orders: FileDateOrders | None = None,
) -> pd.DataFrame:
    """The sheet's non-blank data rows as typed columns, each row tagged with where it came from.

    Unparseable cells become error issues (the row will be rejected); the columns the kind
    declares but the sheet lacks are filled with their defaults.
    """
    kind = match.kind
    body = sheet.cells.iloc[match.row_index + 1 :]
    fast = fast_paths()
    mark = match.positions.get("attended")
    if fast:
        factorized = _factorized(body)
        kept, columns = _kept_rows(sheet, body, factorized, mark)
        body = body.iloc[kept]
    else:
        body = body.loc[_filled_rows(sheet, body, mark)]
    table = pd.DataFrame(
        {
            "_file": sheet.file,
            "_sheet": sheet.sheet,
            "_row": np.asarray(body.index, dtype=np.int64) + 1,
            "_rid": np.arange(first_rid, first_rid + len(body), dtype=np.int64),
        }
    )
    _report_headings(sheet, match, config, log)
    parsed: dict[str, tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]] = {}
    with_formula = np.zeros(len(body), dtype=bool)
    for column in kind.columns:
        label = match.positions.get(column.name)
        raw = (
            body[label].reset_index(drop=True)
            if label is not None
            else pd.Series([None] * len(body), dtype=object)
        )
        date_order = DAY_FIRST
        if column.type is ValueType.DATE and label is not None:
            decided = (file_orders or {}).get((kind.name, column.name))
            date_order = _date_order(sheet, match, column, raw, config, log, decided)
        parser = _parser_for(column, config, date_order)
        if fast:
            values, problems, blank = _parse_codes(
                columns.get(label), len(body), parser, _memo_for(column, date_order)
            )
        else:
            values, problems, blank = _parse_unique(raw, parser)
        if label is not None and sheet.unsaved_formulas:
            formulas = _report_unsaved_formulas(sheet, label, column.name, body.index, table, log)
            blank = blank & ~formulas
            with_formula |= formulas
        parsed[column.name] = (raw, values, problems, blank)
    absent = _attendance_marks(sheet, match, table, parsed, log)
    lone = _report_lone_cells(sheet, match, body, table, parsed, with_formula & ~absent, log)
    lone &= ~absent
    for column in kind.columns:
        raw, values, problems, blank = parsed[column.name]
        # a lone cell's row is one issue (above), not one per column; its cell counts for no one
        if lone.any():
            values, problems = values.copy(), problems.copy()
            values[lone], problems[lone] = None, None
            blank = blank & ~lone
        if column.name != "attended":
            # a row marked absent is no attendance: what else it lacks or holds is no error
            blank = blank & ~absent
            if absent.any():
                problems = problems.copy()
                problems[absent] = None
        has_problem = pd.notna(problems)
        if column.type is ValueType.VOCAB and VOCABULARIES[column.vocabulary or ""].keep_unknown:
            severity = "warning"
        else:
            severity = "error"
        if has_problem.any():
            log.add_rows(
                severity,
                table.loc[has_problem],
                column.name,
                raw[has_problem].map(cell_text),
                code=f"invalid_{column.type.value}",
                detail=problems[has_problem],
            )
        values = _fill_blanks(column, kind, table, values, blank, log)
        table[column.name] = _typed(values, column)
    return table


def _attendance_marks(
    sheet: RawSheet,
    match: HeaderMatch,
    table: pd.DataFrame,
    parsed: dict[str, tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]],
    log: IssueLog,
) -> np.ndarray:
    """Which rows an attendance mark says were not there (docs/spreadsheets.md).

    A sheet marking only who came (ticks) leaves the others blank: they were not there, said in
    one note. One marking both leaves a blank unknown: counted as present, each with a warning.
    One marking only who did not come leaves the others blank, and they came."""
    if "attended" not in match.positions:
        return np.zeros(len(table), dtype=bool)
    raw, values, problems, blank = parsed["attended"]
    present, absent = values == "present", values == "absent"
    unmarked = blank & pd.isna(problems)
    if not present.any() or not unmarked.any():
        return np.asarray(absent, dtype=bool)
    if not absent.any():
        values = np.where(unmarked, "absent", values)
        parsed["attended"] = (raw, values, problems, blank & ~unmarked)
        log.add(
            "info",
            sheet.file,
            sheet.sheet,
            code="attendance_ticks",
            row=match.row_index + 1,
            column="attended",
            heading=_heading_at(sheet, match, match.positions["attended"]),
            rows=int(unmarked.sum()),
        )
        return np.asarray(values == "absent", dtype=bool)
    log.add_rows(
        "warning",
        table.loc[unmarked],
        "attended",
        pd.Series([""] * int(unmarked.sum()), dtype=object),
        code="attendance_unmarked",
    )
    return np.asarray(absent, dtype=bool)


# The label of a row of totals under a register: `Total`, `Totals:`, `Total sessions`, `Sum`.
_TOTAL_LABEL = re.compile(r"(?:grand )?totals?\b.*|sums?\b.*")


def _is_total_label(cell: object) -> bool:
    return isinstance(cell, str) and bool(_TOTAL_LABEL.fullmatch(fold(cell)))


def _totals_rows(body: pd.DataFrame, candidates: np.ndarray) -> dict[int, tuple[object, object]]:
    """The candidate rows that hold a totals label and numbers only, by position, each with
    its label's column and cell: a row of totals under a register, which is one issue (not a
    name nobody has and an empty column or two)."""
    found: dict[int, tuple[object, object]] = {}
    positions = np.flatnonzero(candidates)
    if not len(positions):
        return found
    part = body.iloc[positions]
    labelled = np.zeros(len(positions), dtype=bool)
    for label in part.columns:
        labelled |= map_unique(part[label], _is_total_label).to_numpy(dtype=bool)
    for position in positions[labelled]:
        cells = [(label, cell) for label, cell in body.iloc[position].items() if not is_blank(cell)]
        labels = [(label, cell) for label, cell in cells if _is_total_label(cell)]
        numbers = sum(parse_number(cell, whole=False)[1] is None for _, cell in cells)
        if len(labels) == 1 and 1 + numbers == len(cells):
            found[int(position)] = labels[0]
    return found


def _report_lone_cells(
    sheet: RawSheet,
    match: HeaderMatch,
    body: pd.DataFrame,
    table: pd.DataFrame,
    parsed: dict[str, tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]],
    with_formula: np.ndarray,
    log: IssueLog,
) -> np.ndarray:
    """Rows holding one cell and lacking a required column: a total, a comment, or a record
    half written; and rows of totals (a label and numbers). Each is one error saying so
    (rather than one per empty column and a name nobody has); returns which rows they are."""
    required = [c.name for c in match.kind.columns if c.required and c.name in match.positions]
    lone = np.zeros(len(body), dtype=bool)
    if not required or not len(body):
        return lone
    filled = sum((~parsed[c.name][3]).astype(int) for c in match.kind.columns)
    missing_any = np.logical_or.reduce([parsed[name][3] for name in required])
    labelled = _totals_rows(body, missing_any & ~with_formula & (filled > 1))
    totals = np.zeros(len(body), dtype=bool)
    totals[list(labelled)] = True
    headings = headings_of(sheet, match)
    by_label = {label: name for name, label in match.positions.items()}
    if labelled:
        where = [
            by_label.get(label, _heading_at(sheet, match, label)) for label, _ in labelled.values()
        ]
        labels = pd.Series([cell_text(cell) for _, cell in labelled.values()], dtype=object)
        for column in dict.fromkeys(where):
            mine = np.array([c == column for c in where], dtype=bool)
            log.add_rows(
                "error",
                table.loc[totals].loc[mine],
                column,
                labels[mine].reset_index(drop=True),
                code="totals_row",
            )
    # the known columns hold at most one cell: look at the whole row, few rows, to be sure
    candidates = np.flatnonzero((filled <= 1) & missing_any & ~with_formula)
    texts, columns, missing = [], [], []
    for position in candidates:
        cells = [(label, cell) for label, cell in body.iloc[position].items() if not is_blank(cell)]
        if len(cells) != 1:
            continue
        label, cell = cells[0]
        lone[position] = True
        texts.append(cell_text(cell))
        columns.append(by_label.get(label, _heading_at(sheet, match, label)))
        missing.append([headings[name] for name in required if parsed[name][3][position]])
    rows = table.loc[lone]
    for column in dict.fromkeys(columns):
        mine = np.array([c == column for c in columns], dtype=bool)
        lacking = np.empty(int(mine.sum()), dtype=object)
        lacking[:] = [m for m, keep in zip(missing, mine, strict=True) if keep]
        log.add_rows(
            "error",
            rows.loc[mine],
            column,
            pd.Series(texts, dtype=object)[mine].reset_index(drop=True),
            code="lone_cell",
            missing=lacking,
        )
    return lone | totals


def _fill_blanks(
    column: Column,
    kind: Kind,
    table: pd.DataFrame,
    values: np.ndarray,
    blank: np.ndarray,
    log: IssueLog,
) -> np.ndarray:
    """The column's values with its blank cells reported (a required column) or given their
    default: one from another column's value, or the column's own."""
    if column.required:
        if blank.any():
            log.add_rows(
                "error",
                table.loc[blank],
                column.name,
                pd.Series([""] * int(blank.sum())),
                code="required_missing",
            )
    elif column.default_from is not None:
        other, by_value = column.default_from
        defaults = table[other].map(dict(by_value)).fillna(column.default).to_numpy()
        return np.where(blank, defaults, values)
    elif column.default is not None and kind.id_column is None:
        # A register keeps its blanks until its rows are merged: a blank fills from the
        # other row of the same id, and only then means the default (resolve.merge_register).
        return np.where(blank, cast(Any, column.default), values)
    return values


def _kept_rows(
    sheet: RawSheet,
    body: pd.DataFrame,
    factorized: dict[object, tuple[np.ndarray, np.ndarray]],
    mark: object = None,
) -> tuple[np.ndarray, dict[object, tuple[np.ndarray, np.ndarray]]]:
    """Positions of the body's non-blank rows, and each column's codes for those rows only (a
    row holding only an attendance mark, `mark`'s column, is blank: see _filled_rows)."""
    blank = _blank_rows_fast(factorized, len(body))
    first = body.index[0] if len(body) else 0
    for row, col in sheet.unsaved_formulas:
        # a formula whose result was never saved is not a blank cell: it is reported
        if first <= row < first + len(body) and col in blank:
            blank[col][row - first] = False
    if mark in blank and len(blank) > 1:
        blank = {label: cells for label, cells in blank.items() if label != mark}
    if blank:
        all_blank = np.logical_and.reduce(list(blank.values()))
    else:
        all_blank = np.ones(len(body), dtype=bool)
    kept = np.flatnonzero(~all_blank)
    return kept, {label: (codes[kept], uniques) for label, (codes, uniques) in factorized.items()}


def _parse_codes(
    column: tuple[np.ndarray, np.ndarray] | None, rows: int, parser: Parser, memo: dict
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What `_parse_unique` gives, from a column already factorized (None: the sheet lacks it)."""
    codes, uniques = column if column is not None else (np.full(rows, -1), np.array([], object))
    parsed = _parsed_uniques(uniques, parser, memo)
    empty_value, empty_problem = parser(None)  # code -1, a missing cell
    parsed.append((empty_value, empty_problem, True))
    values = np.empty(len(parsed), dtype=object)
    problems = np.empty(len(parsed), dtype=object)
    for i, (value, problem, _) in enumerate(parsed):
        values[i], problems[i] = value, problem
    blank = np.fromiter((b for _, _, b in parsed), dtype=bool, count=len(parsed))
    return values[codes], problems[codes], blank[codes]


def _date_order(
    sheet: RawSheet,
    match: HeaderMatch,
    column: Column,
    raw: pd.Series,
    config: Config,
    log: IssueLog,
    decided: tuple[str, str, str] | None = None,
) -> str:
    """The column's date order (`decided` for the whole workbook, if it was); a column read
    month first is said once (see docs/contract.md#values)."""
    order, example = decide_date_order(raw.dropna().unique(), config.date_order)
    where = sheet.sheet
    if decided is not None and (decided[0] == DAY_FIRST or not example):
        order, example, where = decided
    day = parse_date(example, order=MONTH_FIRST)[0] if example else None
    if day is not None:
        log.add(
            "warning",
            sheet.file,
            sheet.sheet,
            code="month_first_column",
            case="" if where == sheet.sheet else "other_sheet",
            row=match.row_index + 1,
            column=column.name,
            value=example,
            day=day,
            where=where,
        )
    return order


def _report_unsaved_formulas(
    sheet: RawSheet,
    label: object,
    column_name: str,
    rows: pd.Index,
    table: pd.DataFrame,
    log: IssueLog,
) -> np.ndarray:
    """An error for each cell of this column that holds a formula whose result was never saved.

    Returns which rows had one, so the same cell is not also reported as missing.
    """
    position = sheet.cells.columns.get_loc(label)
    hit = np.array([(row, position) in sheet.unsaved_formulas for row in rows], dtype=bool)
    if hit.any():
        cells = [f"{get_column_letter(position + 1)}{row + 1}" for row in rows[hit]]
        log.add_rows(
            "error",
            table.loc[hit],
            column_name,
            pd.Series(["(formula)"] * len(cells)),
            code="formula_unsaved",
            cell=np.array(cells, dtype=object),
        )
    return hit


def _typed(values: np.ndarray, column: Column) -> pd.Series:
    match column.type:
        case ValueType.DATE:
            return pd.Series(pd.to_datetime(values, errors="coerce"))
        case ValueType.WHOLE:
            return pd.Series(pd.array(values, dtype="Int64"))
        case ValueType.DECIMAL:
            return pd.Series(pd.array(values, dtype="Float64"))
        case ValueType.YESNO:
            return pd.Series(pd.array(values, dtype="boolean"))
        case _:
            return pd.Series(values, dtype=object).fillna("")
