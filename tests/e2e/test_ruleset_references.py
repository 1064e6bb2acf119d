"""A ruleset's references (docs/rulesets.md, References): the reference-order warnings, the
digest's "waiting for you" and the overdue chase follow the references of the trainee's own
ruleset (its [readiness] order, or its [[references]]: several, with dates of its own, written
by the supervisor or by someone else such as a co-leader), not the UK's four register dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import balint_reports
from balint_reports.errors import RulesetError
from balint_reports.ruleset import Readiness, default_references, parse_ruleset

from ..conftest import run_cli
from .rules_inbox import Outcome, run_rules, sup

UK = (Path(balint_reports.__file__).parent / "rulesets" / "uk-2019.toml").read_text("utf-8")

# uk-2019's requirements and words, with a co-leader's report beside the supervisor's, and the
# supervisor's report kept in dates of the society's own ("Final report ...").
TWO_REPORTS = """
[[columns]]
kind = "trainees"
name = "final_report_requested"
type = "date"
aliases = ["Final report requested"]

[[columns]]
kind = "trainees"
name = "final_report_received"
type = "date"
aliases = ["Final report received"]

[[columns]]
kind = "trainees"
name = "co_leader_report_requested"
type = "date"
aliases = ["Co-leader report requested"]

[[columns]]
kind = "trainees"
name = "co_leader_report_received"
type = "date"
aliases = ["Co-leader report received"]

[[references]]
name = "final report"
requested = "final_report_requested"
received = "final_report_received"

[[references]]
name = "co-leader's report"
by = "other"
requested = "co_leader_report_requested"
received = "co_leader_report_received"
"""


def two_reports(tmp_path: Path) -> Path:
    """uk-2019 with the two references above, as a society's own file."""
    path = tmp_path / "two-reports.toml"
    text = UK.replace('id = "uk-2019"', 'id = "two-reports"').replace(
        "\n[wording]\n", TWO_REPORTS + "\n[wording]\n", 1
    )
    path.write_text(text, encoding="utf-8")
    return path


def warnings(out: Outcome) -> dict[str, str]:
    """The register's warnings for T1, problem by column."""
    return {
        i["column"]: i["problem"]
        for i in out.document["issues"]
        if i["severity"] == "warning" and i["sheet"] == "Trainees" and i["row"] == 2
    }


def digest(tmp_path: Path) -> str:
    return (tmp_path / "out" / "2026-11" / "digests" / "L1.txt").read_text(encoding="utf-8")


def day(d: int, m: int, y: int = 2026) -> dt.date:
    return dt.date(y, m, d)


ORDER = [
    # uk-2019: all four steps, the team's name in the forwarding step.
    pytest.param(
        "uk-2019",
        {"reference_shared": day(1, 10), "reference_forwarded": day(30, 9)},
        {"reference_forwarded": "the reference was forwarded to the leadership team on"},
        id="uk-forwarded-before-shared",
    ),
    # bsanz-2021's final report is requested, then received: sharing and forwarding are not
    # its steps, so their dates are nobody's concern ...
    pytest.param(
        "bsanz-2021",
        {"reference_shared": day(1, 10), "reference_forwarded": day(30, 9)},
        {},
        id="bsanz-no-sharing-step",
    ),
    # ... but received before requested is.
    pytest.param(
        "bsanz-2021",
        {"reference_requested": day(1, 10), "reference_received": day(30, 9)},
        {"reference_received": "the reference was received on 30 September 2026, before it was"},
        id="bsanz-received-before-requested",
    ),
    # abs-credentialing has no reference at all.
    pytest.param(
        "abs-credentialing",
        {"reference_requested": day(1, 10), "reference_received": day(30, 9)},
        {},
        id="abs-no-reference",
    ),
]


@pytest.mark.parametrize(("ruleset", "dates", "expected"), ORDER)
def test_reference_order_follows_the_trainees_ruleset(
    tmp_path: Path, ruleset: str, dates: dict, expected: dict
) -> None:
    out = run_rules(tmp_path, dates, supervision=[sup(day(1, 1), "L1")], rules=[ruleset])
    found = warnings(out)
    assert set(found) == set(expected)
    for column, words in expected.items():
        assert words in found[column]


def test_several_references_each_keep_their_own_order(tmp_path: Path) -> None:
    rules = two_reports(tmp_path)
    register = {
        "Final report requested": day(1, 10),
        "Final report received": day(30, 9),
        "Co-leader report requested": day(2, 10),
        "Co-leader report received": day(1, 10),
        # the UK's own dates mean nothing to this ruleset
        "reference_requested": day(1, 10),
        "reference_received": day(30, 9),
    }
    out = run_rules(tmp_path, register, supervision=[sup(day(1, 1), "L1")], rules=[rules])
    found = warnings(out)
    assert set(found) == {"final_report_received", "co_leader_report_received"}
    assert found["final_report_received"].startswith(
        "the final report was received on 30 September 2026, before it was requested on "
        "1 October 2026"
    )
    assert found["co_leader_report_received"].startswith(
        "the co-leader's report was received on 1 October 2026, before it was requested on "
        "2 October 2026"
    )


def test_a_final_report_received_before_any_eligible_supervision_warns(tmp_path: Path) -> None:
    out = run_rules(
        tmp_path,
        {"Final report received": day(1, 10)},
        supervision=[sup(day(2, 10), "L1")],
        rules=[two_reports(tmp_path)],
    )
    assert warnings(out)["final_report_received"].startswith(
        "the final report was received on 1 October 2026, before the first supervision session "
        "with an eligible supervisor on 2 October 2026"
    )


def test_the_digest_waits_for_the_supervisors_own_report_only(tmp_path: Path) -> None:
    register = {
        "supervisor": "L1",
        "Final report requested": day(1, 9),
        "Co-leader report requested": day(1, 9),
        "reference_requested": day(1, 9),  # not this ruleset's: asks for nothing
    }
    run_rules(tmp_path, register, rules=[two_reports(tmp_path)])
    text = digest(tmp_path)
    # 12 weeks on, past the 6 the team waits before chasing: one line says both
    assert (
        "Overdue: your final report on Jane Smith. The leadership team asked for it on "
        "1 September 2026, 12 weeks ago, and has not received it yet" in text
    )
    assert text.count("final report on Jane Smith") == 1
    assert "co-leader" not in text.casefold()
    assert "written report" not in text


@pytest.mark.parametrize(
    ("ruleset", "dates", "awaited"),
    [
        # uk-2019: received and the trainee feels ready, so the supervisor shares it
        pytest.param(
            "uk-2019",
            {"reference_received": day(1, 10), "feels_ready": "yes"},
            "Jane Smith feels ready to apply: please share your reference with them.",
            id="uk-share",
        ),
        # bsanz-2021: received is the last step; nothing more is asked of the supervisor
        pytest.param(
            "bsanz-2021",
            {"reference_received": day(1, 10), "feels_ready": "yes"},
            None,
            id="bsanz-received-is-the-end",
        ),
        pytest.param(
            "bsanz-2021",
            {"reference_requested": day(1, 11)},
            "Your written report on Jane Smith: the Accreditation Committee asked for it on "
            "1 November 2026",
            id="bsanz-requested",
        ),
        # abs-credentialing asks no reference of the supervisor, whatever the register says
        pytest.param("abs-credentialing", {"reference_requested": day(1, 1)}, None, id="abs"),
    ],
)
def test_the_digest_follows_the_rulesets_reference_steps(
    tmp_path: Path, ruleset: str, dates: dict, awaited: str | None
) -> None:
    run_rules(tmp_path, {"supervisor": "L1", **dates}, rules=[ruleset])
    text = digest(tmp_path)
    if awaited is None:
        assert "Waiting for you" not in text
        assert "report on Jane Smith" not in text
        assert "your reference" not in text
    else:
        assert awaited in text


@pytest.mark.parametrize(
    ("reference", "key"),
    [
        pytest.param('received = "reference_recieved"', "references[1].received", id="typo"),
        pytest.param('requested = "reference_requested"', "references[1].received", id="none"),
        pytest.param(
            'received = "reference_received"\nby = "co_leader"', "references[1].by", id="by"
        ),
        pytest.param('received = "reference_received"\nwho = "x"', "references[1].who", id="key"),
    ],
)
def test_a_wrong_reference_names_the_key(reference: str, key: str) -> None:
    text = UK.replace("\n[wording]\n", f"\n[[references]]\n{reference}\n\n[wording]\n", 1)
    with pytest.raises(RulesetError) as raised:
        parse_ruleset(text, "society.toml")
    assert str(raised.value).startswith(f"society.toml: {key}: ")


def test_explain_lists_the_references(tmp_path: Path) -> None:
    result = run_cli("rules", "explain", two_reports(tmp_path))
    assert result.exit_code == 0, result.output
    assert (
        "  - final report, written by the supervisor: requested (final report requested), "
        "received (final report received)\n"
        "  - co-leader's report, written by someone else: requested (co leader report "
        "requested), received (co leader report received)\n" in result.output
    )
    # uk-2019's one reference is its readiness order, said there already
    assert "References" not in run_cli("rules", "explain", "uk-2019").output


def test_an_order_without_a_received_date_makes_no_reference_to_chase() -> None:
    # A report that can never be seen as received would be chased for ever: without a
    # received date in the order there is no supervisor's reference at all.
    assert default_references(Readiness(order=("reference_requested",))) == ()
    (uk,) = default_references(Readiness())
    assert (uk.field("requested"), uk.received) == ("reference_requested", "reference_received")
