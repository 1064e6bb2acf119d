"""Every sentence a letter, a digest or a next step says, in one place, fed by the ruleset.

Numbers and statuses come in as results; words go out. Nothing here counts rows, and nothing
elsewhere makes a sentence that another module would have to read back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from .model import CANNOT_ASSESS, MET, NEEDS_DATA, NOT_MET, READY
from .ruleset import REFERENCE_CHAIN, Requirement, Route, Ruleset, Wording
from .values import map_unique

if TYPE_CHECKING:
    # pandas only for the records' lines, imported there: `--help` loads this module (through
    # `send`) and must not wait for pandas.
    import pandas as pd

    from .model import RequirementResult, RouteResult

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
    route = result.shown_route
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
    route = result.shown_route
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


def count_with_hours(count: float, label: str, hours: float | None) -> str:
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
        head, _, rest = count_with_hours(route.achieved, route.label, route.hours).partition(" ")
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


def _blank(value: object) -> bool:
    import pandas as pd

    return value is None or value is pd.NA or value is pd.NaT or value == "" or value != value


def record_lines(
    source: str, frame: pd.DataFrame, competencies: Mapping[str, str], names: Mapping[str, str]
) -> list[str]:
    """Counted rows as a trainee can check them against their own diary, one line each.

    Called once per table of counted rows, not per trainee: each distinct date and value is
    written once (map_unique), and the lines are joined in one pass.
    """
    import pandas as pd

    if frame.empty:
        return []

    def day(value: object) -> str:
        return "" if _blank(value) else day_text(pd.Timestamp(str(value)))

    def name(prefix: str, fallback: str) -> Callable[[object], str]:
        return lambda who: f"{prefix}{names[str(who)]}" if str(who) in names else fallback

    def optional(words: Callable[[object], str]) -> Callable[[object], str]:
        return lambda value: "" if _blank(value) else words(value)

    if source == "portfolio":
        columns = [
            map_unique(frame["signed_off"], day),
            map_unique(frame["competency"], lambda c: f": {competencies.get(str(c), str(c))}"),
            map_unique(frame["signed_off_by"], name(", signed off by ", "")),
        ]
    elif source == "supervision":
        columns = [
            map_unique(frame["date"], day),
            map_unique(frame["supervisor"], name(": supervision with ", ": supervision")),
            map_unique(frame["hours"], optional(lambda h: f", {hours_text(float(str(h)))}")),
            map_unique(frame["mode"], optional(lambda m: f", {str(m).replace('_', ' ')}")),
        ]
    else:
        columns = [
            map_unique(frame["date"], day),
            map_unique(frame["activity"], lambda a: f": {ACTIVITY_WORDS.get(str(a), str(a))}"),
            map_unique(
                frame["sessions"],
                lambda n: (
                    "" if _blank(n) or n == 1 else f", {count_words(float(str(n)), 'sessions')}"
                ),
            ),
            map_unique(frame["event"], optional(lambda e: f", {e}")),
        ]
    return ["".join(parts) for parts in zip(*columns, strict=True)]


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


# --- a supervisor's digest ------------------------------------------------------------------
# The digest speaks to the supervisor about their trainees, in the third person; its numbers
# use each requirement's `unit`, as route labels speak to the trainee ("your training").

DIGEST_STATUS_WORDS = {
    MET: "complete",
    NOT_MET: "not yet met",
    CANNOT_ASSESS: "cannot be assessed yet",
}
DIGEST_OVERALL_WORDS = {
    READY: "Ready to apply",
    "in_progress": "In progress",
    NEEDS_DATA: "Information needed",
}


COUNTERPART_WORDS = {
    "eligible_supervisor": "with an eligible supervisor",
    "accredited_co_leader": "with an accredited co-leader",
}
PAUSED_FOR_SUPERVISOR = "Their training is paused: nothing is expected of them until they resume."


# What a route counts, named without the trainee's own words (its label speaks to them).
_COUNT_NOUNS = {
    "sessions": "sessions",
    "hours": "hours",
    "distinct_events": "events",
    "distinct_groups": "groups",
    "competencies": "competencies",
}


def _count_noun(rule: Requirement, spec: Route | None) -> str:
    if spec is None or spec.per:
        return rule.unit
    if spec.count == "rows":
        return "sessions" if spec.source == "supervision" else rule.unit
    return _COUNT_NOUNS.get(spec.count, rule.unit)


def digest_numbers(rule: Requirement, result: RequirementResult) -> str:
    """`Co-leading Balint groups: not yet met, 17 of 20 sessions`."""
    status = DIGEST_STATUS_WORDS[result.status]
    route = result.shown_route
    if route is None:
        if result.status == MET:
            return f"{result.title}: waived by the leadership team"
        return f"{result.title}: {status} (the register lacks what decides the target)"
    spec = route_spec(rule, route)
    noun = _count_noun(rule, spec)
    if route.share:
        numbers = f"{percent_text(route.achieved)} (at least {percent_text(route.target)})"
    elif route.target == 1 and not route.per_year:
        numbers = count_words(route.achieved, noun)
        if spec is not None and spec.counterpart:
            numbers += f" {COUNTERPART_WORDS[spec.counterpart]}"
        if route.hours:
            numbers += f", {hours_text(route.hours)}"
    elif route.achieved >= route.target:
        numbers = f"{count_words(route.achieved, noun)} ({number_text(route.target)} needed)"
    else:
        numbers = f"{number_text(route.achieved)} of {number_text(route.target)} {noun}"
    if result.status == NOT_MET and route.met and result.missing_set:
        numbers += "; report not yet received"
    return f"{result.title}: {status}, {numbers}"


def report_awaited(name: str, requested: dt.date) -> str:
    """A reference the team asked this supervisor for and has not received."""
    return (
        f"Your written report on {name}: the leadership team asked for it on "
        f"{day_text(requested)} and has not received it yet."
    )


def reference_to_pass_on(name: str, shared: bool) -> str:
    """A received reference that the trainee is ready for and that has not gone its way yet."""
    if shared:
        return (
            f"Your reference for {name} has been shared with them: please forward it to the "
            "leadership team."
        )
    return f"{name} feels ready to apply: please share your reference with them."


def signoffs_awaited(titles: Sequence[str]) -> str:
    """Competencies the trainee has not had signed off."""
    listed = "; ".join(titles)
    return f"Competencies not yet signed off ({len(titles)}): {listed}."


def supervision_not_counted_for_supervisor(
    sessions: int, hours: float | None, name: str, you: bool, accredited: bool, experienced: bool
) -> str:
    """Supervision of the trainee that does not count, told to their supervisor."""
    amount = count_words(sessions, "sessions")
    if hours is not None:
        amount += f" ({hours_text(hours)})"
    if not accredited and not experienced:
        missing = "an accredited Balint leader, nor as experienced in supervision"
    elif not accredited:
        missing = "an accredited Balint leader"
    else:
        missing = "experienced in supervision"
    who, verb = ("you", "are") if you else (name, "is")
    verb_count = "does" if sessions == 1 else "do"
    return (
        f"{amount[:1].upper()}{amount[1:]} of supervision with {who} {verb_count} not count "
        f"towards accreditation: {who} {verb} not recorded as {missing}. If that is out of "
        "date, please tell the leadership team."
    )


DATE_COLUMNS = ("date", "signed_off")
_ADDRESS_CODES = ("trainee_address_invalid", "name_unaddressable", "address_shared")
_COLUMN_WORDS = {
    "co_leader": "co-leader",
    "signed_off": "sign-off date",
    "signed_off_by": "signer",
    "trainees_present": "number of trainees present",
    "co_leader_present": "co-leader present",
    "trainee_id": "trainee id",
}


def _column_words(column: str) -> str:
    return _COLUMN_WORDS.get(column, column.replace("_", " "))


def issue_for_supervisor(issue: Mapping, as_of: dt.date) -> str:
    """A data issue on a trainee's row in plain words: what it means for the trainee.

    Built from the issue's code and fields, never from the team's sentence, which may carry
    a hint on the config (for the team, not the supervisor) or other people's names.
    """
    place = f"row {issue['row']} of {issue['file']}" if issue.get("row") else str(issue["file"])
    if issue.get("sheet"):
        place += f" (sheet {issue['sheet']})"
    column = _column_words(str(issue.get("column") or ""))
    value = str(issue.get("value") or "")
    shown = f" '{value}'" if value else ""
    code = str(issue.get("code") or "")
    # What became of the row says what the issue means for the trainee: from the issue's code
    # where it has one, else from the row's outcome.
    outcome = str(issue.get("outcome") or "")
    if not code and outcome == "duplicate" and issue.get("column") == "trainee_id":
        code = "register_repeat"  # a register row merged into the trainee's first one
    if code in ("future_row", "duplicate_row"):
        outcome = code.removesuffix("_row")
    elif outcome in ("future", "duplicate") and (code or issue.get("column") not in DATE_COLUMNS):
        # Without a code, only an issue on the row's date is about its being later or repeated.
        outcome = "accepted"
    match code:
        case _ if outcome == "future":
            what = f"dated after {day_text(as_of)}: it will count once that date has passed"
        case _ if outcome == "duplicate":
            what = "the same entry appears twice: it is counted once"
        case "person_unknown" | "person_unknown_kept":
            what = f"the {column}{shown} is not in the society's registers"
        case "person_ambiguous":
            what = f"the {column}{shown} matches more than one person"
        case "unknown_competency":
            what = f"{shown.strip() or 'the competency'} is not a competency of the pathway"
        case "required_missing":
            what = f"the {column} is blank"
        case "register_date_future":
            what = f"the {column} {value} is after {day_text(as_of)}, so it counts as not yet set"
        case "register_repeat":
            what = "the trainee is listed twice in the register: counted once"
        case "register_conflict":
            what = f"the register has two different values for the {column}"
        case _ if code in _ADDRESS_CODES:
            what = "the trainee's email address is missing or cannot be used"
        case "non_ascii_address":
            what = "the email address has letters (such as á) that most mail servers refuse"
        case "invalid_vocab":
            what = f"the {column}{shown} is not one the society's lists know"
        case _ if code.startswith("invalid_"):
            what = f"the {column}{shown} could not be read"
        case _:  # a kind of issue without words of its own yet: true of any issue
            what = f"the {column}{shown} needs checking" if column else "the row needs checking"
    said_enough = ("register_repeat", "register_date_future", *_ADDRESS_CODES)
    if outcome in ("future", "duplicate") or code in said_enough:
        tail = ""
    elif issue.get("severity") == "error" or outcome == "rejected":
        tail = ": the row does not count until it is corrected, and the leadership team is on it"
    elif outcome == "accepted" or (code and issue.get("severity") == "warning"):
        # A warning never rejects a row (later and repeated rows have codes of their own).
        tail = ": the row counts as it is while the leadership team checks it"
    else:
        tail = ": the leadership team is checking it"
    return f"{place[:1].upper()}{place[1:]}: {what}{tail}."
