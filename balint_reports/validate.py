"""Validate: each data row's outcome (rejected, absent, future, duplicate, accepted), register
dates after the report date, and how many rows of each source had each outcome.

See docs/contract.md#row-outcomes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from .addresses import non_ascii_letters, unsafe_header, valid_address
from .config import Config, sender
from .issues import IssueLog
from .model import Outcome, RegisterStatus
from .resolve import place
from .schema import KINDS_BY_NAME, OUTCOME_COLUMN, ValueType
from .values import fold_name, map_unique
from .wording import number_text

OUTCOMES = tuple(Outcome)
# How alike (rapidfuzz token set ratio, 0-100) two event names on one trainee's day must be to
# be told as maybe one session: "Tuesday Balint Group" and "Tues Balint grp" are 86.
SAME_EVENT_LIKENESS = 70
SOURCE_COLUMNS = ["file", "sheet", "kind", "sha256", "rows_read", *OUTCOMES]


def set_outcomes(table: pd.DataFrame, kind_name: str, as_of: pd.Timestamp, log: IssueLog) -> None:
    """Set each activity row's `_outcome`: rejected, then absent, then future, then duplicate,
    else accepted."""
    kind = KINDS_BY_NAME[kind_name]
    rejected = table["_rid"].isin(log.error_rids())
    absent = (
        ~rejected & (table["attended"] == "absent")
        if "attended" in table
        else pd.Series(False, index=table.index)
    )
    date_column = kind.date_column or ""
    future = ~rejected & ~absent & (table[date_column] > as_of)
    outcome = np.full(len(table), Outcome.ACCEPTED, dtype=object)
    outcome[future.to_numpy(dtype=bool)] = Outcome.FUTURE
    outcome[absent.to_numpy(dtype=bool)] = Outcome.ABSENT
    outcome[rejected.to_numpy(dtype=bool)] = Outcome.REJECTED
    if future.any():
        rows = table.loc[future]
        log.add_rows(
            "warning",
            rows,
            date_column,
            rows[date_column].dt.strftime("%Y-%m-%d"),
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
        firsts_of_dups = pd.Series(table["_rid"].to_numpy()[first_at]).map(where_by_rid)
        files = table["_file"].to_numpy(dtype=object)
        # a sender is told of their own file's rows, not of another sender's file
        elsewhere = files[first_at] != files[candidates[duplicated]]
        log.add_rows(
            "warning",
            dups,
            date_column,
            dups[date_column].dt.strftime("%Y-%m-%d"),
            code="duplicate_row",
            case=np.where(elsewhere, "other_file", "").astype(object),
            first=firsts_of_dups,
        )
        outcome[candidates[duplicated]] = Outcome.DUPLICATE
    table[OUTCOME_COLUMN] = outcome
    if kind_name == "attendance":
        _warn_same_day_elsewhere(table, date_column, log)


def _warn_same_day_elsewhere(table: pd.DataFrame, date_column: str, log: IssueLog) -> None:
    """A warning on each counted row whose trainee, date and activity another file also has
    under another event name (or none): the same session sent by two people, a leader's
    register and the trainee's own log, is counted twice, as only the team can tell."""
    counted = np.flatnonzero((table[OUTCOME_COLUMN] == Outcome.ACCEPTED).to_numpy(dtype=bool))
    if not len(counted):
        return
    key = ["trainee", date_column, "activity"]
    rows = table.iloc[counted]
    # The key as one integer per row: hashing a million (name, date, role) tuples took most
    # of this check's time, a million integers a fraction of it.
    day = rows[date_column].to_numpy(dtype="datetime64[D]").astype("int64")
    person = pd.factorize(rows["trainee"])[0].astype("int64")
    role = pd.factorize(rows["activity"])[0].astype("int64")
    days = int(day.max() - day.min()) + 1
    roles = int(role.max()) + 1
    one = (person * days + (day - day.min())) * roles + role
    repeated = pd.Series(one).duplicated(keep=False).to_numpy(dtype=bool)
    if not repeated.any():
        return
    shared = rows.iloc[np.flatnonzero(repeated)][
        ["trainee", date_column, "activity", "event_key", "_file", "_sheet", "_row", "_rid"]
    ]
    groups = shared.groupby(key, sort=False)
    elsewhere = (groups["_file"].transform("nunique") > 1) & (
        groups["event_key"].transform("nunique") > 1
    )
    shared = shared.loc[elsewhere]
    if shared.empty:
        return
    first = shared.groupby(key, sort=False).head(1)
    later = shared.drop(first.index)
    firsts = {tuple(row[k] for k in key): row for row in first.to_dict("records")}
    theirs = [firsts[k] for k in later[key].itertuples(index=False, name=None)]
    # Two groups of other names on one day are two sessions (St Luke's at noon, Riverside at
    # six); a name left blank, or one like the other ("Tues Balint grp"), may be one session.
    alike = np.array(
        [
            not mine
            or not other["event_key"]
            or fuzz.token_set_ratio(mine, other["event_key"]) >= SAME_EVENT_LIKENESS
            for mine, other in zip(later["event_key"], theirs, strict=True)
        ],
        dtype=bool,
    )
    if not alike.any():
        return
    log.add_rows(
        "warning",
        later.loc[alike],
        date_column,
        later.loc[alike, date_column].dt.strftime("%Y-%m-%d"),
        code="same_day_elsewhere",
        first=pd.Series([place(t) for t, a in zip(theirs, alike, strict=True) if a], dtype=object),
    )


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


def warn_leading_alone_with_co_leader(attendance: pd.DataFrame, log: IssueLog) -> None:
    """A warning on each row whose role says leading alone while it names a co-leader.

    Run before people are resolved, while the co-leader cell still holds what was written.
    The row counts as leading alone (what its role says), but the sender most likely meant
    co-leading, which counts towards a requirement where leading alone may not: so the team
    hears of it, and the trainee's letter does not quietly leave the session out.
    """
    if attendance.empty:
        return
    # The few rows that lead alone first: stripping every co-leader cell of a million rows
    # took 0.4 s of each run.
    leading = attendance.loc[(attendance["activity"] == "leader").fillna(False).astype(bool)]
    named = leading["co_leader"].fillna("").astype(str).str.strip() != ""
    if named.any():
        rows = leading.loc[named]
        log.add_rows(
            "warning",
            rows,
            "activity",
            rows["activity"],
            code="leading_alone_with_co_leader",
            co_leader=rows["co_leader"],
        )


# Longer than any supervision session: most likely minutes written where hours are asked for.
LONGEST_SUPERVISION_HOURS = 8


def warn_long_supervision(supervision: pd.DataFrame, log: IssueLog) -> None:
    """A warning on each supervision row of more than LONGEST_SUPERVISION_HOURS hours.

    `90` under "Duration" is an hour and a half written in minutes; read as hours it would
    tell the trainee of 90 hours and cost them £5,400 on the summary. The row counts as
    written (the team may know better), and the team is told how to write it.
    """
    if supervision.empty:
        return
    long = supervision.loc[(supervision["hours"] > LONGEST_SUPERVISION_HOURS).fillna(False)]
    if not long.empty:
        log.add_rows(
            "warning",
            long,
            "hours",
            long["hours"].map(number_text),
            code="supervision_hours_long",
            longest=LONGEST_SUPERVISION_HOURS,
            in_hours=(long["hours"] / 60).map(number_text),
        )


# --- addresses: who can be emailed, checked at run time so `send` meets no surprise ---


def _letter_trainees(trainees: pd.DataFrame) -> pd.DataFrame:
    gets_letter = trainees["status"].fillna("").map(lambda s: RegisterStatus.of(s).gets_letter)
    return trainees.loc[gets_letter.astype(bool)]


def _warn_non_ascii(rows: pd.DataFrame, emails: pd.Series, valid: pd.Series, log: IssueLog) -> None:
    """A warning per valid address with letters like á or ß: usually refused at send time.

    The warning names the letters this address holds, so the team knows what to look for.
    """
    non_ascii = valid & ~emails.map(str.isascii).astype(bool)
    if non_ascii.any():
        log.add_rows(
            "warning",
            rows.loc[non_ascii],
            "email",
            emails[non_ascii],
            code="non_ascii_address",
            letters=emails[non_ascii].map(non_ascii_letters),
        )


def check_addresses(
    trainees: pd.DataFrame, leaders: pd.DataFrame, config: Config, log: IssueLog
) -> None:
    """Log who cannot be emailed, and addresses shared by several trainees.

    `trainees` and `leaders` are the merged registers (their rows still carry `_file`,
    `_sheet`, `_row`, `_rid`). Only trainees who get a letter, and leaders who supervise one
    of them, are checked: nobody else is emailed.
    """
    emailing = sender(config) is not None
    letter = _letter_trainees(trainees)
    emails = letter["email"].fillna("").astype(str).str.strip()
    # astype(bool): on no rows, map() keeps the text dtype and & would fail
    valid = emails.map(valid_address).astype(bool)
    bad = ~valid
    unsafe_name = letter["name"].map(unsafe_header).astype(bool)
    if unsafe_name.any():
        rows = letter.loc[unsafe_name]
        log.add_rows(
            "warning",
            rows,
            "name",
            rows["name"].str.replace("\0", "\\0"),
            code="name_unaddressable",
        )
    bad &= ~unsafe_name
    # A blank address is only a problem when the letters are to be emailed; a wrong one always is.
    bad &= emailing | (emails != "")
    if bad.any():
        rows = letter.loc[bad]
        log.add_rows(
            "warning",
            rows,
            "email",
            emails[bad],
            code="trainee_address_invalid",
            case=np.where(emails[bad] != "", "invalid", "blank").astype(object),
        )
    # Even before a sender is set: the address is there to be used, and most servers refuse it.
    _warn_non_ascii(letter, emails, valid, log)
    folded = emails.str.casefold()
    shared = valid & folded.duplicated(keep=False)
    if shared.any():
        # Each row is listed on its own, not naming the others, so that a supervisor's digest
        # (which repeats the issues about their trainees) says nothing about anyone else.
        rows = letter.loc[shared]
        log.add_rows(
            "warning",
            rows,
            "email",
            emails[shared],
            code="address_shared",
        )
    supervising = leaders.loc[leaders.index.isin(set(letter["supervisor"].dropna()))]
    if "email" not in supervising:
        return
    leader_emails = supervising["email"].fillna("").astype(str).str.strip()
    leader_valid = leader_emails.map(valid_address).astype(bool)
    _warn_non_ascii(supervising, leader_emails, leader_valid, log)
    if not emailing:
        return
    no_digest = ~leader_valid
    if no_digest.any():
        rows = supervising.loc[no_digest]
        log.add_rows(
            "warning",
            rows,
            "email",
            leader_emails[no_digest],
            code="supervisor_address_invalid",
        )
