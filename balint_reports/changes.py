"""What changed for each trainee since the previous report: for the Changes sheet and letters."""

from __future__ import annotations

from dataclasses import dataclass

from .model import CANNOT_ASSESS, MET, RequirementSnapshot, TraineeSnapshot
from .ruleset import Ruleset
from .wording import OVERALL_WORDS, count_words

CHANGE_COLUMNS = ["trainee_id", "name", "requirement", "before", "now", "change"]


@dataclass(frozen=True)
class Change:
    """One moved value of one trainee."""

    trainee_id: str
    name: str
    requirement: str  # a requirement id, or "overall"
    before: str
    now: str
    change: str  # in plain words, ready for a letter
    became_met: bool = False


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _lower_first(title: str) -> str:
    """`Leadership training` -> `leadership training`, but `Balint ...` stays as written."""
    if len(title) > 1 and title[1].isupper():
        return title
    words = title.split(" ", 1)
    if words[0] in ("Balint", "Society"):
        return title
    return title[:1].lower() + title[1:]


def _requirement_change(
    title: str, label: str, before: RequirementSnapshot, now: RequirementSnapshot
) -> tuple[str, bool]:
    """Plain words for a requirement's move (empty if nothing moved), and whether it became met."""
    name = _lower_first(title)
    was, is_now = before.status, now.status
    delta = 0.0
    if before.achieved is not None and now.achieved is not None:
        delta = now.achieved - before.achieved
    if is_now == MET and was != MET:
        return f"{name} is now complete", True
    if was == MET and is_now != MET:
        fewer = f" ({count_words(-delta, label, 'fewer')})" if delta < 0 else ""
        return f"{name} is no longer complete{fewer}", False
    if is_now == CANNOT_ASSESS and was != CANNOT_ASSESS:
        return f"{name} can no longer be assessed", False
    if was == CANNOT_ASSESS and is_now != CANNOT_ASSESS:
        return f"{name} can now be assessed", False
    if delta > 0:
        return count_words(delta, label, "more"), False
    if delta < 0:
        return f"{count_words(-delta, label, 'fewer')} than last time", False
    return "", False


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
) -> list[Change]:
    """Changes between the previous report's trainees and this one's; none on the first report."""
    if previous is None:
        return []
    wording = _wording(rulesets)
    before_by_id = {t.trainee_id: t for t in previous}
    changes: list[Change] = []
    for trainee in current:
        tid, name = trainee.trainee_id, trainee.name
        before = before_by_id.get(tid)
        if before is None:
            changes.append(Change(tid, name, "overall", "", trainee.overall, "new in this report"))
            continue
        if before.overall != trainee.overall:
            words = OVERALL_WORDS.get(trainee.overall, trainee.overall)
            changes.append(
                Change(
                    tid, name, "overall", before.overall, trainee.overall, f"overall: now {words}"
                )
            )
        for rid, now in trainee.requirements.items():
            old = before.requirements.get(rid)
            if old is None:
                continue
            title, label = wording.get((trainee.ruleset, rid), (rid, "items"))
            words, became_met = _requirement_change(title, label, old, now)
            if words:
                changes.append(
                    Change(
                        tid,
                        name,
                        rid,
                        f"{_shown(old.achieved)} ({old.status})",
                        f"{_shown(now.achieved)} ({now.status})",
                        words,
                        became_met,
                    )
                )
    return changes


def moved_trainees(changes: list[Change]) -> tuple[int, int]:
    """How many trainees already known moved, and how many are new in this report."""
    new = {c.trainee_id for c in changes if c.change == "new in this report"}
    moved = {c.trainee_id for c in changes} - new
    return len(moved), len(new)


def requirement_words(title: str, label: str, before: dict, now: dict) -> str:
    """Plain words for how one requirement moved between two versions (empty if it did not)."""

    def snapshot(values: dict) -> RequirementSnapshot:
        return RequirementSnapshot(str(values.get("status", "")), values.get("achieved"), 0.0, "")

    return _requirement_change(title, label, snapshot(before), snapshot(now))[0]
