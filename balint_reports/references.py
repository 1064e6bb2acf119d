"""Reference requests: drafted for the supervisor when only their report is missing.

A trainee who meets every requirement but the one waiting for the supervisor's report gets a
draft request in OUT/<month>/references/: <id>.html to read or print, and <id>.eml to the
supervisor with the trainee's evidence statement attached, asking for a report on each
competency. The team reads it and sends it (or not); nothing here sends anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from .addresses import can_email
from .chase import only_report_missing, overdue
from .config import sender
from .evidence import render_evidence
from .letters import file_stem, template_environment
from .model import RunResult, TraineeResult
from .outbox import Outgoing, Recipient, build_message, eml_bytes, headers_for
from .wording import day_text, signature_words

REFERENCES_FOLDER = "references"


@dataclass(frozen=True)
class Request:
    """One draft request: whose report, to whom, and what to comment on."""

    trainee: TraineeResult
    supervisor_id: str
    supervisor_name: str
    address: str
    requested: dt.date | None  # already asked for on this date, per the register


def requests(result: RunResult) -> list[Request]:
    """The drafts this run writes: active trainees waiting only for their supervisor's report."""
    found = []
    for t in result.trainees:
        if t.status != "active" or not only_report_missing(t):
            continue
        leader = result.leaders.get(t.supervisor_id)
        # the date the trainee's own ruleset keeps for it, as the digest's overdue chase reads
        reference = t.ruleset.supervisor_reference()
        asked_on = reference.field("requested") if reference is not None else None
        found.append(
            Request(
                trainee=t,
                supervisor_id=leader.leader_id if leader else "",
                supervisor_name=leader.name if leader else "",
                address=leader.email if leader else "",
                requested=dict(t.dates).get(asked_on) if asked_on else None,
            )
        )
    return found


def request_context(request: Request, result: RunResult) -> dict:
    """What the draft says: the supervisor, the trainee, each competency to comment on."""
    settings = result.config.report
    t = request.trainee
    return {
        "society": settings.society,
        "signature": signature_words(settings.signature, t.ruleset.vocabulary),
        "contact_email": settings.contact_email,
        "logo": settings.logo,
        "date": day_text(result.as_of),
        "supervisor_name": request.supervisor_name,
        "name": t.name,
        "words": t.ruleset.vocabulary,  # the society's own words: "credentialing"
        "competencies": [f"{c.number}. {c.title}" for c in t.ruleset.competencies],
        "requested": day_text(request.requested) if request.requested else "",
        "reminder": overdue(request.requested, result.as_of, settings.reference_chase_weeks),
    }


def reference_request_files(result: RunResult) -> dict[str, bytes]:
    """references/<trainee_id>.html, and .eml where it can be addressed, by path."""
    environment = template_environment()
    html_template = environment.get_template("reference_request.html.j2")
    text_template = environment.get_template("reference_request.txt.j2")
    can_send = sender(result.config) is not None
    files: dict[str, bytes] = {}
    for draft in requests(result):
        stem = f"{REFERENCES_FOLDER}/{file_stem(draft.trainee.trainee_id)}"
        context = request_context(draft, result)
        html = html_template.render(context)
        files[f"{stem}.html"] = html.encode("utf-8")
        statement = result.evidence.get(draft.trainee.trainee_id)
        if statement is None or not (can_send and can_email(draft.supervisor_name, draft.address)):
            continue
        item = Outgoing(
            stem=stem,
            html=html,
            text=text_template.render(context),
            recipient=Recipient(
                "reference", draft.supervisor_id, draft.supervisor_name, draft.address
            ),
        )
        headers = replace(
            headers_for(result.config, "digest", result.as_of),
            subject=f"{result.config.report.society}: a report on {draft.trainee.name}, please",
        )
        message = build_message(item, headers, result.month, dated=result.as_of)
        message.add_attachment(
            render_evidence(statement).encode("utf-8"),
            maintype="text",
            subtype="html",
            filename=f"evidence-{file_stem(draft.trainee.trainee_id)}.html",
        )
        files[f"{stem}.eml"] = eml_bytes(message)
    return files
