"""Progress letters: one HTML and one plain-text letter per active or paused trainee."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import jinja2
import numpy as np
from markupsafe import Markup, escape

from .changes import Change
from .evaluate import EVENT_GAP_DAYS
from .forecast import WINDOW_MONTHS
from .model import (
    CANNOT_ASSESS,
    IN_PROGRESS,
    MET,
    NOT_MET,
    RequirementResult,
    RunResult,
    TraineeResult,
)
from .pdf import css_string
from .records import Records, Rejected, TraineeRows
from .rendered import Rendered, rendered_texts
from .ruleset import Requirement, Route, Ruleset, Vocabulary
from .safecells import without_bidi_controls
from .wording import (
    LETTER_STATUS_WORDS,
    PAUSED_FOR_TRAINEE,
    SAID_AS_REASON,
    co_leader_reason,
    co_led_not_counted,
    competency_words,
    congratulations,
    date_not_recorded,
    day_text,
    forecast_words,
    joined_lines,
    left_words,
    not_recorded_as,
    outside_dates_not_counted,
    progress_percent,
    progress_words,
    record_pieces,
    register_headings,
    route_spec,
    signature_words,
    since_last_letter,
    supervision_not_counted,
    tier_gaps,
    unknown_target_words,
    unnamed_event_words,
    unused_rows_words,
    waiting_on_a_fix,
    waived_words,
)

BAR_COLOURS = {MET: "#2e7d32", NOT_MET: "#1565c0", CANNOT_ASSESS: "#616161"}


@dataclass(frozen=True)
class Letter:
    """One trainee's letter, rendered: the HTML and plain-text versions of the same content."""

    trainee_id: str
    stem: str  # its file name in letters/, without the extension
    html: str
    text: str


class _Template(jinja2.Template):
    """A template whose page has no bidirectional controls, so that a name holding a
    right-to-left override cannot turn the rest of a letter's line backwards. The templates
    hold none of their own: leaving them out of the page leaves them out of every value, in
    one pass over it rather than a call per value shown (a second on the federation's
    letters)."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        return without_bidi_controls(super().render(*args, **kwargs))


class _Environment(jinja2.Environment):
    """Jinja2's environment, looking a dict's key up before its attributes.

    The contexts are plain dicts, and jinja2 tries `getattr` first: for `r.title` that raises
    and catches an AttributeError before taking `r["title"]`, a million times for the
    federation's letters (half a second). A key that is there is taken at once; anything else
    goes the usual way, so `d.get(...)` on a dict without a "get" key is still the method.
    """

    template_class = _Template

    def getattr(self, obj: object, attribute: str) -> object:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def list_items(lines: list[str]) -> Markup:
    """Each line as an escaped `<li>`, one per line of the page: a letter lists some two hundred
    records, so they are escaped as one text (one call, not one per line) when no line holds
    the NUL that separates them."""
    joined = "\0".join(lines)
    if joined.count("\0") == len(lines) - 1:
        items = str(escape(joined)).split("\0")
    else:
        items = [escape(line) for line in lines]
    return Markup("\n    ".join(f"<li>{item}</li>" for item in items))


@functools.cache
def template_environment() -> jinja2.Environment:
    """Letters and digests: HTML templates autoescaped, text ones not, nothing undefined.

    One per process: each template is loaded and compiled once, however many renderers ask."""
    environment = _Environment(
        loader=jinja2.PackageLoader("balint_reports", "templates"),
        autoescape=jinja2.select_autoescape(["html.j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["css_string"] = css_string  # the printed pages' footer (_print)
    environment.filters["list_items"] = list_items
    return environment


# Names Windows keeps for devices whatever the extension (`CON.html` cannot be opened there).
_RESERVED = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])")
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def file_stem(person_id: str) -> str:
    """A file name for a person's letter that cannot leave its folder nor clash with another's.

    A plain id (letters, digits, `_`, `-`; at most 64 characters; not a device name such as
    CON or COM1) is its own name. Any other id is cleaned, cut to 40 characters and given a
    hash of the id as written after a `.`, which no plain id has: so `BS 001` and `BS.001`
    never share a letter, nor does either with a plain id. Stems stay under 60 bytes of ASCII,
    and ids that differ only by case are one person (docs/contract.md#people), so no two
    collide even where file names ignore case.
    """
    if _PLAIN.fullmatch(person_id) and not _RESERVED.fullmatch(person_id):
        return person_id
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", person_id).strip("_-")[:40].strip("_-") or "id"
    if _RESERVED.fullmatch(cleaned):  # Windows reads `CON.anything` as the device too
        cleaned = f"id_{cleaned}"
    digest = hashlib.sha256(person_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{cleaned}.{digest}"


def letter_file(result: TraineeResult, letters: bool = True) -> str:
    """The letter's path inside the month folder, or empty when no letter is written."""
    if not letters or not result.gets_letter:
        return ""
    return f"letters/{file_stem(result.trainee_id)}.html"


def _since_last_letter(result: TraineeResult, changes: list[Change]) -> dict:
    """This trainee's moves in plain words, and a word of congratulation for what became met."""
    mine = [
        c
        for c in changes
        if c.trainee_id == result.trainee_id
        and c.requirement not in ("overall", "status")
        and c.about == "progress"  # forecast moves are for the team's Changes sheet
    ]
    met = sum(r.status == MET for r in result.requirements)
    return {
        "summary": since_last_letter([c.change for c in mine]),
        "congratulations": (
            congratulations(met, len(result.requirements))
            if any(c.became_met for c in mine)
            else ""
        ),
        # a number went down: the letter says a counted record was corrected or taken out
        "fewer": any(c.fewer for c in mine),
        # a requirement that cannot be assessed has no number to compare: "the same" would be
        # untrue of sessions added to it
        "unassessed": any(r.status == CANNOT_ASSESS for r in result.requirements),
    }


def _route_of(rule: Requirement, result: RequirementResult) -> Route | None:
    """The ruleset route whose rows the letter lists: the one shown, else the fullest."""
    route = result.shown_route
    if route is not None:
        return route_spec(rule, route)
    return None


def _reasons(
    rule: Requirement,
    result: RequirementResult,
    trainee_id: str,
    records: Records,
    ruleset: Ruleset,
    dates: tuple[tuple[str, dt.date], ...],
) -> list[str]:
    """Why some of this trainee's rows do not count towards the requirement, or count as one;
    and, met or not, which register date the route shown counts from or to is not recorded
    (every row counts then, which the trainee may know to be wrong)."""
    unrecorded = _unrecorded_dates(rule, result, ruleset, dates)
    if result.status == MET:
        return list(dict.fromkeys(unrecorded))
    reasons = [
        *_people_left_out(rule, trainee_id, records, ruleset),
        *_dates_left_out(rule, result, trainee_id, records, ruleset),
        *unrecorded,
    ]
    return list(dict.fromkeys(reasons))  # alternative routes may leave out the same rows


def _unrecorded_dates(
    rule: Requirement,
    result: RequirementResult,
    ruleset: Ruleset,
    dates: tuple[tuple[str, dt.date], ...],
) -> list[str]:
    """The register dates the route shown counts from or to that the trainee's row lacks."""
    shown = result.shown_route
    spec = route_spec(rule, shown) if shown is not None else None
    if spec is None:
        return []
    known = dict(dates)
    headings = register_headings(ruleset, "trainees")
    return [
        date_not_recorded(spec.source, bound, headings)
        for bound in (spec.since, spec.until)
        if bound and bound not in known
    ]


def _people_left_out(
    rule: Requirement, trainee_id: str, records: Records, ruleset: Ruleset
) -> list[str]:
    """Rows left out for the person they were with: a supervisor or co-leader not eligible."""
    reasons = []
    headings = register_headings(ruleset, "leaders")
    for spec in rule.routes:
        for left_out in records.excluded(spec, trainee_id):
            person = left_out.person
            if spec.source == "supervision":
                name, accredited, experienced = records.leaders.get(
                    person, ("this supervisor", False, False)
                )
                missing = not_recorded_as(left_out.lacks, accredited, experienced, headings)
                why = f"{name} is not recorded as {missing}"
                reasons.append(supervision_not_counted(left_out.rows, left_out.hours, name, why))
                continue
            if not person:
                kind, name = "blank", ""
            elif person == "?":
                kind, name = "unknown", ""
            elif person.startswith("trainee:"):
                kind, name = "trainee", ""  # another trainee's name is theirs, not this letter's
            else:
                kind, name = "leader", records.leaders.get(person.removeprefix("leader:"), ("",))[0]
                if left_out.lacks:
                    why = f"{name} is not recorded as {tier_gaps(left_out.lacks, headings)}"
                    reasons.append(co_led_not_counted(left_out.sessions, why))
                    continue
            reasons.append(co_led_not_counted(left_out.sessions, co_leader_reason(kind, name)))
    return reasons


def _dates_left_out(
    rule: Requirement,
    result: RequirementResult,
    trainee_id: str,
    records: Records,
    ruleset: Ruleset,
) -> list[str]:
    """For the routes that apply to the trainee (not the psychodynamic route, without that
    training): rows outside the route's register dates, and rows of an unnamed event that
    count as one."""
    applying = {route.label for route in result.routes}
    headings = register_headings(ruleset, "trainees")
    reasons = []
    for spec in rule.routes:
        if spec.label not in applying:
            continue
        if spec.count == "distinct_events":
            reasons += [
                unnamed_event_words([day.date() for day in event], EVENT_GAP_DAYS)
                for event in records.unnamed_events(spec, trainee_id)
            ]
        for outside in records.outside_dates(spec, trainee_id) if spec.since or spec.until else ():
            amount = outside.sessions if spec.source == "attendance" else outside.rows
            reasons.append(
                outside_dates_not_counted(
                    spec.source,
                    amount,
                    outside.side,
                    outside.bound,
                    outside.day.date(),
                    spec.within_years,
                    headings,
                )
            )
    return reasons


def _missing_label(rule: Requirement, result: RequirementResult) -> str:
    """What the requirement still needs from the register once its counts are met, if any."""
    if not result.missing_set:
        return ""
    return rule.requires_label or ", ".join(result.missing_set)


class _TableLines:
    """One table of counted rows (every trainee's) as pieces of lines: a trainee's lines, or a
    key that stands for them, made from their run of rows alone."""

    def __init__(self, pieces: list[tuple[np.ndarray, np.ndarray]], rows: TraineeRows) -> None:
        self.pieces = pieces
        self.spans = rows.spans
        self._row_keys: np.ndarray | None = None

    def count(self, trainee_id: str) -> int:
        start, stop = self.spans.get(trainee_id, (0, 0))
        return stop - start

    def lines(self, trainee_id: str) -> list[str]:
        start, stop = self.spans.get(trainee_id, (0, 0))
        return joined_lines(self.pieces, start, stop) if stop > start else []

    def key(self, trainee_id: str) -> str:
        """The sha256 of the trainee's lines' pieces, in order: equal keys, equal lines."""
        if self._row_keys is None:
            self._row_keys = _row_keys(self.pieces)
        start, stop = self.spans.get(trainee_id, (0, 0))
        return hashlib.sha256(self._row_keys[start:stop].tobytes()).hexdigest()


def _row_keys(pieces: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Per row, 64 bits that differ (but once in 2**64) wherever a piece of its line does.

    Each distinct text of a part gets 8 bytes of its BLAKE2b, keyed by the part, and a row
    mixes its parts' by rotating each by its own amount: two rows with a piece apart match
    only by chance, and the key of a run of rows hashes them with sha256.
    """
    mixed = np.zeros(len(pieces[0][0]), dtype=np.uint64)
    for part, (codes, texts) in enumerate(pieces):
        hashed = np.fromiter(
            (
                int.from_bytes(
                    hashlib.blake2b(
                        str(text).encode("utf-8", "surrogatepass"),
                        digest_size=8,
                        person=f"part {part}".encode(),
                    ).digest(),
                    "little",
                )
                for text in texts
            ),
            dtype=np.uint64,
            count=len(texts),
        )[codes]
        turn = np.uint64(part * 17 % 64)
        if turn:
            hashed = (hashed << turn) | (hashed >> (np.uint64(64) - turn))
        mixed ^= hashed
    return mixed


class CountedLines:
    """Each route's counted rows as lines (or keys for them), sliced per trainee, from one
    table of pieces per measure made once for all letters."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self.names = records.leader_names()
        self._tables: dict[tuple[Route, str], _TableLines] = {}
        self._by_route: dict[tuple[int, int], tuple[Route, Ruleset, _TableLines]] = {}

    def table(self, route: Route, ruleset: Ruleset) -> _TableLines | None:
        """The route's counted rows as pieces of lines; None if they were not gathered."""
        rows = self.records.of_route(route)[0]
        if rows is None:
            return None
        # per measure (routes with equal measures list the same rows) and ruleset (a
        # competency's title is its ruleset's); found by the route object first, as hashing a
        # measure field by field for every letter costs more than writing it
        found = self._by_route.get((id(route), id(ruleset)))
        if found is None or found[0] is not route or found[1] is not ruleset:
            key = (route.measure(), ruleset.id)
            if key not in self._tables:
                titles = {c.id: competency_words(c.number, c.title) for c in ruleset.competencies}
                pieces = record_pieces(
                    route.source,
                    rows.frame,
                    titles,
                    self.names,
                    dict(ruleset.vocabulary.activities),
                )
                self._tables[key] = _TableLines(pieces, rows)
            found = (route, ruleset, self._tables[key])
            self._by_route[(id(route), id(ruleset))] = found
        return found[2]


def _counted_route(
    rule: Requirement,
    result: RequirementResult,
    ruleset: Ruleset,
    trainee_id: str,
    lines: CountedLines,
) -> _TableLines | None:
    """The rows behind the requirement's numbers; when it cannot be assessed yet, the route
    that holds the most of the trainee's rows."""
    spec = _route_of(rule, result)
    if spec is not None:
        return lines.table(spec, ruleset)
    found = [lines.table(route, ruleset) for route in rule.routes]
    return max(
        (table for table in found if table is not None),
        key=lambda table: table.count(trainee_id),
        default=None,
    )


def _counted_lines(
    rule: Requirement,
    result: RequirementResult,
    ruleset: Ruleset,
    trainee_id: str,
    lines: CountedLines,
    as_key: bool,
) -> list[str] | str:
    """The dated rows behind the requirement's numbers, oldest first; `as_key`: a key that
    stands for them, made without writing them."""
    table = _counted_route(rule, result, ruleset, trainee_id, lines)
    if as_key:
        return table.key(trainee_id) if table else ""
    return table.lines(trainee_id) if table else []


def letter_context(
    result: TraineeResult,
    report: RunResult,
    changes: list[Change],
    has_previous: bool,
    lines: CountedLines | None = None,
    counted_as_keys: bool = False,
) -> dict:
    """Everything one letter shows: this trainee's results only.

    `has_previous`: the trainee had a letter last month, so it can say what changed since;
    `lines`: the counted rows as lines, made once for all letters by the caller;
    `counted_as_keys`: each requirement's counted rows as a key that stands for them
    (`with_counted_lines` puts the lines in), for looking the letter up before writing them.
    """
    if lines is None:
        lines = CountedLines(report.records)
    by_id = {q.id: q for q in result.ruleset.requirements}
    records = report.records
    paused = result.status == "paused"
    words = result.ruleset.vocabulary
    requirements = []
    for r in result.requirements:
        rule = by_id[r.id]
        route = r.shown_route
        when = report.forecasts.get((result.trainee_id, r.id))
        if route is None:
            bold = ""
            rest = (
                waived_words(words)
                if r.status == MET
                else unknown_target_words(rule).removesuffix(".")
            )
        else:
            bold, rest = progress_words(route)
        others = [
            " ".join(w for w in progress_words(other) if w)
            for other in r.routes
            if other is not route and len(r.routes) > 1 and r.status != MET
        ]
        requirements.append(
            {
                "id": r.id,
                "title": r.title,
                "forecast": forecast_words(when, WINDOW_MONTHS) if when else "",
                "what_counts": rule.what_counts,
                "status": r.status,
                "status_words": LETTER_STATUS_WORDS[r.status],
                "progress_bold": bold,
                "progress_rest": rest,
                "percent": progress_percent(route, r.status),
                "colour": BAR_COLOURS[r.status],
                "left": left_words(route, r.status, _missing_label(rule, r)),
                "others": others,
                "reasons": _reasons(
                    rule, r, result.trainee_id, records, result.ruleset, result.dates
                ),
                "step": "" if paused else r.next_step,
                "decisions": list(r.decisions),
                "counted": _counted_lines(
                    rule, r, result.ruleset, result.trainee_id, lines, counted_as_keys
                ),
            }
        )
    settings = report.config.report
    wording = result.ruleset.wording
    rejected = records.rejected.get(result.trainee_id, [])
    unused = _unused_lines(rejected, report.as_of, words)
    return {
        "society": settings.society,
        "words": words,  # the society's own words: "credentialing"
        "signature": signature_words(settings.signature, words),
        "contact_email": settings.contact_email,
        "opening": settings.opening,
        "logo": settings.logo,
        "date": day_text(report.as_of),
        "name": result.name,
        "ruleset_title": result.ruleset.title,
        "ruleset_id": result.ruleset.id,
        "overall": result.overall,
        "paused": paused,
        "paused_words": wording.paused or PAUSED_FOR_TRAINEE,
        "in_progress": wording.in_progress if result.overall == IN_PROGRESS else "",
        "requirements": requirements,
        "advice": [a.message for a in result.advice if a.code not in SAID_AS_REASON],
        "next_step": "" if paused else result.next_step,
        "since": _since_last_letter(result, changes),
        "has_previous": has_previous,
        "unused": unused,
        "waiting": waiting_on_a_fix([u.outcome for u in rejected], words),
    }


# A trainee is told of rows in a sheet that could not be read as of rows rejected: both are "a
# mistake in the spreadsheet", and one file's are one line.
_TOLD_AS = {"unread": "rejected", "unread_unmatched": "unmatched"}


def _unused_lines(rejected: list[Rejected], as_of: dt.date, words: Vocabulary) -> list[str]:
    """The Not counted list: per file, one line for each thing to say of its rows."""
    told: dict[tuple[str, str], int] = {}
    for unused in rejected:
        key = (unused.file, _TOLD_AS.get(unused.outcome, unused.outcome))
        told[key] = told.get(key, 0) + unused.rows
    return [
        unused_rows_words(file, outcome, rows, as_of, words)
        for (file, outcome), rows in told.items()
    ]


def with_counted_lines(context: dict, result: TraineeResult, lines: CountedLines) -> dict:
    """A context made with `counted_as_keys`, with each requirement's counted rows as lines."""
    by_id = {q.id: q for q in result.ruleset.requirements}
    requirements = [
        {
            **shown,
            "counted": _counted_lines(
                by_id[r.id], r, result.ruleset, result.trainee_id, lines, as_key=False
            ),
        }
        for shown, r in zip(context["requirements"], result.requirements, strict=True)
    ]
    return {**context, "requirements": requirements}


def writes_to(report: RunResult) -> list[TraineeResult]:
    """The trainees who get a letter, in the report's order."""
    return [result for result in report.trainees if result.gets_letter]


def render_letters(
    report: RunResult,
    changes: list[Change],
    had_letter: frozenset[str],
    rendered: Rendered | None = None,
) -> list[Letter]:
    """The letter of every active or paused trainee.

    `had_letter`: the trainees who were sent one last month; `rendered`: letters an earlier
    run rendered from the same context, taken as they are (and this run's kept in it).
    """
    environment = template_environment()
    html = environment.get_template("letter.html.j2")
    text = environment.get_template("letter.txt.j2")
    changes_of: dict[str, list[Change]] = {}
    for change in changes:  # grouped once: each letter looks only at its own trainee's
        changes_of.setdefault(change.trainee_id, []).append(change)
    letters = []
    lines = CountedLines(report.records)
    for result in writes_to(report):
        # Looked up by a context whose counted rows are keys: most letters of a run after one
        # file changed are kept, and writing every trainee's rows as lines only to hash them
        # took most of the time such a run spent on letters.
        context = letter_context(
            result,
            report,
            changes_of.get(result.trainee_id, []),
            has_previous=result.trainee_id in had_letter,
            lines=lines,
            counted_as_keys=rendered is not None,
        )
        complete = functools.partial(with_counted_lines, result=result, lines=lines)
        texts = rendered_texts(rendered, "letter", context, (html, text), complete)
        letters.append(Letter(result.trainee_id, file_stem(result.trainee_id), *texts))
    return letters
