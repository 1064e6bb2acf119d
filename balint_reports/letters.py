"""Progress letters: one HTML and one plain-text letter per active or paused trainee."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from .changes import Change
from .evaluate import (
    CANNOT_ASSESS,
    MET,
    RequirementResult,
    RouteResult,
    TraineeResult,
    number_text,
    percent_text,
)
from .schema import LETTER_STATUSES

if TYPE_CHECKING:
    from .pipeline import Report

STATUS_WORDS = {MET: "Complete", "not_met": "In progress", CANNOT_ASSESS: "Information needed"}
BAR_COLOURS = {MET: "#2e7d32", "not_met": "#1565c0", CANNOT_ASSESS: "#9e9e9e"}


def templates_dir() -> Path:
    """The letter templates: inside the installed wheel, or the source tree's `templates/`."""
    packaged = Path(__file__).parent / "templates"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "templates"


def template_environment() -> jinja2.Environment:
    """Letters and digests: HTML templates autoescaped, text ones not, nothing undefined."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=jinja2.select_autoescape(["html.j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _closest_route(result: RequirementResult) -> RouteResult | None:
    """The route a letter shows: one that is met, else the one furthest along."""
    met = [route for route in result.routes if route.met]
    if met:
        return met[0]
    return max(result.routes, key=lambda route: route.achieved / route.target, default=None)


# Names Windows keeps for devices whatever the extension (`CON.html` cannot be opened there).
_RESERVED = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])")
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def file_stem(person_id: str) -> str:
    """A file name for a person's letter that cannot leave its folder nor clash with another's.

    A plain id (letters, digits, `_`, `-`; at most 64 characters; not a device name such as
    CON or COM1) is its own name. Any other id is cleaned, cut to 40 characters and given a
    hash of the id as written after a `.`, which no plain id has: so `BS 001` and `BS.001`
    never share a letter, nor does either with a plain id. Stems stay under 60 bytes of ASCII,
    and ids that differ only by case are one person (SPEC 2.4), so no two collide even where
    file names ignore case.
    """
    if _PLAIN.fullmatch(person_id) and not _RESERVED.fullmatch(person_id):
        return person_id
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", person_id).strip("_-")[:40].strip("_-") or "id"
    if _RESERVED.fullmatch(cleaned):  # Windows reads `CON.anything` as the device too
        cleaned = f"id_{cleaned}"
    digest = hashlib.sha256(person_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{cleaned}.{digest}"


def _since_last_letter(result: TraineeResult, changes: list[Change]) -> dict:
    """This trainee's moves in plain words, and a word of congratulation for what became met."""
    mine = [c for c in changes if c.trainee_id == result.trainee_id and c.requirement != "overall"]
    words = "; ".join(c.change for c in mine)
    met = sum(r.status == MET for r in result.requirements)
    return {
        "summary": (words[:1].upper() + words[1:] + ".") if words else "",
        "congratulations": (
            f"Well done: you have now completed {met} of the {len(result.requirements)} "
            "requirements."
            if any(c.became_met for c in mine)
            else ""
        ),
    }


def letter_context(
    result: TraineeResult, report: Report, changes: list[Change], has_previous: bool
) -> dict:
    """Everything one letter shows: this trainee's results only.

    `has_previous`: the trainee had a letter last month, so it can say what changed since.
    """
    by_id = {q.id: q for q in result.ruleset.requirements}
    requirements = []
    for r in result.requirements:
        rule = by_id[r.id]
        route = _closest_route(r)
        if route is None:
            percent, left = 0, f"We need to know {rule.missing_data}." if rule.missing_data else ""
            if r.status == MET:  # waived by the leadership team
                percent, left = 100, "Done."
        else:
            percent = min(100, round(100 * route.achieved / route.target))
            remaining = max(0.0, route.target - route.achieved)
            if r.status == MET:
                left = "Done."
            elif route.share:
                left = ""  # the progress line already says the share needed
            elif remaining:
                left = f"{number_text(remaining)} more to go."
            else:
                left = f"Still needed: {rule.requires_label or 'the dates in the register'}."
        shown = percent_text if route is not None and route.share else number_text
        when = report.forecasts.get((result.trainee_id, r.id))
        achieved = "—" if route is None else shown(route.achieved)
        target = shown(r.target if route is None else route.target)
        unit = rule.unit if route is None else route.label
        share = route is not None and route.share
        if share:  # "40% of your group sessions face to face (at least 50% needed)"
            progress = (achieved, f"{unit} (at least {target} needed)")
            same_as_detail = f"{achieved} {unit} (at least {target})"
        else:  # "12 of 20 co-led sessions (60%)"
            progress = (f"{achieved} of {target}", f"{unit} ({percent}%)")
            same_as_detail = f"{achieved} of {target} {unit}"
        requirements.append(
            {
                "title": r.title,
                "forecast": f"At your recent pace, around {when:%B %Y}." if when else "",
                "what_counts": rule.what_counts,
                "status": r.status,
                "status_words": STATUS_WORDS[r.status],
                "progress_bold": progress[0],
                "progress_rest": progress[1],
                "percent": percent,
                "colour": BAR_COLOURS[r.status],
                "left": left,
                # the detail only when it says more than the line above it
                "detail": "" if r.detail == same_as_detail else r.detail,
                "decisions": list(r.decisions),
            }
        )
    settings = report.config.report
    return {
        "society": settings.society,
        "signature": settings.signature,
        "contact_email": settings.contact_email,
        "date": f"{report.as_of.day} {report.as_of:%B %Y}",
        "name": result.name,
        "ruleset_title": result.ruleset.title,
        "ruleset_id": result.ruleset.id,
        "overall": result.overall,
        "paused": result.status == "paused",
        "requirements": requirements,
        "advice": [a.message for a in result.advice],
        "next_step": result.next_step,
        "since": _since_last_letter(result, changes),
        "has_previous": has_previous,
    }


def render_letters(
    folder: Path, report: Report, changes: list[Change], had_letter: frozenset[str]
) -> list[Path]:
    """Write `<trainee_id>.html` and `.txt` for every active or paused trainee.

    `had_letter`: the trainees who were sent one last month.
    """
    folder.mkdir(parents=True, exist_ok=True)
    environment = template_environment()
    html = environment.get_template("letter.html.j2")
    text = environment.get_template("letter.txt.j2")
    changes_of: dict[str, list[Change]] = {}
    for change in changes:  # grouped once: each letter looks only at its own trainee's
        changes_of.setdefault(change.trainee_id, []).append(change)
    written = []
    for result in report.trainees:
        if result.status not in LETTER_STATUSES:
            continue
        context = letter_context(
            result,
            report,
            changes_of.get(result.trainee_id, []),
            has_previous=result.trainee_id in had_letter,
        )
        stem = file_stem(result.trainee_id)
        path = folder / f"{stem}.html"
        path.write_text(html.render(context), encoding="utf-8")
        (folder / f"{stem}.txt").write_text(text.render(context), encoding="utf-8")
        written.append(path)
    return written
