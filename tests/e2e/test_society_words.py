"""A trainee under a society's ruleset gets a letter, and their supervisor a digest, in that
society's words (docs/rulesets.md, Vocabulary): the fixed sentences of wording.py (a waived
requirement, rows waiting on a fix, a report asked for and overdue, an issue on a row, rows
that do not count) say the ruleset's `[vocabulary]` team and its word for accreditation,
never the UK's "leadership team" where the ruleset names its own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import balint_reports

from .rules_inbox import att, decide, run_rules, sup

MONTH = "2026-11"

# Jane Smith, with no registered date (so each ruleset's per-year supervision cannot be
# assessed, and the team waives it), a report asked for in January and not received, one of
# her rows with a date nobody can read, one with her name misspelt, and a supervision mode the
# society does not know.
REGISTER = {"supervisor": "L1", "reference_requested": dt.date(2026, 1, 5)}
ROWS = {
    "attendance": [
        att(dt.date(2025, 3, 1), "co_leader", sessions=4, cases=6),
        att("31/02/2025", "co_leader", sessions=2),  # no such date: rejected
        att(dt.date(2025, 4, 1), "co_leader", trainee="Jane Smyth"),  # hers, perhaps
    ],
    "supervision": [sup(dt.date(2025, 5, 1), "L1", mode="WhatsApp")],
    "decisions": [
        decide("supervision", "waive", "01/10/2026", reason="supervised abroad"),
        decide("leading", "credit 2", "01/10/2026"),
        decide("leading_meetings", "credit 2", "01/10/2026"),
    ],
}

SOCIETIES = [
    # BSANZ keeps "accreditation"; its team is the Accreditation Committee.
    pytest.param("bsanz-2021", "Accreditation Committee", "accreditation", id="bsanz-2021"),
    # The American Balint Society says credentialing, and the Council decides.
    pytest.param("abs-credentialing", "Council", "credentialing", id="abs-credentialing"),
]


def _outputs(tmp_path: Path, supervisor: str = "L1") -> dict[str, str]:
    """T1's letter and their supervisor's digest, text and HTML, by file name."""
    month = tmp_path / "out" / MONTH
    files = [month / "letters" / f"T1.{x}" for x in ("txt", "html")]
    files += [month / "digests" / f"{supervisor}.{x}" for x in ("txt", "html")]
    return {f"{f.parent.name}/{f.name}": f.read_text(encoding="utf-8") for f in files}


@pytest.mark.parametrize(("ruleset", "team", "accreditation"), SOCIETIES)
def test_letters_and_digests_speak_the_societys_words(
    tmp_path: Path, ruleset: str, team: str, accreditation: str
) -> None:
    # Decisions on requirements another ruleset lacks are the team's mistakes, reported:
    # each society's run keeps only its own.
    rows = {
        **ROWS,
        "decisions": [d for d in ROWS["decisions"] if d["requirement"] != "leading"]
        if ruleset == "bsanz-2021"
        else [d for d in ROWS["decisions"] if d["requirement"] != "leading_meetings"],
    }
    run_rules(tmp_path, REGISTER, **rows, rules=[ruleset])
    outputs = _outputs(tmp_path)
    letter, digest = outputs["letters/T1.txt"], outputs["digests/L1.txt"]
    # Each sentence is there, in the society's words.
    assert f"Waived by the {team}" in letter
    assert f"The {team} waived this requirement on 1 October 2026: supervised abroad." in letter
    assert f"The {team} credited 2 towards this from your earlier experience" in letter
    assert f"the {team} is correcting it, and the list under Not counted" in letter
    assert f"mistake in the spreadsheet: the {team} is checking it." in letter
    assert f"could not match to you for certain: the {team} is checking" in letter
    assert f"waived by the {team}" in digest
    assert f"the row does not count until it is corrected, and the {team} is on it" in digest
    assert f"the row counts as it is while the {team} checks it" in digest
    assert f"not count until the {team} has corrected the name" in digest
    if ruleset == "bsanz-2021":  # the final report is its reference; abs-credentialing has none
        # overdue, 47 weeks on: one line, which says so
        assert f"The {team} asked for it on 5 January 2026, 47 weeks ago, and has not" in digest
    assert f"towards {accreditation}" in letter.casefold()
    # ... and nowhere the UK's.
    for name, text in outputs.items():
        assert "leadership team" not in text.casefold(), name
        if accreditation != "accreditation":
            assert "accreditation" not in text.casefold(), name


def test_supervision_that_does_not_count_is_told_in_the_societys_words(tmp_path: Path) -> None:
    """The ineligible-supervisor lines, under a society's file whose supervision route asks for
    an eligible supervisor (neither bsanz-2021 nor abs-credentialing has one): uk-2019's file
    with a [vocabulary] of its own."""
    uk = (Path(balint_reports.__file__).parent / "rulesets" / "uk-2019.toml").read_text("utf-8")
    rules = tmp_path / "society.toml"
    rules.write_text(
        uk.replace('id = "uk-2019"', 'id = "society-2026"').replace(
            "\n[wording]\n",
            '\n[vocabulary]\naccreditation = "credentialing"\nteam = "Council"\n\n[wording]\n',
            1,
        ),
        encoding="utf-8",
    )
    run_rules(
        tmp_path,
        {"supervisor": "L3", "psychodynamic_training": "no"},
        supervision=[sup(dt.date(2025, 4, d), "L3", hours=1.5) for d in (1, 2)],
        rules=[rules],
    )
    outputs = _outputs(tmp_path, "L3")
    assert (
        "2 sessions (3 hours) of supervision with you do not count towards credentialing: you "
        "are not recorded as an accredited Balint leader. If that is out of date, please tell "
        "the Council." in outputs["digests/L3.txt"]
    )
    assert (
        "2 sessions (3 hours) with Cat Novice do not count: Cat Novice is not recorded as an "
        "accredited Balint leader." in outputs["letters/T1.txt"]
    )


@pytest.mark.parametrize(("ruleset", "team", "accreditation"), SOCIETIES)
def test_a_note_to_a_spreadsheets_sender_is_signed_in_the_societys_words(
    tmp_path: Path, ruleset: str, team: str, accreditation: str
) -> None:
    # No signature in balint.toml: the note about inbox.xlsx's bad date is signed by the
    # society's own team, as its letters are.
    run_rules(tmp_path, REGISTER, **ROWS, rules=[ruleset])
    note = (tmp_path / "out" / MONTH / "feedback" / "inbox.xlsx.txt").read_text("utf-8")
    assert note.rstrip().splitlines()[-2:] == [f"The {team}", "The Balint Society"]
    assert "leadership team" not in note.casefold()
