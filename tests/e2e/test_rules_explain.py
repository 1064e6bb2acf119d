"""`balint-reports rules explain` and `rules check`, through the CLI, on real ruleset files."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from balint_reports.explain import explain
from balint_reports.ruleset import builtin_names, builtin_ruleset

from ..conftest import run_cli

UK_2019 = resources.files("balint_reports").joinpath("rulesets", "uk-2019.toml").read_text("utf-8")

# Sentences a volunteer must find for each shipped ruleset: title, date, each requirement's
# count and threshold, filters, conditions on people, per-year and share routes, readiness,
# advice and the fee.
KEY_SENTENCES = {
    "uk-2019": [
        "Balint Society (UK) Required Experience and Training Programme, 2019",
        "Applies to trainees registered on or after 1 January 2019",
        "Requirements: a trainee must meet all 5.",
        "1. Experience as a Balint group member (membership)",
        "Met by any one of these 3 routes:",
        "Only for trainees whose register says psychodynamic training = yes",
        "only rows dated on or after the trainee's professional training from date",
        'Met at 8 or more ("member sessions during or after your professional training").',
        "only as ordinary group member or group member at a weekend",
        'Met at 20 or more ("co-led sessions").',
        "Counts different events (told apart by their event name and dates)",
        'Met at 5 or more ("competencies signed off").',
        "only sessions with a supervisor recorded in the leaders register as accredited and "
        "experienced in supervision",
        "Also needs the register's reference received date filled in (your supervisor's "
        "written report received).",
        "A trainee is ready to apply when every requirement is met",
        "- no_two_day_event: given when the trainee has been to a leadership event, but none "
        "of 2 days or more.",
        "- large_supervision_group: given when a supervision session had more than 2 trainees",
        "Supervision fee: £60 – £80 per hour",
    ],
    "bsanz-2021": [
        "Balint Society of Australia and New Zealand leader accreditation, 2021",
        "Applies to trainees registered on or after 1 June 2021",
        "only with a supervisor whom the leaders register says accredited = yes and leader "
        "trainer = yes for",
        'only where "provider" is bsanz',  # text is matched as names are: capitals aside
        'only where "six_monthly_report" says yes',
        "They are not ready before 24 months from their registered date",
        '- attendance register: "provider", "Run by", "Organiser", "Intensive provider" (text)',
        'Letters and digests say "accreditation" for accreditation and "Accreditation '
        'Committee" for the leadership team; leadership_weekend is called "intensive".',
        'Counts the "cases" column added up, from the attendance register, only as leader or '
        "co-leader, only rows dated on or after the trainee's registered date",
        'Met at 30 or more ("case discussions in groups you led or co-led").',
        "Met when each completed pathway year has 10 or more",
        "When it cannot be assessed, the letter asks for: the date you registered on the pathway.",
        '- no_cases_recorded: given when the "cases" column added up from the attendance '
        "register, only as leader or co-leader is below 1; and group sessions",
        "is at least 5.",
        "Supervision fee: none suggested; no cost is shown.",
    ],
    "abs-credentialing": [
        "American Balint Society Balint leader credentialing",
        "Met when every month of the last 24 months, up to and including the report date's "
        'month, has 1 or more ("sessions led or co-led a month")',
        'only where "recorded" says yes',
        "At least 2 completed pathway years are needed as well.",
        "only events of 4 or more days (an event lasts its largest days, or its number of "
        "dates if more)",
        "only rows dated on or before the trainee's application approved date",
        "Also needs the register's application approved date filled in",
        "A trainee is ready to apply when every requirement is met, the register says evaluated",
        '- trainees register: "evaluated", "Evaluated at credentialing intensive", "Evaluated" '
        "(yes/no)",
        "Supervision fee: none suggested; no cost is shown.",
        'Letters and digests say "credentialing" for accreditation and "Council" for the '
        "leadership team",
    ],
    "uk-2023-example": [
        "(fictional example)",
        "Applies to trainees registered on or after 1 June 2023",
        "only rows dated on or after the trainee's registered date and less than 5 years after it",
        'Met when the part of them where "format" is face to face is at least 50%',
        "Supervision fee: £70 – £90 per hour",
    ],
}


def test_every_shipped_ruleset_has_key_sentences() -> None:
    assert sorted(KEY_SENTENCES) == builtin_names()


@pytest.mark.parametrize("ruleset_id", sorted(KEY_SENTENCES))
def test_explain_says_each_shipped_ruleset_in_plain_words(ruleset_id: str) -> None:
    result = run_cli("rules", "explain", ruleset_id)
    assert result.exit_code == 0, result.output
    # the readiness rule is wrapped to the terminal's width: compare words, not line breaks
    words = " ".join(result.output.split())
    for sentence in KEY_SENTENCES[ruleset_id]:
        assert " ".join(sentence.split()) in words, sentence
    rules = builtin_ruleset(ruleset_id)
    # every requirement, route label, advice code and message is there, in file order
    for q in rules.requirements:
        assert f"({q.id})" in result.output
        assert f"Next step while it is not met: {q.next_step}" in result.output
        for route in q.routes:
            assert f'("{route.label}")' in result.output
    for advice in rules.advice:
        assert f"- {advice.code}: given when " in result.output
        assert f'The letter says: "{advice.message}"' in result.output
    # no Python leaking through: reprs, None, tuples, raw floats (outside the quoted wording,
    # where a letter may well say "None of your co-leading...")
    ours = re.sub(r'"[^"]*"', '""', result.output)
    for leak in ("Route(", "Requirement(", "None", "()", "('", "True", "False", ".0 "):
        assert leak not in ours, leak


def test_explain_is_the_module_text() -> None:
    # the CLI prints what the pure function returns, nothing more
    assert run_cli("rules", "explain", "uk-2019").output == explain(builtin_ruleset("uk-2019"))


def test_explain_reads_a_file_and_shows_its_per_year_minimum_and_until(tmp_path: Path) -> None:
    text = UK_2019.replace('id = "uk-2019"', 'id = "society-2025"').replace(
        'count = "rows"\ncounterpart = "eligible_supervisor"\ntarget = 1',
        'count = "hours"\ncounterpart = "eligible_supervisor"\nuntil = "reference_requested"\n'
        'per = "pathway_year"\nyears = 2\ntarget = 6',
    )
    text = text.replace(
        'requires_set = ["reference_received"]',
        'requires_set = ["reference_received"]\nmissing_data = "the date you registered"',
    )
    path = tmp_path / "society-2025.toml"
    path.write_text(text, encoding="utf-8")
    result = run_cli("rules", "explain", path)
    assert result.exit_code == 0, result.output
    assert f"Ruleset society-2025, from {path}." in result.output
    assert 'Counts hours of supervision (the "hours" column added up)' in result.output
    assert "only rows dated on or before the trainee's reference requested date" in result.output
    assert "Met when each completed pathway year has 6 or more" in result.output
    assert "At least 2 completed pathway years are needed as well." in result.output


def test_explain_unknown_ruleset_is_one_line(tmp_path: Path) -> None:
    result = run_cli("rules", "explain", "society-2099")
    assert result.exit_code == 1
    assert result.output == (
        "Error: society-2099: no such ruleset file or built-in ruleset "
        "(built in: abs-credentialing, bsanz-2021, uk-2019, uk-2023-example)\n"
    )


# --- rules check -------------------------------------------------------------------------


@pytest.mark.parametrize("ruleset_id", sorted(KEY_SENTENCES))
def test_check_passes_each_shipped_ruleset_with_one_line(tmp_path: Path, ruleset_id: str) -> None:
    path = tmp_path / f"{ruleset_id}.toml"
    text = resources.files("balint_reports").joinpath("rulesets", f"{ruleset_id}.toml")
    path.write_text(text.read_text("utf-8"), encoding="utf-8")
    result = run_cli("rules", "check", path)
    assert result.exit_code == 0, result.output
    rules = builtin_ruleset(ruleset_id)
    assert result.output.count("\n") == 1
    assert result.output.startswith(f"{path}: ruleset {ruleset_id} can be used: ")
    assert f"{len(rules.requirements)} requirements" in result.output


# (what is broken, how to break uk-2019's text, the exact message after the file name)
BROKEN = [
    pytest.param(
        ('target = 20\nlabel = "co-led sessions"', 'target = "20"\nlabel = "co-led sessions"'),
        "requirements[2].routes[1].target: expected a number, got '20'",
        id="wrong-type",
    ),
    pytest.param(
        (
            'count = "sessions"\nactivities = ["co_leader"]',
            'count = "sessions"\nactivity = ["co_leader"]',
        ),
        "requirements[2].routes[1].activity: unknown key",
        id="unknown-key",
    ),
    pytest.param(
        ('target = 20\nlabel = "co-led sessions"', 'label = "co-led sessions"'),
        "requirements[2].routes[1].target: expected a number, got 'nothing'",
        id="missing-threshold",
    ),
    pytest.param(
        ("low_per_hour = 60\nhigh_per_hour = 80", "low_per_hour = 80\nhigh_per_hour = 60"),
        "fee.low_per_hour: 80 is above high_per_hour 60: swap them",
        id="fee-upside-down",
    ),
    pytest.param(
        ('number = 5\nid = "ongoing_development"', 'number = 4\nid = "personal_style"'),
        "competencies: id personal_style is used more than once",
        id="competency-twice",
    ),
    pytest.param(
        ('count = "competencies"\n', 'count = "competencies"\ntarget = 6\n'),
        "requirements[4].routes[1].target: 6 competencies can never be signed off: "
        "the ruleset lists 5",
        id="portfolio-unreachable",
    ),
    pytest.param(
        ('missing_data = "whether you have psychoanalytic or psychodynamic training"\n', ""),
        "requirements[1].missing_data: membership depends on the register",
        id="when-without-missing-data",
    ),
]


@pytest.mark.parametrize(("change", "message"), BROKEN)
def test_check_names_file_and_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in UK_2019
    path = tmp_path / "society.toml"
    path.write_text(UK_2019.replace(old, new, 1), encoding="utf-8")
    result = run_cli("rules", "check", path)
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}: {message}"), result.output
    assert "Traceback" not in result.output


def test_check_lists_every_mistake_the_loader_lets_through(tmp_path: Path) -> None:
    path = tmp_path / "society.toml"
    text = UK_2019.replace(
        "low_per_hour = 60\nhigh_per_hour = 80", "low_per_hour = 90\nhigh_per_hour = 80"
    )
    text = text.replace('count = "competencies"\n', 'count = "competencies"\ntarget = 7\n')
    path.write_text(text, encoding="utf-8")
    result = run_cli("rules", "check", path)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}: fee.low_per_hour: 90 is above high_per_hour 80: swap them",
        f"{path}: requirements[4].routes[1].target: 7 competencies can never be signed off: "
        "the ruleset lists 5",
    ]


def test_check_a_file_that_is_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "society.toml"
    path.write_text("id = society\n", encoding="utf-8")
    result = run_cli("rules", "check", path)
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}: not valid TOML: ")


def test_check_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("rules", "check", tmp_path / "nope.toml")
    assert result.exit_code == 2
    assert "does not exist" in result.output
