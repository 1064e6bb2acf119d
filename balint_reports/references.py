"""Reference requests: drafted for the supervisor when only their report is missing.

A trainee who meets every requirement but the one waiting for the supervisor's report gets a
draft request in OUT/<month>/references/: <id>.html to read or print, and <id>.eml to the
supervisor with the trainee's evidence statement attached, asking for a report on each
competency. The team reads it and sends it (or not); nothing here sends anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .addresses import can_email, sender
from .chase import REFERENCE_FIELD, overdue
from .evaluate import MET, TraineeResult
from .evidence import collect_evidence, render_evidence
from .letters import file_stem, template_environment
from .outbox import Outgoing, build_message

if TYPE_CHECKING:
    from .pipeline import Report

REFERENCES_FOLDER = "references"


@dataclass(frozen=True)
class Request:
    """One draft request: whose report, to whom, and what to comment on."""

    trainee: TraineeResult
    supervisor_id: str
    supervisor_name: str
    address: str
    requested: dt.date | None  # already asked for on this date, per the register


def only_report_missing(t: TraineeResult) -> bool:
    """Every requirement met except those whose only gap is the supervisor's report."""
    rules = {q.id: q for q in t.ruleset.requirements}
    dates = dict(t.dates)
    waiting = False
    for r in t.requirements:
        if r.status == MET:
            continue
        rule = rules[r.id]
        if (
            REFERENCE_FIELD in rule.requires_set
            and REFERENCE_FIELD not in dates
            and any(route.met for route in r.routes)
            and all(name in dates for name in rule.requires_set if name != REFERENCE_FIELD)
        ):
            waiting = True
            continue
        return False
    return waiting


def requests(report: Report) -> list[Request]:
    """The drafts this run writes: active trainees waiting only for their supervisor's report."""
    register = report.registers.get("trainees")
    leaders = report.registers.get("leaders")
    supervisors = register["supervisor"].to_dict() if register is not None else {}
    names = leaders["name"].to_dict() if leaders is not None else {}
    emails = leaders["email"].to_dict() if leaders is not None and "email" in leaders else {}
    found = []
    for t in report.trainees:
        if t.status != "active" or not only_report_missing(t):
            continue
        leader = supervisors.get(t.trainee_id) or ""
        leader = "" if pd.isna(leader) else str(leader)
        email = emails.get(leader)
        found.append(
            Request(
                trainee=t,
                supervisor_id=leader if leader in names else "",
                supervisor_name=str(names.get(leader, "")),
                address="" if email is None or pd.isna(email) else str(email),
                requested=dict(t.dates).get("reference_requested"),
            )
        )
    return found


def request_context(request: Request, report: Report) -> dict:
    """What the draft says: the supervisor, the trainee, each competency to comment on."""
    settings = report.config.report
    t = request.trainee
    return {
        "society": settings.society,
        "signature": settings.signature,
        "contact_email": settings.contact_email,
        "logo": settings.logo,
        "date": f"{report.as_of.day} {report.as_of:%B %Y}",
        "supervisor_name": request.supervisor_name,
        "name": t.name,
        "competencies": [f"{c.number}. {c.title}" for c in t.ruleset.competencies],
        "requested": (
            f"{request.requested.day} {request.requested:%B %Y}" if request.requested else ""
        ),
        "reminder": overdue(request.requested, report.as_of, settings.reference_chase_weeks),
    }


def write_reference_requests(folder: Path, report: Report) -> list[Path]:
    """Write references/<trainee_id>.html (and .eml where it can be addressed); return the HTML."""
    drafts = requests(report)
    if not drafts:
        return []
    target = folder / REFERENCES_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    environment = template_environment()
    html_template = environment.get_template("reference_request.html.j2")
    text_template = environment.get_template("reference_request.txt.j2")
    evidence = collect_evidence(report, {d.trainee.trainee_id for d in drafts})
    can_send = sender(report.config) is not None
    written = []
    for draft in drafts:
        stem = file_stem(draft.trainee.trainee_id)
        context = request_context(draft, report)
        html = html_template.render(context)
        path = target / f"{stem}.html"
        path.write_text(html, encoding="utf-8")
        written.append(path)
        if not (can_send and can_email(draft.supervisor_name, draft.address)):
            continue
        item = Outgoing(
            kind="reference",
            recipient_id=draft.supervisor_id,
            name=draft.supervisor_name,
            address=draft.address,
            subject=f"{report.config.report.society}: a report on {draft.trainee.name}, please",
            text=text_template.render(context),
            html=html,
        )
        message: EmailMessage = build_message(item, report.config, f"{report.as_of:%Y-%m}")
        statement = render_evidence(evidence[draft.trainee.trainee_id])
        message.add_attachment(
            statement.encode("utf-8"),
            maintype="text",
            subtype="html",
            filename=f"evidence-{stem}.html",
        )
        (target / f"{stem}.eml").write_bytes(message.as_bytes())
    return written
