"""Every advice code of docs/rulesets.md: a case where it fires, the nearest where it does not.

Leaders (tests/e2e/rules_inbox.py): L1 eligible supervisor; L2 accredited, no supervision
experience; L3 experienced, not accredited; L4 both blank. T2 is another trainee.
Each case checks progress.json and the Advisories sheet agree (Outcome.advice).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from .rules_inbox import att, run_rules, sup

NO_PSY = {"psychodynamic_training": "no"}
FUTURE = dt.date(2026, 12, 1)  # after the report date, 2026-11-30


def day(n: int, month: int = 3) -> dt.date:
    """A real spreadsheet date in 2025."""
    return dt.date(2025, month, n)


def fires(tmp_path: Path, code: str, trainee: dict, attendance: list, supervision: list) -> bool:
    """Whether T1 gets the advice code."""
    out = run_rules(tmp_path, {**NO_PSY, **trainee}, attendance, supervision)
    return code in out.advice()


@pytest.mark.parametrize(
    ("attendance", "expected"),
    [
        pytest.param(
            [
                att(day(1), "co_leader", setting="GP training scheme"),
                att(day(2), "co_leader", setting="GP training scheme"),
            ],
            True,
            id="one-setting",
        ),
        pytest.param(
            [
                att(day(1), "leader", setting="GP Training Scheme"),
                att(day(2), "co_leader", setting="gp-training  scheme"),
            ],
            True,
            id="one-setting-folded",
        ),
        pytest.param(
            # Contract: blank settings say nothing, so no advice without a known setting
            [att(day(1), "co_leader"), att(day(2), "leader")],
            False,
            id="no-setting-written",
        ),
        pytest.param(
            [
                att(day(1), "co_leader", setting="GP training scheme"),
                att(day(2), "co_leader"),
            ],
            True,
            id="one-setting-and-blank",
        ),
        pytest.param(
            [
                att(day(1), "member", setting="hospital"),
                att(day(2), "co_leader", setting="GP training scheme"),
            ],
            True,
            id="member-settings-do-not-count",
        ),
        pytest.param(
            [
                att(day(1), "co_leader", setting="GP training scheme"),
                att(day(2), "leader", setting="hospital"),
            ],
            False,
            id="two-settings",
        ),
        pytest.param([att(day(1), "member", setting="hospital")], False, id="not-leading"),
        pytest.param(
            [
                att(day(1), "co_leader", setting="GP training scheme"),
                att(FUTURE, "co_leader", setting="hospital"),
            ],
            True,
            id="second-setting-in-future",
        ),
    ],
)
def test_single_setting(tmp_path: Path, attendance: list, expected: bool) -> None:
    assert fires(tmp_path, "single_setting", {}, attendance, []) is expected


@pytest.mark.parametrize(
    ("attendance", "expected"),
    [
        pytest.param([att(day(1), "leader", sessions=5)], True, id="solo-only"),
        pytest.param([att(day(1), "leader"), att(day(2), "co_leader")], False, id="also-co-led"),
        pytest.param([att(day(1), "co_leader")], False, id="co-led-only"),
        pytest.param([att(day(1), "member")], False, id="not-leading"),
        pytest.param(
            [att(day(1), "leader"), att(FUTURE, "co_leader")], True, id="co-leading-in-future"
        ),
    ],
)
def test_solo_leading_only(tmp_path: Path, attendance: list, expected: bool) -> None:
    assert fires(tmp_path, "solo_leading_only", {}, attendance, []) is expected


@pytest.mark.parametrize(
    ("attendance", "expected"),
    [
        pytest.param([att(day(1), "co_leader", co_leader="L3")], True, id="not-accredited"),
        pytest.param([att(day(1), "co_leader", co_leader="L4")], True, id="accredited-blank"),
        pytest.param([att(day(1), "co_leader", co_leader="Zed Nobody")], True, id="unknown"),
        pytest.param([att(day(1), "co_leader", co_leader="T2")], True, id="another-trainee"),
        pytest.param([att(day(1), "co_leader")], True, id="nobody"),
        pytest.param([att(day(1), "co_leader", co_leader="L1")], False, id="accredited"),
        pytest.param(
            [att(day(1), "co_leader", co_leader="Bob Accredited")],
            False,
            id="accredited-by-name",
        ),
        pytest.param(
            [att(day(1), "co_leader", co_leader="L3"), att(day(2), "co_leader", co_leader="L2")],
            False,
            id="one-of-two-accredited",
        ),
        pytest.param([att(day(1), "leader", co_leader="L3")], False, id="no-co-leading"),
        pytest.param(
            [
                att(day(1), "co_leader", co_leader="L3"),
                att(FUTURE, "co_leader", co_leader="L1"),
            ],
            True,
            id="accredited-only-in-future",
        ),
    ],
)
def test_no_accredited_coleader(tmp_path: Path, attendance: list, expected: bool) -> None:
    assert fires(tmp_path, "no_accredited_coleader", {}, attendance, []) is expected


def test_unknown_coleader_is_a_warning_and_the_sessions_count(tmp_path: Path) -> None:
    rows = [att(day(1), "co_leader", sessions=20, co_leader="Zed Nobody")]
    out = run_rules(tmp_path, NO_PSY, attendance=rows)
    assert out.requirement("co_leading") == ("met", 20, 20)
    [issue] = [i for i in out.document["issues"] if i["column"] == "co_leader"]
    assert (issue["severity"], issue["value"], issue["row"]) == ("warning", "Zed Nobody", 2)
    assert "not accredited" in issue["problem"]


@pytest.mark.parametrize(
    ("attendance", "expected"),
    [
        pytest.param([att(day(1), "leadership_day")], True, id="day-blank-days"),
        pytest.param([att(day(1), "leadership_weekend", days=1)], True, id="weekend-of-one-day"),
        pytest.param(
            # Contract: blank event names on consecutive dates are one two-day event
            [att(day(1), "leadership_day"), att(day(2), "leadership_day")],
            False,
            id="two-unnamed-days",
        ),
        pytest.param(
            # ... and a week apart they are two one-day events
            [att(day(1), "leadership_day"), att(day(8), "leadership_day")],
            True,
            id="two-unnamed-days-a-week-apart",
        ),
        pytest.param([att(day(1), "leadership_weekend")], False, id="weekend-blank-days-is-2"),
        pytest.param([att(day(1), "leadership_day", days=2)], False, id="day-of-two-days"),
        pytest.param(
            [
                att(day(1), "leadership_day", event="Leaders course"),
                att(day(2), "leadership_day", event="Leaders course"),
            ],
            False,
            id="one-event-two-dates",
        ),
        pytest.param(
            [att(day(1), "leadership_day"), att(day(1, 5), "leadership_weekend")],
            False,
            id="a-day-and-a-weekend",
        ),
        pytest.param([att(day(1), "member")], False, id="no-leadership-event"),
        pytest.param(
            [att(day(1), "leadership_day"), att(FUTURE, "leadership_weekend")],
            True,
            id="weekend-in-future",
        ),
    ],
)
def test_no_two_day_event(tmp_path: Path, attendance: list, expected: bool) -> None:
    assert fires(tmp_path, "no_two_day_event", {}, attendance, []) is expected


@pytest.mark.parametrize(
    ("attendance", "supervision", "expected"),
    [
        pytest.param([att(day(1), "co_leader")], [], True, id="co-leading"),
        pytest.param([att(day(1), "leader")], [], True, id="leading"),
        pytest.param([att(day(1), "co_leader")], [sup(day(2), "L3")], False, id="with-anyone"),
        pytest.param([att(day(1), "member")], [], False, id="not-leading"),
        pytest.param([att(day(1), "co_leader")], [sup(FUTURE)], True, id="only-future"),
        pytest.param([att(day(1), "co_leader")], [sup("someday")], True, id="only-rejected"),
    ],
)
def test_no_supervision(
    tmp_path: Path, attendance: list, supervision: list, expected: bool
) -> None:
    assert fires(tmp_path, "no_supervision", {}, attendance, supervision) is expected


@pytest.mark.parametrize(
    ("supervision", "expected"),
    [
        pytest.param([sup(day(1), "L2")], True, id="accredited-not-experienced"),
        pytest.param([sup(day(1), "L3")], True, id="experienced-not-accredited"),
        pytest.param([sup(day(1), "L4")], True, id="both-blank"),
        pytest.param([sup(day(1), "L1"), sup(day(2), "L3")], True, id="one-of-two"),
        pytest.param([sup(day(1), "L1")], False, id="eligible"),
        pytest.param([sup(day(1), "L1"), sup(FUTURE, "L3")], False, id="ineligible-in-future"),
        pytest.param([], False, id="no-supervision"),
    ],
)
def test_ineligible_supervisor(tmp_path: Path, supervision: list, expected: bool) -> None:
    assert fires(tmp_path, "ineligible_supervisor", {}, [], supervision) is expected


@pytest.mark.parametrize(
    ("supervision", "expected"),
    [
        pytest.param([sup(day(1), trainees_present=3)], True, id="three"),
        pytest.param(
            [sup(day(1), trainees_present=1), sup(day(2), trainees_present=4)],
            True,
            id="one-of-two",
        ),
        pytest.param([sup(day(1), trainees_present=2)], False, id="two"),
        pytest.param([sup(day(1))], False, id="blank-is-one"),
        pytest.param([sup(day(1)), sup(FUTURE, trainees_present=3)], False, id="large-in-future"),
    ],
)
def test_large_supervision_group(tmp_path: Path, supervision: list, expected: bool) -> None:
    assert fires(tmp_path, "large_supervision_group", {}, [], supervision) is expected


@pytest.mark.parametrize(
    ("trainee", "attendance", "supervision", "expected"),
    [
        pytest.param(
            {}, [att(day(1), "co_leader", co_leader="L2")], [sup(day(2))], True, id="outsider"
        ),
        pytest.param(
            {},
            [att(day(1), "co_leader", co_leader="L2")],
            [sup(day(2), co_leader_present="no")],
            True,
            id="present-no",
        ),
        pytest.param(
            {},
            [att(day(1), "co_leader", co_leader="L2")],
            [sup(day(2)), sup(day(3), co_leader_present="yes")],
            False,
            id="present-yes-once",
        ),
        pytest.param(
            {},
            [att(day(1), "co_leader", co_leader="L2")],
            [sup(day(2)), sup(FUTURE, co_leader_present="yes")],
            True,
            id="present-yes-in-future",
        ),
        pytest.param(
            {},
            [att(day(1), "co_leader", co_leader="L1")],
            [sup(day(2), "L1")],
            False,
            id="co-leader-is-supervisor-in-rows",
        ),
        pytest.param(
            {"supervisor": "L2"},
            [att(day(1), "co_leader", co_leader="L2")],
            [sup(day(2), "L1")],
            False,
            id="co-leader-is-register-supervisor",
        ),
        pytest.param(
            {},
            [att(day(1), "co_leader", co_leader="L2")],
            [sup(day(2), "L1"), sup("someday", "L2")],
            True,
            id="rejected-row-makes-no-supervisor",
        ),
        pytest.param(
            {},
            [att(day(1), "co_leader", co_leader="Zed Nobody")],
            [sup(day(2))],
            True,
            id="unknown-co-leader",
        ),
        pytest.param(
            {}, [att(day(1), "co_leader", co_leader="T2")], [sup(day(2))], True, id="trainee"
        ),
        pytest.param(
            {}, [att(day(1), "co_leader", co_leader="L2")], [], False, id="no-supervision"
        ),
        pytest.param(
            {}, [att(day(1), "co_leader")], [sup(day(2))], False, id="blank-co-leader-is-nobody"
        ),
        pytest.param(
            {}, [att(day(1), "leader", co_leader="L2")], [sup(day(2))], False, id="solo-leading"
        ),
    ],
)
def test_coleader_not_in_supervision(
    tmp_path: Path, trainee: dict, attendance: list, supervision: list, expected: bool
) -> None:
    code = "coleader_not_in_supervision"
    assert fires(tmp_path, code, trainee, attendance, supervision) is expected


CO_LEADS_WITH_L1 = [att(day(1), "co_leader", co_leader="L1")]


@pytest.mark.parametrize(
    ("trainee", "attendance", "supervision", "expected"),
    [
        pytest.param({"supervisor": "L1"}, CO_LEADS_WITH_L1, [], True, id="overseer-blank"),
        pytest.param(
            {"supervisor": "L1", "supervisor_overseen_by": "L1"},
            CO_LEADS_WITH_L1,
            [],
            True,
            id="overseer-is-the-supervisor",
        ),
        pytest.param(
            {"supervisor": "L1", "supervisor_overseen_by": "L3"},
            CO_LEADS_WITH_L1,
            [],
            True,
            id="overseer-not-accredited",
        ),
        pytest.param(
            {"supervisor": "L1", "supervisor_overseen_by": "L4"},
            CO_LEADS_WITH_L1,
            [],
            True,
            id="overseer-accredited-blank",
        ),
        pytest.param(
            {"supervisor": "L1", "supervisor_overseen_by": "L2"},
            CO_LEADS_WITH_L1,
            [],
            False,
            id="overseer-accredited-other-leader",
        ),
        pytest.param(
            {"supervisor": "L1", "supervisor_overseen_by": "Bob Accredited"},
            CO_LEADS_WITH_L1,
            [],
            False,
            id="overseer-by-name",
        ),
        pytest.param(
            {"supervisor": "L1"},
            [att(day(1), "co_leader", co_leader="L2")],
            [],
            False,
            id="co-leads-with-someone-else",
        ),
        pytest.param(
            {"supervisor": "L1"},
            [att(day(1), "leader", co_leader="L1")],
            [],
            False,
            id="not-co-leading",
        ),
        pytest.param({}, CO_LEADS_WITH_L1, [sup(day(2), "L1")], True, id="supervisor-from-rows"),
        pytest.param({}, CO_LEADS_WITH_L1, [sup(FUTURE, "L1")], False, id="supervision-future"),
        pytest.param({}, CO_LEADS_WITH_L1, [sup("someday", "L1")], False, id="rejected"),
        pytest.param(
            {"supervisor": "L1", "supervisor_overseen_by": "L2"},
            [att(day(1), "co_leader", co_leader="L1"), att(day(2), "co_leader", co_leader="L2")],
            [sup(day(3), "L2")],
            True,
            id="second-supervisor-oversees-itself",
        ),
        pytest.param(
            {"supervisor": "L1"},
            [att(day(1), "co_leader", co_leader="Zed Nobody")],
            [],
            False,
            id="unknown-co-leader-is-not-a-supervisor",
        ),
        pytest.param(
            {"supervisor": "L1"},
            [att(FUTURE, "co_leader", co_leader="L1")],
            [],
            False,
            id="co-leading-in-future",
        ),
    ],
)
def test_triangulation_missing(
    tmp_path: Path, trainee: dict, attendance: list, supervision: list, expected: bool
) -> None:
    assert fires(tmp_path, "triangulation_missing", trainee, attendance, supervision) is expected


def test_advice_comes_in_ruleset_order(tmp_path: Path) -> None:
    out = run_rules(tmp_path, NO_PSY, [att(day(1), "leader", setting="hospital")], [])
    assert out.advice() == ["single_setting", "solo_leading_only", "no_supervision"]
