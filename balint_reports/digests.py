"""Supervisor digests: per supervisor, their own trainees' status, next step and data issues."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .evaluate import OVERALL_WORDS
from .issues import ISSUE_COLUMNS
from .letters import file_stem, template_environment
from .model import Person, RunResult


@dataclass(frozen=True)
class Digest:
    """One supervisor's digest, rendered."""

    leader: Person
    stem: str  # its file name in digests/, without the extension
    html: str
    text: str


def issues_by_trainee(report: RunResult) -> dict[str, list[dict]]:
    """Each data issue about a trainee's row, grouped by the trainee's case-folded id, in the
    words that name nobody else."""
    issues = report.issues
    about = issues.loc[issues["trainee_id"] != "", [*ISSUE_COLUMNS, "shareable", "trainee_id"]]
    grouped: dict[str, list[dict]] = {}
    for record in about.to_dict("records"):
        trainee = record.pop("trainee_id")
        record["problem"] = record.pop("shareable")
        record["row"] = None if pd.isna(record["row"]) else int(record["row"])
        # Folded, as the register merges `t1` and `T1` into one trainee.
        grouped.setdefault(str(trainee).casefold(), []).append(record)
    return grouped


def digest_contexts(report: RunResult) -> list[dict]:
    """One context per supervisor of a trainee who gets a letter: only their own trainees."""
    issues = issues_by_trainee(report)
    settings = report.config.report
    by_leader: dict[str, list[dict]] = {}
    for t in report.trainees:
        leader = t.supervisor_id
        if not t.gets_letter or leader not in report.leaders:
            continue
        by_leader.setdefault(leader, []).append(
            {
                "trainee_id": t.trainee_id,
                "name": t.name,
                "status": t.status,
                "overall": OVERALL_WORDS.get(t.overall, t.overall).capitalize(),
                "next_step": t.next_step,
                "issues": issues.get(t.trainee_id.casefold(), []),
            }
        )
    return [
        {
            "leader_id": leader,
            "leader_name": report.leaders[leader].name,
            "email": report.leaders[leader].email,
            "society": settings.society,
            "signature": settings.signature,
            "contact_email": settings.contact_email,
            "date": f"{report.as_of.day} {report.as_of:%B %Y}",
            "trainees": trainees,
        }
        for leader, trainees in by_leader.items()
    ]


def render_digests(report: RunResult) -> list[Digest]:
    """The digest of every supervisor who has a trainee written to this month."""
    environment = template_environment()
    html_template = environment.get_template("digest.html.j2")
    text_template = environment.get_template("digest.txt.j2")
    return [
        Digest(
            report.leaders[context["leader_id"]],
            file_stem(context["leader_id"]),
            html_template.render(context),
            text_template.render(context),
        )
        for context in digest_contexts(report)
    ]
