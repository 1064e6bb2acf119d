"""Evidence statements: the rows behind each requirement, named by file, sheet and row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from ..conftest import run_cli, run_report
from .rules_inbox import att, decide, run_rules, sup

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


@pytest.fixture(scope="module")
def sample_month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample inbox copied (so a test may change it) and run for November 2026."""
    base = tmp_path_factory.mktemp("evidence")
    shutil.copytree(SAMPLE, base / "inbox")
    run_report(base / "inbox", base / "out")
    return base / "out" / "2026-11"


def _statement(month: Path, trainee_id: str) -> dict:
    return json.loads((month / "evidence" / f"{trainee_id}.json").read_text(encoding="utf-8"))


def _requirement(statement: dict, requirement_id: str) -> dict:
    return next(q for q in statement["requirements"] if q["id"] == requirement_id)


def test_run_writes_a_statement_for_every_ready_trainee_only(sample_month: Path) -> None:
    progress = json.loads((sample_month / "progress.json").read_text(encoding="utf-8"))
    ready = {t["trainee_id"] for t in progress["trainees"] if t["overall"] == "ready"}
    assert ready == {"T01", "T02", "T13", "T18"}
    assert sorted(p.name for p in (sample_month / "evidence").iterdir()) == sorted(
        f"{t}.{ext}" for t in ready for ext in ("html", "json")
    )
    html = (sample_month / "evidence" / "T01.html").read_text(encoding="utf-8")
    assert "Evidence statement: Amelia Hart (T01)" in html
    assert "records as at 30 November 2026</p>" in html  # in words, as the letters say it


def test_counted_rows_add_up_and_point_at_real_spreadsheet_rows(sample_month: Path) -> None:
    statement = _statement(sample_month, "T01")
    progress = json.loads((sample_month / "progress.json").read_text(encoding="utf-8"))
    t01 = next(t for t in progress["trainees"] if t["trainee_id"] == "T01")
    membership = _requirement(statement, "membership")
    sessions = sum(float(r["amount"].split()[0]) for r in membership["counted"])
    assert sessions == t01["requirements"]["membership"]["achieved"]
    portfolio = _requirement(statement, "portfolio")
    assert len({r["what"] for r in portfolio["counted"]}) == 5
    # Each counted row's file, sheet and row hold a row naming Amelia on that date.
    inbox = sample_month.parent.parent / "inbox"
    for row in (membership["counted"][0], portfolio["counted"][-1]):
        book = openpyxl.load_workbook(inbox / row["file"], read_only=True)
        cells = next(book[row["sheet"]].iter_rows(row["row"], row["row"], values_only=True))
        book.close()
        assert any("Amelia Hart" in str(c) or c == "T01" for c in cells), cells
        day, month, year = row["date"].split("/")
        assert any(
            hasattr(c, "year")
            and (c.year, c.month, c.day) == (int(year), int(month), int(day))
            or str(c).startswith(f"{year}-{month}-{day}")
            for c in cells
        ), cells
    assert statement["register_rows"][0]["file"] == "registers.xlsx"
    assert ("Report forwarded to the leadership team", "02/09/2026") in [
        tuple(pair) for pair in statement["register"]
    ]


def test_statement_speaks_of_the_trainee_in_the_panel_s_words(sample_month: Path) -> None:
    """The statement is read by the panel: the trainee is "they", and the register's machine
    values (co_leader, face_to_face) are said as words."""
    statement = _statement(sample_month, "T01")
    supervision = _requirement(statement, "supervision")
    assert supervision["title"] == "Supervision and their supervisor's report"
    assert supervision["detail"].endswith("their supervisor's written report received: yes")
    co_leading = _requirement(statement, "co_leading")
    assert {r["what"] for r in co_leading["counted"]} == {"co-leader"}
    membership = _requirement(statement, "membership")
    assert {r["what"] for r in membership["counted"]} == {"group member"}
    modes = {r["detail"].split(", ")[1] for r in supervision["counted"]}
    assert modes == {"face to face", "video", "telephone"}


def test_evidence_command_says_why_rows_did_not_count(sample_month: Path) -> None:
    for trainee in ("T03", "T16", "t20"):  # ids as the team types them
        result = run_cli("evidence", sample_month, trainee)
        assert result.exit_code == 0, result.output
        assert f"evidence/{trainee.upper()}.html" in result.output
    # supervised only by a leader who is not accredited: six sessions, none counted
    supervision = _requirement(_statement(sample_month, "T03"), "supervision")
    assert supervision["counted"] == []
    assert len(supervision["not_counted"]) == 6
    assert {r["reason"] for r in supervision["not_counted"]} == {
        "the supervisor is not an eligible supervisor (accredited and experienced)"
    }
    assert all("Adebayo" in r["detail"] for r in supervision["not_counted"])
    # psychodynamic route: four member sessions before the training start do not count
    membership = _requirement(_statement(sample_month, "T16"), "membership")
    assert (len(membership["counted"]), len(membership["not_counted"])) == (8, 4)
    assert {r["reason"] for r in membership["not_counted"]} == {
        "dated before professional training from (01/01/2024)"
    }
    # a rejected row naming the trainee, with the Data issues sheet's reason
    not_used = _statement(sample_month, "T20")["not_used"]
    assert [(r["file"], r["sheet"], r["row"]) for r in not_used] == [
        ("attendance/raman_medical_students_group.xlsx", "2026", 5)
    ]
    assert not_used[0]["reason"].startswith("rejected: '31/02/2026' is not a real date")


def test_rows_in_sheets_that_could_not_be_read_are_listed_as_not_used(tmp_path: Path) -> None:
    """A statement must not say every row naming the trainee was used when some stood in a
    sheet the run could not read: a register with an unknown date heading, a grid."""
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "November"
    sheet.append(["Participant", "When we met", "Attended as", "Group"])
    sheet.append(["Amelia Hart", "12/11/2026", "member", "Thursday group"])
    sheet.append(["T02", "12/11/2026", "member", "Thursday group"])
    book.save(inbox / "near-miss.xlsx")
    book = openpyxl.Workbook()
    book.active.append(["Name", "5 Nov 2026", "12 Nov 2026"])
    book.active.append(["T01", "x", "x"])
    book.save(inbox / "grid.xlsx")
    run_report(inbox, tmp_path / "out")
    month = tmp_path / "out" / "2026-11"
    not_used = _statement(month, "T01")["not_used"]
    unread = [r for r in not_used if r["reason"].startswith("not read: ")]
    assert [(r["file"], r["sheet"], r["row"], r["what"]) for r in unread] == [
        ("grid.xlsx", "Sheet", 2, "attendance"),
        ("near-miss.xlsx", "November", 2, "attendance"),
    ]
    assert "this sheet is a grid" in unread[0]["reason"]
    assert "looks like attendance but has no date column" in unread[1]["reason"]
    html = (month / "evidence" / "T01.html").read_text(encoding="utf-8")
    assert "every row naming Amelia Hart was used" not in html
    assert "in a sheet that could not be read" in html
    # T02's row is T02's alone
    assert [r["row"] for r in _statement(month, "T02")["not_used"]] == [3]


def test_evidence_refuses_when_the_inbox_changed_and_names_unknown_trainees(
    sample_month: Path, tmp_path: Path
) -> None:
    unknown = run_cli("evidence", sample_month, "T99")
    assert unknown.exit_code == 1
    assert "T99: no such trainee in the 2026-11 report's register" in unknown.output
    named = run_cli("evidence", sample_month, "Amelia Hart")
    assert named.exit_code == 1
    assert "Amelia Hart's id is T01, give that" in " ".join(named.output.split())
    moved = tmp_path / "moved"
    shutil.copytree(sample_month.parent.parent / "inbox", moved)
    csv = moved / "supervision" / "adebayo_supervision_log.csv"
    csv.write_bytes(csv.read_bytes() + b"\r\n")
    changed = run_cli("evidence", sample_month, "T03", "--inbox", moved)
    assert changed.exit_code == 1
    assert "1 file(s) in" in changed.output
    assert "supervision/adebayo_supervision_log.csv): run the month again" in changed.output
    assert "Traceback" not in changed.output


def test_decisions_and_a_supervisor_who_is_not_eligible_show_in_the_statement(
    tmp_path: Path,
) -> None:
    run_rules(
        tmp_path,
        {"psychodynamic_training": "no"},
        attendance=[att(f"0{i}/03/2025", "co_leader", event="Tuesday") for i in range(1, 5)],
        supervision=[sup("01/04/2025", "L1"), sup("02/04/2025", "L2")],
        decisions=[
            decide("co_leading", "credit 4", reason="co-led in Dublin", decided_by="L1"),
        ],
    )
    month = tmp_path / "out" / "2026-11"
    result = run_cli("evidence", month, "T1")
    assert result.exit_code == 0, result.output
    statement = _statement(month, "T1")
    co_leading = _requirement(statement, "co_leading")
    assert len(co_leading["counted"]) == 4
    assert [(d["what"], d["detail"]) for d in co_leading["decisions"]] == [
        ("credit 4", "co-led in Dublin, decided by Ann Leader")
    ]
    assert co_leading["decisions"][0]["sheet"] == "Decisions"
    supervision = _requirement(statement, "supervision")
    assert [r["date"] for r in supervision["counted"]] == ["01/04/2025"]
    assert [(r["date"], r["detail"]) for r in supervision["not_counted"]] == [
        ("02/04/2025", "with Bob Accredited")
    ]
    # nothing about the other trainee in the register
    html = (month / "evidence" / "T1.html").read_text(encoding="utf-8")
    assert "Tom Other" not in html and "T2" not in html
