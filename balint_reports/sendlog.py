"""The send log: an SQLite file in OUT remembering every attempt, so nothing is sent twice.

A message is keyed by kind (letter or digest), recipient id, report month and content hash.
An attempt is written as `trying` before the message goes to the server, becomes `sending`
once the server has said it will take the message data (SMTP's 354), and is updated with how
it ended. So a send killed before that point leaves `trying` (not sent: a re-run sends it),
and one killed after it leaves `sending` (delivery unknown: never resent automatically).
Test sends (`send --test-to`) are kept in a table of their own and never count as sent.
The log holds ids, hashes, counts and server replies, never addresses or passwords.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .errors import DeliveryError

LOG_NAME = "send-log.sqlite"
# How an attempt ended. Only `sent`, `sending` and `unknown` may have reached the recipient.
TRYING = "trying"  # started; the message data not yet handed over
SENDING = "sending"  # the data handed over; no final reply yet
SENT = "sent"
UNKNOWN = "unknown"  # the data handed over and the connection lost before the reply
FAILED = "failed"  # refused for good (a 5xx reply)
DEFERRED = "deferred"  # refused for now (a 4xx reply): not sent
NOT_SENT = "not sent"  # stopped before the data was handed over: not sent
MAYBE_DELIVERED = (SENT, SENDING, UNKNOWN)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    month TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    message_id TEXT NOT NULL,
    correction INTEGER NOT NULL,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    started TEXT NOT NULL,
    finished TEXT
);
CREATE INDEX IF NOT EXISTS attempts_key ON attempts (kind, month, recipient);
CREATE TABLE IF NOT EXISTS test_sends (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    month TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    started TEXT NOT NULL
);
"""
# Added after the first release: a log written before them gains them on opening.
_ADDED_COLUMNS = {
    # which address a message went to, as a hash: a refused address that the team corrects
    # in the register is tried again, an unchanged one is not
    "address_hash": "TEXT NOT NULL DEFAULT ''",
    # the letter's figures as sent (JSON), so a correction can say what changed
    "facts": "TEXT NOT NULL DEFAULT ''",
}


@dataclass(frozen=True)
class Attempt:
    """One earlier attempt to send a message."""

    content_hash: str
    message_id: str
    state: str
    started: str
    detail: str = ""
    address_hash: str = ""
    facts: str = ""


def address_hash(address: str) -> str:
    """A short hash of an address: enough to see that it changed, without keeping it."""
    return hashlib.sha256(address.strip().casefold().encode("utf-8")).hexdigest()[:16]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class SendLog:
    """Reads and writes the send log; every write is committed at once."""

    def __init__(self, path: Path) -> None:
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.executescript(_SCHEMA)
            have = {row[1] for row in self._db.execute("PRAGMA table_info(attempts)")}
            for column, declaration in _ADDED_COLUMNS.items():
                if column not in have:
                    self._db.execute(f"ALTER TABLE attempts ADD COLUMN {column} {declaration}")
        except sqlite3.Error as exc:
            raise DeliveryError(f"{path}: cannot open the send log ({exc})") from None
        self.path = path

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def attempts(self, kind: str, month: str) -> dict[str, list[Attempt]]:
        """Every attempt for this kind and month, per recipient, oldest first."""
        rows = self._db.execute(
            "SELECT recipient, content_hash, message_id, state, started, detail, address_hash,"
            " facts FROM attempts WHERE kind = ? AND month = ? ORDER BY id",
            (kind, month),
        )
        found: dict[str, list[Attempt]] = {}
        for recipient, *fields in rows:
            found.setdefault(recipient, []).append(Attempt(*fields))
        return found

    def start(
        self,
        kind: str,
        recipient: str,
        month: str,
        content_hash: str,
        message_id: str,
        correction: bool,
        address: str = "",
        facts: str = "",
    ) -> int:
        """Record that a message is about to go to the server; returns the attempt's id."""
        cursor = self._db.execute(
            "INSERT INTO attempts (kind, recipient, month, content_hash, message_id, correction,"
            " state, started, address_hash, facts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                kind,
                recipient,
                month,
                content_hash,
                message_id,
                int(correction),
                TRYING,
                _now(),
                address_hash(address) if address else "",
                facts,
            ),
        )
        return int(cursor.lastrowid or 0)

    def handed_over(self, attempt_id: int) -> None:
        """Record that the server is taking the message data: from now on it may arrive."""
        self._db.execute("UPDATE attempts SET state = ? WHERE id = ?", (SENDING, attempt_id))

    def finish(self, attempt_id: int, state: str, detail: str) -> None:
        """Record how an attempt ended."""
        self._db.execute(
            "UPDATE attempts SET state = ?, detail = ?, finished = ? WHERE id = ?",
            (state, detail, _now(), attempt_id),
        )

    def record_test(
        self, kind: str, recipient: str, month: str, content_hash: str, state: str, detail: str
    ) -> None:
        """Record a test send (to the team's own address): kept apart, never counted as sent."""
        self._db.execute(
            "INSERT INTO test_sends (kind, recipient, month, content_hash, state, detail, started)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (kind, recipient, month, content_hash, state, detail, _now()),
        )
