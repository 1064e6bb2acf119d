"""A ruleset in plain words for a society's volunteer, and the checks the loader cannot make.

Pure: a loaded Ruleset in, text (or a list of problems) out. `balint-reports rules explain`
and `rules check` print what these return.
"""

from __future__ import annotations

import textwrap

from .ruleset import YESNO_FIELDS, Advice, Condition, Requirement, Route, Ruleset
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
# When each built-in advice check is given (docs/rulesets.md, "Advice"); {min_days} and
# {max_trainees_present} are the advice's own parameters.
BUILT_IN_ADVICE = {
    "single_setting": "the trainee leads or co-leads, and every setting written for those "
    "sessions is the same one",
    "solo_leading_only": "the trainee has sessions as leader but none as co-leader",
    "no_accredited_coleader": "the trainee has co-led, but never with an accredited leader",
    "no_two_day_event": "the trainee has been to a leadership event, but none of "
    "{min_days} days or more",
    "no_supervision": "the trainee leads or co-leads, but has no supervision recorded at all",
    "ineligible_supervisor": "a supervision session was with someone not recorded as an "
    "accredited leader experienced in supervision",
    "large_supervision_group": "a supervision session had more than {max_trainees_present} "
    "trainees present",
    "coleader_not_in_supervision": "the trainee co-leads with someone who is not one of their "
    "supervisors, and that co-leader has never joined their supervision",
    "signoff_not_by_supervisor": "a competency was signed off only by someone who is neither "
    "an eligible supervisor nor one of the trainee's supervisors",
    "triangulation_missing": "the trainee co-leads with their own supervisor, and no other "
    "accredited leader is recorded as overseeing that supervisor",
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
    if route.counterpart:
        parts.append(COUNTERPART_WORDS.get(route.counterpart, route.counterpart))
    if route.since:
        window = f"only rows dated on or after the trainee's {_field(route.since)} date"
        if route.within_years:
            years = "year" if route.within_years == 1 else f"{route.within_years} years"
            window += f" and less than {years} after it"
        parts.append(window + " (no cut while that date is blank)")
    if route.until:
        parts.append(
            f"only rows dated on or before the trainee's {_field(route.until)} date "
            "(no cut while that date is blank)"
        )
    return parts


def _threshold(route: Route, unit: str) -> str:
    """When a route is met, in words."""
    if route.share:
        part = " and ".join(
            f'"{column}" is {_or([_field(v) for v in values])}' for column, values in route.where
        )
        return (
            f"Met when the part of them where {part} is at least {route.target:.0%} "
            f'("{route.label}"); a blank counts as not, and with nothing counted the share '
            "is 0."
        )
    met = f'Met at {_number(route.target)} or more ("{route.label}").'
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
        part = " and ".join(
            f'"{c}" is {_or([_field(v) for v in values])}' for c, values in route.where
        )
        measure = f"the share of rows where {part}, among {measure}"
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
        when = BUILT_IN_ADVICE.get(advice.code, "the built-in check of this name holds").format(
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
    yes = [_field(f) + " = yes" for f in readiness.fields if f in YESNO_FIELDS]
    dates = [_field(f) for f in readiness.fields if f not in YESNO_FIELDS]
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
    lines = [
        "When a trainee is ready:",
        *textwrap.wrap(rule, 88, initial_indent="  ", subsequent_indent="  "),
    ]
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
        f"Requirements: a trainee must meet all {len(ruleset.requirements)}.",
        "",
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
    lines.append("")
    if ruleset.fee:
        fee = ruleset.fee
        lines.append(
            f"Supervision fee: {fee.currency}{_number(fee.low_per_hour)} – "
            f"{fee.currency}{_number(fee.high_per_hour)} per hour, shown as a cost range "
            "from the trainee's supervision hours."
        )
    else:
        lines.append("Supervision fee: none suggested; no cost is shown.")
    return "\n".join(lines) + "\n"


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
        blank_means_unknown = any(r.when or r.per for r in q.routes)
        if blank_means_unknown and not q.missing_data:
            found.append(
                f"{path}: {key}.missing_data: {q.id} depends on the register (a `when` or "
                "`per` route), so say what to ask for when it is blank, e.g. "
                'missing_data = "the date you registered"'
            )
    return found
