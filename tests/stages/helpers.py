"""Build stage inputs in memory: sheets as a spreadsheet would hold them, typed tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from balint_reports.config import Config
from balint_reports.evaluate import Tables
from balint_reports.ingest import empty_table
from balint_reports.issues import IssueLog
from balint_reports.normalise import classify, normalise_sheet
from balint_reports.read import RawSheet
from balint_reports.resolve import PeopleIndex, register_people, resolve_people
from balint_reports.validate import set_outcomes


def raw_sheet(rows: Sequence[Sequence[object]], file: str = "register.xlsx") -> RawSheet:
    """A sheet's cells exactly as a reader gives them: row 0 is the spreadsheet's row 1."""
    width = max(len(row) for row in rows)
    cells = pd.DataFrame([list(row) + [None] * (width - len(row)) for row in rows], dtype=object)
    return RawSheet(file, "Sheet1", cells)


def table_of(
    rows: Sequence[Sequence[object]], log: IssueLog, file: str = "register.xlsx", first_rid: int = 0
) -> tuple[str, pd.DataFrame]:
    """The kind and the normalised table of a sheet with these rows (header first)."""
    sheet = raw_sheet(rows, file)
    found = classify(sheet, Config())
    assert found.match is not None, (found.tied, found.closest)
    return found.match.kind.name, normalise_sheet(sheet, found.match, Config(), first_rid, log)


@dataclass(frozen=True)
class Staged:
    """In-memory sheets after every stage before evaluation."""

    rows: dict[str, pd.DataFrame]  # every row of each activity kind, with its outcome
    counted: Tables  # what evaluation counts


def staged(
    sheets: dict[str, Sequence[Sequence[object]]], as_of: pd.Timestamp, log: IssueLog
) -> Staged:
    """In-memory sheets (file name → rows, header first) through normalise, resolve, validate."""
    tables: dict[str, list[pd.DataFrame]] = {}
    rid = 0
    for file, rows in sheets.items():
        kind, table = table_of(rows, log, file, first_rid=rid)
        rid += len(table)
        tables.setdefault(kind, []).append(table)
    by_kind = {kind: pd.concat(parts, ignore_index=True) for kind, parts in tables.items()}
    index = PeopleIndex()
    leaders = register_people(by_kind["leaders"], "leaders", log, index, "leader")
    resolve_people(by_kind["trainees"], "trainees", index, log)
    trainees = register_people(by_kind["trainees"], "trainees", log, index, "trainee")
    rows, accepted = {}, {}
    for kind in ("attendance", "supervision", "portfolio"):
        table = by_kind[kind] if kind in by_kind else empty_table(kind)
        resolve_people(table, kind, index, log)
        set_outcomes(table, kind, as_of, log)
        rows[kind] = table
        accepted[kind] = table.loc[table["_outcome"] == "accepted"].reset_index(drop=True)
    return Staged(rows, Tables(trainees, leaders, as_of=as_of, **accepted))


def counted_tables(
    sheets: dict[str, Sequence[Sequence[object]]], as_of: pd.Timestamp, log: IssueLog
) -> Tables:
    """The accepted rows of in-memory sheets, as evaluation takes them."""
    return staged(sheets, as_of, log).counted
