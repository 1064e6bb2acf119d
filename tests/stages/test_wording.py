"""wording: the sentences letters are made of, checked on the shipped rulesets' own labels."""

from __future__ import annotations

import pytest

from balint_reports.wording import count_words, singular, third_person


@pytest.mark.parametrize(
    ("label", "one"),
    [
        ("co-led sessions", "co-led session"),
        ("leadership weekends or training days", "leadership weekend or training day"),
        (
            "member sessions in an ongoing group or at Balint Society weekends",
            "member session in an ongoing group or at Balint Society weekends",
        ),
        (
            "member sessions during or after your professional training",
            "member session during or after your professional training",
        ),
        ("competencies signed off", "competency signed off"),
        (
            "supervision sessions with an eligible supervisor",
            "supervision session with an eligible supervisor",
        ),
        ("sessions led or co-led a month", "session led or co-led a month"),
        (
            "case discussions in groups you led or co-led",
            "case discussion in groups you led or co-led",
        ),
        (
            "intensives (BSANZ, or approved international)",
            "intensive (BSANZ, or approved international)",
        ),
        ("six-monthly reports", "six-monthly report"),
        (
            "Balint Society weekends as an ordinary group member",
            "Balint Society weekend as an ordinary group member",
        ),
    ],
)
def test_a_label_reads_right_for_one(label: str, one: str) -> None:
    assert singular(label) == one
    assert count_words(1, label, "more") == f"1 more {one}"
    assert count_words(2, label, "more") == f"2 more {label}"


@pytest.mark.parametrize(
    ("written", "told"),
    [
        ("Supervision and your supervisor's report", "Supervision and their supervisor's report"),
        ("You have met every requirement", "They have met every requirement"),
        (
            "the leadership team can put you in touch with one",
            "the leadership team can put them in touch with one",
        ),
        ("review those competencies with you", "review those competencies with them"),
        (
            "Sessions give you and your supervisor time",
            "Sessions give them and their supervisor time",
        ),
        ("yours, if you can", "theirs, if they can"),
    ],
)
def test_third_person_tells_the_team_of_the_trainee(written: str, told: str) -> None:
    assert third_person(written) == told
