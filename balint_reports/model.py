"""What a run produces, as typed, frozen values: every output (workbook, progress.json, letters,
digests, emails, the history store) is a view of these.

The stages before evaluation work on DataFrames; from evaluation on, everything is here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from .config import Config
    from .evidence import Evidence
    from .records import Records
    from .ruleset import Advice, Ruleset


class Severity(StrEnum):
    """How serious a data issue is; an error rejects the row it is about."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class Outcome(StrEnum):
    """What became of a data row: every non-blank row ends as exactly one.

    See docs/contract.md#row-outcomes.
    """

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    FUTURE = "future"
    # an attendance row marking someone as not there: read, and no attendance
    ABSENT = "absent"


class Status(StrEnum):
    """A requirement's status for one trainee."""

    MET = "met"
    NOT_MET = "not_met"
    CANNOT_ASSESS = "cannot_assess"


class Overall(StrEnum):
    """A trainee's overall status."""

    READY = "ready"
    IN_PROGRESS = "in_progress"
    NEEDS_DATA = "needs_data"


# The names the evaluation and the wording of its results use.
MET, NOT_MET, CANNOT_ASSESS = Status.MET, Status.NOT_MET, Status.CANNOT_ASSESS
READY, IN_PROGRESS, NEEDS_DATA = Overall.READY, Overall.IN_PROGRESS, Overall.NEEDS_DATA


class RegisterStatus(StrEnum):
    """The status the team's register gives a trainee (a blank cell means active)."""

    ACTIVE = "active"
    PAUSED = "paused"
    WITHDRAWN = "withdrawn"
    ACCREDITED = "accredited"

    @property
    def gets_letter(self) -> bool:
        """Only trainees on the pathway are written to (docs/contract.md#outputs)."""
        return self in (RegisterStatus.ACTIVE, RegisterStatus.PAUSED)

    @classmethod
    def of(cls, cell: str | None) -> RegisterStatus:
        """The status a register cell says: blank is active (the one place that default lives)."""
        return cls(str(cell)) if cell else cls.ACTIVE


def _no_records() -> Records:
    from .records import Records

    return Records()


# Sources that are not a record kind.
IGNORED, UNREADABLE = "ignored", "unreadable"


@dataclass(frozen=True)
class RouteResult:
    """How far a trainee is along one route of a requirement."""

    label: str
    achieved: float
    target: float
    met: bool
    hours: float | None = None  # for supervision routes
    share: bool = False  # achieved and target are fractions
    per_year: str = ""  # for a per-year route: how each pathway year went, in words
    credited: float = 0.0  # what the team's decisions added to `achieved`


@dataclass(frozen=True)
class RequirementResult:
    """A requirement's status for one trainee."""

    id: str
    title: str
    status: Status
    achieved: float | None
    target: float
    detail: str
    routes: tuple[RouteResult, ...]
    decisions: tuple[str, ...] = ()  # the team's decisions on it, in plain words
    missing_set: tuple[str, ...] = ()  # its `requires_set` register dates that are blank
    next_step: str = ""  # what would move it on; empty when met or the trainee is paused

    @property
    def shown_route(self) -> RouteResult | None:
        """The route every output shows: one that is met, else the one furthest along."""
        met = [route for route in self.routes if route.met]
        if met:
            return met[0]
        return max(self.routes, key=lambda route: route.achieved / route.target, default=None)


@dataclass(frozen=True)
class TraineeResult:
    """Everything the outputs say about one trainee."""

    trainee_id: str
    name: str
    email: str
    status: RegisterStatus
    ruleset: Ruleset
    overall: Overall
    requirements: tuple[RequirementResult, ...]
    advice: tuple[Advice, ...]
    next_step: str
    supervisor: str  # the supervisor's name as the register gives it, or ""
    # with any supervisor, counted or not: the Overview and progress.json both show this one
    supervision_hours: float
    cost_low: float | None  # of supervision_hours; None without a suggested fee or such hours
    cost_high: float | None
    supervisor_id: str = ""  # the register's supervisor, resolved to a leader id
    # the leaders in the trainee's accepted supervision rows, by id: their supervisors when the
    # register names none
    supervised_by: tuple[str, ...] = ()
    # those of them with rows in the last six months (evaluate.SUPERVISING_NOW_MONTHS)
    supervising_now: tuple[str, ...] = ()
    feels_ready: bool | None = None
    # the register's dates that are set, by field name: the reference's steps and the like
    dates: tuple[tuple[str, dt.date], ...] = ()

    @property
    def gets_letter(self) -> bool:
        """Whether this trainee is written to this month."""
        return self.status.gets_letter


@dataclass(frozen=True)
class Person:
    """A leader as the outputs need them: to address a digest."""

    leader_id: str
    name: str
    email: str


@dataclass(frozen=True)
class Decision:
    """A decision of the team's, in the words of the Decisions sheet."""

    trainee_id: str
    name: str
    requirement: str
    decision: str
    reason: str
    decided_by: str
    date: dt.date


@dataclass(frozen=True)
class Outlook:
    """An unmet requirement's forecast and what it was worked out from.

    The next month compares with these facts to tell whether the forecast may move.
    """

    due: dt.date | None  # the first day of the month it would be met; None: no forecast
    route: str = ""  # the label of the route the forecast follows
    achieved: float = 0.0  # that route's count on the report date
    pace: float = 0.0  # its growth over the last 12 months
    why_none: str = ""  # with no forecast: why, in words


@dataclass(frozen=True)
class ForecastMove:
    """A forecast that moved since the previous report, and why."""

    trainee_id: str
    requirement: str
    before: dt.date | None
    now: dt.date | None
    why: str


@dataclass(frozen=True)
class RunResult:
    """One run over an inbox: per-trainee results, every data issue and every source.

    `issues` has the columns of `issues.ISSUE_FIELDS`, one row per issue, in report order;
    `sources` those of `SOURCE_COLUMNS`. Both are tables because a month can hold many.
    """

    as_of: dt.date
    trainees: tuple[TraineeResult, ...]
    issues: pd.DataFrame
    sources: pd.DataFrame
    rulesets: tuple[Ruleset, ...]
    config: Config
    decisions: tuple[Decision, ...] = ()
    # (trainee_id, requirement id) -> the month an unmet requirement would be met at recent pace
    forecasts: Mapping[tuple[str, str], dt.date] = field(default_factory=dict)
    # every leader in the register, by id: who a digest is addressed to
    leaders: Mapping[str, Person] = field(default_factory=dict)
    # the rows behind each trainee's numbers, for the letters' list of records
    records: Records = field(default_factory=lambda: _no_records())
    # per trainee id, the date of their latest accepted record: who has stalled
    last_records: Mapping[str, dt.date] = field(default_factory=dict)
    # every unmet requirement's forecast with what it rests on, for next month to hold it
    outlooks: Mapping[tuple[str, str], Outlook] = field(default_factory=dict)
    # the forecasts that moved since last month, each with its reason
    forecast_moves: tuple[ForecastMove, ...] = ()
    # per trainee id, the evidence statement, for those the run was asked about (the ready
    # ones, those waiting only for their supervisor's report, and any named by `evidence`)
    evidence: Mapping[str, Evidence] = field(default_factory=dict)
    # the folder the run read: recorded in the month folder so `evidence` can read it again
    inbox: Path | None = None
    # the month (YYYY-MM) of the earlier report that Changes compares with, or ""
    compared_with: str = ""

    @property
    def month(self) -> str:
        """The report's folder name: the report date's year and month."""
        return f"{self.as_of:%Y-%m}"

    def count(self, severity: Severity) -> int:
        """How many issues of a severity."""
        return int((self.issues["severity"] == severity).sum())

    def headcount(self) -> tuple[Counter[str], Counter[str]]:
        """The trainees on the pathway by overall status, and the others by register status:
        an accredited trainee is "ready" by the rules but no application to consider, and a
        withdrawn one is not in progress."""
        on_pathway = Counter(str(t.overall) for t in self.trainees if t.gets_letter)
        others = Counter(str(t.status) for t in self.trainees if not t.gets_letter)
        return on_pathway, others


@dataclass(frozen=True)
class RequirementSnapshot:
    """A requirement's values as a report recorded them: what month-to-month changes compare."""

    status: str
    achieved: float | None
    target: float
    detail: str


@dataclass(frozen=True)
class TraineeSnapshot:
    """A trainee as a report recorded them."""

    trainee_id: str
    name: str
    status: str
    ruleset: str
    overall: str
    requirements: Mapping[str, RequirementSnapshot]
    advisories: tuple[str, ...]


def snapshot_of(result: TraineeResult) -> TraineeSnapshot:
    """What the history store keeps of a trainee's result."""
    return TraineeSnapshot(
        trainee_id=result.trainee_id,
        name=result.name,
        status=result.status,
        ruleset=result.ruleset.id,
        overall=result.overall,
        requirements={
            r.id: RequirementSnapshot(r.status, r.achieved, r.target, r.detail)
            for r in result.requirements
        },
        advisories=tuple(a.code for a in result.advice),
    )
