"""The ruleset language of issue 15: readiness as data and the additions other societies need.

Each case writes a small ruleset beside its assertion, runs the CLI with `--rules FILE` on a
one-trainee inbox and reads back what was written (docs/rulesets.md has the same examples).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from balint_reports.errors import RulesetError
from balint_reports.ruleset import parse_ruleset

from ..conftest import run_cli, run_report, write_xlsx
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


ONE = """
[[requirements]]
id = "r"
title = "The requirement"
what_counts = "What counts."
unit = "things"
next_step = "Do more."
missing_data = "your registration date"
"""


OWN_COLUMNS = """
[[columns]]
kind = "trainees"
name = "final_report"
type = "date"
aliases = ["Final report received"]

[[columns]]
kind = "trainees"
name = "fee_paid"
type = "yes/no"
aliases = ["Annual fee paid"]
"""
ONE_ROUTE = """
[[requirements.routes]]
source = "attendance"
count = "sessions"
activities = ["co_leader"]
target = 2
label = "co-led sessions"
"""
OWN_READINESS = """
[readiness]
fields = ["fee_paid", "final_report"]
order = []

[wording.steps]
fee_paid = "Pay this year's fee."
final_report = "Ask for your final report."
"""


def test_the_rulesets_own_register_dates_and_yes_no_fields(tmp_path: Path) -> None:
    rules = write(
        tmp_path,
        OWN_COLUMNS
        + ONE
        + """
[[requirements.routes]]
when = { fee_paid = true }
source = "attendance"
count = "sessions"
activities = ["co_leader"]
until = "final_report"
target = 2
label = "co-led sessions"

[readiness]
fields = ["fee_paid", "final_report"]
order = []

[wording.steps]
fee_paid = "Pay this year's fee."
final_report = "Ask for your final report."
""",
    )
    rows = [*CO_LED, att("01/06/2026", "co_leader")]
    # Headings as a volunteer writes them: the aliases the ruleset gives.
    unpaid = {"Annual fee paid": "no", "Final report received": "01/04/2025"}
    out = run_rules(tmp_path / "a", unpaid, rows, rules=[rules])
    assert out.requirement("r")[0] == "cannot_assess"  # no route is for a trainee who has not paid
    paid = {"Annual fee paid": "yes", "Final report received": "05/03/2025"}
    out = run_rules(tmp_path / "b", paid, rows, rules=[rules])
    # `until` the ruleset's own date: only the session of 1 March 2025 is on or before it.
    assert out.requirement("r") == ("not_met", 1, 2)
    late = {"Annual fee paid": "yes", "Final report received": "01/11/2026"}
    assert run_rules(tmp_path / "c", late, rows, rules=[rules]).progress["overall"] == "ready"
    no_report = run_rules(tmp_path / "d", {"Annual fee paid": "yes"}, rows, rules=[rules])
    assert no_report.progress["next_step"] == "Ask for your final report."


def test_two_register_rows_merge_the_rulesets_own_columns(tmp_path: Path) -> None:
    """A trainee listed twice (a register and a later copy): a column of the ruleset's own
    fills its blanks from the other row, and two different values are an error naming the
    column, the first kept, as the built-in columns are (resolve.merge_register)."""
    rules = write(tmp_path, OWN_COLUMNS + ONE + ONE_ROUTE + OWN_READINESS)
    header = ["trainee_id", "name", "Annual fee paid", "Final report received"]
    inbox = tmp_path / "inbox"
    write_xlsx(
        inbox / "a.xlsx",
        {
            "Trainees": [header, ["T1", "Jane Smith", "yes", ""]],
            "Attendance": [
                ["trainee", "date", "activity"],
                *[["T1", d, "co_leader"] for d in ("01/03/2025", "08/03/2025")],
            ],
        },
    )
    # The second file's T1 row gives the final report the first lacks, and says the fee was
    # not paid, where the first says it was.
    write_xlsx(
        inbox / "b.xlsx",
        {
            "Trainees": [
                header,
                ["t1", "Jane Smith", "", "01/10/2026"],
                ["T1", "Jane Smith", "no", ""],
            ]
        },
    )
    out = tmp_path / "out"
    document = run_report(inbox, out, "--rules", str(rules))
    (t1,) = [t for t in document["trainees"] if t["trainee_id"] == "T1"]
    # ready: the fee from the first row, the final report filled from the second
    assert t1["overall"] == "ready"
    issues = {i["row"]: i for i in document["issues"] if i["file"] == "b.xlsx"}
    assert {row: (i["severity"], i["column"]) for row, i in issues.items()} == {
        2: ("warning", "trainee_id"),  # counted once, its blanks filled from here
        3: ("error", "fee_paid"),  # left out: 'no' here, 'yes' in a.xlsx
    }
    assert "fee_paid 'no' here" in issues[3]["problem"]
    assert "but 'yes' at a.xlsx, sheet Trainees, row 2" in issues[3]["problem"]


@pytest.mark.parametrize(
    ("where", "counted"),
    [
        pytest.param('{ days = ">= 4" }', 1, id="number-at-least"),
        pytest.param('{ days = "< 4" }', 2, id="number-below"),
        pytest.param("{ days = 2 }", 1, id="number-equal"),
        pytest.param('{ event = "Ridley Hall" }', 1, id="text-folded-like-names"),
        pytest.param('{ event = ["ridley hall", "Hobart Intensive"] }', 2, id="text-list"),
    ],
)
def test_filters_on_number_and_text_columns(tmp_path: Path, where: str, counted: int) -> None:
    rules = write(
        tmp_path,
        ONE
        + f"""
[[requirements.routes]]
source = "attendance"
count = "distinct_events"
activities = ["leadership_weekend"]
where = {where}
target = 5
label = "intensives"
""",
    )
    rows = [
        att("01/03/2025", "leadership_weekend", days=4, event="Hobart intensive"),
        att("01/06/2025", "leadership_weekend", days=2, event="RIDLEY HALL."),
        att("01/09/2025", "leadership_weekend", days=1, event="Oxford day"),
    ]
    out = run_rules(tmp_path, attendance=rows, rules=[rules])
    assert out.requirement("r") == ("not_met", counted, 5)


# A tier of leaders, as bsanz-2021 has: a yes/no column of the leaders register.
LEADER_TRAINER = """
[[columns]]
kind = "leaders"
name = "leader_trainer"
type = "yes/no"
aliases = ["Leader trainer"]
"""
TIERED_LEADERS = [
    ["leader_id", "name", "accredited", "supervision_experience", "Leader trainer"],
    ["L1", "Ann Leader", "yes", "yes", "yes"],
    ["L2", "Bob Accredited", "yes", "no", ""],
]


def test_a_yes_no_column_of_the_supervision_log_and_a_leader_tier(tmp_path: Path) -> None:
    rules = write(
        tmp_path,
        """
[[columns]]
kind = "supervision"
name = "recorded"
type = "yes/no"
aliases = ["Session recorded"]
"""
        + LEADER_TRAINER
        + ONE
        + """
[[requirements.routes]]
source = "supervision"
count = "rows"
where = { recorded = true }
counterpart_has = ["accredited", "leader_trainer"]
target = 3
label = "recorded sessions with a Leader Trainer"
""",
    )
    rows = [
        sup("01/03/2025", "L1", **{"Session recorded": "yes"}),
        sup("01/04/2025", "L1", **{"Session recorded": "no"}),  # not recorded
        sup("01/05/2025", "L1", **{"Session recorded": ""}),  # blank: not recorded
        sup("01/06/2025", "L2", **{"Session recorded": "yes"}),  # not a Leader Trainer
        sup("01/07/2025", "L1", **{"Session recorded": "yes"}),
    ]
    out = run_rules(tmp_path, supervision=rows, rules=[rules], leaders=TIERED_LEADERS)
    assert out.requirement("r") == ("not_met", 2, 3)
    explained = " ".join(run_cli("rules", "explain", rules).output.split())
    assert 'only where "recorded" says yes' in explained
    assert "only with a supervisor whom the leaders register says accredited = yes and " in (
        explained
    )
    assert '- supervision register: "recorded", "Session recorded" (yes/no)' in explained


def test_rows_with_a_co_leader_outside_the_tier_say_why_they_do_not_count(
    tmp_path: Path,
) -> None:
    """A route that needs co-leaders of a tier tells the trainee which co-led sessions it left
    out and what the register does not record of their co-leader (SPEC r2: a reason inside the
    requirement)."""
    rules = write(
        tmp_path,
        LEADER_TRAINER
        + ONE
        + """
[[requirements.routes]]
source = "attendance"
count = "sessions"
activities = ["co_leader"]
counterpart_has = ["leader_trainer"]
target = 5
label = "sessions co-led with a Leader Trainer"
""",
    )
    rows = [
        att("01/03/2025", "co_leader", co_leader="Ann Leader"),
        att("01/04/2025", "co_leader", sessions=2, co_leader="Bob Accredited"),
        att("01/05/2025", "co_leader", co_leader="Nobody Known"),
    ]
    out = run_rules(tmp_path, attendance=rows, rules=[rules], leaders=TIERED_LEADERS)
    assert out.requirement("r") == ("not_met", 1, 5)
    letter = " ".join(out.letter.split())
    assert (
        "2 co-led sessions do not count: Bob Accredited is not recorded as a Leader trainer."
        in letter
    )
    assert (
        "1 co-led session does not count: the co-leader written there is not in our registers."
        in letter
    )


REGULAR = (
    ONE
    + """
[[requirements.routes]]
source = "attendance"
count = "sessions"
activities = ["leader", "co_leader"]
per = "month"
over_months = 6
target = 1
label = "groups led or co-led a month"
"""
)


def test_regularity_at_least_once_a_month(tmp_path: Path) -> None:
    rules = write(tmp_path, REGULAR)
    # The report is dated 30 November 2026: the six months are June to November 2026.
    monthly = [att(f"15/{m:02d}/2026", "co_leader") for m in range(6, 12)]
    out = run_rules(tmp_path / "a", attendance=monthly, rules=[rules])
    assert out.requirement("r") == ("met", 1, 1)
    gap = [row for row in monthly if row["date"] != "15/08/2026"]
    gap.append(att("16/09/2026", "leader"))  # two in September do not fill August
    out = run_rules(tmp_path / "b", attendance=gap, rules=[rules])
    assert out.requirement("r") == ("not_met", 0, 1)
    assert "(1 of 6 months below 1)" in out.progress["requirements"]["r"]["detail"]
    older = [att("15/05/2026", "co_leader"), *gap[1:]]  # May is outside the last 6 months
    assert run_rules(tmp_path / "c", attendance=older, rules=[rules]).requirement("r")[0] == (
        "not_met"
    )


def test_minimum_time_on_the_pathway(tmp_path: Path) -> None:
    rules = write(
        tmp_path,
        TWO_REQUIREMENTS.split('[[requirements]]\nid = "desirable"')[0]
        + """
[readiness]
fields = ["feels_ready"]
min_months = 24

[wording.steps]
time_on_pathway = "The pathway takes at least two years from {registered}."
feels_ready = "Say when you feel ready."
""",
    )
    early = {"feels_ready": "yes", "registered": "01/12/2024"}  # 23 months by 30 Nov 2026
    out = run_rules(tmp_path / "a", early, CO_LED, rules=[rules])
    assert out.progress["overall"] == "in_progress"
    assert out.progress["next_step"] == "The pathway takes at least two years from 1 December 2024."
    on_time = {"feels_ready": "yes", "registered": "30/11/2024"}
    assert run_rules(tmp_path / "b", on_time, CO_LED, rules=[rules]).progress["overall"] == (
        "ready"
    )


@pytest.mark.parametrize(
    ("fee", "cost"),
    [
        pytest.param('per = "year"\nlow = 300', "$900–$900", id="yearly"),  # 3 years begun
        pytest.param('per = "once"\nlow = 100\nhigh = 150', "$100–$150", id="flat"),
        pytest.param("low_per_hour = 10\nhigh_per_hour = 20", "$30–$60", id="hourly"),
    ],
)
def test_flat_yearly_and_hourly_fees(tmp_path: Path, fee: str, cost: str) -> None:
    rules = write(
        tmp_path,
        f'[fee]\ncurrency = "$"\n{fee}\n'
        + TWO_REQUIREMENTS.split('[[requirements]]\nid = "desirable"')[0],
    )
    sessions = [sup(f"0{d}/03/2025", "L1", hours=1.5) for d in (1, 2)]
    out = run_rules(tmp_path, {"registered": "15/01/2024"}, CO_LED, sessions, rules=[rules])
    assert out.overview["Cost range"] == cost


def test_a_letter_and_a_digest_in_the_societys_own_words(tmp_path: Path) -> None:
    rules = write(
        tmp_path,
        """
[vocabulary]
accreditation = "credentialing"
team = "Credentialing Committee"
activities = { leadership_weekend = "intensive" }
"""
        + ONE
        + """
[[requirements.routes]]
source = "attendance"
count = "distinct_events"
activities = ["leadership_weekend"]
target = 3
label = "intensives"
""",
    )
    rows = [att("01/03/2025", "leadership_weekend", event="Spring")]
    out = run_rules(tmp_path, {"supervisor": "L1"}, rows, rules=[rules])
    assert "YOUR PROGRESS TOWARDS CREDENTIALING AS A BALINT GROUP LEADER" in out.letter
    assert "the credentialing pathway, as recorded by the Credentialing Committee" in out.letter
    assert "1 March 2025: intensive, Spring" in out.letter
    assert "accreditation" not in out.letter.casefold()
    digest = (tmp_path / "out" / "2026-11" / "digests" / "L1.txt").read_text(encoding="utf-8")
    assert "PROGRESS TOWARDS CREDENTIALING" in digest
    assert "leadership team" not in digest


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[[columns]]\nkind = "portfolio"\nname = "x"\ntype = "date"', r"columns\[1\]\.kind"),
        (
            '[[columns]]\nkind = "trainees"\nname = "registered"\ntype = "date"',
            r"columns\[1\]\.name",
        ),
        ('[[columns]]\nkind = "trainees"\nname = "x"\ntype = "colour"', r"columns\[1\]\.type"),
        ('[fee]\ncurrency = "$"\nper = "week"\nlow = 1', r"fee\.per"),
        ('[vocabulary]\nactivities = { dancing = "x" }', r"vocabulary\.activities"),
    ],
)
def test_wrong_new_keys_name_the_key(text: str, key: str) -> None:
    body = text + "\n" + TWO_REQUIREMENTS
    with pytest.raises(RulesetError, match=key):
        parse_ruleset(HEAD + body, "society.toml")


@pytest.mark.parametrize(
    ("route", "key"),
    [
        ('where = { days = "about 4" }', "where: expected for days"),
        ('where = { shoe = "x" }', "where: expected for shoe (attendance), a column of"),
        ('per = "month"', "over_months"),
        ('per = "month"\nover_months = 0', "over_months"),
        ('counterpart_has = ["colour"]', "counterpart_has"),
        ("when = { fee_paid = true }", "when"),
    ],
)
def test_wrong_route_keys_name_the_key(route: str, key: str) -> None:
    body = ONE + (
        '\n[[requirements.routes]]\nsource = "attendance"\ncount = "sessions"\n'
        f'target = 1\nlabel = "x"\n{route}\n'
    )
    with pytest.raises(RulesetError, match=re.escape(key)):
        parse_ruleset(HEAD + body, "society.toml")


def test_two_rulesets_declaring_one_column_differently_is_an_error(tmp_path: Path) -> None:
    first = write(
        tmp_path,
        '[[columns]]\nkind = "trainees"\nname = "fee"\ntype = "date"\n'
        + ONE
        + '[[requirements.routes]]\nsource = "attendance"\ncount = "rows"\n'
        + 'target = 1\nlabel = "x"\n',
    )
    second_text = (
        first.read_text(encoding="utf-8")
        .replace('"date"', '"yes/no"')
        .replace('id = "test-society"', 'id = "other-society"')
    )
    second = tmp_path / "other.toml"
    second.write_text(second_text, encoding="utf-8")
    (tmp_path / "inbox").mkdir()
    result = run_cli(
        "run", tmp_path / "inbox", "--out", tmp_path / "out", "--rules", first, "--rules", second
    )
    assert result.exit_code == 1
    assert "columns: trainees column 'fee' is declared differently" in result.output
