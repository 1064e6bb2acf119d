"""The monthly run as one function: inbox in, a Report out. Only `read` touches the disk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from .addresses import check_addresses
from .cache import ParsedFile, SheetCache
from .config import Config
from .evaluate import Tables, TraineeResult, evaluate, event_ids
from .forecast import Forecasts, forecast
from .inbox import without_ignored
from .issues import IssueLog
from .normalise import classify, normalise_sheet, report_near_miss
from .parallel import ParseAhead
from .read import SourceFile, discover, read_source
from .records import Records, collect
from .resolve import PeopleIndex, merge_register, place, resolve_people, warn_register_copies
from .ruleset import Ruleset, ruleset_for
from .schema import KINDS, KINDS_BY_NAME, ValueType
from .values import fold, fold_name, loose_key, map_unique

ACTIVITY_KINDS = ("attendance", "supervision", "portfolio", "decisions")
OUTCOMES = ("accepted", "rejected", "duplicate", "future")
SOURCE_COLUMNS = ["file", "sheet", "kind", "sha256", "rows_read", *OUTCOMES]


@dataclass
class Report:
    """What one run found: per-trainee results, every data issue, every source."""

    as_of: dt.date
    trainees: list[TraineeResult]
    issues: pd.DataFrame
    sources: pd.DataFrame
    rulesets: tuple[Ruleset, ...]
    config: Config
    # per kind, every data row with its `_outcome`; kept for checks and counts, not for output
    rows: dict[str, pd.DataFrame] = field(default_factory=dict)
    # the accepted decisions, one row each, in the words of the Decisions sheet
    decisions: list[dict] = field(default_factory=list)
    # (trainee_id, requirement id) -> the month an unmet requirement would be met at recent pace
    forecasts: Forecasts = field(default_factory=dict)
    # "trainees" and "leaders": the merged registers, one row per person, indexed by id
    registers: dict[str, pd.DataFrame] = field(default_factory=dict)
    # the rows behind each trainee's numbers, for the letters' list of records
    records: Records = field(default_factory=Records)

    def count(self, severity: str) -> int:
        """How many issues of a severity."""
        return int((self.issues["severity"] == severity).sum())


def _empty_table(kind_name: str) -> pd.DataFrame:
    kind = KINDS_BY_NAME[kind_name]
    columns: dict[str, list] = {"_file": [], "_sheet": [], "_row": [], "_rid": []}
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


def parse_file(source: SourceFile, config: Config) -> ParsedFile:
    """Read, classify and normalise one spreadsheet on its own: what the cache keeps."""
    log = IssueLog()
    result = read_source(source)
    if result.problem:
        log.add("error", source.relative, "", result.problem)
        entry = {"file": source.relative, "sheet": "", "kind": "unreadable"}
        return ParsedFile(result.sha256, [{**entry, "sha256": result.sha256}], [], log.frame(), 0)
    sources: list[dict] = []
    tables: list[tuple[str, pd.DataFrame]] = []
    next_rid = 0
    for sheet in result.sheets:
        entry = {"file": source.relative, "sheet": sheet.sheet, "sha256": result.sha256}
        found = classify(sheet, config)
        if found.near_miss is not None:
            # Its rows count as read and rejected, so that the loss shows in Sources.
            lost = report_near_miss(sheet, found.near_miss, log)
            sources.append({**entry, "kind": found.near_miss.kind.name, "unread": lost})
            continue
        if found.match is None:
            if found.error:
                log.add("error", sheet.file, sheet.sheet, found.error)
            else:
                log.add("info", sheet.file, sheet.sheet, f"sheet not used: {found.ignored_reason}")
            sources.append({**entry, "kind": "ignored"})
            continue
        table = normalise_sheet(sheet, found.match, config, next_rid, log)
        next_rid += len(table)
        tables.append((found.match.kind.name, table))
        sources.append({**entry, "kind": found.match.kind.name})
    return ParsedFile(result.sha256, sources, tables, log.frame(), next_rid)


def read_inbox(
    inbox: Path,
    config: Config,
    log: IssueLog,
    cache: SheetCache | None = None,
    skip: tuple[Path, ...] = (),
    files: list[SourceFile] | None = None,
) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    """Every sheet of every file (the inbox's, or `files`), classified and normalised: one
    table per kind, plus sources."""
    parts: dict[str, list[pd.DataFrame]] = {k.name: [] for k in KINDS}
    # Each file numbers its rows from 0; its offset in the inbox is added per kind after the
    # concat, in one pass, rather than by copying every table first.
    offsets: dict[str, list[int]] = {k.name: [] for k in KINDS}
    sources: list[dict] = []
    next_rid = 0
    if files is None:
        files = without_ignored(discover(inbox, skip), config.ignore)
    # Files are still taken in path order; workers only parse the next ones ahead of time.
    with ParseAhead([s for s in files if s.spreadsheet], config, parse_file) as ahead:
        for source in files:
            if not source.spreadsheet:
                sources.append(
                    {"file": source.relative, "sheet": "", "kind": "ignored", "sha256": ""}
                )
                continue
            if cache is None:
                parsed = ahead.parse(source)
            else:
                parsed = cache.parsed(source.path, source.relative, partial(ahead.parse, source))
            for kind_name, table in parsed.tables:
                parts[kind_name].append(table)
                offsets[kind_name].append(next_rid)
            log.absorb(parsed.issues, next_rid)
            next_rid += parsed.rows
            sources.extend(parsed.sources)
    tables = {}
    for name, frames in parts.items():
        if not frames:
            tables[name] = _empty_table(name)
            continue
        table = pd.concat(frames, ignore_index=True)
        shift = np.repeat(np.array(offsets[name], dtype="int64"), [len(f) for f in frames])
        table["_rid"] = table["_rid"] + shift
        tables[name] = table
    return tables, sources


def _register(
    table: pd.DataFrame, kind_name: str, log: IssueLog, index: PeopleIndex, pool: str
) -> pd.DataFrame:
    """Merge a register's rows (outcomes recorded in `_outcome`) and make its people findable."""
    rejected = table["_rid"].isin(log.error_rids())
    id_column = KINDS_BY_NAME[kind_name].id_column or ""
    merged, merge_outcomes = merge_register(table.loc[~rejected], kind_name, log)
    table["_outcome"] = np.where(rejected, "rejected", "accepted")
    if merge_outcomes:
        merged_rids = table["_rid"].map(merge_outcomes)
        table["_outcome"] = merged_rids.fillna(table["_outcome"])
    for row in table.loc[rejected].to_dict("records"):
        index.add_rejected(pool, row[id_column], row["name"], place(row))
    for person_id, name in zip(merged[id_column], merged["name"], strict=True):
        index.add(pool, person_id, name)
    return merged


def _resolve_competencies(
    portfolio: pd.DataFrame,
    trainees: pd.DataFrame,
    rulesets: tuple[Ruleset, ...],
    log: IssueLog,
) -> None:
    """Replace competency cells by the id in the trainee's own ruleset; others are errors."""
    if portfolio.empty:
        return
    registered = portfolio["trainee"].map(trainees["registered"]) if len(trainees) else None
    lookups = {r.id: r.competency_lookup() for r in rulesets}
    resolved = []
    problems: list[str | None] = []
    for trainee_date, text in zip(
        registered if registered is not None else [pd.NaT] * len(portfolio),
        portfolio["competency"],
        strict=True,
    ):
        ruleset = ruleset_for(rulesets, None if pd.isna(trainee_date) else trainee_date.date())
        competency = lookups[ruleset.id].get(loose_key(text))
        resolved.append(competency or "")
        if competency or not text:
            problems.append(None)
        elif not ruleset.competencies:
            problems.append(
                f"{ruleset.id}, the trainee's ruleset, has no portfolio of competencies: "
                "this sign-off cannot count"
            )
        else:
            problems.append(
                f"'{text}' is not a competency of {ruleset.id}: use its number (1–"
                f"{len(ruleset.competencies)}), id or title"
            )
    problem_series = pd.Series(problems, index=portfolio.index)
    bad = problem_series.notna()
    if bad.any():
        rows = portfolio.loc[bad]
        log.add_rows("error", rows, "competency", rows["competency"], problem_series[bad])
    portfolio["competency"] = resolved


def _resolve_decisions(
    decisions: pd.DataFrame,
    trainees: pd.DataFrame,
    rulesets: tuple[Ruleset, ...],
    log: IssueLog,
) -> None:
    """Replace requirement cells by the id in the trainee's own ruleset; others are errors.

    An `approve` must name the external event it approves.
    """
    if decisions.empty:
        return
    registered_on = trainees["registered"].to_dict() if len(trainees) else {}
    registered = [registered_on.get(t, pd.NaT) for t in decisions["trainee"]]
    lookups = {
        r.id: {fold(text): q.id for q in r.requirements for text in (q.id, q.title)}
        for r in rulesets
    }
    resolved = []
    problems: dict[str, list[str | None]] = {"requirement": [], "event": []}
    for trainee, day, text, decision, event in zip(
        decisions["trainee"],
        registered,
        decisions["requirement"],
        decisions["decision"],
        decisions["event"],
        strict=True,
    ):
        ruleset = ruleset_for(rulesets, None if pd.isna(day) else day.date())
        requirement = lookups[ruleset.id].get(fold(text), "")
        resolved.append(requirement)
        problems["requirement"].append(
            f"'{text}' is not a requirement of {ruleset.id}, the trainee's ruleset: use one of "
            + ", ".join(q.id for q in ruleset.requirements)
            if trainee and text and not requirement
            else None
        )
        problems["event"].append(
            "an approve decision needs the external event it approves in the event column"
            if decision == "approve" and not event
            else None
        )
    for column, found in problems.items():
        problem = pd.Series(found, index=decisions.index, dtype=object)
        bad = problem.notna()
        if bad.any():
            rows = decisions.loc[bad]
            log.add_rows("error", rows, column, rows[column], problem[bad])
    decisions["requirement"] = resolved


def _decision_rows(
    decisions: pd.DataFrame, trainees: pd.DataFrame, leaders: pd.DataFrame
) -> list[dict]:
    """The accepted decisions as the Decisions sheet shows them: who, what, why, by whom, when."""
    names, leader_names = trainees["name"].to_dict(), leaders["name"].to_dict()
    return [
        {
            "trainee_id": row["trainee"],
            "name": names.get(row["trainee"], ""),
            "requirement": row["requirement"],
            "decision": f"{row['decision']} {row['event']}".strip(),
            "reason": row["reason"],
            "decided_by": leader_names.get(row["decided_by"], row["_decided_by_text"]),
            "date": row["date"].date(),
        }
        for row in decisions.to_dict("records")
    ]


def _outcomes(table: pd.DataFrame, kind_name: str, as_of: pd.Timestamp, log: IssueLog) -> None:
    """Set each activity row's `_outcome`: rejected, then future, then duplicate, else accepted."""
    kind = KINDS_BY_NAME[kind_name]
    rejected = table["_rid"].isin(log.error_rids())
    date_column = kind.date_column or ""
    future = ~rejected & (table[date_column] > as_of)
    outcome = np.full(len(table), "accepted", dtype=object)
    outcome[future.to_numpy(dtype=bool)] = "future"
    outcome[rejected.to_numpy(dtype=bool)] = "rejected"
    if future.any():
        rows = table.loc[future]
        log.add_rows(
            "warning",
            rows,
            date_column,
            rows[date_column].dt.strftime("%Y-%m-%d"),
            "dated after the report date: left out of this report until then",
        )
    if "event" in table:
        table["event_key"] = map_unique(table["event"], fold_name)
    # Positions, not copies: only the key columns of the accepted rows are taken.
    candidates = np.flatnonzero(outcome == "accepted")
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
            "warning", dups, date_column, dups[date_column].dt.strftime("%Y-%m-%d"), problems
        )
        outcome[candidates[duplicated]] = "duplicate"
    table["_outcome"] = outcome


def _unset_future_register_dates(
    trainees: pd.DataFrame, as_of: pd.Timestamp, log: IssueLog
) -> None:
    """A register date after the report date counts as not yet set (SPEC 2.3)."""
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
            )
            trainees.loc[later, column.name] = pd.NaT


def _source_counts(sources: list[dict], rows: dict[str, pd.DataFrame]) -> pd.DataFrame:
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
        outcome = table["_outcome"].to_numpy(dtype=object)
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
        frame["rejected"] += np.array([s.get("unread", 0) for s in sources], dtype="int64")
    frame["rows_read"] = frame[list(OUTCOMES)].sum(axis=1)
    return frame[SOURCE_COLUMNS]


def build_report(
    inbox: Path,
    as_of: dt.date,
    config: Config,
    rulesets: tuple[Ruleset, ...],
    cache: SheetCache | None = None,
    skip: tuple[Path, ...] = (),
    files: list[SourceFile] | None = None,
) -> Report:
    """Read the inbox (unchanged files from `cache`, none under `skip`; only `files` when
    given) and evaluate everyone."""
    log = IssueLog()
    tables, sources = read_inbox(inbox, config, log, cache, skip, files)
    report_day = pd.Timestamp(as_of)
    index = PeopleIndex()
    if not any(source["kind"] == "trainees" for source in sources):
        # An empty month is more often a wrong folder than a quiet month: say so.
        log.add(
            "warning",
            "",
            "",
            "no trainees register found in the inbox, so there is nobody to report on: check "
            "the folder, or that the register's heading row has trainee_id and name",
        )

    warn_register_copies({k: tables[k] for k in ("trainees", "leaders")}, log)
    leaders = _register(tables["leaders"], "leaders", log, index, "leader")
    resolve_people(tables["trainees"], "trainees", index, log)
    trainees = _register(tables["trainees"], "trainees", log, index, "trainee")
    _unset_future_register_dates(trainees, report_day, log)

    # An unknown decider counts as unknown; the sheet still shows the name as written.
    tables["decisions"]["_decided_by_text"] = tables["decisions"]["decided_by"]
    for kind_name in ACTIVITY_KINDS:
        resolve_people(tables[kind_name], kind_name, index, log)
    _resolve_competencies(tables["portfolio"], trainees, rulesets, log)
    _resolve_decisions(tables["decisions"], trainees, rulesets, log)
    for kind_name in ACTIVITY_KINDS:
        _outcomes(tables[kind_name], kind_name, report_day, log)

    def accepted(name: str) -> pd.DataFrame:
        table = tables[name]
        return table.loc[table["_outcome"] == "accepted"].reset_index(drop=True)

    attendance = accepted("attendance")
    attendance["event_id"] = event_ids(attendance)
    counted = Tables(
        trainees=trainees,
        leaders=leaders,
        attendance=attendance,
        supervision=accepted("supervision"),
        portfolio=accepted("portfolio"),
        decisions=accepted("decisions"),
        as_of=report_day,
    )
    results = evaluate(counted, rulesets)
    check_addresses(trainees, leaders, config, log)
    issues = log.frame()
    return Report(
        as_of=as_of,
        trainees=results,
        issues=issues.drop(columns="rid"),
        sources=_source_counts(sources, tables),
        rulesets=rulesets,
        config=config,
        rows=tables,
        decisions=_decision_rows(accepted("decisions"), trainees, leaders),
        forecasts=forecast(counted, results, as_of),
        registers={"trainees": trainees, "leaders": leaders},
        records=collect(counted, tables, rulesets),
    )
