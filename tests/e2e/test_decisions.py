"""The team's recorded discretion end to end: each decision changes the evaluation as stated
and shows in the detail, the Decisions sheet and the letter; bad decisions are data issues."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .rules_inbox import att, decide, run_rules

NO_PSY = {"psychodynamic_training": "no"}


def day(n: int, month: int = 3, year: int = 2025) -> dt.date:
    return dt.date(year, month, n)


def co_led(n: int) -> list[dict]:
    return [att(day(i + 1), "co_leader") for i in range(n)]


def test_credit_adds_to_the_count(tmp_path: Path) -> None:
    out = run_rules(
        tmp_path,
        NO_PSY,
        attendance=co_led(14),
        decisions=[
            decide("co_leading", "credit 4 sessions", reason="co-led in Dublin", decided_by="L1"),
            decide("Co-leading Balint groups", "Credit: 2", day(2, 4)),  # by title
        ],
    )
    assert out.requirement("co_leading") == ("met", 20, 20)
    assert out.progress["requirements"]["co_leading"]["detail"] == (
        "20 co-led sessions (20 needed); credit 2 on 2025-04-02; "
        "credit 4 by Ann Leader on 2025-06-01: co-led in Dublin"
    )
    assert (
        "The leadership team credited 4 towards this from your earlier experience on "
        "1 June 2025: co-led in Dublin." in out.letter
    )
    assert out.book["Decisions"] == [
        {
            "Trainee ID": "T1",
            "Name": "Jane Smith",
            "Requirement": "Co-leading Balint groups",
            "Decision": "credit 4",
            "Reason": "co-led in Dublin",
            "Decided by": "Ann Leader",
            "Date": dt.datetime(2025, 6, 1),
        },
        {
            "Trainee ID": "T1",
            "Name": "Jane Smith",
            "Requirement": "Co-leading Balint groups",
            "Decision": "credit 2",
            "Reason": None,
            "Decided by": None,
            "Date": dt.datetime(2025, 4, 2),
        },
    ]
    assert list(out.book)[-1] == "Decisions"


def test_waive_marks_met_even_when_it_cannot_be_assessed(tmp_path: Path) -> None:
    out = run_rules(
        tmp_path,
        decisions=[
            decide(
                "membership", "waived", reason="senior psychotherapist", decided_by="Someone New"
            )
        ],
    )
    status, achieved, _ = out.requirement("membership")
    assert (status, achieved) == ("met", None)
    assert out.progress["requirements"]["membership"]["detail"].endswith(
        "; waived on 2025-06-01: senior psychotherapist"
    )
    assert "The leadership team waived this requirement on 1 June 2025" in out.letter
    # An unknown decider only warns; the sheet shows the name as written.
    assert out.book["Decisions"][0]["Decided by"] == "Someone New"
    [warning] = [i for i in out.document["issues"] if i["column"] == "decided_by"]
    assert warning["severity"] == "warning"


def test_approve_counts_an_external_event_once(tmp_path: Path) -> None:
    rows = [att(day(1), "leadership_day", event="London day")]
    decisions = [
        decide("leadership_training", "approve", event="Lyon intensive", reason="abroad"),
        decide("leadership_training", "approved", day(2, 7), event="LYON intensive"),
    ]
    out = run_rules(tmp_path, attendance=rows, decisions=decisions)
    assert out.requirement("leadership_training") == ("met", 2, 2)
    assert (
        "approved as equivalent: Lyon intensive on 2025-06-01: abroad"
        in (out.progress["requirements"]["leadership_training"]["detail"])
    )
    assert "The leadership team approved Lyon intensive as an equivalent" in out.letter
    assert [d["Decision"] for d in out.book["Decisions"]] == [
        "approve Lyon intensive",
        "approve LYON intensive",
    ]


def test_bad_decisions_are_issues_and_rows_reconcile(tmp_path: Path) -> None:
    decisions = [
        decide("co_leading", "credit 3", trainee="Nobody Known"),
        decide("face_to_face", "waive"),  # not a uk-2019 requirement
        decide("leadership_training", "approve"),  # no event
        decide("co_leading", "give them a pass"),
        decide("co_leading", "credit 5", "01/01/2027"),  # after the report date
        decide("co_leading", "credit 1"),
        decide("co_leading", "credit 1"),  # the same again
    ]
    out = run_rules(tmp_path, NO_PSY, attendance=co_led(2), decisions=decisions)
    issues = {
        (i["row"], i["column"]): i for i in out.document["issues"] if i["sheet"] == "Decisions"
    }
    assert issues[(2, "trainee")]["severity"] == "error"
    assert issues[(2, "trainee")]["value"] == "Nobody Known"
    problem = issues[(3, "requirement")]["problem"]
    assert problem.startswith("'face_to_face' is not a requirement of uk-2019")
    assert "membership, co_leading" in problem
    assert issues[(3, "requirement")]["file"] == "inbox.xlsx"
    assert "needs the external event" in issues[(4, "event")]["problem"]
    assert "not a decision" in issues[(5, "decision")]["problem"]
    assert issues[(6, "date")]["severity"] == "warning"
    assert issues[(8, "date")]["problem"].startswith("same as inbox.xlsx, sheet Decisions, row 7")
    [source] = [s for s in out.document["sources"] if s["sheet"] == "Decisions"]
    assert (source["kind"], source["rows_read"]) == ("decisions", 7)
    assert (source["accepted"], source["rejected"], source["future"], source["duplicate"]) == (
        1,
        4,
        1,
        1,
    )
    assert out.requirement("co_leading") == ("not_met", 3, 20)


def test_decision_requirement_is_checked_against_the_trainees_own_ruleset(tmp_path: Path) -> None:
    out = run_rules(
        tmp_path,
        {"registered": "01/07/2023"},
        decisions=[decide("face_to_face", "waive")],
        rules=["uk-2019", "uk-2023-example"],
    )
    assert out.progress["ruleset"] == "uk-2023-example"
    assert out.requirement("face_to_face")[0] == "met"
    assert not [i for i in out.document["issues"] if i["severity"] == "error"]


def test_no_decisions_no_sheet(tmp_path: Path) -> None:
    out = run_rules(tmp_path, NO_PSY, attendance=co_led(1))
    assert "Decisions" not in out.book
