"""What changed for each trainee since the previous report: for the Changes sheet and letters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .labels import REGISTER_WORDS, STATUS_WORDS
from .model import (
    ForecastMove,
    RequirementSnapshot,
    TraineeResult,
    TraineeSnapshot,
)
from .ruleset import Ruleset
from .wording import (
    NEW_IN_REPORT,
    forecast_change_words,
    overall_change_words,
    requirement_change_words,
)


@dataclass(frozen=True)
class Change:
    """One moved value of one trainee."""

    trainee_id: str
    name: str
    requirement: str  # a requirement id, "overall", or "status" (the register's)
    before: str
    now: str
    change: str  # in plain words, ready for a letter
    became_met: bool = False
    about: str = "progress"  # or "forecast": a forecast that moved, for the Changes sheet
    # fewer counted than last time: a record that counted was corrected or taken out
    fewer: bool = False


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _with_status(requirement: RequirementSnapshot) -> str:
    """`8 (Not yet met)`: a requirement's number and status as the Changes sheet shows them."""
    status = requirement.status
    return f"{_shown(requirement.achieved)} ({STATUS_WORDS.get(status, status)})"


def _requirement_change(
    title: str, label: str, before: RequirementSnapshot, now: RequirementSnapshot
) -> tuple[str, bool]:
    """Plain words for a requirement's move (empty if nothing moved), and whether it became met."""
    delta = 0.0
    if before.achieved is not None and now.achieved is not None:
        delta = now.achieved - before.achieved
    return requirement_change_words(title, label, before.status, now.status, delta)


def _wording(rulesets: tuple[Ruleset, ...]) -> dict[tuple[str, str], tuple[str, str]]:
    """(ruleset id, requirement id) -> (title, what its main count is called)."""
    return {
        (ruleset.id, q.id): (q.title, q.routes[0].label)
        for ruleset in rulesets
        for q in ruleset.requirements
    }


def compare(
    previous: tuple[TraineeSnapshot, ...] | None,
    current: tuple[TraineeSnapshot, ...],
    rulesets: tuple[Ruleset, ...],
    labels: Mapping[tuple[str, str], str] | None = None,
) -> list[Change]:
    """Changes between the previous report's trainees and this one's; none on the first report.

    `labels`: per (trainee id, requirement id), what the route shown now counts; without one,
    the requirement's first route's (its psychodynamic route's, for uk-2019's membership)."""
    if previous is None:
        return []
    wording = _wording(rulesets)
    before_by_id = {t.trainee_id: t for t in previous}
    changes: list[Change] = []
    for trainee in current:
        tid, name = trainee.trainee_id, trainee.name
        before = before_by_id.get(tid)
        if before is None:
            changes.append(Change(tid, name, "overall", "", trainee.overall, NEW_IN_REPORT))
            continue
        if before.status != trainee.status:
            # a trainee resuming, rejoining or accredited: the team's news, not a letter's
            words = f"register status: now {REGISTER_WORDS.get(trainee.status, trainee.status)}"
            changes.append(
                Change(tid, name, "status", before.status, trainee.status, words.casefold())
            )
        if before.overall != trainee.overall:
            words = overall_change_words(trainee.overall)
            changes.append(Change(tid, name, "overall", before.overall, trainee.overall, words))
        for rid, now in trainee.requirements.items():
            old = before.requirements.get(rid)
            if old is None:
                continue
            title, label = wording.get((trainee.ruleset, rid), (rid, "items"))
            label = (labels or {}).get((tid, rid), label)
            words, became_met = _requirement_change(title, label, old, now)
            if words:
                fewer = (
                    old.achieved is not None
                    and now.achieved is not None
                    and now.achieved < old.achieved
                )
                changes.append(
                    Change(
                        tid,
                        name,
                        rid,
                        _with_status(old),
                        _with_status(now),
                        words,
                        became_met,
                        fewer=fewer,
                    )
                )
    return changes


def forecast_changes(
    moves: tuple[ForecastMove, ...], trainees: tuple[TraineeResult, ...]
) -> list[Change]:
    """A Changes row per forecast that moved, saying why, in register order."""
    if not moves:
        return []
    by_key = {(m.trainee_id, m.requirement): m for m in moves}
    rows = []
    for trainee in trainees:
        for requirement in trainee.requirements:
            move = by_key.get((trainee.trainee_id, requirement.id))
            if move is None:
                continue
            rows.append(
                Change(
                    trainee.trainee_id,
                    trainee.name,
                    requirement.id,
                    "" if move.before is None else f"{move.before:%Y-%m}",
                    "" if move.now is None else f"{move.now:%Y-%m}",
                    forecast_change_words(requirement.title, move.before, move.now, move.why),
                    about="forecast",
                )
            )
    return rows


def moved_trainees(changes: list[Change]) -> tuple[int, int]:
    """How many trainees already known moved, and how many are new in this report.

    A forecast that moved alone is not progress: it does not count a trainee as moved.
    """
    new = {c.trainee_id for c in changes if c.change == NEW_IN_REPORT}
    moved = {c.trainee_id for c in changes if c.about == "progress"} - new
    return len(moved), len(new)


def requirement_words(title: str, label: str, before: dict, now: dict) -> str:
    """Plain words for how one requirement moved between two versions (empty if it did not)."""

    def snapshot(values: dict) -> RequirementSnapshot:
        return RequirementSnapshot(str(values.get("status", "")), values.get("achieved"), 0.0, "")

    return _requirement_change(title, label, snapshot(before), snapshot(now))[0]
