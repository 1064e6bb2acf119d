"""Emails built in memory from the letters and digests a run rendered.

`build_message` turns a rendered piece (its `stem`, `html`, `text` and `recipient`) into a
multipart/alternative `EmailMessage` (plain text first, then the HTML) with the headers the
config gives *at the time of building*: `send` builds every message afresh from the current
config, so From, Reply-To and Subject added after the run are used. A run writes, beside the
letters, `outbox/<trainee_id>.eml` and `digests/<leader_id>.eml` for anyone who wants to send
one by hand, and `mail.json`, which lists every trainee and supervisor for `send`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import html as html_escape
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address, BaseHeader
from email.message import EmailMessage
from email.utils import format_datetime, formatdate
from typing import TYPE_CHECKING, Protocol

from .addresses import can_email, unsafe_header
from .config import Config, sender
from .errors import DeliveryError
from .safecells import without_bidi_controls
from .wording import month_text

if TYPE_CHECKING:
    from .digests import Digest
    from .letters import Letter
    from .model import RunResult

MANIFEST = "mail.json"
# The kind of message of feedback to spreadsheet senders, in mail entries and the send log:
# here, not in feedback.py, so that `send --help` need not import what feedback needs (pandas).
FEEDBACK_KIND = "feedback"
MANIFEST_VERSION = 2
# {accreditation}: the society's word for it, from the rulesets' [vocabulary] ("credentialing")
DEFAULT_SUBJECT = "{society}: your progress towards {accreditation}, {month}"
DEFAULT_DIGEST_SUBJECT = "{society}: your supervisees' progress, {month}"
FOLDERS = {"letter": "letters", "digest": "digests"}
EML_FOLDERS = {"letter": "outbox", "digest": "digests"}
NO_ADDRESS = "no valid address"


@dataclass(frozen=True)
class Recipient:
    """Whom a letter or digest is for."""

    kind: str  # "letter" or "digest"
    person_id: str
    name: str
    address: str

    @property
    def reachable(self) -> bool:
        """Whether an email can be addressed to them."""
        return can_email(self.name, self.address)


class Mailable(Protocol):
    """What the outbox needs of a rendered letter or digest: nothing read from disk."""

    @property
    def stem(self) -> str:
        """Its file name without the extension, e.g. `T01`."""
        ...

    @property
    def html(self) -> str:
        """The HTML body."""
        ...

    @property
    def text(self) -> str:
        """The plain-text body."""
        ...

    @property
    def recipient(self) -> Recipient:
        """Whom it is for."""
        ...


@dataclass(frozen=True)
class Outgoing:
    """A rendered letter or digest with its recipient: the outbox's input."""

    stem: str
    html: str
    text: str
    recipient: Recipient


@dataclass(frozen=True)
class Headers:
    """The headers a message takes from the config."""

    from_name: str
    from_address: str
    reply_to: str
    subject: str


def subject_for(
    config: Config, kind: str, as_of: dt.date, accreditation: str = "accreditation"
) -> str:
    """The configured subject for letters or digests, with the month and words filled in."""
    if kind == "letter":
        template = config.email.get("subject", DEFAULT_SUBJECT)
    else:
        template = config.email.get("digest_subject", DEFAULT_DIGEST_SUBJECT)
    return template.format(
        month=month_text(as_of), society=config.report.society, accreditation=accreditation
    )


def headers_for(
    config: Config, kind: str, as_of: dt.date, accreditation: str = "accreditation"
) -> Headers:
    """From, Reply-To and Subject as the config says now; no sender is an error."""
    found = sender(config)
    if found is None:
        raise DeliveryError(
            "no sender address: set from in the [email] table of balint.toml (or "
            "contact_email in [report])"
        )
    from_name, from_address = found
    reply_to = config.email.get("reply_to") or config.report.contact_email or from_address
    subject = subject_for(config, kind, as_of, accreditation)
    return Headers(from_name, from_address, reply_to, subject)


def content_hash(piece: Mailable) -> str:
    """What makes a letter the same letter: its two bodies (not its headers, nor the date)."""
    digest = hashlib.sha256()
    for part in (piece.text, piece.html):
        digest.update(part.replace("\r\n", "\n").encode("utf-8") + b"\0")
    return digest.hexdigest()


def _refuse_unsafe(values: dict[str, str]) -> None:
    for header, value in values.items():
        # splitlines: every line break Python knows (\v, \x85, \u2028 too), as EmailMessage
        # refuses a header value it is given as text; parsed once, the sender's are not
        if unsafe_header(value) or len(value.splitlines()) > 1:
            raise DeliveryError(
                f"{header} {value!r} holds a line break or NUL character: refused, as it could "
                "add headers to the email; correct it and run again"
            )


_BODY = re.compile(r"<body[^>]*>", re.IGNORECASE)


def with_opening(piece: Mailable, line: str) -> Outgoing:
    """The piece with one line put before its first paragraph, in both bodies."""
    paragraph = (
        '<p style="margin:0 0 16px 0;padding:8px 12px;background:#fff8e1;'
        f'border-left:4px solid #f9a825;">{html_escape.escape(without_bidi_controls(line))}</p>'
    )
    found = _BODY.search(piece.html)
    at = found.end() if found else 0
    return Outgoing(
        piece.stem,
        piece.html[:at] + paragraph + piece.html[at:],
        f"{without_bidi_controls(line)}\n\n{piece.text}",
        piece.recipient,
    )


def build_message(
    piece: Mailable,
    headers: Headers,
    month: str,
    *,
    to: str | None = None,
    subject_prefix: str = "",
    dated: dt.date | None = None,
) -> EmailMessage:
    """A multipart/alternative message; header values with CR, LF or NUL are refused first.

    `to` sends it elsewhere than to its recipient (a test send); `subject_prefix` marks it.
    `dated`: the day a ready-made .eml in the month folder gives, at noon by this computer's
    clock: the report's, which its letter gives too, so that the file is the same in every run
    of the month. None, for a message being sent: dated now.
    """
    recipient = piece.recipient
    address = (to or recipient.address).strip()
    subject = subject_prefix + headers.subject
    _refuse_unsafe(
        {
            "From": headers.from_name,
            "Reply-To": headers.reply_to,
            "To": f"{recipient.name} <{address}>",
            "Subject": subject,
        }
    )
    # An address with non-ASCII letters (siân@…) needs the SMTPUTF8 form of the message.
    form = policy.SMTP if address.isascii() else policy.SMTPUTF8
    message = EmailMessage(policy=form)
    message["From"], message["Reply-To"] = _sender_headers(
        form, headers.from_name, headers.from_address, headers.reply_to
    )
    # username + domain, not addr_spec: addr_spec refuses a non-ASCII local part outright. A
    # test copy carries no name: a mail program would keep the tester's address under it.
    local, _, domain = address.rpartition("@")
    message["To"] = Address(
        display_name="" if to else recipient.name, username=local, domain=domain
    )
    message["Subject"] = subject
    message["Date"] = (
        formatdate(localtime=True)
        if dated is None
        else format_datetime(dt.datetime.combine(dated, dt.time(12)).astimezone())
    )
    message.set_content(piece.text)
    message.add_alternative(piece.html, subtype="html")
    # Derived from the content, so the same letter keeps its Message-ID and a corrected one
    # gets a new one.
    seed = f"{content_hash(piece)}\0{recipient.kind}\0{recipient.person_id}\0{subject}"
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:24]
    domain_of_sender = headers.from_address.rpartition("@")[2]
    message["Message-ID"] = f"<{digest}.{recipient.kind}.{month}@{domain_of_sender}>"
    return message


@functools.lru_cache(maxsize=16)
def _sender_headers(
    form: policy.EmailPolicy, from_name: str, from_address: str, reply_to: str
) -> tuple[BaseHeader, BaseHeader]:
    """From and Reply-To as `form` parses them, once per run: every message has the same, and
    the email package's parser spends a third of a message's making on a quoted sender name.
    A parsed header is immutable, and a message stores one given to it as it is."""
    return (
        form.header_factory("From", Address(display_name=from_name, addr_spec=from_address)),
        form.header_factory("Reply-To", reply_to),
    )


def eml_bytes(message: EmailMessage) -> bytes:
    """A ready-made message as its .eml file: the same bytes whenever its content is the same.

    The email package draws each multipart boundary at random; here each is a hash of the
    Message-ID (itself made from the content) and the part's place, which no body holds. A
    month run again with nothing changed then writes the same files, and publish keeps the
    ones already there.
    """
    seed = str(message["Message-ID"])
    for place, part in enumerate(message.walk()):
        if part.is_multipart():
            digest = hashlib.sha256(f"{seed}\0{place}".encode()).hexdigest()[:24]
            part.set_boundary(f"==={digest}==")
    return message.as_bytes()


def _facts(report: RunResult) -> dict[str, dict]:
    """Per trainee, the figures a letter shows: kept with a send so a correction can compare."""
    facts = {}
    for t in report.trainees:
        labels = {q.id: (q.routes[0].label if q.routes else "") for q in t.ruleset.requirements}
        facts[t.trainee_id] = {
            "overall": str(t.overall),
            "requirements": {
                r.id: {
                    "title": r.title,
                    "label": labels.get(r.id, ""),
                    "status": str(r.status),
                    "achieved": r.achieved,
                }
                for r in t.requirements
            },
        }
    return facts


def _errors_per_trainee(report: RunResult) -> dict[str, int]:
    """How many error-severity data issues are about each trainee (case-folded id)."""
    issues = report.issues
    errors = issues.loc[(issues["severity"] == "error") & (issues["trainee_id"] != "")]
    return errors["trainee_id"].astype(str).str.casefold().value_counts().to_dict()


def _errors_about_nobody(report: RunResult) -> list[dict[str, object]]:
    """The error-severity issues tied to no trainee, one entry per problem with its row count.

    Often a row naming a misspelt trainee ("did you mean Priya Sharma (T04)?"): `send` shows
    these words to the team, so that a session a letter says is missing is not sent unseen.
    """
    issues = report.issues
    errors = issues.loc[(issues["severity"] == "error") & (issues["trainee_id"] == "")]
    counts = errors.groupby(errors["problem"].astype(str), sort=False).size()
    return [{"problem": problem, "rows": int(n)} for problem, n in counts.items()]


def _entry(piece: Mailable, skip: str = "") -> dict:
    r = piece.recipient
    folder = FOLDERS[r.kind]
    return {
        "kind": r.kind,
        "id": r.person_id,
        "name": r.name,
        "address": r.address.strip() if isinstance(r.address, str) else "",
        "html": f"{folder}/{piece.stem}.html",
        "text": f"{folder}/{piece.stem}.txt",
        "skip": skip or ("" if r.reachable else NO_ADDRESS),
    }


def pieces(
    report: RunResult, letters: Sequence[Letter], digests: Sequence[Digest]
) -> list[Outgoing]:
    """The rendered letters and digests with their recipients: what the outbox builds from."""
    trainees = {t.trainee_id: t for t in report.trainees}
    found = []
    for letter in letters:
        t = trainees[letter.trainee_id]
        address = t.email if isinstance(t.email, str) else ""
        recipient = Recipient("letter", t.trainee_id, t.name, address)
        found.append(Outgoing(letter.stem, letter.html, letter.text, recipient))
    for digest in digests:
        leader = digest.leader
        address = leader.email if isinstance(leader.email, str) else ""
        recipient = Recipient("digest", leader.leader_id, leader.name, address)
        found.append(Outgoing(digest.stem, digest.html, digest.text, recipient))
    return found


def outbox_files(
    report: RunResult, letters: Sequence[Letter], digests: Sequence[Digest]
) -> dict[str, bytes]:
    """mail.json for `send` and, once the config names a sender, one .eml per message.

    By path in the month folder. The letters' and digests' own HTML and text are written by
    the caller under `letters/` and `digests/`, with the stems they carry.
    """
    month = f"{report.as_of:%Y-%m}"
    ready = pieces(report, letters, digests)
    facts = _facts(report)
    errors = _errors_per_trainee(report)
    by_trainee = {p.recipient.person_id: p for p in ready if p.recipient.kind == "letter"}
    entries = []
    # Every trainee in register order, so that the send table can say why some get nothing.
    for t in report.trainees:
        letter = by_trainee.get(t.trainee_id)
        entry: dict[str, object]
        if letter is None:
            entry = {"kind": "letter", "id": t.trainee_id, "name": t.name, "address": ""}
            entry["skip"] = f"no letter (register status {t.status})"
        else:
            entry = {**_entry(letter), "facts": facts[t.trainee_id]}
        entries.append({**entry, "errors": errors.get(t.trainee_id.casefold(), 0)})
    entries += [_entry(p) for p in ready if p.recipient.kind == "digest"]
    files: dict[str, bytes] = {}
    from .ruleset import shared_vocabulary  # here: `send --help` imports this module

    accreditation = shared_vocabulary(r.vocabulary for r in report.rulesets).accreditation
    if sender(report.config) is not None:
        for piece in ready:
            if piece.recipient.reachable:
                kind = piece.recipient.kind
                headers = headers_for(report.config, kind, report.as_of, accreditation)
                message = build_message(piece, headers, month, dated=report.as_of)
                files[f"{EML_FOLDERS[kind]}/{piece.stem}.eml"] = eml_bytes(message)
    config = report.config.path
    manifest = {
        "version": MANIFEST_VERSION,
        "month": month,
        "as_of": f"{report.as_of:%Y-%m-%d}",
        "config": str(config.resolve()) if config else None,
        "accreditation": accreditation,
        "messages": entries,
        "errors_about_nobody": _errors_about_nobody(report),
    }
    files[MANIFEST] = json.dumps(manifest, indent=2, ensure_ascii=False, default=str).encode(
        "utf-8"
    )
    return files
