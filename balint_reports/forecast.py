"""When each unmet requirement would be met if the trainee keeps their pace of the last 12 months.

The pace of a route is how much its count grew over the 12 months before the report date: its
count now minus its count a year ago, from the same accepted rows. For sessions that is the
sessions dated in the window; for distinct events or competencies, the ones that are new in it
(a competency signed off again adds nothing). Counts come from one grouped pass per route over
the whole table at the earlier cut-off, never from a per-trainee scan.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from .evaluate import Tables, columns_read, route_counts
from .model import NOT_MET, RouteResult, TraineeResult
from .ruleset import Route

WINDOW_MONTHS = 12
# Further out than this a forecast is no help to anyone: the letter says nothing instead.
HORIZON_MONTHS = 60

Forecasts = dict[tuple[str, str], dt.date]


def _before(tables: Tables, cut: pd.Timestamp, columns: set[str]) -> Tables:
    """The rows on or before `cut`, with only the `columns` the counts read: a smaller copy."""

    def rows(frame: pd.DataFrame, date: str) -> pd.DataFrame:
        return frame.loc[frame[date] <= cut, [c for c in frame.columns if c in columns]]

    return Tables(
        trainees=tables.trainees,
        leaders=tables.leaders,
        attendance=rows(tables.attendance, "date"),
        supervision=rows(tables.supervision, "date"),
        portfolio=rows(tables.portfolio, "signed_off"),
        as_of=cut,
    )


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def forecast(tables: Tables, results: list[TraineeResult], as_of: dt.date) -> Forecasts:
    """(trainee_id, requirement id) -> the month it would be met; absent when pace says nothing.

    `tables` are the accepted rows the results were counted from (on or before `as_of`).
    """
    cut = pd.Timestamp(as_of) - pd.DateOffset(months=WINDOW_MONTHS)
    # By identity: hashing a whole ruleset once per trainee costs more than the forecast.
    rulesets = {id(r.ruleset): r.ruleset for r in results}.values()
    routes = {
        route
        for ruleset in rulesets
        for requirement in ruleset.requirements
        for route in requirement.routes
    }
    earlier = route_counts(_before(tables, cut, columns_read(routes)), routes)
    found: Forecasts = {}
    for result in results:
        rules = {q.id: q for q in result.ruleset.requirements}
        for requirement in result.requirements:
            if requirement.status != NOT_MET:
                continue
            months = _months_to_go(
                rules[requirement.id].routes, requirement.routes, earlier, result.trainee_id
            )
            if months is not None and months <= HORIZON_MONTHS:
                found[(result.trainee_id, requirement.id)] = add_months(as_of, months)
    return found


def _months_to_go(
    routes: tuple[Route, ...],
    results: tuple[RouteResult, ...],
    earlier: dict[Route, dict[str, float]],
    trainee_id: str,
) -> int | None:
    """The fewest months any applicable route needs at its pace; None if none is moving.

    A requirement whose counts are all reached but which waits for a register date (a report
    received, say) gets no forecast: pace does not bring a date closer.
    """
    by_label = {route.label: route for route in routes}
    best: int | None = None
    for route_result in results:
        if route_result.met:
            return None
        route = by_label.get(route_result.label)
        # A share is a proportion and a per-year rate restarts each year: neither has a pace
        # that adds up to a month.
        if route is None or route.share or route.per:
            continue
        # Credit the team granted is not the trainee's recent pace.
        counted_now = route_result.achieved - route_result.credited
        pace = counted_now - float(earlier[route].get(trainee_id, 0.0))
        if pace <= 0:
            continue
        months = math.ceil((route_result.target - route_result.achieved) * WINDOW_MONTHS / pace)
        best = months if best is None else min(best, months)
    return best
