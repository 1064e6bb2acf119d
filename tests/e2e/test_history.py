"""Month after month on real files: history store, Changes, letters' "since", forecasts."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import openpyxl

from balint_reports.history import MIGRATIONS

from ..conftest import TRAINEE_HEADER, run_cli, run_report, trainee_row, write_csv, write_xlsx

SEP, OCT, NOV = "2026-09-30", "2026-10-31", "2026-11-30"
ATTENDANCE_HEADER = ["trainee", "date", "activity", "sessions", "event", "days"]


def _registers(inbox: Path) -> None:
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Jane Smith", psychodynamic_training="no", supervisor="L1"),
                trainee_row("T2", "Ravi Patel", psychodynamic_training="yes"),
            ],
            "Leaders": [
                ["leader_id", "name", "accredited", "supervision_experience"],
                ["L1", "Ann Leader", "yes", "yes"],
            ],
        },
    )


def _september(inbox: Path) -> None:
    rows = [["T1", f"{day}/03/2025", "member", 1, "", ""] for day in range(1, 21)]
    rows += [["T1", f"{day}/09/2026", "co_leader", 1, "", ""] for day in range(1, 9)]
    rows += [["T1", "12/09/2026", "leadership_weekend", 1, "Oxford weekend", 2]]
    write_csv(inbox / "attendance-2026-09.csv", [ATTENDANCE_HEADER, *rows])


def _october(inbox: Path) -> None:
    rows = [["T1", f"{day}/10/2026", "co_leader", 1, "", ""] for day in range(1, 5)]
    rows += [["T1", "20/10/2026", "leadership_day", 1, "London training day", 1]]
    write_csv(inbox / "attendance-2026-10.csv", [ATTENDANCE_HEADER, *rows])


def _november(inbox: Path, who: str = "T1") -> None:
    rows = [[who, f"{day}/11/2026", "co_leader", 1, "", ""] for day in (3, 17)]
    write_csv(inbox / "attendance-2026-11.csv", [ATTENDANCE_HEADER, *rows])


def _letter(out: Path, month: str, trainee: str) -> str:
    return (out / month / "letters" / f"{trainee}.txt").read_text(encoding="utf-8")


def _since(letter: str) -> str:
    """The text of the letter's "since your last letter" section."""
    assert "SINCE YOUR LAST LETTER" in letter, letter
    return letter.split("SINCE YOUR LAST LETTER\n", 1)[1].split("\n\nWHERE YOU STAND", 1)[0]


def _changes(out: Path, month: str, forecasts: bool = False) -> list[tuple]:
    """The Changes sheet's rows: the moves in progress, or (`forecasts`) the forecasts moved."""
    book = openpyxl.load_workbook(out / month / "summary.xlsx", read_only=True)
    rows = list(book["Changes"].iter_rows(values_only=True))
    # the two columns are the months compared, named as the team names the reports
    year, number = map(int, month.split("-"))
    earlier = dt.date(year, number, 1) - dt.timedelta(days=1)
    compared = (
        (f"{earlier:%B %Y}", f"{dt.date(year, number, 1):%B %Y}")
        if (out / f"{earlier:%Y-%m}").is_dir()
        else ("Before", "Now")
    )
    assert rows[0] == ("Trainee ID", "Name", "Requirement", *compared, "Change")
    return [r for r in rows[1:] if ("forecast for " in r[5]) == forecasts]


def _overview(out: Path, month: str) -> dict[str, dict]:
    book = openpyxl.load_workbook(out / month / "summary.xlsx", read_only=True)
    header, *rows = book["Overview"].iter_rows(values_only=True)
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def _member_sessions_in_september_and_october(
    inbox: Path, out: Path, trainee: str, before: range, october: tuple[int, ...] = (6, 13)
) -> None:
    """September's report with member sessions on `before` days of March, then October's with
    sessions on `october` days added."""
    rows = [[trainee, f"{day}/03/2026", "member", 1, "", ""] for day in before]
    write_csv(inbox / "attendance-2026-09.csv", [ATTENDANCE_HEADER, *rows])
    run_report(inbox, out, as_of=SEP)
    more = [[trainee, f"{day}/10/2026", "member", 1, "", ""] for day in october]
    write_csv(inbox / "attendance-2026-10.csv", [ATTENDANCE_HEADER, *more])
    run_report(inbox, out, as_of=OCT)


def _stored(out: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(out / "history.sqlite") as db:
        return db.execute(sql, params).fetchall()


def _three_months(inbox: Path, out: Path) -> None:
    _registers(inbox)
    _september(inbox)
    run_report(inbox, out, as_of=SEP)
    _october(inbox)
    run_report(inbox, out, as_of=OCT)
    _november(inbox)
    run_report(inbox, out, as_of=NOV)


def test_three_months_in_a_row_tell_each_trainee_what_moved(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _three_months(inbox, out)

    assert "SINCE YOUR LAST LETTER" not in _letter(out, "2026-09", "T1")
    assert _changes(out, "2026-09") == []

    october = _letter(out, "2026-10", "T1")
    assert _since(october) == (
        "4 more co-led sessions; leadership training is now complete.\n"
        "Well done: you have now completed 2 of the 5 requirements."
    )
    assert sorted(_changes(out, "2026-10")) == [
        (
            "T1",
            "Jane Smith",
            "Co-leading Balint groups",
            "8 (Not yet met)",
            "12 (Not yet met)",
            "4 more co-led sessions",
        ),
        (
            "T1",
            "Jane Smith",
            "Leadership training",
            "1 (Not yet met)",
            "2 (Met)",
            "leadership training is now complete",
        ),
    ]
    assert _since(_letter(out, "2026-10", "T2")) == (
        "Your numbers are the same as in your last letter. If a record of yours is missing, "
        "please let us know."
    )

    assert _since(_letter(out, "2026-11", "T1")) == "2 more co-led sessions."
    assert _changes(out, "2026-11") == [
        (
            "T1",
            "Jane Smith",
            "Co-leading Balint groups",
            "12 (Not yet met)",
            "14 (Not yet met)",
            "2 more co-led sessions",
        )
    ]
    # Each forecast that moved is on the Changes sheet too, with its reason (issue 10).
    assert _changes(out, "2026-10", forecasts=True) == [
        (
            "T1",
            "Jane Smith",
            "Co-leading Balint groups",
            "March 2028",
            "June 2027",
            "forecast for co-leading Balint groups moved earlier, from March 2028 to June 2027: "
            "4 more co-led sessions counted",
        )
    ]
    assert [c[3:5] for c in _changes(out, "2026-11", forecasts=True)] == [("June 2027", "May 2027")]
    assert _stored(out, "SELECT month, as_of FROM months ORDER BY month") == [
        ("2026-09", SEP),
        ("2026-10", OCT),
        ("2026-11", NOV),
    ]
    assert _stored(
        out,
        "SELECT month, achieved, status FROM requirements "
        "WHERE trainee_id = 'T1' AND requirement = 'co_leading' ORDER BY month",
    ) == [("2026-09", 8.0, "not_met"), ("2026-10", 12.0, "not_met"), ("2026-11", 14.0, "not_met")]


def test_forecast_at_the_trainees_own_pace_in_letter_and_overview(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _three_months(inbox, out)
    # October: 12 co-led sessions, all in the last 12 months: 8 to go at 12 a year -> 8 months.
    assert "At your pace over the last 12 months, around June 2027." in _letter(
        out, "2026-10", "T1"
    )
    # November: 14 in the year, 6 to go -> ceil(6 * 12 / 14) = 6 months after November.
    november = _letter(out, "2026-11", "T1")
    assert "6 more to go. At your pace over the last 12 months, around May 2027." in november
    assert _overview(out, "2026-11")["T1"]["Forecast"] == "Co-leading Balint groups: May 2027"
    # No pace, no forecast: T2 has no records at all, T1 no supervision.
    assert "At your pace over the last 12 months" not in _letter(out, "2026-11", "T2")
    assert november.count("At your pace over the last 12 months") == 1
    assert _overview(out, "2026-11")["T2"]["Forecast"] is None


def test_pace_counts_only_the_last_twelve_months(inbox: Path, tmp_path: Path) -> None:
    _registers(inbox)
    old = [["T1", f"{day}/01/2025", "co_leader", 1, "", ""] for day in range(1, 11)]
    # Three dates: fewer give no forecast at all (test_forecasts.py).
    recent = [["T1", f"{day}/06/2026", "co_leader", 1, "", ""] for day in (1, 2, 3)]
    write_csv(inbox / "attendance.csv", [ATTENDANCE_HEADER, *old, *recent])
    run_report(inbox, tmp_path / "out", as_of=NOV)
    # 13 of 20, but only 3 in the 12 months to November 2026: 7 to go at 3 a year = 28 months.
    letter = _letter(tmp_path / "out", "2026-11", "T1")
    assert "At your pace over the last 12 months, around March 2029." in letter


def test_corrected_rerun_of_a_month_replaces_its_snapshot(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _registers(inbox)
    _september(inbox)
    _october(inbox)
    run_report(inbox, out, as_of=OCT)
    _november(inbox, who="Jane Smyth")  # a typo: both rows rejected
    first = run_report(inbox, out, as_of=NOV)
    assert first["trainees"][0]["requirements"]["co_leading"]["achieved"] == 12.0
    assert _since(_letter(out, "2026-11", "T1")).startswith(
        "Your numbers are the same as in your last letter."
    )

    _november(inbox)  # corrected
    result = run_cli("run", inbox, "--out", out, "--as-of", NOV)
    assert result.exit_code == 0, result.output
    assert "Since the October 2026 report: 1 trainee moved; 0 data issues new" in result.output
    # still compared with October, not with the first November run
    assert _since(_letter(out, "2026-11", "T1")) == "2 more co-led sessions."
    assert _stored(out, "SELECT month FROM months ORDER BY month") == [("2026-10",), ("2026-11",)]
    assert _stored(
        out,
        "SELECT achieved FROM requirements WHERE month = '2026-11' AND requirement = 'co_leading'"
        " AND trainee_id = 'T1'",
    ) == [(14.0,)]
    assert _stored(out, "SELECT count(*) FROM issues WHERE month = '2026-11'") == [(0,)]


def test_regenerating_an_earlier_month_compares_with_the_month_before_it(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _three_months(inbox, out)
    before = (out / "2026-11" / "progress.json").read_bytes()
    run_report(inbox, out, as_of=OCT)
    # against September, not November (the latest); November's later rows are simply future
    assert _since(_letter(out, "2026-10", "T1")).startswith(
        "4 more co-led sessions; leadership training is now complete."
    )
    assert [c[2] for c in _changes(out, "2026-10")] == [
        "Co-leading Balint groups",
        "Leadership training",
    ]
    assert (out / "2026-11" / "progress.json").read_bytes() == before
    assert _stored(out, "SELECT month FROM months ORDER BY month") == [
        ("2026-09",),
        ("2026-10",),
        ("2026-11",),
    ]


def test_cli_summary_counts_moves_and_new_issues(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _registers(inbox)
    _september(inbox)
    first = run_cli("run", inbox, "--out", out, "--as-of", SEP)
    assert "No earlier month in this folder to compare with" in first.output
    again = run_cli("run", inbox, "--out", out, "--as-of", SEP)
    assert "No earlier month in this folder to compare with" in again.output
    assert "First report" not in again.output
    _october(inbox)
    write_csv(
        inbox / "supervision.csv",
        [["trainee", "supervisor", "date"], ["T1", "L1", "31/02/2026"], ["T9", "L1", "1/10/2026"]],
    )
    result = run_cli("run", inbox, "--out", out, "--as-of", OCT)
    assert result.exit_code == 0, result.output
    assert "Since the September 2026 report: 1 trainee moved; 2 data issues new" in result.output


def test_an_issue_is_new_by_its_code_and_place_even_against_a_store_from_before_codes(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _registers(inbox)
    _september(inbox)
    write_csv(
        inbox / "supervision.csv",
        [["trainee", "supervisor", "date"], ["T1", "L1", "31/02/2026"], ["T9", "L1", "1/9/2026"]],
    )
    run_report(inbox, out, as_of=SEP)
    with sqlite3.connect(out / "history.sqlite") as db:
        # as a store written before issues had codes (and with other words) holds them
        db.execute("UPDATE issues SET code = '', problem = 'worded otherwise'")
    result = run_cli("run", inbox, "--out", out, "--as-of", OCT)
    assert "0 data issues new" in result.output
    # the same cells now: new only where the place differs
    write_csv(
        inbox / "supervision.csv",
        [["trainee", "supervisor", "date"], ["T1", "L1", "31/02/2026"], ["T8", "L1", "1/9/2026"]],
    )
    result = run_cli("run", inbox, "--out", out, "--as-of", NOV)
    assert "1 data issue new" in result.output


def test_an_issue_moved_up_by_a_row_taken_out_above_it_is_not_new(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _registers(inbox)
    _september(inbox)
    rows = [["trainee", "supervisor", "date"], ["T1", "L1", "1/8/2026"], ["T1", "L1", "31/02/2026"]]
    write_csv(inbox / "supervision.csv", rows)
    run_report(inbox, out, as_of=SEP)
    write_csv(inbox / "supervision.csv", [rows[0], rows[2]])  # the row above taken out
    result = run_cli("run", inbox, "--out", out, "--as-of", OCT)
    assert "0 data issues new" in result.output
    # the same value in another column is another issue
    write_csv(
        inbox / "supervision.csv",
        [["trainee", "supervisor", "date", "hours"], ["T1", "L1", "1/8/2026", "31/02/2026"]],
    )
    result = run_cli("run", inbox, "--out", out, "--as-of", NOV)
    assert "1 data issue new" in result.output


def test_a_file_gone_from_the_inbox_is_a_warning_naming_it(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _registers(inbox)
    _september(inbox)
    _october(inbox)
    run_report(inbox, out, as_of=OCT)
    (inbox / "attendance-2026-10.csv").unlink()
    result = run_cli("run", inbox, "--out", out, "--as-of", NOV)
    assert result.exit_code == 0, result.output
    expected = (
        "file that fed the October 2026 report is missing from the inbox: attendance-2026-10.csv"
    )
    assert expected in result.output
    issues = json.loads((out / "2026-11" / "progress.json").read_text())["issues"]
    assert {
        "severity": "warning",
        "file": "attendance-2026-10.csv",
        "sheet": "",
        "row": None,
        "column": "",
        "value": "",
        "problem": "this file fed the October 2026 report but is no longer in the inbox: "
        "if it was removed by mistake, put it back and run again",
        "code": "file_gone",
    } in issues


def test_store_schema_is_versioned(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _registers(inbox)
    run_report(inbox, out, as_of=SEP)
    assert _stored(out, "SELECT version FROM schema_version") == [(len(MIGRATIONS),)]
    with sqlite3.connect(out / "history.sqlite") as db:
        db.execute("UPDATE schema_version SET version = 99")
    result = run_cli("run", inbox, "--out", out, "--as-of", OCT)
    assert result.exit_code == 1
    assert "written by a newer balint-reports" in result.output


def test_credit_from_the_team_is_not_recent_pace(tmp_path: Path) -> None:
    """Two co-led sessions long ago and credit for four more: nothing moved in 12 months."""
    from .rules_inbox import att, run_rules

    out = run_rules(
        tmp_path,
        trainee={"psychodynamic_training": "no"},
        attendance=[att("01/03/2024", "co_leader"), att("08/03/2024", "co_leader")],
        decisions=[
            {
                "trainee": "T1",
                "requirement": "co_leading",
                "decision": "credit 4",
                "reason": "prior learning",
                "decided_by": "L1",
                "date": "01/03/2026",
            }
        ],
    )
    assert out.requirement("co_leading") == ("not_met", 6, 20)
    assert "Co-leading" not in (out.overview["Forecast"] or "")
    assert "At your pace" not in out.letter


def test_a_future_row_is_not_a_new_issue_every_month(inbox: Path, tmp_path: Path) -> None:
    write_xlsx(
        inbox / "registers.xlsx", {"Trainees": [TRAINEE_HEADER, trainee_row("T1", "Jane Smith")]}
    )
    write_csv(inbox / "g.csv", [["trainee", "date", "activity"], ["T1", "01/12/2026", "member"]])
    out = tmp_path / "out"
    run_cli("run", inbox, "--out", out, "--as-of", "2026-09-30")
    result = run_cli("run", inbox, "--out", out, "--as-of", "2026-10-31")
    assert "0 data issues new" in result.output


def test_what_moved_is_told_in_the_words_of_the_route_the_letter_shows(
    inbox: Path, tmp_path: Path
) -> None:
    """Jane has no psychodynamic training: her membership counts 'member sessions in an ongoing
    group or at Balint Society weekends'. Two more of them were told as '2 more member sessions
    during or after your professional training', the other route's words."""
    _registers(inbox)
    out = tmp_path / "out"
    _member_sessions_in_september_and_october(inbox, out, "T1", range(1, 11))
    since = _since(_letter(out, "2026-10", "T1"))
    assert "2 more member sessions in an ongoing group or at Balint Society weekends" in since
    assert "professional training" not in since
    [change] = _changes(out, "2026-10")
    assert change[5] == "2 more member sessions in an ongoing group or at Balint Society weekends"


def test_the_changes_sheet_tells_the_team_of_the_trainee_not_to_them(
    inbox: Path, tmp_path: Path
) -> None:
    """The letter says "your professional training"; the team's sheet says "their"."""
    _registers(inbox)
    out = tmp_path / "out"
    _member_sessions_in_september_and_october(inbox, out, "T2", range(1, 4))
    words = "2 more member sessions during or after {} professional training"
    assert words.format("your") in _since(_letter(out, "2026-10", "T2"))
    [change] = _changes(out, "2026-10")
    assert change[5] == words.format("their")


def test_a_number_that_went_down_is_said_with_why(inbox: Path, tmp_path: Path) -> None:
    """A wrong row taken out of an earlier file: 'fewer' alone read as a loss with no reason."""
    out = tmp_path / "out"
    _registers(inbox)
    _september(inbox)
    run_report(inbox, out, as_of=SEP)
    rows = [["T1", f"{day}/03/2025", "member", 1, "", ""] for day in range(1, 21)]
    rows += [["T1", f"{day}/09/2026", "co_leader", 1, "", ""] for day in range(1, 8)]
    rows += [["T1", "12/09/2026", "leadership_weekend", 1, "Oxford weekend", 2]]
    write_csv(inbox / "attendance-2026-09.csv", [ATTENDANCE_HEADER, *rows])
    run_report(inbox, out, as_of=OCT)
    assert _since(_letter(out, "2026-10", "T1")) == (
        "1 fewer co-led session than last time.\n"
        "Where a number went down, a record that counted in your last letter no longer does: it "
        "was corrected or taken out of the spreadsheets we received. If that is wrong, please let "
        "us know."
    )
    html = (out / "2026-10" / "letters" / "T1.html").read_text(encoding="utf-8")
    assert "a record that counted in your last letter no longer does" in html


def test_a_trainee_resuming_is_in_the_changes_sheet_not_in_their_letter(
    inbox: Path, tmp_path: Path
) -> None:
    """Ravi was paused and is active again: the team's Changes sheet says so (the run counts
    him as moved); his letter's numbers did not move."""
    out = tmp_path / "out"

    def registers(status: str) -> None:
        write_xlsx(
            inbox / "registers.xlsx",
            {
                "Trainees": [
                    TRAINEE_HEADER,
                    trainee_row("T2", "Ravi Patel", psychodynamic_training="yes", status=status),
                ],
                "Leaders": [["leader_id", "name"], ["L1", "Ann Leader"]],
            },
        )

    registers("paused")
    run_report(inbox, out, as_of=SEP)
    registers("active")
    result = run_cli("run", inbox, "--out", out, "--as-of", OCT)
    assert "Since the September 2026 report: 1 trainee moved" in result.output
    assert _changes(out, "2026-10") == [
        ("T2", "Ravi Patel", "Register status", "Paused", "Active", "register status: now active")
    ]
    assert _since(_letter(out, "2026-10", "T2")).startswith("Your numbers are the same")


def test_a_letter_waiting_on_an_answer_does_not_say_its_numbers_are_the_same(
    inbox: Path, tmp_path: Path
) -> None:
    """Without her answer on psychodynamic training, Lee's membership has no number to compare:
    two more sessions came, and "your numbers are the same" would be untrue."""
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [TRAINEE_HEADER, trainee_row("T3", "Lee Wong")],
            "Leaders": [["leader_id", "name"], ["L1", "Ann Leader"]],
        },
    )
    out = tmp_path / "out"
    _member_sessions_in_september_and_october(inbox, out, "T3", range(1, 4))
    assert _since(_letter(out, "2026-10", "T3")) == (
        "We cannot yet say how your numbers moved since your last letter: we need the "
        "information asked for in this letter first."
    )
