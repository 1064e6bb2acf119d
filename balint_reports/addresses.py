"""Email addresses: which are usable, and the data issues the team should see about them."""

from __future__ import annotations

import re
from email.utils import parseaddr
from typing import TYPE_CHECKING

from .model import RegisterStatus

if TYPE_CHECKING:
    # Types only: config imports this module, and `--help` must start without pandas.
    import pandas as pd

    from .config import Config  # config imports this module to check its addresses
    from .issues import IssueLog

# Deliberately plain: one @, no spaces or brackets, a dotted domain. Anything cleverer
# (quoted local parts, comments) is legal but is far more likely a typing mistake here.
_ADDRESS = re.compile(r"[^\s@<>()\[\]\\,;:\"]+@[^\s@<>()\[\]\\,;:\"]+\.[^\s@<>()\[\]\\,;:\".]+")
_UNSAFE = re.compile(r"[\r\n\0]")


def valid_address(text: object) -> bool:
    """Whether a register cell holds exactly one plain email address."""
    return isinstance(text, str) and _ADDRESS.fullmatch(text.strip()) is not None


def unsafe_header(value: str) -> bool:
    """Whether a header value holds CR, LF or NUL (which could inject headers)."""
    return _UNSAFE.search(value) is not None


def sender(config: Config) -> tuple[str, str] | None:
    """The From display name and address: [email] from, else [report] contact_email."""
    name, address = parseaddr(config.email.get("from", ""))
    if not address:
        name, address = "", config.report.contact_email.strip()
    if not valid_address(address):
        return None
    return (name or config.report.society), address


def can_email(name: str, address: object) -> bool:
    """Whether a message can be addressed to this person."""
    return valid_address(address) and not unsafe_header(name)


def _letter_trainees(trainees: pd.DataFrame) -> pd.DataFrame:
    gets_letter = trainees["status"].fillna("").map(lambda s: RegisterStatus.of(s).gets_letter)
    return trainees.loc[gets_letter.astype(bool)]


NON_ASCII_PROBLEM = (
    "the address has letters outside plain ASCII: most mail servers refuse such addresses "
    "(only those offering SMTPUTF8 take them), so this email may not be delivered; ask for a "
    "plain address, or check with your email provider before sending"
)


def _warn_non_ascii(rows: pd.DataFrame, emails: pd.Series, valid: pd.Series, log: IssueLog) -> None:
    """A warning per valid address with letters like á or ß: usually refused at send time."""
    non_ascii = valid & ~emails.map(str.isascii).astype(bool)
    if non_ascii.any():
        log.add_rows(
            "warning",
            rows.loc[non_ascii],
            "email",
            emails[non_ascii],
            NON_ASCII_PROBLEM,
            code="non_ascii_address",
        )


def check_addresses(
    trainees: pd.DataFrame, leaders: pd.DataFrame, config: Config, log: IssueLog
) -> None:
    """Log who cannot be emailed, and addresses shared by several trainees.

    `trainees` and `leaders` are the merged registers (their rows still carry `_file`,
    `_sheet`, `_row`, `_rid`). Only trainees who get a letter, and leaders who supervise one
    of them, are checked: nobody else is emailed.
    """
    emailing = sender(config) is not None
    letter = _letter_trainees(trainees)
    emails = letter["email"].fillna("").astype(str).str.strip()
    # astype(bool): on no rows, map() keeps the text dtype and & would fail
    valid = emails.map(valid_address).astype(bool)
    bad = ~valid
    unsafe_name = letter["name"].map(unsafe_header).astype(bool)
    if unsafe_name.any():
        rows = letter.loc[unsafe_name]
        log.add_rows(
            "warning",
            rows,
            "name",
            rows["name"].str.replace("\0", "\\0"),
            "the name holds a control character: no email can be addressed to it; retype it",
            code="name_unaddressable",
        )
    bad &= ~unsafe_name
    # A blank address is only a problem when the letters are to be emailed; a wrong one always is.
    bad &= emailing | (emails != "")
    if bad.any():
        rows = letter.loc[bad]
        log.add_rows(
            "warning",
            rows,
            "email",
            emails[bad],
            emails[bad].map(
                lambda e: (
                    (f"'{e}' is not a valid email address" if e else "no email address")
                    + ": the letter is written but cannot be emailed; add the address to the "
                    "trainees register"
                )
            ),
            code="trainee_address_invalid",
        )
    if emailing:
        _warn_non_ascii(letter, emails, valid, log)
    folded = emails.str.casefold()
    shared = valid & folded.duplicated(keep=False)
    if shared.any():
        # Each row is listed on its own, not naming the others, so that a supervisor's digest
        # (which repeats the issues about their trainees) says nothing about anyone else.
        rows = letter.loc[shared]
        log.add_rows(
            "warning",
            rows,
            "email",
            emails[shared],
            "another trainee in the register has the same address, so both letters go to one "
            "mailbox: check the register",
            code="address_shared",
        )
    supervising = leaders.loc[leaders.index.isin(set(letter["supervisor"].dropna()))]
    if not emailing or "email" not in supervising:
        return
    leader_emails = supervising["email"].fillna("").astype(str).str.strip()
    leader_valid = leader_emails.map(valid_address).astype(bool)
    _warn_non_ascii(supervising, leader_emails, leader_valid, log)
    no_digest = ~leader_valid
    if no_digest.any():
        rows = supervising.loc[no_digest]
        log.add_rows(
            "warning",
            rows,
            "email",
            leader_emails[no_digest],
            "this supervisor has no valid email address: their digest is written but cannot be "
            "emailed; add the address to the leaders register",
            code="supervisor_address_invalid",
        )
