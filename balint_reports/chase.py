"""Chasing a supervisor's report: when one asked for is overdue (wording.report_awaited says so)."""

from __future__ import annotations

import datetime as dt

from .model import MET, TraineeResult


def overdue(requested: dt.date | None, as_of: dt.date, weeks: int) -> bool:
    """Whether a report asked for on `requested` is older than `weeks` at the report date."""
    return requested is not None and (as_of - requested).days > 7 * weeks


def overdue_since(t: TraineeResult, as_of: dt.date, weeks: int) -> dt.date | None:
    """The date a still-missing supervisor's report was asked for, when that is more than
    `weeks` ago: the dates of the supervisor's reference of the trainee's ruleset."""
    reference = t.ruleset.supervisor_reference()
    if reference is None:
        return None
    dates = dict(t.dates)
    requested = dates.get(reference.field("requested") or "")
    if reference.received in dates or not overdue(requested, as_of, weeks):
        return None
    return requested


def only_report_missing(t: TraineeResult) -> bool:
    """Every requirement met except those whose only gap is the supervisor's report."""
    reference = t.ruleset.supervisor_reference()
    received = reference.field("received") if reference else None
    if received is None:
        return False
    rules = {q.id: q for q in t.ruleset.requirements}
    dates = dict(t.dates)
    waiting = False
    for r in t.requirements:
        if r.status == MET:
            continue
        rule = rules[r.id]
        if (
            received in rule.requires_set
            and received not in dates
            and any(route.met for route in r.routes)
            and all(name in dates for name in rule.requires_set if name != received)
        ):
            waiting = True
            continue
        return False
    return waiting
