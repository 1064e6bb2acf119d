"""The rows behind each trainee's numbers: what counted, what did not and why, what was rejected.

Letters list them so a trainee can check their own records. Each table is grouped once by
trainee (sorted, then sliced per trainee); nothing here scans a whole table per trainee, and
only the few columns a letter shows are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .evaluate import Tables, _Measures, event_runs
from .resolve import MAYBE_TRAINEE
from .ruleset import Route, Ruleset

# The columns a letter shows of a counted row, per source (the date first).
SHOWN_COLUMNS = {
    "attendance": ("date", "activity", "sessions", "event"),
    "supervision": ("date", "supervisor", "hours", "mode"),
    "portfolio": ("signed_off", "competency", "signed_off_by"),
}
ACTIVITY_KINDS = ("attendance", "supervision", "portfolio")


@dataclass(frozen=True)
class TraineeRows:
    """One table's rows sorted by trainee and date, and where each trainee's run of them is."""

    frame: pd.DataFrame
    spans: dict[str, tuple[int, int]]

    # a column as an array, taken out of the frame once: slicing a frame per trainee costs more
    _columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def of(self, trainee_id: str) -> pd.DataFrame:
        """This trainee's rows only."""
        start, stop = self.spans.get(trainee_id, (0, 0))
        return self.frame.iloc[start:stop]

    def values(self, trainee_id: str, column: str) -> np.ndarray:
        """One column of this trainee's rows."""
        if column not in self._columns:
            self._columns[column] = self.frame[column].to_numpy()
        start, stop = self.spans.get(trainee_id, (0, 0))
        return self._columns[column][start:stop]


def by_trainee(frame: pd.DataFrame, date: str) -> TraineeRows:
    """Sort once and note each trainee's run: a letter then takes its slice, not a scan."""
    frame = frame.sort_values(["trainee", date], kind="stable").reset_index(drop=True)
    trainees = frame["trainee"].to_numpy(dtype=object)
    if not len(trainees):
        return TraineeRows(frame, {})
    starts = np.flatnonzero(np.r_[True, trainees[1:] != trainees[:-1]])
    stops = np.r_[starts[1:], len(trainees)]
    return TraineeRows(
        frame,
        {
            trainees[start]: (int(start), int(stop))
            for start, stop in zip(starts, stops, strict=True)
        },
    )


@dataclass(frozen=True)
class NotCounted:
    """Rows a route would have counted but for the person on the other side of them."""

    trainee: str
    person: str  # a leader id, `trainee:<id>`, `?` (unknown) or "" (blank)
    rows: int
    sessions: float
    hours: float | None
    # the route's `counterpart_has` fields the leaders register does not say yes to for the
    # person (all of them for someone not in it); () when the route's `counterpart` left them out
    lacks: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutsideDates:
    """A trainee's rows a route would have counted but for their date: before its `since`
    register date, after its `until` one, or `within_years` years or more after `since`."""

    trainee: str
    bound: str  # the register date field the rows fall outside of
    side: str  # "before", "after" or "years_after"
    day: pd.Timestamp  # the trainee's date in that field
    rows: int
    sessions: float


@dataclass(frozen=True)
class Rejected:
    """How many of a trainee's rows in one file could not be used, and why in one word."""

    file: str
    # rejected; future; unread: in a sheet that could not be read (schema.UNREAD); unmatched:
    # a row whose name is close to theirs (or matches them and someone else), so it may be
    # theirs once the team has looked; or unread_unmatched: such a row in such a sheet
    outcome: str
    rows: int


@dataclass
class Records:
    """Per route measure, the counted rows by trainee; the rows that did not count and why."""

    counted: dict[Route, TraineeRows] = field(default_factory=dict)
    not_counted: dict[Route, dict[str, list[NotCounted]]] = field(default_factory=dict)
    # per route measure with a date window: the rows left out by it, by trainee
    outside: dict[Route, dict[str, list[OutsideDates]]] = field(default_factory=dict)
    # per route measure counting events: the dates of each event that no name tells apart from
    # another (blank names, dates at most EVENT_GAP_DAYS apart), by trainee, when it has several
    unnamed: dict[Route, dict[str, list[tuple[pd.Timestamp, ...]]]] = field(default_factory=dict)
    rejected: dict[str, list[Rejected]] = field(default_factory=dict)
    # leader id -> (name, accredited, experienced in supervision): who the rows were with
    leaders: dict[str, tuple[str, bool, bool]] = field(default_factory=dict)
    # per route object: (it, its counted rows, its rows left out by person and by date, its
    # unnamed events); a route's measure is a new object each time, hashed field by field, and
    # letters ask for it thousands of times
    _by_route: dict[int, tuple[Route, TraineeRows | None, dict, dict, dict]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def leader_names(self) -> dict[str, str]:
        """Leader id -> name."""
        return {leader: found[0] for leader, found in self.leaders.items()}

    def of_route(self, route: Route) -> tuple[TraineeRows | None, dict[str, list[NotCounted]]]:
        """The route's counted rows (None if not gathered) and the rows it left out."""
        found = self._found(route)
        return found[1], found[2]

    def _found(self, route: Route) -> tuple[Route, TraineeRows | None, dict, dict, dict]:
        found = self._by_route.get(id(route))
        if found is None or found[0] is not route:  # `is`: an id may be reused
            measure = route.measure()
            found = (
                route,
                self.counted.get(measure),
                self.not_counted.get(measure, {}),
                self.outside.get(measure, {}),
                self.unnamed.get(measure, {}),
            )
            self._by_route[id(route)] = found
        return found

    def rows(self, route: Route, trainee_id: str) -> pd.DataFrame | None:
        """The rows the route counted for the trainee, oldest first."""
        found = self.of_route(route)[0]
        return None if found is None else found.of(trainee_id)

    def excluded(self, route: Route, trainee_id: str) -> list[NotCounted]:
        """The trainee's rows the route left out because of the person they were with."""
        return self.of_route(route)[1].get(trainee_id, [])

    def unnamed_events(self, route: Route, trainee_id: str) -> list[tuple[pd.Timestamp, ...]]:
        """The dates of each of the trainee's events counted as one for want of a name."""
        return self._found(route)[4].get(trainee_id, [])

    def outside_dates(self, route: Route, trainee_id: str) -> list[OutsideDates]:
        """The trainee's rows the route left out because of their date."""
        return self._found(route)[3].get(trainee_id, [])


def _not_counted(
    measures: _Measures, route: Route, counted: pd.Index
) -> dict[str, list[NotCounted]]:
    """Rows that pass every filter of the route but its counterpart, grouped once; `counted`:
    the rows the route counts."""
    everyone = measures.rows_for(replace(route, counterpart=None, counterpart_has=()))
    left_out = everyone.index.difference(counted)
    if not len(left_out):
        return {}
    person = "supervisor" if route.source == "supervision" else "co_leader"
    table = getattr(measures.tables, route.source)
    rows = table.loc[left_out, [c for c in ("trainee", person, "sessions", "hours") if c in table]]
    groups = rows.groupby(["trainee", person], sort=False)
    found: dict[str, list[NotCounted]] = {}
    sizes = groups.size()
    # Each group's sums as arrays in the order of `sizes`: looking a group up in a Series by
    # its (trainee, person) key took 0.35 s for a federation's 33,000 groups.
    sessions = (
        groups["sessions"].sum().reindex(sizes.index).to_numpy()
        if "sessions" in rows
        else sizes.to_numpy()
    )
    hours = groups["hours"].sum().reindex(sizes.index).to_numpy() if "hours" in rows else None
    lacking = _lacking(measures.tables.leaders, route)
    for i, ((trainee, who), size) in enumerate(sizes.items()):
        found.setdefault(trainee, []).append(
            NotCounted(
                trainee,
                who,
                int(size),
                float(sessions[i]),
                float(hours[i]) if hours is not None else None,
                lacking(who),
            )
        )
    return found


def _outside_dates(
    measures: _Measures, route: Route, counted: pd.Index
) -> dict[str, list[OutsideDates]]:
    """Rows that pass every filter of the route but its dates, grouped once: a trainee told
    "0 of 8 sessions after your professional training" with eight sessions before it must be
    told why they do not count, and by which date in our register. `counted`: the rows the
    route counts."""
    everyone = measures.rows_for(replace(route, since=None, until=None, within_years=None))
    left_out = everyone.index.difference(counted)
    if not len(left_out):
        return {}
    table = getattr(measures.tables, route.source)
    date = table.loc[left_out, measures.date_column(route.source)]
    trainee = table.loc[left_out, "trainee"]
    sessions = (
        table.loc[left_out, "sessions"].astype(float)
        if "sessions" in table
        else pd.Series(1.0, index=left_out)
    )
    register = measures.tables.trainees
    side = pd.Series("years_after", index=left_out)
    bound = pd.Series(route.since or "", index=left_out)
    day = pd.Series(pd.NaT, index=left_out)
    if route.since:
        day = trainee.map(register[route.since])
        side[date < day] = "before"
    if route.until:
        until = trainee.map(register[route.until])
        after = date > until
        side[after], bound[after], day[after] = "after", route.until, until[after]
    grouped = pd.DataFrame(
        {"trainee": trainee, "bound": bound, "side": side, "day": day, "sessions": sessions}
    ).groupby(["trainee", "bound", "side", "day"], sort=True)["sessions"]
    found: dict[str, list[OutsideDates]] = {}
    for (who, field_name, where, on), rows, total in zip(
        grouped.size().index, grouped.size(), grouped.sum(), strict=True
    ):
        found.setdefault(who, []).append(
            OutsideDates(who, field_name, where, on, int(rows), float(total))
        )
    return found


def _unnamed_events(counted: pd.DataFrame) -> dict[str, list[tuple[pd.Timestamp, ...]]]:
    """Per trainee, the dates of each event with no name that spans several dates: "13 and 15
    June" read as two training days, counted as one event (`distinct_events`,
    docs/rulesets.md#routes-what-is-counted) with nothing saying why."""
    blank = counted.loc[counted["event_key"] == "", ["trainee", "date"]]
    if blank.empty:
        return {}
    dates = (
        blank.assign(run=event_runs(blank.assign(event_key="")).to_numpy())
        .drop_duplicates(["run", "date"])
        .sort_values(["run", "date"], kind="stable")
    )
    dates = dates.loc[dates["run"].duplicated(keep=False)]  # runs of several dates only
    found: dict[str, list[tuple[pd.Timestamp, ...]]] = {}
    runs = dates["run"].to_numpy()
    if not len(runs):
        return found
    starts = np.flatnonzero(np.r_[True, runs[1:] != runs[:-1]])
    for start, stop in zip(starts, [*starts[1:], len(runs)], strict=True):
        trainee = dates["trainee"].iat[start]
        found.setdefault(trainee, []).append(tuple(dates["date"].iloc[start:stop]))
    return found


def _lacking(leaders: pd.DataFrame, route: Route) -> Callable[[str], tuple[str, ...]]:
    """Which of the route's `counterpart_has` fields a person (as a row names them) lacks."""
    if not route.counterpart_has:
        return lambda person: ()
    says_yes = {
        name: leaders[name].astype("boolean").fillna(False).to_dict()
        for name in route.counterpart_has
    }

    def lacks(person: str) -> tuple[str, ...]:
        leader = person if route.source == "supervision" else person.removeprefix("leader:")
        return tuple(name for name in route.counterpart_has if not says_yes[name].get(leader))

    return lacks


def _unmatched(table: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows whose trainee matched nobody for certain, once per trainee they may be."""
    if MAYBE_TRAINEE not in table:
        return table.iloc[0:0][["trainee", "_file", "_outcome"]]
    rejected = table.loc[
        (table["_outcome"] == "rejected") & (table["trainee"] == ""), [MAYBE_TRAINEE, "_file"]
    ]
    maybe = rejected.explode(MAYBE_TRAINEE).dropna(subset=[MAYBE_TRAINEE])
    return pd.DataFrame(
        {"trainee": maybe[MAYBE_TRAINEE], "_file": maybe["_file"], "_outcome": "unmatched"}
    )


def _rejected(rows: dict[str, pd.DataFrame], unread: pd.DataFrame) -> dict[str, list[Rejected]]:
    """Per trainee, their rows that were rejected or are dated later, and the rows that may be
    theirs but name nobody for certain, counted per file; and their rows in a sheet that could
    not be read (`unread`, schema.UNREAD)."""
    unread = unread[unread["kind"].isin(ACTIVITY_KINDS)]
    parts = [
        unread.loc[unread["trainee"] != "", ["trainee", "_file"]].assign(_outcome="unread"),
        _unmatched(unread.assign(_outcome="rejected")).assign(_outcome="unread_unmatched"),
    ]
    for kind in ACTIVITY_KINDS:
        table = rows.get(kind)
        if table is None or table.empty or "_outcome" not in table:
            continue
        unused = table.loc[
            table["_outcome"].isin(("rejected", "future")) & (table["trainee"] != ""),
            ["trainee", "_file", "_outcome"],
        ]
        parts += [unused, _unmatched(table)]
    unused = pd.concat(parts, ignore_index=True)
    found: dict[str, list[Rejected]] = {}
    counts = unused.groupby(["trainee", "_file", "_outcome"], sort=True).size()
    for (trainee, file, outcome), count in counts.items():
        found.setdefault(trainee, []).append(Rejected(file, outcome, int(count)))
    return found


def collect(
    tables: Tables,
    rows: dict[str, pd.DataFrame],
    rulesets: tuple[Ruleset, ...],
    unread: pd.DataFrame,
) -> Records:
    """The records of every route of every loaded ruleset, each measure grouped once; `unread`:
    the rows of sheets that could not be read, by whom they name (resolve.resolve_unread)."""
    measures = _Measures(tables)
    records = Records(
        rejected=_rejected(rows, unread),
        leaders={
            leader: (str(name), accredited is True, experienced is True)
            for leader, name, accredited, experienced in zip(
                tables.leaders.index,
                tables.leaders["name"],
                tables.leaders["accredited"].astype(object),
                tables.leaders["supervision_experience"].astype(object),
                strict=True,
            )
        },
    )
    if tables.trainees.empty:  # nobody to write to (and a register without rows to map)
        return records
    for ruleset in rulesets:
        for requirement in ruleset.requirements:
            for route in requirement.routes:
                key = route.measure()
                if key in records.counted:
                    continue
                counted = measures.rows_for(route)
                table = getattr(tables, route.source)
                columns = ["trainee", *SHOWN_COLUMNS[route.source]]
                shown = table.loc[counted.index, [c for c in columns if c in table]]
                if route.count == "distinct_groups":
                    shown = shown[table.loc[counted.index, "event_key"] != ""]
                records.counted[key] = by_trainee(shown, columns[1])
                if route.counterpart or route.counterpart_has:
                    records.not_counted[key] = _not_counted(measures, route, counted.index)
                if route.since or route.until:
                    records.outside[key] = _outside_dates(measures, route, counted.index)
                if route.count == "distinct_events":
                    records.unnamed[key] = _unnamed_events(counted)
    return records
