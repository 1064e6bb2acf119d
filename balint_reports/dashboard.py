"""The month's dashboard, OUT/<month>/index.html: one page the team opens from the folder.

A pure function of the run's results: totals, who is close and who has stalled, a progress
bar per requirement per trainee, and the data issues per file. No external resources.
"""

from __future__ import annotations

import pandas as pd

from .chase import overdue_since
from .forecast import QUIET_MONTHS
from .labels import OVERALL_WORDS, REGISTER_WORDS, SEVERITY_WORDS, STATUS_WORDS
from .letters import letter_file, template_environment
from .model import (
    MET,
    READY,
    RequirementResult,
    RunResult,
    TraineeResult,
)
from .wording import day_text, third_person

# Months without a new record after which an active trainee counts as stalled: those after
# which a route's forecast stops, so that no stalled trainee is shown a finishing month.
STALLED_MONTHS = QUIET_MONTHS
# Issues listed per file on the page; the rest are counted and left to the summary.
ISSUES_SHOWN_PER_FILE = 50


def requirement_percent(result: RequirementResult) -> int:
    """How far along a requirement is, 0–100: the route met, else the one furthest along."""
    if result.status == MET:
        return 100
    shown = result.shown_route  # the evaluation's choice, as the letter and progress.json
    return max(0, min(100, round(100 * shown.achieved / shown.target))) if shown else 0


def _count_done(result: RequirementResult) -> bool:
    """Whether a requirement not yet met has its count complete, and waits for something else
    (a supervisor's report): its full bar is then labelled so, not "100%"."""
    shown = result.shown_route
    return result.status != MET and shown is not None and shown.met


def _remaining(t: TraineeResult) -> str:
    """What stands between a nearly complete trainee and `ready`, in a few words."""
    unmet = [third_person(r.title) for r in t.requirements if r.status != MET]
    if unmet:
        return "still to meet: " + ", ".join(unmet)
    dates = dict(t.dates)
    waiting = [
        (bool(t.feels_ready), "the trainee to feel ready"),
        ("reference_shared" in dates, "the reference shared with the trainee"),
        ("reference_forwarded" in dates, "the reference forwarded to the team"),
    ]
    missing = [words for done, words in waiting if not done]
    return "all requirements met; waiting for " + ", ".join(missing) if missing else ""


def _day(day: pd.Timestamp | None) -> str:
    return "" if day is None or pd.isna(day) else f"{day.day} {day:%b %Y}"


def dashboard_context(report: RunResult, letters: bool = True) -> dict:
    """What the dashboard shows, from the run's results only."""
    as_of = pd.Timestamp(report.as_of)
    stalled_before = as_of - pd.DateOffset(months=STALLED_MONTHS)
    latest = report.last_records
    requirement_titles: dict[str, str] = {}
    for ruleset in report.rulesets:
        for q in ruleset.requirements:
            requirement_titles.setdefault(q.id, third_person(q.title))

    weeks = report.config.report.reference_chase_weeks
    # the tiles: those on the pathway by overall status, the others by register status
    totals, off_pathway = report.headcount()
    trainees, close, stalled, overdue = [], [], [], []
    for t in report.trainees:
        by_id = {r.id: r for r in t.requirements}
        met = sum(r.status == MET for r in t.requirements)
        last = pd.Timestamp(latest[t.trainee_id]) if t.trainee_id in latest else None
        row = {
            "trainee_id": t.trainee_id,
            "name": t.name,
            "status": t.status,
            "overall": t.overall,
            "overall_label": OVERALL_WORDS.get(t.overall, t.overall),
            "met": met,
            "of": len(t.requirements),
            "last_record": _day(last),
            "last_record_sort": f"{last:%Y-%m-%d}" if last is not None else "",
            "next_step": t.next_step,
            "letter": letter_file(t, letters),
            "requirements": [
                None
                if q not in by_id
                else {
                    "status": by_id[q].status,
                    "label": STATUS_WORDS.get(by_id[q].status, by_id[q].status),
                    "percent": requirement_percent(by_id[q]),
                    "count_done": _count_done(by_id[q]),
                    "detail": by_id[q].detail,
                }
                for q in requirement_titles
            ],
        }
        trainees.append(row)
        if not t.gets_letter or t.overall == READY:
            continue
        requested = overdue_since(t, report.as_of, weeks)
        if requested is not None:
            overdue.append({**row, "requested": _day(pd.Timestamp(requested))})
        # Close: everything met but one requirement, or all met and only the steps after.
        if len(t.requirements) - met <= 1:
            close.append({**row, "remaining": _remaining(t)})
        if t.status == "active" and (last is None or last < stalled_before):
            stalled.append(row)

    return {
        "society": report.config.report.society,
        "date": day_text(report.as_of),
        "on_pathway": sum(totals.values()),
        "off_pathway": sorted(off_pathway.items()),
        "totals": [
            {"key": key, "label": label, "count": totals.get(key, 0)}
            for key, label in OVERALL_WORDS.items()
        ],
        "requirement_titles": list(requirement_titles.values()),
        "trainees": trainees,
        "close": close,
        "stalled": stalled,
        "stalled_months": STALLED_MONTHS,
        "overdue": overdue,
        "chase_weeks": weeks,
        "files": _issues_by_file(report.issues),
    }


def _issues_by_file(issues: pd.DataFrame) -> list[dict]:
    """Per file with issues: counts by severity and the first issues, in the summary's order."""
    files: list[dict] = []
    if issues.empty:
        return files
    for file, rows in issues.groupby("file", sort=True):
        counts = rows["severity"].value_counts()
        shown = rows.head(ISSUES_SHOWN_PER_FILE)
        files.append(
            {
                "file": file or "(the inbox as a whole)",
                "errors": int(counts.get("error", 0)),
                "warnings": int(counts.get("warning", 0)),
                "notes": int(counts.get("info", 0)),
                "more": len(rows) - len(shown),
                "issues": [
                    {
                        "severity": i["severity"],
                        "sheet": i["sheet"],
                        "row": "" if pd.isna(i["row"]) else int(i["row"]),
                        "column": i["heading"],
                        "value": i["value"],
                        "problem": i["problem"],
                    }
                    for i in shown.to_dict("records")
                ],
            }
        )
    # Files with errors first: those are the ones that lose rows.
    return sorted(files, key=lambda f: (-f["errors"], -f["warnings"], f["file"]))


def dashboard_html(report: RunResult, letters: bool = True) -> str:
    """The dashboard page as HTML text; every value from a spreadsheet is escaped."""
    template = template_environment().get_template("dashboard.html.j2")
    # the workbook's words for the register's statuses and the issues' severities
    return template.render(
        dashboard_context(report, letters),
        register_words=REGISTER_WORDS,
        severity_words=SEVERITY_WORDS,
    )
