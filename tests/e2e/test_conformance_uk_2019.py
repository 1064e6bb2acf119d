"""What uk-2019 means, case by case: for each requirement, just met, just not met, and
cannot be assessed (or why it never is).

Each case is one trainee (T1) with a few rows, run through `balint-reports run` under
uk-2019 (by tests/e2e/conformance.py); the Requirements sheet and progress.json must both say
the expected status and count. To add a case, copy one: the comment above it says which rule
it checks. `balint-reports rules explain uk-2019` prints the rules these cases check.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from .conformance import Case, check_case, check_overall, run_case
from .rules_inbox import att, comp, sup

PSY = {"psychodynamic_training": "yes", "professional_training_from": dt.date(2025, 3, 10)}
NO_PSY = {"psychodynamic_training": "no"}
ALL_DONE = {
    **NO_PSY,
    "reference_received": dt.date(2026, 10, 1),
    "feels_ready": "yes",
    "reference_shared": dt.date(2026, 10, 2),
    "reference_forwarded": dt.date(2026, 10, 3),
}


def march(day: int) -> dt.date:
    """A day in March 2025, well before the report date (30 November 2026)."""
    return dt.date(2025, 3, day)


CASES = [
    # --- membership: 8 member sessions from professional training, or 2 weekends (with
    # psychodynamic training); 20 member sessions (without) -------------------------------
    # With psychodynamic training, 8 member sessions on or after professional training
    # began (10 March) are enough; the first is on that very day.
    pytest.param(
        Case("membership", PSY, "met", 8, 8, [att(march(d), "member") for d in range(10, 18)]),
        id="membership-psy-8-sessions-just-met",
    ),
    # A session the day before professional training began does not count: 7 of 8.
    pytest.param(
        Case(
            "membership",
            PSY,
            "not_met",
            7,
            8,
            [att(march(9), "member")] + [att(march(d), "member") for d in range(10, 17)],
        ),
        id="membership-psy-7-sessions-just-not-met",
    ),
    # With psychodynamic training, two different Balint Society weekends as a member are
    # the other way in, whatever their date: 2 of 2 on the route the letter shows.
    pytest.param(
        Case(
            "membership",
            PSY,
            "met",
            2,
            2,
            [
                att(dt.date(2024, 3, 1), "weekend_member", event="Spring weekend 2024"),
                att(dt.date(2024, 9, 1), "weekend_member", event="Autumn weekend 2024"),
            ],
            route="Balint Society weekends as an ordinary group member",
        ),
        id="membership-psy-2-weekends-just-met",
    ),
    # Without psychodynamic training, 20 member sessions: weekend group sessions count too.
    pytest.param(
        Case(
            "membership",
            NO_PSY,
            "met",
            20,
            20,
            [att(march(1), "member", sessions=14), att(march(8), "weekend_member", sessions=6)],
        ),
        id="membership-20-sessions-just-met",
    ),
    # 19 sessions are one short; co-led sessions are not membership.
    pytest.param(
        Case(
            "membership",
            NO_PSY,
            "not_met",
            19,
            20,
            [att(march(1), "member", sessions=19), att(march(2), "co_leader", sessions=5)],
        ),
        id="membership-19-sessions-just-not-met",
    ),
    # Blank psychodynamic training with 10 member sessions: enough with the training (8),
    # not without it (20), so membership cannot be assessed until the register says which.
    pytest.param(
        Case(
            "membership",
            {"psychodynamic_training": ""},
            "cannot_assess",
            None,
            None,
            [att(march(1), "member", sessions=10)],
        ),
        id="membership-psychodynamic-blank-cannot-assess",
    ),
    # --- co_leading: 20 co-led sessions ----------------------------------------------------
    # Sessions add up across rows: 12 + 8 co-led sessions.
    pytest.param(
        Case(
            "co_leading",
            NO_PSY,
            "met",
            20,
            20,
            [att(march(1), "co_leader", sessions=12), att(march(2), "co_leader", sessions=8)],
        ),
        id="co-leading-20-just-met",
    ),
    # 19 co-led sessions are one short; leading alone does not count as co-leading.
    pytest.param(
        Case(
            "co_leading",
            NO_PSY,
            "not_met",
            19,
            20,
            [att(march(1), "co_leader", sessions=19), att(march(2), "leader", sessions=5)],
        ),
        id="co-leading-19-just-not-met",
    ),
    # Co-leading depends on no register field: with everything blank it is never "cannot
    # be assessed", just not met.
    pytest.param(
        Case("co_leading", {}, "not_met", 0, 20),
        id="co-leading-never-cannot-assess",
    ),
    # --- leadership_training: 2 leadership weekends or training days --------------------
    # One weekend and one training day are two events.
    pytest.param(
        Case(
            "leadership_training",
            NO_PSY,
            "met",
            2,
            2,
            [
                att(march(1), "leadership_weekend", event="Leadership weekend 2025"),
                att(march(20), "leadership_day", event="Leadership day"),
            ],
        ),
        id="leadership-2-events-just-met",
    ),
    # Two rows of the same weekend (its two days) are one event.
    pytest.param(
        Case(
            "leadership_training",
            NO_PSY,
            "not_met",
            1,
            2,
            [
                att(march(1), "leadership_weekend", event="Leadership weekend 2025"),
                att(march(2), "leadership_weekend", event="Leadership weekend 2025"),
            ],
        ),
        id="leadership-same-weekend-twice-just-not-met",
    ),
    # Leadership training depends on no register field: never "cannot be assessed".
    pytest.param(
        Case("leadership_training", {}, "not_met", 0, 2),
        id="leadership-never-cannot-assess",
    ),
    # --- portfolio: all 5 competencies signed off -------------------------------------------
    # Competencies may be named by number, id or title.
    pytest.param(
        Case(
            "portfolio",
            NO_PSY,
            "met",
            5,
            5,
            portfolio=[comp(1), comp("relationship_focus"), comp(3), comp(4), comp(5)],
        ),
        id="portfolio-5-just-met",
    ),
    # Signing off one competency twice does not make up for a missing one: 4 of 5.
    pytest.param(
        Case(
            "portfolio",
            NO_PSY,
            "not_met",
            4,
            5,
            portfolio=[comp(1), comp(1, "01/07/2025"), comp(2), comp(3), comp(4)],
        ),
        id="portfolio-4-just-not-met",
    ),
    # The portfolio depends on no register field: never "cannot be assessed".
    pytest.param(
        Case("portfolio", {}, "not_met", 0, 5),
        id="portfolio-never-cannot-assess",
    ),
    # --- supervision: 1 session with an accredited, experienced supervisor, and the
    # supervisor's report received ---------------------------------------------------------
    # One session with L1 (accredited and experienced) and the report received.
    pytest.param(
        Case(
            "supervision",
            {**NO_PSY, "reference_received": dt.date(2026, 10, 1)},
            "met",
            1,
            1,
            supervision=[sup(march(1), "L1")],
        ),
        id="supervision-1-session-and-report-just-met",
    ),
    # The session counts, but the report has not been received: not met.
    pytest.param(
        Case("supervision", NO_PSY, "not_met", 1, 1, supervision=[sup(march(1), "L1")]),
        id="supervision-no-report-just-not-met",
    ),
    # Supervisors who are accredited but not experienced (L2), or experienced but not
    # accredited (L3), do not count, even with the report received.
    pytest.param(
        Case(
            "supervision",
            {**NO_PSY, "reference_received": dt.date(2026, 10, 1)},
            "not_met",
            0,
            1,
            supervision=[sup(march(1), "L2"), sup(march(2), "L3")],
        ),
        id="supervision-ineligible-supervisors-just-not-met",
    ),
    # A blank report date means "not received", not "unknown": never "cannot be assessed".
    pytest.param(
        Case("supervision", {}, "not_met", 1, 1, supervision=[sup(march(1), "L1")]),
        id="supervision-never-cannot-assess",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_uk_2019_requirement(tmp_path: Path, case: Case) -> None:
    check_case(tmp_path, case, "uk-2019")


# --- ready: every requirement met, feels ready, and the reference shared and forwarded -----

EVERYTHING = {
    "attendance": [
        att(march(1), "member", sessions=20),
        att(march(2), "co_leader", sessions=20),
        att(march(3), "leadership_weekend", event="Leadership weekend 2025"),
        att(march(20), "leadership_day", event="Leadership day"),
    ],
    "supervision": [sup(march(4), "L1")],
    "portfolio": [comp(n) for n in range(1, 6)],
}

READY_CASES = [
    # Everything met, feels ready, reference shared and forwarded: ready.
    pytest.param(ALL_DONE, "ready", id="ready-just-met"),
    # The same, but the reference has not been forwarded to the team yet.
    pytest.param({**ALL_DONE, "reference_forwarded": ""}, "in_progress", id="not-forwarded"),
    # The same, but the trainee has not said they feel ready.
    pytest.param({**ALL_DONE, "feels_ready": ""}, "in_progress", id="not-feeling-ready"),
    # Psychodynamic training blank, and the member sessions all before professional
    # training began: met without the training, not with it, so data is needed.
    pytest.param(
        {
            **ALL_DONE,
            "psychodynamic_training": "",
            "professional_training_from": dt.date(2026, 1, 1),
        },
        "needs_data",
        id="needs-data",
    ),
]


@pytest.mark.parametrize(("register", "overall"), READY_CASES)
def test_uk_2019_ready(tmp_path: Path, register: dict, overall: str) -> None:
    check_overall(run_case(tmp_path, "uk-2019", register, EVERYTHING), overall)
