"""The ruleset language of issue 15: readiness as data and the additions other societies need.

Each case writes a small ruleset beside its assertion, runs the CLI with `--rules FILE` on a
one-trainee inbox and reads back what was written (docs/rulesets.md has the same examples).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from balint_reports.errors import RulesetError
from balint_reports.ruleset import parse_ruleset

from .conftest import run_cli
from .rules_inbox import att, run_rules

HEAD = """
id = "test-society"
title = "A test society"
effective_from = 2019-01-01

[wording]
ready = "Ready."
all_met_not_ready = "All met."
needs_data = "We need:"
in_progress = "In progress."
"""

TWO_REQUIREMENTS = """
[[requirements]]
id = "core"
title = "Core"
what_counts = "Two co-led sessions."
unit = "sessions"
next_step = "Co-lead."

[[requirements.routes]]
source = "attendance"
count = "sessions"
activities = ["co_leader"]
target = 2
label = "co-led sessions"

[[requirements]]
id = "desirable"
title = "Desirable"
what_counts = "A hundred member sessions, desirable only."
unit = "sessions"
next_step = "Join a group."

[[requirements.routes]]
source = "attendance"
count = "sessions"
activities = ["member"]
target = 100
label = "member sessions"
"""

READINESS = """
[readiness]
requirements = ["core"]
fields = ["feels_ready", "reference_received"]
order = ["reference_requested", "reference_received"]

[wording.steps]
feels_ready = "Say when you feel ready."
reference_requested = "Ask your supervisor for the final report."
reference_received = "The final report was asked for on {reference_requested}: chase it."
"""


def write(tmp_path: Path, text: str, name: str = "society.toml") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + text, encoding="utf-8")
    return path


CO_LED = [att("01/03/2025", "co_leader"), att("08/03/2025", "co_leader")]


def test_readiness_is_the_rulesets_requirements_fields_and_order(tmp_path: Path) -> None:
    rules = write(tmp_path, TWO_REQUIREMENTS + READINESS)
    # Core met, the desirable one not: readiness waits only on the register fields, in order.
    asked = run_rules(tmp_path / "a", {"feels_ready": "yes"}, CO_LED, rules=[rules])
    assert asked.progress["overall"] == "in_progress"
    assert asked.requirement("desirable")[0] == "not_met"
    assert asked.progress["next_step"] == "Ask your supervisor for the final report."
    chased = run_rules(
        tmp_path / "b",
        {"feels_ready": "yes", "reference_requested": "02/10/2026"},
        CO_LED,
        rules=[rules],
    )
    assert chased.progress["next_step"] == (
        "The final report was asked for on 2 October 2026: chase it."
    )
    # No reference shared or forwarded is asked for: this society's rule does not have them.
    ready = run_rules(
        tmp_path / "c",
        {"feels_ready": "yes", "reference_received": "01/11/2026"},
        CO_LED,
        rules=[rules],
    )
    assert ready.progress["overall"] == "ready"
    assert ready.progress["next_step"] == "Ready."
    not_feeling = run_rules(
        tmp_path / "d", {"reference_received": "01/11/2026"}, CO_LED, rules=[rules]
    )
    assert not_feeling.progress["overall"] == "in_progress"
    assert not_feeling.progress["next_step"] == "Say when you feel ready."


def test_without_readiness_a_ruleset_keeps_the_uk_rule(tmp_path: Path) -> None:
    rules = write(tmp_path, TWO_REQUIREMENTS.split('[[requirements]]\nid = "desirable"')[0])
    done = {"feels_ready": "yes", "reference_received": "01/11/2026"}
    waiting = run_rules(tmp_path / "a", done, CO_LED, rules=[rules])
    assert waiting.progress["overall"] == "in_progress"
    shared = {**done, "reference_shared": "02/11/2026", "reference_forwarded": "03/11/2026"}
    assert run_rules(tmp_path / "b", shared, CO_LED, rules=[rules]).progress["overall"] == "ready"


@pytest.mark.parametrize(
    ("readiness", "key"),
    [
        ('requirements = ["nope"]', "readiness.requirements"),
        ('fields = ["shoe_size"]', "readiness.fields"),
        ('order = ["feels_ready"]', "readiness.order"),
        ("colour = 1", "readiness.colour: unknown key"),
    ],
)
def test_a_wrong_readiness_names_the_key(readiness: str, key: str) -> None:
    text = HEAD + TWO_REQUIREMENTS + "\n[readiness]\n" + readiness + "\n"
    with pytest.raises(RulesetError, match=key.replace(".", r"\.")):
        parse_ruleset(text, "society.toml")


def test_explain_says_the_readiness_rule(tmp_path: Path) -> None:
    rules = write(tmp_path, TWO_REQUIREMENTS + READINESS)
    result = run_cli("rules", "explain", rules)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert (
        "A trainee is ready to apply when these requirements are met: Core (core), the "
        "register says feels ready = yes, and the reference received date is filled in."
    ) in text
    assert '- reference received: "The final report was asked for on' in text
