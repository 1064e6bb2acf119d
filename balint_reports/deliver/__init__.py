"""Send the month's letters and digests over SMTP: safe by default, resumable, never twice.

The parts, in the order a send uses them: `planner` (what to send to whom, from the month
folder and the send log), `smtp` (the client), `pacing` (the pace, and retries after the rest
of the batch) and `report` (the send table). This module puts them together for `send`.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass, replace
from email import policy
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import TypeVar

from ..config import CONFIG_NAME, PASSWORD_VARIABLE, Config, load_config
from ..errors import DeliveryError
from ..lock import locked
from ..outbox import MANIFEST, Headers, build_message, headers_for, with_opening
from ..sendlog import FAILED, LOG_NAME, MAYBE_DELIVERED, SENT, UNKNOWN, SendLog
from .pacing import INTERRUPTED, Clock, Planned, SystemClock, send_batch
from .planner import Item, Month, Step, load_for_test, load_month, not_a_month, plan
from .report import (
    CHANGED,
    DRY_RUN_REPORT_NAME,
    HELD_REFUSED,
    HELD_UNKNOWN,
    PENDING,
    REPORT_NAME,
    SKIPPED,
    TEST_SENT,
    WOULD_SEND,
    MonthErrors,
    Outcome,
    SendResult,
    write_send_report,
)
from .smtp import ConnectionLost, SmtpClient, UnknownDelivery, smtp_settings

CORRECTION_PREFIX = "Correction: "
TEST_PREFIX = "[Test] "
TEST_REPORT_NAME = "send-report-test.csv"
_T = TypeVar("_T")

__all__ = [
    "CHANGED",
    "FAILED",
    "HELD_REFUSED",
    "HELD_UNKNOWN",
    "INTERRUPTED",
    "PASSWORD_VARIABLE",
    "PENDING",
    "SENT",
    "SKIPPED",
    "TEST_SENT",
    "UNKNOWN",
    "WOULD_SEND",
    "MonthErrors",
    "Outcome",
    "SendOptions",
    "SendResult",
    "SystemClock",
    "command_line",
    "send_month",
]


@dataclass(frozen=True)
class SendOptions:
    """What `send` is asked to do: the command's options, never the password."""

    dry_run: bool = True
    limit: int | None = None
    only: tuple[str, ...] = ()
    digests: bool = False
    feedback: bool = False  # the notes to spreadsheet senders (feedback/feedback.json)
    resend_changed: bool = False
    retry_unknown: bool = False
    retry_failed: bool = False
    yes: bool = False
    test_to: str | None = None
    host: str | None = None
    port: int | None = None
    security: str | None = None
    username: str | None = None
    messages_per_minute: float | None = None
    config_file: Path | None = None

    @property
    def kind(self) -> str:
        """Which messages: "letter", "digest" or "feedback"."""
        return "feedback" if self.feedback else "digest" if self.digests else "letter"

    def smtp_overrides(self) -> dict:
        """The SMTP settings given as options (None where not given)."""
        return {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "username": self.username,
            "messages_per_minute": self.messages_per_minute,
        }


def command_line(report_dir: Path, options: SendOptions, dry_run: bool = False) -> str:
    """The exact command that sends (the rest of) these messages (never with the password)."""
    flags: list[str] = []
    for name in ("digests", "feedback", "resend_changed", "retry_unknown", "retry_failed", "yes"):
        if getattr(options, name):
            flags.append("--" + name.replace("_", "-"))
    for name in ("host", "port", "security", "username", "messages_per_minute", "config_file"):
        value = getattr(options, name)
        if value is not None:
            option = "--config" if name == "config_file" else "--" + name.replace("_", "-")
            flags += [option, shlex.quote(str(value))]
    for recipient in options.only:
        flags += ["--only", shlex.quote(recipient)]
    if not dry_run:
        flags.append("--no-dry-run")
    return " ".join(["balint-reports send", shlex.quote(str(report_dir)), *flags])


def _config(options: SendOptions, month: Month) -> Config:
    """The config named by --config, else the one the month's run used (if still there)."""
    path = options.config_file or month.config
    return load_config(path if path is not None and path.is_file() else None)


def _without_config(options: SendOptions, month: Month) -> str:
    """Why no config file was read, when none was: added to a missing-setting message."""
    if options.config_file is not None or (month.config and month.config.is_file()):
        return ""
    if month.config is None:
        return f" (the month was run without a {CONFIG_NAME}: give --config FILE)"
    return (
        f" ({month.config}, which the month was run with, is no longer there: give --config FILE)"
    )


def _settings_from(options: SendOptions, month: Month, read: Callable[[], _T]) -> _T:
    """`read()`, with a missing setting's message saying which config was (not) read."""
    try:
        return read()
    except DeliveryError as exc:
        note = _without_config(options, month)
        if not note:
            raise
        raise DeliveryError(f"{exc}{note}") from None


def _client(
    config: Config, options: SendOptions, month: Month, password_prompt: Callable[[str], str]
) -> SmtpClient:
    overrides = options.smtp_overrides()
    settings = _settings_from(options, month, partial(smtp_settings, config.smtp, overrides))
    if settings.username:
        password = os.environ.get(PASSWORD_VARIABLE) or password_prompt(settings.username)
        settings = replace(settings, password=password)
    return SmtpClient(settings)


def _message(step: Step, headers: Headers, month: str) -> EmailMessage:
    """The message as it goes out: from the config now, marked when it corrects another."""
    piece = step.item.piece
    assert piece is not None
    if step.item.subject:
        headers = replace(headers, subject=step.item.subject)
    if not step.references:
        return build_message(piece, headers, month)
    message = build_message(
        with_opening(piece, step.opening), headers, month, subject_prefix=CORRECTION_PREFIX
    )
    message["References"] = step.references
    return message


def _planned(steps: list[Step], headers: Headers | None, month: str) -> list[Planned]:
    planned = []
    for step in steps:
        r = step.item.recipient
        address = r.address if step.item.piece is not None else ""
        message = _message(step, headers, month) if step.send and headers else None
        facts = json.dumps(step.item.facts) if step.item.facts else ""
        planned.append(
            Planned(
                r.kind,
                r.person_id,
                r.name,
                address,
                step.send,
                step.reason,
                message,
                step.item.content_hash,
                bool(step.references),
                facts,
                step.held,
            )
        )
    return planned


def _refuse_errors(options: SendOptions) -> Callable[[MonthErrors], None]:
    """Stops a real send when the month has errors, unless `yes` was given."""

    def proceed(errors: MonthErrors) -> None:
        if errors.total and not (options.dry_run or options.yes):
            them = "it" if errors.total == 1 else "them"
            raise DeliveryError(
                f"nothing was sent: the report has {errors.total} error"
                f"{'' if errors.total == 1 else 's'}; fix {them} and run the month again, or "
                "add --yes to send anyway"
            )

    return proceed


def _locked_month(report_dir: Path) -> Path:
    """The month folder, resolved; refused before any lock if it is not one."""
    # Resolved, so that `send .` from inside the month folder still finds OUT as its parent.
    report_dir = report_dir.resolve()
    if not (report_dir / MANIFEST).is_file():
        # Before taking the lock, which would leave a lock file beside any folder given.
        raise DeliveryError(not_a_month(report_dir / MANIFEST))
    return report_dir


def send_month(
    report_dir: Path,
    options: SendOptions,
    clock: Clock,
    password_prompt: Callable[[str], str],
    proceed: Callable[[MonthErrors], None] | None = None,
) -> SendResult:
    """Send (or, on a dry run, show) a month folder's letters or digests, holding OUT's lock.

    `proceed(errors)` is called first with the month's error-severity data issues: it may
    stop the send by raising. Without it, a real send with errors needs `options.yes`. The
    lock keeps a second send, or a run rewriting the month, out until this one ends. The
    password comes from BALINT_SMTP_PASSWORD, else from `password_prompt(username)`.
    """
    if options.test_to:
        return send_test(report_dir, options, clock, password_prompt, proceed)
    report_dir = _locked_month(report_dir)
    with locked(report_dir.parent):
        month = load_month(report_dir, options.kind, options.only)
        (proceed or _refuse_errors(options))(month.errors)
        config = _config(options, month)
        headers: Headers | None = None
        sender_problem = ""
        try:
            headers = _settings_from(
                options,
                month,
                lambda: headers_for(config, options.kind, month.as_of, month.accreditation),
            )
        except DeliveryError as exc:
            if not options.dry_run:
                raise
            sender_problem = str(exc)
        log = SendLog(report_dir.parent / LOG_NAME)
        try:
            steps = plan(
                month.items,
                log,
                month.month,
                options.resend_changed,
                options.retry_unknown,
                options.retry_failed,
            )
            planned = _planned(steps, headers, month.month)
            client = None if options.dry_run else _client(config, options, month, password_prompt)
            try:
                batch = send_batch(planned, log, month.month, client, clock, options.limit)
            finally:
                if client is not None:
                    client.close()
            other_kind = _still_to_send(
                log, month, "digest" if options.kind == "letter" else "letter"
            )
        finally:
            log.close()
        report_file = report_dir / (DRY_RUN_REPORT_NAME if options.dry_run else REPORT_NAME)
        write_send_report(report_file, batch.outcomes)
    return SendResult(
        kind=options.kind,
        report_dir=report_dir,
        dry_run=options.dry_run,
        outcomes=batch.outcomes,
        report_file=report_file,
        again=command_line(report_dir, options),
        stopped_by=batch.stopped_by,
        errors=month.errors,
        no_utf8=batch.no_utf8,
        other_kind=other_kind,
        left_by_limit=batch.left_by_limit,
        sender_problem=sender_problem,
    )


def _still_to_send(log: SendLog, month: Month, kind: str) -> int:
    """How many of the month's messages of `kind` have not gone (nor maybe gone) yet: after
    the letters and the digests were both sent, neither is "ready too"."""
    if not month.other_kind:
        return 0
    earlier = log.attempts(kind, month.month)
    return sum(
        1
        for recipient in month.other_kind
        if not any(a.state in MAYBE_DELIVERED for a in earlier.get(recipient, []))
    )


def _test_message(item: Item, headers: Headers, month: str, to: str) -> EmailMessage:
    piece = item.piece
    assert piece is not None
    r = item.recipient
    line = (
        f"Test copy: this is the {r.kind} for {r.name} ({r.person_id}), sent only to {to}; "
        f"{r.name} has not been sent anything."
    )
    return build_message(
        with_opening(piece, line), headers, month, to=to, subject_prefix=TEST_PREFIX
    )


def send_test(
    report_dir: Path,
    options: SendOptions,
    clock: Clock,
    password_prompt: Callable[[str], str],
    proceed: Callable[[MonthErrors], None] | None = None,
) -> SendResult:
    """Send one letter and one digest to `options.test_to`, marked as a test, counted apart."""
    to = (options.test_to or "").strip()
    report_dir = _locked_month(report_dir)
    with locked(report_dir.parent):
        month, items = load_for_test(report_dir, options.only)
        if proceed is not None:  # a test goes to the team only: the errors need no consent
            proceed(month.errors)
        config = _config(options, month)
        headers_by_kind = {
            kind: _settings_from(
                options,
                month,
                partial(headers_for, config, kind, month.as_of, month.accreditation),
            )
            for kind in sorted({item.recipient.kind for item in items})
        }
        client = _client(config, options, month, password_prompt)
        log = SendLog(report_dir.parent / LOG_NAME)
        outcomes = []
        try:
            client.connect()
            utf8 = client.supports_utf8()
            for item in items:
                r = item.recipient
                headers = headers_by_kind[r.kind]
                message = _test_message(item, headers, month.month, to)
                sender = headers.from_address
                status, detail = TEST_SENT, f"a test copy for {r.name}"
                needs_utf8 = not (to.isascii() and sender.isascii())
                try:
                    if needs_utf8 and not utf8:
                        code, words = 553, "this server does not take non-ASCII addresses"
                    else:
                        payload = message.as_bytes(
                            policy=policy.SMTPUTF8 if needs_utf8 else policy.SMTP
                        )
                        code, words = client.send(payload, sender, to, needs_utf8)
                except (ConnectionLost, UnknownDelivery) as exc:
                    code, words = 0, str(exc)
                if not 200 <= code < 300:
                    status, detail = FAILED, f"{code} {words}".strip()
                log.record_test(r.kind, r.person_id, month.month, item.content_hash, status, detail)
                outcomes.append(Outcome(r.kind, r.person_id, r.name, to, status, detail))
        finally:
            client.close()
            log.close()
        report_file = report_dir / TEST_REPORT_NAME
        write_send_report(report_file, outcomes)
    return SendResult(
        kind="test",
        report_dir=report_dir,
        dry_run=False,
        outcomes=outcomes,
        report_file=report_file,
        again="",
        errors=month.errors,
        test=True,
    )
