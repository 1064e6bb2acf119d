"""Ready-to-send emails: outbox/<trainee_id>.eml per letter and digests/<leader_id>.eml.

Each message is multipart/alternative (plain text first, then the HTML), so any mail client
opens it and the team can send one by hand. `mail.json` lists them for `send`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import Parser
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING

from .addresses import can_email, sender, unsafe_header
from .config import Config
from .errors import DeliveryError

if TYPE_CHECKING:
    from .digests import Digest
    from .letters import Letter
    from .model import RunResult

MANIFEST = "mail.json"
DEFAULT_SUBJECT = "{society}: your progress towards accreditation, {month}"
DEFAULT_DIGEST_SUBJECT = "{society}: your supervisees' progress, {month}"


@dataclass(frozen=True)
class Outgoing:
    """One message to build: who it is for and its two bodies."""

    kind: str  # "letter" or "digest"
    recipient_id: str
    name: str
    address: str
    subject: str
    text: str
    html: str


def subject_for(config: Config, kind: str, as_of: dt.date) -> str:
    """The configured subject for letters or digests, with the month filled in."""
    if kind == "letter":
        template = config.email.get("subject", DEFAULT_SUBJECT)
    else:
        template = config.email.get("digest_subject", DEFAULT_DIGEST_SUBJECT)
    return template.format(month=f"{as_of:%B %Y}", society=config.report.society)


def content_hash(message: EmailMessage) -> str:
    """What makes a letter the same letter: recipient, subject and both bodies (not Date/ID)."""
    digest = hashlib.sha256()
    bodies = [message.get_body((kind,)) for kind in ("plain", "html")]
    for part in (
        str(message["To"]),
        str(message["Subject"]),
        *(body.get_content() if body is not None else "" for body in bodies),
    ):
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def _refuse_unsafe(values: dict[str, str]) -> None:
    for header, value in values.items():
        if unsafe_header(value):
            raise DeliveryError(
                f"{header} {value!r} holds a line break or NUL character: refused, as it could "
                "add headers to the email; correct it and run again"
            )


def build_message(item: Outgoing, config: Config, month: str) -> EmailMessage:
    """A multipart/alternative message; header values with CR, LF or NUL are refused first."""
    found = sender(config)
    if found is None:
        raise DeliveryError("no sender address: set [email] from in the config")
    from_name, from_address = found
    reply_to = config.email.get("reply_to") or config.report.contact_email or from_address
    _refuse_unsafe(
        {
            "From": from_name,
            "Reply-To": reply_to,
            "To": f"{item.name} <{item.address}>",
            "Subject": item.subject,
        }
    )
    # An address with non-ASCII letters (siân@…) needs the SMTPUTF8 form of the message.
    message = EmailMessage(policy=policy.SMTP if item.address.isascii() else policy.SMTPUTF8)
    message["From"] = Address(display_name=from_name, addr_spec=from_address)
    message["Reply-To"] = reply_to
    # username + domain, not addr_spec: addr_spec refuses a non-ASCII local part outright.
    local, _, domain = item.address.strip().rpartition("@")
    message["To"] = Address(display_name=item.name, username=local, domain=domain)
    message["Subject"] = item.subject
    message["Date"] = formatdate(localtime=True)
    message.set_content(item.text)
    message.add_alternative(item.html, subtype="html")
    # Derived from the content, so a re-run of an unchanged letter keeps its Message-ID and
    # a corrected one gets a new one.
    digest = content_hash(message)[:24]
    message["Message-ID"] = f"<{digest}.{item.kind}.{month}@{from_address.rpartition('@')[2]}>"
    return message


def read_message(path: Path) -> EmailMessage:
    """Parse an .eml file written by `build_message` (or edited by hand)."""
    # Decoded here, not by BytesParser, which would turn UTF-8 addresses into surrogates.
    text = path.read_bytes().decode("utf-8", errors="replace")
    return Parser(policy=policy.SMTPUTF8).parsestr(text)


def _outgoing(report: RunResult, letters: list[Letter], digests: list[Digest]) -> list[Outgoing]:
    """The letters and digests that can be emailed: their recipient has a usable address."""
    subject = subject_for(report.config, "letter", report.as_of)
    trainees = {t.trainee_id: t for t in report.trainees}
    items = []
    for letter in letters:
        t = trainees[letter.trainee_id]
        if can_email(t.name, t.email):
            items.append(
                Outgoing(
                    "letter",
                    t.trainee_id,
                    t.name,
                    t.email.strip(),
                    subject,
                    letter.text,
                    letter.html,
                )
            )
    digest_subject = subject_for(report.config, "digest", report.as_of)
    for digest in digests:
        leader = digest.leader
        if can_email(leader.name, leader.email):
            items.append(
                Outgoing(
                    "digest",
                    leader.leader_id,
                    leader.name,
                    leader.email,
                    digest_subject,
                    digest.text,
                    digest.html,
                )
            )
    return items


def outbox_files(
    report: RunResult, letters: list[Letter], digests: list[Digest]
) -> dict[str, bytes]:
    """outbox/*.eml for the letters, digests/*.eml, and mail.json, by path in the month folder.

    No .eml is made until the config says who the emails come from.
    """
    # Imported here: `send` loads this module, and its `--help` must not wait for jinja2/pandas.
    from .letters import file_stem

    files: dict[str, bytes] = {}
    entries = []
    month = f"{report.as_of:%Y-%m}"
    if sender(report.config) is not None:
        for item in _outgoing(report, letters, digests):
            sub = "outbox" if item.kind == "letter" else "digests"
            relative = f"{sub}/{file_stem(item.recipient_id)}.eml"
            files[relative] = build_message(item, report.config, month).as_bytes()
            entries.append({"kind": item.kind, "id": item.recipient_id, "file": relative})
    config = report.config.path
    manifest = {
        "month": month,
        "config": str(config.resolve()) if config else None,
        "messages": entries,
    }
    files[MANIFEST] = json.dumps(manifest, indent=2).encode("utf-8")
    return files
