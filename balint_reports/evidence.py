"""Evidence statements: for one trainee, every row behind each requirement, and why others not.

What the team puts before council with an application: per requirement the rows that counted
(with file, sheet and row), the trainee's rows that did not count and why, the team's recorded
decisions, and the register facts the overall status rests on. Built by the pipeline from the
validated rows (for the trainees it is asked about); the tables are narrowed to those trainees
once, then grouped once per route.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import OutputError
from .evaluate import COMPARE, Tables, counted_rows
from .labels import OVERALL_WORDS, STATUS_WORDS
from .letters import file_stem, template_environment
from .model import READY, RequirementResult, TraineeResult
from .ruleset import Requirement, Route, Ruleset
from .schema import OUTCOME_COLUMN
from .values import fold_name
from .wording import (
    ACTIVITY_WORDS,
    day_text,
    detail_cannot_assess,
    number_text,
    third_person,
)

if TYPE_CHECKING:
    from .model import RunResult

# The month folder's record of what the run read, so `evidence` can read the same again.
RUN_RECORD = "run.json"
EVIDENCE_FOLDER = "evidence"
ACTIVITY_TABLES = ("attendance", "supervision", "portfolio")
OUTCOME_WORDS = {
    "rejected": "not used: the row has an error",
    "duplicate": "counted once: the same record appears earlier",
    "future": "dated after the report date: left out until then",
    "absent": "marked as not present: no attendance",
}
REGISTER_FACTS = (
    ("registered", "Registered on the pathway"),
    ("psychodynamic_training", "Psychodynamic or psychoanalytic training"),
    ("professional_training_from", "Professional training from"),
    ("supervisor", "Supervisor"),
    ("feels_ready", "Feels ready to apply"),
    ("reference_requested", "Supervisor's report requested"),
    ("reference_received", "Supervisor's report received"),
    ("reference_shared", "Report shared with the trainee"),
    ("reference_forwarded", "Report forwarded to the leadership team"),
)


@dataclass(frozen=True)
class EvidenceRow:
    """One spreadsheet row as the statement shows it."""

    date: str
    what: str
    amount: str
    detail: str
    file: str
    sheet: str
    row: int | None
    reason: str = ""  # why it did not count; blank for a counted row


@dataclass(frozen=True)
class RequirementEvidence:
    """One requirement: its result, the rows behind it and the rows left out."""

    id: str
    title: str
    status: str
    detail: str
    counted: tuple[EvidenceRow, ...]
    not_counted: tuple[EvidenceRow, ...]
    decisions: tuple[EvidenceRow, ...]


@dataclass(frozen=True)
class Evidence:
    """A trainee's evidence statement."""

    trainee_id: str
    name: str
    as_of: str
    overall: str
    ruleset: str
    register: tuple[tuple[str, str], ...]
    register_rows: tuple[EvidenceRow, ...]
    requirements: tuple[RequirementEvidence, ...]
    not_used: tuple[EvidenceRow, ...]  # rejected, duplicate or future rows naming the trainee
    society: str = ""


@dataclass(frozen=True)
class EvidenceSource:
    """What statements are built from: the run's rows with their outcomes, before reporting."""

    rows: Mapping[str, pd.DataFrame]  # per kind, every row with provenance and `_outcome`
    trainees: pd.DataFrame  # the merged register, indexed by trainee id
    leaders: pd.DataFrame  # indexed by leader id
    issues: pd.DataFrame  # every issue, with file, sheet, row and problem
    rulesets: tuple[Ruleset, ...]
    as_of: dt.date
    society: str
    # the rows of sheets that could not be read, by whom they name (resolve.resolve_unread)
    unread: pd.DataFrame


def _day(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%d/%m/%Y}"


def _yes_no(value: object) -> str:
    return "not recorded" if value is None or pd.isna(value) else ("yes" if value else "no")


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def _amount(value: float, unit: str) -> str:
    return f"{number_text(value)} {unit}{'' if value == 1 else 's'}"


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


class _Describer:
    """Turns a row of any kind into the statement's words; other trainees are never named."""

    def __init__(self, source: EvidenceSource) -> None:
        self.leaders = source.leaders["name"].to_dict()
        self.competencies = {
            c.id: f"{c.number}. {c.title}" for r in source.rulesets for c in r.competencies
        }

    def person(self, value: object) -> str:
        text = _text(value)
        if text.startswith("trainee:"):
            return "another trainee"
        text = text.removeprefix("leader:")
        if text == "?":
            return "a person not in the registers"
        return self.leaders.get(text, text)

    def row(self, kind: str, row: dict[str, Any], reason: str = "") -> EvidenceRow:
        """The statement's line for one row of `kind`."""
        where = (
            _text(row.get("_file")),
            _text(row.get("_sheet")),
            None if pd.isna(row.get("_row")) else int(row["_row"]),
        )
        if kind == "attendance":
            days = row.get("days")
            detail = ", ".join(
                part
                for part in (
                    _text(row.get("event")),
                    _text(row.get("setting")),
                    f"with {self.person(row['co_leader'])}" if _text(row.get("co_leader")) else "",
                    f"{days} days" if not pd.isna(days) and days and days > 1 else "",
                )
                if part
            )
            sessions = _number(row.get("sessions"))
            amount = "" if sessions is None else _amount(sessions, "session")
            activity = _text(row.get("activity"))
            what = ACTIVITY_WORDS.get(activity, activity)
            return EvidenceRow(_day(row.get("date")), what, amount, detail, *where, reason)
        if kind == "supervision":
            hours = _number(row.get("hours"))
            amount = "" if hours is None else _amount(hours, "hour")
            mode = _text(row.get("mode")).replace("_", " ")  # face_to_face: face to face
            parts = [f"with {self.person(row.get('supervisor'))}", mode]
            present = _number(row.get("trainees_present"))
            if present is not None and present > 1:
                parts.append(f"{number_text(present)} trainees present")
            if not pd.isna(row.get("co_leader_present")) and row.get("co_leader_present"):
                parts.append("co-leader present")
            detail = ", ".join(p for p in parts if p)
            return EvidenceRow(_day(row.get("date")), "supervision", amount, detail, *where, reason)
        if kind == "portfolio":
            competency = _text(row.get("competency"))
            signer = _text(row.get("signed_off_by"))
            detail = ", ".join(
                p
                for p in (
                    f"signed off by {self.person(signer)}" if signer else "",
                    row_evidence(row),
                )
                if p
            )
            return EvidenceRow(
                _day(row.get("signed_off")),
                self.competencies.get(competency, competency or "competency"),
                "",
                detail,
                *where,
                reason,
            )
        if kind == "decisions":
            decided_by = _text(row.get("decided_by"))
            detail = ", ".join(
                p
                for p in (
                    _text(row.get("reason")),
                    f"decided by {self.person(decided_by)}" if decided_by else "",
                )
                if p
            )
            what = f"{_text(row.get('decision'))} {_text(row.get('event'))}".strip()
            return EvidenceRow(_day(row.get("date")), what, "", detail, *where, reason)
        # a register row
        return EvidenceRow("", "trainee register", "", "", *where, reason)


def row_evidence(row: dict) -> str:
    """A portfolio row's own evidence text, shortened for the statement."""
    text = _text(row.get("evidence"))
    return text if len(text) <= 120 else text[:119] + "…"


def _why_not(route: Route, row: dict, tables: Tables, eligible: set, accredited: set) -> str:
    """Why a row of the route's own kind did not count: the first filter it fails."""
    if route.counterpart == "eligible_supervisor" and row.get("supervisor") not in eligible:
        return "the supervisor is not an eligible supervisor (accredited and experienced)"
    co_leader = _text(row.get("co_leader")).removeprefix("leader:")
    if route.counterpart == "accredited_co_leader" and co_leader not in accredited:
        return "the co-leader is not an accredited leader"
    for column, values in route.where:
        # a text filter's values are folded as names are (ruleset._filter)
        if row.get(column) not in values and fold_name(row.get(column)) not in values:
            shown = _text(row.get(column)).replace("_", " ") or "blank"
            return f"{column} is {shown}, not {' or '.join(v.replace('_', ' ') for v in values)}"
    for column, operator, value in route.compare:
        if column == "days" and route.count == "distinct_events":
            continue  # an event's length, not a row's
        got = row.get(column)
        if got is None or pd.isna(got) or not COMPARE[operator](float(got), value):
            shown = _text(got) or "blank"
            return f"{column} is {shown}, which this requirement does not count"
    date = row.get("signed_off" if route.source == "portfolio" else "date")
    trainee = tables.trainees.loc[row["trainee"]] if row["trainee"] in tables.trainees.index else {}
    if route.since and not pd.isna(trainee.get(route.since)) and date < trainee[route.since]:
        return f"dated before {route.since.replace('_', ' ')} ({_day(trainee[route.since])})"
    if route.until and not pd.isna(trainee.get(route.until)) and date > trainee[route.until]:
        return f"dated after {route.until.replace('_', ' ')} ({_day(trainee[route.until])})"
    if route.count == "distinct_groups" and not row.get("event_key"):
        return "no group name, so it cannot be told apart from other groups"
    return "outside what this requirement counts"


def _accepted(source: EvidenceSource, kind: str, wanted: set[str]) -> pd.DataFrame:
    """The accepted rows of `kind` naming a wanted trainee, in one pass over the table."""
    table = source.rows.get(kind)
    if table is None:
        return pd.DataFrame(columns=["trainee", "requirement", "activity", "_file", "_sheet"])
    keep = (table[OUTCOME_COLUMN] == "accepted") & table["trainee"].isin(wanted)
    return table.loc[keep].reset_index(drop=True)


def _issue_problems(all_issues: pd.DataFrame, rows: pd.DataFrame) -> dict[tuple, str]:
    """(file, sheet, row) -> the problems the Data issues sheet lists for those rows."""
    if rows.empty or all_issues.empty:
        return {}
    issues = all_issues
    issues = issues.loc[issues["file"].isin(set(rows["_file"])) & issues["row"].notna()]
    problems: dict[tuple, list[str]] = {}
    # the words that name nobody else: no "did you mean" another trainee
    texts = issues["shared"].astype(str)
    for file, sheet, row, text in zip(
        issues["file"], issues["sheet"], issues["row"], texts, strict=True
    ):
        problems.setdefault((file, sheet, int(row)), []).append(text)
    return {key: "; ".join(found) for key, found in problems.items()}


def collect_evidence(
    source: EvidenceSource, trainees_results: Sequence[TraineeResult], trainee_ids: set[str]
) -> dict[str, Evidence]:
    """Each wanted trainee's evidence, from the tables narrowed to them once."""
    results = {t.trainee_id: t for t in trainees_results if t.trainee_id in trainee_ids}
    wanted = set(results)
    if not wanted:
        return {}
    describe = _Describer(source)
    grouped = _Grouped.of(source, wanted)
    not_used = _not_used(source, wanted, describe)
    register_rows = _register_rows(source, wanted, describe)
    facts = source.trainees.loc[source.trainees.index.isin(wanted)].to_dict("index")
    found = {}
    for trainee_id, result in results.items():
        by_id = {q.id: q for q in result.ruleset.requirements}
        found[trainee_id] = Evidence(
            trainee_id=trainee_id,
            name=result.name,
            as_of=f"{source.as_of:%Y-%m-%d}",
            overall=result.overall,
            ruleset=f"{result.ruleset.title} ({result.ruleset.id})",
            register=_register_facts(facts.get(trainee_id, {}), describe),
            register_rows=tuple(register_rows.get(trainee_id, [])),
            requirements=tuple(
                grouped.requirement(trainee_id, r, by_id[r.id], describe)
                for r in result.requirements
            ),
            not_used=tuple(not_used.get(trainee_id, [])),
            society=source.society,
        )
    return found


@dataclass(frozen=True)
class _Grouped:
    """The accepted rows of the wanted trainees, and per distinct route the rows it counts and
    the rows of its own kind (same activities) it could have counted, grouped by trainee once."""

    tables: Tables
    records: dict[str, list[dict]]  # per kind, the accepted rows by position
    counted: dict[Route, dict[str, np.ndarray]]
    domain: dict[Route, dict[str, np.ndarray]]
    decided: dict[tuple, list[int]]  # (trainee, requirement) -> positions of its decisions
    eligible: set
    accredited: set

    @classmethod
    def of(cls, source: EvidenceSource, wanted: set[str]) -> _Grouped:
        """Narrow the tables to the wanted trainees and group them by route."""
        accepted = {
            kind: _accepted(source, kind, wanted) for kind in (*ACTIVITY_TABLES, "decisions")
        }
        trainees, leaders = source.trainees, source.leaders
        tables = Tables(
            trainees=trainees.loc[trainees.index.isin(wanted)],
            leaders=leaders,
            attendance=accepted["attendance"],
            supervision=accepted["supervision"],
            portfolio=accepted["portfolio"],
            decisions=accepted["decisions"],
            as_of=pd.Timestamp(source.as_of),
        )
        accredited_mask = leaders["accredited"].fillna(False)
        eligible = set(
            leaders.index[accredited_mask & leaders["supervision_experience"].fillna(False)]
        )
        counted, domain = _route_rows(source.rulesets, tables)
        decisions = accepted["decisions"]
        decided: dict[tuple, list[int]] = {}
        keys = zip(decisions["trainee"], decisions["requirement"], strict=True)
        for position, key in enumerate(keys):
            decided.setdefault(key, []).append(position)
        return cls(
            tables=tables,
            records={kind: frame.to_dict("records") for kind, frame in accepted.items()},
            counted=counted,
            domain=domain,
            decided=decided,
            eligible=eligible,
            accredited=set(leaders.index[accredited_mask]),
        )

    def requirement(
        self,
        trainee_id: str,
        result: RequirementResult,
        requirement: Requirement,
        describe: _Describer,
    ) -> RequirementEvidence:
        """One requirement's evidence for one trainee: counted rows, others and decisions."""
        shown = {route.label for route in result.routes}
        applied = [q for q in requirement.routes if q.label in shown]
        counted_here: list[EvidenceRow] = []
        left_out: list[EvidenceRow] = []
        for kind in dict.fromkeys(q.source for q in requirement.routes):
            routes = [q for q in applied if q.source == kind]
            took = set().union(*(self.counted[q].get(trainee_id, ()) for q in routes))
            could = set().union(
                *(
                    self.domain[q].get(trainee_id, ())
                    for q in requirement.routes
                    if q.source == kind
                )
            )
            for position in sorted(took):
                counted_here.append(describe.row(kind, self.records[kind][position]))
            for position in sorted(could - took):
                row = self.records[kind][position]
                left_out.append(describe.row(kind, row, self._why_not(routes, row, requirement)))
        return RequirementEvidence(
            id=result.id,
            title=third_person(result.title),  # for the panel, not the trainee
            status=result.status,
            detail=result.detail,
            counted=tuple(counted_here),
            not_counted=tuple(left_out),
            decisions=tuple(
                describe.row("decisions", self.records["decisions"][p])
                for p in self.decided.get((trainee_id, result.id), [])
            ),
        )

    def _why_not(self, routes: list[Route], row: dict, requirement: Requirement) -> str:
        """Why a row of the requirement's kind did not count (the first applied route's say)."""
        if routes:
            return _why_not(routes[0], row, self.tables, self.eligible, self.accredited)
        return detail_cannot_assess(third_person(requirement.missing_data))


def _route_rows(
    rulesets: Sequence[Ruleset], tables: Tables
) -> tuple[dict[Route, dict[str, np.ndarray]], dict[Route, dict[str, np.ndarray]]]:
    """Per distinct route of the rulesets: the rows it counts, and the rows it could have."""
    counted: dict[Route, dict[str, np.ndarray]] = {}
    domain: dict[Route, dict[str, np.ndarray]] = {}
    for ruleset in rulesets:
        for requirement in ruleset.requirements:
            for route in requirement.routes:
                if route in counted:
                    continue
                table = getattr(tables, route.source)
                counted[route] = _by_trainee(counted_rows(tables, route) if len(table) else table)
                own = table
                if route.activities and len(table):
                    own = table[table["activity"].isin(route.activities)]
                domain[route] = _by_trainee(own)
    return counted, domain


def _register_facts(fact: dict, describe: _Describer) -> tuple[tuple[str, str], ...]:
    """The register facts the overall status rests on, as the statement shows them."""
    return tuple(
        (
            label,
            _yes_no(fact.get(key))
            if key in ("psychodynamic_training", "feels_ready")
            else describe.person(fact.get(key))
            if key == "supervisor"
            else _day(fact.get(key)) or "not recorded",
        )
        for key, label in REGISTER_FACTS
    )


def _by_trainee(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per trainee, the index labels of their rows in `frame` (positions in the accepted table)."""
    if frame.empty:
        return {}
    labels = frame.index.to_numpy()
    return {
        trainee: labels[positions]
        for trainee, positions in frame.groupby("trainee", sort=False).indices.items()
    }


def _not_used(source: EvidenceSource, wanted: set[str], describe: _Describer) -> dict[str, list]:
    """Per wanted trainee, their rejected, duplicate and future rows with the issues' reasons."""
    found: dict[str, list[EvidenceRow]] = {}
    for kind in (*ACTIVITY_TABLES, "decisions"):
        table = source.rows.get(kind)
        if table is None or table.empty:
            continue
        rows = table.loc[(table[OUTCOME_COLUMN] != "accepted") & table["trainee"].isin(wanted)]
        problems = _issue_problems(source.issues, rows)
        for row in rows.to_dict("records"):
            key = (row["_file"], row["_sheet"], int(row["_row"]))
            # The issue says why in the Data issues sheet's words; the outcome if it has none.
            outcome = str(row[OUTCOME_COLUMN])
            reason = problems.get(key, OUTCOME_WORDS[outcome])
            if outcome == "rejected" and key in problems:
                reason = f"rejected: {reason}"
            found.setdefault(row["trainee"], []).append(describe.row(kind, row, reason))
    for trainee, rows in _unread(source, wanted).items():
        found.setdefault(trainee, []).extend(rows)
    return found


# The sheet-level errors that leave a sheet's rows unread (normalise.report_near_miss, _grid).
_UNREAD_CODES = ("near_miss_sheet", "grid_sheet")


def _unread(source: EvidenceSource, wanted: set[str]) -> dict[str, list[EvidenceRow]]:
    """Per wanted trainee, their rows in sheets that could not be read, each with the sheet's
    error: a statement saying every row naming them was used would be untrue."""
    unread = source.unread.loc[source.unread["trainee"].isin(wanted)]
    if unread.empty:
        return {}
    issues = source.issues.loc[source.issues["code"].isin(_UNREAD_CODES)]
    why = {
        (file, sheet): f"not read: {text}"
        for file, sheet, text in zip(issues["file"], issues["sheet"], issues["shared"], strict=True)
    }
    found: dict[str, list[EvidenceRow]] = {}
    for row in unread.to_dict("records"):
        place = (row["_file"], row["_sheet"])
        reason = why.get(place, "not read: the sheet could not be read")
        line = EvidenceRow("", row["kind"], "", "", *place, int(row["_row"]), reason)
        found.setdefault(row["trainee"], []).append(line)
    return found


def _register_rows(
    source: EvidenceSource, wanted: set[str], describe: _Describer
) -> dict[str, list]:
    """Per wanted trainee, where the register's rows about them are."""
    table = source.rows.get("trainees")
    if table is None or table.empty:
        return {}
    folded = {t.casefold(): t for t in wanted}
    ids = table["trainee_id"].astype(str).str.casefold()
    rows = table.loc[ids.isin(folded)]
    found: dict[str, list[EvidenceRow]] = {}
    for row, key in zip(rows.to_dict("records"), ids[ids.isin(folded)], strict=True):
        found.setdefault(folded[key], []).append(describe.row("trainees", row))
    return found


def evidence_document(evidence: Evidence) -> dict:
    """The statement as JSON-ready data."""
    return asdict(evidence)


def render_evidence(evidence: Evidence) -> str:
    """The statement as a printable HTML page."""
    template = template_environment().get_template("evidence.html.j2")
    as_of = dt.date.fromisoformat(evidence.as_of)
    return template.render(
        e=evidence, status_words=STATUS_WORDS, overall_words=OVERALL_WORDS, as_of=day_text(as_of)
    )


def evidence_files(evidence: Mapping[str, Evidence]) -> dict[str, bytes]:
    """evidence/<trainee_id>.html and .json for each statement, by path in the month folder."""
    files = {}
    for trainee_id, statement in evidence.items():
        stem = f"{EVIDENCE_FOLDER}/{file_stem(trainee_id)}"
        document = json.dumps(evidence_document(statement), indent=2, ensure_ascii=False)
        files[f"{stem}.json"] = document.encode("utf-8")
        files[f"{stem}.html"] = render_evidence(statement).encode("utf-8")
    return files


def ready_evidence_files(result: RunResult) -> dict[str, bytes]:
    """The run's evidence/ folder: a statement for every trainee whose overall is ready."""
    ready = {t.trainee_id for t in result.trainees if t.overall == READY}
    return evidence_files({k: v for k, v in result.evidence.items() if k in ready})


def run_record(result: RunResult) -> dict:
    """What the run read (inbox, config, rulesets, report date, each file's sha256)."""
    sha = result.sources.drop_duplicates("file")
    config = result.config.path
    return {
        "as_of": f"{result.as_of:%Y-%m-%d}",
        "inbox": str(result.inbox.resolve()) if result.inbox else None,
        "config": str(config.resolve()) if config else None,
        # a built-in ruleset by its name, another by its file
        "rules": [r.path if Path(r.path).is_file() else r.id for r in result.rulesets],
        "files": {f: s for f, s in zip(sha["file"], sha["sha256"], strict=True) if s},
    }


def run_record_file(result: RunResult) -> bytes:
    """The month folder's run.json: lets `evidence` read exactly what the run read."""
    return json.dumps(run_record(result), indent=2, ensure_ascii=False).encode("utf-8")


def changed_files(record: dict, result: RunResult) -> list[str]:
    """The inbox files that differ from what the recorded run read (added, gone or edited)."""
    now = run_record(result)["files"]
    then = record.get("files", {})
    return sorted(f for f in set(now) | set(then) if now.get(f) != then.get(f))


def read_run_record(report_dir: Path) -> dict:
    """A month folder's run.json; raises OutputError saying what to do when it cannot."""
    path = report_dir / RUN_RECORD
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OutputError(
            f"{report_dir}: no {RUN_RECORD} here: give a month folder written by `run` "
            "(e.g. reports/2026-11), or run the month again to write one"
        ) from None
    except (OSError, ValueError) as exc:
        raise OutputError(f"{path}: cannot be read ({exc}); run the month again") from None
    if not isinstance(record, dict) or "as_of" not in record:
        raise OutputError(f"{path}: not a run record; run the month again")
    return record
