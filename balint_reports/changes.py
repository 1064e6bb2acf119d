"""What changed for each trainee since the previous report: for the Changes sheet and letters."""

from __future__ import annotations

from dataclasses import dataclass

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


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _requirement_change(title: str, unit: str, before: dict, now: dict) -> str | None:
    words = []
    if before.get("achieved") is not None and now.get("achieved") is not None:
        delta = now["achieved"] - before["achieved"]
        if delta:
            more = "more" if delta > 0 else "fewer"
            words.append(f"{abs(delta):g} {more} {unit} for {title.lower()}")
    if before.get("status") != now.get("status"):
        if now.get("status") == "met":
            words.append(f"{title} is now complete")
        elif before.get("status") == "met":
            words.append(f"{title} is no longer complete")
        elif now.get("status") == "cannot_assess":
            words.append(f"{title} can no longer be assessed")
    return "; ".join(words) or None


def compare(
    previous: dict | None, current: dict, units: dict[str, tuple[str, str]]
) -> list[Change]:
    """Changes between two progress.json documents; none on the first report.

    `units` maps requirement id to (title, unit) for wording.
    """
    if previous is None:
        return []
    before_by_id = {t["trainee_id"]: t for t in previous.get("trainees", [])}
    changes: list[Change] = []
    for trainee in current["trainees"]:
        tid, name = trainee["trainee_id"], trainee["name"]
        before = before_by_id.get(tid)
        if before is None:
            changes.append(
                Change(tid, name, "overall", "", trainee["overall"], "new in this report")
            )
            continue
        if before["overall"] != trainee["overall"]:
            word = {
                "ready": "ready to apply",
                "in_progress": "in progress",
                "needs_data": "needs data",
            }
            changes.append(
                Change(
                    tid,
                    name,
                    "overall",
                    before["overall"],
                    trainee["overall"],
                    f"overall: now {word.get(trainee['overall'], trainee['overall'])}",
                )
            )
        for rid, now in trainee["requirements"].items():
            old = before.get("requirements", {}).get(rid)
            if old is None:
                continue
            title, unit = units.get(rid, (rid, "items"))
            words = _requirement_change(title, unit, old, now)
            if words:
                changes.append(
                    Change(
                        tid,
                        name,
                        rid,
                        f"{_shown(old.get('achieved'))} ({old.get('status')})",
                        f"{_shown(now.get('achieved'))} ({now.get('status')})",
                        words,
                    )
                )
    return changes
