"""Boundary tests for the rules the contract's revision 2 changed (3.2, 3.3), through the CLI.

Events are runs of dates; a blank psychodynamic answer only blocks when it matters; reference
dates out of order warn; `single_setting` needs a known setting; `signoff_not_by_supervisor`.
Each case builds T1's rows beside its assertion (tests/e2e/rules_inbox.py: L1 is an eligible
supervisor, L2 accredited without supervision experience, L3 experienced but not accredited,
L4 neither) and reads back progress.json and summary.xlsx.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from .rules_inbox import Outcome, att, comp, run_rules, sup
from .test_ruleset_expressiveness import ruleset

NO_PSY = {"psychodynamic_training": "no"}
PSY = {"psychodynamic_training": "yes"}
BLANK = {"psychodynamic_training": ""}


def day(n: int, month: int = 3, year: int = 2025) -> dt.date:
    """A real spreadsheet date (March 2025 unless told)."""
    return dt.date(year, month, n)


def register_warnings(out: Outcome) -> list[tuple[str, str, str]]:
    """(column, value, problem) of each warning on T1's register row (Trainees, row 2)."""
    return [
        (i["column"], i["value"], i["problem"])
        for i in out.document["issues"]
        if i["severity"] == "warning" and i["sheet"] == "Trainees" and i["row"] == 2
    ]


# --- events are runs of dates (3.2) ------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "events"),
    [
        pytest.param(
            # a weekend logged a row per day with no event name is one weekend, not two
            [
                att(day(1), "leadership_weekend", days=1),
                att(day(2), "leadership_weekend", days=1),
            ],
            1,
            id="blank-named-weekend-over-two-days",
        ),
        pytest.param(
            [
                att(day(1), "leadership_day", event="Leaders course"),
                att(day(4), "leadership_day", event="Leaders course"),
            ],
            1,
            id="named-3-days-apart-one-event",
        ),
        pytest.param(
            [
                att(day(1), "leadership_day", event="Leaders course"),
                att(day(5), "leadership_day", event="Leaders course"),
            ],
            2,
            id="named-4-days-apart-two-events",
        ),
        pytest.param(
            # each row at most 3 days after the one before: still one run
            [att(day(n), "leadership_day", event="Leaders course") for n in (1, 4, 7)],
            1,
            id="chain-of-3-day-gaps",
        ),
        pytest.param(
            [
                att(day(1), "leadership_weekend", event="Leadership weekend"),
                att(day(1, year=2026), "leadership_weekend", event="Leadership weekend"),
            ],
            2,
            id="same-name-a-year-later",
        ),
        pytest.param(
            # a weekend and a training day on consecutive dates, both unnamed, are one run of
            # the rows that count towards leadership training
            [att(day(1), "leadership_weekend"), att(day(2), "leadership_day")],
            1,
            id="blank-weekend-and-day-adjacent",
        ),
        pytest.param(
            # two names on the same dates are two events
            [
                att(day(1), "leadership_day", event="Leaders course"),
                att(day(1), "leadership_day", event="Another course"),
            ],
            2,
            id="two-names-same-day",
        ),
    ],
)
def test_leadership_events_are_runs_of_dates(tmp_path: Path, rows: list, events: int) -> None:
    out = run_rules(tmp_path, NO_PSY, attendance=rows)
    assert out.requirement("leadership_training") == (
        "met" if events >= 2 else "not_met",
        events,
        2,
    )


@pytest.mark.parametrize(
    ("rows", "weekends"),
    [
        pytest.param(
            [att(day(1), "weekend_member"), att(day(2), "weekend_member")],
            1,
            id="blank-named-weekend-over-two-days",
        ),
        pytest.param(
            [att(day(1), "weekend_member"), att(day(5), "weekend_member")],
            2,
            id="blank-names-4-days-apart",
        ),
        pytest.param(
            [
                att(day(1), "weekend_member", event="Oxford weekend"),
                att(day(1, year=2026), "weekend_member", event="oxford  WEEKEND"),
            ],
            2,
            id="same-name-a-year-later",
        ),
        pytest.param(
            # another trainee's rows never join T1's run
            [att(day(1), "weekend_member"), att(day(2), "weekend_member", trainee="T2")],
            1,
            id="other-trainee-apart",
        ),
    ],
)
def test_member_weekends_are_runs_of_dates(tmp_path: Path, rows: list, weekends: int) -> None:
    out = run_rules(tmp_path, PSY, attendance=rows)
    detail = out.progress["requirements"]["membership"]["detail"]
    shown = f"{weekends} of 2" if weekends < 2 else f"{weekends}"
    assert f"{shown} Balint Society weekends" in detail
    assert out.progress["requirements"]["membership"]["status"] == (
        "met" if weekends >= 2 else "not_met"
    )


@pytest.mark.parametrize(
    ("rows", "advice"),
    [
        pytest.param(
            # one row per day, each with days = 1: the event has two dates, so two days long
            [
                att(day(1), "leadership_day", days=1, event="Course"),
                att(day(2), "leadership_day", days=1, event="Course"),
            ],
            False,
            id="two-dates-make-two-days",
        ),
        pytest.param(
            [att(day(1), "leadership_day", days=1), att(day(2), "leadership_day", days=1)],
            False,
            id="blank-name-two-dates-make-two-days",
        ),
        pytest.param(
            [att(day(1), "leadership_day", days=1), att(day(5), "leadership_day", days=1)],
            True,
            id="4-days-apart-two-one-day-events",
        ),
        pytest.param(
            # the largest `days` wins over a single date
            [att(day(1), "leadership_day", days=3, event="Course")],
            False,
            id="days-column-larger",
        ),
    ],
)
def test_event_length_is_days_or_dates(tmp_path: Path, rows: list, advice: bool) -> None:
    out = run_rules(tmp_path, NO_PSY, attendance=rows)
    assert ("no_two_day_event" in out.advice()) is advice


# --- a blank psychodynamic answer only blocks when it matters (3.2) ----------------------


@pytest.mark.parametrize(
    ("rows", "status", "achieved", "target"),
    [
        pytest.param(
            [att(day(1), "member", sessions=25)], "met", 25, 20, id="25-sessions-met-both-ways"
        ),
        pytest.param(
            [att(day(1), "member", sessions=20)], "met", 20, 20, id="20-sessions-met-both-ways"
        ),
        pytest.param(
            # 8 or more would do with the training, 20 without: the answer decides
            [att(day(1), "member", sessions=19)],
            "cannot_assess",
            None,
            8,
            id="19-sessions-undecided",
        ),
        pytest.param(
            # not met either way, but whether 8 or 20 are needed is not known
            [att(day(1), "member", sessions=4)],
            "cannot_assess",
            None,
            8,
            id="4-sessions-stays-cannot-assess",
        ),
        pytest.param(
            # two weekends meet the psychodynamic route, 12 + 8 sessions the other one
            [
                att(day(1), "weekend_member", sessions=6, event="Spring"),
                att(day(1, 9), "weekend_member", sessions=6, event="Autumn"),
                att(day(1, 10), "member", sessions=8),
            ],
            "met",
            20,
            20,
            id="both-routes-met",
        ),
        pytest.param(
            # two weekends meet it with the training; 2 sessions do not without it
            [
                att(day(1), "weekend_member", event="Spring"),
                att(day(1, 9), "weekend_member", event="Autumn"),
            ],
            "cannot_assess",
            None,
            8,
            id="weekends-only-undecided",
        ),
        pytest.param([], "cannot_assess", None, 8, id="nothing-yet"),
    ],
)
def test_membership_with_a_blank_answer(
    tmp_path: Path, rows: list, status: str, achieved: object, target: int
) -> None:
    out = run_rules(tmp_path, BLANK, attendance=rows)
    assert out.requirement("membership") == (status, achieved, target)
    detail = out.progress["requirements"]["membership"]["detail"]
    if status == "met":
        # shown with the 20-session numbers, and saying the answer is not known
        of_20 = f"{achieved} of 20 member" if achieved < 20 else f"{achieved} member"
        assert detail.startswith(f"{of_20} sessions in an ongoing group")
        assert achieved < 20 or "(20 needed)" in detail
        assert "met whatever the answer to whether they have psychoanalytic" in detail
        assert out.progress["overall"] != "needs_data"
    else:
        assert detail.startswith("cannot be assessed until we know whether they have")
        assert out.progress["overall"] == "needs_data"


def test_blank_answer_met_both_ways_makes_a_trainee_ready(tmp_path: Path) -> None:
    trainee = {
        **BLANK,
        "feels_ready": "yes",
        "reference_requested": day(1, 9, 2026),
        "reference_received": day(1, 10, 2026),
        "reference_shared": day(2, 10, 2026),
        "reference_forwarded": day(3, 10, 2026),
    }
    rows = [
        att(day(1, 1), "member", sessions=20),
        att(day(1, 2), "co_leader", sessions=20, co_leader="L1", setting="GP scheme"),
        att(day(1, 4), "leadership_weekend", event="Leaders April"),
        att(day(1, 5), "leadership_day", event="Leaders day May"),
    ]
    out = run_rules(tmp_path, trainee, rows, [sup(day(1, 3), "L1")], [comp(n) for n in range(1, 6)])
    assert out.progress["overall"] == "ready"
    assert out.overview["Experience as a Balint group member"] == "Met"


def test_not_met_either_way_with_one_target_is_not_met(tmp_path: Path) -> None:
    # The general rule: the blank answer only chooses between routes with the same target, so
    # it decides neither outcome nor target and the requirement is simply not met.
    rules = ruleset(
        tmp_path,
        """
[[requirements.routes]]
when = { psychodynamic_training = true }
source = "attendance"
count = "sessions"
activities = ["member"]
target = 10
label = "member sessions"

[[requirements.routes]]
when = { psychodynamic_training = false }
source = "attendance"
count = "sessions"
activities = ["member", "weekend_member"]
target = 10
label = "member sessions"
""",
    )
    out = run_rules(tmp_path, BLANK, [att(day(1), "member", sessions=4)], rules=[rules])
    assert out.requirement("r") == ("not_met", 4, 10)
    detail = out.progress["requirements"]["r"]["detail"]
    assert detail.endswith("not met whatever the answer to their registration date")


def test_a_route_with_no_blank_answer_is_unaffected(tmp_path: Path) -> None:
    # With the answer known, only that answer's routes count: 19 without the training is short.
    out = run_rules(tmp_path, NO_PSY, [att(day(1), "member", sessions=19)])
    assert out.requirement("membership") == ("not_met", 19, 20)
    assert "whatever the answer" not in out.progress["requirements"]["membership"]["detail"]


# --- the numbers shown are the route met, else the one furthest along --------------------


@pytest.mark.parametrize(
    ("rows", "shown"),
    [
        pytest.param(
            [
                att(day(1), "member", sessions=3),
                att(day(1, 5), "weekend_member", event="Spring"),
                att(day(1, 9), "weekend_member", event="Autumn"),
            ],
            ("met", 2, 2),
            id="weekends-met",
        ),
        pytest.param(
            # 1 of 2 weekends (50%) is further along than 3 of 8 sessions (37.5%)
            [att(day(1), "member", sessions=2), att(day(1, 5), "weekend_member", event="Spring")],
            ("not_met", 1, 2),
            id="weekends-further-along",
        ),
        pytest.param(
            [att(day(1), "member", sessions=5), att(day(1, 5), "weekend_member", event="Spring")],
            ("not_met", 6, 8),
            id="sessions-further-along",
        ),
    ],
)
def test_shown_route_is_the_met_or_furthest(tmp_path: Path, rows: list, shown: tuple) -> None:
    out = run_rules(tmp_path, PSY, rows)
    # Outcome.requirement checks progress.json and the Requirements sheet show the same
    assert out.requirement("membership") == shown


# --- reference steps in order (3.2) ------------------------------------------------------

ELIGIBLE_SESSION = [sup(day(1, 1, 2026), "L1")]


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        pytest.param(
            {
                "reference_requested": day(1, 9, 2026),
                "reference_received": day(1, 10, 2026),
                "reference_shared": day(1, 10, 2026),
                "reference_forwarded": day(2, 10, 2026),
            },
            [],
            id="in-order-same-day-allowed",
        ),
        pytest.param(
            {"reference_requested": day(1, 9, 2026), "reference_received": day(31, 8, 2026)},
            [
                (
                    "reference_received",
                    "2026-08-31",
                    "the reference was received on 31 August 2026, before it was requested on "
                    "1 September 2026: check both dates in the register (both are used as written)",
                )
            ],
            id="received-before-requested",
        ),
        pytest.param(
            {"reference_received": day(1, 10, 2026), "reference_shared": day(30, 9, 2026)},
            [("reference_shared", "2026-09-30", "before it was received on 1 October 2026")],
            id="shared-before-received",
        ),
        pytest.param(
            {"reference_shared": day(1, 10, 2026), "reference_forwarded": day(30, 9, 2026)},
            [("reference_forwarded", "2026-09-30", "before it was shared with the trainee on")],
            id="forwarded-before-shared",
        ),
        pytest.param(
            # a step left blank is skipped: shared is compared with requested
            {"reference_requested": day(1, 10, 2026), "reference_shared": day(30, 9, 2026)},
            [("reference_shared", "2026-09-30", "before it was requested on 1 October 2026")],
            id="gap-compares-with-nearest-set-step",
        ),
    ],
)
def test_reference_steps_out_of_order_warn(tmp_path: Path, dates: dict, expected: list) -> None:
    out = run_rules(tmp_path, {**NO_PSY, **dates}, supervision=ELIGIBLE_SESSION)
    found = register_warnings(out)
    assert len(found) == len(expected)
    for (column, value, problem), (want_column, want_value, words) in zip(
        found, expected, strict=True
    ):
        assert (column, value) == (want_column, want_value)
        assert words in problem


@pytest.mark.parametrize(
    ("supervision", "received", "words"),
    [
        pytest.param(
            [sup(day(2, 10, 2026), "L1")],
            day(1, 10, 2026),
            "received on 1 October 2026, before the first supervision session with an eligible "
            "supervisor on 2 October 2026",
            id="day-before-first-session",
        ),
        pytest.param([sup(day(1, 10, 2026), "L1")], day(1, 10, 2026), None, id="same-day"),
        pytest.param(
            # the earlier session was with someone who is not eligible: it does not count
            [sup(day(1, 9, 2026), "L2"), sup(day(5, 10, 2026), "L1")],
            day(1, 10, 2026),
            "before the first supervision session with an eligible supervisor on 5 October 2026",
            id="only-ineligible-before",
        ),
        pytest.param(
            [sup(day(1, 9, 2026), "L3")],
            day(1, 10, 2026),
            "no supervision session with an eligible supervisor is recorded",
            id="no-eligible-session-at-all",
        ),
        pytest.param([], None, None, id="nothing-received"),
    ],
)
def test_report_received_before_eligible_supervision_warns(
    tmp_path: Path, supervision: list, received: object, words: str | None
) -> None:
    out = run_rules(tmp_path, {**NO_PSY, "reference_received": received or ""}, [], supervision)
    found = [w for w in register_warnings(out) if w[0] == "reference_received"]
    if words is None:
        assert found == []
    else:
        assert len(found) == 1
        assert found[0][1] == f"{received:%Y-%m-%d}"
        assert words in found[0][2]


def test_out_of_order_dates_are_still_used(tmp_path: Path) -> None:
    # Received before the first eligible session: a warning, and the report still counts.
    out = run_rules(
        tmp_path,
        {**NO_PSY, "reference_received": day(1, 10, 2026)},
        supervision=[sup(day(2, 10, 2026), "L1")],
    )
    assert register_warnings(out)
    assert out.requirement("supervision") == ("met", 1, 1)
    # the column by the register's own heading and letter, as the team finds it
    warning = next(
        r for r in out.book["Data issues"] if r["Column"].startswith("reference_received (")
    )
    assert (warning["Severity"], warning["File"], warning["Sheet"], warning["Row"]) == (
        "Warning",
        "inbox.xlsx",
        "Trainees",
        2,
    )


# --- single_setting needs a known setting (3.3) ------------------------------------------


@pytest.mark.parametrize(
    ("rows", "fires"),
    [
        pytest.param(
            [
                att(day(1), "co_leader", setting="Hospital"),
                att(day(2), "co_leader"),
                att(day(3), "leader"),
            ],
            True,
            id="one-known-setting-plus-blanks",
        ),
        pytest.param([att(day(1), "co_leader"), att(day(2), "co_leader")], False, id="all-blank"),
        pytest.param(
            [
                att(day(1), "co_leader", setting="Hospital"),
                att(day(2), "leader", setting="University"),
                att(day(3), "co_leader"),
            ],
            False,
            id="two-known-settings-plus-blank",
        ),
    ],
)
def test_single_setting_only_on_known_settings(tmp_path: Path, rows: list, fires: bool) -> None:
    out = run_rules(tmp_path, NO_PSY, rows)
    assert ("single_setting" in out.advice()) is fires
    # Blank settings say nothing, so the letter claims no more than the settings recorded.
    assert ("all your leading with a setting recorded has been in one setting" in out.letter) is (
        fires
    )


# --- signoff_not_by_supervisor (3.3) -----------------------------------------------------


@pytest.mark.parametrize(
    ("trainee", "supervision", "signers", "fires"),
    [
        pytest.param({}, [], {1: ["L1"]}, False, id="eligible-supervisor-not-theirs"),
        pytest.param({}, [], {1: ["L2"]}, True, id="accredited-non-supervisor"),
        pytest.param({}, [], {1: ["L3"]}, True, id="non-accredited-stranger"),
        pytest.param({}, [], {1: ["L4"]}, True, id="blank-accreditation-stranger"),
        pytest.param({}, [], {1: [""]}, False, id="blank-signer"),
        pytest.param({}, [], {1: ["Zed Nobody"]}, False, id="unknown-signer"),
        pytest.param({"supervisor": "L3"}, [], {1: ["L3"]}, False, id="register-supervisor"),
        pytest.param({}, [sup(day(1), "L2")], {1: ["L2"]}, False, id="supervisor-in-rows"),
        pytest.param(
            # another trainee's supervisor is still a stranger to T1
            {},
            [sup(day(1), "L3", trainee="T2")],
            {1: ["L3"]},
            True,
            id="someone-elses-supervisor",
        ),
        pytest.param({}, [], {1: ["L2", "L1"]}, False, id="also-signed-by-eligible"),
        pytest.param({}, [], {1: ["L2", ""]}, False, id="also-signed-by-blank"),
        pytest.param({}, [], {1: ["L1"], 2: ["L3"]}, True, id="one-competency-of-two"),
    ],
)
def test_signoff_not_by_supervisor(
    tmp_path: Path, trainee: dict, supervision: list, signers: dict, fires: bool
) -> None:
    portfolio = [
        comp(number, day(i + 1, 6), signed_off_by=signer)
        for number, names in signers.items()
        for i, signer in enumerate(names)
    ]
    out = run_rules(tmp_path, {**NO_PSY, **trainee}, [], supervision, portfolio)
    assert ("signoff_not_by_supervisor" in out.advice()) is fires
    if fires:
        message = next(
            a["Message"]
            for a in out.book["Advisories"]
            if a["Advice"] == "Sign-off not by supervisor"
        )
        # the ruleset's message, told to the team of the trainee
        assert message.startswith("Some of their competencies have been signed off only by")
        assert message.endswith(
            "ask them to review those competencies with them and sign them off."
        )
