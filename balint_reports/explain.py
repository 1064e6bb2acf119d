"""A ruleset in plain words for a society's volunteer, and the checks the loader cannot make.

Pure: a loaded Ruleset in, text (or a list of problems) out. `balint-reports rules explain`
and `rules check` print what these return.
"""

from __future__ import annotations

import textwrap

from .advice import BUILT_IN
from .ruleset import (
    TIME_STEP,
    YESNO_FIELDS,
    Advice,
    Condition,
    Requirement,
    Route,
    Ruleset,
    Vocabulary,
    default_references,
)
from .wording import day_text

# The activities of the attendance register, as a volunteer would say them.
ACTIVITY_WORDS = {
    "member": "ordinary group member",
    "weekend_member": "group member at a weekend",
    "co_leader": "co-leader",
    "leader": "leader",
    "leadership_weekend": "leadership weekend",
    "leadership_day": "leadership training day",
}
SOURCE_WORDS = {
    "attendance": "the attendance register",
    "supervision": "the supervision log",
    "portfolio": "the portfolio sign-offs",
}
COUNTERPART_WORDS = {
    "eligible_supervisor": "only sessions with a supervisor recorded in the leaders register "
    "as accredited and experienced in supervision",
    "accredited_co_leader": "only sessions co-led with a leader recorded as accredited",
}


def _field(name: str) -> str:
    """A register column as words: `reference_received` -> `reference received`."""
    return name.replace("_", " ")


def _number(value: float) -> str:
    return f"{value:g}"


def _or(values: tuple[str, ...] | list[str]) -> str:
    values = list(values)
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


def _what_is_counted(route: Route) -> str:
    """What a route adds up, in words: `sessions (the "sessions" column added up)`."""
    match route.count:
        case "sessions":
            return (
                'group sessions (the "sessions" column added up; a weekend row may carry several)'
            )
        case "rows":
            if route.source == "supervision":
                return "supervision sessions (one per row)"
            if route.source == "portfolio":
                return "sign-offs (one per row)"
            return "rows"
        case "hours":
            return 'hours of supervision (the "hours" column added up)'
        case "sum":
            return f'the "{route.column}" column added up'
        case "distinct_events":
            return "different events (told apart by their event name and dates)"
        case "distinct_groups":
            return (
                "different groups (told apart by their event name; rows without one are left out)"
            )
        case "competencies":
            return "different competencies signed off"
    return route.count


def _filters(route: Route) -> list[str]:
    """Which rows a route counts, one phrase each."""
    parts = [f"from {SOURCE_WORDS.get(route.source, route.source)}"]
    if route.activities:
        parts.append("only as " + _or([ACTIVITY_WORDS.get(a, a) for a in route.activities]))
    for column, values in route.where:
        if not route.share:
            parts.append(f'only where "{column}" is {_or([_field(v) for v in values])}')
    for compare in route.compare:
        if compare[0] == "days" and route.count == "distinct_events":
            # judged per event, not per row (evaluate._events_lasting)
            parts.append(
                _comparison(compare).replace('only where "days" is', "only events of")
                + " days (an event lasts its largest days, or its number of dates if more)"
            )
        elif not route.share:
            parts.append(_comparison(compare))
    if route.counterpart:
        parts.append(COUNTERPART_WORDS.get(route.counterpart, route.counterpart))
    if route.counterpart_has:
        who = "supervisor" if route.source == "supervision" else "co-leader"
        said = " and ".join(f"{_field(f)} = yes" for f in route.counterpart_has)
        parts.append(f"only with a {who} whom the leaders register says {said} for")
    if route.since:
        window = f"only rows dated on or after the trainee's {_field(route.since)} date"
        if route.within_years:
            years = "a year" if route.within_years == 1 else f"{route.within_years} years"
            window += f" and less than {years} after it"
        parts.append(window + " (no cut while that date is blank)")
    if route.until:
        parts.append(
            f"only rows dated on or before the trainee's {_field(route.until)} date "
            "(no cut while that date is blank)"
        )
    return parts


# A number filter's operator in words.
OPERATOR_WORDS = {">=": "or more", "<=": "or less", ">": "more than", "<": "less than"}


def _comparison(compare: tuple[str, str, float]) -> str:
    """`only where "days" is 4 or more`; a yes/no filter reads `says yes`."""
    column, operator, value = compare
    if operator == "is":
        return f'only where "{column}" says {"yes" if value else "no"}'
    if operator == "=":
        return f'only where "{column}" is {_number(value)}'
    if operator in (">", "<"):
        return f'only where "{column}" is {OPERATOR_WORDS[operator]} {_number(value)}'
    return f'only where "{column}" is {_number(value)} {OPERATOR_WORDS[operator]}'


def _share_part(route: Route) -> str:
    """The rows a share counts, in words: `"format" is face to face and "days" is 4 or more`."""
    parts = [f'"{c}" is {_or([_field(v) for v in values])}' for c, values in route.where]
    parts += [_comparison(c).removeprefix("only where ") for c in route.compare]
    return " and ".join(parts)


def _threshold(route: Route, unit: str) -> str:
    """When a route is met, in words."""
    if route.share:
        part = _share_part(route)
        return (
            f"Met when the part of them where {part} is at least {route.target:.0%} "
            f'("{route.label}"); a blank counts as not, and with nothing counted the share '
            "is 0."
        )
    met = f'Met at {_number(route.target)} or more ("{route.label}").'
    if route.per in ("month", "quarter"):
        return (
            f"Met when every {route.per} of the last {route.over_months} months, up to and "
            f"including the report date's month, has {_number(route.target)} or more "
            f'("{route.label}"); a {route.per} with none is a gap, and the weakest counts.'
        )
    if route.per:
        met = (
            f"Met when each completed pathway year has {_number(route.target)} or more "
            f'("{route.label}"); pathway years run from the registered date to each '
            "anniversary, and the weakest year counts. Until a year is completed, the year "
            "under way is judged on what it has so far."
        )
        if route.years:
            met += f" At least {route.years} completed pathway years are needed as well."
    return met


def _route_lines(route: Route, unit: str) -> list[str]:
    lines = []
    if route.when:
        said = " and ".join(f"{_field(f)} = {'yes' if v else 'no'}" for f, v in route.when)
        lines.append(f"Only for trainees whose register says {said}.")
    lines.append(f"Counts {_what_is_counted(route)}, {', '.join(_filters(route))}.")
    lines.append(_threshold(route, unit))
    if route.next_step:
        lines.append(f"Next step while this route is short: {route.next_step}")
    return lines


def _requirement_lines(number: int, q: Requirement) -> list[str]:
    lines = [f"{number}. {q.title} ({q.id})", f"   {q.what_counts}"]
    if len(q.routes) == 1:
        lines.append("   How it is counted:")
    else:
        lines.append(f"   Met by any one of these {len(q.routes)} routes:")
    for i, route in enumerate(q.routes):
        label = f"   {chr(ord('a') + i)}) " if len(q.routes) > 1 else "   - "
        first, *rest = _route_lines(route, q.unit)
        lines.append(label + first)
        lines += [" " * len(label) + line for line in rest]
    if q.requires_set:
        dates = " and ".join(_field(f) for f in q.requires_set)
        lines.append(
            f"   Also needs the register's {dates} date filled in"
            + (f" ({q.requires_label})." if q.requires_label else ".")
        )
    if q.missing_data:
        lines.append(f"   When it cannot be assessed, the letter asks for: {q.missing_data}.")
    lines.append(f"   Next step while it is not met: {q.next_step}")
    return lines


def _condition_text(condition: Condition) -> str:
    route = condition.route
    measure = f"{_what_is_counted(route)} {', '.join(_filters(route))}"
    if route.share:
        measure = f"the share of rows where {_share_part(route)}, among {measure}"
    if route.when:
        said = " and ".join(f"{_field(f)} = {'yes' if v else 'no'}" for f, v in route.when)
        measure += f" (only for trainees whose register says {said})"
    if condition.below is not None:
        return f"{measure} is below {_number(condition.below)}"
    return f"{measure} is at least {_number(condition.at_least or 0)}"


def _advice_lines(advice: Advice) -> list[str]:
    if advice.conditions:
        when = "; and ".join(_condition_text(c) for c in advice.conditions)
    else:
        when = BUILT_IN[advice.code].explained.format(
            min_days=advice.min_days, max_trainees_present=advice.max_trainees_present
        )
    lines = [f"- {advice.code}: given when {when}.", f'  The letter says: "{advice.message}"']
    if advice.for_supervisor:
        lines.append(f'  The supervisor\'s digest says: "{advice.for_supervisor}"')
    return lines


def _readiness_lines(ruleset: Ruleset) -> list[str]:
    """The [readiness] rule in words: requirements, register fields in order, each step."""
    readiness = ruleset.readiness
    if readiness.requirements:
        titles = {q.id: q.title for q in ruleset.requirements}
        which = "these requirements are met: " + "; ".join(
            f"{titles[i]} ({i})" for i in readiness.requirements
        )
    else:
        which = "every requirement is met"
    yesno = {*YESNO_FIELDS, *(c.name for k, c in ruleset.columns if c.type == "yesno")}
    yes = [_field(f) + " = yes" for f in readiness.fields if f in yesno]
    dates = [_field(f) for f in readiness.fields if f not in yesno]
    parts = [which]
    if yes:
        parts.append("the register says " + " and ".join(yes))
    if dates:
        parts.append(
            f"the {' and '.join(dates)} date{'s are' if len(dates) > 1 else ' is'} filled in"
        )
    joined = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])}, and {parts[-1]}"
    rule = (
        f"A trainee is ready to apply when {joined}. If any requirement cannot be assessed, "
        "the trainee needs data; otherwise they are in progress."
    )
    if readiness.min_months:
        rule += (
            f" They are not ready before {readiness.min_months} months from their "
            f"{_field(readiness.months_from)} date (nor while it is blank)."
        )
    lines = [
        "When a trainee is ready:",
        *textwrap.wrap(rule, 88, initial_indent="  ", subsequent_indent="  "),
    ]
    if readiness.min_months and ruleset.wording.step(TIME_STEP):
        lines.append(f'  - time on the pathway: "{ruleset.wording.step(TIME_STEP)}"')
    if readiness.fields:
        lines.append(
            "  Once the requirements are met, the next step is, for each of these not yet done:"
        )
    for name in readiness.fields:
        step = ruleset.wording.step(name)
        lines.append(
            f'  - {_field(name)}: "{step}"'
            if step
            else f"  - {_field(name)}: no step of its own; the letter then says "
            f'"{ruleset.wording.all_met_not_ready}"'
        )
    if readiness.order:
        chain = ", ".join(_field(f) for f in readiness.order)
        lines += textwrap.wrap(
            f"These register dates happen in this order: {chain}; while an earlier one is blank, "
            "the step is the one for the earliest blank date.",
            88,
            initial_indent="  ",
            subsequent_indent="  ",
        )
    lines.append(f'  The letter to a ready trainee says: "{ruleset.wording.ready}"')
    return lines + _references_lines(ruleset)


def _references_lines(ruleset: Ruleset) -> list[str]:
    """[[references]], when the file gives its own: each report, who writes it, its steps."""
    if ruleset.references == default_references(ruleset.readiness):
        return []  # the readiness order's supervisor's reference: said above
    lines = [
        "References (a step dated before an earlier one is a warning; a supervisor's digest "
        "asks for those the supervisor writes):"
    ]
    for reference in ruleset.references:
        who = "the supervisor" if reference.by == "supervisor" else "someone else"
        steps = ", ".join(f"{role} ({_field(name)})" for role, name in reference.steps)
        lines.append(f"  - {reference.name or 'reference'}, written by {who}: {steps}")
    return lines


def explain(ruleset: Ruleset) -> str:
    """The ruleset in plain words: requirements and routes, readiness, advice and the fee."""
    lines = [
        ruleset.title,
        f"Ruleset {ruleset.id}, from {ruleset.path}.",
        f"Applies to trainees registered on or after {day_text(ruleset.effective_from)} "
        "(unless a newer loaded ruleset applies to them).",
        "",
        "Only accepted rows dated on or before the report date are counted.",
        "",
        _requirements_line(ruleset),
        "",
        *_columns_lines(ruleset),
    ]
    for number, q in enumerate(ruleset.requirements, start=1):
        lines += [*_requirement_lines(number, q), ""]
    if ruleset.competencies:
        lines.append("Competencies of the portfolio:")
        lines += [f"  {c.number}. {c.title} ({c.id})" for c in ruleset.competencies]
        lines.append("")
    lines += [*_readiness_lines(ruleset), ""]
    if ruleset.advice:
        lines.append("Advice (it goes in the letter and never stops a trainee being ready):")
        for advice in ruleset.advice:
            lines += _advice_lines(advice)
    else:
        lines.append("Advice: none.")
    lines += ["", _fee_line(ruleset), *_vocabulary_lines(ruleset)]
    return "\n".join(lines) + "\n"


def _requirements_line(ruleset: Ruleset) -> str:
    count = len(ruleset.requirements)
    needed = ruleset.readiness.requirements
    if not needed:
        return f"Requirements: a trainee must meet all {count}."
    return (
        f"Requirements: {count}; a trainee must meet the {len(needed)} that readiness names "
        "(below); the others are desirable: shown in letters, never waited for."
    )


TYPE_WORDS = {"date": "a date", "yesno": "yes/no", "decimal": "a number", "text": "text"}


def _columns_lines(ruleset: Ruleset) -> list[str]:
    """The society's own columns, as a volunteer adds them to a spreadsheet."""
    if not ruleset.columns:
        return []
    lines = ["Columns of its own, read from the spreadsheets under these headings:"]
    for kind, column in ruleset.columns:
        headings = ", ".join(f'"{h}"' for h in (column.name, *column.aliases))
        lines.append(f"  - {kind} register: {headings} ({TYPE_WORDS[column.type.value]})")
    return [*lines, ""]


def _fee_line(ruleset: Ruleset) -> str:
    fee = ruleset.fee
    if fee is None:
        return "Supervision fee: none suggested; no cost is shown."
    low, high = (
        f"{fee.currency}{_number(fee.low_per_hour)}",
        f"{fee.currency}{_number(fee.high_per_hour)}",
    )
    amount = low if low == high else f"{low} – {high}"
    if fee.per == "year":
        return (
            f"Fee: {amount} per pathway year, shown as the cost of the years begun since the "
            "registered date."
        )
    if fee.per == "once":
        return f"Fee: {amount} once, shown as the cost for every trainee."
    return (
        f"Supervision fee: {amount} per hour, shown as a cost range from the trainee's "
        "supervision hours."
    )


def _vocabulary_lines(ruleset: Ruleset) -> list[str]:
    words = ruleset.vocabulary
    if words == Vocabulary():
        return []
    named = ", ".join(f'{a} is called "{w}"' for a, w in words.activities)
    return [
        f'Letters and digests say "{words.accreditation}" for accreditation and '
        f'"{words.team}" for the leadership team' + (f"; {named}." if named else ".")
    ]


def problems(ruleset: Ruleset) -> list[str]:
    """Mistakes the loader lets through because each key alone is valid; each names the key."""
    found = []
    path = ruleset.path
    if ruleset.fee and ruleset.fee.low_per_hour > ruleset.fee.high_per_hour:
        found.append(
            f"{path}: fee.low_per_hour: {_number(ruleset.fee.low_per_hour)} is above "
            f"high_per_hour {_number(ruleset.fee.high_per_hour)}: swap them"
        )
    for key, values in (
        ("id", [c.id for c in ruleset.competencies]),
        ("number", [str(c.number) for c in ruleset.competencies]),
    ):
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            found.append(
                f"{path}: competencies: {key} {', '.join(twice)} is used more than once: "
                "a sign-off could not say which competency it is"
            )
    for i, q in enumerate(ruleset.requirements, start=1):
        key = f"requirements[{i}]"
        for j, route in enumerate(q.routes, start=1):
            if route.count == "competencies" and route.target > len(ruleset.competencies):
                found.append(
                    f"{path}: {key}.routes[{j}].target: {_number(route.target)} competencies "
                    f"can never be signed off: the ruleset lists {len(ruleset.competencies)}"
                )
        # Without missing_data, a trainee who cannot be assessed gets a letter asking for
        # nothing in particular.
        blank_means_unknown = any(r.when or r.per == "pathway_year" for r in q.routes)
        if blank_means_unknown and not q.missing_data:
            found.append(
                f"{path}: {key}.missing_data: {q.id} depends on the register (a `when` or "
                "`per` route), so say what to ask for when it is blank, e.g. "
                'missing_data = "the date you registered"'
            )
    return found
