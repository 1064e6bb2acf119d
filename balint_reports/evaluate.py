"""Evaluate every trainee against their ruleset: requirements, advice and overall status.

Each measure is one grouped pass over a table; nothing here rescans a table per trainee.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator as op
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .advice import BUILT_IN
from .issues import IssueLog
from .model import (
    CANNOT_ASSESS,
    IN_PROGRESS,
    MET,
    NEEDS_DATA,
    NOT_MET,
    READY,
    Overall,
    RegisterStatus,
    RequirementResult,
    RouteResult,
    TraineeResult,
)
from .ruleset import (
    DATE_FIELDS,
    OPERATORS,
    PERIOD_MONTHS,
    TIME_STEP,
    WHERE_COLUMNS,
    Advice,
    Condition,
    Reference,
    Requirement,
    Route,
    Ruleset,
    Vocabulary,
    ruleset_for,
)
from .values import decision_credit, fold_name, map_unique
from .wording import (
    DEFAULT_WORDS,
    day_text,
    decision_words,
    detail_cannot_assess,
    detail_requires_set,
    detail_whatever_the_answer,
    next_steps,
    per_period_words,
    per_year_words,
    route_detail,
    third_person,
)

LEADING = ("leader", "co_leader")
# A leader with supervision rows this recent is supervising the trainee now, whoever the
# register names: their digest tells them of the trainee (digests.py).
SUPERVISING_NOW_MONTHS = 6
LEADERSHIP_EVENTS = ("leadership_weekend", "leadership_day")
# An event's rows are each dated at most this many days after the previous one (docs/rulesets.md):
# a Friday-to-Monday weekend is one event, the same name a week later another.
EVENT_GAP_DAYS = 3
# The columns a route's count and dates read: the rows it counts carry only these (and the
# route's own sum column), as copying every column of a large table is most of the cost.
COUNTED_COLUMNS = (
    "trainee",
    "date",
    "signed_off",
    "sessions",
    "hours",
    "event_key",
    "competency",
)


# A number filter's operators, and "is", which tests a yes/no as 1/0.
COMPARE = {**OPERATORS, "is": op.eq}


@dataclass(frozen=True)
class Tables:
    """The accepted rows of each kind, on or before the report date, with ids resolved."""

    trainees: pd.DataFrame  # indexed by trainee_id
    leaders: pd.DataFrame  # indexed by leader_id
    attendance: pd.DataFrame
    supervision: pd.DataFrame
    portfolio: pd.DataFrame
    decisions: pd.DataFrame | None = None  # accepted decisions; None when there are none
    as_of: pd.Timestamp | None = None  # the report date: needed by per-year routes


def event_runs(rows: pd.DataFrame) -> pd.Series:
    """Per row, a number for its event: a run of one trainee's rows with one folded `event`
    name (blank is a name too), each dated at most EVENT_GAP_DAYS after the previous
    (docs/rulesets.md).

    `rows` are the rows that count towards one requirement: events are told apart among them.
    One sort and one pass, whatever the number of trainees.
    """
    if rows.empty:
        return pd.Series(np.zeros(0, dtype="int64"), index=rows.index)
    trainees, _ = pd.factorize(rows["trainee"])
    names, _ = pd.factorize(rows["event_key"])
    days = rows["date"].to_numpy("datetime64[D]").astype("int64")
    order = np.lexsort((days, names, trainees))
    trainees, names, days = trainees[order], names[order], days[order]
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = (
        (trainees[1:] != trainees[:-1])
        | (names[1:] != names[:-1])
        | (days[1:] - days[:-1] > EVENT_GAP_DAYS)
    )
    runs = np.empty(len(order), dtype="int64")
    runs[order] = np.cumsum(starts)
    return pd.Series(runs, index=rows.index)


def _full_years(start: pd.Series, end: pd.Series | pd.Timestamp) -> pd.Series:
    """Whole years from `start` to `end` (a pathway year ends on the registration anniversary)."""
    end_year, end_month, end_day = (
        (end.year, end.month, end.day)
        if isinstance(end, pd.Timestamp)
        else (end.dt.year, end.dt.month, end.dt.day)
    )
    before_anniversary = (end_month < start.dt.month) | (
        (end_month == start.dt.month) & (end_day < start.dt.day)
    )
    return end_year - start.dt.year - before_anniversary.astype("Int64")


def _events_lasting(rows: pd.DataFrame, route: Route) -> pd.DataFrame:
    """The rows of the events whose length passes the route's `days` filters (`where = { days
    = ">= 4" }` on distinct events): an event lasts its largest `days`, or its number of dates
    if that is more (docs/rulesets.md): a four-day intensive logged a row per day is four days.
    """
    tests = [(operator, value) for column, operator, value in route.compare if column == "days"]
    if not tests or rows.empty:
        return rows
    runs = rows.groupby("event_run")
    length = np.maximum(
        runs["days"].max().astype(float).to_numpy(), runs["date"].nunique().to_numpy()
    )
    passed = pd.Series(True, index=runs["days"].max().index)
    for operator, value in tests:
        passed &= COMPARE[operator](pd.Series(length, index=passed.index), value)
    return rows[rows["event_run"].map(passed).to_numpy(dtype=bool)]


class _Measures:
    """Per-trainee counts, each computed once per distinct measure over the whole table."""

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
        # as a co_leader cell holds them: asked for once per trainee by the advice
        self.accredited_co_leaders = frozenset(f"leader:{i}" for i in self.accredited)
        self._cache: dict[Route, tuple[pd.Series, pd.Series | None]] = {}
        # The same counts as plain dicts: looked up once per trainee, where Series.get is slow.
        self._lookups: dict[Route, tuple[dict[str, float], dict[str, float] | None]] = {}
        # ...and by route object: a measure is a new Route each time, hashed field by field,
        # and each of 5,000 trainees asks for each of their routes (0.3 s of a federation's run)
        self._lookups_by_route: dict[int, tuple[Route, tuple[dict, dict | None]]] = {}
        self._years: dict[Route, dict[tuple[str, int], float]] = {}
        self._isin: dict[tuple, np.ndarray] = {}

    def _in(self, source: str, column: str, values: Iterable) -> np.ndarray:
        """Which rows of a table have `column` in `values`: routes share these, so once each."""
        key = (source, column, frozenset(values))
        if key not in self._isin:
            frame = getattr(self.tables, source)
            self._isin[key] = frame[column].isin(key[2]).to_numpy(dtype=bool)
        return self._isin[key]

    def rows_for(self, route: Route) -> pd.DataFrame:
        """The rows a route counts."""
        frame = getattr(self.tables, route.source)
        date = self.date_column(route.source)
        # The filters on values are one mask over the whole table and one copy of the rows,
        # rather than a copy of the table per filter.
        keep = np.ones(len(frame), dtype=bool)
        if route.activities:
            keep &= self._in(route.source, "activity", route.activities)
        keep &= self._filtered(frame, route)
        if route.counterpart == "eligible_supervisor":
            keep &= self._in(route.source, "supervisor", self.eligible)
        elif route.counterpart == "accredited_co_leader":
            keep &= self._in(route.source, "co_leader", self.accredited_co_leaders)
        if route.counterpart_has:
            keep &= self._counterpart_has(route)
        counted = {*COUNTED_COLUMNS, route.column, *(c for c, _, _ in route.compare)}
        frame = frame[[c for c in frame.columns if c in counted]]
        if not keep.all():
            frame = frame[keep]
        if route.since:
            cut = frame["trainee"].map(self.tables.trainees[route.since])
            inside = cut.isna() | (frame[date] >= cut)
            if route.within_years:
                inside &= cut.isna() | (_full_years(cut, frame[date]) < route.within_years)
            frame = frame[inside]
        if route.until:
            cut = frame["trainee"].map(self.tables.trainees[route.until])
            frame = frame[cut.isna() | (frame[date] <= cut)]
        if route.count == "distinct_events" and any(c == "days" for c, _, _ in route.compare):
            # An event's length, not a row's: the rows of shorter events do not count, and
            # the letter's list of counted rows leaves them out too.
            frame = _events_lasting(frame.assign(event_run=event_runs(frame)), route)
            frame = frame.drop(columns="event_run")
        return frame

    def _filtered(self, frame: pd.DataFrame, route: Route) -> np.ndarray:
        """The rows passing the route's `where`: values of a vocabulary, text matched as names
        are, numbers and yes/no compared (a blank passes no comparison)."""
        keep = np.ones(len(frame), dtype=bool)
        for column, values in route.where:
            if column in WHERE_COLUMNS[route.source]:
                keep &= self._in(route.source, column, values)
            else:
                keep &= map_unique(frame[column], fold_name).isin(values).to_numpy(dtype=bool)
        for column, operator, value in route.compare:
            if column == "days" and route.count == "distinct_events":
                continue  # an event's length, not a row's: see _events_lasting
            numbers = frame[column].astype("Float64")
            passed = COMPARE[operator](numbers, value)
            keep &= passed.fillna(False).to_numpy(dtype=bool)
        return keep

    def _counterpart_has(self, route: Route) -> np.ndarray:
        """Rows whose supervisor (or co-leader) the leaders register says yes to every one of
        the route's `counterpart_has` fields for: a tier such as a Leader Trainer."""
        leaders = self.tables.leaders
        tier = np.ones(len(leaders), dtype=bool)
        for name in route.counterpart_has:
            tier &= leaders[name].astype("boolean").fillna(False).to_numpy(dtype=bool)
        ids = set(leaders.index[tier])
        if route.source == "supervision":
            return self._in(route.source, "supervisor", ids)
        return self._in(route.source, "co_leader", {f"leader:{i}" for i in ids})

    @staticmethod
    def date_column(source: str) -> str:
        return "signed_off" if source == "portfolio" else "date"

    @staticmethod
    def _aggregate(rows: pd.DataFrame, route: Route, by: list) -> pd.Series:
        """The route's count per group of `by`, in one grouped pass."""
        if route.count == "distinct_groups":
            rows = rows[rows["event_key"] != ""]
            by = [b.loc[rows.index] if isinstance(b, pd.Series) else b for b in by]
        elif route.count == "distinct_events":
            rows = rows.assign(event_run=event_runs(rows))
        grouped = rows.groupby(by, sort=False)
        match route.count:
            case "sessions" | "hours" | "sum":
                counts = grouped[route.column or route.count].sum()
            case "distinct_events":
                counts = grouped["event_run"].nunique()
            case "distinct_groups":
                counts = grouped["event_key"].nunique()
            case "competencies":
                counts = grouped["competency"].nunique()
            case _:
                counts = grouped.size()
        return counts.astype(float)

    def count(self, route: Route) -> tuple[pd.Series, pd.Series | None]:
        """The route's count per trainee, and the hours of the same rows for supervision.

        A share route counts the fraction of its rows that pass `where`; a per-year route
        counts all its years together here (per_year() splits them).
        """
        key = route.measure()
        if key not in self._cache:
            if route.share:
                whole, _ = self.count(replace(key, where=(), compare=(), share=False))
                part, _ = self.count(replace(key, share=False))
                shares = (part.reindex(whole.index, fill_value=0.0) / whole).where(whole > 0)
                self._cache[key] = (shares.dropna(), None)
            else:
                rows = self.rows_for(route)
                counts = self._aggregate(rows, route, ["trainee"])
                hours = (
                    rows.groupby("trainee", sort=False)["hours"].sum()
                    if route.source == "supervision"
                    else None
                )
                self._cache[key] = (counts, hours)
        return self._cache[key]

    def lookup(self, route: Route) -> tuple[dict[str, float], dict[str, float] | None]:
        """count() as dicts from trainee id, for looking up one trainee at a time."""
        found = self._lookups_by_route.get(id(route))
        if found is not None and found[0] is route:  # `is`: an id may be reused
            return found[1]
        key = route.measure()
        if key not in self._lookups:
            counts, hours = self.count(route)
            self._lookups[key] = (counts.to_dict(), None if hours is None else hours.to_dict())
        self._lookups_by_route[id(route)] = (route, self._lookups[key])
        return self._lookups[key]

    def per_year(self, route: Route) -> dict[tuple[str, int], float]:
        """(trainee, pathway year from 0) -> the route's count in that year, in one pass."""
        key = route.measure()
        if key not in self._years:
            rows = self.rows_for(route)
            registered = rows["trainee"].map(self.tables.trainees["registered"])
            year = _full_years(registered, rows[self.date_column(route.source)])
            # Rows before registration belong to no pathway year.
            on_path = year.notna() & (year >= 0)
            counts = self._aggregate(
                rows[on_path], route, [rows["trainee"][on_path], year[on_path].astype(int)]
            )
            self._years[key] = {(t, int(y)): v for (t, y), v in counts.items()}
        return self._years[key]

    def per_period(self, route: Route) -> dict[tuple[str, int], float]:
        """(trainee, period back from the report date's, 0 first) -> the route's count in it.

        Periods are calendar months (or quarters of them) ending with the report date's month,
        so a report at the end of a month counts that month whole."""
        key = route.measure()
        if key not in self._years:
            if self.tables.as_of is None:
                raise ValueError("regularity routes need the report date in Tables.as_of")
            rows = self.rows_for(route)
            dates = rows[self.date_column(route.source)]
            as_of = self.tables.as_of
            back = (as_of.year * 12 + as_of.month) - (dates.dt.year * 12 + dates.dt.month)
            period = back // PERIOD_MONTHS[route.per or ""]
            inside = (back >= 0) & (back < route.over_months)
            counts = self._aggregate(
                rows[inside], route, [rows["trainee"][inside], period[inside].astype(int)]
            )
            self._years[key] = {(t, int(p)): v for (t, p), v in counts.items()}
        return self._years[key]

    def completed_years(self, registered: pd.Timestamp) -> int:
        """Pathway years completed by the report date."""
        if self.tables.as_of is None:
            raise ValueError("per-year routes need the report date in Tables.as_of")
        as_of = self.tables.as_of
        # _full_years for one date, without building a Series per trainee
        before_anniversary = (as_of.month, as_of.day) < (registered.month, registered.day)
        return as_of.year - registered.year - int(before_anniversary)


def _applies(route: Route, trainee: dict) -> bool:
    """Whether the trainee's register says this route is theirs (unknown: it is not)."""
    register = [trainee[name] for name, _ in route.when]
    if any(pd.isna(v) for v in register):
        return False
    if route.per == "pathway_year" and pd.isna(trainee["registered"]):
        return False
    return all(bool(v) == wanted for v, (_, wanted) in zip(register, route.when, strict=True))


def _route_result(
    route: Route, trainee: dict, measures: _Measures, extra: float = 0.0
) -> RouteResult:
    """How far the trainee is along a route that applies to them, `extra` credited on top.

    Credit adds to counts; a share is a proportion, so credit leaves it as it is.
    """
    trainee_id = trainee["trainee_id"]
    counts, hours = measures.lookup(route)
    extra = 0.0 if route.share else extra
    achieved = float(counts.get(trainee_id, 0.0)) + extra
    if route.share:  # four places are plenty for a proportion, and survive a spreadsheet
        achieved = round(achieved, 4)
    met = achieved >= route.target
    per_year = ""
    if route.per == "pathway_year":
        achieved, met, per_year = _per_year(route, trainee, measures, extra)
    elif route.per:
        achieved, met, per_year = _per_period(route, trainee_id, measures, extra)
    return RouteResult(
        route.label,
        achieved,
        route.target,
        met,
        None if hours is None else float(hours.get(trainee_id, 0.0)),
        route.share,
        per_year,
        extra,
    )


def _per_year(
    route: Route, trainee: dict, measures: _Measures, extra: float
) -> tuple[float, bool, str]:
    """A per-pathway-year route: the weakest completed year's count, met, and the detail."""
    by_year = measures.per_year(route)
    completed = measures.completed_years(trainee["registered"])
    # With no pathway year completed yet, the year under way is judged on what it has:
    # met once it reaches the yearly target, not met (yet) before.
    assessed = range(max(completed, 1))
    values = [by_year.get((trainee["trainee_id"], y), 0.0) for y in assessed]
    achieved = min(values) + extra
    met = achieved >= route.target and completed >= route.years
    return achieved, met, per_year_words(values if completed else [], completed, route.years)


def _per_period(
    route: Route, trainee_id: str, measures: _Measures, extra: float
) -> tuple[float, bool, str]:
    """A regularity route: the weakest month (or quarter) of the last `over_months`, met when
    even that one reaches the target; a month with nothing is a gap, counted as 0."""
    size = PERIOD_MONTHS[route.per or ""]
    periods = route.over_months // size
    by_period = measures.per_period(route)
    values = [by_period.get((trainee_id, p), 0.0) for p in range(periods)]
    achieved = min(values) + extra
    short = sum(1 for v in values if v + extra < route.target)
    detail = per_period_words(route.per or "", route.over_months, short, periods, route.target)
    return achieved, achieved >= route.target, detail


@dataclass(frozen=True)
class _Decided:
    """The team's decisions on one requirement of one trainee, gathered in one pass."""

    credit: float
    approved: int  # distinct external events approved as equivalent
    waived: bool
    short: tuple[str, ...]  # for the detail column
    words: tuple[str, ...]  # for the letter


def _decisions(
    decisions: pd.DataFrame | None, leader_names: dict, vocabularies: dict[str, Vocabulary]
) -> dict[tuple, _Decided]:
    """(trainee_id, requirement id) -> what the team decided, oldest decision first; the
    letter's words in each trainee's society's `vocabularies`."""
    if decisions is None or decisions.empty:
        return {}
    found: dict[tuple, _Decided] = {}
    ordered = decisions.sort_values("date", kind="stable")
    for (trainee_id, requirement), rows in ordered.groupby(["trainee", "requirement"], sort=False):
        short, words = [], []
        for row in rows.to_dict("records"):
            brief, told = decision_words(
                row["decision"],
                row["event"],
                leader_names.get(row["decided_by"], ""),
                row["date"].date(),
                row["reason"],
                vocabularies.get(trainee_id, DEFAULT_WORDS),
            )
            short.append(brief)
            words.append(told)
        approvals = rows.loc[rows["decision"] == "approve", "event_key"]
        found[(trainee_id, requirement)] = _Decided(
            credit=float(rows["decision"].map(decision_credit).sum()),
            approved=int(approvals.nunique()),
            waived=bool((rows["decision"] == "waive").any()),
            short=tuple(short),
            words=tuple(words),
        )
    return found


def _shown(results: Iterable[RouteResult]) -> RouteResult | None:
    """The route whose numbers are shown: the first met, else the one furthest along."""
    results = list(results)
    met = [r for r in results if r.met]
    if met:
        return met[0]
    return max(results, key=lambda r: r.achieved / r.target, default=None)


def _blank_answers(requirement: Requirement, trainee: dict) -> tuple[str, ...]:
    """The register yes/no fields that decide which routes apply and are blank for the trainee."""
    fields = dict.fromkeys(name for route in requirement.routes for name, _ in route.when)
    return tuple(name for name in fields if pd.isna(trainee[name]))


def _evaluate_requirement(
    requirement: Requirement, trainee: dict, measures: _Measures, decided: _Decided | None
) -> RequirementResult:
    # An approved external event counts as one more of whatever the requirement counts.
    extra = decided.credit + decided.approved if decided else 0.0
    missing_set = tuple(name for name in requirement.requires_set if pd.isna(trainee[name]))
    # A blank answer that decides which routes apply is tried both ways (docs/rulesets.md): "no"
    # first, as the stricter answer is the one whose numbers a met requirement shows.
    blank = _blank_answers(requirement, trainee)
    answers = (
        [
            {**trainee, **dict(zip(blank, values, strict=True))}
            for values in itertools.product((False, True), repeat=len(blank))
        ]
        if blank
        else [trainee]  # the usual case: no copy per trainee and requirement
    )
    computed: dict[int, RouteResult] = {}
    outcomes: list[tuple[bool, RouteResult | None]] = []
    # The routes shown are those of the first answer ("no" when one is blank): with a blank
    # answer, the other answer's routes are not the trainee's as far as anyone knows.
    results: list[RouteResult] = []
    for view in answers:
        applying = []
        for i, route in enumerate(requirement.routes):
            if _applies(route, view):
                if i not in computed:
                    computed[i] = _route_result(route, trainee, measures, extra)
                applying.append(computed[i])
        outcomes.append((any(r.met for r in applying) and not missing_set, _shown(applying)))
        if view is answers[0]:
            results = applying
    shown = outcomes[0][1]
    noted = decided.short if decided else ()
    met_every_way = all(met for met, _ in outcomes)
    # Not met whatever the answer is still news only if every answer shows the same target.
    same_target = len({(r.label, r.target) if r else None for _, r in outcomes}) == 1
    decided_either_way = met_every_way or (same_target and not any(m for m, _ in outcomes))
    # The detail is the team's (summary, dashboard, evidence), while the ruleset's texts are
    # written to the trainee: "whether they have", "their supervisor's report".
    unknown = third_person(requirement.missing_data) or ", ".join(blank)
    if shown is None or not decided_either_way:
        target = requirement.routes[0].target
        parts = [detail_cannot_assess(unknown)]
        status, achieved, shown, results = CANNOT_ASSESS, None, None, []
    else:
        parts = [route_detail(r) for r in results]
        if requirement.requires_set:
            label = third_person(requirement.requires_label) or ", ".join(requirement.requires_set)
            parts.append(detail_requires_set(label, bool(missing_set)))
        if blank:
            parts.append(detail_whatever_the_answer(met_every_way, unknown))
        status = MET if met_every_way else NOT_MET
        achieved, target = shown.achieved, shown.target
    if decided and decided.waived:
        status = MET
    return RequirementResult(
        requirement.id,
        requirement.title,
        status,
        achieved,
        target,
        "; ".join([*parts, *noted]),
        tuple(results),
        decided.words if decided else (),
        missing_set,
    )


def _sets(frame: pd.DataFrame, by: str, column: str) -> dict[str, set]:
    """For each value of `by`, the set of values of `column`.

    Duplicates go first, in one vectorised pass: the loop then sees each pair once.
    """
    sets: dict[str, set] = {}
    pairs = frame[[by, column]].drop_duplicates()
    # Through object arrays: iterating a column of pandas' string type boxes each cell, which
    # took 0.3 s for the federation's 460,000 pairs.
    keys, values = (pairs[c].to_numpy(dtype=object) for c in (by, column))
    for key, value in zip(keys, values, strict=True):
        sets.setdefault(key, set()).add(value)
    return sets


class AdviceFacts:
    """The per-trainee facts that the advice checks look at, gathered in grouped passes.

    Per-trainee numbers are plain dicts: each is looked up once per trainee.
    """

    def __init__(self, tables: Tables, measures: _Measures) -> None:
        # Only the columns looked at here: each filter below copies the rows it keeps.
        att = tables.attendance[
            ["trainee", "activity", "sessions", "setting", "co_leader", "event_key", "days", "date"]
        ]
        sup = tables.supervision
        leading = att[att["activity"].isin(LEADING)]
        co_led = leading[leading["activity"] == "co_leader"]
        self.leader_sessions = (
            leading[leading["activity"] == "leader"].groupby("trainee")["sessions"].sum().to_dict()
        )
        self.co_sessions = co_led.groupby("trainee")["sessions"].sum().to_dict()
        self.leading_settings = _sets(
            leading[leading["setting"] != ""].assign(
                setting_key=lambda f: map_unique(f["setting"], fold_name)
            ),
            "trainee",
            "setting_key",
        )
        self.leading_trainees = set(leading["trainee"].unique())
        # A blank co-leader is nobody (docs/contract.md#people), not someone missing from
        # supervision.
        self.co_leaders = _sets(co_led[co_led["co_leader"] != ""], "trainee", "co_leader")
        events = att[att["activity"].isin(LEADERSHIP_EVENTS)]
        if events.empty:
            self.event_days: dict[str, list[int]] = {}
        else:
            # An event's length is its largest `days`, or its number of dates if larger.
            runs = event_runs(events)
            per_event = events.groupby([events["trainee"], runs], sort=False).agg(
                days=("days", "max"), dates=("date", "nunique")
            )
            longest = per_event[["days", "dates"]].max(axis=1)
            self.event_days = {}
            for (trainee, _), days in longest.items():
                self.event_days.setdefault(trainee, []).append(days)
        self.supervision_count = sup.groupby("trainee").size().to_dict()
        self.supervisors = _sets(sup, "trainee", "supervisor")
        self.supervising_now: dict[str, set] = {}
        if tables.as_of is not None:
            since = tables.as_of - pd.DateOffset(months=SUPERVISING_NOW_MONTHS)
            self.supervising_now = _sets(sup.loc[sup["date"] > since], "trainee", "supervisor")
        self.ineligible = set(
            sup.loc[~sup["supervisor"].isin(measures.eligible), "trainee"].unique()
        )
        self.max_present = sup.groupby("trainee")["trainees_present"].max().to_dict()
        self.co_leader_joined = set(
            sup.loc[sup["co_leader_present"].fillna(False), "trainee"].unique()
        )
        # With anyone: hours that do not count towards supervision were still had and paid
        # for; whether they count is the supervision requirement's to say, not this number's.
        self.supervision_hours = sup.groupby("trainee")["hours"].sum().to_dict()
        self.accredited = measures.accredited
        self.accredited_co_leaders = measures.accredited_co_leaders
        self.outside_signoffs = _outside_signoffs(tables, measures.eligible)


def _outside_signoffs(tables: Tables, eligible: set[str]) -> set[str]:
    """Trainees with a competency whose sign-offs are all by someone who is neither an eligible
    supervisor nor one of their supervisors (register's or in their supervision rows).

    A blank or unknown signer (`?`) might be anyone, so it never counts against a competency.
    """
    signed = tables.portfolio
    if signed.empty or "signed_off_by" not in signed:
        return set()
    register = tables.trainees["supervisor"]
    register = register[register.fillna("") != ""]
    theirs = pd.MultiIndex.from_arrays(
        [
            pd.concat([tables.supervision["trainee"], pd.Series(register.index, dtype=object)]),
            pd.concat([tables.supervision["supervisor"], register.reset_index(drop=True)]),
        ]
    )
    signer = signed["signed_off_by"].fillna("")
    pairs = pd.MultiIndex.from_arrays([signed["trainee"], signer])
    outsider = (
        ~signer.isin(["", "?"]).to_numpy() & ~signer.isin(eligible).to_numpy() & ~pairs.isin(theirs)
    )
    by_competency = pd.Series(outsider, index=signed.index).groupby(
        [signed["trainee"], signed["competency"]], sort=False
    )
    every_one = by_competency.all()
    return set(every_one[every_one].index.get_level_values(0))


def _condition_holds(condition: Condition, trainee: dict, measures: _Measures) -> bool:
    route = condition.route
    if not _applies(route, trainee):
        return False
    if route.share and trainee["trainee_id"] not in measures.lookup(route)[0]:
        return False  # no rows at all: there is no share to judge
    return condition.holds(_route_result(route, trainee, measures).achieved)


def _advice_applies(
    advice: Advice, t: str, trainee: dict, f: AdviceFacts, measures: _Measures
) -> bool:
    if advice.conditions:
        return all(_condition_holds(c, trainee, measures) for c in advice.conditions)
    return BUILT_IN[advice.code].applies(f, t, trainee, advice)


def _decided_words(tables: Tables, rulesets: tuple[Ruleset, ...]) -> dict[str, Vocabulary]:
    """The society's words of each trainee the team decided about, by their ruleset."""
    if tables.decisions is None or tables.decisions.empty:
        return {}
    decided = set(tables.decisions["trainee"])
    trainees = tables.trainees
    return {
        t: ruleset_for(rulesets, None if pd.isna(registered) else registered.date()).vocabulary
        for t, registered in zip(trainees["trainee_id"], trainees["registered"], strict=True)
        if t in decided
    }


def evaluate(tables: Tables, rulesets: tuple[Ruleset, ...]) -> list[TraineeResult]:
    """Assess every trainee in the register, in register order."""
    measures = _Measures(tables)
    facts = AdviceFacts(tables, measures)
    leader_names = tables.leaders["name"].to_dict()
    decided = _decisions(tables.decisions, leader_names, _decided_words(tables, rulesets))
    results = []
    for trainee in tables.trainees.to_dict("records"):
        registered = trainee["registered"]
        ruleset = ruleset_for(rulesets, None if pd.isna(registered) else registered.date())
        requirement_results = tuple(
            _evaluate_requirement(q, trainee, measures, decided.get((trainee["trainee_id"], q.id)))
            for q in ruleset.requirements
        )
        waiting = _waiting(ruleset, trainee, tables.as_of)
        overall = _overall(ruleset, requirement_results, waiting)
        t = trainee["trainee_id"]
        advice = tuple(a for a in ruleset.advice if _advice_applies(a, t, trainee, facts, measures))
        hours = float(facts.supervision_hours.get(t, 0.0))
        fee = ruleset.fee
        # The cost to date is of the hours shown beside it, so the two never disagree; without
        # hours an hourly fee shows nothing (never "£0–£0"), and other fees do not use hours.
        cost = (
            fee.cost(hours, _years_begun(registered, tables.as_of))
            if fee and (hours or fee.per != "hour")
            else None
        )
        status = RegisterStatus.of(trainee["status"])
        feels_ready = None if pd.isna(trainee["feels_ready"]) else bool(trainee["feels_ready"])
        dates = _dates(ruleset, trainee)
        steps, next_step = next_steps(
            ruleset, status, overall, requirement_results, feels_ready, dict(dates), waiting
        )
        requirement_results = tuple(
            replace(r, next_step=step) for r, step in zip(requirement_results, steps, strict=True)
        )
        results.append(
            TraineeResult(
                trainee_id=t,
                name=trainee["name"],
                email=trainee["email"],
                status=status,
                ruleset=ruleset,
                overall=overall,
                requirements=requirement_results,
                advice=advice,
                next_step=next_step,
                supervisor=leader_names.get(trainee["supervisor"], ""),
                supervisor_id=trainee["supervisor"] or "",
                supervised_by=tuple(sorted(facts.supervisors.get(t, ()))),
                supervising_now=tuple(sorted(facts.supervising_now.get(t, ()))),
                supervision_hours=hours,
                cost_low=cost[0] if cost else None,
                cost_high=cost[1] if cost else None,
                feels_ready=feels_ready,
                dates=dates,
            )
        )
    return results


def _yes(value: object) -> bool:
    """A yes/no field that says yes, or a date that is set (a date is never falsy)."""
    return not pd.isna(value) and bool(value)


def _months(start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Whole calendar months from `start` to `end` (1 March to 1 April is one)."""
    return (end.year - start.year) * 12 + end.month - start.month - int(end.day < start.day)


def _years_begun(registered: object, as_of: pd.Timestamp | None) -> int | None:
    """Pathway years begun by the report date (a yearly fee is due for each); None: unknown."""
    if as_of is None or not isinstance(registered, pd.Timestamp) or registered > as_of:
        return None
    return _months(registered, as_of) // 12 + 1


def _dates(ruleset: Ruleset, trainee: dict) -> tuple[tuple[str, dt.date], ...]:
    """The register dates that are set: the built-in ones and the ruleset's own."""
    own = tuple(c.name for kind, c in ruleset.columns if kind == "trainees" and c.type == "date")
    return tuple(
        (name, trainee[name].date())
        for name in (*DATE_FIELDS, *own)
        if isinstance(trainee.get(name), pd.Timestamp)
    )


def _waiting(ruleset: Ruleset, trainee: dict, as_of: pd.Timestamp | None) -> tuple[str, ...]:
    """What readiness still waits for beyond the requirements, in its order: the time on the
    pathway (TIME_STEP), then each [readiness] register field that does not hold yet."""
    readiness = ruleset.readiness
    waiting = []
    if readiness.min_months and as_of is not None:
        start = trainee.get(readiness.months_from)
        if not isinstance(start, pd.Timestamp) or _months(start, as_of) < readiness.min_months:
            waiting.append(TIME_STEP)
    waiting += [name for name in readiness.fields if not _yes(trainee.get(name))]
    return tuple(waiting)


def _overall(
    ruleset: Ruleset, results: tuple[RequirementResult, ...], waiting: tuple[str, ...]
) -> Overall:
    """needs_data, ready (the ruleset's [readiness]: its requirements met, nothing `waiting`)
    or in_progress."""
    if any(r.status == CANNOT_ASSESS for r in results):
        return NEEDS_DATA
    if not waiting and all(r.status == MET for r in results if ruleset.readiness.counts(r.id)):
        return READY
    return IN_PROGRESS


# How a warning names each step of a reference (docs/rulesets.md, References).
STEP_WORDS = {
    "requested": "requested",
    "received": "received",
    "shared": "shared with the trainee",
    "forwarded": "forwarded to the {team}",
}


def reference_order_issues(
    tables: Tables, log: IssueLog, rulesets: tuple[Ruleset, ...], supervision_read: bool = True
) -> None:
    """Warn on each register row whose reference steps are dated out of order, or whose
    supervisor's report was received before the trainee's first eligible supervision session
    (docs/rulesets.md): each reference of the trainee's own ruleset, its own dates.

    Each later step is compared with the nearest earlier step that is set; the dates are still
    used as written, so these are warnings. Without any supervision sheet read (`check` on the
    registers alone) the second test would blame every received report, so it is left out.
    """
    trainees = tables.trainees
    if trainees.empty:
        return
    # each trainee's ruleset, as evaluate picks it: one pass over the register
    ruleset_ids = np.array(
        [
            ruleset_for(rulesets, None if pd.isna(day) else day.date()).id
            for day in trainees["registered"]
        ],
        dtype=object,
    )
    for ruleset in rulesets:
        theirs = trainees.loc[ruleset_ids == ruleset.id]
        if theirs.empty:
            continue
        for reference in ruleset.references:
            _steps_out_of_order(theirs, reference, ruleset.vocabulary.team, log)
        supervisor = ruleset.supervisor_reference()
        if supervisor is not None and supervision_read:
            _report_before_supervision(tables, theirs, supervisor, log)


def _steps_out_of_order(
    trainees: pd.DataFrame, reference: Reference, team: str, log: IssueLog
) -> None:
    """One reference's later steps dated before its earlier ones."""
    if len(reference.steps) < 2:
        return
    noun = reference.name or "reference"
    (first_role, first), *rest = reference.steps
    earlier = trainees[first]
    earlier_words = pd.Series(STEP_WORDS[first_role], index=trainees.index)
    for role, column in rest:
        words = STEP_WORDS[role].format(team=team)
        later = trainees[column]
        wrong = (later < earlier).fillna(False).to_numpy(dtype=bool)
        if wrong.any():
            log.add_rows(
                "warning",
                trainees[wrong],
                column,
                later[wrong].dt.strftime("%Y-%m-%d"),
                code="reference_out_of_order",
                reference=noun,
                step=words,
                on=later[wrong].map(day_text),
                earlier_step=earlier_words[wrong],
                earlier=earlier[wrong].map(day_text),
            )
        is_set = later.notna().to_numpy(dtype=bool)
        earlier = earlier.where(~is_set, later)
        earlier_words = earlier_words.where(~is_set, words)


def _report_before_supervision(
    tables: Tables, trainees: pd.DataFrame, reference: Reference, log: IssueLog
) -> None:
    """The supervisor's report received before the first session with an eligible supervisor,
    or with none."""
    column = reference.received
    noun = reference.name or "supervisor's report"
    leaders = tables.leaders
    eligible = leaders.index[
        leaders["accredited"].fillna(False) & leaders["supervision_experience"].fillna(False)
    ]
    sup = tables.supervision
    first = sup.loc[sup["supervisor"].isin(eligible)].groupby("trainee")["date"].min()
    received = trainees[column]
    first_session = first.reindex(trainees.index).astype("datetime64[ns]")
    early = received.notna() & (first_session.isna() | (received < first_session))
    early = early.to_numpy(dtype=bool)
    if not early.any():
        return
    first_session = first_session[early]
    log.add_rows(
        "warning",
        trainees[early],
        column,
        received[early].dt.strftime("%Y-%m-%d"),
        code="reference_before_supervision",
        reference=noun,
        on=received[early].map(day_text),
        case=np.where(first_session.notna(), "before_first", "no_session").astype(object),
        first_session=first_session.map(day_text, na_action="ignore").fillna(""),
    )


def recent_dates(
    tables: Tables, routes: Iterable[Route], after: pd.Timestamp
) -> dict[Route, dict[str, tuple[int, pd.Timestamp]]]:
    """Per route, per trainee, how many distinct dates its counted rows have after `after`
    (how many dated contributions a forecast's pace rests on) and the latest of them. One
    grouped pass per measure."""
    measures = _Measures(tables)
    by_measure: dict[Route, dict[str, tuple[int, pd.Timestamp]]] = {}
    found: dict[Route, dict[str, tuple[int, pd.Timestamp]]] = {}
    for route in routes:
        key = route.measure()
        if key not in by_measure:
            rows = measures.rows_for(route)
            date = measures.date_column(route.source)
            recent = rows.loc[rows[date] > after].groupby("trainee")[date]
            by_measure[key] = {
                trainee: (int(count), latest)
                for (trainee, count), latest in zip(
                    recent.nunique().items(), recent.max(), strict=True
                )
            }
        found[route] = by_measure[key]
    return found


def route_counts(tables: Tables, routes: Iterable[Route]) -> dict[Route, dict[str, float]]:
    """Each route's count per trainee over `tables`: the forecast counts at an earlier date."""
    measures = _Measures(tables)
    return {route: measures.lookup(route)[0] for route in routes}


def counted_rows(tables: Tables, route: Route) -> pd.DataFrame:
    """The rows a route counts, keeping the index of their table in `tables` (for evidence)."""
    return _Measures(tables).rows_for(route)


def columns_read(routes: Iterable[Route]) -> set[str]:
    """The columns of the activity tables that counting `routes` reads, filters included."""
    columns = {*COUNTED_COLUMNS, "activity", "supervisor", "co_leader"}
    for route in routes:
        columns.update(column for column, _ in route.where)
        columns.update(column for column, _, _ in route.compare)
        if route.column:
            columns.add(route.column)
    return columns
