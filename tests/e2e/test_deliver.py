"""The outbox, supervisor digests and `send`, against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import csv
import datetime as dt
import email
import json
import os
import re
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner, Result

from balint_reports.cli import main
from balint_reports.config import load_config
from balint_reports.errors import ConfigError, DeliveryError, OutputError
from balint_reports.lock import locked
from balint_reports.outbox import (
    Outgoing,
    Recipient,
    build_message,
    content_hash,
    headers_for,
)

from ..conftest import TRAINEE_HEADER, run_report, trainee_row, write_csv, write_xlsx

HOST = "127.0.0.1"
CONFIG = """
[report]
society = "Balint Society"
signature = "The Accreditation Team"
contact_email = "team@balint.example"

[email]
from = "Balint Accreditation <accreditation@balint.example>"
subject = "Your accreditation progress, {month}"
"""
# Who gets a letter by email: active or paused, with a valid address.
EMAILED = {
    "T1": "jane@example.org",
    "T2": "bob@example.org",
    "T3": "cat@example.org",
    "T5": "dán@example.org",
}
# Listed in every send table too, with the reason they get nothing.
NOT_EMAILED = {
    "T4": "no address: add it to the trainees register",
    "T6": "no letter",
    # the address as typed, so the team sees what to correct
    "T7": "'fay at example.org' is not a valid address: correct it in the trainees register",
}


class FakeClock:
    """A clock that only moves when slept on, and remembers every sleep."""

    def __init__(self) -> None:
        self.time = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.time += seconds


class Recorder:
    """An aiosmtpd handler that keeps every message and misbehaves when told to."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: set[str] = set()  # recipients answered with 550
        self.greylist: dict[str, int] = {}  # recipient -> how many RCPTs to answer with 451
        self.drop_at_rcpt: set[str] = set()  # recipients whose RCPT closes the connection
        self.rcpts: list[str] = []  # every RCPT, in order
        self.temporary = 0  # how many DATA commands to answer with 421 first
        self.drop_after: int | None = None  # close the connection after this many messages
        self.down_after: int | None = None  # after this many, close it at the next MAIL
        self.down = False
        self.on_message: Callable[[], None] | None = None  # called as each message arrives

    async def handle_MAIL(self, server, session, envelope, address, options):
        if self.down:
            server.transport.close()
            return "421 4.3.0 going away"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        self.rcpts.append(address)
        if address in self.drop_at_rcpt:
            self.drop_at_rcpt.discard(address)
            server.transport.close()
            return "421 4.3.0 gone"
        if self.greylist.get(address):
            self.greylist[address] -= 1
            return "451 4.7.1 greylisted: try again later"
        if address in self.refuse:
            return "550 5.1.1 <" + address + ">: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.temporary:
            self.temporary -= 1
            return "451 4.3.0 try again later"
        # Decoded first: an SMTPUTF8 message carries UTF-8 in its headers.
        message = email.message_from_string(envelope.content.decode(), policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        if self.on_message is not None:
            self.on_message()
        if self.down_after is not None and len(self.messages) >= self.down_after:
            self.down = True  # this one is acknowledged; the next MAIL finds the server gone
        if self.drop_after is not None and len(self.messages) >= self.drop_after:
            # Received, but the client never hears so: its delivery is unknown.
            self.down = True
            server.transport.close()
        return "250 OK"

    def recipients(self) -> list[str]:
        return sorted(r for rcpts, _ in self.messages for r in rcpts)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    handler = Recorder()
    port = _free_port()
    controller = Controller(handler, hostname=HOST, port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _inbox(inbox: Path, jane_sessions: int = 3) -> None:
    (inbox / "balint.toml").write_text(CONFIG, encoding="utf-8")
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row(
                    "T1",
                    "Jane Smith",
                    email="jane@example.org",
                    psychodynamic_training="no",
                    supervisor="L1",
                ),
                trainee_row("T2", "Bob <b>Jones</b>", email="bob@example.org", supervisor="L1"),
                trainee_row(
                    "T3", "Cat Brown", email="cat@example.org", status="paused", supervisor="L2"
                ),
                trainee_row("T4", "No Address", email="", supervisor="L2"),
                trainee_row("T5", "Dán Grey", email="dán@example.org"),
                trainee_row("T6", "Eve Gone", email="eve@example.org", status="withdrawn"),
                trainee_row("T7", "Fay Typo", email="fay at example.org"),
            ],
            "Leaders": [
                ["leader_id", "name", "email", "accredited", "supervision_experience"],
                ["L1", "Ann Leader", "ann@example.org", "yes", "yes"],
                ["L2", "Lee Other", "lee@example.org", "yes", "yes"],
            ],
        },
    )
    write_csv(
        inbox / "attendance.csv",
        [["trainee", "date", "activity"]]
        + [["T1", f"{day}/03/2026", "member"] for day in range(1, jane_sessions + 1)]
        + [["Cat Brown", "31/02/2026", "member"], ["T2", "01/03/2026", "member"]],
    )


def _send(
    report: Path, *args: str, clock: FakeClock | None = None, port: int = 0, yes: bool = True
) -> Result:
    """`send` through the CLI; a real send goes ahead despite the month's data errors."""
    options = ["--host", HOST, "--port", str(port), "--security", "none"] if port else []
    if yes and "--no-dry-run" in args:
        options.append("--yes")
    return CliRunner().invoke(
        main,
        ["send", str(report), *options, *args],
        obj={"clock": clock or FakeClock()},
        catch_exceptions=False,
    )


@pytest.fixture
def report(inbox: Path, tmp_path: Path) -> Path:
    _inbox(inbox)
    run_report(inbox, tmp_path / "out")
    return tmp_path / "out" / "2026-11"


def _send_report(report: Path, name: str = "send-report.csv") -> dict[str, dict]:
    # Excel reads the byte-order mark as UTF-8's: so does Python's utf-8-sig
    assert (report / name).read_bytes().startswith(b"\xef\xbb\xbfkind,")
    with (report / name).open(encoding="utf-8-sig") as handle:
        return {row["recipient"]: row for row in csv.DictReader(handle)}


# --- the outbox -------------------------------------------------------------------------


def test_outbox_has_one_eml_per_emailable_letter_that_parses_back(report: Path) -> None:
    assert sorted(p.stem for p in (report / "outbox").glob("*.eml")) == sorted(EMAILED)
    message = email.message_from_bytes(
        (report / "outbox" / "T2.eml").read_bytes(), policy=policy.default
    )
    assert message["From"].addresses[0].addr_spec == "accreditation@balint.example"
    assert message["From"].addresses[0].display_name == "Balint Accreditation"
    assert str(message["Reply-To"]) == "team@balint.example"
    assert message["To"].addresses[0].addr_spec == "bob@example.org"
    assert message["To"].addresses[0].display_name == "Bob <b>Jones</b>"
    assert str(message["Subject"]) == "Your accreditation progress, November 2026"
    assert message["Date"].datetime is not None
    assert str(message["Message-ID"]).endswith(".letter.2026-11@balint.example>")
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # .eml files use the CRLF line ends of internet mail.
    assert text.replace("\r\n", "\n") == (report / "letters" / "T2.txt").read_text("utf-8")
    assert "Dear Bob &lt;b&gt;Jones&lt;/b&gt;," in html
    assert "Jane" not in text + html


def test_unusable_and_shared_addresses_are_data_issues(inbox: Path, tmp_path: Path) -> None:
    _inbox(inbox)
    write_xlsx(
        inbox / "more.xlsx",
        {"Trainees": [TRAINEE_HEADER, trainee_row("T8", "Gil Twin", email="JANE@example.org")]},
    )
    progress = run_report(inbox, tmp_path / "out")
    email_issues = {
        (i["file"], i["row"]): i["problem"] for i in progress["issues"] if i["column"] == "email"
    }
    assert email_issues[("registers.xlsx", 5)].startswith("no email address: the letter is")
    assert email_issues[("registers.xlsx", 8)].startswith(
        "'fay at example.org' is not a valid email address"
    )
    assert "same address" in email_issues[("registers.xlsx", 2)]
    assert "same address" in email_issues[("more.xlsx", 2)]
    # The withdrawn trainee gets no letter, so no issue either.
    assert ("registers.xlsx", 7) not in email_issues
    assert not (tmp_path / "out" / "2026-11" / "outbox" / "T4.eml").exists()


def test_header_values_with_line_breaks_or_nul_are_refused(inbox: Path) -> None:
    _inbox(inbox)
    config = load_config(inbox / "balint.toml")
    headers = headers_for(config, "letter", dt.date(2026, 11, 30))
    for bad in ("Jane\r\nBcc: x@evil.example", "Jane\0"):
        recipient = Recipient("letter", "T1", bad, "jane@example.org")
        item = Outgoing("T1", "<p>html</p>", "text", recipient)
        with pytest.raises(DeliveryError, match="line break or NUL"):
            build_message(item, headers, "2026-11")
    (inbox / "balint.toml").write_text('[email]\nsubject = "Hi\\r\\nBcc: x@evil.example"\n')
    with pytest.raises(ConfigError, match=r"\[email\] subject must be one line"):
        load_config(inbox / "balint.toml")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[smtp]\npassword = "secret"', "[smtp] password: never write the password"),
        ('[smtp]\nsecurity = "tls"', "[smtp] security = 'tls': use one of starttls, ssl, none"),
        ("[smtp]\nport = 0", "[smtp] port must be a whole number"),
        ("[smtp]\nmessages_per_minute = -1", "[smtp] messages_per_minute must be a number"),
        ('[smtp]\nserver = "x"', "[smtp] has unknown key 'server'"),
        ('[email]\nsender = "x"', "[email] has unknown key 'sender'"),
        (
            '[email]\nsubject = "Progress {date}"',
            "only {month}, {society}, {accreditation} may be written",
        ),
        ('[email]\nfrom = "Balint Team"', "[email] from = 'Balint Team' is not an email address"),
        ('[email]\nfrom = "Team <team at balint.example>"', "[email] from = 'Team <team at"),
        ('[email]\nreply_to = "team@balint"', "[email] reply_to = 'team@balint' is not an email"),
        ('[report]\ncontact_email = "the team"', "[report] contact_email = 'the team' is not an"),
        ('[report]\ncontact_email = "a@b.org\\nBcc: c@d.org"', "[report] contact_email must be"),
        ('[report]\nsociety = "Balint\\r\\nBcc: x@evil.example"', "[report] society must be one"),
        ('[email]\ndigest_subject = "Hi\\u0000"', "[email] digest_subject must be one line"),
    ],
)
def test_bad_email_and_smtp_settings_name_file_and_key(
    tmp_path: Path, table: str, message: str
) -> None:
    path = tmp_path / "balint.toml"
    path.write_text(table, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_a_usable_sender_and_blank_contact_still_load(tmp_path: Path) -> None:
    path = tmp_path / "balint.toml"
    path.write_text(
        '[report]\ncontact_email = ""\n[email]\nfrom = "Team <team@balint.example>"\n'
        'reply_to = "help@balint.example"\n',
        encoding="utf-8",
    )
    assert load_config(path).email["from"] == "Team <team@balint.example>"


# --- digests ------------------------------------------------------------------------------


def test_digest_lists_only_the_supervisors_own_trainees(report: Path) -> None:
    assert sorted(p.name for p in (report / "digests").iterdir()) == [
        "L1.eml",
        "L1.html",
        "L1.txt",
        "L2.eml",
        "L2.html",
        "L2.txt",
    ]
    l1 = (report / "digests" / "L1.txt").read_text(encoding="utf-8")
    assert "Dear Ann Leader," in l1
    assert "Jane Smith (T1): In progress" in l1
    assert "Bob <b>Jones</b> (T2)" in l1
    for other in ("Cat Brown", "No Address", "Dán Grey", "T3", "T4"):
        assert other not in l1
    l2 = (report / "digests" / "L2.txt").read_text(encoding="utf-8")
    # Cat's rejected attendance row (31 February) and T4's missing address are L2's to see.
    assert "Row 5 of attendance.csv: the date '31/02/2026'" in l2
    assert "Row 5 of registers.xlsx (sheet Trainees): the trainee's email address is missing" in l2
    assert "Jane" not in l2 and "Bob" not in l2
    html = (report / "digests" / "L1.html").read_text(encoding="utf-8")
    assert "Bob &lt;b&gt;Jones&lt;/b&gt;" in html
    message = email.message_from_bytes(
        (report / "digests" / "L1.eml").read_bytes(), policy=policy.default
    )
    assert message["To"].addresses[0].addr_spec == "ann@example.org"


def test_digest_uses_the_merged_register_like_the_letters(inbox: Path, tmp_path: Path) -> None:
    # The register merges ids case-blind, later rows filling blanks: Jane's second row
    # (`t1`) gives her supervisor, so she is in Lee's digest, with the issue on that row.
    (inbox / "balint.toml").write_text(CONFIG, encoding="utf-8")
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Jane Smith", email="jane@example.org"),
                trainee_row("t1", "Jane Smith", supervisor="L2"),
            ],
            "Leaders": [
                ["leader_id", "name", "email", "accredited", "supervision_experience"],
                ["L2", "Lee Other", "", "yes", "yes"],
                ["l2", "Lee Other", "lee@example.org", "yes", "yes"],
            ],
        },
    )
    run_report(inbox, tmp_path / "out")
    digests = tmp_path / "out" / "2026-11" / "digests"
    l2 = (digests / "L2.txt").read_text(encoding="utf-8")
    assert "Jane Smith (T1)" in l2
    assert "Row 3 of registers.xlsx (sheet Trainees): the trainee is listed twice" in l2
    message = email.message_from_bytes((digests / "L2.eml").read_bytes(), policy=policy.default)
    assert message["To"].addresses[0].addr_spec == "lee@example.org"


def test_digest_issues_name_nobody_else(inbox: Path, tmp_path: Path) -> None:
    _inbox(inbox)
    write_xlsx(
        inbox / "more.xlsx",
        {"Trainees": [TRAINEE_HEADER, trainee_row("T8", "Jane Smith", email="j2@example.org")]},
    )
    write_csv(
        inbox / "coled.csv",
        [
            ["trainee", "date", "activity", "co_leader"],
            ["T1", "02/03/2026", "member", "Dan Gray"],  # close to Dán Grey (T5): not L1's
            ["T2", "02/03/2026", "member", "Jane Smith"],  # T1 or T8: T8 is not L1's
        ],
    )
    progress = run_report(inbox, tmp_path / "out")
    problems = " ".join(i["problem"] for i in progress["issues"] if i["file"] == "coled.csv")
    # The team's summary keeps the suggestions; the supervisor's digest does not.
    assert "did you mean Dán Grey (T5)?" in problems and "Jane Smith (T8)" in problems
    l1 = (tmp_path / "out" / "2026-11" / "digests" / "L1.txt").read_text(encoding="utf-8")
    # worded from each issue's code: what it means, without the people a lookup suggested
    assert (
        "Row 2 of coled.csv: the co-leader 'Dan Gray' is not in the society's registers: "
        "the row counts as it is while the leadership team checks it"
    ) in l1
    assert (
        "Row 3 of coled.csv: the co-leader 'Jane Smith' matches more than one person: "
        "the row does not"
    ) in l1
    for other in ("Dán", "T5", "T8"):
        assert other not in l1


def test_send_digests_delivers_one_per_supervisor(report: Path, smtp: tuple) -> None:
    server, port = smtp
    result = _send(report, "--no-dry-run", "--digests", port=port)
    assert result.exit_code == 0, result.output
    assert server.recipients() == ["ann@example.org", "lee@example.org"]
    assert str(server.messages[0][1]["Subject"]) == (
        "Balint Society: your supervisees' progress, November 2026"
    )


def test_the_default_subject_says_the_societys_word_for_accreditation(
    inbox: Path, tmp_path: Path, smtp: tuple
) -> None:
    # Under the American Balint Society's rules the letter says "credentialing": so does the
    # subject the config leaves to us, in the outbox and as sent.
    _inbox(inbox)
    config = CONFIG.replace('subject = "Your accreditation progress, {month}"\n', "")
    (inbox / "balint.toml").write_text(config, encoding="utf-8")
    run_report(inbox, tmp_path / "out", "--rules", "abs-credentialing")
    report = tmp_path / "out" / "2026-11"
    expected = "Balint Society: your progress towards credentialing, November 2026"
    outbox = email.message_from_bytes(
        (report / "outbox" / "T2.eml").read_bytes(), policy=policy.default
    )
    assert str(outbox["Subject"]) == expected
    server, port = smtp
    result = _send(report, "--no-dry-run", "--only", "T2", port=port)
    assert result.exit_code == 0, result.output
    assert [str(m["Subject"]) for _, m in server.messages] == [expected]


# --- send ---------------------------------------------------------------------------------


def test_dry_run_sends_nothing_and_says_how_to_send(report: Path, smtp: tuple) -> None:
    server, port = smtp
    result = _send(report, port=port)
    assert result.exit_code == 0, result.output
    assert server.messages == []
    assert "4 would send, 3 skipped." in result.output
    assert result.output.rstrip().endswith(
        f"run:\n  balint-reports send {report} --host {HOST} --port {port} --security none "
        "--no-dry-run"
    )
    dry = _send_report(report, "send-report-dry-run.csv")
    assert {r: row["status"] for r, row in dry.items() if r in EMAILED} == dict.fromkeys(
        EMAILED, "would send"
    )
    assert dry["T5"]["detail"].startswith("non-ASCII address: sent only if the server takes")
    for trainee, reason in NOT_EMAILED.items():
        assert dry[trainee]["status"] == "skipped"
        assert dry[trainee]["detail"].startswith(reason)
    assert not (report / "send-report.csv").exists()


def test_dry_run_keeps_the_table_of_an_earlier_real_send(report: Path, smtp: tuple) -> None:
    server, port = smtp
    assert _send(report, "--no-dry-run", "--only", "T1", port=port).exit_code == 0
    assert _send(report, port=port).exit_code == 0
    assert {r: row["status"] for r, row in _send_report(report).items()} == {"T1": "sent"}
    dry = _send_report(report, "send-report-dry-run.csv")
    assert dry["T1"]["status"] == "skipped" and dry["T2"]["status"] == "would send"


def test_full_send_delivers_each_letter_once(report: Path, smtp: tuple) -> None:
    server, port = smtp
    result = _send(report, "--no-dry-run", port=port)
    assert result.exit_code == 0, result.output
    assert "4 sent, 3 skipped." in result.output
    assert server.recipients() == sorted(EMAILED.values())
    for rcpts, message in server.messages:
        assert [a.addr_spec for a in message["To"].addresses] == rcpts
        assert message.get_body(("plain",)) is not None
        assert message.get_body(("html",)) is not None
    again = _send(report, "--no-dry-run", port=port)
    assert again.exit_code == 0, again.output
    assert len(server.messages) == 4
    assert "7 skipped." in again.output
    # the day in words, as every other message to the team writes it
    assert re.fullmatch(
        r"already sent on \d{1,2} [A-Z][a-z]+ \d{4}", _send_report(report)["T1"]["detail"]
    )


def test_limit_and_only(report: Path, smtp: tuple) -> None:
    server, port = smtp
    assert _send(report, "--no-dry-run", "--only", "T3", "--only", "t5", port=port).exit_code == 0
    assert server.recipients() == ["cat@example.org", "dán@example.org"]
    result = _send(report, "--no-dry-run", "--limit", "1", port=port)
    assert server.recipients() == ["cat@example.org", "dán@example.org", "jane@example.org"]
    assert _send_report(report)["T2"]["status"] == "not sent"
    # Stopping where asked is no failure.
    assert result.exit_code == 0, result.output
    assert (
        "1 sent, 1 left: run again without --limit to send the rest:\n"
        f"  balint-reports send {report} --yes --host {HOST} --port {port} --security none "
        "--no-dry-run\n"
    ) in result.output
    assert "Error" not in result.output
    missing = _send(report, "--only", "T9", port=port)
    assert missing.exit_code == 1
    assert "--only T9: no letter for this id in the 2026-11 report; a dry run" in " ".join(
        missing.output.split()
    )
    # a name typed for an id is told the id to give
    named = _send(report, "--only", "jane smith", port=port)
    assert named.exit_code == 1
    assert "Jane Smith's id is T1: give --only T1" in " ".join(named.output.split())


def test_dropped_connection_then_rerun_sends_the_rest_once(report: Path, smtp: tuple) -> None:
    server, port = smtp
    server.drop_after = 2
    first = _send(report, "--no-dry-run", port=port)
    assert first.exit_code == 1
    outcome = {r: row["status"] for r, row in _send_report(report).items() if r in EMAILED}
    assert outcome == {"T1": "sent", "T2": "unknown", "T3": "not sent", "T5": "not sent"}
    assert "Run the same command again" in first.output
    server.down = False
    server.drop_after = None
    second = _send(report, "--no-dry-run", port=port)
    # T2 was received, but we could not know: listed for the team, not resent.
    assert second.exit_code == 0, second.output
    assert _send_report(report)["T2"]["status"] == "skipped"
    assert "delivery unknown" in _send_report(report)["T2"]["detail"]
    assert server.recipients() == sorted(EMAILED.values())
    assert (
        "Delivery unknown from an earlier send: Bob <b>Jones</b> (T2). Check with them; if it "
        "did not arrive, use --retry-unknown --only ID."
    ) in second.output


def test_interrupted_send_is_never_resent_blindly(report: Path, smtp: tuple) -> None:
    server, port = smtp
    assert _send(report, "--no-dry-run", "--only", "T1", port=port).exit_code == 0
    # A send killed while handing T2 over leaves its attempt marked `sending`.
    log = sqlite3.connect(report.parent / "send-log.sqlite")
    with log:
        log.execute(
            "INSERT INTO attempts (kind, recipient, month, content_hash, message_id, correction,"
            " state, started) SELECT kind, 'T2', month, ?, '', 0, 'sending', started "
            "FROM attempts",
            (_hash_of(report, "T2"),),
        )
    log.close()
    result = _send(report, "--no-dry-run", port=port)
    assert result.exit_code == 0, result.output
    assert server.recipients() == ["cat@example.org", "dán@example.org", "jane@example.org"]
    retry = _send(report, "--no-dry-run", "--retry-unknown", "--only", "T2", port=port)
    assert retry.exit_code == 0, retry.output
    assert server.recipients().count("bob@example.org") == 1


def _hash_of(report: Path, trainee: str) -> str:
    """The content hash the send log keys a letter by: its two bodies as the run wrote them."""
    letters = report / "letters"
    html = (letters / f"{trainee}.html").read_text(encoding="utf-8")
    text = (letters / f"{trainee}.txt").read_text(encoding="utf-8")
    return content_hash(Outgoing(trainee, html, text, Recipient("letter", trainee, "", "")))


def test_temporary_refusal_is_retried_after_a_pause(report: Path, smtp: tuple) -> None:
    server, port = smtp
    server.temporary = 2
    clock = FakeClock()
    result = _send(report, "--no-dry-run", "--only", "T1", clock=clock, port=port)
    assert result.exit_code == 0, result.output
    assert server.recipients() == ["jane@example.org"]
    assert clock.sleeps == [30.0, 60.0]


def test_permanent_refusal_is_not_retried_until_the_address_changes(
    inbox: Path, tmp_path: Path, smtp: tuple
) -> None:
    server, port = smtp
    _inbox(inbox)
    run_report(inbox, tmp_path / "out")
    report = tmp_path / "out" / "2026-11"
    server.refuse = {"bob@example.org"}
    result = _send(report, "--no-dry-run", port=port)
    assert result.exit_code == 1
    assert "not everything was sent" in result.output
    assert "Refused for good by the server: Bob <b>Jones</b> (T2)." in result.output
    assert "--retry-failed --only ID" in result.output
    row = _send_report(report)["T2"]
    assert row["status"] == "failed"
    assert row["detail"] == "550 5.1.1 <bob@example.org>: no such mailbox here"
    assert server.recipients() == ["cat@example.org", "dán@example.org", "jane@example.org"]
    # A plain re-run does not knock on the same door again, and says how to.
    rcpts = len(server.rcpts)
    again = _send(report, "--no-dry-run", port=port)
    assert again.exit_code == 0, again.output
    assert len(server.rcpts) == rcpts
    assert (
        "Refused for good by the server in an earlier send: Bob <b>Jones</b> (T2). Correct the "
        "address in the register and run the month again, or use --retry-failed --only ID."
    ) in again.output
    detail = _send_report(report)["T2"]["detail"]
    assert _send_report(report)["T2"]["status"] == "skipped"
    assert re.match(r"refused by the server on \d{1,2} [A-Z][a-z]+ \d{4} \(", detail)
    assert "(550 5.1.1 <bob@example.org>: no such mailbox here)" in detail
    assert detail.endswith(
        "correct the address in the trainees register and run the month again, or use "
        "--retry-failed --only T2 to try it as it is"
    )
    # Corrected in the register: the month run again, the new address is tried at once.
    register = inbox / "registers.xlsx"
    book = openpyxl.load_workbook(register)
    book["Trainees"]["C3"] = "bob.jones@example.org"
    book.save(register)
    run_report(inbox, tmp_path / "out")
    fixed = _send(report, "--no-dry-run", port=port)
    assert fixed.exit_code == 0, fixed.output
    assert server.recipients().count("bob.jones@example.org") == 1


def test_retry_failed_tries_a_refused_address_as_it_is(report: Path, smtp: tuple) -> None:
    server, port = smtp
    server.refuse = {"bob@example.org"}
    assert _send(report, "--no-dry-run", port=port).exit_code == 1
    server.refuse = set()
    retried = _send(report, "--no-dry-run", "--retry-failed", "--only", "T2", port=port)
    assert retried.exit_code == 0, retried.output
    assert server.recipients().count("bob@example.org") == 1


def test_rate_limit_spaces_messages_without_sleeping(report: Path, smtp: tuple) -> None:
    server, port = smtp
    clock = FakeClock()
    result = _send(report, "--no-dry-run", "--messages-per-minute", "30", clock=clock, port=port)
    assert result.exit_code == 0, result.output
    assert len(server.messages) == 4
    assert clock.sleeps == [2.0, 2.0, 2.0]


def test_changed_letter_is_sent_only_as_a_correction(
    inbox: Path, tmp_path: Path, smtp: tuple
) -> None:
    server, port = smtp
    _inbox(inbox)
    run_report(inbox, tmp_path / "out")
    report = tmp_path / "out" / "2026-11"
    assert _send(report, "--no-dry-run", port=port).exit_code == 0
    first_id = str(next(m for r, m in server.messages if r == ["jane@example.org"])["Message-ID"])
    _inbox(inbox, jane_sessions=5)  # the team found two more of Jane's sessions
    run_report(inbox, tmp_path / "out")
    plain = _send(report, "--no-dry-run", port=port)
    assert plain.exit_code == 0, plain.output
    assert len(server.messages) == 4
    assert "use --resend-changed" in _send_report(report)["T1"]["detail"]
    # Said after the table, by name, in a real send and in a dry run alike.
    held = (
        "Changed since sent this month: Jane Smith (T1). Add --resend-changed to send it as a "
        "correction that opens with what changed."
    )
    assert held in plain.output
    dry = _send(report)
    assert held in dry.output
    assert dry.output.rstrip().endswith(
        "This was a dry run: nothing was sent, and as it is this command sends nothing."
    )
    corrected = _send(report, "--no-dry-run", "--resend-changed", port=port)
    assert corrected.exit_code == 0, corrected.output
    assert len(server.messages) == 5
    rcpts, message = server.messages[-1]
    assert rcpts == ["jane@example.org"]
    assert str(message["Subject"]) == "Correction: Your accreditation progress, November 2026"
    assert str(message["References"]) == first_id
    plain = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "5 of 20" in plain
    # It opens with one line saying what changed since the letter that went out.
    today = dt.date.today()
    line = (
        f"This letter replaces the one we sent on {today.day} {today:%B %Y}, after the records "
        "were corrected: 2 more member sessions during or after your professional training."
    )
    assert plain.startswith(line + "\n\n")
    html = message.get_body(("html",)).get_content()
    assert html.index(line) < html.index("Dear Jane Smith")


def test_send_report_cells_cannot_run_as_formulas(inbox: Path, tmp_path: Path) -> None:
    (inbox / "balint.toml").write_text(CONFIG, encoding="utf-8")
    write_csv(
        inbox / "trainees.csv",
        [TRAINEE_HEADER, trainee_row("=HYPERLINK(1)", "Eq Person", email="=1+2@x.org")],
    )
    run_report(inbox, tmp_path / "out")
    report = tmp_path / "out" / "2026-11"
    assert _send(report).exit_code == 0
    with (report / "send-report-dry-run.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][:5] == ["letter", "'=HYPERLINK(1)", "Eq Person", "'=1+2@x.org", "would send"]


def test_send_holds_the_reports_folder_lock(report: Path, smtp: tuple) -> None:
    server, port = smtp
    out = report.parent
    with locked(out):
        refused = _send(report, "--no-dry-run", port=port)
    assert refused.exit_code == 1
    assert "another balint-reports run is writing to this folder" in refused.output
    assert server.messages == []
    assert not (out / "send-log.sqlite").exists()
    # And while a send is sending, a run (or a second send) of that folder is refused.
    while_sending: list[str] = []

    def try_the_lock() -> None:
        try:
            with locked(out):
                while_sending.append("got the lock")
        except OutputError as exc:
            while_sending.append(str(exc))

    server.on_message = try_the_lock
    assert _send(report, "--no-dry-run", port=port).exit_code == 0
    assert len(while_sending) == 4
    assert all("another balint-reports run is writing" in m for m in while_sending)


def test_send_dot_from_inside_the_month_folder_logs_in_the_reports_folder(
    report: Path, smtp: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, port = smtp
    monkeypatch.chdir(report)
    result = _send(Path("."), "--no-dry-run", "--only", "T1", port=port)
    assert result.exit_code == 0, result.output
    assert (report.parent / "send-log.sqlite").exists()
    assert not (report / "send-log.sqlite").exists()
    # A re-run of the month replaces the month folder; the log must not go with it.
    assert _send(Path("."), "--no-dry-run", "--only", "T1", port=port).exit_code == 0
    assert server.recipients() == ["jane@example.org"]


def _manifest(report: Path) -> dict:
    return json.loads((report / "mail.json").read_text(encoding="utf-8"))


def _rewrite(report: Path, change: Callable[[dict], object]) -> None:
    manifest = _manifest(report)
    change(manifest)
    (report / "mail.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda r: _rewrite(r, lambda m: m.pop("month")), "mail.json: damaged (no 'month')"),
        (
            lambda r: _rewrite(r, lambda m: m["messages"].append({})),
            "mail.json: damaged (no 'kind')",
        ),
        (lambda r: (r / "mail.json").write_text("[1, 2]"), "mail.json: damaged: run the month"),
        (
            lambda r: (r / "mail.json").write_text('{"month": "2026-11", "messages": []}'),
            "mail.json: written by an earlier version of balint-reports: run the month again",
        ),
        (lambda r: (r / "letters" / "T2.txt").unlink(), "T2.txt: cannot read it (No such file"),
        (
            lambda r: _rewrite(r, lambda m: m["messages"][0].update(html="../../secret.html")),
            "mail.json: damaged ('../../secret.html')",
        ),
        (lambda r: (r / "progress.json").write_text("{}"), "progress.json: damaged: run the"),
    ],
)
def test_a_damaged_outbox_is_a_clear_error(
    report: Path, damage: Callable[[Path], object], message: str
) -> None:
    damage(report)
    result = CliRunner().invoke(main, ["send", str(report)], obj={"clock": FakeClock()})
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert message in result.output


def test_no_host_is_a_clear_error(report: Path) -> None:
    result = _send(report, "--no-dry-run")
    assert result.exit_code == 1
    assert "no SMTP server given: use --host" in result.output


def test_send_needs_a_month_folder(tmp_path: Path) -> None:
    result = _send(tmp_path)
    assert result.exit_code == 1
    assert "mail.json: not found. Give the month's folder" in result.output


def test_send_help_has_an_example() -> None:
    result = CliRunner().invoke(main, ["send", "--help"])
    assert "Example:" in result.output
    assert "balint-reports send reports/2026-11 --no-dry-run" in result.output


# --- STARTTLS and AUTH --------------------------------------------------------------------


def _self_signed(folder: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not available to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            f"/CN={HOST}",
            "-addext",
            f"subjectAltName=IP:{HOST}",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def _tls_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password_ok: Callable[[bytes], bool]
) -> Iterator[tuple[Recorder, int, list[tuple[str, str]]]]:
    """A STARTTLS server with AUTH on 127.0.0.1, trusted by the client like a company CA."""
    cert, key = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    logins: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=password_ok(auth_data.password), handled=False)

    handler = Recorder()
    port = _free_port()
    controller = Controller(
        handler,
        hostname=HOST,
        port=port,
        tls_context=server_context,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    try:
        yield handler, port, logins
    finally:
        controller.stop()


def _tls_args(port: int) -> list[str]:
    return ["--host", HOST, "--port", str(port), "--username", "team", "--no-dry-run", "--yes"]


def test_starttls_with_login(report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _tls_server(tmp_path, monkeypatch, lambda p: p == b"s3cret pass") as tls:
        handler, port, logins = tls
        args = _tls_args(port)
        monkeypatch.setenv("BALINT_SMTP_PASSWORD", "wrong")
        refused = CliRunner().invoke(main, ["send", str(report), *args], obj={"clock": FakeClock()})
        assert refused.exit_code == 1
        assert "refused the username or password (535" in refused.output
        monkeypatch.setenv("BALINT_SMTP_PASSWORD", "s3cret pass")
        result = CliRunner().invoke(main, ["send", str(report), *args], obj={"clock": FakeClock()})
    assert result.exit_code == 0, result.output
    assert logins[-1] == ("team", "s3cret pass")
    assert set(logins[:-1]) == {("team", "wrong")}
    assert handler.recipients() == sorted(EMAILED.values())
    assert "s3cret" not in result.output
    for file in (report / "send-report.csv", report.parent / "send-log.sqlite"):
        assert b"s3cret" not in file.read_bytes()
    assert json.loads((report / "mail.json").read_text())["month"] == "2026-11"


def test_login_refused_on_reconnect_keeps_what_was_sent_and_says_how_to_resume(
    report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BALINT_SMTP_PASSWORD", "s3cret pass")
    accept = {"logins": 1}

    def password_ok(password: bytes) -> bool:
        accept["logins"] -= 1
        return accept["logins"] >= 0  # the password "expires" after the first login

    with _tls_server(tmp_path, monkeypatch, password_ok) as (handler, port, _):
        handler.down_after = 2  # the server goes away after two, so the client logs in again
        stopped = CliRunner().invoke(
            main, ["send", str(report), *_tls_args(port)], obj={"clock": FakeClock()}
        )
        assert stopped.exit_code == 1
        outcome = {r: row["status"] for r, row in _send_report(report).items() if r in EMAILED}
        assert outcome == {"T1": "sent", "T2": "sent", "T3": "not sent", "T5": "not sent"}
        assert "refused the username or password" in _send_report(report)["T3"]["detail"]
        again = f"balint-reports send {report} --yes --host {HOST} --port {port} --username team"
        assert f"resume; nothing is sent twice:\n  {again} --no-dry-run\n" in stopped.output
        assert "2 sent, 3 skipped, 2 not sent." in stopped.output
        handler.down, handler.down_after, accept["logins"] = False, None, 1
        resumed = CliRunner().invoke(
            main, ["send", str(report), *_tls_args(port)], obj={"clock": FakeClock()}
        )
    assert resumed.exit_code == 0, resumed.output
    assert handler.recipients() == sorted(EMAILED.values())


# --- the shipped sample inbox, end to end ----------------------------------------------------


def test_sample_data_letters_and_digests_each_delivered_once(tmp_path: Path, smtp: tuple) -> None:
    server, port = smtp
    sample = Path(__file__).resolve().parents[2] / "sample_data"
    progress = run_report(sample, tmp_path / "out", as_of="2026-11-30")
    report = tmp_path / "out" / "2026-11"
    manifest = json.loads((report / "mail.json").read_text(encoding="utf-8"))
    letters = {m["id"] for m in manifest["messages"] if m["kind"] == "letter" and "html" in m}
    digests = {m["id"] for m in manifest["messages"] if m["kind"] == "digest"}
    every = {m["id"] for m in manifest["messages"] if m["kind"] == "letter"}
    assert every == {t["trainee_id"] for t in progress["trainees"]}
    with_letter = {
        t["trainee_id"] for t in progress["trainees"] if t["status"] in ("active", "paused")
    }
    assert letters == with_letter
    assert digests
    server.drop_after = 5  # the send dies part-way ...
    assert _send(report, "--no-dry-run", port=port).exit_code == 1
    server.drop_after, server.down = None, False
    assert _send(report, "--no-dry-run", port=port).exit_code == 0  # ... and is run again
    assert _send(report, "--no-dry-run", "--digests", port=port).exit_code == 0
    received = [str(m["To"].addresses[0].addr_spec) for _, m in server.messages]
    emailed = {m["id"] for m in manifest["messages"] if "html" in m and not m["skip"]}
    assert len(received) == len(set(received)) == len(emailed)


def test_without_a_sender_there_is_no_outbox_and_no_address_warnings(
    inbox: Path, tmp_path: Path, smtp: tuple
) -> None:
    server, port = smtp
    _inbox(inbox)
    (inbox / "balint.toml").write_text('[report]\nsociety = "Balint Society"\n', encoding="utf-8")
    progress = run_report(inbox, tmp_path / "out")
    problems = [i["problem"] for i in progress["issues"] if i["column"] == "email"]
    # A wrong address is still worth fixing, and so is one most servers refuse; a blank one is
    # nobody's business yet.
    assert len(problems) == 2
    assert problems[0].startswith("the address has letters outside plain ASCII")
    assert problems[1].startswith("'fay at example.org' is not a valid")
    report = tmp_path / "out" / "2026-11"
    assert not (report / "outbox").exists()
    result = _send(report)
    assert result.exit_code == 0
    assert "4 would send, 3 skipped." in result.output
    assert "Before sending: no sender address: set from in the [email] table" in result.output
    refused = _send(report, "--no-dry-run", port=port)
    assert refused.exit_code == 1
    assert "Error: no sender address" in refused.output
    assert server.messages == []
    # The config is read when sending: a sender added after the run is used at once.
    (inbox / "balint.toml").write_text(CONFIG, encoding="utf-8")
    sent = _send(report, "--no-dry-run", port=port)
    assert sent.exit_code == 0, sent.output
    assert server.recipients() == sorted(EMAILED.values())


def test_send_month_is_usable_without_the_command_line(report: Path, smtp: tuple) -> None:
    from balint_reports.deliver import SendOptions, send_month

    server, port = smtp
    options = SendOptions(dry_run=False, limit=3, host=HOST, port=port, security="none")
    with pytest.raises(DeliveryError, match="the report has 1 error; fix it and run the month"):
        send_month(report, options, FakeClock(), lambda user: "")
    assert server.messages == []
    options = replace(options, yes=True)
    result = send_month(report / ".." / report.name, options, FakeClock(), lambda user: "")
    assert result.counts == {"sent": 3, "skipped": 3, "not sent": 1}
    assert result.left_by_limit == 1 and result.complete
    assert result.report_file == report / "send-report.csv"
    assert result.again == (
        f"balint-reports send {report} --yes --host {HOST} --port {port} --security none "
        "--no-dry-run"
    )
    assert len(server.messages) == 3


# --- issue 11: addresses, what the team meant, states that tell the truth ------------------


def test_a_non_ascii_address_is_a_warning_at_run_time(inbox: Path, tmp_path: Path) -> None:
    _inbox(inbox)
    progress = run_report(inbox, tmp_path / "out")
    [warning] = [
        i for i in progress["issues"] if i["column"] == "email" and i["value"] == "dán@example.org"
    ]
    assert warning["severity"] == "warning"
    assert (warning["file"], warning["sheet"], warning["row"]) == ("registers.xlsx", "Trainees", 6)
    assert "most mail servers refuse such addresses" in warning["problem"]
    assert "ask for a plain address" in warning["problem"]


@pytest.fixture
def plain_smtp() -> Iterator[tuple[Recorder, int]]:
    """A server that does not offer SMTPUTF8, as most do not."""
    handler = Recorder()
    port = _free_port()
    controller = Controller(handler, hostname=HOST, port=port, enable_SMTPUTF8=False)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_without_smtputf8_non_ascii_addresses_are_reported_together(
    inbox: Path, tmp_path: Path, plain_smtp: tuple
) -> None:
    server, port = plain_smtp
    _inbox(inbox)
    write_xlsx(
        inbox / "more.xlsx",
        {"Trainees": [TRAINEE_HEADER, trainee_row("T8", "Zoë Ünal", email="zoë@example.org")]},
    )
    run_report(inbox, tmp_path / "out")
    report = tmp_path / "out" / "2026-11"
    result = _send(report, "--no-dry-run", port=port)
    assert result.exit_code == 0, result.output
    assert server.recipients() == ["bob@example.org", "cat@example.org", "jane@example.org"]
    # Never offered to the server one by one: no MAIL, no RCPT for them.
    assert not [r for r in server.rcpts if not r.isascii()]
    assert (
        "2 letters not sent: this server does not take addresses with non-ASCII letters (it "
        "does not offer SMTPUTF8): Zoë Ünal (T8), Dán Grey (T5). Ask for a plain address"
    ) in result.output
    rows = _send_report(report)
    assert rows["T5"]["status"] == rows["T8"]["status"] == "skipped"
    assert "no SMTPUTF8" in rows["T5"]["detail"]
    assert "failed" not in result.output


def test_from_reply_to_and_subject_come_from_the_config_at_send_time(
    inbox: Path, tmp_path: Path, smtp: tuple
) -> None:
    server, port = smtp
    _inbox(inbox)
    run_report(inbox, tmp_path / "out")
    report = tmp_path / "out" / "2026-11"
    (inbox / "balint.toml").write_text(
        CONFIG.replace("accreditation@balint.example", "letters@balint.example").replace(
            "Your accreditation progress", "Progress letter"
        )
        + 'reply_to = "help@balint.example"\n',
        encoding="utf-8",
    )
    assert _send(report, "--no-dry-run", "--only", "T1", port=port).exit_code == 0
    [(_, message)] = server.messages
    assert message["From"].addresses[0].addr_spec == "letters@balint.example"
    assert str(message["Reply-To"]) == "help@balint.example"
    assert str(message["Subject"]) == "Progress letter, November 2026"
    # Only the letter's content decides whether it changed: a new subject is no correction.
    (inbox / "balint.toml").write_text(CONFIG, encoding="utf-8")
    run_report(inbox, tmp_path / "out")
    again = _send(report, "--no-dry-run", port=port)
    assert again.exit_code == 0, again.output
    assert _send_report(report)["T1"]["detail"].startswith("already sent on")
    assert len(server.messages) == 4


def test_send_begins_with_the_months_errors_and_a_real_send_needs_yes(
    report: Path, smtp: tuple
) -> None:
    server, port = smtp
    errors_line = (
        "This month's report has 1 error in its data (rows left out of the counts):\n"
        "  1 about Cat Brown (T3)\n"
        "See Data issues in summary.xlsx"
    )
    dry = _send(report, port=port)
    assert dry.output.startswith(errors_line)
    refused = _send(report, "--no-dry-run", port=port, yes=False)
    assert refused.exit_code == 1
    assert refused.output.startswith(errors_line)
    assert (
        "Error: nothing was sent: the report has 1 error; fix it and run the month again, or "
        "add --yes to send anyway"
    ) in refused.output
    assert server.messages == []
    # At a terminal, the question is asked instead.
    asked = CliRunner().invoke(
        main,
        ["send", str(report), "--host", HOST, "--port", str(port), "--security", "none"]
        + ["--no-dry-run", "--only", "T1"],
        obj={"clock": FakeClock()},
        input="n\n",
    )
    assert asked.exit_code == 1  # CliRunner's input is no terminal: refused, never sent
    assert server.messages == []
    sent = _send(report, "--no-dry-run", port=port)
    assert sent.exit_code == 0, sent.output
    assert sent.output.startswith(errors_line)


def test_dry_run_lists_names_and_ids_and_mentions_the_digests(report: Path) -> None:
    result = _send(report)
    lines = result.output.splitlines()
    header = next(line for line in lines if line.startswith("status"))
    assert header.split() == ["status", "id", "name", "to", "detail"]
    assert any("T1" in line and "Jane Smith" in line for line in lines)
    assert "2 supervisor digests ready too: add --digests to send them." in result.output
    digests = _send(report, "--digests")
    assert "Ann Leader" in digests.output and "L1" in digests.output
    assert "trainee letters ready too" in digests.output


def test_what_has_been_sent_is_not_said_to_be_ready(report: Path, smtp: tuple) -> None:
    """After the letters went, sending the digests said 'trainee letters ready too: leave out
    --digests'; once both had gone, a dry run still said the digests were ready."""
    server, port = smtp
    letters = _send(report, "--no-dry-run", "--yes", port=port)
    assert "2 supervisor digests ready too: add --digests to send them." in letters.output
    digests = _send(report, "--no-dry-run", "--yes", "--digests", port=port)
    assert digests.exit_code == 0, digests.output
    assert "ready too" not in digests.output
    assert "ready too" not in _send(report).output
    assert len(server.messages) > 2


def test_test_to_sends_one_letter_and_one_digest_that_never_count(
    report: Path, smtp: tuple
) -> None:
    server, port = smtp
    result = _send(report, "--test-to", "me@team.example", "--only", "T2", port=port)
    assert result.exit_code == 0, result.output
    assert "2 test sent." in result.output
    assert server.recipients() == ["me@team.example", "me@team.example"]
    (_, letter), (_, digest) = server.messages
    assert str(letter["Subject"]) == "[Test] Your accreditation progress, November 2026"
    assert str(digest["Subject"]).startswith("[Test] Balint Society: your supervisees'")
    assert letter["To"].addresses[0].addr_spec == "me@team.example"
    # no trainee's name on the tester's address: a mail program would keep it under it
    assert letter["To"].addresses[0].display_name == ""
    plain = letter.get_body(("plain",)).get_content()
    assert plain.startswith("Test copy: this is the letter for Bob <b>Jones</b> (T2)")
    assert "Dear Bob <b>Jones</b>," in plain
    log = sqlite3.connect(report.parent / "send-log.sqlite")
    assert log.execute("SELECT count(*) FROM attempts").fetchone() == (0,)
    assert log.execute("SELECT kind, recipient, state FROM test_sends").fetchall() == [
        ("letter", "T2", "test sent"),
        ("digest", "L1", "test sent"),
    ]
    log.close()
    # The real send still sends everyone, Bob included.
    real = _send(report, "--no-dry-run", port=port)
    assert real.exit_code == 0, real.output
    assert server.recipients().count("bob@example.org") == 1
    assert not (report / "send-report.csv").read_text().count("test")


def test_a_connection_lost_before_data_leaves_the_letter_unsent(report: Path, smtp: tuple) -> None:
    server, port = smtp
    server.drop_at_rcpt = {"bob@example.org"}
    result = _send(report, "--no-dry-run", port=port)
    # Tried again after the others, on a new connection, and delivered: never "unknown".
    assert result.exit_code == 0, result.output
    assert _send_report(report)["T2"]["status"] == "sent"
    assert server.recipients() == sorted(EMAILED.values())
    assert server.rcpts[-1] == "bob@example.org"


def test_temporary_failures_are_retried_after_the_rest_of_the_batch(
    report: Path, smtp: tuple
) -> None:
    server, port = smtp
    server.greylist = {"jane@example.org": 1}
    clock = FakeClock()
    result = _send(report, "--no-dry-run", clock=clock, port=port)
    assert result.exit_code == 0, result.output
    # Jane (first in the register) waited while the others went.
    order = [rcpts[0] for rcpts, _ in server.messages]
    assert order == ["bob@example.org", "cat@example.org", "dán@example.org", "jane@example.org"]
    assert clock.sleeps == [30.0]


def test_retry_schedule_and_timeout_are_settings(inbox: Path, tmp_path: Path, smtp: tuple) -> None:
    from balint_reports.deliver.smtp import smtp_settings

    server, port = smtp
    _inbox(inbox)
    run_report(inbox, tmp_path / "out")
    report = tmp_path / "out" / "2026-11"
    with (inbox / "balint.toml").open("a", encoding="utf-8") as config:
        config.write("\n[smtp]\ntimeout = 7.5\nretry_waits = [5, 10]\n")
    settings = smtp_settings(load_config(inbox / "balint.toml").smtp, {"host": HOST})
    assert (settings.timeout, settings.retry_waits) == (7.5, (5.0, 10.0))
    server.greylist = {"jane@example.org": 10}
    clock = FakeClock()
    result = _send(report, "--no-dry-run", clock=clock, port=port)
    assert clock.sleeps == [5.0, 10.0]
    assert result.exit_code == 1
    row = _send_report(report)["T1"]
    assert row["status"] == "not sent"
    assert row["detail"] == (
        "451 4.7.1 greylisted: try again later (refused for now, still after 3 tries: run the "
        "same command again later)"
    )
    # Refused for now is not refused for good: the same command sends it once it is let in.
    server.greylist = {}
    assert _send(report, "--no-dry-run", port=port).exit_code == 0
    assert server.recipients().count("jane@example.org") == 1


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[smtp]\ntimeout = 0", "[smtp] timeout must be a number above 0"),
        ('[smtp]\nretry_waits = "30"', "[smtp] retry_waits must be a list of seconds"),
        ("[smtp]\nretry_waits = [30, -1]", "[smtp] retry_waits must be a list of seconds"),
    ],
)
def test_bad_timeout_or_retry_waits_name_the_key(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "balint.toml"
    path.write_text(table, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(path)


class InterruptedClock(FakeClock):
    """Ctrl-C pressed while the send waits to retry."""

    def sleep(self, seconds: float) -> None:
        raise KeyboardInterrupt


def test_ctrl_c_during_the_retry_wait_leaves_the_letter_unsent(report: Path, smtp: tuple) -> None:
    server, port = smtp
    server.greylist = {"bob@example.org": 1}
    args = ["send", str(report), "--host", HOST, "--port", str(port), "--security", "none"]
    interrupted = CliRunner().invoke(
        main, [*args, "--no-dry-run", "--yes"], obj={"clock": InterruptedClock()}
    )
    # what went and what is left, and the command that sends the rest: not a bare "Aborted!"
    assert interrupted.exit_code == 1 and "Aborted!" not in interrupted.output
    output = " ".join(interrupted.output.split())
    assert "not sent T2 Bob <b>Jones</b> bob@example.org not attempted: the send was" in output
    assert f"The send was interrupted. To send the rest (nothing is sent twice): {args[0]}" in (
        output.replace("balint-reports send", "send")
    )
    assert _send_report(report)["T2"]["status"] == "not sent"
    assert "bob@example.org" not in server.recipients()
    again = _send(report, "--no-dry-run", port=port)
    assert again.exit_code == 0, again.output
    assert _send_report(report)["T2"]["status"] == "sent"
    assert server.recipients() == sorted(EMAILED.values())


def test_a_send_killed_during_the_retry_wait_sends_the_rest_on_the_next_run(
    inbox: Path, tmp_path: Path, smtp: tuple
) -> None:
    server, port = smtp
    _inbox(inbox)
    run_report(inbox, tmp_path / "out")
    report = tmp_path / "out" / "2026-11"
    with (inbox / "balint.toml").open("a", encoding="utf-8") as config:
        config.write("\n[smtp]\nretry_waits = [600]\n")
    server.greylist = {"bob@example.org": 1}
    args = ["send", str(report), "--host", HOST, "--port", str(port), "--security", "none"]
    process = subprocess.Popen(
        [sys.executable, "-m", "balint_reports", *args, "--no-dry-run", "--yes"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        # The other three are sent and Bob was refused for now: the send is waiting to retry.
        while len(server.messages) < 3 or "bob@example.org" not in server.rcpts:
            assert process.poll() is None, "the send ended instead of waiting"
            assert time.monotonic() < deadline, "the send never reached its retry wait"
            time.sleep(0.05)
        time.sleep(0.3)
        assert process.poll() is None
    finally:
        process.kill()
        process.wait()
    log = sqlite3.connect(report.parent / "send-log.sqlite")
    states = dict(log.execute("SELECT recipient, state FROM attempts").fetchall())
    log.close()
    assert states == {"T1": "sent", "T2": "deferred", "T3": "sent", "T5": "sent"}
    again = _send(report, "--no-dry-run", port=port)
    assert again.exit_code == 0, again.output
    assert _send_report(report)["T2"]["status"] == "sent"
    assert server.recipients() == sorted(EMAILED.values())


def test_at_a_terminal_a_send_with_errors_asks_first(report: Path, smtp: tuple) -> None:
    server, port = smtp
    args = ["send", str(report), "--host", HOST, "--port", str(port), "--security", "none"]
    for answer, sent in (("n", 0), ("y", 4)):
        main_end, terminal = os.openpty()  # the command's stdin is a terminal, as for the team
        process = subprocess.Popen(
            [sys.executable, "-m", "balint_reports", *args, "--no-dry-run"],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        os.close(terminal)
        os.write(main_end, f"{answer}\n".encode())
        output, _ = process.communicate(timeout=120)
        os.close(main_end)
        assert "1 error in its data" in output.decode()
        assert "Send anyway? [y/N]" in output.decode()
        assert len(server.messages) == sent, output.decode()
        assert process.returncode == (1 if answer == "n" else 0), output.decode()


def test_send_names_whom_the_rejected_rows_may_be_about_in_the_terminal_only(
    inbox: Path, tmp_path: Path, smtp: tuple
) -> None:
    server, port = smtp
    _inbox(inbox)
    # Jane's fourth session, typed with her name misspelt: rejected, so her letter is short.
    write_csv(
        inbox / "late.csv",
        [["trainee", "date", "activity"], ["Jane Smyth", "04/03/2026", "member"]]
        + [["Jane Smyth", "05/03/2026", "member"], ["Nobody Known", "06/03/2026", "member"]],
    )
    run_report(inbox, tmp_path / "out")
    report = tmp_path / "out" / "2026-11"
    dry = _send(report, port=port)
    assert dry.output.startswith(
        "This month's report has 4 errors in its data (rows left out of the counts):\n"
        "  1 about Cat Brown (T3)\n"
        "  'Jane Smyth' is not in the trainees register; did you mean Jane Smith (T1)? (2 rows)\n"
        "  'Nobody Known' is not in the trainees register: correct the name or add the person "
        "to the register\n"
        "See Data issues in summary.xlsx: fix them and run the month again before sending, or "
        "send anyway.\n"
    )
    refused = _send(report, "--no-dry-run", port=port, yes=False)
    assert refused.exit_code == 1 and server.messages == []
    assert "did you mean Jane Smith (T1)? (2 rows)" in refused.output
    sent = _send(report, "--no-dry-run", port=port)
    assert sent.exit_code == 0, sent.output
    # For the team's eyes only: no file a send writes names the rows, nor does any email.
    for name in ("send-report.csv", "send-report-dry-run.csv"):
        assert "Smyth" not in (report / name).read_text(encoding="utf-8")
    assert not [m for _, m in server.messages if "Smyth" in m.as_string()]


def test_a_long_list_of_errors_points_to_data_issues(inbox: Path, tmp_path: Path) -> None:
    _inbox(inbox)
    write_csv(
        inbox / "late.csv",
        [["trainee", "date", "activity"]]
        + [[f"Stranger {n}", "04/03/2026", "member"] for n in range(12)],
    )
    run_report(inbox, tmp_path / "out")
    lines = _send(tmp_path / "out" / "2026-11").output.splitlines()
    assert lines[0].startswith("This month's report has 13 errors in its data")
    assert lines[1:3] == [
        "  1 about Cat Brown (T3)",
        "  'Stranger 0' is not in the trainees register: correct the name or add the person to "
        "the register",
    ]
    assert lines[10] == "  and 4 more"
    assert lines[11].startswith("See Data issues in summary.xlsx")


def test_limit_counts_only_messages_the_server_can_take(
    inbox: Path, tmp_path: Path, plain_smtp: tuple
) -> None:
    server, port = plain_smtp
    _inbox(inbox)
    # Read first (inbox paths in order), so Zoë comes first in the register.
    write_xlsx(
        inbox / "0-new-trainees.xlsx",
        {"Trainees": [TRAINEE_HEADER, trainee_row("T8", "Zoë Ünal", email="zoë@example.org")]},
    )
    run_report(inbox, tmp_path / "out")
    report = tmp_path / "out" / "2026-11"
    result = _send(report, "--no-dry-run", "--limit", "1", port=port)
    assert result.exit_code == 0, result.output
    # The letters this server cannot take are set aside first: one letter really went.
    assert server.recipients() == ["jane@example.org"]
    rows = _send_report(report)
    assert list(rows)[:2] == ["T8", "T1"]
    assert rows["T8"]["status"] == rows["T5"]["status"] == "skipped"
    assert [r for r, row in rows.items() if row["detail"] == "over the --limit of 1"] == [
        "T2",
        "T3",
    ]
    assert "1 sent, 2 left: run again without --limit to send the rest" in result.output
    assert "2 letters not sent: this server does not take addresses" in result.output


def test_test_to_needs_an_email_address(report: Path, smtp: tuple) -> None:
    server, port = smtp
    result = _send(report, "--test-to", "me at team", port=port)
    assert result.exit_code == 2
    assert "Invalid value for '--test-to': 'me at team' is not an email address" in result.output
    assert server.messages == []


def test_a_month_run_without_a_config_says_so_when_a_setting_is_missing(
    inbox: Path, tmp_path: Path, smtp: tuple
) -> None:
    server, port = smtp
    _inbox(inbox)
    config = inbox / "balint.toml"
    settings = tmp_path / "settings.toml"
    config.rename(settings)
    run_report(inbox, tmp_path / "out")
    report = tmp_path / "out" / "2026-11"
    missing = _send(report, "--no-dry-run", port=port)
    assert missing.exit_code == 1
    assert (
        "Error: no sender address: set from in the [email] table of balint.toml (or "
        "contact_email in [report]) (the month was run without a balint.toml: give --config "
        "FILE)"
    ) in missing.output
    given = _send(report, "--no-dry-run", "--config", str(settings), port=port)
    assert given.exit_code == 0, given.output
    assert len(server.messages) == 4
    # A month run with a config that has since gone: named, with what to do.
    settings.rename(config)
    run_report(inbox, tmp_path / "out")
    config.unlink()
    gone = _send(report, "--no-dry-run", "--digests", port=port)
    assert gone.exit_code == 1
    assert f"({config}, which the month was run with, is no longer there: give --config FILE)" in (
        gone.output
    )


def test_send_reminds_the_team_of_what_the_month_did_not_read(inbox: Path, tmp_path: Path) -> None:
    """A leader's register headed in her own words fits no kind: only a note, so the letters
    go out without its sessions. send says so before anything goes."""
    _inbox(inbox)
    write_xlsx(
        inbox / "own.xlsx",
        {"Dec": [["Date of meeting", "Attendee", "Came as"], ["01/12/2026", "Jane Smith", "x"]]},
    )
    run_report(inbox, tmp_path / "out")
    dry = _send(tmp_path / "out" / "2026-11")
    assert dry.output.startswith(
        "Not read this month, though it may hold records: own.xlsx (Dec) (see Data issues).\n"
    )
