"""Rulesets: the shipped uk-2019 loads; a broken file is one clear line naming file and key."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from balint_reports.errors import RulesetError
from balint_reports.ruleset import builtin_ruleset, load_ruleset

from ..conftest import TRAINEE_HEADER, run_cli, run_report, trainee_row, write_xlsx

UK_2019 = resources.files("balint_reports").joinpath("rulesets", "uk-2019.toml").read_text("utf-8")


def test_uk_2019_loads_with_the_spec_thresholds() -> None:
    rules = builtin_ruleset("uk-2019")
    assert (rules.id, str(rules.effective_from)) == ("uk-2019", "2019-01-01")
    assert [q.id for q in rules.requirements] == [
        "membership",
        "co_leading",
        "leadership_training",
        "portfolio",
        "supervision",
    ]
    targets = {q.id: [r.target for r in q.routes] for q in rules.requirements}
    assert targets == {
        "membership": [8, 2, 20],
        "co_leading": [20],
        "leadership_training": [2],
        "portfolio": [5],
        "supervision": [1],
    }
    assert [(c.number, c.id) for c in rules.competencies] == [
        (1, "safe_frame"),
        (2, "relationship_focus"),
        (3, "group_process"),
        (4, "personal_style"),
        (5, "ongoing_development"),
    ]
    assert [a.code for a in rules.advice] == [
        "single_setting",
        "solo_leading_only",
        "no_accredited_coleader",
        "no_two_day_event",
        "no_supervision",
        "ineligible_supervisor",
        "large_supervision_group",
        "coleader_not_in_supervision",
        "signoff_not_by_supervisor",
        "triangulation_missing",
    ]
    assert (rules.fee.low_per_hour, rules.fee.high_per_hour) == (60, 80)


def _broken(old: str, new: str) -> str:
    assert UK_2019.count(old) >= 1, old
    return UK_2019.replace(old, new, 1)


# (what is broken, the ruleset text, words the error must contain after the file name)
BROKEN = [
    pytest.param(
        _broken('id = "uk-2019"', 'id = "uk-2019'), ["not valid TOML", "line 5"], id="syntax"
    ),
    pytest.param(
        _broken('id = "uk-2019"', 'id = "uk-2019"\ncolour = "red"'),
        ["colour: unknown key"],
        id="unknown-key",
    ),
    pytest.param(
        _broken('label = "co-led sessions"', 'label = "co-led sessions"\nminimum = 3'),
        ["requirements[2].routes[1].minimum: unknown key"],
        id="unknown-route-key",
    ),
    pytest.param(
        _broken('id = "uk-2019"\n', ""),
        ["id: expected text in quotes, got 'nothing'"],
        id="missing-id",
    ),
    pytest.param(
        _broken("effective_from = 2019-01-01", 'effective_from = "2019-01-01"'),
        ["effective_from: expected a date"],
        id="date-as-text",
    ),
    pytest.param(
        _broken('target = 20\nlabel = "co-led', 'target = "twenty"\nlabel = "co-led'),
        ["requirements[2].routes[1].target: expected a number, got 'twenty'"],
        id="target-text",
    ),
    pytest.param(
        _broken('target = 20\nlabel = "co-led', 'target = true\nlabel = "co-led'),
        ["requirements[2].routes[1].target: expected a number"],
        id="target-bool",
    ),
    pytest.param(
        _broken("low_per_hour = 60", "low_per_hour = [60]"),
        ["fee.low_per_hour: expected a number"],
        id="fee-list",
    ),
    pytest.param(
        _broken('activities = ["co_leader"]', 'activities = ["co_leeder"]'),
        ["requirements[2].routes[1].activities: expected activities from", "co_leeder"],
        id="unknown-activity",
    ),
    pytest.param(
        _broken('count = "rows"', 'count = "sessions"'),
        ["requirements[5].routes[1].count: expected for supervision, one of rows, hours"],
        id="sessions-of-supervision",
    ),
    pytest.param(
        _broken(
            'count = "sessions"\nactivities = ["co_leader"]',
            'count = "hours"\nactivities = ["co_leader"]',
        ),
        ["requirements[2].routes[1].count: expected for attendance"],
        id="hours-of-attendance",
    ),
    pytest.param(
        _broken('source = "portfolio"', 'source = "diary"'),
        ["requirements[4].routes[1].source: expected one of attendance, supervision, portfolio"],
        id="unknown-source",
    ),
    pytest.param(
        _broken('code = "single_setting"', 'code = "single_venue"'),
        ["advice[1].code: expected one of", "single_venue"],
        id="unknown-advice",
    ),
    pytest.param(
        _broken("min_days = 2", 'min_days = "two"'),
        ["advice[4].min_days: expected a number"],
        id="advice-parameter-text",
    ),
    pytest.param(
        _broken("when = { psychodynamic_training = true }", "when = { psychodynamic = true }"),
        ["requirements[1].routes[1].when: expected register yes/no fields"],
        id="unknown-register-field",
    ),
    pytest.param(
        _broken("[wording.steps]", "[wording.steps]\nfeels_readdy = 'x'"),
        ["wording.steps.feels_readdy: unknown key"],
        id="unknown-step",
    ),
    pytest.param(
        _broken("requested on {reference_requested}", "requested on {requested}"),
        ["wording.steps.reference_received: expected text naming only register dates"],
        id="step-placeholder",
    ),
]


@pytest.mark.parametrize(("text", "words"), BROKEN)
def test_broken_ruleset_names_file_and_key(tmp_path: Path, text: str, words: list[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(RulesetError) as caught:
        load_ruleset(bad)
    message = str(caught.value)
    assert message.startswith(f"{bad}: ")
    for word in words:
        assert word in message
    assert "\n" not in message


@pytest.mark.parametrize(("text", "words"), BROKEN)
def test_cli_broken_rules_is_one_line_and_exit_1(
    tmp_path: Path, inbox: Path, text: str, words: list[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    result = run_cli("run", inbox, "--out", tmp_path / "out", "--rules", bad)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {bad}: ")
    assert result.output.count("\n") == 1
    for word in words:
        assert word in result.output
    assert not (tmp_path / "out").exists()


def test_cli_missing_rules_file(tmp_path: Path, inbox: Path) -> None:
    result = run_cli("run", inbox, "--out", tmp_path / "out", "--rules", tmp_path / "nope.toml")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {tmp_path / 'nope.toml'}: no such ruleset file or built-in ruleset "
        "(built in: abs-credentialing, bsanz-2021, uk-2019, uk-2023-example)\n"
    )


def test_cli_two_rulesets_with_one_id(tmp_path: Path, inbox: Path) -> None:
    copy = tmp_path / "copy.toml"
    copy.write_text(UK_2019, encoding="utf-8")
    result = run_cli("run", inbox, "--out", tmp_path / "out", "--rules", "uk-2019", "--rules", copy)
    assert result.exit_code == 1
    assert "id 'uk-2019' is also used by" in result.output


def test_each_trainee_keeps_the_ruleset_they_registered_under(tmp_path: Path, inbox: Path) -> None:
    # a later ruleset asking for 10 co-led sessions instead of 20
    later = _broken('id = "uk-2019"', 'id = "uk-2025"')
    later = later.replace("effective_from = 2019-01-01", "effective_from = 2025-01-01")
    later = later.replace('target = 20\nlabel = "co-led', 'target = 10\nlabel = "co-led')
    (tmp_path / "uk-2025.toml").write_text(later, encoding="utf-8")
    write_xlsx(
        inbox / "inbox.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Before", registered="31/12/2024"),
                trainee_row("T2", "On the day", registered="01/01/2025"),
                trainee_row("T3", "Unknown"),
            ],
            "Attendance": [
                ["trainee", "date", "activity", "sessions"],
                ["T1", "01/03/2025", "co_leader", 12],
                ["T2", "01/03/2025", "co_leader", 12],
                ["T3", "01/03/2025", "co_leader", 12],
            ],
        },
    )
    progress = run_report(
        inbox, tmp_path / "out", "--rules", tmp_path / "uk-2025.toml", "--rules", "uk-2019"
    )
    got = {
        t["trainee_id"]: (t["ruleset"], t["requirements"]["co_leading"]["status"])
        for t in progress["trainees"]
    }
    assert got == {
        "T1": ("uk-2019", "not_met"),
        "T2": ("uk-2025", "met"),
        "T3": ("uk-2025", "met"),
    }


def test_a_ruleset_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_bytes(b"\xff\xfe\x00id = 1")
    result = run_cli("run", tmp_path, "--out", tmp_path / "out", "--rules", bad)
    assert result.exit_code == 1 and "not a text file in UTF-8" in result.output
