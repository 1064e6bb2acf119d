"""Validate: each data row's outcome (rejected, future, duplicate, accepted), register dates
after the report date, and how many rows of each source had each outcome.

See docs/contract.md#row-outcomes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .issues import IssueLog
from .model import Outcome
from .resolve import place
from .schema import KINDS_BY_NAME, OUTCOME_COLUMN, ValueType
from .values import fold_name, map_unique

OUTCOMES = tuple(Outcome)
SOURCE_COLUMNS = ["file", "sheet", "kind", "sha256", "rows_read", *OUTCOMES]


def set_outcomes(table: pd.DataFrame, kind_name: str, as_of: pd.Timestamp, log: IssueLog) -> None:
    """Set each activity row's `_outcome`: rejected, then future, then duplicate, else accepted."""
    kind = KINDS_BY_NAME[kind_name]
    rejected = table["_rid"].isin(log.error_rids())
    date_column = kind.date_column or ""
    future = ~rejected & (table[date_column] > as_of)
    outcome = np.full(len(table), Outcome.ACCEPTED, dtype=object)
    outcome[future.to_numpy(dtype=bool)] = Outcome.FUTURE
    outcome[rejected.to_numpy(dtype=bool)] = Outcome.REJECTED
    if future.any():
        rows = table.loc[future]
        log.add_rows(
            "warning",
            rows,
            date_column,
            rows[date_column].dt.strftime("%Y-%m-%d"),
            "dated after the report date: left out of this report until then",
            code="future_row",
        )
    if "event" in table:
        table["event_key"] = map_unique(table["event"], fold_name)
    # Positions, not copies: only the key columns of the accepted rows are taken.
    candidates = np.flatnonzero(outcome == Outcome.ACCEPTED)
    key_columns = list(kind.duplicate_key)
    # One factorisation of the key gives each row's group, so both which rows repeat an
    # earlier one and which row that is.
    group = (
        table[key_columns]
        .iloc[candidates]
        .groupby(key_columns, sort=False, dropna=False)
        .ngroup()
        .to_numpy()
    )
    _, first_of_group = np.unique(group, return_index=True)
    duplicated = np.ones(len(group), dtype=bool)
    duplicated[first_of_group] = False
    if duplicated.any():
        first_at = candidates[first_of_group[group[duplicated]]]
        firsts = table.iloc[np.unique(first_at)]
        where_by_rid = {row["_rid"]: place(row) for row in firsts.to_dict("records")}
        dups = table.iloc[candidates[duplicated]]
        problems = pd.Series(table["_rid"].to_numpy()[first_at]).map(
            lambda rid: f"same as {where_by_rid[rid]}: counted once"
        )
        log.add_rows(
            "warning",
            dups,
            date_column,
            dups[date_column].dt.strftime("%Y-%m-%d"),
            problems,
            code="duplicate_row",
        )
        outcome[candidates[duplicated]] = Outcome.DUPLICATE
    table[OUTCOME_COLUMN] = outcome


def unset_future_register_dates(trainees: pd.DataFrame, as_of: pd.Timestamp, log: IssueLog) -> None:
    """A register date after the report date counts as not yet set (docs/spreadsheets.md)."""
    for column in KINDS_BY_NAME["trainees"].columns:
        if column.type is not ValueType.DATE or trainees.empty:
            continue
        later = trainees[column.name] > as_of
        if later.any():
            rows = trainees.loc[later]
            log.add_rows(
                "warning",
                rows,
                column.name,
                rows[column.name].dt.strftime("%Y-%m-%d"),
                "after the report date: counted as not yet set",
                code="register_date_future",
            )
            trainees.loc[later, column.name] = pd.NaT


def source_counts(sources: list[dict], rows: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each source with how many of its rows had each outcome."""
    counts: dict[tuple[str, str], np.ndarray] = {}
    for table in rows.values():
        if table.empty:
            continue
        # Rows come file by file: each run of one file and sheet is added up with numpy, so
        # no hashing of a file name per row.
        files = table["_file"].to_numpy(dtype=object)
        sheets = table["_sheet"].to_numpy(dtype=object)
        starts_run = np.ones(len(table), dtype=bool)
        starts_run[1:] = (files[1:] != files[:-1]) | (sheets[1:] != sheets[:-1])
        starts = np.flatnonzero(starts_run)
        outcome = table[OUTCOME_COLUMN].to_numpy(dtype=object)
        per_run = np.stack(
            [np.add.reduceat((outcome == o).astype("int64"), starts) for o in OUTCOMES], axis=1
        )
        for file, sheet, run in zip(files[starts], sheets[starts], per_run, strict=True):
            key = (file, sheet)
            counts[key] = counts[key] + run if key in counts else run
    frame = pd.DataFrame(sources, columns=["file", "sheet", "kind", "sha256"])
    none = np.zeros(len(OUTCOMES), dtype="int64")
    keys = zip(frame["file"], frame["sheet"], strict=True)
    found = np.array([counts.get(key, none) for key in keys], dtype="int64").reshape(
        len(frame), len(OUTCOMES)
    )
    for i, outcome_name in enumerate(OUTCOMES):
        frame[outcome_name] = found[:, i]
    if sources and any("unread" in s for s in sources):
        # a sheet that nearly fits a kind: its rows are read and rejected, never normalised
        frame["rejected"] += np.array([s.get("unread", 0) for s in sources], dtype="int64")
    frame["rows_read"] = frame[list(OUTCOMES)].sum(axis=1)
    return frame[SOURCE_COLUMNS]
