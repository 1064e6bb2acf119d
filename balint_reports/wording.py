"""Every sentence a letter, a digest or a next step says, in one place, fed by the ruleset.

Numbers and statuses come in as results; words go out. Nothing here counts rows, and nothing
elsewhere makes a sentence that another module would have to read back.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from .addresses import non_ascii_letters
from .model import CANNOT_ASSESS, IN_PROGRESS, MET, NEEDS_DATA, NOT_MET, READY
from .ruleset import Requirement, Route, Ruleset, Vocabulary
from .values import and_list, decision_credit, written_once

if TYPE_CHECKING:
    # numpy and pandas only for the records' lines, imported there: `--help` loads this
    # module (through `send`) and must not wait for them.
    import numpy as np
    import pandas as pd

    from .model import RequirementResult, RouteResult

# A trainee's overall status as a change line says it, in words ready for a letter.
LETTER_OVERALL_WORDS: dict[str, str] = {
    READY: "ready to apply",
    IN_PROGRESS: "in progress",
    NEEDS_DATA: "information needed",
}
# A requirement's heading in a letter.
LETTER_STATUS_WORDS = {MET: "Complete", NOT_MET: "In progress", CANNOT_ASSESS: "Information needed"}
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
# do not count hold the trainee up, so they are never among the suggestions.
SAID_AS_REASON = frozenset({"ineligible_supervisor"})
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# The words of a ruleset without a [vocabulary]: "accreditation", "leadership team".
DEFAULT_WORDS = Vocabulary()


def number_text(value: float) -> str:
    """A count as people write it: 20, 1.5; 1000000, not :g's 1e+06."""
    return f"{value:.0f}" if abs(value) >= 1e6 else f"{value:g}"


def percent_text(value: float) -> str:
    """A share as people write it: 50%."""
    return f"{100 * value:.0f}%"


def day_text(day: dt.date) -> str:
    """A date as a letter writes it: 5 March 2026."""
    return f"{day.day} {day:%B %Y}"


def month_text(month: str | dt.date) -> str:
    """A month as the team names it: a report's folder `2026-10`, or any day in the month ->
    October 2026."""
    day = month if isinstance(month, dt.date) else dt.date.fromisoformat(f"{month}-01")
    return f"{day:%B %Y}"


# Words of four letters or more that end like plurals but are not nouns to make singular.
_NOT_PLURAL = frozenset({"this", "does", "goes", "news", "ours", "yours", "bias", "always"})
# A later `or` alternative starting so qualifies the noun before it ("member sessions in a
# group or at Balint Society weekends"): it has no noun of its own to make singular.
_PREPOSITIONS = frozenset(
    {"at", "in", "on", "after", "before", "during", "within", "with", "by", "from", "for", "of"}
)


def singular(label: str) -> str:
    """`co-led sessions` -> `co-led session`: the first plural noun of each `or` alternative
    (`leadership weekends or training days` -> `leadership weekend or training day`), except
    an alternative that qualifies the one before (`... in a group or at weekends`)."""

    def one(part: str) -> str:
        words = part.split(" ")
        for i, word in enumerate(words):
            if word.endswith("ies") and len(word) > 4:
                words[i] = word[:-3] + "y"
                break
            if re.fullmatch(r"[a-z-]{2,}[^su]s", word) and word not in _NOT_PLURAL:
                words[i] = word[:-1]
                break
        return " ".join(words)

    first, *others = label.split(" or ")
    return " or ".join(
        [one(first)]
        + [part if part.split(" ", 1)[0] in _PREPOSITIONS else one(part) for part in others]
    )


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


def _field_step(ruleset: Ruleset, field: str, dates: Mapping[str, dt.date]) -> str:
    """The step for a register field that is not set; for a date of the ruleset's readiness
    `order` (the reference), its earliest gap.

    A report that was never asked for cannot be chased: the step is then to ask for it.
    """
    field = ruleset.readiness.first_gap(field, dates.__contains__)
    text = ruleset.wording.step(field)
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
        step = _field_step(ruleset, field, dates)
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


def readiness_step(
    ruleset: Ruleset,
    feels_ready: bool | None,
    dates: Mapping[str, dt.date],
    waiting: Sequence[str] | None = None,
) -> str:
    """Every requirement met: the step of each [readiness] field not yet holding, in its order
    (uk-2019: feeling ready, then the reference's first missing step).

    `waiting`: what readiness waits for, as evaluate found it (its own yes/no fields and the
    time on the pathway included); without it, worked out from `feels_ready` and `dates`."""
    needed = (
        list(waiting)
        if waiting is not None
        else [
            name
            for name in ruleset.readiness.fields
            if not (name in dates or (name == "feels_ready" and feels_ready))
        ]
    )
    # Two blank dates of one chain wait on the same first gap: its step is given once.
    steps = list(dict.fromkeys(_field_step(ruleset, name, dates) for name in needed))
    if not all(steps):  # a ruleset without these words keeps its one sentence
        return ruleset.wording.all_met_not_ready
    return " ".join(steps)


# Register statuses with nothing left to do, and what the summary says instead of a step.
FINISHED_STEPS = {"accredited": "Already accredited.", "withdrawn": "Withdrawn from the pathway."}


def next_steps(
    ruleset: Ruleset,
    status: str,
    overall: str,
    results: Sequence[RequirementResult],
    feels_ready: bool | None,
    dates: Mapping[str, dt.date],
    waiting: Sequence[str] | None = None,
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
    if status in FINISHED_STEPS:  # no letter; the summary must not tell them to apply
        return none, FINISHED_STEPS[status]
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
    # A requirement the ruleset's [readiness] leaves out (a desirable one) never holds up the
    # overall step.
    unmet = [
        (r, step)
        for r, step in zip(results, steps, strict=True)
        if r.status == NOT_MET and ruleset.readiness.counts(r.id)
    ]
    if unmet:
        return steps, max(unmet, key=lambda pair: _left_to_do(pair[0]))[1]
    return steps, readiness_step(ruleset, feels_ready, dates, waiting)


# --- what changed since the last report ------------------------------------------------------

NEW_IN_REPORT = "new in this report"


def lower_first(title: str) -> str:
    """`Leadership training` -> `leadership training`, but `Balint ...` stays as written."""
    if len(title) > 1 and title[1].isupper():
        return title
    words = title.split(" ", 1)
    if words[0] in ("Balint", "Society"):
        return title
    return title[:1].lower() + title[1:]


def overall_change_words(overall: str) -> str:
    """`overall: now ready to apply`."""
    return f"overall: now {LETTER_OVERALL_WORDS.get(overall, overall)}"


def requirement_change_words(
    title: str, label: str, was: str, is_now: str, delta: float
) -> tuple[str, bool]:
    """A requirement's move in plain words (empty if nothing moved), and whether it became met.

    `delta`: how much its count moved (0 when either count is unknown).
    """
    name = lower_first(title)
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


def forecast_change_words(title: str, before: dt.date | None, now: dt.date | None, why: str) -> str:
    """A forecast that moved, for the Changes sheet, with why it moved."""
    name = lower_first(title)
    if now is None:
        words = f"no forecast for {name} now (it was {before:%B %Y})"
    elif before is None:
        words = f"{name} now forecast for {now:%B %Y}"
    else:
        way = "earlier" if now < before else "later"
        words = f"forecast for {name} moved {way}, from {before:%B %Y} to {now:%B %Y}"
    return f"{words}: {why}"


def since_last_letter(changes: Sequence[str]) -> str:
    """A trainee's moves since their last letter as one sentence, or "" when none."""
    words = "; ".join(changes)
    return (words[:1].upper() + words[1:] + ".") if words else ""


def congratulations(met: int, total: int) -> str:
    """For a letter in which a requirement became met."""
    return f"Well done: you have now completed {met} of the {total} requirements."


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


def left_words(route: RouteResult | None, status: str, missing_label: str = "") -> str:
    """What is left of the route shown, when a count says it; `missing_label`: the register
    step still to come once the counts are met (`Your supervisor's written report received:
    not yet.`), so that a full bar under *In progress* says why."""
    if status == MET:
        return "Done."
    if route is not None and route.met and missing_label:
        return f"{missing_label[:1].upper()}{missing_label[1:]}: not yet."
    if route is None or route.met or route.share or route.per_year or route.target == 1:
        return ""
    return f"{number_text(route.target - route.achieved)} more to go."


def signature_words(signature: str, words: Vocabulary = DEFAULT_WORDS) -> str:
    """How a letter is signed: the config's signature, else the society's team as a name
    ("The Leadership Team", "The Accreditation Committee")."""
    if signature:
        return signature
    return "The " + " ".join(word[:1].upper() + word[1:] for word in words.team.split())


def waived_words(words: Vocabulary = DEFAULT_WORDS) -> str:
    """A waived requirement's line in a letter: `Waived by the Accreditation Committee`."""
    return f"Waived by the {words.team}"


# For a ruleset without words of its own for a paused trainee.
PAUSED_FOR_TRAINEE = (
    "Your training is recorded as paused; nothing is expected of you until you resume."
)


def forecast_words(when: dt.date, window_months: int) -> str:
    """`At your pace over the last 12 months, around March 2027.`: the pace is the window's,
    not the last few weeks', which "recent" would suggest."""
    return f"At your pace over the last {window_months} months, around {when:%B %Y}."


def unknown_target_words(rule: Requirement) -> str:
    """A requirement whose target depends on something not yet known."""
    if rule.missing_data:
        return f"How much is needed depends on {rule.missing_data}, which we do not know yet."
    return "We do not yet have what we need to assess this."


# --- a requirement's detail (the Requirements sheet and progress.json) -----------------------


def per_year_words(values: Sequence[float], completed: int, years: int) -> str:
    """Which pathway year a per-year route's number is from, and how many years are done."""
    if completed:
        listed = ", ".join(f"year {y + 1}: {number_text(v)}" for y, v in enumerate(values))
        words = f"in your weakest completed pathway year ({listed})"
    else:
        words = "so far in pathway year 1 (no year completed yet)"
    if years and completed < years:
        words += f"; {completed} of {years} pathway years completed"
    return words


def per_period_words(unit: str, over_months: int, short: int, periods: int, target: float) -> str:
    """Which month (or quarter) a regularity route's number is from, and how many fell short."""
    return (
        f"in the weakest {unit} of the last {over_months} months "
        f"({short} of {periods} {unit}s below {number_text(target)})"
    )


def route_detail(r: RouteResult) -> str:
    """A route's numbers for the detail column: `12 of 20 co-led sessions`, `24 ... (20 needed)`."""
    if r.target == 1 and not r.per_year and not r.share:
        # "at least one" is a count, not a target: never "5 of 1" (docs/contract.md#letters)
        return count_with_hours(r.achieved, r.label, r.hours)
    if r.share:
        return f"{percent_text(r.achieved)} {r.label} (at least {percent_text(r.target)})"
    if r.achieved >= r.target and not r.per_year:
        # As the letter says it: at or past the target, "24 of 20" reads as a slip
        return f"{count_with_hours(r.achieved, r.label, r.hours)} ({number_text(r.target)} needed)"
    words = f"{number_text(r.achieved)} of {number_text(r.target)} {r.label}"
    if r.per_year:
        words += f" {r.per_year}"  # total hours beside one year's count would mislead
    elif r.hours is not None:
        words += f" ({hours_text(r.hours)})"
    return words


def detail_cannot_assess(unknown: str) -> str:
    """The detail of a requirement that waits on a fact: `cannot be assessed until we know ...`."""
    return f"cannot be assessed until we know {unknown or 'more'}"


def detail_requires_set(label: str, missing: bool) -> str:
    """`supervisor's report received: no`."""
    return f"{label}: {'no' if missing else 'yes'}"


def detail_whatever_the_answer(met: bool, unknown: str) -> str:
    """A blank answer that does not decide the outcome (docs/rulesets.md)."""
    return f"{'met' if met else 'not met'} whatever the answer to {unknown or 'more'}"


def decision_words(
    decision: str,
    event: str,
    by: str,
    on: dt.date,
    reason: str,
    words: Vocabulary = DEFAULT_WORDS,
) -> tuple[str, str]:
    """A decision of the team on a requirement: (for the detail column, for the letter, in
    the trainee's society's `words`)."""
    why = f": {reason}" if reason else ""
    by_short = f" by {by}" if by else ""
    team = f"The {words.team}"
    if decision == "waive":
        return (
            f"waived{by_short} on {on:%Y-%m-%d}{why}",
            f"{team} waived this requirement on {day_text(on)}{why}.",
        )
    if decision == "approve":
        return (
            f"approved as equivalent: {event}{by_short} on {on:%Y-%m-%d}{why}",
            f"{team} approved {event} as an equivalent on {day_text(on)}{why}.",
        )
    n = number_text(decision_credit(decision))
    return (
        f"credit {n}{by_short} on {on:%Y-%m-%d}{why}",
        f"{team} credited {n} towards this from your earlier experience on {day_text(on)}{why}.",
    )


# --- why rows do not count ------------------------------------------------------------------


def not_recorded_as(
    lacks: Sequence[str], accredited: bool, experienced: bool, headings: Mapping[str, str]
) -> str:
    """What a supervisor (or co-leader) is not recorded as, so that sessions with them do not
    count: the tier a route's `counterpart_has` asks for when it left them out (`lacks`, its
    own fields by `headings`), else an eligible supervisor's accreditation and experience."""
    return tier_gaps(lacks, headings) if lacks else _eligibility_gaps(accredited, experienced)


def _eligibility_gaps(accredited: bool, experienced: bool) -> str:
    if not accredited and not experienced:
        return "an accredited Balint leader, nor as experienced in supervision"
    if not accredited:
        return "an accredited Balint leader"
    return "experienced in supervision"


# The built-in leaders-register fields a ruleset's `counterpart_has` may name, in words.
_TIER_WORDS = {
    "accredited": "an accredited Balint leader",
    "supervision_experience": "experienced in supervision",
}


def register_headings(ruleset: Ruleset, register: str) -> dict[str, str]:
    """The ruleset's own fields of a register (`leaders`, `trainees`) by their first heading
    (`leader_trainer` -> `Leader trainer`): what a letter calls them."""
    return {
        column.name: column.aliases[0]
        for kind, column in ruleset.columns
        if kind == register and column.aliases
    }


def tier_gaps(lacks: Sequence[str], headings: Mapping[str, str]) -> str:
    """What a supervisor or co-leader is not recorded as, for a route that needs a tier of
    leaders (`counterpart_has`): a field of the ruleset's own by its first heading, as its
    register shows it (`headings`: field -> heading)."""
    return ", nor as ".join(
        _TIER_WORDS.get(field) or f"a {headings.get(field, field.replace('_', ' '))}"
        for field in lacks
    )


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


# A trainees-register date a route's `since` or `until` names, as the trainee's own event.
_REGISTER_DATE_WORDS = {
    "professional_training_from": "your professional training began",
    "registered": "you registered on the pathway",
}
_OUTSIDE_NOUNS = {"attendance": "sessions", "supervision": "supervision sessions"}


def _register_date_words(bound: str, headings: Mapping[str, str]) -> str:
    """`your professional training began`; `the application approved date in our records`."""
    known = _REGISTER_DATE_WORDS.get(bound)
    if known is not None:
        return known
    return f"the {headings.get(bound, bound.replace('_', ' ')).lower()} date in our records"


def date_not_recorded(source: str, bound: str, headings: Mapping[str, str]) -> str:
    """`We have no date for when your professional training began, so all your sessions count
    here: if you have one, please let us know.`"""
    noun = _OUTSIDE_NOUNS.get(source, "sign-offs")
    when = _register_date_words(bound, headings)
    missing = (
        f"We have no date for when {when}"
        if bound in _REGISTER_DATE_WORDS
        else (f"We do not have {when}")
    )
    return f"{missing}, so all your {noun} count here: if you have one, please let us know."


def unnamed_event_words(dates: Sequence[dt.date], gap: int) -> str:
    """`Your records of 13 June 2026 and 15 June 2026 count as one event: …`, for rows of an
    event with no name, which the rules take as one event when `gap` days apart at most."""
    listed = and_list([day_text(day) for day in dates])
    return (
        f"Your records of {listed} count as one event: they have no event name and are "
        f"{gap} days or less apart. If they were separate events, please tell us their names."
    )


def outside_dates_not_counted(
    source: str,
    amount: float,
    side: str,
    bound: str,
    day: dt.date,
    years: int | None,
    headings: Mapping[str, str],
) -> str:
    """`8 sessions do not count here: they are dated before your professional training began
    (1 June 2025). If that date is wrong, please let us know.`"""
    noun = _OUTSIDE_NOUNS.get(source, "sign-offs")
    when = _register_date_words(bound, headings)
    relation = {
        "before": "before",
        "after": "after",
        "years_after": f"{years} years or more after" if years != 1 else "a year or more after",
    }[side]
    verb, pronoun = ("does", "it is") if amount == 1 else ("do", "they are")
    return (
        f"{count_words(amount, noun)} {verb} not count here: {pronoun} dated {relation} "
        f"{when} ({day_text(day)}). If that date is wrong, please let us know."
    )


# --- the records we counted -----------------------------------------------------------------


def _blank(value: object) -> bool:
    import pandas as pd

    return value is None or value is pd.NA or value is pd.NaT or value == "" or value != value


def competency_words(number: int, title: str, named: bool = True) -> str:
    """`competency 3, awareness of group ...`; `3, awareness of group ...` in a list of them."""
    return f"competency {number}, {title}" if named else f"{number}, {title}"


def record_pieces(
    source: str,
    frame: pd.DataFrame,
    competencies: Mapping[str, str],
    names: Mapping[str, str],
    activities: Mapping[str, str] | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Counted rows as a trainee can check them against their own diary, in pieces: per part
    of a line (its date, what it was, ...), each row's code and the text of each code. A row's
    line is its pieces joined (`joined_lines`).

    Made once per table of counted rows, not per trainee: each distinct date and value is
    written once.
    """
    import pandas as pd

    # a ruleset's own names for activities ("intensive") before the built-in ones
    words = {**ACTIVITY_WORDS, **(activities or {})}

    def day(value: object) -> str:
        return "" if _blank(value) else day_text(pd.Timestamp(str(value)))

    def name(prefix: str, fallback: str) -> Callable[[object], str]:
        return lambda who: f"{prefix}{names[str(who)]}" if str(who) in names else fallback

    def optional(words: Callable[[object], str]) -> Callable[[object], str]:
        return lambda value: "" if _blank(value) else words(value)

    if source == "portfolio":
        return [
            written_once(frame["signed_off"], day),
            written_once(frame["competency"], lambda c: f": {competencies.get(str(c), str(c))}"),
            written_once(frame["signed_off_by"], name(", signed off by ", "")),
        ]
    if source == "supervision":
        return [
            written_once(frame["date"], day),
            written_once(frame["supervisor"], name(": supervision with ", ": supervision")),
            written_once(frame["hours"], optional(lambda h: f", {hours_text(float(str(h)))}")),
            written_once(frame["mode"], optional(lambda m: f", {str(m).replace('_', ' ')}")),
        ]
    return [
        written_once(frame["date"], day),
        written_once(frame["activity"], lambda a: f": {words.get(str(a), str(a))}"),
        written_once(
            frame["sessions"],
            lambda n: "" if _blank(n) or n == 1 else f", {count_words(float(str(n)), 'sessions')}",
        ),
        written_once(frame["event"], optional(lambda e: f", {e}")),
    ]


def joined_lines(pieces: list[tuple[np.ndarray, np.ndarray]], start: int, stop: int) -> list[str]:
    """The lines of rows [start, stop) from their pieces."""
    # Added as numpy object arrays: one loop in C per part, where joining row by row took most
    # of the time (0.9 s against 0.15 s for a million rows).
    codes, texts = pieces[0]
    lines = texts[codes[start:stop]]
    for codes, texts in pieces[1:]:
        lines = lines + texts[codes[start:stop]]
    return lines.tolist()


def unused_rows_words(
    file: str, outcome: str, rows: int, as_of: dt.date, words: Vocabulary = DEFAULT_WORDS
) -> str:
    """Rows of this trainee that were not used, told without anything of anyone else's."""
    amount = "1 row" if rows == 1 else f"{rows} rows"
    if outcome == "future":
        verb, it = ("is", "it") if rows == 1 else ("are", "they")
        return (
            f"{amount} in {file} {verb} dated after {day_text(as_of)}: "
            f"{it} will count once that date has passed."
        )
    if outcome in ("unmatched", "unread_unmatched"):
        verb, it = ("has", "it") if rows == 1 else ("have", "they")
        return (
            f"{amount} in {file} {verb} a name like yours that we could not match to you for "
            f"certain: the {words.team} is checking, and if {it} {'is' if rows == 1 else 'are'} "
            f"yours, {it} will count once corrected."
        )
    return (
        f"{amount} in {file} naming you could not be counted because of a mistake in the "
        f"spreadsheet: the {words.team} is checking it."
    )


def waiting_on_a_fix(outcomes: Sequence[str], words: Vocabulary = DEFAULT_WORDS) -> str:
    """Near the top of a letter: some rows wait on the team (the list at its end says which)."""
    if not {"rejected", "unread", "unmatched", "unread_unmatched"} & set(outcomes):
        return ""
    whose = (
        "Some records that may be yours"
        if {"unmatched", "unread_unmatched"} & set(outcomes)
        else "Some of your records"
    )
    return (
        f"{whose} could not be counted yet because of a mistake in a spreadsheet: the "
        f"{words.team} is correcting it, and the list under Not counted at the end of this letter "
        "says which."
    )


# The outcomes of a trainee's unused rows (records.Rejected) their supervisor is told of: the
# rest reach the digest as the data issues about the trainee's rows.
UNUSED_FOR_SUPERVISOR = ("unmatched", "unread", "unread_unmatched")


def unused_rows_for_supervisor(
    outcome: str, name: str, file: str, rows: int, words: Vocabulary = DEFAULT_WORDS
) -> str:
    """Rows that may be the trainee's but name nobody for certain, or that are in a sheet that
    could not be read (no data issue is about a trainee there), told to their supervisor."""
    amount = "1 row" if rows == 1 else f"{rows} rows"
    has, it, does = ("has", "it", "does") if rows == 1 else ("have", "they", "do")
    if outcome == "unread":
        return (
            f"{amount} in {file} naming {name} could not be read, because of a mistake in how "
            f"the spreadsheet is laid out: {it} {does} not count until the {words.team} has "
            "corrected it."
        )
    if outcome == "unread_unmatched":
        return (
            f"{amount} in {file} {has} a name like {name}'s that is not in the register, in a "
            f"sheet that could not be read because of a mistake in how it is laid out: {it} "
            f"{does} not count until the {words.team} has corrected the sheet and the name."
        )
    return (
        f"{amount} in {file} {has} a name like {name}'s that is not in the register: "
        f"{it} {does} not count until the {words.team} has corrected the name."
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
    IN_PROGRESS: "In progress",
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


_SECOND_PERSON = re.compile(r"\b([Yy])ou(rs?)?\b")
_THIRD_PERSON = {"": "hey", "r": "heir", "rs": "heirs"}
# "you" after these is an object: "put them in touch", "review it with them".
_YOU_AS_OBJECT = re.compile(
    r"\b(put|with|give|gives|ask|tell|let|help|to|for|from|of|about|at|by|send|contact|remind"
    r"|show|thank)\s+you\b"
)


@functools.lru_cache(maxsize=4096)  # the same few titles, steps and advice, for every trainee
def third_person(text: str) -> str:
    """Words written to the trainee, for the team or their supervisor: `Supervision and your
    supervisor's report` -> `Supervision and their supervisor's report`, `put you in touch` ->
    `put them in touch`."""
    text = _YOU_AS_OBJECT.sub(r"\1 them", text)
    return _SECOND_PERSON.sub(
        lambda m: ("T" if m[1] == "Y" else "t") + _THIRD_PERSON[m[2] or ""], text
    )


def digest_numbers(
    rule: Requirement, result: RequirementResult, words: Vocabulary = DEFAULT_WORDS
) -> str:
    """`Co-leading Balint groups: not yet met, 17 of 20 sessions`."""
    status = DIGEST_STATUS_WORDS[result.status]
    route = result.shown_route
    title = third_person(result.title)
    if route is None:
        if result.status == MET:
            return f"{title}: waived by the {words.team}"
        unknown = third_person(rule.missing_data) or "what decides the target"
        return f"{title}: {status} (the register does not say {unknown})"
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
    return f"{title}: {status}, {numbers}"


def report_awaited(
    name: str,
    requested: dt.date,
    words: Vocabulary = DEFAULT_WORDS,
    noun: str = "",
    overdue: tuple[int, int] | None = None,
) -> str:
    """A reference the team asked this supervisor for and has not received; `noun`: the
    ruleset's name for it; `overdue`: (weeks waited, weeks before a reminder) once chased."""
    noun = noun or "written report"
    if overdue is None:
        return (
            f"Your {noun} on {name}: the {words.team} asked for it on {day_text(requested)} "
            "and has not received it yet."
        )
    waited, chase_weeks = overdue
    return (
        f"Overdue: your {noun} on {name}. The {words.team} asked for it on "
        f"{day_text(requested)}, {waited} weeks ago, and has not received it yet (a reminder "
        f"goes after {chase_weeks} weeks)."
    )


def reference_to_pass_on(
    name: str,
    shared: bool,
    words: Vocabulary = DEFAULT_WORDS,
    noun: str = "",
    ready: bool = True,
) -> str:
    """A received reference that has not gone its way yet; `shared`: it is with the trainee
    (or needs not be), so it is to be forwarded; `ready`: the trainee feels ready to apply."""
    noun = noun or "reference"
    if shared:
        return (
            f"Your {noun} for {name} has been shared with them: please forward it to the "
            f"{words.team}."
        )
    if ready:
        return f"{name} feels ready to apply: please share your {noun} with them."
    return f"The {words.team} has your {noun} for {name}: please share it with them too."


def signoffs_awaited(titles: Sequence[str]) -> str:
    """Competencies the trainee has not had signed off."""
    listed = "; ".join(titles)
    return f"Competencies not yet signed off ({len(titles)}): {listed}."


def supervision_not_counted_for_supervisor(
    sessions: int,
    hours: float | None,
    missing: str,
    words: Vocabulary = DEFAULT_WORDS,
) -> str:
    """The trainee's supervision with this supervisor that does not count, told to them;
    `missing`: what they are not recorded as (not_recorded_as)."""
    amount = count_words(sessions, "sessions")
    if hours is not None:
        amount += f" ({hours_text(hours)})"
    verb_count = "does" if sessions == 1 else "do"
    return (
        f"{amount[:1].upper()}{amount[1:]} of supervision with you {verb_count} not count "
        f"towards {words.accreditation}: you are not recorded as {missing}. If that is out "
        f"of date, please tell the {words.team}."
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


# What an issue's code means for the trainee's row, in a supervisor's words. Fields: the
# column in words, the value as shown (with a leading space, or empty), and the value as is.
_ISSUE_WORDS = {
    "attendance_unmarked": "the row has no mark saying whether they came",
    "person_unknown": "the {column}{shown} is not in the society's registers",
    "person_unknown_kept": "the {column}{shown} is not in the society's registers",
    "person_ambiguous": "the {column}{shown} matches more than one person",
    "required_missing": "the {column} is blank",
    "register_repeat": "the trainee is listed twice in the register: counted once",
    "register_conflict": "the register has two different values for the {column}",
    "invalid_vocab": "the {column}{shown} is not one the society's lists know",
    "leading_alone_with_co_leader": "the role says leading alone, but a co-leader is named",
    **dict.fromkeys(_ADDRESS_CODES, "the trainee's email address is missing or cannot be used"),
}
# Issues whose words say all there is: no word on whether the row counts.
_SAID_ENOUGH = ("register_repeat", "register_date_future", "non_ascii_address", *_ADDRESS_CODES)
# Register dates that are used as written while the team checks them (docs/rulesets.md).
_DATES_AS_WRITTEN = ("reference_out_of_order", "reference_before_supervision")


def _date_words(value: str) -> str:
    """An ISO date from an issue's value as a letter writes it; anything else as it is."""
    try:
        return day_text(dt.date.fromisoformat(value))
    except ValueError:
        return value


def _issue_place(issue: Mapping) -> str:
    """`row 5 of group.xlsx (sheet 2026)`."""
    place = f"row {issue['row']} of {issue['file']}" if issue.get("row") else str(issue["file"])
    if issue.get("sheet"):
        place += f" (sheet {issue['sheet']})"
    return place


def _issue_code_and_outcome(issue: Mapping) -> tuple[str, str]:
    """The issue's code, and what became of the row as far as this issue is concerned.

    From the issue's code where it has one, else from the row's outcome.
    """
    code = str(issue.get("code") or "")
    outcome = str(issue.get("outcome") or "")
    if not code and outcome == "duplicate" and issue.get("column") == "trainee_id":
        code = "register_repeat"  # a register row merged into the trainee's first one
    if code in ("future_row", "duplicate_row"):
        return code, code.removesuffix("_row")
    if outcome in ("future", "duplicate") and (code or issue.get("column") not in DATE_COLUMNS):
        # Without a code, only an issue on the row's date is about its being later or repeated.
        return code, "accepted"
    return code, outcome


def _issue_what(code: str, outcome: str, issue: Mapping, as_of: dt.date) -> str:
    """What the issue says about the row."""
    column = _column_words(str(issue.get("column") or ""))
    value = str(issue.get("value") or "")
    shown = f" '{value}'" if value else ""
    if outcome == "future":
        return f"dated after {day_text(as_of)}: it will count once that date has passed"
    if outcome == "duplicate":
        return "the same entry appears twice: it is counted once"
    if code == "non_ascii_address":
        # The letters this address holds: one example for every address misled a reader.
        letters = non_ascii_letters(value)
        like = f" like {and_list(letters)}" if letters else ""
        return f"the email address has letters{like} that most mail servers refuse"
    if code in _ISSUE_WORDS:
        return _ISSUE_WORDS[code].format(column=column, shown=shown)
    if code == "unknown_competency":
        return f"{shown.strip() or 'the competency'} is not a competency of the pathway"
    if code == "register_date_future":
        return f"the {column} {value} is after {day_text(as_of)}, so it counts as not yet set"
    if code == "reference_out_of_order":
        return f"the {column} date, {_date_words(value)}, is before an earlier step's date"
    if code == "reference_before_supervision":
        return (
            f"their report is recorded as received on {_date_words(value)}, before any "
            "supervision with an eligible supervisor on record"
        )
    if code.startswith("invalid_"):
        return f"the {column}{shown} could not be read"
    # A kind of issue without words of its own yet: true of any issue.
    return f"the {column}{shown} needs checking" if column else "the row needs checking"


def _issue_tail(code: str, outcome: str, severity: str, team: str) -> str:
    """Whether the row counts meanwhile."""
    if outcome in ("future", "duplicate") or code in _SAID_ENOUGH:
        return ""
    if code in _DATES_AS_WRITTEN:
        return f": the dates are used as written while the {team} checks them"
    if severity == "error" or outcome == "rejected":
        return f": the row does not count until it is corrected, and the {team} is on it"
    if outcome == "accepted" or (code and severity == "warning"):
        # A warning never rejects a row (later and repeated rows have codes of their own).
        return f": the row counts as it is while the {team} checks it"
    return f": the {team} is checking it"


def issue_for_supervisor(issue: Mapping, as_of: dt.date, words: Vocabulary = DEFAULT_WORDS) -> str:
    """A data issue on a trainee's row in plain words: what it means for the trainee.

    Built from the issue's code and fields, never from the team's sentence, which may carry
    a hint on the config (for the team, not the supervisor) or other people's names.
    """
    place = _issue_place(issue)
    code, outcome = _issue_code_and_outcome(issue)
    what = _issue_what(code, outcome, issue, as_of)
    tail = _issue_tail(code, outcome, str(issue.get("severity") or ""), words.team)
    return f"{place[:1].upper()}{place[1:]}: {what}{tail}."
