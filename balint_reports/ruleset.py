"""Rulesets: a society's requirements as TOML, loaded into checked dataclasses."""

from __future__ import annotations

import datetime as dt
import operator as op
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from .advice import BUILT_IN
from .errors import RulesetError
from .schema import KINDS_BY_NAME, VOCABULARIES, Column, ValueType, with_columns
from .values import fold_name, loose_key

DEFAULT_RULESET = "uk-2019"

SOURCES = ("attendance", "supervision", "portfolio")
COUNTS = {
    "sessions": ("attendance",),
    "rows": SOURCES,
    "hours": ("supervision",),
    "sum": ("attendance", "supervision"),  # of the number column named by `column`
    "distinct_events": ("attendance",),
    "distinct_groups": ("attendance",),
    "competencies": ("portfolio",),
}
# The number columns a `sum` can add up, and the vocabulary columns `where` can test.
SUM_COLUMNS = {
    source: tuple(
        c.name
        for c in KINDS_BY_NAME[source].columns
        if c.type in (ValueType.WHOLE, ValueType.DECIMAL)
    )
    for source in SOURCES
}
WHERE_COLUMNS = {
    source: {
        c.name: tuple(VOCABULARIES[c.vocabulary or ""].values)
        for c in KINDS_BY_NAME[source].columns
        if c.type is ValueType.VOCAB
    }
    for source in SOURCES
}
PER = ("pathway_year", "month", "quarter")
COUNTERPARTS = {"eligible_supervisor": "supervision", "accredited_co_leader": "attendance"}
# The built-in advice codes: advice.BUILT_IN is the one registry of them.
ADVICE_CHECKS = tuple(BUILT_IN)
TRAINEE_COLUMNS = KINDS_BY_NAME["trainees"]
YESNO_FIELDS = tuple(c.name for c in TRAINEE_COLUMNS.columns if c.type is ValueType.YESNO)
DATE_FIELDS = tuple(c.name for c in TRAINEE_COLUMNS.columns if c.type is ValueType.DATE)


@dataclass(frozen=True)
class Competency:
    """One competency of the portfolio."""

    number: int
    id: str
    title: str


@dataclass(frozen=True)
class Route:
    """One way of meeting a requirement: a count of accepted rows compared with a target."""

    source: str
    count: str
    target: float
    label: str
    when: tuple[tuple[str, bool], ...] = ()  # register yes/no fields that must hold
    activities: tuple[str, ...] = ()
    since: str | None = None  # rows dated on or after this register date count
    counterpart: str | None = None
    column: str | None = None  # the number column a `sum` adds up
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()  # vocabulary column -> allowed values
    until: str | None = None  # rows dated on or before this register date count
    within_years: int | None = None  # rows dated less than this many years after `since`
    per: str | None = None  # "pathway_year": the target holds in each completed pathway year
    years: int = 0  # with `per`: completed pathway years needed before it can be met
    share: bool = False  # the count with `where` as a fraction of the count without it
    next_step: str = ""  # what to do while this route is the one shown and not met
    # number and yes/no filters: (column, operator, value), yes/no as 1 or 0
    compare: tuple[tuple[str, str, float], ...] = ()
    # leaders-register yes/no fields the counterpart (supervisor, co-leader) must say yes to
    counterpart_has: tuple[str, ...] = ()
    # with `per` = "month" or "quarter": the months, up to the report date's, looked at
    over_months: int = 0

    def measure(self) -> Route:
        """The route without its target and wording: routes with equal measures count alike."""
        return replace(self, target=0, label="", when=(), years=0, next_step="")


@dataclass(frozen=True)
class Condition:
    """An advice condition: a route's measure compared with a threshold."""

    route: Route
    below: float | None = None
    at_least: float | None = None

    def holds(self, value: float) -> bool:
        """Whether a trainee's value of the measure meets the comparison."""
        if self.below is not None:
            return value < self.below
        return value >= (self.at_least or 0.0)


@dataclass(frozen=True)
class Requirement:
    """A requirement: met when any applicable route is met and the needed dates are set."""

    id: str
    title: str
    what_counts: str
    unit: str
    next_step: str
    routes: tuple[Route, ...]
    missing_data: str = ""
    requires_set: tuple[str, ...] = ()
    requires_label: str = ""


@dataclass(frozen=True)
class Advice:
    """An advisory check with its letter wording and parameters."""

    code: str
    message: str
    min_days: int = 2
    max_trainees_present: int = 2
    conditions: tuple[Condition, ...] = ()  # all must hold; empty for a built-in check
    for_supervisor: str = ""  # the digest's words to the trainee's supervisor; empty: not shown


@dataclass(frozen=True)
class Fee:
    """The suggested fee: per supervision hour (the UK's), per pathway year, or once."""

    currency: str
    low_per_hour: float  # the low end of the range, per `per` (the name is the UK's)
    high_per_hour: float
    per: str = "hour"  # "hour", "year" (each pathway year begun) or "once"

    def cost(self, hours: float, years_begun: int | None) -> tuple[float, float] | None:
        """The cost range to date; None when it depends on a registration date not known."""
        times = {"hour": hours, "once": 1.0}.get(self.per)
        if times is None:
            if years_begun is None:
                return None
            times = float(years_begun)
        return times * self.low_per_hour, times * self.high_per_hour


# The register fields a next step can be about, in the order the reference moves: asked
# for, received, shared with the trainee, forwarded to the team (docs/rulesets.md).
REFERENCE_CHAIN = (
    "reference_requested",
    "reference_received",
    "reference_shared",
    "reference_forwarded",
)


@dataclass(frozen=True)
class Readiness:
    """What makes a trainee ready to apply once their requirements are met (docs/rulesets.md).

    uk-2019's rule is the default, so that a society's file written before [readiness]
    existed keeps meaning what it meant.
    """

    # the requirement ids that must be met; empty: all of them
    requirements: tuple[str, ...] = ()
    # register fields that must hold (a yes/no says yes, a date is filled in); a trainee's
    # steps are given in this order
    fields: tuple[str, ...] = ("feels_ready", "reference_shared", "reference_forwarded")
    # register dates that happen in this order: the step for a blank one is the step for the
    # first blank one up to it (a report never asked for is asked for, not chased)
    order: tuple[str, ...] = REFERENCE_CHAIN
    # whole months on the pathway, from the register date `months_from`, before ready
    min_months: int = 0
    months_from: str = "registered"

    def counts(self, requirement_id: str) -> bool:
        """Whether the requirement must be met for the trainee to be ready."""
        return not self.requirements or requirement_id in self.requirements

    def first_gap(self, field_name: str, is_set: Callable[[str], bool]) -> str:
        """The field whose step stands for a blank `field_name`: the first blank before it in
        `order`, or itself."""
        if field_name in self.order:
            chain = self.order[: self.order.index(field_name) + 1]
            return next((f for f in chain if not is_set(f)), field_name)
        return field_name


# A reference's steps, in the order they happen, as the keys of [[references]] name them.
REFERENCE_ROLES = ("requested", "received", "shared", "forwarded")
# Who writes a reference: the trainee's supervisor (their digest asks for it), or someone else
# (a co-leader: nobody's digest asks for it).
REFERENCE_BY = ("supervisor", "other")


@dataclass(frozen=True)
class Reference:
    """A written report the pathway waits for: who writes it, and the register dates that
    record its steps, in order (docs/rulesets.md, References)."""

    steps: tuple[tuple[str, str], ...]  # (role, register date), roles in REFERENCE_ROLES order
    by: str = "supervisor"
    name: str = ""  # how warnings and digests name it; blank: the UK's words

    def field(self, role: str) -> str | None:
        """The register date of a step (`requested`), or None when the reference has none."""
        return dict(self.steps).get(role)

    @property
    def received(self) -> str:
        """The register date of its receipt, which every reference has ([[references]] require
        it; default_references makes none without it)."""
        return dict(self.steps)["received"]


def default_references(readiness: Readiness) -> tuple[Reference, ...]:
    """Without [[references]]: the supervisor's reference, its steps the built-in reference
    dates of the readiness `order` (uk-2019: requested, received, shared, forwarded). As with
    [[references]], only an order with a received date makes one: a report that can never be
    seen as received would be chased for ever."""
    steps = tuple(
        (name.removeprefix("reference_"), name)
        for name in readiness.order
        if name in REFERENCE_CHAIN
    )
    return (Reference(steps),) if "received" in dict(steps) else ()


@dataclass(frozen=True)
class Wording:
    """The ruleset's words for the overall status, and the step for each missing register field."""

    ready: str
    all_met_not_ready: str
    needs_data: str
    in_progress: str
    paused: str = ""
    # register field -> what the trainee does while it is not set; may name dates of the
    # register as {field}
    steps: tuple[tuple[str, str], ...] = ()

    def step(self, field_name: str) -> str:
        """The step for a register field that is not set yet, or empty when there is none."""
        return dict(self.steps).get(field_name, "")


@dataclass(frozen=True)
class Vocabulary:
    """The society's own words for what letters and digests name ("credentialing")."""

    accreditation: str = "accreditation"
    team: str = "leadership team"
    activities: tuple[tuple[str, str], ...] = ()  # activity -> its name, e.g. "intensive"

    def activity(self, activity: str, default: str) -> str:
        """The society's name for an activity, or `default`."""
        return dict(self.activities).get(activity, default)


def shared_vocabulary(
    vocabularies: Iterable[Vocabulary], otherwise: Vocabulary = Vocabulary()
) -> Vocabulary:
    """The words of what speaks for several trainees at once (an email's subject, a note to a
    spreadsheet's sender, a supervisor's digest): theirs when they agree, as they do when a
    society runs its own rules; else `otherwise`."""
    found = set(vocabularies)
    return found.pop() if len(found) == 1 else otherwise


@dataclass(frozen=True)
class Ruleset:
    """A society's requirements, effective from a date."""

    id: str
    title: str
    effective_from: dt.date
    fee: Fee | None
    wording: Wording
    competencies: tuple[Competency, ...]
    requirements: tuple[Requirement, ...]
    advice: tuple[Advice, ...]
    path: str
    readiness: Readiness = Readiness()
    # (kind, column): the society's own columns, read from its sheets (docs/rulesets.md)
    columns: tuple[tuple[str, Column], ...] = ()
    vocabulary: Vocabulary = Vocabulary()
    # the written reports the pathway waits for; the default is the readiness order's
    references: tuple[Reference, ...] = default_references(Readiness())

    def supervisor_reference(self) -> Reference | None:
        """The first reference the trainee's supervisor writes: the one their digest asks
        for, chased when overdue."""
        return next((r for r in self.references if r.by == "supervisor"), None)

    def competency_lookup(self) -> dict[str, str]:
        """Loosely folded id, number or title (values.loose_key) -> competency id."""
        lookup: dict[str, str] = {}
        for c in self.competencies:
            for text in (c.id, str(c.number), c.title):
                lookup[loose_key(text)] = c.id
        return lookup


class _Reader:
    """Reads keys of one TOML table, naming file and key in every error."""

    def __init__(self, path: str, data: dict, where: str) -> None:
        self.path, self.data, self.where = path, data, where

    def fail(self, key: str, expected: str) -> RulesetError:
        got = self.data.get(key, "nothing")
        return RulesetError(f"{self.path}: {self.where}{key}: expected {expected}, got {got!r}")

    def get(
        self, key: str, kind: type | tuple[type, ...], expected: str, default: Any = ...
    ) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, expected)
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # TOML true/false are Python bools, which are ints: not a number to a ruleset author.
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise self.fail(key, expected)
        return value

    def text(self, key: str, default: Any = ...) -> str:
        return self.get(key, str, "text in quotes", default)

    def number(self, key: str, default: Any = ...) -> float:
        return self.get(key, (int, float), "a number", default)

    def table(self, key: str) -> _Reader:
        return _Reader(self.path, self.get(key, dict, "a table"), f"{self.where}{key}.")

    def tables(self, key: str) -> list[_Reader]:
        items = self.get(key, list, "a list of tables ([[...]])", [])
        readers = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.fail(key, "a list of tables ([[...]])")
            readers.append(_Reader(self.path, item, f"{self.where}{key}[{i + 1}]."))
        return readers

    def strings(self, key: str) -> tuple[str, ...]:
        values = self.get(key, list, "a list of text values", [])
        if not all(isinstance(v, str) for v in values):
            raise self.fail(key, "a list of text values")
        return tuple(values)

    def unknown_keys(self, known: set[str]) -> None:
        for key in self.data:
            if key not in known:
                known_keys = ", ".join(sorted(known))
                raise RulesetError(
                    f"{self.path}: {self.where}{key}: unknown key (known: {known_keys})"
                )


ROUTE_KEYS = {
    "next_step",
    "source",
    "count",
    "target",
    "label",
    "when",
    "activities",
    "since",
    "counterpart",
    "counterpart_has",
    "column",
    "where",
    "until",
    "within_years",
    "per",
    "years",
    "share",
    "over_months",
}
# The kinds a ruleset may add columns to, and the types it may give them.
EXTENSIBLE = ("trainees", "leaders", "attendance", "supervision")
COLUMN_TYPES = {
    "date": ValueType.DATE,
    "yes/no": ValueType.YESNO,
    "number": ValueType.DECIMAL,
    "text": ValueType.TEXT,
}
# `where = { days = ">= 4" }`: the operators a number filter may use, longest first so that
# the parser reads `>=` whole.
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": op.ge,
    "<=": op.le,
    ">": op.gt,
    "<": op.lt,
    "=": op.eq,
}
_NUMBER_FILTER = re.compile(rf"\s*({'|'.join(map(re.escape, OPERATORS))})?\s*(-?\d+(?:\.\d+)?)\s*")
# Months in one period of a regularity route (`per`).
PERIOD_MONTHS = {"month": 1, "quarter": 3}


@dataclass(frozen=True)
class Fields:
    """What a ruleset's keys may name: the built-in columns and those it declares itself."""

    yesno: tuple[str, ...]  # trainees-register yes/no fields
    dates: tuple[str, ...]  # trainees-register dates
    leader_yesno: tuple[str, ...]  # leaders-register yes/no fields
    columns: dict[str, dict[str, Column]]  # source -> its columns by name

    @classmethod
    def of(cls, extra: tuple[tuple[str, Column], ...]) -> Fields:
        """The fields of the built-in kinds with `extra` (kind, column) added."""
        kinds = {k.name: k for k in with_columns(extra)}

        def typed(kind: str, value_type: ValueType) -> tuple[str, ...]:
            return tuple(c.name for c in kinds[kind].columns if c.type is value_type)

        return cls(
            yesno=typed("trainees", ValueType.YESNO),
            dates=typed("trainees", ValueType.DATE),
            leader_yesno=typed("leaders", ValueType.YESNO),
            columns={s: {c.name: c for c in kinds[s].columns} for s in SOURCES},
        )


def _columns(r: _Reader) -> tuple[tuple[str, Column], ...]:
    """[[columns]]: the society's own columns, read from its sheets under the names given."""
    found: list[tuple[str, Column]] = []
    for c in r.tables("columns"):
        c.unknown_keys({"kind", "name", "type", "aliases"})
        kind = c.text("kind")
        if kind not in EXTENSIBLE:
            raise c.fail("kind", f"one of {', '.join(EXTENSIBLE)}")
        name = c.text("name")
        taken = {col.name for col in KINDS_BY_NAME[kind].columns} | {n for k, n in found}
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name in taken:
            raise c.fail("name", "a new column name in lower_case_with_underscores")
        value_type = COLUMN_TYPES.get(c.text("type"))
        if value_type is None:
            raise c.fail("type", f"one of {', '.join(COLUMN_TYPES)}")
        found.append((kind, Column(name, value_type, aliases=c.strings("aliases"))))
    return tuple((kind, col) for kind, col in found)


def _what(r: _Reader, competencies: int, condition: bool) -> dict[str, Any]:
    """source, count, column, share, target and label: what a route counts and how many."""
    source = r.text("source")
    if source not in SOURCES:
        raise r.fail("source", f"one of {', '.join(SOURCES)}")
    count = r.text("count")
    if count not in COUNTS or source not in COUNTS[count]:
        allowed = [c for c, sources in COUNTS.items() if source in sources]
        raise r.fail("count", f"for {source}, one of {', '.join(allowed)}")
    column = r.text("column", None)
    if (column is None) != (count != "sum") or (
        column is not None and column not in SUM_COLUMNS[source]
    ):
        expected = f'with count = "sum" only, one of {", ".join(SUM_COLUMNS[source])}'
        raise r.fail("column", expected)
    share = r.get("share", bool, "true or false", False)
    if condition:
        return {
            "source": source,
            "count": count,
            "column": column,
            "share": share,
            "target": 0.0,
            "label": r.text("label", ""),
        }
    target = r.number("target", competencies if count == "competencies" else ...)
    if target <= 0 or (share and target > 1):
        raise r.fail("target", "a fraction above 0 and at most 1" if share else "above 0")
    return {
        "source": source,
        "count": count,
        "column": column,
        "share": share,
        "target": target,
        "label": r.text("label"),
    }


def _who(r: _Reader, source: str, fields: Fields) -> dict[str, Any]:
    """activities, when, counterpart and counterpart_has: whose rows, and for whom."""
    activities = r.strings("activities")
    if not set(activities) <= set(VOCABULARIES["activity"].values):
        raise r.fail("activities", f"activities from {', '.join(VOCABULARIES['activity'].values)}")
    when = r.get("when", dict, "a table of yes/no register fields", {})
    for field_name, value in when.items():
        if field_name not in fields.yesno or not isinstance(value, bool):
            raise r.fail("when", f"register yes/no fields ({', '.join(fields.yesno)}) = true/false")
    counterpart = r.text("counterpart", None)
    if counterpart is not None and COUNTERPARTS.get(counterpart) != source:
        allowed = [c for c, s in COUNTERPARTS.items() if s == source]
        raise r.fail("counterpart", f"for {source}, one of {', '.join(allowed) or 'none'}")
    counterpart_has = r.strings("counterpart_has")
    if counterpart_has and (
        source == "portfolio" or not set(counterpart_has) <= set(fields.leader_yesno)
    ):
        raise r.fail(
            "counterpart_has",
            "on attendance or supervision, leaders yes/no fields "
            f"({', '.join(fields.leader_yesno)})",
        )
    return {
        "activities": activities,
        "when": tuple(when.items()),
        "counterpart": counterpart,
        "counterpart_has": counterpart_has,
    }


def _dates(r: _Reader, fields: Fields) -> dict[str, Any]:
    """since, until and within_years: the register dates that bound the rows counted."""
    since, until = r.text("since", None), r.text("until", None)
    for key, value in (("since", since), ("until", until)):
        if value is not None and value not in fields.dates:
            raise r.fail(key, f"a register date field ({', '.join(fields.dates)})")
    within_years = r.get("within_years", int, "a whole number of years above 0", None)
    if within_years is not None and (within_years <= 0 or since is None):
        raise r.fail("within_years", "a whole number of years above 0, with `since` set")
    return {"since": since, "until": until, "within_years": within_years}


def _per(r: _Reader, share: bool) -> dict[str, Any]:
    """per, years and over_months: a target that holds in each pathway year, month or quarter."""
    per = r.text("per", None)
    if per is not None and (per not in PER or share):
        raise r.fail("per", f"one of {', '.join(PER)}, on a route that is not a share")
    years = r.get("years", int, "a whole number of pathway years, with `per` set", 0)
    if years < 0 or (years and per != "pathway_year"):
        raise r.fail("years", 'a whole number of pathway years, with per = "pathway_year"')
    over = r.get("over_months", int, "a whole number of months", 0)
    size = PERIOD_MONTHS.get(per or "")
    if (size is None) != (over == 0) or (size and (over <= 0 or over % size)):
        raise r.fail("over_months", 'with per = "month" or "quarter" only, a whole number of those')
    return {"per": per, "years": years, "over_months": over}


def _route(r: _Reader, competencies: int, fields: Fields, condition: bool = False) -> Route:
    """A route, or with `condition` the measure of an advice condition (no target or label)."""
    what = _what(r, competencies, condition)
    where, compare = _where(r, what["source"], fields)
    if what["share"] and not where and not compare:
        raise r.fail("where", "a [where] table saying which rows make up the share")
    return Route(
        **what,
        **_who(r, what["source"], fields),
        **_dates(r, fields),
        **_per(r, what["share"]),
        where=where,
        compare=compare,
        next_step="" if condition else r.text("next_step", ""),
    )


def _route_tables(q: _Reader) -> list[_Reader]:
    readers = q.tables("routes")
    for x in readers:
        x.unknown_keys(ROUTE_KEYS)
    return readers


def _filter(column: Column, wanted: object) -> tuple[str, Any]:
    """One `where` entry: ("in", values) for vocabulary and text, (operator, value) otherwise.

    Raises ValueError when `wanted` does not suit the column."""
    if column.type is ValueType.YESNO:
        if not isinstance(wanted, bool):
            raise ValueError("true or false")
        return "is", float(wanted)
    if column.type in (ValueType.WHOLE, ValueType.DECIMAL):
        match = _NUMBER_FILTER.fullmatch(str(wanted))
        if isinstance(wanted, bool) or not match:
            raise ValueError('a comparison such as ">= 4"')
        return match[1] or "=", float(match[2])
    values = [wanted] if isinstance(wanted, str) else wanted
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise ValueError("a value or a list of values")
    if column.type is ValueType.VOCAB:
        known = VOCABULARIES[column.vocabulary or ""].values
        if not all(v in known for v in values):
            raise ValueError(f"values from {', '.join(known)}")
        return "in", tuple(values)
    if column.type is ValueType.TEXT:
        # Text is matched as names are: capitals, accents and punctuation aside.
        return "in", tuple(fold_name(v) for v in values)
    raise ValueError("a column of values, numbers, yes/no or text")


def _where(
    r: _Reader, source: str, fields: Fields
) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[tuple[str, str, float], ...]]:
    """`where = { format = "face_to_face", days = ">= 4" }`: the rows that count.

    Vocabulary and text columns list the values that count; number columns a comparison;
    yes/no columns true or false."""
    table = r.get("where", dict, "a table of column = value or [values]", {})
    columns = fields.columns[source]
    where: list[tuple[str, tuple[str, ...]]] = []
    compare: list[tuple[str, str, float]] = []
    for name, wanted in table.items():
        column = columns.get(name)
        try:
            if column is None:
                raise ValueError(f"a column of {source}")
            kind, value = _filter(column, wanted)
        except ValueError as exc:
            raise r.fail("where", f"for {name} ({source}), {exc}") from None
        if kind == "in":
            where.append((name, value))
        else:
            compare.append((name, kind, value))
    return tuple(where), tuple(compare)


def _advice(a: _Reader, competencies: int, fields: Fields) -> Advice:
    """A built-in check named by its code, or a check written as data conditions."""
    a.unknown_keys(
        {"code", "message", "min_days", "max_trainees_present", "conditions", "for_supervisor"}
    )
    code = a.text("code")
    conditions = []
    for c in a.tables("conditions"):
        c.unknown_keys(ROUTE_KEYS - {"target", "next_step"} | {"below", "at_least"})
        below, at_least = c.number("below", None), c.number("at_least", None)
        if (below is None) == (at_least is None):
            raise c.fail("below", "exactly one of below = N or at_least = N")
        route = _route(c, competencies, fields, condition=True)
        conditions.append(Condition(route, below, at_least))
    if conditions:
        if code in ADVICE_CHECKS or not code.isidentifier():
            raise a.fail("code", "a new code in lower_case_with_underscores (not a built-in one)")
    elif code not in ADVICE_CHECKS:
        raise a.fail(
            "code", f"one of {', '.join(ADVICE_CHECKS)}, or a new code with [[advice.conditions]]"
        )
    return Advice(
        code,
        a.text("message"),
        int(a.number("min_days", 2)),
        int(a.number("max_trainees_present", 2)),
        tuple(conditions),
        a.text("for_supervisor", ""),
    )


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# The step while a trainee has not been on the pathway for [readiness] min_months.
TIME_STEP = "time_on_pathway"


def _wording(w: _Reader, fields: Fields) -> Wording:
    """[wording] and its optional [wording.steps]: step texts may name register dates."""
    w.unknown_keys({"ready", "all_met_not_ready", "needs_data", "in_progress", "paused", "steps"})
    steps = []
    if "steps" in w.data:
        s = w.table("steps")
        s.unknown_keys({*fields.yesno, *fields.dates, TIME_STEP})
        for name in s.data:
            text = s.text(name)
            for placeholder in _PLACEHOLDER.findall(text):
                if placeholder not in fields.dates:
                    raise s.fail(
                        name, f"text naming only register dates ({', '.join(fields.dates)})"
                    )
            steps.append((name, text))
    return Wording(
        ready=w.text("ready"),
        all_met_not_ready=w.text("all_met_not_ready"),
        needs_data=w.text("needs_data"),
        in_progress=w.text("in_progress"),
        paused=w.text("paused", ""),
        steps=tuple(steps),
    )


def _readiness(r: _Reader, requirement_ids: list[str], fields: Fields) -> Readiness:
    """[readiness]: the requirements and register fields that make a trainee ready, in order."""
    if "readiness" not in r.data:
        return Readiness()
    x = r.table("readiness")
    x.unknown_keys({"requirements", "fields", "order", "min_months", "months_from"})
    default = Readiness()
    requirements: tuple[str, ...] = ()
    if x.data.get("requirements", "all") != "all":
        requirements = x.strings("requirements")
        if not requirements or not set(requirements) <= set(requirement_ids):
            raise x.fail(
                "requirements", f'"all" or a list of ids from {", ".join(requirement_ids)}'
            )
    names = x.strings("fields") if "fields" in x.data else default.fields
    if not set(names) <= {*fields.yesno, *fields.dates}:
        raise x.fail("fields", f"register fields from {', '.join(fields.yesno + fields.dates)}")
    order = x.strings("order") if "order" in x.data else default.order
    months_from = x.text("months_from", "registered")
    if not set(order) <= set(fields.dates) or months_from not in fields.dates:
        key = "order" if months_from in fields.dates else "months_from"
        raise x.fail(key, f"register dates from {', '.join(fields.dates)}")
    min_months = x.get("min_months", int, "a whole number of months", 0)
    if min_months < 0:
        raise x.fail("min_months", "a whole number of months")
    return Readiness(requirements, names, order, min_months, months_from)


def _references(r: _Reader, fields: Fields, readiness: Readiness) -> tuple[Reference, ...]:
    """[[references]]: each written report, who writes it and the register dates of its steps;
    without them, the supervisor's reference of the readiness order."""
    if "references" not in r.data:
        return default_references(readiness)
    found = []
    for x in r.tables("references"):
        x.unknown_keys({"by", "name", *REFERENCE_ROLES})
        by = x.text("by", "supervisor")
        if by not in REFERENCE_BY:
            raise x.fail("by", f"one of {', '.join(REFERENCE_BY)}")
        steps = tuple((role, x.text(role)) for role in REFERENCE_ROLES if role in x.data)
        for role, name in steps:
            if name not in fields.dates:
                raise x.fail(role, f"a register date ({', '.join(fields.dates)})")
        if dict(steps).get("received") is None:
            raise x.fail("received", "the register date the report is received on")
        found.append(Reference(steps, by, x.text("name", "")))
    return tuple(found)


def _fee(r: _Reader) -> Fee | None:
    """[fee]: a range per supervision hour (`low_per_hour`), or per year or once (`low`)."""
    if "fee" not in r.data:  # a society without a suggested fee leaves it out
        return None
    f = r.table("fee")
    # `note` is for people reading the file (where the fee comes from); nothing shows it.
    f.unknown_keys({"currency", "low_per_hour", "high_per_hour", "note", "per", "low", "high"})
    f.text("note", "")
    per = f.text("per", "hour")
    if per not in ("hour", "year", "once"):
        raise f.fail("per", "one of hour, year, once")
    if per == "hour":
        return Fee(f.text("currency"), f.number("low_per_hour"), f.number("high_per_hour"))
    low = f.number("low")
    return Fee(f.text("currency"), low, f.number("high", low), per)


def _vocabulary(r: _Reader) -> Vocabulary:
    """[vocabulary]: the society's own words for what letters and digests name."""
    if "vocabulary" not in r.data:
        return Vocabulary()
    v = r.table("vocabulary")
    v.unknown_keys({"accreditation", "team", "activities"})
    words = v.get("activities", dict, "a table of activity = its name", {})
    known = VOCABULARIES["activity"].values
    if not all(a in known and isinstance(w, str) for a, w in words.items()):
        raise v.fail("activities", f"activities from {', '.join(known)} = their name")
    default = Vocabulary()
    return Vocabulary(
        accreditation=v.text("accreditation", default.accreditation),
        team=v.text("team", default.team),
        activities=tuple(words.items()),
    )


REQUIREMENT_KEYS = {
    "id",
    "title",
    "what_counts",
    "unit",
    "next_step",
    "routes",
    "missing_data",
    "requires_set",
    "requires_label",
}


def _requirement(q: _Reader, competencies: int, fields: Fields) -> Requirement:
    """One [[requirements]] with its routes."""
    q.unknown_keys(REQUIREMENT_KEYS)
    routes = tuple(_route(x, competencies, fields) for x in _route_tables(q))
    if not routes:
        raise q.fail("routes", "at least one [[requirements.routes]]")
    requires_set = q.strings("requires_set")
    if not set(requires_set) <= set(fields.dates):
        raise q.fail("requires_set", f"register date fields ({', '.join(fields.dates)})")
    return Requirement(
        id=q.text("id"),
        title=q.text("title"),
        what_counts=q.text("what_counts"),
        unit=q.text("unit"),
        next_step=q.text("next_step"),
        routes=routes,
        missing_data=q.text("missing_data", ""),
        requires_set=requires_set,
        requires_label=q.text("requires_label", ""),
    )


def _unique(path: str, key: str, values: list[str]) -> None:
    if len(set(values)) != len(values):
        what = "id" if key == "requirements" else "code"
        raise RulesetError(f"{path}: {key}: each {what} must be used once ({', '.join(values)})")


TOP_KEYS = {
    "id",
    "title",
    "effective_from",
    "fee",
    "wording",
    "competencies",
    "requirements",
    "advice",
    "readiness",
    "columns",
    "vocabulary",
    "references",
}


def parse_ruleset(text: str, path: str) -> Ruleset:
    """Check a ruleset's TOML text and build the Ruleset; errors name the file and key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesetError(f"{path}: not valid TOML: {exc}") from None
    r = _Reader(path, data, "")
    r.unknown_keys(TOP_KEYS)
    effective_from = r.get("effective_from", dt.date, "a date such as 2019-01-01")
    if isinstance(effective_from, dt.datetime):
        raise r.fail("effective_from", "a date such as 2019-01-01")
    columns = _columns(r)
    fields = Fields.of(columns)
    competencies = []
    for c in r.tables("competencies"):
        c.unknown_keys({"number", "id", "title"})
        competencies.append(Competency(int(c.number("number")), c.text("id"), c.text("title")))
    requirements = [_requirement(q, len(competencies), fields) for q in r.tables("requirements")]
    if not requirements:
        raise r.fail("requirements", "at least one [[requirements]]")
    ids = [q.id for q in requirements]
    _unique(path, "requirements", ids)
    advice = [_advice(a, len(competencies), fields) for a in r.tables("advice")]
    _unique(path, "advice", [a.code for a in advice])
    readiness = _readiness(r, ids, fields)
    return Ruleset(
        id=r.text("id"),
        title=r.text("title"),
        effective_from=effective_from,
        fee=_fee(r),
        wording=_wording(r.table("wording"), fields),
        competencies=tuple(competencies),
        requirements=tuple(requirements),
        advice=tuple(advice),
        path=path,
        readiness=readiness,
        columns=columns,
        vocabulary=_vocabulary(r),
        references=_references(r, fields, readiness),
    )


def load_ruleset(path: Path) -> Ruleset:
    """Load a ruleset file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RulesetError(f"{path}: cannot read the ruleset ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise RulesetError(f"{path}: not a text file in UTF-8: save it as UTF-8 text") from None
    return parse_ruleset(text, str(path))


def builtin_ruleset(name: str = DEFAULT_RULESET) -> Ruleset:
    """A ruleset shipped inside the package."""
    text = resources.files("balint_reports").joinpath("rulesets", f"{name}.toml").read_text("utf-8")
    return parse_ruleset(text, f"{name}.toml (built in)")


def builtin_names() -> list[str]:
    """The ids of the rulesets shipped inside the package."""
    folder = resources.files("balint_reports").joinpath("rulesets")
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def load_rulesets(specs: tuple[str | Path, ...]) -> tuple[Ruleset, ...]:
    """Rulesets named by file or built-in id (default: uk-2019), oldest first; ids must differ."""
    rulesets = []
    for spec in specs or (DEFAULT_RULESET,):
        if Path(spec).is_file():
            rulesets.append(load_ruleset(Path(spec)))
        elif str(spec) in builtin_names():
            rulesets.append(builtin_ruleset(str(spec)))
        else:
            raise RulesetError(
                f"{spec}: no such ruleset file or built-in ruleset "
                f"(built in: {', '.join(builtin_names())})"
            )
    seen: dict[str, str] = {}
    for ruleset in rulesets:
        if ruleset.id in seen:
            raise RulesetError(
                f"{ruleset.path}: id {ruleset.id!r} is also used by {seen[ruleset.id]}"
            )
        seen[ruleset.id] = ruleset.path
    _same_columns(rulesets)
    return tuple(sorted(rulesets, key=lambda r: r.effective_from))


def _same_columns(rulesets: list[Ruleset]) -> None:
    """Rulesets loaded together read one inbox: a column two of them declare must be one."""
    declared: dict[tuple[str, str], tuple[Column, str]] = {}
    for ruleset in rulesets:
        for kind, column in ruleset.columns:
            first = declared.setdefault((kind, column.name), (column, ruleset.path))
            if first[0] != column:
                raise RulesetError(
                    f"{ruleset.path}: columns: {kind} column {column.name!r} is declared "
                    f"differently in {first[1]}: give it the same type and aliases in both"
                )


def ruleset_for(rulesets: tuple[Ruleset, ...], registered: dt.date | None) -> Ruleset:
    """The newest ruleset in effect on the registration date; the newest of all without one."""
    if registered is None:
        return rulesets[-1]
    eligible = [r for r in rulesets if r.effective_from <= registered]
    # Registered before any loaded ruleset began: the oldest is the closest the team has.
    return eligible[-1] if eligible else rulesets[0]
