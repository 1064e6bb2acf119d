"""Letters say only what is true for their reader: next steps from the missing part, reasons
inside their requirement, honest numbers (docs/contract.md#letters)."""

from __future__ import annotations

from pathlib import Path

from .rules_inbox import Outcome, att, comp, run_rules, sup


def _section(letter: str, title: str) -> str:
    """One requirement's block of the letter's WHERE YOU STAND."""
    body = letter.split("WHERE YOU STAND\n", 1)[1].split("\nSOME SUGGESTIONS", 1)[0]
    body = body.split("\nYOUR NEXT STEP", 1)[0]
    return body.split(f"\n{title}: ", 1)[1].split("\n\n", 1)[0]


def _next_step(letter: str) -> str:
    if "YOUR NEXT STEP\n" not in letter:
        return ""
    return letter.split("YOUR NEXT STEP\n", 1)[1].split("\n", 1)[0]


def _suggestions(letter: str) -> str:
    if "SOME SUGGESTIONS\n" not in letter:
        return ""
    return letter.split("SOME SUGGESTIONS\n", 1)[1].split("\n\n", 1)[0]


def _everything_but(
    tmp_path: Path,
    trainee: dict | None = None,
    co_led: int = 20,
    competencies: int = 5,
    supervisor: str = "L1",
    supervision: int = 5,
) -> Outcome:
    """T1 with every count met unless told otherwise (no psychodynamic training)."""
    register = {"psychodynamic_training": "no", "supervisor": "L1", **(trainee or {})}
    attendance = [att("01/02/2024", "member", sessions=20, event="Tuesday group")]
    attendance += [
        att(f"{day:02d}/03/2025", "co_leader", event="Thursday group", co_leader="L1")
        for day in range(1, co_led + 1)
    ]
    attendance += [
        att("14/09/2024", "leadership_weekend", event="Oxford 2024", days=2),
        att("14/03/2026", "leadership_day", event="London day"),
    ]
    return run_rules(
        tmp_path,
        trainee=register,
        attendance=attendance,
        supervision=[
            sup(f"{day:02d}/04/2025", supervisor, hours=1.5) for day in range(1, supervision + 1)
        ],
        portfolio=[comp(n, signed_off_by="L1") for n in range(1, competencies + 1)],
    )


def test_report_requested_not_received_is_chased_not_arranged(tmp_path: Path) -> None:
    out = _everything_but(tmp_path, {"reference_requested": "10/11/2026"})
    section = _section(out.letter, "Supervision and your supervisor's report")
    assert "5 supervision sessions, 7.5 hours, with an eligible supervisor." in section
    # A full bar under "In progress" says what it still waits for.
    assert section.startswith("In progress")
    assert "Your supervisor's written report received: not yet." in section
    assert "of 1" not in out.letter and "Arrange supervision" not in out.letter
    step = "Your supervisor's report was requested on 10 November 2026"
    assert f"Next: {step}" in section
    assert _next_step(out.letter).startswith(step)
    # the team's Overview tells of the trainee
    assert out.overview["Next step"].startswith(
        "Their supervisor's report was requested on 10 November 2026"
    )


def test_report_never_requested_is_asked_for(tmp_path: Path) -> None:
    out = _everything_but(tmp_path)
    assert _next_step(out.letter) == (
        "When you and your supervisor feel you are ready, ask them for their written report "
        "on your competencies."
    )


def test_shared_reference_is_not_asked_to_be_shared_again(tmp_path: Path) -> None:
    register = {
        "feels_ready": "yes",
        "reference_requested": "01/09/2026",
        "reference_received": "01/10/2026",
        "reference_shared": "05/10/2026",
    }
    out = _everything_but(tmp_path, register)
    assert out.progress["overall"] == "in_progress"
    assert _next_step(out.letter) == (
        "Ask your supervisor to forward their reference to the leadership team."
    )
    assert "share" not in _next_step(out.letter)
    assert "Next:" not in out.letter  # every requirement is met


def test_not_feeling_ready_names_feeling_ready_first(tmp_path: Path) -> None:
    register = {"reference_requested": "01/09/2026", "reference_received": "01/10/2026"}
    out = _everything_but(tmp_path, register)
    assert _next_step(out.letter) == (
        "When you feel ready to apply for accreditation, let the leadership team know. "
        "Ask your supervisor to share their written reference with you."
    )


def test_supervision_that_does_not_count_is_a_reason_and_the_step_that_unblocks_most(
    tmp_path: Path,
) -> None:
    # Co-leading is 17 of 20 (15% left); supervision has nothing that counts (100% left).
    out = _everything_but(tmp_path, co_led=17, supervisor="L3", supervision=4)
    section = _section(out.letter, "Supervision and your supervisor's report")
    assert "No supervision sessions with an eligible supervisor yet." in section
    assert (
        "4 sessions (6 hours) with Cat Novice do not count: Cat Novice is not recorded as an "
        "accredited Balint leader." in section
    )
    assert "do not count" not in _suggestions(out.letter)
    assert "ineligible_supervisor" in out.advice()  # the team's Advisories still list it
    assert _next_step(out.letter).startswith("Arrange supervision with an accredited")
    co_leading = _section(out.letter, "Co-leading Balint groups")
    assert "17 of 20 co-led sessions (85%). 3 more to go." in co_leading
    assert "Next: Co-lead Balint group sessions" in co_leading


def test_a_report_waiting_comes_after_counts_still_missing(tmp_path: Path) -> None:
    out = _everything_but(tmp_path, co_led=16, competencies=3)
    # portfolio 3 of 5 (40% left) before co-leading 16 of 20 (20% left); the report last
    assert _next_step(out.letter).startswith("Work on the remaining competencies")
    assert "Next: When you and your supervisor feel you are ready" in _section(
        out.letter, "Supervision and your supervisor's report"
    )


def test_paused_trainee_is_given_no_step(tmp_path: Path) -> None:
    out = _everything_but(tmp_path, {"status": "paused"}, co_led=5)
    assert "nothing is expected of you until you resume" in out.letter
    assert "YOUR NEXT STEP" not in out.letter and "Next:" not in out.letter
    assert out.progress["status"] == "paused"
    assert not out.overview["Next step"]


def test_numbers_above_target_and_unknown_target(tmp_path: Path) -> None:
    out = run_rules(
        tmp_path,
        trainee={"psychodynamic_training": ""},
        attendance=[
            att("01/02/2024", "member", sessions=4),
            *(att(f"{d:02d}/03/2025", "co_leader") for d in range(1, 25)),
        ],
    )
    assert "24 co-led sessions (20 needed). Done." in out.letter
    membership = _section(out.letter, "Experience as a Balint group member")
    assert "—" not in membership and " of 8" not in membership
    assert "How much is needed depends on whether you have psychoanalytic" in membership
    assert _next_step(out.letter).startswith("We are missing some information")


def test_co_leading_that_does_not_count_says_why_without_naming_another_trainee(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "coled.toml"
    rules.write_text(
        """
id = "coled"
title = "Co-leading with accredited leaders"
effective_from = 2019-01-01

[wording]
ready = "Ready."
all_met_not_ready = "All met."
needs_data = "We need:"
in_progress = "In progress."

[[requirements]]
id = "co_leading"
title = "Co-leading"
what_counts = "Sessions co-led with an accredited leader."
unit = "sessions"
next_step = "Co-lead with an accredited leader."

[[requirements.routes]]
source = "attendance"
count = "sessions"
activities = ["co_leader"]
counterpart = "accredited_co_leader"
target = 10
label = "sessions co-led with an accredited leader"
""",
        encoding="utf-8",
    )
    out = run_rules(
        tmp_path,
        attendance=[
            att("02/03/2025", "co_leader", sessions=2, co_leader="L1"),
            att("03/03/2025", "co_leader", sessions=3, co_leader="Zed Unknown"),
            att("04/03/2025", "co_leader", co_leader="T2"),
            att("05/03/2025", "co_leader"),
            att("06/03/2025", "co_leader", sessions=2, co_leader="L3"),
        ],
        rules=[rules],
    )
    section = _section(out.letter, "Co-leading")
    assert "2 of 10 sessions co-led with an accredited leader (20%)" in section
    assert (
        "3 co-led sessions do not count: the co-leader written there is not in our registers."
        in section
    )
    assert "1 co-led session does not count: the co-leader was a fellow trainee." in section
    assert "1 co-led session does not count: no co-leader is recorded." in section
    assert (
        "2 co-led sessions do not count: Cat Novice is not recorded as an accredited Balint "
        "leader." in section
    )
    assert "Tom Other" not in out.letter  # the fellow trainee is not named
    records = out.letter.split("THE RECORDS WE COUNTED", 1)[1]
    assert "2 March 2025: co-leader, 2 sessions" in records
    assert "3 March 2025" not in records  # rows that did not count are not listed as counted


def test_a_misspelt_row_that_may_be_hers_is_said_in_her_letter_and_her_supervisors_digest(
    tmp_path: Path,
) -> None:
    out = run_rules(
        tmp_path,
        trainee={"psychodynamic_training": "no", "supervisor": "L1"},
        attendance=[
            att("02/03/2025", "co_leader", co_leader="L1"),
            att("09/03/2025", "co_leader", co_leader="L1", trainee="Jane Smiht"),
            att("16/03/2025", "co_leader", co_leader="L1", trainee="Xavier Quinlan-Burke"),
        ],
    )
    # The rejected row is close to Jane Smith only: her letter says a row may be hers, and
    # which file, but nothing of the row itself (it may be someone else's).
    head = out.letter.split("WHERE YOU STAND", 1)[0]
    assert "Some records that may be yours could not be counted yet" in head
    not_counted = out.letter.split("\nNot counted\n", 1)[1]
    assert not_counted.strip() == (
        "1 row in inbox.xlsx has a name like yours that we could not match to you for certain: "
        "the leadership team is checking, and if it is yours, it will count once corrected."
    )
    assert "Smiht" not in out.letter and "Xavier" not in out.letter
    html = (tmp_path / "out" / "2026-11" / "letters" / "T1.html").read_text(encoding="utf-8")
    assert "has a name like yours" in html and "Some records that may be yours" in html
    # Tom Other's name is close to neither row: his letter says nothing of them.
    other = (tmp_path / "out" / "2026-11" / "letters" / "T2.txt").read_text(encoding="utf-8")
    assert "Not counted" not in other and "may be yours" not in other
    digest = (tmp_path / "out" / "2026-11" / "digests" / "L1.txt").read_text(encoding="utf-8")
    assert (
        "1 row in inbox.xlsx has a name like Jane Smith's that is not in the register: it does "
        "not count until the leadership team has corrected the name." in digest
    )
    assert "Xavier" not in digest


def test_her_own_rejected_row_is_said_near_the_top_of_her_letter(tmp_path: Path) -> None:
    out = run_rules(
        tmp_path,
        trainee={"psychodynamic_training": "no"},
        attendance=[att("02/03/2025", "co_leader"), att("31/02/2025", "co_leader")],
    )
    head = out.letter.split("WHERE YOU STAND", 1)[0]
    assert "Some of your records could not be counted yet because of a mistake" in head
    assert "1 row in inbox.xlsx naming you could not be counted" in out.letter
