"""Supervisor digests: per supervisor, their own trainees' numbers, what is awaited from them, the
advice the seed gives supervisors, and the data issues about their trainees' rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from .chase import overdue_since
from .issue_text import TEAM_ONLY_CODES
from .issues import ISSUE_COLUMNS
from .letters import file_stem, template_environment
from .model import MET, Person, RegisterStatus, RunResult, TraineeResult
from .records import Records
from .rendered import Rendered, rendered_texts
from .ruleset import Vocabulary, shared_vocabulary
from .wording import (
    DIGEST_OVERALL_WORDS,
    PAUSED_FOR_SUPERVISOR,
    UNUSED_FOR_SUPERVISOR,
    competency_words,
    day_text,
    digest_numbers,
    issue_for_supervisor,
    not_recorded_as,
    reference_to_pass_on,
    register_headings,
    report_awaited,
    signature_words,
    signoffs_awaited,
    supervision_not_counted_for_supervisor,
    unused_rows_for_supervisor,
)


@dataclass(frozen=True)
class Digest:
    """One supervisor's digest, rendered."""

    leader: Person
    stem: str  # its file name in digests/, without the extension
    html: str
    text: str


def issues_by_trainee(report: RunResult) -> dict[str, list[dict]]:
    """Each data issue about a trainee's row, grouped by the trainee's case-folded id."""
    issues = report.issues
    about = issues.loc[
        (issues["trainee_id"] != "") & ~issues["code"].isin(TEAM_ONLY_CODES),
        ["code", *ISSUE_COLUMNS, "trainee_id", "outcome"],
    ]
    grouped: dict[str, list[dict]] = {}
    for record in about.to_dict("records"):
        trainee = record.pop("trainee_id")
        record["row"] = None if pd.isna(record["row"]) else int(record["row"])
        # Folded, as the register merges `t1` and `T1` into one trainee.
        grouped.setdefault(str(trainee).casefold(), []).append(record)
    return grouped


def _references_awaited(t: TraineeResult, as_of: dt.date, chase_weeks: int) -> list[str]:
    """The references of the trainee's ruleset that their supervisor writes, at the step that
    waits for the supervisor: written (asked for, not received), then shared and forwarded.

    Once the report the team chases is overdue, its one line says so: a flag of its own listed
    the same report twice."""
    awaited = []
    dates = dict(t.dates)
    words = t.ruleset.vocabulary
    chased = t.ruleset.supervisor_reference()
    late = overdue_since(t, as_of, chase_weeks)
    requirements_met = all(
        r.status == MET for r in t.requirements if t.ruleset.readiness.counts(r.id)
    )
    for reference in t.ruleset.references:
        if reference.by != "supervisor":
            continue  # a co-leader's report is not this supervisor's to write
        requested, received = reference.field("requested"), reference.field("received")
        shared, forwarded = reference.field("shared"), reference.field("forwarded")
        if requested in dates and received not in dates:
            overdue = None
            if reference == chased and late is not None:
                overdue = ((as_of - late).days // 7, chase_weeks)
            awaited.append(report_awaited(t.name, dates[requested], words, reference.name, overdue))
            continue
        last = forwarded or shared
        if received in dates and last is not None and last not in dates:
            # with the trainee already, or with no sharing step: it is to be forwarded; else
            # shared, once the trainee's letter asks them to ask for it (feeling ready, or
            # every requirement met: the letter's next steps are then readiness's)
            with_trainee = forwarded is not None and (shared is None or shared in dates)
            if with_trainee or t.feels_ready or requirements_met:
                awaited.append(
                    reference_to_pass_on(
                        t.name, with_trainee, words, reference.name, bool(t.feels_ready)
                    )
                )
    return awaited


def _awaited(
    t: TraineeResult, leader: str, records: Records, as_of: dt.date, chase_weeks: int
) -> list[str]:
    """What the trainee's accreditation waits for from this supervisor, in their words."""
    # the report is asked of the register's supervisor, not of another supervising lately
    named = leader == t.supervisor_id or not t.supervisor_id
    awaited = _references_awaited(t, as_of, chase_weeks) if named else []
    words = t.ruleset.vocabulary
    rules = {q.id: q for q in t.ruleset.requirements}
    for r in t.requirements:
        rule = rules[r.id]
        for spec in rule.routes:
            # Sign-offs come out of supervision: with none yet, there is nothing to ask of them.
            signing = t.supervision_hours > 0
            if spec.count == "competencies" and r.status != MET and signing:
                rows = records.of_route(spec)[0]
                signed = set() if rows is None else set(rows.values(t.trainee_id, "competency"))
                missing = [
                    competency_words(c.number, c.title, named=False)
                    for c in t.ruleset.competencies
                    if c.id not in signed
                ]
                if missing:
                    awaited.append(signoffs_awaited(missing))
            if spec.source == "supervision" and (spec.counterpart or spec.counterpart_has):
                for left_out in records.excluded(spec, t.trainee_id):
                    # Another leader's record is theirs and the team's to correct, not this
                    # supervisor's: the trainee's letter says why those sessions do not count.
                    if left_out.person != leader:
                        continue
                    _, accredited, experienced = records.leaders.get(
                        left_out.person, ("", False, False)
                    )
                    gaps = not_recorded_as(
                        left_out.lacks,
                        accredited,
                        experienced,
                        register_headings(t.ruleset, "leaders"),
                    )
                    awaited.append(
                        supervision_not_counted_for_supervisor(
                            left_out.rows, left_out.hours, gaps, words
                        )
                    )
    return list(dict.fromkeys(awaited))  # alternative routes may find the same rows


def _add_trainee(
    by_leader: dict[str, list[dict]],
    vocabularies: dict[str, set[Vocabulary]],
    leader: str,
    t: TraineeResult,
    report: RunResult,
    issues: dict[str, list[dict]],
) -> None:
    """The trainee's part of one supervisor's digest."""
    settings = report.config.report
    rules = {q.id: q for q in t.ruleset.requirements}
    # each trainee's lines in their own society's words
    words = t.ruleset.vocabulary
    vocabularies.setdefault(leader, set()).add(words)
    paused = t.status is RegisterStatus.PAUSED
    by_leader.setdefault(leader, []).append(
        {
            "trainee_id": t.trainee_id,
            "name": t.name,
            "status": t.status,
            "overall": DIGEST_OVERALL_WORDS[t.overall],
            "paused": PAUSED_FOR_SUPERVISOR if paused else "",
            "requirements": [digest_numbers(rules[r.id], r, words) for r in t.requirements],
            "awaited": []
            if paused
            else _awaited(t, leader, report.records, report.as_of, settings.reference_chase_weeks),
            "advice": [] if paused else [a.for_supervisor for a in t.advice if a.for_supervisor],
            "issues": list(
                dict.fromkeys(
                    issue_for_supervisor(issue, report.as_of, words)
                    for issue in issues.get(t.trainee_id.casefold(), [])
                )
            )
            + [
                unused_rows_for_supervisor(u.outcome, t.name, u.file, u.rows, words)
                for u in report.records.rejected.get(t.trainee_id, [])
                if u.outcome in UNUSED_FOR_SUPERVISOR
            ],
        }
    )


def digest_contexts(report: RunResult) -> list[dict]:
    """One context per supervisor of a trainee who gets a letter: only their own trainees."""
    issues = issues_by_trainee(report)
    settings = report.config.report
    by_leader: dict[str, list[dict]] = {}
    # The society's own words ("credentialing"): those of the supervisor's trainees' rulesets
    # when they agree, else those of the newest ruleset loaded.
    vocabularies: dict[str, set[Vocabulary]] = {}
    for t in report.trainees:
        # The register's supervisor and whoever has supervised the trainee lately (the register
        # may not have caught up with a change of supervisor); without a register supervisor,
        # whoever the trainee's supervision rows are with.
        whom = (t.supervisor_id, *t.supervising_now) if t.supervisor_id else t.supervised_by
        for leader in dict.fromkeys(whom):
            if t.gets_letter and leader in report.leaders:
                _add_trainee(by_leader, vocabularies, leader, t, report, issues)
    # a supervisor's trainees' rulesets' words when they agree, else the newest ruleset's
    newest = report.rulesets[-1].vocabulary
    words_of = {leader: shared_vocabulary(found, newest) for leader, found in vocabularies.items()}
    return [
        {
            "leader_id": leader,
            "leader_name": report.leaders[leader].name,
            "email": report.leaders[leader].email,
            "society": settings.society,
            "words": words_of[leader],
            "signature": signature_words(settings.signature, words_of[leader]),
            "logo": settings.logo,
            "contact_email": settings.contact_email,
            "date": day_text(report.as_of),
            "trainees": trainees,
        }
        for leader, trainees in by_leader.items()
    ]


def render_digests(report: RunResult, rendered: Rendered | None = None) -> list[Digest]:
    """The digest of every supervisor who has a trainee written to this month.

    `rendered`: digests an earlier run rendered from the same context, taken as they are.
    """
    environment = template_environment()
    html_template = environment.get_template("digest.html.j2")
    text_template = environment.get_template("digest.txt.j2")
    digests = []
    for context in digest_contexts(report):
        texts = rendered_texts(rendered, "digest", context, (html_template, text_template))
        leader = context["leader_id"]
        digests.append(Digest(report.leaders[leader], file_stem(leader), *texts))
    return digests
