"""evaluate: requirements, advice and overall status per trainee, from accepted rows."""

from __future__ import annotations

import pandas as pd

from balint_reports.evaluate import evaluate
from balint_reports.issues import IssueLog
from balint_reports.model import Overall, RegisterStatus, Status
from balint_reports.ruleset import load_rulesets

from .helpers import counted_tables

AS_OF = pd.Timestamp(2026, 11, 30)
LEADERS = [
    ["leader_id", "name", "accredited", "supervision_experience"],
    ["L1", "Lea Leader", "yes", "yes"],
    ["L2", "Nat Novice", "no", "no"],
]


def _results(trainee_rows: list[list[object]], attendance: list[list[object]]) -> dict:
    log = IssueLog()
    tables = counted_tables(
        {
            "trainees.xlsx": [
                ["trainee_id", "name", "psychodynamic_training", "status"],
                *trainee_rows,
            ],
            "leaders.xlsx": LEADERS,
            "group.xlsx": [["trainee", "date", "activity", "sessions", "co_leader"], *attendance],
        },
        AS_OF,
        log,
    )
    return {r.trainee_id: r for r in evaluate(tables, load_rulesets(()))}


def test_sessions_are_summed_not_rows_and_each_requirement_has_a_status() -> None:
    results = _results(
        [["T1", "Ann Able", "no", ""], ["T2", "Ben Best", "", "paused"]],
        [
            ["T1", "2026-01-08", "co-leader", 12, "L1"],
            ["T1", "2026-02-12", "co-leader", 8, "L1"],
            ["T1", "2026-03-12", "member", 20, ""],
            ["T2", "2026-03-12", "member", 4, ""],
        ],
    )
    ann = {r.id: r for r in results["T1"].requirements}
    assert (ann["co_leading"].status, ann["co_leading"].achieved) == (Status.MET, 20)
    assert ann["membership"].status == Status.MET
    assert ann["supervision"].status == Status.NOT_MET
    assert results["T1"].overall == Overall.IN_PROGRESS
    # a blank training answer with 4 sessions: 8 or 20 needed is not known
    ben = results["T2"]
    assert {r.id: r.status for r in ben.requirements}["membership"] == Status.CANNOT_ASSESS
    assert ben.overall == Overall.NEEDS_DATA
    assert ben.status is RegisterStatus.PAUSED and ben.gets_letter


def test_the_shown_route_is_the_one_met_else_the_one_furthest_along() -> None:
    results = _results(
        [["T1", "Ann Able", "yes", ""]],
        [["T1", "2026-03-12", "member", 9, ""]],
    )
    membership = {r.id: r for r in results["T1"].requirements}["membership"]
    assert membership.status == Status.MET
    route = membership.shown_route
    assert route is not None and route.met and route.target == 8


def test_co_leading_only_with_a_non_accredited_leader_is_advised() -> None:
    results = _results(
        [["T1", "Ann Able", "no", ""]],
        [["T1", "2026-01-08", "co-leader", 2, "Nat Novice"]],
    )
    assert "no_accredited_coleader" in {a.code for a in results["T1"].advice}
