"""Chasing a supervisor's report: when one asked for is overdue, and the words that say so."""

from __future__ import annotations

import datetime as dt

from .evaluate import TraineeResult

REFERENCE_FIELD = "reference_received"


def overdue(requested: dt.date | None, as_of: dt.date, weeks: int) -> bool:
    """Whether a report asked for on `requested` is older than `weeks` at the report date."""
    return requested is not None and (as_of - requested).days > 7 * weeks


def overdue_since(t: TraineeResult, as_of: dt.date, weeks: int) -> dt.date | None:
    """The date a still-missing report was asked for, when that is more than `weeks` ago."""
    dates = dict(t.dates)
    requested = dates.get("reference_requested")
    if REFERENCE_FIELD in dates or not overdue(requested, as_of, weeks):
        return None
    return requested


def chase_words(t: TraineeResult, as_of: dt.date, weeks: int) -> list[str]:
    """The digest's flag for a report asked for over `weeks` ago and not received."""
    requested = overdue_since(t, as_of, weeks)
    if requested is None:
        return []
    waited = (as_of - requested).days // 7
    return [
        f"Overdue: the report on {t.name} was asked for {waited} weeks ago; the leadership "
        f"team sends a reminder after {weeks} weeks."
    ]
