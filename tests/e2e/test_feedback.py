"""Feedback to spreadsheet senders: a short list per file with problems, an .eml where mapped."""

from __future__ import annotations

import email
import json
import shutil
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result

from balint_reports.cli import main

from ..conftest import TRAINEE_HEADER, run_cli, run_report, trainee_row, write_csv, write_xlsx

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def test_sample_feedback_per_file_with_an_email_to_the_mapped_leader(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    with (inbox / "balint.toml").open("a", encoding="utf-8") as config:
        config.write('\n[email]\nfrom = "Accreditation <team@example.org>"\n')
        config.write('\n[senders]\n"attendance/Whitfield*" = "L02"\n"attendance/raman*" = "L99"\n')
    run_report(inbox, tmp_path / "out")
    folder = tmp_path / "out" / "2026-11" / "feedback"
    manifest = json.loads((folder / "feedback.json").read_text(encoding="utf-8"))
    by_file = {entry["file"]: entry for entry in manifest["files"]}
    # every file with an error or a warning, and only those
    assert sorted(by_file) == [
        "attendance/okafor_thursday_gp_group.xlsx",
        "attendance/raman_medical_students_group.xlsx",
        "attendance/whitfield_st_lukes_hospital.csv",
        "registers.xlsx",  # the team's own: two addresses with non-ASCII letters
        "supervision/adebayo_supervision_log.csv",
        "supervision/supervision_logs.xlsx",
    ]
    whitfield = by_file["attendance/whitfield_st_lukes_hospital.csv"]
    assert whitfield["leader_id"] == "L02"
    text = (folder.parent / whitfield["note"]).read_text(encoding="utf-8")
    assert text.startswith("Dear Dr Henry Whitfield,")
    said = "- Row 113 of the file, column Name (B): 'Priya Shrama' is not in the trainees register"
    assert said in text
    assert "T04" not in text and "Priya Sharma" not in text  # nobody else's name or id
    message = BytesParser(policy=policy.default).parsebytes(
        (folder.parent / whitfield["eml"]).read_bytes()
    )
    assert message["To"].addresses[0].display_name == "Dr Henry Whitfield"
    assert message["Subject"] == (
        "The Balint Society (fictional sample): please check your spreadsheet "
        "attendance/whitfield_st_lukes_hospital.csv"
    )
    assert "Row 113 of the file" in message.get_body(("plain",)).get_content()
    raman = by_file["attendance/raman_medical_students_group.xlsx"]
    assert raman["no_email"] == "[senders] names L99, who is not in the leaders register"
    assert "eml" not in raman
    assert by_file["supervision/supervision_logs.xlsx"]["no_email"] == (
        "no [senders] pattern in the config names this file"
    )
    assert sorted(p.suffix for p in folder.iterdir()).count(".eml") == 1


def test_rows_with_the_same_problem_are_one_line(inbox: Path, tmp_path: Path) -> None:
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [TRAINEE_HEADER, trainee_row("T1", "Jane Smith")],
            "Leaders": [["leader_id", "name"], ["L1", "Ann Leader"]],
        },
    )
    write_csv(
        inbox / "groups" / "tuesday.csv",
        [
            ["trainee", "date", "activity"],
            ["T1", "31/02/2026", "member"],
            ["T1", "30/02/2026", "member"],
            ["T1", "01/03/2026", "member"],
            ["T1", "32/01/2026", "member"],
            ["T1", "02/03/2026", "chairing"],
        ],
    )
    run_report(inbox, tmp_path / "out")
    note = tmp_path / "out" / "2026-11" / "feedback" / "groups__tuesday.csv.txt"
    lines = [line for line in note.read_text(encoding="utf-8").splitlines() if line[:2] == "- "]
    assert len(lines) == 2, lines
    assert lines[0].startswith("- Rows 2, 3 and 5 of the file, column date (B): '31/02/2026'")
    assert lines[0].endswith("(row 2; the others alike)")
    assert lines[1].startswith("- Row 6 of the file, column activity (C): ")
    assert "Hello," in note.read_text(encoding="utf-8")  # no [senders]: nobody by name
    assert not list(note.parent.glob("*.eml"))


def test_a_sender_is_not_told_the_name_of_another_senders_file(inbox: Path, tmp_path: Path) -> None:
    """Jane's session is in Ann's register and in Jane's own log: Jane's note says the record
    is in another spreadsheet, not which (file names often name people); a row repeated in
    her own file is named, and the team's Data issues name both."""
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [TRAINEE_HEADER, trainee_row("T1", "Jane Smith")],
            "Leaders": [["leader_id", "name"], ["L1", "Ann Leader"]],
        },
    )
    row = ["T1", "03/03/2026", "member"]
    write_csv(inbox / "ann_leader_register.csv", [["trainee", "date", "activity"], row])
    again = ["T1", "10/03/2026", "member"]
    write_csv(inbox / "jane_own_log.csv", [["trainee", "date", "activity"], row, again, again])
    progress = run_report(inbox, tmp_path / "out")
    note = (tmp_path / "out" / "2026-11" / "feedback" / "jane_own_log.csv.txt").read_text(
        encoding="utf-8"
    )
    assert "ann_leader_register" not in note
    assert (
        "Row 2 of the file, column date (B): the same record is in another spreadsheet the team "
        "received: counted once" in note
    )
    assert (
        "Row 4 of the file, column date (B): same as jane_own_log.csv, row 3: counted once" in note
    )
    team = [i["problem"] for i in progress["issues"] if i["file"] == "jane_own_log.csv"]
    assert team == [
        "same as ann_leader_register.csv, row 2: counted once",
        "same as jane_own_log.csv, row 3: counted once",
    ]


def test_a_sender_is_told_the_fix_that_is_theirs_not_the_teams_config_line(
    inbox: Path, tmp_path: Path
) -> None:
    # A sheet that nearly fits, and a grid register: the team is given its balint.toml line
    # and the template command; the group leader who sent the sheet is told what to change
    # in it, with no config of ours in the words.
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [TRAINEE_HEADER, trainee_row("T1", "Jane Smith")],
            "Leaders": [["leader_id", "name"], ["L1", "Ann Leader"]],
        },
    )
    write_csv(
        inbox / "tuesday.csv", [["Name", "When", "Role"], ["Jane Smith", "1/11/2026", "member"]]
    )
    write_csv(
        inbox / "thursday.csv",
        [["Name", "05/11/2026", "12/11/2026"], ["Jane Smith", "yes", "yes"]],
    )
    progress = run_report(inbox, tmp_path / "out")
    team = {i["file"]: i["problem"] for i in progress["issues"] if i["severity"] == "error"}
    assert '"When" = "date" under [columns.attendance] in balint.toml' in team["tuesday.csv"]
    assert "balint-reports template attendance.xlsx" in team["thursday.csv"]
    folder = tmp_path / "out" / "2026-11" / "feedback"
    tuesday = (folder / "tuesday.csv.txt").read_text(encoding="utf-8")
    assert (
        "- Row 1 of the file, column date: this sheet looks like attendance but has no date "
        "column, so its one row could not be read (headings seen: Name, When, Role): if "
        "'When' is the date, rename that heading to date (also recognised as: session date, "
        "meeting date, event date)\n"
    ) in tuesday
    thursday = (folder / "thursday.csv.txt").read_text(encoding="utf-8")
    assert thursday.count("- ") == 1
    assert (
        "- Row 1 of the file: this sheet is a grid, names down and dates across (05/11/2026, "
        "12/11/2026), so its one row could not be read: attendance is read as one row per "
        "person per session, under the headings trainee, date, activity. Each session someone "
        "came to needs a row of its own\n"
    ) in thursday
    for note in (tuesday, thursday):
        assert "balint.toml" not in note and "balint-reports" not in note


def test_a_sender_that_is_not_a_leader_id_is_a_config_error(inbox: Path, tmp_path: Path) -> None:
    (inbox / "balint.toml").write_text('[senders]\n"attendance/*" = 2\n', encoding="utf-8")
    result = run_cli("run", inbox, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "[senders] 'attendance/*' = 2: give the leader id in quotes" in result.output


class _Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


class _Clock:
    """A clock that moves only when slept on: the send's pacing costs the test no time."""

    def __init__(self) -> None:
        self.time = 1000.0

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.time += seconds


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    handler = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _send(month: Path, port: int, *args: str) -> Result:
    server = ["--host", "127.0.0.1", "--port", str(port), "--security", "none"]
    return CliRunner().invoke(main, ["send", str(month), *server, *args], obj={"clock": _Clock()})


def test_send_feedback_emails_each_mapped_sender_once(
    tmp_path: Path, smtp: tuple[_Inbox, int]
) -> None:
    received, port = smtp
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    with (inbox / "balint.toml").open("a", encoding="utf-8") as config:
        config.write('\n[email]\nfrom = "Accreditation <team@example.org>"\n')
        config.write('\n[senders]\n"attendance/whitfield*" = "L02"\n"supervision/*" = "L01"\n')
    progress = run_report(inbox, tmp_path / "out")
    assert any(i["severity"] == "error" for i in progress["issues"])  # no --yes needed for it
    month = tmp_path / "out" / "2026-11"

    dry = _send(month, port, "--feedback")
    assert dry.exit_code == 0, dry.output
    assert "3 would send, 3 skipped." in dry.output
    assert "no [senders] pattern in the config names this file" in dry.output
    assert received.messages == []

    sent = _send(month, port, "--feedback", "--no-dry-run")
    assert sent.exit_code == 0, sent.output
    assert "3 sent, 3 skipped." in sent.output
    by_subject = {str(m["Subject"]): (to, m) for to, m in received.messages}
    prefix = "The Balint Society (fictional sample): please check your spreadsheet "
    assert sorted(by_subject) == [
        prefix + "attendance/whitfield_st_lukes_hospital.csv",
        prefix + "supervision/adebayo_supervision_log.csv",
        prefix + "supervision/supervision_logs.xlsx",
    ]
    to, message = by_subject[prefix + "attendance/whitfield_st_lukes_hospital.csv"]
    assert to == ["h.whitfield@example.org"]
    body = message.get_body(("plain",)).get_content()
    assert body.startswith("Dear Dr Henry Whitfield,")
    assert "Row 113 of the file, column Name (B): 'Priya Shrama'" in body
    assert "Priya Sharma" not in body  # the suggestion names someone else: left out
    assert "Row 113 of the file" in message.get_body(("html",)).get_content()

    again = _send(month, port, "--feedback", "--no-dry-run")
    assert again.exit_code == 0, again.output
    assert again.output.count("already sent on") == 3
    assert len(received.messages) == 3  # nothing twice, and no letter went with them

    both = _send(month, port, "--feedback", "--digests")
    assert both.exit_code == 2 and "--feedback goes alone" in both.output


def test_send_feedback_without_any_notes_says_so(inbox: Path, tmp_path: Path) -> None:
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [TRAINEE_HEADER, trainee_row("T1", "Jane Smith")],
            "Leaders": [["leader_id", "name"], ["L1", "Ann Leader"]],
        },
    )
    run_report(inbox, tmp_path / "out")
    month = tmp_path / "out" / "2026-11"
    assert not (month / "feedback").exists()
    result = run_cli("send", month, "--feedback")
    assert result.exit_code == 0, result.output
    assert "No feedback notes to send in" in result.output
