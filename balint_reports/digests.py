"""Supervisor digests: per supervisor, their own trainees' status, next step and data issues."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .addresses import can_email
from .evaluate import TraineeResult
from .issues import ISSUE_COLUMNS
from .letters import file_stem, template_environment
from .outbox import Outgoing, subject_for
from .records import Records
from .schema import LETTER_STATUSES, MET
from .wording import (
    DIGEST_OVERALL_WORDS,
    day_text,
    digest_numbers,
    issue_for_supervisor,
    reference_to_pass_on,
    report_awaited,
    signoffs_awaited,
    supervision_not_counted_for_supervisor,
)

if TYPE_CHECKING:
    from .pipeline import Report


# A data issue may suggest someone else ("did you mean Dán Grey (T5)?") or list several people
# a name matched: a supervisor's digest keeps the problem and drops the other people.
_SUGGESTION = re.compile(r"; did you mean .*?\(.*?\)\?")
_MATCHES = re.compile(r"matches several people \(.*\): write")


def own_people_only(problem: pd.Series) -> pd.Series:
    """Issue texts without the names of other people that a lookup suggested."""
    return problem.str.replace(
        _SUGGESTION, ": correct the name or add the person to the register", regex=True
    ).str.replace(_MATCHES, "matches several people: write", regex=True)


def _column(register: pd.DataFrame | None, column: str) -> dict[str, str]:
    """Per person id, the register's non-blank value of a column."""
    if register is None or column not in register:
        return {}
    values = register[column].astype(object)
    return {
        str(person): str(value).strip()
        for person, value in zip(register.index, values, strict=True)
        if not pd.isna(value) and str(value).strip()
    }


def issues_by_trainee(report: Report) -> dict[str, list[dict]]:
    """Each data issue on a row that names a trainee, grouped by that trainee's case-folded id."""
    places = []
    files_with_issues = set(report.issues["file"])
    rows_with_issues = set(report.issues["row"].dropna().astype("int64"))
    for kind, table in report.rows.items():
        column = "trainee_id" if kind == "trainees" else "trainee"
        if table.empty or column not in table:
            continue
        # Most rows have no issue at all: skip those whose file or row number has none before
        # the join, which then only sees a few candidates.
        where = table.loc[
            table["_row"].isin(rows_with_issues) & table["_file"].isin(files_with_issues),
            ["_file", "_sheet", "_row", column, "_outcome"],
        ]
        places.append(where.set_axis(["file", "sheet", "row", "_trainee", "outcome"], axis=1))
    if not places or report.issues.empty:
        return {}
    place = pd.concat(places, ignore_index=True).drop_duplicates(["file", "sheet", "row"])
    place["row"] = place["row"].astype("Int64")
    issues = report.issues[ISSUE_COLUMNS].copy()
    issues["row"] = issues["row"].astype("Int64")
    found = issues.merge(place, on=["file", "sheet", "row"], how="inner")
    found = found.loc[found["_trainee"].astype(str) != ""]
    found["problem"] = own_people_only(found["problem"].astype(str))
    grouped: dict[str, list[dict]] = {}
    for record in found.to_dict("records"):
        trainee = record.pop("_trainee")
        record["row"] = None if pd.isna(record["row"]) else int(record["row"])
        # Folded, as the register merges `t1` and `T1` into one trainee.
        grouped.setdefault(str(trainee).casefold(), []).append(record)
    return grouped


def _awaited(t: TraineeResult, leader: str, records: Records) -> list[str]:
    """What the trainee's accreditation waits for from this supervisor, in their words."""
    awaited = []
    dates = dict(t.dates)
    if "reference_requested" in dates and "reference_received" not in dates:
        awaited.append(report_awaited(t.name, dates["reference_requested"]))
    elif "reference_received" in dates and "reference_forwarded" not in dates:
        shared = "reference_shared" in dates
        if shared or t.feels_ready:
            awaited.append(reference_to_pass_on(t.name, shared))
    rules = {q.id: q for q in t.ruleset.requirements}
    for r in t.requirements:
        rule = rules[r.id]
        for spec in rule.routes:
            # Sign-offs come out of supervision: with none yet, there is nothing to ask of them.
            signing = t.supervision_hours > 0
            if spec.count == "competencies" and r.status != MET and signing:
                rows = records.rows(spec, t.trainee_id)
                signed = set() if rows is None else set(rows["competency"])
                missing = [
                    f"{c.number}, {c.title}" for c in t.ruleset.competencies if c.id not in signed
                ]
                if missing:
                    awaited.append(signoffs_awaited(missing))
            if spec.counterpart == "eligible_supervisor":
                for left_out in records.excluded(spec, t.trainee_id):
                    name, accredited, experienced = records.leaders.get(
                        left_out.person, ("another supervisor", False, False)
                    )
                    awaited.append(
                        supervision_not_counted_for_supervisor(
                            left_out.rows,
                            left_out.hours,
                            name,
                            left_out.person == leader,
                            accredited,
                            experienced,
                        )
                    )
    return list(dict.fromkeys(awaited))  # alternative routes may find the same rows


def digest_contexts(report: Report) -> list[dict]:
    """One context per supervisor of a trainee who gets a letter: only their own trainees."""
    # The merged registers: the same record per person (case-folded id, first row wins) as
    # the letters were written from.
    supervisor_of = _column(report.registers.get("trainees"), "supervisor")
    leaders = report.registers.get("leaders")
    names, emails = _column(leaders, "name"), _column(leaders, "email")
    issues = issues_by_trainee(report)
    settings = report.config.report
    by_leader: dict[str, list[dict]] = {}
    for t in report.trainees:
        leader = supervisor_of.get(t.trainee_id)
        if t.status not in LETTER_STATUSES or leader is None or leader not in names:
            continue
        rules = {q.id: q for q in t.ruleset.requirements}
        paused = t.status == "paused"
        by_leader.setdefault(leader, []).append(
            {
                "trainee_id": t.trainee_id,
                "name": t.name,
                "status": t.status,
                "overall": DIGEST_OVERALL_WORDS[t.overall],
                "paused": "Their training is paused: nothing is expected of them until they resume."
                if paused
                else "",
                "requirements": [digest_numbers(rules[r.id], r) for r in t.requirements],
                "awaited": [] if paused else _awaited(t, leader, report.records),
                "advice": []
                if paused
                else [a.for_supervisor for a in t.advice if a.for_supervisor],
                "issues": list(
                    dict.fromkeys(
                        issue_for_supervisor(issue, report.as_of)
                        for issue in issues.get(t.trainee_id.casefold(), [])
                    )
                ),
            }
        )
    return [
        {
            "leader_id": leader,
            "leader_name": names[leader],
            "email": emails.get(leader, ""),
            "society": settings.society,
            "signature": settings.signature,
            "contact_email": settings.contact_email,
            "date": day_text(report.as_of),
            "trainees": trainees,
        }
        for leader, trainees in by_leader.items()
    ]


def write_digests(folder: Path, report: Report) -> list[Outgoing]:
    """Write digests/<leader_id>.html and .txt; return the ones that can be emailed."""
    environment = template_environment()
    html_template = environment.get_template("digest.html.j2")
    text_template = environment.get_template("digest.txt.j2")
    subject = subject_for(report.config, "digest", report.as_of)
    outgoing = []
    for context in digest_contexts(report):
        (folder / "digests").mkdir(exist_ok=True)
        stem = file_stem(context["leader_id"])
        html, text = html_template.render(context), text_template.render(context)
        (folder / "digests" / f"{stem}.html").write_text(html, encoding="utf-8")
        (folder / "digests" / f"{stem}.txt").write_text(text, encoding="utf-8")
        if can_email(context["leader_name"], context["email"]):
            outgoing.append(
                Outgoing(
                    kind="digest",
                    recipient_id=context["leader_id"],
                    name=context["leader_name"],
                    address=context["email"],
                    subject=subject,
                    text=text,
                    html=html,
                )
            )
    return outgoing
