"""A supervisor's digest speaks to the supervisor about their trainees (docs/contract.md#letters):
numbers in the third person, what is waited for from them, the seed's advice, plain issues."""

from __future__ import annotations

from pathlib import Path

from ..conftest import TRAINEE_HEADER, run_report, trainee_row, write_xlsx
from .rules_inbox import LEADERS, att, comp, run_rules, sup, table_sheets


def _digest(tmp_path: Path, leader: str) -> str:
    return (tmp_path / "out" / "2026-11" / "digests" / f"{leader}.txt").read_text(encoding="utf-8")


def test_report_requested_from_the_supervisor_is_awaited_with_its_date(tmp_path: Path) -> None:
    run_rules(
        tmp_path,
        trainee={
            "psychodynamic_training": "no",
            "supervisor": "L1",
            "reference_requested": "10/11/2026",
        },
        attendance=[att(f"{d:02d}/03/2025", "co_leader", setting="hospital") for d in range(1, 25)],
        supervision=[sup(f"{d:02d}/04/2025", hours=1.5) for d in range(1, 6)],
        portfolio=[comp(1, signed_off_by="L1"), comp(3, signed_off_by="L1")],
    )
    digest = _digest(tmp_path, "L1")
    assert "Dear Ann Leader," in digest
    assert "Jane Smith (T1): In progress" in digest
    assert "  Co-leading Balint groups: complete, 24 sessions (20 needed)" in digest
    assert (
        # The trainee's title in the third person: "your" is the supervisor in a digest.
        "  Supervision and their supervisor's report: not yet met, 5 sessions with an eligible "
        "supervisor, 7.5 hours; report not yet received" in digest
    )
    assert (
        "Your written report on Jane Smith: the leadership team asked for it on "
        "10 November 2026 and has not received it yet." in digest
    )
    assert "Competencies not yet signed off (3): 2, exploring" in digest
    # The seed's advice to supervisors, in their words: one setting only.
    assert "All of their leading so far with a setting recorded has been in one setting" in digest
    # Never the trainee's own second-person wording, nor another trainee.
    for words in ("You have", "Your next step", "you feel ready", "Tom Other", "T2"):
        assert words not in digest, words


def test_supervision_that_does_not_count_is_told_to_that_supervisor(tmp_path: Path) -> None:
    run_rules(
        tmp_path,
        trainee={"psychodynamic_training": "no", "supervisor": "L3"},
        supervision=[sup(f"{d:02d}/04/2025", "L3", hours=1.5, mode="WhatsApp") for d in (1, 2)],
    )
    digest = _digest(tmp_path, "L3")
    assert (
        "2 sessions (3 hours) of supervision with you do not count towards accreditation: you "
        "are not recorded as an accredited Balint leader." in digest
    )
    assert "0 sessions with an eligible supervisor" in digest
    # The unknown mode is an issue on her rows: in plain words, without the config hint.
    assert "Row 2 of inbox.xlsx (sheet Supervision): the mode 'WhatsApp'" in digest
    assert "[values" not in digest and "balint.toml" not in digest


def test_paused_trainee_is_not_waited_on(tmp_path: Path) -> None:
    run_rules(
        tmp_path,
        trainee={
            "psychodynamic_training": "no",
            "supervisor": "L1",
            "status": "paused",
            "reference_requested": "10/11/2026",
        },
        supervision=[sup("01/04/2025")],
    )
    digest = _digest(tmp_path, "L1")
    assert "Their training is paused: nothing is expected of them until they resume." in digest
    assert "Waiting for you" not in digest


def test_a_shared_reference_is_to_be_forwarded(tmp_path: Path) -> None:
    run_rules(
        tmp_path,
        trainee={
            "psychodynamic_training": "no",
            "supervisor": "L1",
            "feels_ready": "yes",
            "reference_requested": "01/09/2026",
            "reference_received": "01/10/2026",
            "reference_shared": "02/10/2026",
        },
        supervision=[sup("01/04/2025")],
    )
    digest = _digest(tmp_path, "L1")
    assert (
        "Your reference for Jane Smith has been shared with them: please forward it to the "
        "leadership team." in digest
    )
    assert "asked for it on" not in digest


def test_reference_dates_out_of_order_are_told_in_words_not_as_a_bare_value(
    tmp_path: Path,
) -> None:
    run_rules(
        tmp_path,
        trainee={
            "psychodynamic_training": "no",
            "supervisor": "L1",
            "email": "jane@example.org",
            "reference_requested": "01/10/2026",
            "reference_received": "01/09/2026",
        },
        supervision=[sup("01/11/2026")],
    )
    digest = _digest(tmp_path, "L1")
    assert (
        "Row 2 of inbox.xlsx (sheet Trainees): the reference received date, 1 September 2026, "
        "is before an earlier step's date: the dates are used as written while the leadership "
        "team checks them." in digest
    )
    assert (
        "Row 2 of inbox.xlsx (sheet Trainees): their report is recorded as received on "
        "1 September 2026, before any supervision with an eligible supervisor on record: the "
        "dates are used as written while the leadership team checks them." in digest
    )
    assert "date needs checking" not in digest and "the row counts" not in digest


def test_without_a_register_supervisor_the_supervisors_in_the_rows_get_the_digest(
    tmp_path: Path,
) -> None:
    """A trainee whose register names no supervisor yet is supervised all the same: the
    leaders their supervision rows are with hear of them (one not eligible is told why those
    sessions do not count). With a register supervisor, only that supervisor does."""
    run_rules(
        tmp_path,
        trainee={"psychodynamic_training": "no"},
        supervision=[sup("01/04/2025", "L1"), sup("01/05/2025", "L3")],
    )
    digests = tmp_path / "out" / "2026-11" / "digests"
    assert sorted(p.name for p in digests.glob("*.txt")) == ["L1.txt", "L3.txt"]
    assert "Jane Smith (T1)" in _digest(tmp_path, "L1")
    novice = _digest(tmp_path, "L3")
    assert "Jane Smith (T1)" in novice and "Tom Other" not in novice
    assert "with you does not count towards accreditation: you are not recorded as" in novice
    run_rules(
        tmp_path / "named",
        trainee={"psychodynamic_training": "no", "supervisor": "L2"},
        supervision=[sup("01/04/2025", "L1")],
    )
    named = tmp_path / "named" / "out" / "2026-11" / "digests"
    assert sorted(p.name for p in named.glob("*.txt")) == ["L2.txt"]


def test_a_non_ascii_address_is_told_by_the_letters_it_holds(tmp_path: Path) -> None:
    # Three addresses with different letters: one example for all of them misled the reader.
    # A right-to-left override would reorder the sentence, so it is named by its code point.
    emails = ["siân@example.org", "zoë.ünal@example.org", "ann\u202e@example.org"]
    write_xlsx(
        tmp_path / "inbox" / "inbox.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Siân Jones", email=emails[0], supervisor="L1"),
                trainee_row("T2", "Zoë Ünal", email=emails[1], supervisor="L1"),
                trainee_row("T3", "Ann Bidi", email=emails[2], supervisor="L1"),
            ],
            "Leaders": LEADERS,
        },
    )
    out = tmp_path / "out"
    run_report(tmp_path / "inbox", out)
    digest = _digest(tmp_path, "L1")
    for row, like in ((2, "â"), (3, "ë and ü"), (4, "U+202E")):
        assert (
            f"Row {row} of inbox.xlsx (sheet Trainees): the email address has letters like "
            f"{like} that most mail servers refuse." in digest
        )
    assert "\u202e" not in digest and "such as" not in digest
    html = (out / "2026-11" / "digests" / "L1.html").read_text(encoding="utf-8")
    assert "letters like ë and ü that" in html and "\u202e" not in html
    issues = table_sheets(out / "2026-11" / "summary.xlsx")["Data issues"]
    # the summary shows the override as a code, so that it turns no cell backwards
    shown = [e.replace("\u202e", "[U+202E]") for e in emails]
    problems = {i["Row"]: i["Problem"].split(":")[0] for i in issues if i["Value"] in shown}
    assert [problems[row] for row in (2, 3, 4)] == [
        "the address has letters outside plain ASCII, like â",
        "the address has letters outside plain ASCII, like ë and ü",
        "the address has letters outside plain ASCII, like U+202E",
    ]


def test_an_overdue_report_is_waited_for_once(tmp_path: Path) -> None:
    # Asked for on 1 September, 12 weeks before the report date: past the 6 weeks the team
    # waits before chasing. One report, so one line under "Waiting for you", however late.
    run_rules(
        tmp_path,
        trainee={
            "psychodynamic_training": "no",
            "supervisor": "L1",
            "reference_requested": "01/09/2026",
        },
        supervision=[sup(f"{d:02d}/04/2025", hours=1.5) for d in range(1, 6)],
    )
    digest = _digest(tmp_path, "L1")
    waiting = digest[digest.index("Waiting for you:") :].split("\n\n")[0].splitlines()[1:]
    assert [line for line in waiting if "report on Jane Smith" in line] == [
        "  * Overdue: your written report on Jane Smith. The leadership team asked for it on "
        "1 September 2026, 12 weeks ago, and has not received it yet (a reminder goes after "
        "6 weeks)."
    ]


def test_sharing_the_reference_is_asked_of_the_supervisor_when_the_letter_asks_for_it(
    tmp_path: Path,
) -> None:
    """The sample's T07 has every requirement met, a reference received and not shared, and
    does not feel ready yet: her letter asks her to ask her supervisor to share it, and her
    supervisor's digest said nothing of it. T19's reference is received too, but her
    supervision does not count yet: neither is asked."""
    out = tmp_path / "out"
    run_report(Path(__file__).resolve().parents[2] / "sample_data", out)
    month = out / "2026-11"
    letter = (month / "letters" / "T07.txt").read_text(encoding="utf-8")
    assert "Ask your supervisor to share their written reference with you." in letter
    digest = (month / "digests" / "L07.txt").read_text(encoding="utf-8")
    assert (
        "The leadership team has your reference for Hamish MacLeod: please share it with them "
        "too." in digest
    )
    assert "share" not in (month / "letters" / "T19.txt").read_text(encoding="utf-8")
    assert "Nadia Haddad: please share" not in (month / "digests" / "L04.txt").read_text(
        encoding="utf-8"
    )


def test_the_supervisor_hears_of_group_supervision_and_sign_offs_by_others(
    tmp_path: Path,
) -> None:
    """Both are the supervisor's to act on: how many trainees they supervise at once, and a
    competency signed off by someone who is not among the trainee's supervisors."""
    run_rules(
        tmp_path,
        trainee={"psychodynamic_training": "no", "supervisor": "L1"},
        supervision=[sup("01/04/2025", trainees_present=4)],
        portfolio=[comp(1, signed_off_by="L2")],
    )
    digest = _digest(tmp_path, "L1")
    assert (
        "Some of their supervision was in a group of more than two trainees: the guidance says "
        "supervision is normally one to one, or one to two." in digest
    )
    assert (
        "Some of their competencies have been signed off only by someone who is neither one of "
        "their supervisors nor an accredited leader experienced in supervision" in digest
    )


def test_supervision_with_another_leader_that_does_not_count_is_not_this_supervisor_s_task(
    tmp_path: Path,
) -> None:
    """Jane moved to Ann (L1) from Cat (L3), who is not accredited: Ann cannot correct Cat's
    record, and is not told Cat's standing; Jane's letter says why those sessions do not count."""
    out = run_rules(
        tmp_path,
        trainee={"psychodynamic_training": "no", "supervisor": "L1"},
        supervision=[sup("01/04/2025", "L3"), sup("01/05/2025", "L3"), sup("01/06/2025")],
    )
    digest = _digest(tmp_path, "L1")
    assert "Cat Novice" not in digest
    assert "do not count" not in digest
    assert "  Supervision and their supervisor's report: not yet met, 1 session" in digest
    assert "2 sessions (2 hours) with Cat Novice do not count" in out.letter


def test_a_supervisor_of_late_hears_of_the_trainee_though_the_register_names_another(
    tmp_path: Path,
) -> None:
    """José's register still names Cat (L3), whose sessions do not count; Ann (L1) has
    supervised him since October, the only supervision that counts. Ann's digest tells her of
    him, without the report the team asked of Cat; one of two years ago is no supervisor now."""
    run_rules(
        tmp_path,
        trainee={
            "psychodynamic_training": "no",
            "supervisor": "L3",
            "reference_requested": "01/11/2026",
        },
        supervision=[
            sup("01/03/2024", "L2"),
            sup("01/04/2025", "L3"),
            sup("14/10/2026"),
        ],
    )
    ann = _digest(tmp_path, "L1")
    assert "Jane Smith (T1): In progress" in ann
    assert "1 session with an eligible supervisor" in ann
    assert "written report" not in ann
    assert "Your written report on Jane Smith" in _digest(tmp_path, "L3")
    assert not (tmp_path / "out" / "2026-11" / "digests" / "L2.txt").exists()
