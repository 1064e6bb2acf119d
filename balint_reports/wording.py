"""Every sentence a letter, a digest or a next step says, in one place, fed by the ruleset.

Numbers and statuses come in as results; words go out. Nothing here counts rows, and nothing
elsewhere makes a sentence that another module would have to read back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .ruleset import REFERENCE_CHAIN, Requirement, Route, Ruleset, Wording
from .schema import CANNOT_ASSESS, MET, NEEDS_DATA, NOT_MET, READY

if TYPE_CHECKING:
    from .evaluate import RequirementResult, RouteResult

OVERALL_WORDS = {
    READY: "ready to apply",
    "in_progress": "in progress",
    NEEDS_DATA: "information needed",
}
# A requirement's heading in a letter.
STATUS_WORDS = {MET: "Complete", NOT_MET: "In progress", CANNOT_ASSESS: "Information needed"}
# Activities as a trainee reads them in the list of records that counted.
ACTIVITY_WORDS = {
    "member": "group member",
    "weekend_member": "weekend group member",
    "co_leader": "co-leader",
    "leader": "leader",
    "leadership_weekend": "leadership weekend",
    "leadership_day": "leadership training day",
}
# Advice whose subject a letter already gives as a reason inside its requirement: rows that
# do not count hold accreditation up, so they are never among the suggestions.
SAID_AS_REASON = frozenset({"ineligible_supervisor"})
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def number_text(value: float) -> str:
    """A count as people write it: 20, 1.5."""
    return f"{value:g}"


def percent_text(value: float) -> str:
    """A share as people write it: 50%."""
    return f"{100 * value:.0f}%"


def day_text(day: dt.date) -> str:
    """A date as a letter writes it: 5 March 2026."""
    return f"{day.day} {day:%B %Y}"


def singular(label: str) -> str:
    """`co-led sessions` -> `co-led session`: the first plural noun of each `or` alternative."""

    def one(part: str) -> str:
        words = part.split(" ")
        for i, word in enumerate(words):
            if word.endswith("ies") and len(word) > 4:
                words[i] = word[:-3] + "y"
                break
            if re.fullmatch(r"[a-z-]{3,}[^su]s", word):
                words[i] = word[:-1]
                break
        return " ".join(words)

    return " or ".join(one(part) for part in label.split(" or "))


def count_words(amount: float, label: str, more: str = "") -> str:
    """`4 more co-led sessions`, `1 more co-led session` (with `more="more"`)."""
    return " ".join(
        w for w in (f"{amount:g}", more, singular(label) if amount == 1 else label) if w
    )


def hours_text(hours: float) -> str:
    """`1 hour`, `7.5 hours`."""
    return f"{number_text(hours)} hour{'' if hours == 1 else 's'}"


def shown_route(result: RequirementResult) -> RouteResult | None:
    """The route whose numbers are shown: one that is met, else the one furthest along."""
    met = [route for route in result.routes if route.met]
    if met:
        return met[0]
    return max(result.routes, key=lambda route: route.achieved / route.target, default=None)


def route_spec(rule: Requirement, route: RouteResult) -> Route | None:
    """The ruleset's route behind a result: routes of one requirement have their own labels."""
    return next((r for r in rule.routes if r.label == route.label), None)


def fill_dates(text: str, dates: Mapping[str, dt.date]) -> str:
    """A ruleset text with its `{register_date}` placeholders written as dates."""
    return _PLACEHOLDER.sub(
        lambda m: day_text(dates[m[1]]) if m[1] in dates else "(date not recorded)", text
    )


# --- next steps ---------------------------------------------------------------------------


def _field_step(wording: Wording, field: str, dates: Mapping[str, dt.date]) -> str:
    """The step for a register field that is not set; for the reference, its earliest gap.

    A report that was never asked for cannot be chased: the step is then to ask for it.
    """
    if field in REFERENCE_CHAIN:
        chain = REFERENCE_CHAIN[: REFERENCE_CHAIN.index(field) + 1]
        field = next((f for f in chain if f not in dates), field)
    text = wording.step(field)
    return fill_dates(text, dates) if text else ""


def requirement_step(
    ruleset: Ruleset, rule: Requirement, result: RequirementResult, dates: Mapping[str, dt.date]
) -> str:
    """What would move one requirement on: the part that is missing, never a part done."""
    if result.status == MET:
        return ""
    if result.status == CANNOT_ASSESS:
        if rule.missing_data:
            return f"{ruleset.wording.needs_data} {rule.missing_data}."
        return rule.next_step
    route = shown_route(result)
    if route is not None and not route.met:
        spec = route_spec(rule, route)
        return (spec.next_step if spec else "") or rule.next_step
    for field in result.missing_set:
        step = _field_step(ruleset.wording, field, dates)
        if step:
            return step
    return rule.next_step


def _left_to_do(result: RequirementResult) -> float:
    """How much of a requirement's count is still missing, from 0 to 1.

    Counts met with a register step missing (the supervisor's report, typically) is 0: the
    report comes once the rest is in place, so it is the step to take last.
    """
    route = shown_route(result)
    if route is None:
        return 1.0
    if route.met:
        return 0.0
    return max(0.0, min(1.0, 1 - route.achieved / route.target))


def readiness_step(wording: Wording, feels_ready: bool | None, dates: Mapping[str, dt.date]) -> str:
    """Every requirement met: feeling ready, then the reference's first missing step."""
    needed = [] if feels_ready else ["feels_ready"]
    gap = next((f for f in REFERENCE_CHAIN if f not in dates), None)
    if gap is not None:
        needed.append(gap)
    steps = [_field_step(wording, field, dates) for field in needed]
    if not all(steps):  # a ruleset without these words keeps its one sentence
        return wording.all_met_not_ready
    return " ".join(steps)


def next_steps(
    ruleset: Ruleset,
    status: str,
    overall: str,
    results: Sequence[RequirementResult],
    feels_ready: bool | None,
    dates: Mapping[str, dt.date],
) -> tuple[tuple[str, ...], str]:
    """Each requirement's next step, and the one overall step that unblocks most.

    The rule (docs/rulesets.md): information the team needs comes first; else the unmet
    requirement with the largest share of its count still to do (ties: the ruleset's order;
    one waiting only on the report comes last); else, all met, the readiness steps. A paused
    trainee is given none.
    """
    none = ("",) * len(results)
    if status == "paused":
        return none, ""
    if overall == READY:
        return none, ruleset.wording.ready
    rules = {q.id: q for q in ruleset.requirements}
    steps = tuple(requirement_step(ruleset, rules[r.id], r, dates) for r in results)
    if overall == NEEDS_DATA:
        missing = [
            rules[r.id].missing_data
            for r in results
            if r.status == CANNOT_ASSESS and rules[r.id].missing_data
        ]
        return steps, f"{ruleset.wording.needs_data} {'; '.join(missing)}."
    unmet = [(r, step) for r, step in zip(results, steps, strict=True) if r.status == NOT_MET]
    if unmet:
        return steps, max(unmet, key=lambda pair: _left_to_do(pair[0]))[1]
    return steps, readiness_step(ruleset.wording, feels_ready, dates)


# --- a requirement's numbers ----------------------------------------------------------------


def _with_hours(count: float, label: str, hours: float | None) -> str:
    """`5 supervision sessions, 7.5 hours, with an eligible supervisor`."""
    words = count_words(count, label)
    if hours is None:
        return words
    head, sep, tail = words.partition(" with ")
    if sep:
        return f"{head}, {hours_text(hours)}, with {tail}"
    return f"{words}, {hours_text(hours)}"


def progress_words(route: RouteResult) -> tuple[str, str]:
    """A route's numbers as (the number, the rest): honest about what the target means.

    "12 of 20 co-led sessions (60%)"; above the target "24 co-led sessions (20 needed)"; a
    target of one reads as a count, "5 supervision sessions, 5 hours, with ...".
    """
    if route.share:
        return percent_text(route.achieved), (
            f"{route.label} (at least {percent_text(route.target)} needed)"
        )
    if route.per_year:
        return f"{number_text(route.achieved)} of {number_text(route.target)}", (
            f"{route.label} {route.per_year}"
        )
    if route.target == 1:
        if not route.achieved:
            return "No", f"{route.label} yet"
        head, _, rest = _with_hours(route.achieved, route.label, route.hours).partition(" ")
        return head, rest
    if route.achieved >= route.target:
        head, _, rest = count_words(route.achieved, route.label).partition(" ")
        return head, f"{rest} ({number_text(route.target)} needed)"
    percent = round(100 * route.achieved / route.target)
    return f"{number_text(route.achieved)} of {number_text(route.target)}", (
        f"{route.label} ({percent}%)"
    )


def progress_percent(route: RouteResult | None, status: str) -> int:
    """How full the bar is: a met requirement is full whatever its numbers."""
    if status == MET:
        return 100
    if route is None:
        return 0
    return min(100, round(100 * route.achieved / route.target))


def left_words(route: RouteResult | None, status: str) -> str:
    """What is left of the route shown, when a count says it."""
    if status == MET:
        return "Done."
    if route is None or route.met or route.share or route.per_year or route.target == 1:
        return ""
    return f"{number_text(route.target - route.achieved)} more to go."


def unknown_target_words(rule: Requirement) -> str:
    """A requirement whose target depends on something not yet known."""
    if rule.missing_data:
        return f"How much is needed depends on {rule.missing_data}, which we do not know yet."
    return "We do not yet have what we need to assess this."


# --- why rows do not count ------------------------------------------------------------------


def supervisor_reason(name: str, accredited: bool, experienced: bool) -> str:
    """Why sessions with this supervisor do not count, in the trainee's words."""
    if not accredited and not experienced:
        missing = "an accredited Balint leader, nor as experienced in supervision"
    elif not accredited:
        missing = "an accredited Balint leader"
    else:
        missing = "experienced in supervision"
    return f"{name} is not recorded as {missing}"


def co_leader_reason(kind: str, name: str) -> str:
    """Why co-led sessions do not count towards a route that needs an accredited co-leader."""
    match kind:
        case "unknown":
            return "the co-leader written there is not in our registers"
        case "blank":
            return "no co-leader is recorded"
        case "trainee":
            return "the co-leader was a fellow trainee"
    return f"{name} is not recorded as an accredited Balint leader"


def supervision_not_counted(sessions: int, hours: float | None, name: str, why: str) -> str:
    """`4 sessions (6 hours) with Ruth Adebayo do not count: ...`, for the trainee."""
    amount = count_words(sessions, "sessions")
    if hours is not None:
        amount += f" ({hours_text(hours)})"
    verb = "does" if sessions == 1 else "do"
    return f"{amount} with {name} {verb} not count: {why}. If that has changed, please let us know."


def co_led_not_counted(sessions: float, why: str) -> str:
    """`3 co-led sessions do not count: the co-leader written there is not in our registers.`"""
    verb = "does" if sessions == 1 else "do"
    return f"{count_words(sessions, 'co-led sessions')} {verb} not count: {why}."


# --- the records we counted -----------------------------------------------------------------


def _mode_words(mode: str) -> str:
    return mode.replace("_", " ")


def record_line(source: str, row: Mapping, competencies: Mapping[str, str], names: Mapping) -> str:
    """One counted row as a trainee can check it against their own diary."""
    if source == "portfolio":
        title = competencies.get(row["competency"], row["competency"])
        by = names.get(row.get("signed_off_by", ""), "")
        return f"{day_text(row['signed_off'])}: {title}" + (f", signed off by {by}" if by else "")
    parts = []
    if source == "supervision":
        who = names.get(row["supervisor"], "")
        parts.append(f"supervision with {who}" if who else "supervision")
        parts.append(hours_text(float(row["hours"])))
        if row.get("mode"):
            parts.append(_mode_words(str(row["mode"])))
    else:
        parts.append(ACTIVITY_WORDS.get(row["activity"], str(row["activity"])))
        sessions = row.get("sessions")
        if sessions is not None and sessions == sessions and sessions != 1:
            parts.append(count_words(float(sessions), "sessions"))
        if row.get("event"):
            parts.append(str(row["event"]))
    return f"{day_text(row['date'])}: " + ", ".join(parts)


def unused_rows_words(file: str, outcome: str, rows: int, as_of: dt.date) -> str:
    """Rows of this trainee that were not used, told without anything of anyone else's."""
    amount = "1 row" if rows == 1 else f"{rows} rows"
    if outcome == "future":
        verb, it = ("is", "it") if rows == 1 else ("are", "they")
        return (
            f"{amount} in {file} {verb} dated after {day_text(as_of)}: "
            f"{it} will count once that date has passed."
        )
    return (
        f"{amount} in {file} naming you could not be counted because of a mistake in the "
        "spreadsheet: the leadership team is checking it."
    )
