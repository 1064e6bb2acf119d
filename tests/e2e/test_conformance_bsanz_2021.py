"""What bsanz-2021 means, case by case: for each requirement, just met, just not met, and
cannot be assessed (or why it never is), then readiness.

Each case is one trainee (T1) with a few rows, run through `balint-reports run` with only
bsanz-2021 loaded (by tests/e2e/conformance.py); the Requirements sheet and progress.json
must both say the expected status and count. To add a case, copy one: the comment above it
says which rule it checks, and the ruleset file quotes the text each rule encodes.
`balint-reports rules explain bsanz-2021` prints the rules these cases check. The report date
is 30 November 2026.

The leaders: L1 is an accredited Leader Trainer; L2 is accredited and experienced in
supervision but not a Leader Trainer (enough under uk-2019, not here); L3 is a Leader Trainer
the register does not record as accredited.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from .conformance import Case, check_case, check_overall, run_case
from .rules_inbox import att, decide, run_rules, sup

LEADERS = [
    ["leader_id", "name", "accredited", "supervision_experience", "Leader trainer"],
    ["L1", "Ann Trainer", "yes", "yes", "yes"],
    ["L2", "Bob Accredited", "yes", "yes", "no"],
    ["L3", "Cat Unaccredited", "no", "yes", "yes"],
]
REGISTERED_2024 = {"registered": dt.date(2024, 1, 1)}  # two pathway years completed
ALL_DONE = {
    **REGISTERED_2024,
    "feels_ready": "yes",
    "reference_received": dt.date(2026, 10, 1),
}


def monthly(year: int, count: int, supervisor: str = "L1", **fields: object) -> list[dict]:
    """`count` supervision sessions, one on the 10th of each month from January of `year`."""
    return [sup(dt.date(year, m, 10), supervisor, **fields) for m in range(1, count + 1)]


def report(day: dt.date, supervisor: str = "L1") -> dict:
    """A supervision session at which the supervisor gave a six-monthly report."""
    return sup(day, supervisor, **{"Six-monthly report": "yes"})


def intensive(day: dt.date, name: str, provider: str = "BSANZ") -> dict:
    return att(day, "leadership_weekend", event=name, days=3, **{"Run by": provider})


FOUR_REPORTS = [report(dt.date(y, m, 20)) for y in (2024, 2025) for m in (6, 12)]


CASES = [
    # --- case_discussions: 30 cases discussed in groups led or co-led during the course ------
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
    # "during the course": groups led before registering (31 December 2023) do not count.
    pytest.param(
        Case(
            "case_discussions",
            REGISTERED_2024,
            "not_met",
            20,
            30,
            [
                att(dt.date(2023, 12, 31), "leader", cases=10),
                att(dt.date(2024, 1, 1), "leader", cases=20),
            ],
        ),
        id="cases-before-registering-do-not-count",
    ),
    # Without a registered date there is no cut (docs/rulesets.md): never "cannot be assessed".
    pytest.param(
        Case("case_discussions", {}, "not_met", 0, 30),
        id="cases-never-cannot-assess",
    ),
    # --- leading_meetings: 20 meetings led or co-led during the course -------------------
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
    # 19 are one short: the meetings before registering do not count.
    pytest.param(
        Case(
            "leading_meetings",
            REGISTERED_2024,
            "not_met",
            19,
            20,
            [
                att(dt.date(2023, 6, 1), "co_leader", sessions=10),
                att(dt.date(2025, 3, 1), "co_leader", sessions=19),
                att(dt.date(2025, 4, 1), "member", sessions=5),
            ],
        ),
        id="meetings-19-just-not-met",
    ),
    pytest.param(
        Case("leading_meetings", {}, "not_met", 0, 20),
        id="meetings-never-cannot-assess",
    ),
    # --- supervision: 10 sessions with an accredited Leader Trainer in each pathway year --
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
    # An accredited, experienced supervisor who is not a Leader Trainer (L2), and a Leader
    # Trainer not recorded as accredited (L3), do not count.
    pytest.param(
        Case(
            "supervision",
            REGISTERED_2024,
            "not_met",
            9,
            10,
            supervision=monthly(2024, 10)
            + monthly(2025, 9)
            + [sup(dt.date(2025, 11, 10), "L2"), sup(dt.date(2025, 11, 11), "L3")],
        ),
        id="supervision-not-a-leader-trainer-does-not-count",
    ),
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
    # --- intensives: two BSANZ intensives, or one BSANZ and one approved international ----
    pytest.param(
        Case(
            "intensives",
            REGISTERED_2024,
            "met",
            2,
            2,
            [
                intensive(dt.date(2024, 5, 4), "Intensive 2024"),
                intensive(dt.date(2025, 5, 3), "Intensive 2025"),
            ],
        ),
        id="intensives-2-bsanz-just-met",
    ),
    # An international intensive without the Committee's approval does not count.
    pytest.param(
        Case(
            "intensives",
            REGISTERED_2024,
            "not_met",
            1,
            2,
            [
                intensive(dt.date(2024, 5, 4), "Intensive 2024"),
                intensive(dt.date(2025, 7, 1), "Oxford leadership weekend", "Balint Society UK"),
                att(dt.date(2025, 2, 1), "leadership_day", event="Training day"),
            ],
        ),
        id="intensives-international-unapproved-just-not-met",
    ),
    # The same international intensive, approved by the Committee: one BSANZ and one approved.
    pytest.param(
        Case(
            "intensives",
            REGISTERED_2024,
            "met",
            2,
            2,
            [
                intensive(dt.date(2024, 5, 4), "Intensive 2024"),
                intensive(dt.date(2025, 7, 1), "Oxford leadership weekend", "Balint Society UK"),
            ],
            decisions=[
                decide("intensives", "approve", "01/05/2025", event="Oxford leadership weekend")
            ],
        ),
        id="intensives-one-bsanz-one-approved-met",
    ),
    pytest.param(
        Case("intensives", {}, "not_met", 0, 2),
        id="intensives-never-cannot-assess",
    ),
    # --- bsanz_intensive: two approved internationals never replace the BSANZ one ---------
    pytest.param(
        Case(
            "bsanz_intensive",
            REGISTERED_2024,
            "not_met",
            0,
            1,
            [intensive(dt.date(2025, 7, 1), "Oxford", "Balint Society UK")],
            decisions=[decide("intensives", "approve", "01/05/2025", event="Oxford")],
        ),
        id="bsanz-intensive-0-just-not-met",
    ),
    pytest.param(
        Case(
            "bsanz_intensive",
            REGISTERED_2024,
            "met",
            1,
            1,
            [intensive(dt.date(2025, 7, 1), "Hobart", "bsanz")],  # capitals aside
        ),
        id="bsanz-intensive-1-just-met",
    ),
    # --- reports: four six-monthly reports during the course, and the final report --------
    pytest.param(
        Case(
            "reports",
            {**REGISTERED_2024, "reference_received": dt.date(2026, 10, 1)},
            "met",
            4,
            4,
            supervision=FOUR_REPORTS,
        ),
        id="reports-4-and-final-just-met",
    ),
    # Three reports on the pathway (one before registering does not count).
    pytest.param(
        Case(
            "reports",
            {**REGISTERED_2024, "reference_received": dt.date(2026, 10, 1)},
            "not_met",
            3,
            4,
            supervision=[report(dt.date(2023, 12, 1)), *FOUR_REPORTS[1:]],
        ),
        id="reports-3-just-not-met",
    ),
    # Four reports but no final report received: not met.
    pytest.param(
        Case("reports", REGISTERED_2024, "not_met", 4, 4, supervision=FOUR_REPORTS),
        id="reports-no-final-report-not-met",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_bsanz_2021_requirement(tmp_path: Path, case: Case) -> None:
    check_case(tmp_path, case, "bsanz-2021", leaders=LEADERS)


# --- ready: every requirement met, two years on, feels ready, the final report received ----

EVERYTHING = {
    "attendance": [
        att(dt.date(2024, 3, 1), "co_leader", sessions=20, cases=30),
        intensive(dt.date(2024, 5, 4), "Intensive 2024"),
        intensive(dt.date(2025, 5, 3), "Intensive 2025"),
    ],
    "supervision": monthly(2024, 10) + monthly(2025, 10) + FOUR_REPORTS,
}

# Registered 1 December 2024, everything else done during the course by 30 November 2026.
RECENT = {
    "attendance": [
        att(dt.date(2025, 1, 10), "co_leader", sessions=20, cases=30),
        intensive(dt.date(2025, 5, 4), "Intensive 2025"),
        intensive(dt.date(2026, 5, 3), "Intensive 2026"),
    ],
    "supervision": monthly(2025, 10)
    + [report(dt.date(y, m, 20)) for y, m in ((2025, 1), (2025, 6), (2025, 12), (2026, 6))],
}

READY_CASES = [
    # No need to share or forward the report, unlike the UK: received is enough.
    pytest.param(
        ALL_DONE, "ready", "You have met every requirement", EVERYTHING, id="ready-just-met"
    ),
    pytest.param(
        {**ALL_DONE, "feels_ready": ""},
        "in_progress",
        "When you feel ready to apply for accreditation, let the Accreditation Committee know.",
        EVERYTHING,
        id="not-feeling-ready",
    ),
    # 23 months on the pathway by the report date: not yet, whatever else is done.
    pytest.param(
        {**ALL_DONE, "registered": dt.date(2024, 12, 1)},
        "in_progress",
        "The pathway runs for at least two years from your registration on 1 December 2024",
        RECENT,
        id="under-two-years",
    ),
    pytest.param({**ALL_DONE, "registered": ""}, "needs_data", "", EVERYTHING, id="needs-data"),
]


@pytest.mark.parametrize(("register", "overall", "step", "rows"), READY_CASES)
def test_bsanz_2021_ready(
    tmp_path: Path, register: dict, overall: str, step: str, rows: dict
) -> None:
    out = run_case(tmp_path, "bsanz-2021", register, rows, LEADERS)
    # every requirement is met: only readiness's own steps remain
    assert {r["status"] for r in out.progress["requirements"].values()} <= (
        {"met"} if overall != "needs_data" else {"met", "cannot_assess"}
    )
    check_overall(out, overall)
    assert out.progress["next_step"].startswith(step)


def test_a_bsanz_letter_speaks_of_the_committee_and_intensives(tmp_path: Path) -> None:
    out = run_rules(tmp_path, ALL_DONE, **EVERYTHING, rules=["bsanz-2021"], leaders=LEADERS)
    assert "as recorded by the Accreditation Committee on 30 November 2026" in out.letter
    assert "4 May 2024: intensive, Intensive 2024" in out.letter
    assert "leadership team" not in out.letter
    assert "Assessed under: Balint Society of Australia and New Zealand" in out.letter


DESIRABLE = [
    # Co-led 5 sessions, none with an accredited leader: the desirable 20 are advised.
    pytest.param(
        [att(dt.date(2025, 3, 1), "co_leader", sessions=5, co_leader="Tom Other")],
        [],
        "little_coleading_with_accredited",
        True,
        id="coleading-with-accredited-advised",
    ),
    pytest.param(
        [att(dt.date(2025, 3, 1), "co_leader", sessions=20, co_leader="Ann Trainer")],
        [],
        "little_coleading_with_accredited",
        False,
        id="coleading-with-accredited-20-not-advised",
    ),
    # Supervision in year one, but never in a group: a supervision group is advised.
    pytest.param(
        [],
        [sup(dt.date(2024, 3, 1), "L1", trainees_present=1)],
        "no_supervision_group_year_one",
        True,
        id="supervision-group-advised",
    ),
    pytest.param(
        [],
        [sup(dt.date(2024, 3, 1), "L1", trainees_present=3)],
        "no_supervision_group_year_one",
        False,
        id="supervision-group-in-year-one-not-advised",
    ),
    # One face-to-face session of three: less than half.
    pytest.param(
        [],
        [
            sup(dt.date(2024, 3, 1), "L1", mode="zoom"),
            sup(dt.date(2024, 4, 1), "L1", mode="zoom"),
            sup(dt.date(2024, 5, 1), "L1", mode="in person"),
        ],
        "supervision_mostly_remote",
        True,
        id="face-to-face-under-half-advised",
    ),
    pytest.param(
        [],
        [
            sup(dt.date(2024, 3, 1), "L1", mode="zoom"),
            sup(dt.date(2024, 5, 1), "L1", mode="in person"),
        ],
        "supervision_mostly_remote",
        False,
        id="face-to-face-half-not-advised",
    ),
]


@pytest.mark.parametrize(("attendance", "supervision", "code", "given"), DESIRABLE)
def test_bsanz_2021_desirable_items_are_advice(
    tmp_path: Path, attendance: list, supervision: list, code: str, given: bool
) -> None:
    out = run_rules(
        tmp_path,
        REGISTERED_2024,
        attendance=attendance,
        supervision=supervision,
        rules=["bsanz-2021"],
        leaders=LEADERS,
    )
    assert (code in out.advice()) is given


def test_supervision_with_someone_outside_the_tier_is_a_reason_inside_the_requirement(
    tmp_path: Path,
) -> None:
    """Sessions with a leader who is not an accredited Leader Trainer do not count, and the
    letter says why, inside the requirement (SPEC r2), by what the register does not record of
    them. The register's supervisor, L1, gave none of them: their digest leaves the others'
    standing to the team."""
    out = run_rules(
        tmp_path,
        {**REGISTERED_2024, "supervisor": "L1"},
        supervision=[*monthly(2024, 3, "L2"), *monthly(2025, 2, "L3")],
        rules=["bsanz-2021"],
        leaders=LEADERS,
    )
    letter = " ".join(out.letter.split())
    assert (
        "3 sessions (3 hours) with Bob Accredited do not count: Bob Accredited is not recorded "
        "as a Leader trainer. If that has changed, please let us know." in letter
    )
    assert (
        "2 sessions (2 hours) with Cat Unaccredited do not count: Cat Unaccredited is not "
        "recorded as an accredited Balint leader." in letter
    )
    digest = (tmp_path / "out" / "2026-11" / "digests" / "L1.txt").read_text(encoding="utf-8")
    assert "Bob Accredited" not in digest and "Cat Unaccredited" not in digest
