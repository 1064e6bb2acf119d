"""deliver, below the CLI: the outbox builder, the planner's decisions, the retry schedule."""

from __future__ import annotations

import datetime as dt
import json
from email import policy
from email.parser import Parser
from pathlib import Path

import pytest

from balint_reports.config import Config, ReportSettings
from balint_reports.deliver.pacing import RetryQueue
from balint_reports.deliver.planner import Item, correction_line, plan
from balint_reports.deliver.report import CHANGED, HELD_REFUSED, HELD_UNKNOWN
from balint_reports.errors import DeliveryError
from balint_reports.outbox import (
    Outgoing,
    Recipient,
    build_message,
    eml_bytes,
    headers_for,
    with_opening,
)
from balint_reports.sendlog import DEFERRED, FAILED, NOT_SENT, SENT, UNKNOWN, SendLog

CONFIG = Config(
    report=ReportSettings(society="Balint Society", contact_email="team@balint.example"),
    email={"from": "Team <team@balint.example>", "subject": "Progress, {month}"},
)
JANE = Recipient("letter", "T1", "Jane Smith", "jane@example.org")


def _letter(text: str = "Dear Jane,", recipient: Recipient = JANE) -> Outgoing:
    return Outgoing("T1", f"<html><body><p>{text}</p></body></html>", text, recipient)


def _facts(sessions: float) -> dict:
    return {
        "requirements": {
            "membership": {
                "title": "Group membership",
                "label": "member sessions",
                "status": "not_met",
                "achieved": sessions,
            }
        }
    }


class Clock:
    def __init__(self) -> None:
        self.time, self.sleeps = 0.0, []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += seconds


def test_a_message_is_built_from_an_object_in_memory_with_the_configs_headers() -> None:
    headers = headers_for(CONFIG, "letter", dt.date(2026, 11, 30))
    message = build_message(_letter(), headers, "2026-11")
    assert str(message["Subject"]) == "Progress, November 2026"
    assert message["From"].addresses[0].addr_spec == "team@balint.example"
    assert message["To"].addresses[0].addr_spec == "jane@example.org"
    assert message.get_body(("plain",)).get_content().strip() == "Dear Jane,"
    test = build_message(_letter(), headers, "2026-11", to="me@x.org", subject_prefix="[Test] ")
    assert test["To"].addresses[0].addr_spec == "me@x.org"
    assert str(test["Subject"]) == "[Test] Progress, November 2026"


def test_a_sent_message_is_dated_now_and_a_ready_made_one_the_reports_day() -> None:
    headers = headers_for(CONFIG, "letter", dt.date(2026, 11, 30))
    sent = build_message(_letter(), headers, "2026-11")
    age = dt.datetime.now(dt.UTC) - sent["Date"].datetime
    assert dt.timedelta(0) <= age < dt.timedelta(minutes=5)
    ready = build_message(_letter(), headers, "2026-11", dated=dt.date(2026, 11, 30))
    # noon by this computer's clock: the report's day wherever the team is
    assert ready["Date"].datetime == dt.datetime(2026, 11, 30, 12).astimezone()
    # the same content, the same file: boundaries from the content, not drawn at random
    again = build_message(_letter(), headers, "2026-11", dated=dt.date(2026, 11, 30))
    assert eml_bytes(ready) == eml_bytes(again)
    other = build_message(
        _letter("Dear Jane, again"), headers, "2026-11", dated=dt.date(2026, 11, 30)
    )
    assert eml_bytes(other) != eml_bytes(ready)


@pytest.mark.parametrize("breaking", ["\v", "\x85", "\u2028"])
def test_a_sender_name_with_any_line_break_is_refused(breaking: str) -> None:
    """The sender's headers are parsed once, not given to the message as text, which would
    refuse every line break Python knows: build_message refuses them itself."""
    config = Config(
        report=ReportSettings(society="Balint Society", contact_email="team@balint.example"),
        email={"from": f'"Team{breaking}Bcc: x@evil.example" <team@balint.example>'},
    )
    headers = headers_for(config, "letter", dt.date(2026, 11, 30))
    with pytest.raises(DeliveryError, match="line break"):
        build_message(_letter(), headers, "2026-11")


def test_messages_sharing_a_quoted_sender_each_keep_their_own_recipient_and_form() -> None:
    """The sender's headers are parsed once and shared: each message still reads back as its
    own, ASCII and SMTPUTF8 forms alike, with the name quoted as the parser quotes it."""
    config = Config(
        report=ReportSettings(society="Balint Society", contact_email="team@balint.example"),
        email={"from": '"Balint Society (North), UK" <team@balint.example>'},
    )
    headers = headers_for(config, "letter", dt.date(2026, 11, 30))
    people = [
        Recipient("letter", "T1", "Jane Smith", "jane@example.org"),
        Recipient("letter", "T2", "Siân Ó Súilleabháin", "siân@example.org"),
        Recipient("letter", "T3", "Pat O'Brien, Jr", "pat@example.org"),
    ]
    for _ in range(2):
        for person in people:
            message = build_message(_letter(recipient=person), headers, "2026-11")
            raw = message.as_bytes()
            # an SMTPUTF8 message carries UTF-8 in its headers: read back as text
            again = Parser(policy=policy.default).parsestr(raw.decode("utf-8"))
            (sender,) = again["From"].addresses
            assert (sender.display_name, sender.addr_spec) == (
                "Balint Society (North), UK",
                "team@balint.example",
            )
            (to,) = again["To"].addresses
            assert (to.display_name, to.addr_spec) == (person.name, person.address)
            assert raw.isascii() is person.address.isascii()


def test_an_opening_line_goes_before_the_first_paragraph_of_both_bodies() -> None:
    opened = with_opening(_letter(), "This letter replaces <the> last one.")
    assert opened.text == "This letter replaces <the> last one.\n\nDear Jane,"
    assert opened.html.startswith("<html><body><p style=")
    assert "This letter replaces &lt;the&gt; last one.</p><p>Dear Jane,</p>" in opened.html


def _plan(log: SendLog, item: Item, **flags: bool) -> tuple[bool, str]:
    [step] = plan([item], log, "2026-11", **flags)
    return step.send, step.reason


def _held(log: SendLog, item: Item) -> str:
    [step] = plan([item], log, "2026-11")
    return step.held


def _attempt(log: SendLog, item: Item, state: str, address: str = "jane@example.org") -> None:
    attempt = log.start("letter", "T1", "2026-11", item.content_hash, "<id@x>", False, address)
    log.finish(attempt, state, "550 no such mailbox" if state == FAILED else "")


def test_the_planner_sends_again_only_what_cannot_have_arrived(tmp_path: Path) -> None:
    log = SendLog(tmp_path / "log.sqlite")
    item = Item(JANE, _letter())
    assert _plan(log, item) == (True, "")
    for state in (NOT_SENT, DEFERRED):  # stopped before the data, or refused for now
        _attempt(log, item, state)
        assert _plan(log, item) == (True, "")
    _attempt(log, item, UNKNOWN)
    send, reason = _plan(log, item)
    assert not send and reason.startswith("delivery unknown")
    assert _held(log, item) == HELD_UNKNOWN  # named after the table, with --retry-unknown
    assert _plan(log, item, retry_unknown=True) == (True, "")
    _attempt(log, item, SENT)
    send, reason = _plan(log, item, retry_unknown=True)
    assert not send and reason.startswith("already sent on")
    log.close()


def test_a_refusal_for_good_holds_until_the_address_changes(tmp_path: Path) -> None:
    log = SendLog(tmp_path / "log.sqlite")
    item = Item(JANE, _letter())
    _attempt(log, item, FAILED)
    send, reason = _plan(log, item)
    assert not send
    assert "(550 no such mailbox)" in reason and "--retry-failed --only T1" in reason
    assert _held(log, item) == HELD_REFUSED
    assert _plan(log, item, retry_failed=True) == (True, "")
    moved = Recipient("letter", "T1", "Jane Smith", "jane.smith@example.org")
    assert _plan(log, Item(moved, _letter(recipient=moved))) == (True, "")
    log.close()


def test_a_changed_letter_is_a_correction_that_says_what_changed(tmp_path: Path) -> None:
    log = SendLog(tmp_path / "log.sqlite")
    sent = Item(JANE, _letter("3 sessions"), facts=_facts(3))
    attempt = log.start(
        "letter", "T1", "2026-11", sent.content_hash, "<first@x>", False, JANE.address,
        json.dumps(_facts(3)),
    )  # fmt: skip
    log.finish(attempt, SENT, "250 OK")
    corrected = Item(JANE, _letter("5 sessions"), facts=_facts(5))
    send, reason = _plan(log, corrected)
    assert not send and "use --resend-changed" in reason
    assert _held(log, corrected) == CHANGED
    [step] = plan([corrected], log, "2026-11", resend_changed=True)
    assert step.send and step.references == "<first@x>"
    assert step.opening.endswith("after the records were corrected: 2 more member sessions.")
    [earlier] = log.attempts("letter", "2026-11")["T1"]
    same = Item(JANE, _letter("3 sessions, reworded"), facts=_facts(3))
    assert correction_line(same, earlier).endswith("your figures are unchanged.")
    log.close()


def test_retries_wait_on_the_schedule_and_stop_when_it_is_used_up() -> None:
    clock = Clock()
    queue = RetryQueue(clock, (30.0, 60.0))
    assert queue.add(0, 1) and queue.add(1, 1)
    assert queue.next() == (0, 1) and queue.next() == (1, 1)
    assert clock.sleeps == [30.0]  # both were due together
    assert queue.add(0, 2)
    assert queue.next() == (0, 2)
    assert clock.sleeps == [30.0, 60.0]
    assert not queue.add(0, 3)  # three tries: the schedule is used up
    assert not queue
