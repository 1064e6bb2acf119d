"""Send the month's outbox over SMTP: safe by default, resumable, never twice.

`plan` decides from the send log what each message needs (pure); `send_planned` hands the
messages to an `SmtpClient` one at a time, recording every attempt before and after.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import json
import os
import shlex
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol

from .config import Config, load_config
from .errors import DeliveryError
from .lock import locked
from .outbox import MANIFEST, content_hash, read_message
from .safecells import spreadsheet_safe
from .sendlog import FAILED, LOG_NAME, SENDING, SENT, UNKNOWN, Attempt, SendLog

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
CORRECTION_PREFIX = "Correction: "
REPORT_COLUMNS = ["kind", "recipient", "to", "status", "detail"]
REPORT_NAME = "send-report.csv"
# A dry run keeps its own table, so it never hides what an earlier real send did.
DRY_RUN_REPORT_NAME = "send-report-dry-run.csv"
PASSWORD_VARIABLE = "BALINT_SMTP_PASSWORD"
# Outcomes shown to the team, besides the log's sent / failed / unknown.
SKIPPED, PENDING, WOULD_SEND = "skipped", "not sent", "would send"


class Clock(Protocol):
    """Time as the sender sees it: injected so tests need no sleeps."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Wait."""
        time.sleep(seconds)


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send. The password never comes from a file or the command line."""

    host: str
    port: int
    security: str = "starttls"
    username: str = ""
    password: str = field(default="", repr=False)
    messages_per_minute: float | None = None
    timeout: float = 60.0
    attempts: int = 4  # per message, for temporary (4xx) replies
    backoff: float = 30.0  # seconds before the second attempt; doubled each time


def smtp_settings(config_smtp: dict, overrides: dict) -> SmtpSettings:
    """Settings from the config's [smtp], with command-line values (not None) winning."""
    given = {**config_smtp, **{k: v for k, v in overrides.items() if v is not None}}
    if not given.get("host"):
        raise DeliveryError(
            "no SMTP server given: use --host, or set host in the [smtp] table of balint.toml"
        )
    security = given.get("security", "starttls")
    return SmtpSettings(
        host=given["host"],
        port=int(given.get("port") or DEFAULT_PORTS[security]),
        security=security,
        username=given.get("username", ""),
        messages_per_minute=given.get("messages_per_minute"),
    )


@dataclass(frozen=True)
class Item:
    """A message from the outbox, ready to send."""

    kind: str
    recipient_id: str
    path: Path
    message: EmailMessage
    content_hash: str

    @property
    def to(self) -> str:
        """The recipient's address."""
        return self.message["To"].addresses[0].addr_spec


@dataclass(frozen=True)
class Step:
    """What to do with one message: send it (perhaps as a correction), or why not."""

    item: Item
    send: bool
    reason: str = ""
    references: str = ""  # Message-ID of the letter this one corrects


@dataclass(frozen=True)
class Outcome:
    """What happened to one message."""

    kind: str
    recipient: str
    to: str
    status: str
    detail: str = ""


class ConnectionLost(Exception):
    """The server went away before a message was handed over: it was not sent."""


def _parsed(file: Path) -> tuple[EmailMessage, str]:
    """An .eml file's message, checked to hold what sending needs, and its content hash."""
    try:
        message = read_message(file)
    except OSError as exc:
        raise DeliveryError(f"{file}: cannot read it ({exc.strerror})") from None
    try:
        addresses = [message[header].addresses[0].addr_spec for header in ("From", "To")]
        if not all(addresses) or message["Subject"] is None:
            raise ValueError
        return message, content_hash(message)
    # A hand-edited file: no To (None has no .addresses), no address in it, or a body missing.
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        raise DeliveryError(
            f"{file}: not a complete email (it needs From, To, Subject and both a plain-text "
            "and an HTML part): run the month again to write it afresh"
        ) from None


def _not_a_month(manifest: Path) -> str:
    return (
        f"{manifest}: not found. Give the month's folder written by `balint-reports run`, "
        "e.g. reports/2026-11"
    )


def load_items(report_dir: Path, kind: str, only: Iterable[str]) -> tuple[str, list[Item], dict]:
    """The report month, the outbox messages of one kind (perhaps only some ids), and mail.json."""
    path = report_dir / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeliveryError(_not_a_month(path)) from None
    except (OSError, ValueError) as exc:
        raise DeliveryError(f"{path}: cannot read it ({exc}); run the month again") from None
    wanted = {i.casefold() for i in only}
    items = []
    try:
        month = str(manifest["month"])
        entries = [(e["kind"], str(e["id"]), str(e["file"])) for e in manifest["messages"]]
    except (KeyError, TypeError, AttributeError) as exc:
        missing = f" (no {exc})" if isinstance(exc, KeyError) else ""
        raise DeliveryError(
            f"{path}: damaged{missing}: run the month again to write it afresh"
        ) from None
    for entry_kind, recipient, relative in entries:
        if entry_kind != kind or (wanted and recipient.casefold() not in wanted):
            continue
        file = report_dir / relative
        message, digest = _parsed(file)
        items.append(Item(kind, recipient, file, message, digest))
    missing_ids = wanted - {i.recipient_id.casefold() for i in items}
    if missing_ids:
        raise DeliveryError(
            f"--only {sorted(missing_ids)[0]}: no {kind} for this id in {report_dir / MANIFEST}"
        )
    return month, items, manifest


def _decide(item: Item, earlier: list[Attempt], resend_changed: bool, retry_unknown: bool) -> Step:
    same = [a for a in earlier if a.content_hash == item.content_hash]
    if any(a.state == SENT for a in same):
        sent_on = next(a.started for a in same if a.state == SENT)
        return Step(item, False, f"already sent on {sent_on[:10]}")
    if any(a.state in (UNKNOWN, SENDING) for a in same) and not retry_unknown:
        return Step(
            item,
            False,
            "delivery unknown from an earlier send: check with the recipient, then use "
            f"--retry-unknown --only {item.recipient_id} if it did not arrive",
        )
    other = [a for a in earlier if a.content_hash != item.content_hash and a.state != FAILED]
    if not other:
        return Step(item, True)
    if not resend_changed:
        return Step(
            item,
            False,
            f"an earlier version was sent on {other[-1].started[:10]} and this one differs: "
            "use --resend-changed to send it as a correction",
        )
    return Step(item, True, "correction", references=other[-1].message_id)


def plan(
    items: list[Item], log: SendLog, month: str, resend_changed: bool, retry_unknown: bool
) -> list[Step]:
    """Decide, from the send log, which messages to send and why the others are skipped."""
    earlier = log.attempts(items[0].kind, month) if items else {}
    return [
        _decide(i, earlier.get(i.recipient_id, []), resend_changed, retry_unknown) for i in items
    ]


class _TracksData:
    """Remembers whether the server last said 354, i.e. the message data is being handed over."""

    data_sent = False

    def getreply(self) -> tuple[int, bytes]:
        """The server's reply, noting a 354 (kept when the next reply never comes)."""
        code, text = super().getreply()  # type: ignore[misc]
        self.data_sent = code == 354
        return code, text


class _SMTP(_TracksData, smtplib.SMTP):
    pass


class _SMTPSSL(_TracksData, smtplib.SMTP_SSL):
    pass


def _words(text: bytes | str) -> str:
    return (text.decode("utf-8", "replace") if isinstance(text, bytes) else text).strip()


class SmtpClient:
    """One SMTP connection, opened when first needed and reopened after it is lost."""

    def __init__(self, settings: SmtpSettings) -> None:
        if settings.username and settings.security == "none":
            raise DeliveryError(
                "a username is given with security none: the password would cross the network "
                "unencrypted; use --security starttls or ssl"
            )
        self.settings = settings
        self._smtp: _SMTP | _SMTPSSL | None = None

    def connect(self) -> None:
        """Connect now, so a wrong host or password stops the run before anything is sent."""
        try:
            self._smtp = self._smtp or self._open()
        except ConnectionLost as exc:
            raise DeliveryError(f"{exc}: check the host, port and security settings") from None

    def _open(self) -> _SMTP | _SMTPSSL:
        s = self.settings
        context = ssl.create_default_context()
        where = f"{s.host}:{s.port}"
        try:
            if s.security == "ssl":
                smtp: _SMTP | _SMTPSSL = _SMTPSSL(
                    s.host, s.port, timeout=s.timeout, context=context
                )
            else:
                smtp = _SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    smtp.starttls(context=context)
            if s.username:
                smtp.login(s.username, s.password)
            smtp.ehlo_or_helo_if_needed()
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(
                f"{where} does not offer STARTTLS: use --security ssl, or ask your provider"
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"{where} refused the username or password ({exc.smtp_code} "
                f"{_words(exc.smtp_error)})"
            ) from None
        except ssl.SSLError as exc:
            raise DeliveryError(f"{where}: secure connection failed ({exc.reason})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionLost(f"cannot connect to {where} ({exc})") from None
        return smtp

    def close(self) -> None:
        """Say goodbye to the server, if connected."""
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._smtp = None

    def _drop(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError):
                self._smtp.close()
        self._smtp = None

    def send(self, message: bytes, sender: str, to: str, utf8: bool = False) -> tuple[int, str]:
        """Hand one message over; the final reply, or raises UnknownDelivery / ConnectionLost."""
        if self._smtp is None:
            self._smtp = self._open()
        smtp = self._smtp
        smtp.data_sent = False
        text: bytes | str
        if utf8 and not smtp.has_extn("smtputf8"):
            return 553, "this server cannot take an address with non-ASCII letters (no SMTPUTF8)"
        try:
            code, text = smtp.mail(sender, ["SMTPUTF8"] if utf8 else [])
            if code == 250:
                code, text = smtp.rcpt(to)
            if code in (250, 251):
                code, text = smtp.data(message)
        except smtplib.SMTPDataError as exc:
            code, text = exc.smtp_code, exc.smtp_error
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            handed_over = smtp.data_sent
            self._drop()
            if handed_over:
                raise UnknownDelivery(str(exc) or "connection closed") from None
            raise ConnectionLost(f"connection lost ({exc})") from None
        if code == 421:
            self._drop()  # the server is closing this connection
        elif code not in (250, 251):
            try:
                smtp.rset()
            except (OSError, smtplib.SMTPException):
                self._drop()
        return code, _words(text)


class UnknownDelivery(Exception):
    """The connection was lost after the message data was handed over."""


@dataclass
class Pacer:
    """Keeps to a number of messages per minute."""

    clock: Clock
    per_minute: float | None
    _last: float | None = None

    def wait(self) -> None:
        """Sleep until the next message may go."""
        if self.per_minute and self._last is not None:
            gap = 60.0 / self.per_minute - (self.clock.now() - self._last)
            if gap > 0:
                self.clock.sleep(gap)
        self._last = self.clock.now()


def _prepared(step: Step) -> EmailMessage:
    """The message as it goes out: dated now, and marked when it corrects an earlier one."""
    prepared = copy.deepcopy(step.item.message)
    del prepared["Date"]
    prepared["Date"] = formatdate(localtime=True)
    if step.references:
        subject = str(prepared["Subject"])
        del prepared["Subject"]
        prepared["Subject"] = CORRECTION_PREFIX + subject
        prepared["References"] = step.references
    return prepared


def _send_one(step: Step, client: SmtpClient, clock: Clock, settings: SmtpSettings) -> Outcome:
    """Send with retries for temporary failures; raises `ConnectionLost` if it never got through."""
    item = step.item
    message = _prepared(step)
    sender = message["From"].addresses[0].addr_spec
    utf8 = not (item.to.isascii() and sender.isascii())
    payload = message.as_bytes(policy=policy.SMTPUTF8 if utf8 else policy.SMTP)
    for attempt in range(1, settings.attempts + 1):
        try:
            code, words = client.send(payload, sender, item.to, utf8)
        except ConnectionLost:
            if attempt == settings.attempts:
                raise
            code, words = 0, ""
        if 200 <= code < 300:
            note = "sent as a correction" if step.references else ""
            return Outcome(item.kind, item.recipient_id, item.to, SENT, note)
        if 500 <= code < 600:
            return Outcome(item.kind, item.recipient_id, item.to, FAILED, f"{code} {words}")
        if attempt < settings.attempts:
            clock.sleep(settings.backoff * 2 ** (attempt - 1))
    return Outcome(
        item.kind,
        item.recipient_id,
        item.to,
        FAILED,
        f"{code} {words} (still refused after {settings.attempts} tries: run again later)",
    )


def send_planned(
    steps: list[Step],
    log: SendLog,
    month: str,
    client: SmtpClient | None,
    limit: int | None,
    clock: Clock,
) -> tuple[list[Outcome], str]:
    """Send what the plan says (nothing at all when `client` is None: a dry run).

    Returns every message's outcome and, if a DeliveryError (e.g. the login refused on
    reconnecting) stopped the send part-way, its message: the rest are then `not sent`.
    """
    outcomes: list[Outcome] = []
    stopped_by = ""
    pacer = Pacer(clock, client.settings.messages_per_minute if client else None)
    handed = 0
    stopped = ""
    if client is not None and any(step.send for step in steps):
        client.connect()
    for step in steps:
        item = step.item
        if not step.send:
            outcomes.append(Outcome(item.kind, item.recipient_id, item.to, SKIPPED, step.reason))
            continue
        if stopped or (limit is not None and handed >= limit):
            reason = stopped or f"over the --limit of {limit}"
            outcomes.append(Outcome(item.kind, item.recipient_id, item.to, PENDING, reason))
            continue
        handed += 1
        if client is None:
            outcomes.append(Outcome(item.kind, item.recipient_id, item.to, WOULD_SEND, step.reason))
            continue
        pacer.wait()
        attempt_id = log.start(
            item.kind,
            item.recipient_id,
            month,
            item.content_hash,
            str(item.message["Message-ID"]),
            bool(step.references),
        )
        try:
            outcome = _send_one(step, client, clock, client.settings)
        except UnknownDelivery as exc:
            outcome = Outcome(
                item.kind,
                item.recipient_id,
                item.to,
                UNKNOWN,
                f"connection lost after the message was handed over ({exc}): check whether "
                "it arrived; it will not be resent automatically",
            )
        except ConnectionLost as exc:
            log.finish(attempt_id, FAILED, str(exc))
            stopped = f"not attempted: {exc}"
            outcomes.append(Outcome(item.kind, item.recipient_id, item.to, PENDING, stopped))
            continue
        except DeliveryError as exc:
            # Raised before the message was handed over: it is safe to try again later.
            log.finish(attempt_id, FAILED, str(exc))
            stopped_by = str(exc)
            stopped = f"not attempted: {exc}"
            outcomes.append(Outcome(item.kind, item.recipient_id, item.to, PENDING, stopped))
            continue
        except BaseException:
            # Interrupted (Ctrl-C) with the message perhaps handed over: never resend blindly.
            log.finish(attempt_id, UNKNOWN, "the send was interrupted")
            raise
        log.finish(attempt_id, outcome.status, outcome.detail)
        outcomes.append(outcome)
    return outcomes, stopped_by


def write_send_report(path: Path, outcomes: list[Outcome]) -> None:
    """send-report.csv: one row per message, with what happened to it."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(REPORT_COLUMNS)
        for o in outcomes:
            # Ids, addresses and server replies come from outside: opened in a spreadsheet
            # program, none may run as a formula.
            row = [o.kind, o.recipient, o.to, o.status, o.detail]
            writer.writerow([spreadsheet_safe(cell) for cell in row])


@dataclass(frozen=True)
class SendOptions:
    """What `send` is asked to do: the command's options, never the password."""

    dry_run: bool = True
    limit: int | None = None
    only: tuple[str, ...] = ()
    digests: bool = False
    resend_changed: bool = False
    retry_unknown: bool = False
    host: str | None = None
    port: int | None = None
    security: str | None = None
    username: str | None = None
    messages_per_minute: float | None = None
    config_file: Path | None = None

    @property
    def kind(self) -> str:
        """Which messages: "letter" or "digest"."""
        return "digest" if self.digests else "letter"

    def smtp_overrides(self) -> dict:
        """The SMTP settings given as options (None where not given)."""
        return {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "username": self.username,
            "messages_per_minute": self.messages_per_minute,
        }


@dataclass(frozen=True)
class SendResult:
    """What a send did, for the team: every outcome, where the table is, how to go on."""

    kind: str
    report_dir: Path
    dry_run: bool
    outcomes: list[Outcome]
    report_file: Path
    # The command that sends for real: after a dry run, or to resume after a stop.
    again: str
    # A problem that stopped the send part-way (e.g. the login refused on reconnecting).
    stopped_by: str = ""

    @property
    def counts(self) -> dict[str, int]:
        """How many messages per status, in order of first appearance."""
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        return counts


def command_line(report_dir: Path, options: SendOptions) -> str:
    """The exact command that sends (the rest of) these messages (never with the password)."""
    flags: list[str] = []
    for name in ("digests", "resend_changed", "retry_unknown"):
        if getattr(options, name):
            flags.append("--" + name.replace("_", "-"))
    for name in ("host", "port", "security", "username", "messages_per_minute", "config_file"):
        value = getattr(options, name)
        if value is not None:
            option = "--config" if name == "config_file" else "--" + name.replace("_", "-")
            flags += [option, shlex.quote(str(value))]
    for recipient in options.only:
        flags += ["--only", shlex.quote(recipient)]
    return " ".join(["balint-reports send", shlex.quote(str(report_dir)), *flags, "--no-dry-run"])


def _config(options: SendOptions, manifest: dict) -> Config:
    """The config named by --config, else the one the month's run used (if still there)."""
    path = options.config_file
    if path is None and manifest.get("config"):
        path = Path(manifest["config"])
    return load_config(path if path is not None and path.is_file() else None)


def _client(
    config: Config, options: SendOptions, password_prompt: Callable[[str], str]
) -> SmtpClient:
    settings = smtp_settings(config.smtp, options.smtp_overrides())
    if settings.username:
        password = os.environ.get(PASSWORD_VARIABLE) or password_prompt(settings.username)
        settings = replace(settings, password=password)
    return SmtpClient(settings)


def send_month(
    report_dir: Path,
    options: SendOptions,
    clock: Clock,
    password_prompt: Callable[[str], str],
) -> SendResult:
    """Send (or, on a dry run, show) a month folder's letters or digests, holding OUT's lock.

    The lock keeps a second send, or a run rewriting the month, out until this one ends. The
    password comes from BALINT_SMTP_PASSWORD, else from `password_prompt(username)`.
    """
    # Resolved, so that `send .` from inside the month folder still finds OUT as its parent.
    report_dir = report_dir.resolve()
    out = report_dir.parent
    if not (report_dir / MANIFEST).is_file():
        # Before taking the lock, which would leave a lock file beside any folder given.
        raise DeliveryError(_not_a_month(report_dir / MANIFEST))
    with locked(out):
        month, items, manifest = load_items(report_dir, options.kind, options.only)
        config = _config(options, manifest)
        log = SendLog(out / LOG_NAME)
        try:
            steps = plan(items, log, month, options.resend_changed, options.retry_unknown)
            client = None if options.dry_run else _client(config, options, password_prompt)
            try:
                outcomes, stopped_by = send_planned(steps, log, month, client, options.limit, clock)
            finally:
                if client is not None:
                    client.close()
        finally:
            log.close()
        report_file = report_dir / (DRY_RUN_REPORT_NAME if options.dry_run else REPORT_NAME)
        write_send_report(report_file, outcomes)
    return SendResult(
        kind=options.kind,
        report_dir=report_dir,
        dry_run=options.dry_run,
        outcomes=outcomes,
        report_file=report_file,
        again=command_line(report_dir, options),
        stopped_by=stopped_by,
    )
