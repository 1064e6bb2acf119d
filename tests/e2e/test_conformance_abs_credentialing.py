"""What abs-credentialing means, case by case: for each requirement, just met, just not met,
and cannot be assessed (or why it never is), then readiness and the letter's words.

Each case is one trainee (T1) with a few rows, run through `balint-reports run` with only
abs-credentialing loaded (by tests/e2e/conformance.py); the Requirements sheet and
progress.json must both say the expected status and count. To add a case, copy one: the
comment above it says which rule it checks, and the ruleset file quotes the text each rule
encodes. `balint-reports rules explain
abs-credentialing` prints the rules these cases check. The report date is 30 November 2026,
so "the last 24 months" are December 2024 to November 2026.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from .conformance import Case, check_case, check_overall, run_case
from .rules_inbox import att, sup

REGISTERED_2024 = {"registered": dt.date(2024, 1, 1)}  # two pathway years completed
MONTHS = [(2024, 12)] + [(2025, m) for m in range(1, 13)] + [(2026, m) for m in range(1, 12)]


def led_monthly(skip: tuple[int, int] | None = None) -> list[dict]:
    """One co-led session in each of the last 24 months, but `skip`."""
    return [att(dt.date(y, m, 15), "co_leader") for y, m in MONTHS if (y, m) != skip]


def recorded(year: int, count: int, value: str = "yes") -> list[dict]:
    return [sup(dt.date(year, m, 10), "L1", Recorded=value) for m in range(1, count + 1)]


def intensive(day: dt.date, name: str, days: int = 4) -> dict:
    return att(day, "leadership_weekend", event=name, days=days)


THREE = [
    intensive(dt.date(2024, 3, 1), "Spring 2024"),
    intensive(dt.date(2025, 3, 1), "Spring 2025"),
    intensive(dt.date(2026, 3, 1), "Credentialing intensive 2026"),
]


CASES = [
    # --- leading: at least one session led or co-led in each of the last 24 months ---------
    pytest.param(Case("leading", {}, "met", 1, 1, led_monthly()), id="leading-monthly-met"),
    # One month without a session is a gap, whatever the other months hold.
    pytest.param(
        Case(
            "leading",
            {},
            "not_met",
            0,
            1,
            led_monthly(skip=(2025, 8)) + [att(dt.date(2025, 9, 20), "leader", sessions=4)],
        ),
        id="leading-one-month-missing-not-met",
    ),
    # Sessions as a member are not leading.
    pytest.param(
        Case("leading", {}, "not_met", 0, 1, [att(dt.date(y, m, 15), "member") for y, m in MONTHS]),
        id="leading-as-member-not-met",
    ),
    # --- supervision: six recorded sessions in each of two completed pathway years ---------
    pytest.param(
        Case(
            "supervision",
            REGISTERED_2024,
            "met",
            6,
            6,
            supervision=recorded(2024, 6) + recorded(2025, 6),
        ),
        id="supervision-6-recorded-each-year-met",
    ),
    # Sessions not marked recorded (or left blank) do not count: five recorded in 2025.
    pytest.param(
        Case(
            "supervision",
            REGISTERED_2024,
            "not_met",
            5,
            6,
            supervision=recorded(2024, 6)
            + recorded(2025, 5)
            + [sup(dt.date(2025, 11, 1), "L1", Recorded="no"), sup(dt.date(2025, 12, 1), "L1")],
        ),
        id="supervision-unrecorded-do-not-count",
    ),
    # Twelve in the first year and none yet since: two years are needed, not twelve at once.
    pytest.param(
        Case(
            "supervision",
            {"registered": dt.date(2025, 6, 1)},
            "not_met",
            12,
            6,
            supervision=[sup(dt.date(2025, 6, d), "L1", Recorded="yes") for d in range(1, 13)],
        ),
        id="supervision-one-year-is-not-two",
    ),
    pytest.param(
        Case("supervision", {}, "cannot_assess", None, None, supervision=recorded(2025, 6)),
        id="supervision-registered-blank-cannot-assess",
    ),
    # --- intensives: three of four days or more ---------------------------------------------
    pytest.param(Case("intensives", {}, "met", 3, 3, THREE), id="intensives-3-met"),
    # A three-day event is not a four-day intensive.
    pytest.param(
        Case(
            "intensives",
            {},
            "not_met",
            2,
            3,
            [*THREE[:2], intensive(dt.date(2026, 3, 1), "Weekend", days=3)],
        ),
        id="intensives-3-day-does-not-count",
    ),
    # A four-day intensive logged a row per day is one intensive of four days.
    pytest.param(
        Case(
            "intensives",
            {},
            "not_met",
            1,
            3,
            [
                att(dt.date(2026, 3, d), "leadership_weekend", event="Spring", days=1)
                for d in range(1, 5)
            ],
        ),
        id="intensives-a-row-per-day-is-one",
    ),
    # --- application: approved, with a four-day intensive before it -------------------------
    pytest.param(
        Case(
            "application",
            {"application_approved": dt.date(2024, 6, 1)},
            "met",
            1,
            1,
            THREE,
        ),
        id="application-after-first-intensive-met",
    ),
    # Approved before any intensive: the first must come before applying.
    pytest.param(
        Case(
            "application",
            {"application_approved": dt.date(2024, 2, 1)},
            "not_met",
            0,
            1,
            THREE,
        ),
        id="application-before-any-intensive-not-met",
    ),
    # No approval date: not met, whatever the intensives (the date is needed as well).
    pytest.param(Case("application", {}, "not_met", 3, 1, THREE), id="application-not-approved"),
]


# The register fields of the ruleset's own, as its headings write them in the register.
HEADINGS = {
    "application_approved": "Application approved",
    "fee_paid": "Annual fee paid",
    "evaluated": "Evaluated at credentialing intensive",
}


@pytest.mark.parametrize("case", CASES)
def test_abs_credentialing_requirement(tmp_path: Path, case: Case) -> None:
    check_case(tmp_path, case, "abs-credentialing", headings=HEADINGS)


EVERYTHING = {
    "attendance": [*led_monthly(), *THREE],
    "supervision": recorded(2024, 6) + recorded(2025, 6),
}
ALL_DONE = {
    **REGISTERED_2024,
    "application_approved": dt.date(2024, 6, 1),
    "fee_paid": dt.date(2026, 1, 15),
    "evaluated": "yes",
}

READY_CASES = [
    pytest.param(ALL_DONE, "ready", "the Council can now make its decision", id="ready"),
    pytest.param(
        {**ALL_DONE, "evaluated": "no"},
        "in_progress",
        "Book your credentialing intensive, where you will be evaluated.",
        id="not-yet-evaluated",
    ),
    pytest.param(
        {**ALL_DONE, "fee_paid": ""},
        "in_progress",
        "Pay this year's annual fee.",
        id="fee-not-paid",
    ),
    pytest.param(
        {**ALL_DONE, "application_approved": ""},
        "in_progress",
        "Apply to the credentialing process",
        id="application-not-approved",
    ),
]


@pytest.mark.parametrize(("fields", "overall", "step"), READY_CASES)
def test_abs_credentialing_ready(tmp_path: Path, fields: dict, overall: str, step: str) -> None:
    out = run_case(tmp_path, "abs-credentialing", fields, EVERYTHING, headings=HEADINGS)
    check_overall(out, overall)
    assert step in out.progress["next_step"]


def test_an_abs_letter_and_digest_speak_of_credentialing(tmp_path: Path) -> None:
    fields = {**ALL_DONE, "evaluated": "no", "supervisor": "L1"}
    short = intensive(dt.date(2026, 6, 1), "Short weekend", days=3)
    rows = {**EVERYTHING, "attendance": [*EVERYTHING["attendance"], short]}
    out = run_case(tmp_path, "abs-credentialing", fields, rows, headings=HEADINGS)
    # a three-day event is not among the records counted for the four-day intensives
    assert "Short weekend" not in out.letter
    assert "YOUR PROGRESS TOWARDS CREDENTIALING AS A BALINT GROUP LEADER" in out.letter
    assert "the credentialing pathway, as recorded by the Council on 30 November 2026" in out.letter
    assert "1 March 2026: intensive, Credentialing intensive 2026" in out.letter
    assert "accreditation" not in out.letter.casefold()
    digest = (tmp_path / "out" / "2026-11" / "digests" / "L1.txt").read_text(encoding="utf-8")
    assert "YOUR SUPERVISEES' PROGRESS TOWARDS CREDENTIALING" in digest
    assert "accreditation" not in digest.casefold()
