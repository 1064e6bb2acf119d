"""The shipped bsanz-2021 and uk-2023-example rulesets on crafted inboxes, through the CLI,
and versioning by registration date across the 2023-06-01 boundary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from ..conftest import TRAINEE_HEADER, run_report, trainee_row, write_csv, write_xlsx
from .rules_inbox import ATTENDANCE, LEADERS, SUPERVISION, att, run_rules, sup


def day(n: int, month: int, year: int) -> dt.date:
    return dt.date(year, month, n)


# bsanz-2021's Leader Trainers are a column of the leaders register (issue 15 item 3).
BSANZ_LEADERS = [[*LEADERS[0], "Leader trainer"], *[[*row, "yes"] for row in LEADERS[1:]]]


def test_bsanz_pathway_met(tmp_path: Path) -> None:
    # 20 meetings led or co-led with 30 cases; 10 supervision sessions with a Leader Trainer
    # in each of two completed pathway years, four of them six-monthly reports; two BSANZ
    # intensives; the final report received.
    attendance = [att(day(n, 4, 2024), "co_leader", cases=1, event="Tue") for n in range(1, 11)]
    attendance += [att(day(n, 5, 2024), "leader", cases=2, event="Thu") for n in range(1, 11)]
    attendance += [
        att(
            day(7, 9, 2024), "leadership_weekend", event="Adelaide intensive 2024", provider="BSANZ"
        ),
        att(
            day(7, 9, 2025), "leadership_weekend", event="Auckland intensive 2025", provider="BSANZ"
        ),
    ]
    supervision = [sup(day(n, 6, 2024)) for n in range(1, 11)]
    supervision += [sup(day(n, 6, 2025)) for n in range(1, 11)]
    for i in (0, 5, 10, 15):
        supervision[i]["six_monthly_report"] = "yes"
    out = run_rules(
        tmp_path,
        {
            "registered": "01/03/2024",
            "feels_ready": "yes",
            "reference_received": "01/10/2026",
        },
        attendance=attendance,
        supervision=supervision,
        rules=["bsanz-2021"],
        leaders=BSANZ_LEADERS,
    )
    assert out.progress["ruleset"] == "bsanz-2021"
    assert out.overview["Ruleset"] == "bsanz-2021"
    assert out.requirement("case_discussions") == ("met", 30, 30)
    assert out.requirement("leading_meetings") == ("met", 20, 20)
    assert out.requirement("supervision") == ("met", 10, 10)
    assert out.requirement("intensives") == ("met", 2, 2)
    assert out.requirement("reports") == ("met", 4, 4)
    assert out.progress["overall"] == "ready"
    # BSANZ suggests no fee: no cost is shown.
    assert out.overview["Cost range"] is None
    assert "Assessed under: Balint Society of Australia and New Zealand" in out.letter
    assert "(bsanz-2021)" in out.letter


def test_bsanz_pathway_short_in_each_way(tmp_path: Path) -> None:
    attendance = [att(day(n, 4, 2024), "co_leader", event="Tue") for n in range(1, 20)]
    attendance += [
        att(day(7, 9, 2024), "leadership_weekend", event="Adelaide intensive", provider="BSANZ")
    ]
    attendance += [
        att(day(8, 9, 2024), "leadership_weekend", event="adelaide INTENSIVE", provider="BSANZ")
    ]
    supervision = [sup(day(n, 6, 2024)) for n in range(1, 13)]
    supervision += [sup(day(n, 6, 2025)) for n in range(1, 10)]
    out = run_rules(
        tmp_path,
        {"registered": "01/03/2024"},
        attendance=attendance,
        supervision=supervision,
        rules=["bsanz-2021"],
        leaders=BSANZ_LEADERS,
    )
    assert out.requirement("case_discussions") == ("not_met", 0, 30)
    assert out.requirement("leading_meetings") == ("not_met", 19, 20)
    assert out.requirement("supervision") == ("not_met", 9, 10)
    assert "(year 1: 12, year 2: 9)" in out.progress["requirements"]["supervision"]["detail"]
    assert out.requirement("intensives") == ("not_met", 1, 2)
    assert out.requirement("reports") == ("not_met", 0, 4)
    # Meetings led with no cases recorded: the data-written advice says so; fewer than 20
    # sessions co-led with an accredited leader, and none face to face: desirable items.
    assert out.advice() == [
        "no_cases_recorded",
        "little_coleading_with_accredited",
        "no_supervision_group_year_one",
        "supervision_mostly_remote",
    ]


def test_bsanz_without_registration_date_needs_data(tmp_path: Path) -> None:
    out = run_rules(tmp_path, supervision=[sup(day(1, 6, 2024))], rules=["bsanz-2021"])
    assert out.requirement("supervision") == ("cannot_assess", None, 10)
    assert out.progress["overall"] == "needs_data"


def test_uk_2023_example_thresholds(tmp_path: Path) -> None:
    attendance = [att(day(n, 7, 2023), "member", format="in person") for n in range(1, 25)]
    attendance += [att(day(n, 8, 2023), "co_leader", format="zoom") for n in range(1, 25)]
    attendance += [att(day(1, 3, 2029), "co_leader", format="zoom")]  # after 5 years
    attendance += [
        att(day(1, 9, 2023), "leadership_day", event="Day 1"),
        att(day(1, 10, 2023), "leadership_day", event="Day 2"),
    ]
    supervision = [sup(day(n, 9, 2023), hours=0.5) for n in range(1, 6)]
    out = run_rules(
        tmp_path,
        {"registered": "01/07/2023", "psychodynamic_training": "no"},
        attendance=attendance,
        supervision=supervision,
        rules=["uk-2019", "uk-2023-example"],
        as_of="2029-06-30",
    )
    assert out.progress["ruleset"] == "uk-2023-example"
    assert out.requirement("membership") == ("met", 24, 24)
    assert out.requirement("co_leading") == ("met", 24, 24)
    assert out.requirement("leadership_training") == ("not_met", 2, 3)
    status, achieved, target = out.requirement("face_to_face")
    assert (status, round(achieved, 3), target) == ("not_met", round(24 / 49, 3), 0.5)
    assert out.requirement("supervision") == ("not_met", 5, 6)
    assert "little_supervision_time" in out.advice()
    assert out.overview["Cost range"] == "£175–£225"


def test_versioning_across_the_registration_date_boundary(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    rows = [
        att(day(n, 1, 2024), "co_leader", trainee=t) for t in ("T1", "T2") for n in range(1, 21)
    ]
    write_xlsx(
        inbox / "inbox.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Old Rules", registered="31/05/2023"),
                trainee_row("T2", "New Rules", registered="01/06/2023"),
                trainee_row("T3", "No Date"),
            ],
            "Leaders": LEADERS,
            "Attendance": [ATTENDANCE] + [[r.get(c, "") for c in ATTENDANCE] for r in rows],
            "Supervision": [SUPERVISION],
        },
    )
    out = tmp_path / "out"
    document = run_report(inbox, out, "--rules", "uk-2023-example", "--rules", "uk-2019")
    by_id = {t["trainee_id"]: t for t in document["trainees"]}
    assert {t: by_id[t]["ruleset"] for t in by_id} == {
        "T1": "uk-2019",
        "T2": "uk-2023-example",
        "T3": "uk-2023-example",  # no registration date: the newest
    }
    assert by_id["T1"]["requirements"]["co_leading"]["status"] == "met"
    assert by_id["T2"]["requirements"]["co_leading"]["achieved"] == 20
    assert by_id["T2"]["requirements"]["co_leading"]["status"] == "not_met"
    assert "face_to_face" not in by_id["T1"]["requirements"]
    book = openpyxl.load_workbook(out / "2026-11" / "summary.xlsx", read_only=True)
    overview = list(book["Overview"].iter_rows(values_only=True))
    ruleset_column = overview[0].index("Ruleset")
    assert [r[ruleset_column] for r in overview[1:]] == ["uk-2019", "uk-2023-example"] + [
        "uk-2023-example"
    ]
    letters = out / "2026-11" / "letters"
    assert "(uk-2019)" in (letters / "T1.txt").read_text(encoding="utf-8")
    assert "(uk-2023-example)" in (letters / "T2.html").read_text(encoding="utf-8")


def test_a_sign_off_under_a_ruleset_without_competencies_says_why(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write_xlsx(inbox / "r.xlsx", {"Trainees": [TRAINEE_HEADER, trainee_row("T1", "Jane Smith")]})
    write_csv(
        inbox / "pf.csv", [["trainee", "competency", "signed_off"], ["T1", "1", "01/10/2026"]]
    )
    progress = run_report(inbox, tmp_path / "out", "--rules", "bsanz-2021")
    [error] = [i for i in progress["issues"] if i["file"] == "pf.csv"]
    assert "bsanz-2021, the trainee's ruleset, has no portfolio of competencies" in error["problem"]
