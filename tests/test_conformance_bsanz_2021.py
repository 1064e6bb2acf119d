"""What bsanz-2021 means, case by case: for each requirement, just met, just not met, and
cannot be assessed (or why it never is).

Each case is one trainee (T1) with a few rows, run through `balint-reports run` with only
bsanz-2021 loaded; the Requirements sheet and progress.json must both say the expected status
and count. To add a case, copy one: the comment above it says which rule it checks.
`balint-reports rules explain bsanz-2021` prints the rules these cases check. The report
date is 30 November 2026.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .rules_inbox import att, run_rules, sup

REGISTERED_2024 = {"registered": dt.date(2024, 1, 1)}  # two pathway years completed
ALL_DONE = {
    **REGISTERED_2024,
    "feels_ready": "yes",
    "reference_received": dt.date(2026, 10, 1),
    "reference_shared": dt.date(2026, 10, 2),
    "reference_forwarded": dt.date(2026, 10, 3),
}


def monthly(year: int, count: int, supervisor: str = "L1") -> list[dict]:
    """`count` supervision sessions, one on the 10th of each month from January of `year`."""
    return [sup(dt.date(year, month, 10), supervisor) for month in range(1, count + 1)]


@dataclass(frozen=True)
class Case:
    """T1's register fields and rows, and what bsanz-2021 must say about one requirement."""

    requirement: str
    register: dict
    status: str  # met, not_met or cannot_assess
    achieved: float | None  # the count shown; None when it cannot be assessed
    target: float | None  # None: not checked when it cannot be assessed
    attendance: list = field(default_factory=list)
    supervision: list = field(default_factory=list)


CASES = [
    # --- case_discussions: 30 cases discussed in groups led or co-led ---------------------
    # Cases add up over leading and co-leading: 18 + 12.
    pytest.param(
        Case(
            "case_discussions",
            REGISTERED_2024,
            "met",
            30,
            30,
            [
                att(dt.date(2025, 3, 1), "co_leader", cases=18),
                att(dt.date(2025, 4, 1), "leader", cases=12),
            ],
        ),
        id="cases-30-just-met",
    ),
    # 29 are one short; cases in a group attended as a member do not count.
    pytest.param(
        Case(
            "case_discussions",
            REGISTERED_2024,
            "not_met",
            29,
            30,
            [
                att(dt.date(2025, 3, 1), "leader", cases=29),
                att(dt.date(2025, 4, 1), "member", cases=5),
            ],
        ),
        id="cases-29-just-not-met",
    ),
    # Case discussions depend on no register field: never "cannot be assessed".
    pytest.param(
        Case("case_discussions", {}, "not_met", 0, 30),
        id="cases-never-cannot-assess",
    ),
    # --- leading_meetings: 20 meetings led or co-led ----------------------------------------
    # Meetings add up over leading and co-leading: 10 + 10.
    pytest.param(
        Case(
            "leading_meetings",
            REGISTERED_2024,
            "met",
            20,
            20,
            [
                att(dt.date(2025, 3, 1), "leader", sessions=10),
                att(dt.date(2025, 4, 1), "co_leader", sessions=10),
            ],
        ),
        id="meetings-20-just-met",
    ),
    # 19 are one short; meetings attended as a member do not count.
    pytest.param(
        Case(
            "leading_meetings",
            REGISTERED_2024,
            "not_met",
            19,
            20,
            [
                att(dt.date(2025, 3, 1), "co_leader", sessions=19),
                att(dt.date(2025, 4, 1), "member", sessions=5),
            ],
        ),
        id="meetings-19-just-not-met",
    ),
    # Meetings depend on no register field: never "cannot be assessed".
    pytest.param(
        Case("leading_meetings", {}, "not_met", 0, 20),
        id="meetings-never-cannot-assess",
    ),
    # --- supervision: 10 sessions with an eligible supervisor in each pathway year ---------
    # Registered 1 January 2024: 2024 and 2025 are completed pathway years, 10 sessions each.
    pytest.param(
        Case(
            "supervision",
            REGISTERED_2024,
            "met",
            10,
            10,
            supervision=monthly(2024, 10) + monthly(2025, 10),
        ),
        id="supervision-10-each-year-just-met",
    ),
    # A busy first year does not make up for a thin second one: the weakest year, 9, shows.
    pytest.param(
        Case(
            "supervision",
            REGISTERED_2024,
            "not_met",
            9,
            10,
            supervision=monthly(2024, 12) + monthly(2025, 9),
        ),
        id="supervision-9-in-one-year-just-not-met",
    ),
    # Sessions with a supervisor who is accredited but not experienced in supervision (L2)
    # do not count.
    pytest.param(
        Case(
            "supervision",
            REGISTERED_2024,
            "not_met",
            9,
            10,
            supervision=monthly(2024, 10) + monthly(2025, 9) + [sup(dt.date(2025, 11, 10), "L2")],
        ),
        id="supervision-ineligible-supervisor-does-not-count",
    ),
    # No pathway year completed yet (registered 1 March 2026): the year under way is
    # judged on what it has so far, and 10 sessions already meet it.
    pytest.param(
        Case(
            "supervision",
            {"registered": dt.date(2026, 3, 1)},
            "met",
            10,
            10,
            supervision=[sup(dt.date(2026, month, 10)) for month in range(3, 13) if month != 12]
            + [sup(dt.date(2026, 11, 20))],
        ),
        id="supervision-first-year-under-way-just-met",
    ),
    # Without a registered date there are no pathway years: it cannot be assessed.
    pytest.param(
        Case(
            "supervision",
            {},
            "cannot_assess",
            None,
            None,
            supervision=monthly(2024, 12) + monthly(2025, 12),
        ),
        id="supervision-registered-blank-cannot-assess",
    ),
    # --- intensives: 2 Balint intensives (leadership weekends) ------------------------------
    # Two named leadership weekends, a year apart.
    pytest.param(
        Case(
            "intensives",
            REGISTERED_2024,
            "met",
            2,
            2,
            [
                att(dt.date(2024, 5, 4), "leadership_weekend", event="Intensive 2024"),
                att(dt.date(2025, 5, 3), "leadership_weekend", event="Intensive 2025"),
            ],
        ),
        id="intensives-2-just-met",
    ),
    # A leadership training day is not an intensive: one of two.
    pytest.param(
        Case(
            "intensives",
            REGISTERED_2024,
            "not_met",
            1,
            2,
            [
                att(dt.date(2024, 5, 4), "leadership_weekend", event="Intensive 2024"),
                att(dt.date(2025, 2, 1), "leadership_day", event="Training day"),
            ],
        ),
        id="intensives-day-does-not-count-just-not-met",
    ),
    # Intensives depend on no register field: never "cannot be assessed".
    pytest.param(
        Case("intensives", {}, "not_met", 0, 2),
        id="intensives-never-cannot-assess",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_bsanz_2021_requirement(tmp_path: Path, case: Case) -> None:
    out = run_rules(
        tmp_path,
        case.register,
        attendance=case.attendance,
        supervision=case.supervision,
        rules=["bsanz-2021"],
    )
    assert out.progress["ruleset"] == "bsanz-2021"
    status, achieved, target = out.requirement(case.requirement)
    if case.status == "cannot_assess":
        assert (status, achieved) == (case.status, None)
        assert out.progress["overall"] == "needs_data"
    else:
        assert (status, achieved, target) == (case.status, case.achieved, case.target)


# --- ready: every requirement met, feels ready, and the report shared and forwarded -------

EVERYTHING = {
    "attendance": [
        att(dt.date(2024, 3, 1), "co_leader", sessions=20, cases=30),
        att(dt.date(2024, 5, 4), "leadership_weekend", event="Intensive 2024"),
        att(dt.date(2025, 5, 3), "leadership_weekend", event="Intensive 2025"),
    ],
    "supervision": monthly(2024, 10) + monthly(2025, 10),
}

READY_CASES = [
    # Everything met, feels ready, the supervisor's report shared and forwarded: ready.
    pytest.param(ALL_DONE, "ready", id="ready-just-met"),
    # The same, but the report has not been sent on to the accreditation committee.
    pytest.param({**ALL_DONE, "reference_forwarded": ""}, "in_progress", id="not-forwarded"),
    # No registered date: supervision per year cannot be assessed, so data is needed.
    pytest.param({**ALL_DONE, "registered": ""}, "needs_data", id="needs-data"),
]


@pytest.mark.parametrize(("register", "overall"), READY_CASES)
def test_bsanz_2021_ready(tmp_path: Path, register: dict, overall: str) -> None:
    out = run_rules(tmp_path, register, **EVERYTHING, rules=["bsanz-2021"])
    assert out.progress["overall"] == overall
    assert out.overview["overall"] == overall
