"""Each kind of rule a society may need is writable in TOML alone, and counts as written.

Every case writes a small ruleset file beside its assertion, runs the CLI with `--rules FILE`
on a one-trainee inbox and checks the requirement in progress.json and summary.xlsx.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ..conftest import run_cli
from .rules_inbox import att, run_rules, sup

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

ROOT = Path(__file__).resolve().parents[2]


def ruleset(tmp_path: Path, body: str) -> Path:
    """A ruleset file with one requirement `r` whose routes (and advice) are `body`."""
    path = tmp_path / "society.toml"
    path.write_text(
        HEAD
        + """
[[requirements]]
id = "r"
title = "The requirement"
what_counts = "What counts."
unit = "things"
next_step = "Do more."
missing_data = "your registration date"
"""
        + body,
        encoding="utf-8",
    )
    return path


def day(n: int, month: int = 3, year: int = 2025) -> dt.date:
    return dt.date(year, month, n)


def test_threshold_on_the_sum_of_a_column(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        """
[[requirements.routes]]
source = "attendance"
count = "sum"
column = "cases"
activities = ["co_leader"]
target = 30
label = "cases"
""",
    )
    rows = [
        att(day(1), "co_leader", cases=12),
        att(day(2), "co_leader", cases=17),
        att(day(3), "member", cases=9),  # not co-led: not counted
    ]
    assert run_rules(tmp_path, attendance=rows, rules=[rules]).requirement("r") == (
        "not_met",
        29,
        30,
    )
    rows.append(att(day(4), "co_leader", cases=1))
    again = run_rules(tmp_path / "2", attendance=rows, rules=[rules])
    assert again.requirement("r") == ("met", 30, 30)
    assert again.progress["ruleset"] == "test-society"


def test_threshold_on_rows_not_sessions(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        """
[[requirements.routes]]
source = "attendance"
count = "rows"
activities = ["member"]
target = 3
label = "register rows"
""",
    )
    rows = [att(day(1), "member", sessions=6), att(day(2), "member", sessions=6)]
    assert run_rules(tmp_path, attendance=rows, rules=[rules]).requirement("r") == (
        "not_met",
        2,
        3,
    )


def test_distinct_groups_ignore_rows_without_a_group_name(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        """
[[requirements.routes]]
source = "attendance"
count = "distinct_groups"
activities = ["co_leader"]
target = 2
label = "groups co-led"

[[requirements.routes]]
source = "attendance"
count = "distinct_events"
activities = ["co_leader"]
target = 5
label = "events or dates"
""",
    )
    rows = [
        att(day(1), "co_leader", event="Tuesday group"),
        att(day(8), "co_leader", event="tuesday  GROUP"),
        att(day(9), "co_leader"),
        att(day(10), "co_leader"),
    ]
    out = run_rules(tmp_path, attendance=rows, rules=[rules])
    # The events route is furthest along (3 of 5), so its numbers are shown (docs/contract.md).
    assert out.requirement("r") == ("not_met", 3, 5)
    # A blank event is an event name for distinct_events (the 9th and 10th are one run of
    # dates; the Tuesday group a week apart is two), but is no group.
    detail = out.progress["requirements"]["r"]["detail"]
    assert detail == "1 of 2 groups co-led; 3 of 5 events or dates"


def test_either_or_routes_meet_the_requirement_by_either(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        """
[[requirements.routes]]
source = "attendance"
count = "sessions"
activities = ["member"]
target = 10
label = "member sessions"

[[requirements.routes]]
source = "attendance"
count = "distinct_events"
activities = ["weekend_member"]
target = 2
label = "weekends"
""",
    )
    rows = [
        att(day(1), "member", sessions=3),
        att(day(5), "weekend_member", event="Oxford"),
        att(day(12), "weekend_member", event="Leeds"),
    ]
    out = run_rules(tmp_path, attendance=rows, rules=[rules])
    # The numbers shown are those of the route met (docs/contract.md), as in the letter.
    assert out.requirement("r") == ("met", 2, 2)
    detail = out.progress["requirements"]["r"]["detail"]
    assert detail == "3 of 10 member sessions; 2 weekends (2 needed)"


def test_date_window_relative_to_a_register_date(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        """
[[requirements.routes]]
source = "attendance"
count = "sessions"
activities = ["co_leader"]
since = "registered"
within_years = 2
until = "reference_requested"
target = 3
label = "co-led sessions in the first two years, before the reference was asked for"
""",
    )
    rows = [
        att(day(28, 2, 2022), "co_leader"),  # before registering
        att(day(1, 3, 2022), "co_leader"),  # the registration day counts
        att(day(28, 2, 2024), "co_leader"),  # last day of year two
        att(day(1, 3, 2024), "co_leader"),  # year three: outside the window
    ]
    register = {"registered": "01/03/2022"}
    out = run_rules(tmp_path, register, attendance=rows, rules=[rules])
    assert out.requirement("r") == ("not_met", 2, 3)
    register["reference_requested"] = "27/02/2024"
    cut = run_rules(tmp_path / "2", register, attendance=rows, rules=[rules])
    assert cut.requirement("r") == ("not_met", 1, 3)


PER_YEAR = """
[[requirements.routes]]
source = "supervision"
count = "rows"
counterpart = "eligible_supervisor"
per = "pathway_year"
target = 2
label = "supervision sessions"
"""


@pytest.mark.parametrize(
    ("dates", "as_of", "status", "achieved", "words"),
    [
        pytest.param(
            [day(1, 4, 2024), day(1, 5, 2024), day(1, 4, 2025), day(1, 5, 2025)],
            "2026-03-15",
            "met",
            2,
            "(year 1: 2, year 2: 2)",
            id="two-completed-years-each-enough",
        ),
        pytest.param(
            [day(1, 4, 2024), day(1, 5, 2024), day(1, 6, 2024), day(1, 4, 2025)],
            "2026-03-15",
            "not_met",
            1,
            "(year 1: 3, year 2: 1)",
            id="a-surplus-does-not-carry-over",
        ),
        pytest.param(
            [day(1, 4, 2024), day(1, 5, 2024), day(28, 2, 2025)],
            "2025-02-28",
            "met",
            3,
            "so far in pathway year 1 (no year completed yet)",
            id="first-year-under-way-already-enough",
        ),
        pytest.param(
            [day(1, 4, 2024)],
            "2025-02-28",
            "not_met",
            1,
            "so far in pathway year 1 (no year completed yet)",
            id="first-year-under-way-not-yet",
        ),
        pytest.param(
            [day(1, 2, 2024), day(2, 2, 2024), day(1, 4, 2024)],
            "2025-02-28",
            "not_met",
            1,
            "so far in pathway year 1",
            id="before-registration-counts-in-no-year",
        ),
    ],
)
def test_per_year_rate_in_pathway_years_from_registration(
    tmp_path: Path, dates: list, as_of: str, status: str, achieved: int, words: str
) -> None:
    rules = ruleset(tmp_path, PER_YEAR)
    out = run_rules(
        tmp_path,
        {"registered": "01/03/2024"},
        supervision=[sup(d) for d in dates] + [sup(day(2, 4, 2024), "L2")],  # L2 not eligible
        rules=[rules],
        as_of=as_of,
    )
    assert out.requirement("r") == (status, achieved, 2)
    assert words in out.progress["requirements"]["r"]["detail"]


def test_per_year_without_a_registration_date_cannot_be_assessed(tmp_path: Path) -> None:
    out = run_rules(tmp_path, supervision=[sup(day(1))], rules=[ruleset(tmp_path, PER_YEAR)])
    assert out.requirement("r") == ("cannot_assess", None, 2)
    assert out.progress["overall"] == "needs_data"


def test_per_year_needs_the_given_number_of_completed_years(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path, PER_YEAR.replace('per = "pathway_year"', 'per = "pathway_year"\nyears = 2')
    )
    dates = [day(1, 4, 2024), day(1, 5, 2024)]
    out = run_rules(
        tmp_path,
        {"registered": "01/03/2024"},
        supervision=[sup(d) for d in dates],
        rules=[rules],
        as_of="2025-06-01",
    )
    assert out.requirement("r") == ("not_met", 2, 2)
    assert "1 of 2 pathway years completed" in out.progress["requirements"]["r"]["detail"]


SHARE = """
[[requirements.routes]]
source = "attendance"
count = "sessions"
activities = ["member", "co_leader"]
where = { format = "face_to_face" }
share = true
target = 0.5
label = "of group sessions face to face"
"""


@pytest.mark.parametrize(
    ("formats", "status", "achieved"),
    [
        pytest.param(["in person", "zoom"], "met", 0.5, id="half"),
        pytest.param(["f2f", "Teams", "online"], "not_met", 1 / 3, id="a-third"),
        pytest.param(["face to face", ""], "met", 0.5, id="blank-counts-as-not-face-to-face"),
        pytest.param([], "not_met", 0, id="no-sessions"),
    ],
)
def test_share_of_group_experience_face_to_face(
    tmp_path: Path, formats: list[str], status: str, achieved: float
) -> None:
    rows = [att(day(i + 1), "member", format=f) for i, f in enumerate(formats)]
    rows.append(att(day(20), "leadership_day", format="zoom"))  # not group experience
    out = run_rules(tmp_path, attendance=rows, rules=[ruleset(tmp_path, SHARE)])
    assert out.requirement("r") == (status, round(achieved, 4), 0.5)
    if formats:
        percent = f"{100 * achieved:.0f}%"
        assert out.progress["requirements"]["r"]["detail"] == (
            f"{percent} of group sessions face to face (at least 50%)"
        )
        line = f"{percent} of group sessions face to face (at least 50% needed)."
        assert line in out.letter
        assert out.letter.count("of group sessions face to face") == 1  # no repeated detail


def test_a_share_gets_no_forecast(tmp_path: Path) -> None:
    formats = ["f2f", "zoom", "zoom"]
    rows = [att(day(i + 1, 6, 2026), "member", format=f) for i, f in enumerate(formats)]
    out = run_rules(tmp_path, attendance=rows, rules=[ruleset(tmp_path, SHARE)])
    assert out.requirement("r") == ("not_met", round(1 / 3, 4), 0.5)
    assert out.overview["Forecast"] in ("", None)
    assert "At your pace" not in out.letter


def test_unknown_format_is_kept_with_a_warning(tmp_path: Path) -> None:
    rows = [att(day(1), "member", format="hybrid")]
    out = run_rules(tmp_path, attendance=rows, rules=[ruleset(tmp_path, SHARE)])
    [issue] = [i for i in out.document["issues"] if i["column"] == "format"]
    assert issue["severity"] == "warning"
    assert "'hybrid' is not a known format" in issue["problem"]
    # the known values as the team writes them, not as progress.json keeps them
    assert "(known: face to face, online;" in issue["problem"]
    assert out.requirement("r") == ("not_met", 0, 0.5)


@pytest.mark.parametrize(
    ("counterpart", "co_leader", "achieved"),
    [
        ("accredited_co_leader", "Ann Leader", 1),
        ("accredited_co_leader", "Cat Novice", 0),
        ("accredited_co_leader", "Someone Unknown", 0),
    ],
)
def test_condition_on_the_counterpart(
    tmp_path: Path, counterpart: str, co_leader: str, achieved: int
) -> None:
    rules = ruleset(
        tmp_path,
        f"""
[[requirements.routes]]
source = "attendance"
count = "sessions"
activities = ["co_leader"]
counterpart = "{counterpart}"
target = 1
label = "sessions co-led with an accredited leader"
""",
    )
    rows = [att(day(1), "co_leader", co_leader=co_leader)]
    assert run_rules(tmp_path, attendance=rows, rules=[rules]).requirement("r")[1] == achieved


ADVICE = """
[[requirements.routes]]
source = "attendance"
count = "sessions"
target = 1
label = "sessions"

[[advice]]
code = "mostly_online"
message = "Most of your group experience has been online."

[[advice.conditions]]
source = "attendance"
count = "sessions"
where = { format = "face_to_face" }
share = true
below = 0.5

[[advice.conditions]]
when = { psychodynamic_training = false }
source = "attendance"
count = "sessions"
at_least = 2
"""


@pytest.mark.parametrize(
    ("register", "formats", "given"),
    [
        pytest.param("no", ["zoom", "zoom", "f2f"], True, id="both-hold"),
        pytest.param("no", ["zoom", "f2f"], False, id="half-is-not-below-half"),
        pytest.param("no", ["zoom"], False, id="too-few-sessions"),
        pytest.param("yes", ["zoom", "zoom", "zoom"], False, id="register-says-otherwise"),
        pytest.param("", ["zoom", "zoom", "zoom"], False, id="register-unknown"),
    ],
)
def test_advice_written_as_data_conditions(
    tmp_path: Path, register: str, formats: list[str], given: bool
) -> None:
    rows = [att(day(i + 1), "member", format=f) for i, f in enumerate(formats)]
    out = run_rules(
        tmp_path,
        {"psychodynamic_training": register},
        attendance=rows,
        rules=[ruleset(tmp_path, ADVICE)],
    )
    assert out.advice() == (["mostly_online"] if given else [])
    assert ("Most of your group experience has been online." in out.letter) is given


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param(
            '[[requirements.routes]]\nsource = "attendance"\ncount = "sum"\n'
            'target = 1\nlabel = "x"',
            'requirements[1].routes[1].column: expected with count = "sum" only, one of sessions, '
            "days, cases",
            id="sum-without-column",
        ),
        pytest.param(
            '[[requirements.routes]]\nsource = "attendance"\ncount = "sessions"\n'
            'where = { format = "hybrid" }\ntarget = 1\nlabel = "x"',
            "requirements[1].routes[1].where: expected for format (attendance), values from "
            "face_to_face, online",
            id="where-unknown-value",
        ),
        pytest.param(
            '[[requirements.routes]]\nsource = "attendance"\ncount = "sessions"\n'
            'where = { format = "online" }\nshare = true\ntarget = 50\nlabel = "x"',
            "requirements[1].routes[1].target: expected a fraction above 0 and at most 1, got 50",
            id="share-target-not-a-fraction",
        ),
        pytest.param(
            '[[requirements.routes]]\nsource = "supervision"\ncount = "rows"\nper = "week"\n'
            'target = 1\nlabel = "x"',
            "requirements[1].routes[1].per: expected one of pathway_year, month, quarter",
            id="per-unknown",
        ),
        pytest.param(
            '[[requirements.routes]]\nsource = "attendance"\ncount = "sessions"\n'
            'within_years = 2\ntarget = 1\nlabel = "x"',
            "within_years: expected a whole number of years above 0, with `since` set",
            id="window-without-since",
        ),
        pytest.param(
            PER_YEAR + '\n[[advice]]\ncode = "custom"\nmessage = "m"',
            "advice[1].code: expected one of single_setting",
            id="custom-advice-without-conditions",
        ),
        pytest.param(
            PER_YEAR + '\n[[advice]]\ncode = "x"\nmessage = "m"\n[[advice.conditions]]\n'
            'source = "supervision"\ncount = "rows"',
            "advice[1].conditions[1].below: expected exactly one of below = N or at_least = N",
            id="condition-without-comparison",
        ),
    ],
)
def test_new_ruleset_keys_are_checked_on_load(tmp_path: Path, body: str, words: str) -> None:
    path = ruleset(tmp_path, body)
    (tmp_path / "inbox").mkdir()
    result = run_cli("run", tmp_path / "inbox", "--out", tmp_path / "out", "--rules", path)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path}: ")
    assert words in result.output


def test_the_worked_example_of_the_ruleset_guide_runs(tmp_path: Path) -> None:
    guide = (ROOT / "docs" / "rulesets.md").read_text(encoding="utf-8")
    example = guide.split("## A worked example", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example-2025.toml"
    path.write_text(example, encoding="utf-8")
    rows = [
        att(day(n, 4, 2025), "co_leader", format="f2f" if n <= 10 else "zoom") for n in range(1, 31)
    ]
    out = run_rules(
        tmp_path,
        {"registered": "01/03/2025", "psychodynamic_training": "yes"},
        attendance=rows,
        supervision=[sup(day(1, 5, 2025), hours=3), sup(day(1, 6, 2025), hours=3)],
        rules=[path],
    )
    assert out.progress["ruleset"] == "example-2025"
    assert out.requirement("co_leading") == ("met", 30, 30)
    assert out.requirement("in_person") == ("not_met", 0.3333, 0.34)
    assert out.requirement("supervision") == ("met", 6, 6)
    assert out.requirement("membership") == ("not_met", 0, 2)


def test_the_guide_error_example_is_what_a_user_sees(tmp_path: Path) -> None:
    path = ruleset(
        tmp_path,
        '[[requirements.routes]]\nsource = "supervision"\ncount = "sessions"\ntarget = 1\n'
        'label = "x"',
    )
    (tmp_path / "inbox").mkdir()
    result = run_cli("run", tmp_path / "inbox", "--out", tmp_path / "out", "--rules", path)
    guide = (ROOT / "docs" / "rulesets.md").read_text(encoding="utf-8")
    shown = result.output.removeprefix(f"Error: {path}: ").strip()
    assert f"society.toml: {shown.replace('requirements[1]', 'requirements[2]')}" in guide
