"""What uk-2023-example means, case by case: for each requirement, just met, just not met, and
cannot be assessed (or why it never is), then readiness and its one advice written as data.

uk-2023-example is a FICTIONAL later UK ruleset (its numbers are made up, to show versioning);
these cases pin what its file says, not what the Society asks. Each case is one trainee (T1)
with a few rows, run through `balint-reports run` with only uk-2023-example loaded (by
tests/e2e/conformance.py); the Requirements sheet and progress.json must both say the expected
status and count. To add a case, copy one: the comment above it says which rule it checks.
`balint-reports rules explain uk-2023-example` prints the rules these cases check. The report
date is 30 November 2026.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from .conformance import Case, check_case, check_overall, run_case
from .rules_inbox import att, comp, sup

RULESET = "uk-2023-example"
PSY = {"psychodynamic_training": "yes", "professional_training_from": dt.date(2025, 3, 10)}
NO_PSY = {"psychodynamic_training": "no"}
# Five years from this registration end on 31 May 2026, before the report date.
REGISTERED_2021 = {**NO_PSY, "registered": dt.date(2021, 6, 1)}
RECEIVED = {**NO_PSY, "reference_received": dt.date(2026, 10, 1)}
ALL_DONE = {
    **RECEIVED,
    "reference_requested": dt.date(2026, 9, 1),
    "feels_ready": "yes",
    "reference_shared": dt.date(2026, 10, 2),
    "reference_forwarded": dt.date(2026, 10, 3),
}


def march(day: int) -> dt.date:
    """A day in March 2025, well before the report date."""
    return dt.date(2025, 3, day)


def held(day: dt.date, activity: str, sessions: int, how: str) -> dict:
    """Group sessions held face to face ("face to face") or online ("online"), or blank ("")."""
    return att(day, activity, sessions=sessions, format=how)


CASES = [
    # --- membership: 10 member sessions from professional training, or 2 weekends (with
    # psychodynamic training); 24 member sessions (without) -------------------------------
    # With psychodynamic training, 10 member sessions on or after professional training began
    # (10 March 2025) are enough; the first is on that very day.
    pytest.param(
        Case("membership", PSY, "met", 10, 10, [att(march(d), "member") for d in range(10, 20)]),
        id="membership-psy-10-sessions-just-met",
    ),
    # A session the day before professional training began does not count: 9 of 10.
    pytest.param(
        Case(
            "membership",
            PSY,
            "not_met",
            9,
            10,
            [att(march(9), "member")] + [att(march(d), "member") for d in range(10, 19)],
        ),
        id="membership-psy-9-sessions-just-not-met",
    ),
    # With psychodynamic training, two Balint Society weekends as a member are the other way
    # in, whatever their date.
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
    # One weekend logged a row per day is one weekend, not two: 1 of 2 on that route, and the
    # 2 member sessions it carries are further along neither.
    pytest.param(
        Case(
            "membership",
            PSY,
            "not_met",
            1,
            2,
            [
                att(dt.date(2024, 3, 1), "weekend_member", event="Spring weekend 2024"),
                att(dt.date(2024, 3, 2), "weekend_member", event="Spring weekend 2024"),
            ],
            route="Balint Society weekends as an ordinary group member",
        ),
        id="membership-psy-one-weekend-over-two-days-just-not-met",
    ),
    # Without psychodynamic training, 24 member sessions: weekend group sessions count too.
    pytest.param(
        Case(
            "membership",
            NO_PSY,
            "met",
            24,
            24,
            [att(march(1), "member", sessions=18), att(march(8), "weekend_member", sessions=6)],
        ),
        id="membership-24-sessions-just-met",
    ),
    # 23 are one short; co-led sessions are not membership.
    pytest.param(
        Case(
            "membership",
            NO_PSY,
            "not_met",
            23,
            24,
            [att(march(1), "member", sessions=23), att(march(2), "co_leader", sessions=5)],
        ),
        id="membership-23-sessions-just-not-met",
    ),
    # Blank psychodynamic training with 12 member sessions: enough with the training (10), not
    # without it (24), so membership cannot be assessed until the register says which.
    pytest.param(
        Case(
            "membership",
            {"psychodynamic_training": ""},
            "cannot_assess",
            None,
            None,
            [att(march(1), "member", sessions=12)],
        ),
        id="membership-psychodynamic-blank-cannot-assess",
    ),
    # Blank, but 24 sessions from the start of professional training: met whatever the answer,
    # shown with the numbers of the answer no.
    pytest.param(
        Case(
            "membership",
            {**PSY, "psychodynamic_training": ""},
            "met",
            24,
            24,
            [att(march(10), "member", sessions=24)],
        ),
        id="membership-psychodynamic-blank-met-whatever-the-answer",
    ),
    # --- co_leading: 24 co-led sessions within five years of registering ------------------
    # Registered 1 June 2021: a session on 31 May 2026 is within the five years.
    pytest.param(
        Case(
            "co_leading",
            REGISTERED_2021,
            "met",
            24,
            24,
            [
                att(dt.date(2021, 6, 1), "co_leader", sessions=23),
                att(dt.date(2026, 5, 31), "co_leader"),
            ],
        ),
        id="co-leading-24-within-five-years-just-met",
    ),
    # On 1 June 2026 the five years are over, and a session before registering is not yet
    # on the pathway: 23 of 24.
    pytest.param(
        Case(
            "co_leading",
            REGISTERED_2021,
            "not_met",
            23,
            24,
            [
                att(dt.date(2021, 5, 31), "co_leader"),
                att(dt.date(2021, 6, 1), "co_leader", sessions=23),
                att(dt.date(2026, 6, 1), "co_leader"),
                att(dt.date(2022, 1, 1), "leader", sessions=5),
            ],
        ),
        id="co-leading-outside-five-years-just-not-met",
    ),
    # Without a registered date there is no cut (docs/rulesets.md): every co-led session
    # counts, and co-leading is never "cannot be assessed".
    pytest.param(
        Case(
            "co_leading",
            NO_PSY,
            "met",
            24,
            24,
            [
                att(dt.date(2015, 1, 1), "co_leader", sessions=12),
                att(march(1), "co_leader", sessions=12),
            ],
        ),
        id="co-leading-registered-blank-no-cut",
    ),
    # --- leadership_training: 3 leadership weekends or training days ----------------------
    # Two weekends and a training day are three events.
    pytest.param(
        Case(
            "leadership_training",
            NO_PSY,
            "met",
            3,
            3,
            [
                att(march(1), "leadership_weekend", event="Leadership weekend 2025"),
                att(march(20), "leadership_day", event="Leadership day"),
                att(dt.date(2025, 9, 6), "leadership_weekend", event="Leadership weekend 2025"),
            ],
        ),
        id="leadership-3-events-just-met",
    ),
    # Two rows of one weekend (its two days) are one event: 2 of 3.
    pytest.param(
        Case(
            "leadership_training",
            NO_PSY,
            "not_met",
            2,
            3,
            [
                att(march(1), "leadership_weekend", event="Leadership weekend 2025"),
                att(march(2), "leadership_weekend", event="Leadership weekend 2025"),
                att(march(20), "leadership_day", event="Leadership day"),
            ],
        ),
        id="leadership-2-events-just-not-met",
    ),
    pytest.param(
        Case("leadership_training", {}, "not_met", 0, 3),
        id="leadership-never-cannot-assess",
    ),
    # --- face_to_face: at least half of the group sessions held face to face --------------
    # 10 of 20 group sessions (as member, co-leader or leader) face to face: exactly half.
    pytest.param(
        Case(
            "face_to_face",
            NO_PSY,
            "met",
            0.5,
            0.5,
            [
                held(march(1), "member", 6, "face to face"),
                held(march(2), "co_leader", 4, "in person"),
                held(march(3), "leader", 10, "online"),
            ],
        ),
        id="face-to-face-half-just-met",
    ),
    # 9 of 20: a blank format counts as not face to face, and leadership training days are
    # not group sessions.
    pytest.param(
        Case(
            "face_to_face",
            NO_PSY,
            "not_met",
            0.45,
            0.5,
            [
                held(march(1), "member", 9, "face to face"),
                held(march(2), "co_leader", 10, "online"),
                held(march(3), "leader", 1, ""),
                held(march(4), "leadership_day", 6, "face to face"),
            ],
        ),
        id="face-to-face-under-half-just-not-met",
    ),
    # No group sessions at all: a share of nothing is 0, not met, never "cannot be assessed".
    pytest.param(
        Case("face_to_face", {}, "not_met", 0, 0.5),
        id="face-to-face-never-cannot-assess",
    ),
    # --- portfolio: all 5 competencies signed off ----------------------------------------
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
    # One competency signed off twice does not make up for a missing one: 4 of 5.
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
    pytest.param(
        Case("portfolio", {}, "not_met", 0, 5),
        id="portfolio-never-cannot-assess",
    ),
    # --- supervision: 6 sessions with an accredited, experienced supervisor, and the
    # supervisor's report received -------------------------------------------------------
    pytest.param(
        Case(
            "supervision",
            RECEIVED,
            "met",
            6,
            6,
            supervision=[sup(march(d), "L1") for d in range(1, 7)],
        ),
        id="supervision-6-sessions-and-report-just-met",
    ),
    # 5 with L1; sessions with L2 (accredited, not experienced) and L3 (experienced, not
    # accredited) do not count, even with the report received.
    pytest.param(
        Case(
            "supervision",
            RECEIVED,
            "not_met",
            5,
            6,
            supervision=[sup(march(d), "L1") for d in range(1, 6)]
            + [sup(march(10), "L2"), sup(march(11), "L3")],
        ),
        id="supervision-5-eligible-sessions-just-not-met",
    ),
    # Six sessions, but the report has not been received: not met.
    pytest.param(
        Case(
            "supervision",
            NO_PSY,
            "not_met",
            6,
            6,
            supervision=[sup(march(d), "L1") for d in range(1, 7)],
        ),
        id="supervision-no-report-just-not-met",
    ),
    # A blank report date means "not received", not "unknown": never "cannot be assessed".
    pytest.param(
        Case("supervision", {}, "not_met", 0, 6),
        id="supervision-never-cannot-assess",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_uk_2023_example_requirement(tmp_path: Path, case: Case) -> None:
    check_case(tmp_path, case, RULESET)


# --- ready: as uk-2019's rule (the file has no [readiness]): every requirement met, feels
# ready, and the reference shared and forwarded ---------------------------------------------

EVERYTHING = {
    "attendance": [
        held(march(1), "member", 24, "face to face"),
        held(march(2), "co_leader", 24, "online"),
        att(march(3), "leadership_weekend", event="Leadership weekend 2025"),
        att(march(20), "leadership_day", event="Leadership day"),
        att(dt.date(2025, 9, 6), "leadership_weekend", event="Leadership weekend 2025"),
    ],
    "supervision": [sup(march(d), "L1") for d in range(1, 7)],
    "portfolio": [comp(n) for n in range(1, 6)],
}

READY_CASES = [
    pytest.param(ALL_DONE, "ready", "", id="ready-just-met"),
    # The reference is shared, not yet forwarded to the team.
    pytest.param(
        {**ALL_DONE, "reference_forwarded": ""},
        "in_progress",
        "Ask your supervisor to forward their reference to the leadership team.",
        id="not-forwarded",
    ),
    pytest.param(
        {**ALL_DONE, "feels_ready": ""},
        "in_progress",
        "When you feel ready to apply for accreditation, let the leadership team know.",
        id="not-feeling-ready",
    ),
    # Psychodynamic training blank and the member sessions all before professional training
    # began: 24 sessions meet the route without the training, none count with it.
    pytest.param(
        {
            **ALL_DONE,
            "psychodynamic_training": "",
            "professional_training_from": dt.date(2026, 1, 1),
        },
        "needs_data",
        "We are missing some information",
        id="needs-data",
    ),
]


@pytest.mark.parametrize(("register", "overall", "step"), READY_CASES)
def test_uk_2023_example_ready(tmp_path: Path, register: dict, overall: str, step: str) -> None:
    out = run_case(tmp_path, RULESET, register, EVERYTHING)
    check_overall(out, overall)
    assert out.progress["next_step"].startswith(step)


# --- advice written as data: under three hours of supervision, once there is some ---------

LITTLE_TIME = [
    # 2.5 hours over two sessions: under three.
    pytest.param([sup(march(1), hours=1.5), sup(march(2), hours=1)], True, id="2.5-hours-advised"),
    # Exactly three hours is not under three.
    pytest.param(
        [sup(march(1), hours=1.5), sup(march(2), hours=1.5)], False, id="3-hours-not-advised"
    ),
    # No supervision at all: the other condition (at least one session) does not hold.
    pytest.param([], False, id="no-supervision-not-advised"),
]


@pytest.mark.parametrize(("supervision", "given"), LITTLE_TIME)
def test_uk_2023_example_little_supervision_time(
    tmp_path: Path, supervision: list, given: bool
) -> None:
    out = run_case(tmp_path, RULESET, NO_PSY, {"supervision": supervision})
    assert ("little_supervision_time" in out.advice()) is given
