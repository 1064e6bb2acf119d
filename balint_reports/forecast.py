"""When each unmet requirement would be met if the trainee keeps their pace of the last 12 months.

The pace of a route is how much its count grew over the 12 months before the report date: its
count now minus its count a year ago, from the same accepted rows. For sessions that is the
sessions dated in the window; for distinct events or competencies, the ones that are new in it
(a competency signed off again adds nothing). Counts come from one grouped pass per route over
the whole table at the earlier cut-off, never from a per-trainee scan.

A forecast needs at least MIN_DATES dated records in the window (two sessions are a date, not a
pace) and one in the last QUIET_MONTHS (a pace that stopped half a year ago promises nothing:
the dashboard calls such a trainee stalled). From one month to the next a forecast holds still
(hold_still): it never moves later unless there are new records or the pace fell, and when it
moves the Changes sheet says why.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import replace

import pandas as pd

from .evaluate import Tables, columns_read, recent_dates, route_counts
from .model import NOT_MET, ForecastMove, Outlook, RouteResult, TraineeResult
from .ruleset import Route
from .wording import month_text

# The months before the report date whose growth is a route's pace.
WINDOW_MONTHS = 12
_WINDOW_WORDS = f"the last {WINDOW_MONTHS} months"
# Further out than this a forecast is no help to anyone: the letter says nothing instead.
HORIZON_MONTHS = 60
# Fewer dated records than this in the window give no forecast: too few to call a pace.
MIN_DATES = 3
# A route with no record in this many months gives no forecast: the year's pace has stopped,
# and the dashboard calls such a trainee stalled (dashboard.STALLED_MONTHS).
QUIET_MONTHS = 6

Forecasts = dict[tuple[str, str], dt.date]

# Why an unmet requirement has no forecast, most telling first when routes disagree.
FAR_OFF = "more than five years away at the recent pace"
FEW_RECORDS = f"fewer than {MIN_DATES} dated records in {_WINDOW_WORDS}"
NO_PROGRESS = f"no progress in {_WINDOW_WORDS}"
QUIET = f"no records in the last {QUIET_MONTHS} months"
WAITING = "the counts are reached: what is missing is a date in the register"
NO_PACE = "what it counts has no pace to forecast from"
_WHY_ORDER = (WAITING, FAR_OFF, QUIET, FEW_RECORDS, NO_PROGRESS, NO_PACE)


Outlooks = dict[tuple[str, str], Outlook]


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


def outlooks(tables: Tables, results: list[TraineeResult], as_of: dt.date) -> Outlooks:
    """(trainee_id, requirement id) -> the outlook of every unmet requirement.

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
    dates = recent_dates(tables, routes, cut)
    quiet_before = pd.Timestamp(as_of) - pd.DateOffset(months=QUIET_MONTHS)
    found: Outlooks = {}
    for result in results:
        rules = {q.id: q for q in result.ruleset.requirements}
        for requirement in result.requirements:
            if requirement.status != NOT_MET:
                continue
            found[(result.trainee_id, requirement.id)] = _outlook(
                rules[requirement.id].routes,
                requirement.routes,
                earlier,
                dates,
                result.trainee_id,
                as_of,
                quiet_before,
            )
    return found


def due_dates(found: Outlooks) -> Forecasts:
    """The forecast months of the outlooks that have one."""
    return {key: outlook.due for key, outlook in found.items() if outlook.due is not None}


def _outlook(
    routes: tuple[Route, ...],
    results: tuple[RouteResult, ...],
    earlier: dict[Route, dict[str, float]],
    dates: dict[Route, dict[str, tuple[int, pd.Timestamp]]],
    trainee_id: str,
    as_of: dt.date,
    quiet_before: pd.Timestamp,
) -> Outlook:
    """The soonest month any applicable route reaches its target at its pace, or why none does.

    A requirement whose counts are all reached but which waits for a register date (a report
    received, say) gets no forecast: pace does not bring a date closer.
    """
    by_label = {route.label: route for route in routes}
    best: tuple[int, RouteResult, float] | None = None
    why: set[str] = set()
    for route_result in results:
        if route_result.met:
            return Outlook(None, why_none=WAITING)
        route = by_label.get(route_result.label)
        # A share is a proportion and a per-year rate restarts each year: neither has a pace
        # that adds up to a month.
        if route is None or route.share or route.per:
            why.add(NO_PACE)
            continue
        # Credit the team granted is not the trainee's recent pace.
        counted_now = route_result.achieved - route_result.credited
        pace = counted_now - float(earlier[route].get(trainee_id, 0.0))
        if pace <= 0:
            why.add(NO_PROGRESS)
            continue
        count, latest = dates[route].get(trainee_id, (0, None))
        if latest is None or latest < quiet_before:
            why.add(QUIET)
            continue
        if count < MIN_DATES:
            why.add(FEW_RECORDS)
            continue
        months = math.ceil((route_result.target - route_result.achieved) * WINDOW_MONTHS / pace)
        if months > HORIZON_MONTHS:
            why.add(FAR_OFF)
            continue
        if best is None or months < best[0]:
            best = (months, route_result, pace)
    if best is None:
        return Outlook(None, why_none=next((w for w in _WHY_ORDER if w in why), NO_PACE))
    months, route_result, pace = best
    return Outlook(add_months(as_of, months), route_result.label, route_result.achieved, pace)


def hold_still(
    now: Outlooks, before: Mapping[tuple[str, str], Outlook] | None, as_of: dt.date
) -> tuple[Outlooks, list[ForecastMove]]:
    """This month's outlooks with last month's forecasts kept where they should hold, and the
    forecasts that moved, each with its reason.

    A forecast that would move later is kept when nothing new was counted on its route and
    its pace did not fall, for as long as its month is still to come: a month without records
    must not push it back by a month each time. `before` is None on the first report.
    """
    if not before:
        return now, []
    this_month = as_of.replace(day=1)
    held: Outlooks = {}
    moves: list[ForecastMove] = []
    for key, outlook in now.items():
        old = before.get(key)
        if old is None:  # not unmet last month: its status change says what happened
            held[key] = outlook
            continue
        same_records = outlook.route == old.route and outlook.achieved == old.achieved
        if (
            outlook.due is not None
            and old.due is not None
            and outlook.due > old.due > this_month
            and same_records
            and outlook.pace >= old.pace
        ):
            outlook = replace(outlook, due=old.due)
        held[key] = outlook
        if outlook.due != old.due:
            moves.append(
                ForecastMove(key[0], key[1], old.due, outlook.due, _why_moved(old, outlook))
            )
    return held, moves


def _why_moved(old: Outlook, new: Outlook) -> str:
    """Why a forecast moved, in words for the team."""
    if new.due is None:
        return new.why_none
    if old.due is None:
        return f"a pace can now be worked out from {_WINDOW_WORDS}"
    if new.route != old.route:
        return f"now forecast from {new.route}"
    pace = f"from {old.pace:g} to {new.pace:g} {new.route} a year"
    if new.achieved != old.achieved:
        grew = new.achieved - old.achieved
        counted = f"{grew:g} more" if grew > 0 else f"{-grew:g} fewer"
        words = f"{counted} {new.route} counted"
        if new.pace < old.pace:
            words += f", and the pace of {_WINDOW_WORDS} fell {pace}"
        return words
    if new.pace < old.pace:
        return f"the pace of {_WINDOW_WORDS} fell {pace}"
    if new.pace > old.pace:
        return f"the pace of {_WINDOW_WORDS} rose {pace}"
    return f"{month_text(old.due)} has come without it being met"
