"""Evaluate every trainee against their ruleset: requirements, advice and overall status.

Each measure is one grouped pass over a table; nothing here rescans a table per trainee.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from .ruleset import Advice, Requirement, Route, Ruleset, ruleset_for
from .values import fold_name, map_unique

MET, NOT_MET, CANNOT_ASSESS = "met", "not_met", "cannot_assess"
READY, IN_PROGRESS, NEEDS_DATA = "ready", "in_progress", "needs_data"
LEADING = ("leader", "co_leader")
LEADERSHIP_EVENTS = ("leadership_weekend", "leadership_day")


@dataclass(frozen=True)
class RouteResult:
    """How far a trainee is along one route of a requirement."""

    label: str
    achieved: float
    target: float
    met: bool
    hours: float | None = None  # for supervision routes


@dataclass(frozen=True)
class RequirementResult:
    """A requirement's status for one trainee."""

    id: str
    title: str
    status: str
    achieved: float | None
    target: float
    detail: str
    routes: tuple[RouteResult, ...]
    missing_set: tuple[str, ...] = ()  # register dates required but not set


@dataclass(frozen=True)
class TraineeResult:
    """Everything the outputs say about one trainee."""

    trainee_id: str
    name: str
    email: str
    status: str
    ruleset: Ruleset
    overall: str
    requirements: tuple[RequirementResult, ...]
    advice: tuple[Advice, ...]
    next_step: str
    supervisor: str
    supervision_hours: float
    cost_low: float
    cost_high: float
    missing_data: tuple[str, ...]


@dataclass(frozen=True)
class Tables:
    """The accepted rows of each kind, on or before the report date, with ids resolved."""

    trainees: pd.DataFrame  # indexed by trainee_id
    leaders: pd.DataFrame  # indexed by leader_id
    attendance: pd.DataFrame
    supervision: pd.DataFrame
    portfolio: pd.DataFrame


def event_ids(attendance: pd.DataFrame) -> pd.Series:
    """A distinct event is its folded name; rows with a blank name are told apart by date."""
    names = attendance["event_key"]  # folded once per distinct name by the outcomes stage
    dates = "date:" + attendance["date"].dt.strftime("%Y-%m-%d")
    return names.where(names != "", dates)


class _Measures:
    """Per-trainee counts, each computed once per distinct route over the whole table."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        leaders = tables.leaders
        self.eligible = set(
            leaders.index[
                leaders["accredited"].fillna(False)
                & leaders["supervision_experience"].fillna(False)
            ]
        )
        self.accredited = set(leaders.index[leaders["accredited"].fillna(False)])
        self._cache: dict[tuple, tuple[pd.Series, pd.Series | None]] = {}

    def rows_for(self, route: Route) -> pd.DataFrame:
        """The rows a route counts."""
        frame = getattr(self.tables, route.source)
        if route.activities:
            frame = frame[frame["activity"].isin(route.activities)]
        if route.since:
            cut = frame["trainee"].map(self.tables.trainees[route.since])
            frame = frame[cut.isna() | (frame[self.date_column(route.source)] >= cut)]
        if route.counterpart == "eligible_supervisor":
            frame = frame[frame["supervisor"].isin(self.eligible)]
        elif route.counterpart == "accredited_co_leader":
            frame = frame[frame["co_leader"].isin({f"leader:{i}" for i in self.accredited})]
        return frame

    @staticmethod
    def date_column(source: str) -> str:
        return "signed_off" if source == "portfolio" else "date"

    def count(self, route: Route) -> tuple[pd.Series, pd.Series | None]:
        """The route's count per trainee, and the hours of the same rows for supervision."""
        key = (route.source, route.count, route.activities, route.since, route.counterpart)
        if key not in self._cache:
            rows = self.rows_for(route)
            grouped = rows.groupby("trainee", sort=False)
            match route.count:
                case "sessions":
                    counts = grouped["sessions"].sum()
                case "hours":
                    counts = grouped["hours"].sum()
                case "distinct_events":
                    counts = grouped["event_id"].nunique()
                case "competencies":
                    counts = grouped["competency"].nunique()
                case _:
                    counts = grouped.size()
            hours = grouped["hours"].sum() if route.source == "supervision" else None
            self._cache[key] = (counts.astype(float), hours)
        return self._cache[key]


def _number(value: float) -> str:
    return f"{value:g}"


def _evaluate_requirement(
    requirement: Requirement, trainee: pd.Series, measures: _Measures
) -> RequirementResult:
    trainee_id = trainee["trainee_id"]
    results: list[RouteResult] = []
    for route in requirement.routes:
        register = [trainee[name] for name, _ in route.when]
        if any(pd.isna(v) for v in register):
            continue
        if any(bool(v) != wanted for v, (_, wanted) in zip(register, route.when, strict=True)):
            continue
        counts, hours = measures.count(route)
        achieved = float(counts.get(trainee_id, 0.0))
        results.append(
            RouteResult(
                route.label,
                achieved,
                route.target,
                achieved >= route.target,
                None if hours is None else float(hours.get(trainee_id, 0.0)),
            )
        )
    missing_set = tuple(name for name in requirement.requires_set if pd.isna(trainee[name]))
    if not results:
        target = requirement.routes[0].target
        detail = "cannot be assessed until we know " + (requirement.missing_data or "more")
        return RequirementResult(
            requirement.id, requirement.title, CANNOT_ASSESS, None, target, detail, ()
        )
    met = any(r.met for r in results) and not missing_set
    parts = []
    for r in results:
        part = f"{_number(r.achieved)} of {_number(r.target)} {r.label}"
        if r.hours is not None:
            part += f" ({_number(r.hours)} hour{'' if r.hours == 1 else 's'})"
        parts.append(part)
    if requirement.requires_set:
        label = requirement.requires_label or ", ".join(requirement.requires_set)
        parts.append(f"{label}: {'no' if missing_set else 'yes'}")
    primary = results[0]
    return RequirementResult(
        requirement.id,
        requirement.title,
        MET if met else NOT_MET,
        primary.achieved,
        primary.target,
        "; ".join(parts),
        tuple(results),
        missing_set,
    )


def _sets(frame: pd.DataFrame, by: str, column: str) -> dict[str, set]:
    """For each value of `by`, the set of values of `column`: one grouped pass."""
    if frame.empty:
        return {}
    return {k: set(v) for k, v in frame.groupby(by, sort=False)[column]}


class _AdviceFacts:
    """The per-trainee facts that the advice checks look at, gathered in grouped passes."""

    def __init__(self, tables: Tables, measures: _Measures) -> None:
        att, sup = tables.attendance, tables.supervision
        leading = att[att["activity"].isin(LEADING)]
        co_led = att[att["activity"] == "co_leader"]
        self.leader_sessions = (
            leading[leading["activity"] == "leader"].groupby("trainee")["sessions"].sum()
        )
        self.co_sessions = co_led.groupby("trainee")["sessions"].sum()
        self.leading_settings = _sets(
            leading[leading["setting"] != ""].assign(
                setting_key=lambda f: map_unique(f["setting"], fold_name)
            ),
            "trainee",
            "setting_key",
        )
        self.leading_trainees = set(leading["trainee"])
        # A blank co-leader is nobody (SPEC 2.4): not someone missing from supervision.
        self.co_leaders = _sets(co_led[co_led["co_leader"] != ""], "trainee", "co_leader")
        events = att[att["activity"].isin(LEADERSHIP_EVENTS)]
        if events.empty:
            self.event_days: dict[str, list[int]] = {}
        else:
            per_event = events.groupby(["trainee", "event_id"], sort=False).agg(
                days=("days", "max"), dates=("date", "nunique")
            )
            longest = per_event[["days", "dates"]].max(axis=1)
            self.event_days = {t: list(v) for t, v in longest.groupby(level=0)}
        self.supervision_count = sup.groupby("trainee").size()
        self.supervisors = _sets(sup, "trainee", "supervisor")
        self.ineligible = set(sup.loc[~sup["supervisor"].isin(measures.eligible), "trainee"])
        self.max_present = sup.groupby("trainee")["trainees_present"].max()
        self.co_leader_joined = set(sup.loc[sup["co_leader_present"].fillna(False), "trainee"])
        self.supervision_hours = sup.groupby("trainee")["hours"].sum()
        self.accredited = measures.accredited


def _advice_applies(advice: Advice, t: str, trainee: pd.Series, f: _AdviceFacts) -> bool:
    leads = f.leader_sessions.get(t, 0) > 0
    co_leads = f.co_sessions.get(t, 0) > 0
    co_leaders = f.co_leaders.get(t, set())
    supervisors = set(f.supervisors.get(t, set()))
    if trainee["supervisor"]:
        supervisors.add(trainee["supervisor"])
    match advice.code:
        case "single_setting":
            return t in f.leading_trainees and len(f.leading_settings.get(t, ())) <= 1
        case "solo_leading_only":
            return leads and not co_leads
        case "no_accredited_coleader":
            accredited = {f"leader:{i}" for i in f.accredited}
            return co_leads and not (co_leaders & accredited)
        case "no_two_day_event":
            days = f.event_days.get(t, [])
            return bool(days) and max(days) < advice.min_days
        case "no_supervision":
            return t in f.leading_trainees and f.supervision_count.get(t, 0) == 0
        case "ineligible_supervisor":
            return t in f.ineligible
        case "large_supervision_group":
            return f.max_present.get(t, 0) > advice.max_trainees_present
        case "coleader_not_in_supervision":
            outsiders = {c for c in co_leaders if c.removeprefix("leader:") not in supervisors}
            return (
                f.supervision_count.get(t, 0) > 0
                and bool(outsiders)
                and t not in f.co_leader_joined
            )
        case "triangulation_missing":
            co_leading_supervisors = {s for s in supervisors if f"leader:{s}" in co_leaders}
            overseer = trainee["supervisor_overseen_by"]
            return any(
                not overseer or overseer == s or overseer not in f.accredited
                for s in co_leading_supervisors
            )
    return False


def _next_step(ruleset: Ruleset, overall: str, results: Iterable[RequirementResult]) -> str:
    results = list(results)
    by_id = {q.id: q for q in ruleset.requirements}
    if overall == READY:
        return ruleset.wording.ready
    if overall == NEEDS_DATA:
        missing = [by_id[r.id].missing_data for r in results if r.status == CANNOT_ASSESS]
        return f"{ruleset.wording.needs_data} {'; '.join(m for m in missing if m)}."
    for r in results:
        if r.status == NOT_MET:
            return by_id[r.id].next_step
    return ruleset.wording.all_met_not_ready


def evaluate(tables: Tables, rulesets: tuple[Ruleset, ...]) -> list[TraineeResult]:
    """Assess every trainee in the register, in register order."""
    tables.attendance["event_id"] = event_ids(tables.attendance)
    measures = _Measures(tables)
    facts = _AdviceFacts(tables, measures)
    leader_names = tables.leaders["name"].to_dict()
    results = []
    for trainee in tables.trainees.to_dict("records"):
        trainee = pd.Series(trainee)
        registered = trainee["registered"]
        ruleset = ruleset_for(rulesets, None if pd.isna(registered) else registered.date())
        requirement_results = tuple(
            _evaluate_requirement(q, trainee, measures) for q in ruleset.requirements
        )
        statuses = {r.status for r in requirement_results}
        if CANNOT_ASSESS in statuses:
            overall = NEEDS_DATA
        elif (
            statuses == {MET}
            and _yes(trainee["feels_ready"])
            and not pd.isna(trainee["reference_shared"])
            and not pd.isna(trainee["reference_forwarded"])
        ):
            overall = READY
        else:
            overall = IN_PROGRESS
        t = trainee["trainee_id"]
        advice = tuple(a for a in ruleset.advice if _advice_applies(a, t, trainee, facts))
        hours = float(facts.supervision_hours.get(t, 0.0))
        results.append(
            TraineeResult(
                trainee_id=t,
                name=trainee["name"],
                email=trainee["email"],
                status=trainee["status"] or "active",
                ruleset=ruleset,
                overall=overall,
                requirements=requirement_results,
                advice=advice,
                next_step=_next_step(ruleset, overall, requirement_results),
                supervisor=leader_names.get(trainee["supervisor"], ""),
                supervision_hours=hours,
                cost_low=hours * ruleset.fee.low_per_hour,
                cost_high=hours * ruleset.fee.high_per_hour,
                missing_data=tuple(
                    by.missing_data
                    for by, r in zip(ruleset.requirements, requirement_results, strict=True)
                    if r.status == CANNOT_ASSESS and by.missing_data
                ),
            )
        )
    return results


def _yes(value: object) -> bool:
    return not pd.isna(value) and bool(value)


def route_counts(tables: Tables, routes: Iterable[Route]) -> dict[Route, pd.Series]:
    """Each route's count per trainee over `tables`: the forecast counts at an earlier date."""
    measures = _Measures(tables)
    return {route: measures.count(route)[0] for route in routes}
