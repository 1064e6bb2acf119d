"""The run as one function: inbox in, a RunResult out.

ingest (read and normalise every sheet) → resolve (registers and people) → validate (each row's
outcome) → evaluate (requirements and advice per trainee) → forecast. Only ingest touches disk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .cache import SheetCache
from .chase import only_report_missing
from .config import Config
from .evaluate import Tables, evaluate, reference_order_issues
from .evidence import EvidenceSource, collect_evidence
from .forecast import due_dates, hold_still, outlooks
from .ingest import read_inbox
from .issues import ISSUE_FIELDS, NO_ROW, IssueLog
from .model import READY, Decision, Outcome, Outlook, Person, RunResult, Severity
from .read import SourceFile
from .records import collect
from .resolve import (
    PeopleIndex,
    register_people,
    resolve_competencies,
    resolve_decisions,
    resolve_people,
    resolve_unread,
    warn_register_copies,
)
from .ruleset import Ruleset
from .schema import OUTCOME_COLUMN, with_columns
from .validate import (
    check_addresses,
    set_outcomes,
    source_counts,
    unset_future_register_dates,
    warn_leading_alone_with_co_leader,
    warn_long_supervision,
)
from .wording import month_text

ACTIVITY_KINDS = ("attendance", "supervision", "portfolio", "decisions")


@dataclass(frozen=True)
class EarlierReport:
    """The previous month's report, as far as this run needs it: which files fed it."""

    month: str
    files: frozenset[str]
    # its forecasts: this month's hold unless records or pace moved them (forecast.py)
    outlooks: Mapping[tuple[str, str], Outlook] = field(default_factory=dict)


@dataclass(frozen=True)
class Validated:
    """Every row of the inbox with its outcome, the merged registers and the sources."""

    rows: dict[str, pd.DataFrame]  # per kind, each row with its provenance and `_outcome`
    trainees: pd.DataFrame  # the merged register, one row per trainee, indexed by id
    leaders: pd.DataFrame
    sources: pd.DataFrame  # SOURCE_COLUMNS
    # (file, sheet) -> column name -> the heading as the sheet shows it, with its letter
    headings: dict[tuple[str, str], dict[str, str]]
    # the rows of sheets that could not be read, by whom they name (resolve_unread)
    unread: pd.DataFrame

    def accepted(self, kind: str) -> pd.DataFrame:
        """The rows of a kind that count."""
        table = self.rows[kind]
        return table.loc[table[OUTCOME_COLUMN] == Outcome.ACCEPTED].reset_index(drop=True)

    def read_any(self, kind: str) -> bool:
        """Whether any sheet of this kind was read, even one whose rows were all rejected."""
        return bool((self.sources["kind"] == kind).any())


def _decisions(
    decisions: pd.DataFrame, trainees: pd.DataFrame, leaders: pd.DataFrame
) -> tuple[Decision, ...]:
    """The accepted decisions as the Decisions sheet shows them: who, what, why, by whom, when."""
    names, leader_names = trainees["name"].to_dict(), leaders["name"].to_dict()
    return tuple(
        Decision(
            trainee_id=row["trainee"],
            name=names.get(row["trainee"], ""),
            requirement=row["requirement"],
            decision=f"{row['decision']} {row['event']}".strip(),
            reason=row["reason"],
            decided_by=leader_names.get(row["decided_by"], row["_decided_by_text"]),
            date=row["date"].date(),
        )
        for row in decisions.to_dict("records")
    )


def _leaders(leaders: pd.DataFrame) -> dict[str, Person]:
    """Every leader in the register, as a digest addresses them."""
    emails = leaders["email"].astype(object).where(leaders["email"].notna(), "")
    return {
        leader_id: Person(leader_id, name, str(email).strip())
        for leader_id, name, email in zip(leaders.index, leaders["name"], emails, strict=True)
    }


def _whom_issues_concern(
    rows: dict[str, pd.DataFrame],
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per run-wide row id, the trainee and the leader a row is about (blank when unknown), and
    what became of the row.

    A row of an activity kind is about its trainee; a register row about the person it lists.
    """
    trainee_parts: list[pd.Series] = []
    leader_parts: list[pd.Series] = []
    outcome_parts = [
        pd.Series(table[OUTCOME_COLUMN].to_numpy(), index=table["_rid"].to_numpy())
        for table in rows.values()
        if not table.empty and OUTCOME_COLUMN in table
    ]
    for kind, table in rows.items():
        column = {"trainees": "trainee_id", "leaders": "leader_id"}.get(kind, "trainee")
        if table.empty or column not in table:
            continue
        about = table[column].astype(object).where(table[column].notna(), "").astype(str)
        part = pd.Series(about.to_numpy(), index=table["_rid"].to_numpy())
        (leader_parts if kind == "leaders" else trainee_parts).append(part)

    def joined(parts: list[pd.Series]) -> pd.Series:
        return pd.concat(parts) if parts else pd.Series(dtype=object)

    return joined(trainee_parts), joined(leader_parts), joined(outcome_parts)


# Where each activity kind keeps the date a record is "new" by.
RECORD_DATES = {"attendance": "date", "supervision": "date", "portfolio": "signed_off"}


def last_records(counted: Tables) -> dict[str, dt.date]:
    """Per trainee id, the date of their latest accepted record of any kind: one pass a table."""
    latest: dict[str, dt.date] = {}
    for kind, column in RECORD_DATES.items():
        accepted = getattr(counted, kind)
        for trainee, day in accepted.groupby("trainee", sort=False)[column].max().items():
            if not pd.isna(day) and (trainee not in latest or day.date() > latest[trainee]):
                latest[trainee] = day.date()
    return latest


def _warn_gone(earlier: EarlierReport, sources: pd.DataFrame, log: IssueLog) -> None:
    """A file that fed last month's report and is not in the inbox now: said, not silent."""
    for name in sorted(earlier.files - set(sources["file"])):
        log.add(
            Severity.WARNING,
            name,
            "",
            code="file_gone",
            month=month_text(earlier.month),
        )


def validate_inbox(
    inbox: Path,
    as_of: dt.date,
    config: Config,
    rulesets: tuple[Ruleset, ...],
    log: IssueLog,
    cache: SheetCache | None = None,
    skip: tuple[Path, ...] = (),
    files: list[SourceFile] | None = None,
) -> Validated:
    """Read the inbox (or only `files` of it), merge the registers, resolve every person and
    give each row its outcome."""
    # Two rulesets may declare the same column (load_rulesets checks that they agree).
    kinds = with_columns(tuple(dict.fromkeys(c for ruleset in rulesets for c in ruleset.columns)))
    tables, sources, unread = read_inbox(inbox, config, log, cache, skip, files, kinds)
    report_day = pd.Timestamp(as_of)
    index = PeopleIndex()
    if not any(source["kind"] == "trainees" for source in sources):
        # An empty month is more often a wrong folder than a quiet month: say so.
        log.add(
            Severity.WARNING,
            "",
            "",
            code="no_trainee_register",
        )

    warn_register_copies({k: tables[k] for k in ("trainees", "leaders")}, log)
    leaders = register_people(tables["leaders"], "leaders", log, index, "leader")
    resolve_people(tables["trainees"], "trainees", index, log)
    trainees = register_people(tables["trainees"], "trainees", log, index, "trainee")
    unset_future_register_dates(trainees, report_day, log)

    # An unknown decider counts as unknown; the sheet still shows the name as written.
    tables["decisions"]["_decided_by_text"] = tables["decisions"]["decided_by"]
    warn_leading_alone_with_co_leader(tables["attendance"], log)
    warn_long_supervision(tables["supervision"], log)
    for kind_name in ACTIVITY_KINDS:
        resolve_people(tables[kind_name], kind_name, index, log)
    resolve_competencies(tables["portfolio"], trainees, rulesets, log)
    resolve_decisions(tables["decisions"], trainees, rulesets, log)
    for kind_name in ACTIVITY_KINDS:
        set_outcomes(tables[kind_name], kind_name, report_day, log)
    check_addresses(trainees, leaders, config, log)
    headings = {(s["file"], s["sheet"]): s["headings"] for s in sources if "headings" in s}
    return Validated(
        tables,
        trainees,
        leaders,
        source_counts(sources, tables),
        headings,
        resolve_unread(unread, index),
    )


def build_report(
    inbox: Path,
    as_of: dt.date,
    config: Config,
    rulesets: tuple[Ruleset, ...],
    cache: SheetCache | None = None,
    skip: tuple[Path, ...] = (),
    earlier: EarlierReport | None = None,
    files: list[SourceFile] | None = None,
    evidence_for: frozenset[str] = frozenset(),
) -> RunResult:
    """Read the inbox (unchanged files from `cache`, none under `skip`; only `files` when
    given) and evaluate everyone.

    `earlier`: last month's report, so that a file it was fed and this inbox lacks is said.
    `evidence_for`: trainee ids (any case) whose evidence statement is wanted besides those the
    month folder holds (the ready, and those waiting only for their supervisor's report).
    """
    log = IssueLog()
    asked_for = {trainee_id.casefold() for trainee_id in evidence_for}  # ids as typed
    valid = validate_inbox(inbox, as_of, config, rulesets, log, cache, skip, files)
    if earlier is not None:
        _warn_gone(earlier, valid.sources, log)
    counted = Tables(
        trainees=valid.trainees,
        leaders=valid.leaders,
        attendance=valid.accepted("attendance"),
        supervision=valid.accepted("supervision"),
        portfolio=valid.accepted("portfolio"),
        decisions=valid.accepted("decisions"),
        as_of=pd.Timestamp(as_of),
    )
    results = tuple(evaluate(counted, rulesets))
    reference_order_issues(counted, log, rulesets, supervision_read=valid.read_any("supervision"))
    issues = log.frame()
    held, moves = hold_still(
        outlooks(counted, list(results), as_of), earlier.outlooks if earlier else None, as_of
    )
    trainee_of, leader_of, outcome_of = _whom_issues_concern(valid.rows)
    about_a_row = issues["rid"] != NO_ROW
    for column, whom in (
        ("trainee_id", trainee_of),
        ("leader_id", leader_of),
        ("outcome", outcome_of),
    ):
        issues[column] = issues["rid"].map(whom).astype(object).where(about_a_row, "").fillna("")
    places = zip(issues["file"], issues["sheet"], issues["column"], strict=True)
    issues["heading"] = [
        valid.headings.get((file, sheet), {}).get(column, column) for file, sheet, column in places
    ]
    return RunResult(
        as_of=as_of,
        trainees=results,
        issues=issues[ISSUE_FIELDS],
        sources=valid.sources,
        rulesets=rulesets,
        config=config,
        decisions=_decisions(valid.accepted("decisions"), valid.trainees, valid.leaders),
        forecasts=due_dates(held),
        outlooks=held,
        forecast_moves=tuple(moves),
        compared_with=earlier.month if earlier else "",
        leaders=_leaders(valid.leaders),
        records=collect(counted, valid.rows, rulesets, valid.unread),
        last_records=last_records(counted),
        evidence=collect_evidence(
            EvidenceSource(
                valid.rows,
                valid.trainees,
                valid.leaders,
                issues,
                rulesets,
                as_of,
                config.report.society,
                valid.unread,
            ),
            results,
            {
                t.trainee_id
                for t in results
                if t.overall == READY
                or only_report_missing(t)
                or t.trainee_id.casefold() in asked_for
            },
        ),
        inbox=inbox,
    )
