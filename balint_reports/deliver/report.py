"""The send report: what happened to each message, as a table for the team and a CSV file."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ..safecells import spreadsheet_safe
from ..sendlog import FAILED, SENT, UNKNOWN

REPORT_COLUMNS = ["kind", "recipient", "name", "to", "status", "detail"]
REPORT_NAME = "send-report.csv"
# A dry run keeps its own table, so it never hides what an earlier real send did.
DRY_RUN_REPORT_NAME = "send-report-dry-run.csv"
# Outcomes shown to the team, besides the log's sent / failed / unknown.
SKIPPED, PENDING, WOULD_SEND, TEST_SENT = "skipped", "not sent", "would send", "test sent"
# Why a message is held back by what earlier sends of the month did (the send log).
CHANGED, HELD_UNKNOWN, HELD_REFUSED = "changed", "unknown", "refused"
STATUSES = (SENT, TEST_SENT, WOULD_SEND, SKIPPED, PENDING, FAILED, UNKNOWN)


@dataclass(frozen=True)
class Outcome:
    """What happened to one message."""

    kind: str
    recipient: str
    name: str
    to: str
    status: str
    detail: str = ""
    held: str = ""  # CHANGED, HELD_UNKNOWN or HELD_REFUSED when an earlier send holds it back


@dataclass(frozen=True)
class MonthErrors:
    """The month's error-severity data issues, and whom they are about."""

    total: int
    # (id, name, count) per trainee with any, in register order
    by_trainee: tuple[tuple[str, str, int], ...] = ()
    # (problem, rows) for those tied to no trainee, e.g. a row naming a misspelt one: the
    # problem's words name whom it may be about (for the team's terminal, never a file)
    about_nobody: tuple[tuple[str, int], ...] = ()
    # what the month did not read though it may hold records: sheets that fit no kind
    # ("file (sheet)") and register headings that may be a column ("'heading' (file)"); no
    # errors, but letters written without them may tell a trainee too little
    not_read: tuple[str, ...] = ()


@dataclass(frozen=True)
class SendResult:
    """What a send did, for the team: every outcome, where the table is, how to go on."""

    kind: str
    report_dir: Path
    dry_run: bool
    outcomes: list[Outcome]
    report_file: Path
    # The command that sends (the rest): after a dry run, or to resume after a stop.
    again: str
    # A problem that stopped the send part-way (e.g. the login refused on reconnecting).
    stopped_by: str = ""
    errors: MonthErrors = field(default_factory=lambda: MonthErrors(0))
    # Messages held back because the server cannot take non-ASCII addresses (no SMTPUTF8).
    no_utf8: list[Outcome] = field(default_factory=list)
    # How many of the other kind are ready (digests after letters, and letters after digests).
    other_kind: int = 0
    left_by_limit: int = 0  # messages left for a later send by --limit, as asked
    test: bool = False
    # Why no message could be built, found on a dry run (a real send stops on it).
    sender_problem: str = ""

    def held(self, why: str) -> list[Outcome]:
        """The messages held back for this reason (CHANGED, HELD_UNKNOWN, HELD_REFUSED)."""
        return [o for o in self.outcomes if o.held == why]

    @property
    def counts(self) -> dict[str, int]:
        """How many messages per status, in a fixed order."""
        counts = {status: 0 for status in STATUSES}
        for o in self.outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        return {status: n for status, n in counts.items() if n}

    @property
    def complete(self) -> bool:
        """Whether everything that was to be sent was, apart from what --limit left for later."""
        counts = self.counts
        pending = counts.get(PENDING, 0) - self.left_by_limit
        return not (self.stopped_by or counts.get(FAILED) or counts.get(UNKNOWN) or pending)


def write_send_report(path: Path, outcomes: list[Outcome]) -> None:
    """send-report.csv: one row per message, with what happened to it.

    With a byte-order mark: Excel on Windows opens a CSV without one as Windows-1252, and
    "Zoë Brontë" would read "ZoÃ« BrontÃ«"."""
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(REPORT_COLUMNS)
        for o in outcomes:
            # Ids, names, addresses and server replies come from outside: opened in a
            # spreadsheet program, none may run as a formula.
            row = [o.kind, o.recipient, o.name, o.to, o.status, o.detail]
            writer.writerow([spreadsheet_safe(cell) for cell in row])
