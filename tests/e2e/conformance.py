"""The case runner every conformance suite shares (tests/e2e/test_conformance_<id>.py).

A suite is a table of `Case`s, one trainee (T1) each, and a one-line test that hands each case
to `check_case` with its ruleset's id: a society's volunteer reads, and extends, only the
table. `check_case` runs `balint-reports run` with that ruleset alone, and checks that the
Requirements sheet and progress.json both say the case's status and numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from balint_reports.labels import OVERALL_WORDS

from .rules_inbox import LEADERS, Outcome, run_rules


@dataclass(frozen=True)
class Case:
    """T1's register fields and rows, and what the ruleset must say about one requirement."""

    requirement: str
    register: dict
    status: str  # met, not_met or cannot_assess
    achieved: float | None  # the count shown; None when it cannot be assessed
    target: float | None  # None: not checked (what a requirement that cannot be assessed
    # shows as its target is not part of the rules)
    attendance: list = field(default_factory=list)
    supervision: list = field(default_factory=list)
    portfolio: list = field(default_factory=list)
    decisions: list = field(default_factory=list)
    route: str | None = None  # the route the letter shows, when it is not the first


def run_case(
    tmp_path: Path,
    ruleset: str,
    register: dict,
    rows: Mapping[str, Sequence[dict]],
    leaders: Sequence[Sequence[object]] = LEADERS,
    headings: Mapping[str, str] | None = None,
) -> Outcome:
    """Run T1 with `register` fields and `rows` (attendance=..., supervision=...) under
    `ruleset` alone; `headings`: register fields written under a ruleset's own headings."""
    named = {(headings or {}).get(k, k): v for k, v in register.items()}
    return run_rules(tmp_path, named, **rows, rules=[ruleset], leaders=leaders)


def check_case(
    tmp_path: Path,
    case: Case,
    ruleset: str,
    leaders: Sequence[Sequence[object]] = LEADERS,
    headings: Mapping[str, str] | None = None,
) -> Outcome:
    """Run one case under `ruleset` and assert its requirement's status and numbers."""
    rows = {
        "attendance": case.attendance,
        "supervision": case.supervision,
        "portfolio": case.portfolio,
        "decisions": case.decisions,
    }
    out = run_case(tmp_path, ruleset, case.register, rows, leaders, headings)
    assert out.progress["ruleset"] == ruleset
    status, achieved, target = out.requirement(case.requirement)
    result = out.progress["requirements"][case.requirement]
    if case.route:
        # a route other than the first: its own count is in the detail and the letter
        assert case.achieved is not None and case.target is not None
        assert (status, result["route"]) == (case.status, case.route)
        if case.achieved < case.target:
            assert f"{case.achieved:g} of {case.target:g} {case.route}" in result["detail"]
        else:
            assert f"{case.achieved:g} {case.route} ({case.target:g} needed)" in result["detail"]
    elif case.status == "cannot_assess":
        assert (status, achieved) == (case.status, None)
        assert out.progress["overall"] == "needs_data"
    else:
        assert (status, achieved, target) == (case.status, case.achieved, case.target)
    return out


def check_overall(out: Outcome, overall: str) -> None:
    """The trainee's overall status, in progress.json and in words on the Overview sheet."""
    assert out.progress["overall"] == overall
    assert out.overview["Overall"] == OVERALL_WORDS[overall]
