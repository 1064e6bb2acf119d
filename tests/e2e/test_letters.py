"""Letters: email-safe HTML, the same content as text, one trainee's data only."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from ..conftest import TRAINEE_HEADER, run_report, trainee_row, write_csv, write_xlsx


@pytest.fixture
def letters(inbox: Path, tmp_path: Path) -> Path:
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Sophie Weekend", psychodynamic_training="yes"),
                trainee_row("T2", "Oliver Other", psychodynamic_training="no", status="paused"),
                trainee_row("T3", "Wendy Withdrawn", status="withdrawn"),
                trainee_row("T4", "Adam Accredited", status="accredited"),
            ],
            "Leaders": [["leader_id", "name", "accredited"], ["L1", "Ann Leader", "yes"]],
        },
    )
    (inbox / "balint.toml").write_text(
        '[report]\nsociety = "The Test Society"\nsignature = "Dr A. Chair"\n'
        'contact_email = "team@example.org"\n',
        encoding="utf-8",
    )
    write_csv(
        inbox / "weekends.csv",
        [
            ["trainee", "date", "activity", "event", "notes"],
            ["T1", "05/03/2025", "weekend member", "Oxford 2025", '=HYPERLINK("http://x")'],
            ["T1", "05/09/2025", "weekend member", "York 2025", ""],
            ["T1", "06/09/2025", "member", "Tuesday", ""],
            ["T2", "06/09/2025", "member", "Tuesday", ""],
        ],
    )
    run_report(inbox, tmp_path / "out")
    return tmp_path / "out" / "2026-11" / "letters"


def test_letters_only_for_active_and_paused(letters: Path) -> None:
    assert sorted(p.name for p in letters.iterdir()) == ["T1.html", "T1.txt", "T2.html", "T2.txt"]
    assert "paused" in (letters / "T2.txt").read_text(encoding="utf-8")


def test_html_is_email_safe(letters: Path) -> None:
    html = (letters / "T1.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    # One style block, for printing only: screens and email clients go by the inline styles.
    styles = re.findall(r"<style[^>]*>(.*?)</style>", html, re.S | re.I)
    assert len(styles) == 1 and styles[0].strip().startswith("@media print {")
    assert styles[0].strip().endswith("}") and styles[0].count("@media") == 1
    assert "<link" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["'](?!mailto:)""", html)
    assert "http" not in html
    bars = re.findall(r'<td width="(\d+)%" height="14" style="background-color:([^;]+);', html)
    assert bars, "each requirement has a table-cell progress bar with inline styles"


def test_letter_is_signed_from_the_config_and_dated(letters: Path) -> None:
    text = (letters / "T1.txt").read_text(encoding="utf-8")
    assert text.startswith("The Test Society · 30 November 2026")
    assert "Dear Sophie Weekend," in text
    assert "Dr A. Chair\nThe Test Society" in text
    assert "team@example.org" in text


def test_bar_follows_the_route_that_was_met(letters: Path) -> None:
    text = (letters / "T1.txt").read_text(encoding="utf-8")
    assert (
        "[####################] 2 Balint Society weekends as an ordinary group member "
        "(2 needed). Done." in text
    )
    html = (letters / "T1.html").read_text(encoding="utf-8")
    assert (
        "<strong>2</strong> Balint Society weekends as an ordinary group member (2 needed)" in html
    )


def test_text_and_html_carry_the_same_content(letters: Path) -> None:
    text = (letters / "T2.txt").read_text(encoding="utf-8")
    html = (letters / "T2.html").read_text(encoding="utf-8")
    for needle in (
        "Co-leading Balint groups",
        "co-led sessions (0%)",
        "20 more to go.",
        "member sessions in an ongoing group or at Balint Society weekends (5%)",
        "nothing is expected of you until you resume",
        "6 September 2025: group member, Tuesday",
    ):
        assert needle in text and needle in html, needle
    assert "THE RECORDS WE COUNTED" in text and "The records we counted" in html
    # T2 is paused: no next step, for a requirement or overall
    assert "as an ordinary member." not in text + html
    assert "next step" not in (text + html).lower()


def test_a_letter_shows_one_trainee_only(letters: Path) -> None:
    for name, others in (("T1", ("Oliver", "Wendy", "Adam")), ("T2", ("Sophie", "Wendy", "Adam"))):
        for suffix in (".html", ".txt"):
            content = (letters / f"{name}{suffix}").read_text(encoding="utf-8")
            assert not any(other in content for other in others)


def test_ids_that_clean_to_the_same_name_get_their_own_letters(inbox: Path, tmp_path: Path) -> None:
    people = [("T 1", "Alice A"), ("T_1", "Bob B"), ("T1.", "Carl C"), ("T1", "Dora D")]
    write_xlsx(
        inbox / "registers.xlsx",
        {"Trainees": [TRAINEE_HEADER, *(trainee_row(i, n) for i, n in people)]},
    )
    progress = run_report(inbox, tmp_path / "out")
    folder = tmp_path / "out" / "2026-11"
    book = openpyxl.load_workbook(folder / "summary.xlsx", read_only=True)
    rows = list(book["Overview"].iter_rows(values_only=True))
    letter_of = {r[0]: r[rows[0].index("Letter")] for r in rows[1:]}
    assert len(set(letter_of.values())) == 4
    for trainee_id, name in people:
        assert f"Dear {name}," in (folder / letter_of[trainee_id]).read_text(encoding="utf-8")
    assert len(list((folder / "letters").glob("*.html"))) == 4
    assert len(progress["trainees"]) == 4


def test_sessions_outside_a_routes_dates_are_said_inside_the_requirement(
    inbox: Path, tmp_path: Path
) -> None:
    """'0 of 8 sessions after your professional training' with eight sessions before it must
    say why they do not count, and by which date; a trainee without that training, whose
    route has no such date, is told nothing of the kind; one with no date recorded, that
    every session counted for want of it."""
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row(
                    "T1",
                    "Fatima Early",
                    psychodynamic_training="yes",
                    professional_training_from="01/06/2025",
                ),
                trainee_row(
                    "T2",
                    "Noel Notrained",
                    psychodynamic_training="no",
                    professional_training_from="01/06/2025",
                ),
                trainee_row("T3", "Dina Undated", psychodynamic_training="yes"),
            ],
            "Leaders": [["leader_id", "name", "accredited"], ["L1", "Ann Leader", "yes"]],
        },
    )
    rows = [["trainee", "date", "activity", "event"]]
    for trainee in ("T1", "T2", "T3"):
        rows += [[trainee, f"{day:02}/03/2024", "member", "Tuesday"] for day in range(1, 8)]
        rows.append([trainee, "05/07/2025", "member", "Tuesday"])
    write_csv(inbox / "group.csv", rows)
    run_report(inbox, tmp_path / "out")
    letters = tmp_path / "out" / "2026-11" / "letters"
    said = (
        "7 sessions do not count here: they are dated before your professional training "
        "began (1 June 2025). If that date is wrong, please let us know."
    )
    early = (letters / "T1.txt").read_text(encoding="utf-8")
    membership = early.split("Experience as a Balint group member:")[1].split("\n\n")[0]
    assert "1 of 8 member sessions during or after your professional training" in membership
    assert said in membership
    assert said in (letters / "T1.html").read_text(encoding="utf-8")
    assert "do not count here" not in (letters / "T2.txt").read_text(encoding="utf-8")
    # without the date, every session counts: true, and the trainee may know better
    undated = (letters / "T3.txt").read_text(encoding="utf-8")
    assert "8 member sessions during or after your professional training (8 needed)" in undated
    assert (
        "We have no date for when your professional training began, so all your sessions "
        "count here: if you have one, please let us know." in undated
    )
    assert "We have no date" not in early


def test_an_unnamed_event_of_several_dates_says_it_counts_as_one(
    inbox: Path, tmp_path: Path
) -> None:
    """Two training days two days apart with no event name are one event by the rules: the
    letter listed both dates and said '1 of 2' with nothing to say why."""
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Lena Days", psychodynamic_training="no"),
                trainee_row("T2", "Nora Named", psychodynamic_training="no"),
            ],
        },
    )
    write_csv(
        inbox / "days.csv",
        [
            ["trainee", "date", "activity", "event"],
            ["T1", "13/06/2026", "leadership day", ""],
            ["T1", "15/06/2026", "leadership day", ""],
            ["T2", "13/06/2026", "leadership day", "Manchester day"],
            ["T2", "15/06/2026", "leadership day", "Leeds day"],
        ],
    )
    progress = run_report(inbox, tmp_path / "out")
    achieved = {
        t["trainee_id"]: t["requirements"]["leadership_training"]["achieved"]
        for t in progress["trainees"]
    }
    assert achieved == {"T1": 1, "T2": 2}
    letters = tmp_path / "out" / "2026-11" / "letters"
    lena = " ".join((letters / "T1.txt").read_text(encoding="utf-8").split())
    assert (
        "Your records of 13 June 2026 and 15 June 2026 count as one event: they have no event "
        "name and are 3 days or less apart. If they were separate events, please tell us their "
        "names." in lena
    )
    assert "count as one event" not in (letters / "T2.txt").read_text(encoding="utf-8")
