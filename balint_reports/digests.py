"""Supervisor digests: per supervisor, their own trainees' status, next step and data issues."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .addresses import can_email
from .evaluate import OVERALL_WORDS
from .issues import ISSUE_COLUMNS
from .letters import file_stem, template_environment
from .outbox import Outgoing, subject_for
from .schema import LETTER_STATUSES

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
            ["_file", "_sheet", "_row", column],
        ]
        places.append(where.set_axis(["file", "sheet", "row", "_trainee"], axis=1))
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
            "leader_name": names[leader],
            "email": emails.get(leader, ""),
            "society": settings.society,
            "signature": settings.signature,
            "logo": settings.logo,
            "contact_email": settings.contact_email,
            "date": f"{report.as_of.day} {report.as_of:%B %Y}",
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
