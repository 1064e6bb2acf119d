"""Reference requests: drafted when only the report is missing; overdue ones flagged."""

from __future__ import annotations

import datetime as dt
import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import openpyxl
import pytest

from ..conftest import TRAINEE_HEADER, run_cli, run_report, trainee_row, write_xlsx

CONFIG = '[report]\nsociety = "The Test Society"\ncontact_email = "team@example.org"\n'


def _rows(trainee: str, co_led: int) -> dict[str, list[list[object]]]:
    """Everything but the supervisor's report, for a trainee who is not psychodynamic."""
    return {
        "attendance": [
            [trainee, "05/01/2026", "member", 20, "Tuesday group"],
            [trainee, "06/01/2026", "co_leader", co_led, "Tuesday group"],
            [trainee, "07/02/2026", "leadership_day", 1, "Day one"],
            [trainee, "07/05/2026", "leadership_day", 1, "Day two"],
        ],
        "supervision": [[trainee, "L1", "10/03/2026"]],
        "portfolio": [[trainee, n, "01/04/2026"] for n in range(1, 6)],
    }


def _inbox(inbox: Path, config: str = CONFIG) -> None:
    rows: dict[str, list] = {"attendance": [], "supervision": [], "portfolio": []}
    for trainee, co_led in (("T1", 20), ("T2", 20), ("T3", 19)):
        for kind, found in _rows(trainee, co_led).items():
            rows[kind] += found
    fields = {"psychodynamic_training": "no", "supervisor": "L1"}
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Jane Smith", reference_requested="01/09/2026", **fields),
                trainee_row("T2", "Tom Brown", reference_requested="20/11/2026", **fields),
                trainee_row("T3", "Ann Other", **fields),
            ],
            "Leaders": [
                ["leader_id", "name", "email", "accredited", "supervision_experience"],
                ["L1", "Dr Lee Super", "lee@example.org", "yes", "yes"],
            ],
            "Attendance": [
                ["trainee", "date", "activity", "sessions", "event"],
                *rows["attendance"],
            ],
            "Supervision": [["trainee", "supervisor", "date"], *rows["supervision"]],
            "Portfolio": [["trainee", "competency", "signed_off"], *rows["portfolio"]],
        },
    )
    (inbox / "balint.toml").write_text(config, encoding="utf-8")


def test_a_request_is_drafted_only_when_the_report_is_all_that_is_missing(
    inbox: Path, tmp_path: Path
) -> None:
    _inbox(inbox)
    progress = run_report(inbox, tmp_path / "out")
    statuses = {
        t["trainee_id"]: {q: r["status"] for q, r in t["requirements"].items()}
        for t in progress["trainees"]
    }
    assert statuses["T1"]["supervision"] == "not_met"
    assert [q for q, s in statuses["T1"].items() if s != "met"] == ["supervision"]
    folder = tmp_path / "out" / "2026-11" / "references"
    assert sorted(p.name for p in folder.iterdir()) == ["T1.eml", "T1.html", "T2.eml", "T2.html"]
    message = BytesParser(policy=policy.default).parsebytes((folder / "T1.eml").read_bytes())
    assert str(message["To"]) == "Dr Lee Super <lee@example.org>"
    assert message["Subject"] == "The Test Society: a report on Jane Smith, please"
    text = message.get_body(("plain",)).get_content()
    assert "Dear Dr Lee Super," in text
    assert "We first asked for it on 1 September 2026, so this is a gentle reminder." in text
    assert "3. awareness of group and unconscious processes" in text
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["evidence-T1.html"]
    statement = attachments[0].get_content()
    assert "Evidence statement: Jane Smith (T1)" in statement
    assert "Tom Brown" not in statement and "Tom Brown" not in text
    later = (folder / "T2.html").read_text(encoding="utf-8")
    assert "We first asked for it on 20 November 2026." in later and "reminder" not in later


def test_an_overdue_report_is_flagged_in_the_digest_and_the_dashboard(
    inbox: Path, tmp_path: Path
) -> None:
    _inbox(inbox)
    run_report(inbox, tmp_path / "out")
    month = tmp_path / "out" / "2026-11"
    digest = (month / "digests" / "L1.txt").read_text(encoding="utf-8")
    flags = re.findall(r"Overdue: your written report on (.*?)\. .*?, (\d+) weeks ago", digest)
    assert flags == [("Jane Smith", "12")]  # 1 September to 30 November; Tom's is 10 days old
    dashboard = (month / "index.html").read_text(encoding="utf-8")
    section = dashboard[dashboard.index('id="overdue"') : dashboard.index('id="everyone"')]
    assert "(T1): asked for on 1 Sep 2026, not received" in section
    assert "T2" not in section
    book = openpyxl.load_workbook(month / "summary.xlsx", read_only=True)
    rows = list(book["Overview"].iter_rows(values_only=True))
    book.close()
    column = rows[0].index("Report overdue, asked for on")
    overdue = {row[0]: row[column] for row in rows[1:]}
    assert overdue == {"T1": dt.datetime(2026, 9, 1), "T2": None, "T3": None}


def test_the_chase_waits_as_many_weeks_as_the_config_says(inbox: Path, tmp_path: Path) -> None:
    _inbox(inbox, CONFIG + "reference_chase_weeks = 13\n")
    run_report(inbox, tmp_path / "out")
    month = tmp_path / "out" / "2026-11"
    assert "Overdue" not in (month / "digests" / "L1.txt").read_text(encoding="utf-8")
    assert "reminder" not in (month / "references" / "T1.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("value", ['"six"', "0", "true"])
def test_chase_weeks_must_be_a_whole_number(inbox: Path, tmp_path: Path, value: str) -> None:
    _inbox(inbox, CONFIG + f"reference_chase_weeks = {value}\n")
    result = run_cli("run", inbox, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "[report] reference_chase_weeks must be a whole number of weeks, e.g. 6" in result.output


def test_a_draft_asks_again_by_the_date_the_trainees_own_ruleset_keeps(
    inbox: Path, tmp_path: Path
) -> None:
    # A society's file keeps the supervisor's report in dates of its own ("Final report
    # requested"): the draft says when it was first asked for, as the digest's chase does.
    from .test_ruleset_references import two_reports

    _inbox(inbox)
    book = openpyxl.load_workbook(inbox / "registers.xlsx")
    sheet = book["Trainees"]
    sheet.cell(1, sheet.max_column + 1, "Final report requested")
    sheet.cell(2, sheet.max_column, dt.datetime(2026, 9, 1))
    for column in range(1, sheet.max_column + 1):  # the UK's date is not this ruleset's
        if sheet.cell(1, column).value == "reference_requested":
            sheet.cell(2, column).value = None
    book.save(inbox / "registers.xlsx")
    rules = two_reports(tmp_path)
    rules.write_text(
        rules.read_text("utf-8").replace(
            'requires_set = ["reference_received"]', 'requires_set = ["final_report_received"]'
        ),
        encoding="utf-8",
    )
    run_report(inbox, tmp_path / "out", "--rules", str(rules))
    draft = (tmp_path / "out" / "2026-11" / "references" / "T1.html").read_text("utf-8")
    assert "We first asked for it on 1 September 2026, so this is a gentle reminder." in draft
