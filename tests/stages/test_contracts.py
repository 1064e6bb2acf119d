"""What every stage promises, whatever the cells: it reports problems as issues and never raises,
and every row it is given ends with exactly one outcome (docs/contract.md#row-outcomes)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from balint_reports.evaluate import evaluate
from balint_reports.issues import NO_ROW, IssueLog
from balint_reports.model import Outcome
from balint_reports.ruleset import load_rulesets

from .helpers import staged

AS_OF = pd.Timestamp(2026, 11, 30)
CELLS = st.one_of(
    st.sampled_from(
        [
            "T1",
            "t2",
            "Ann Able",
            "Able, Ann",
            "L1",
            "yes",
            "maybe",
            "co-leader",
            "juggling",
            "05/03/2026",
            "11/17/2026",
            "31/02/2026",
            "2031-01-01",
            "-1",
            "0",
            "2.5",
            "=A1",
            "  ",
            "",
            "\u00a0",
            "<script>",
            "safe_frame",
            "9",
            "zoom",
            "paused",
        ]
    ),
    st.integers(-3, 30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)),
    st.text(max_size=10),
)
ROWS = st.lists(st.lists(CELLS, min_size=5, max_size=5), max_size=10)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trainees=ROWS, attendance=ROWS, supervision=ROWS)
def test_no_cell_makes_a_stage_raise_and_every_row_has_one_outcome(
    trainees: list, attendance: list, supervision: list
) -> None:
    log = IssueLog()
    sheets = {
        "trainees.xlsx": [
            ["trainee_id", "name", "psychodynamic_training", "status", "supervisor"],
            ["T1", "Ann Able", "no", "", "L1"],
            *trainees,
        ],
        "leaders.xlsx": [
            ["leader_id", "name", "accredited", "supervision_experience", "email"],
            ["L1", "Lea Leader", "yes", "yes", "lea@example.org"],
        ],
        "group.xlsx": [["trainee", "date", "activity", "sessions", "co_leader"], *attendance],
        "log.xlsx": [["trainee", "supervisor", "date", "hours", "mode"], *supervision],
    }
    tables = staged(sheets, AS_OF, log)
    results = evaluate(tables.counted, load_rulesets(()))
    assert {r.trainee_id for r in results} == set(tables.counted.trainees.index)
    issues = log.frame()
    errors = set(issues.loc[issues["severity"] == "error", "rid"]) - {NO_ROW}
    for kind, table in tables.rows.items():
        assert table["_outcome"].isin(list(Outcome)).all(), kind
        rejected = set(table.loc[table["_outcome"] == Outcome.REJECTED, "_rid"])
        # a rejected row says why, and a row with an error is never counted
        assert rejected <= errors, kind
        assert not (set(table.loc[table["_outcome"] == Outcome.ACCEPTED, "_rid"]) & errors)
