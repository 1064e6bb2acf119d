"""The send log: an SQLite file in OUT remembering every attempt, so nothing is sent twice.

A message is keyed by kind (letter or digest), recipient id, report month and content hash.
An attempt is written as `sending` before the message is handed over and updated after, so a
send that is killed half-way leaves a `sending` row: treated like `unknown`, never resent
automatically. The log holds ids, hashes and server replies, never addresses or passwords.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .errors import DeliveryError

LOG_NAME = "send-log.sqlite"
SENT, FAILED, UNKNOWN, SENDING = "sent", "failed", "unknown", "sending"

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
"""


@dataclass(frozen=True)
class Attempt:
    """One earlier attempt to send a message."""

    content_hash: str
    message_id: str
    state: str
    started: str


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class SendLog:
    """Reads and writes the send log; every write is committed at once."""

    def __init__(self, path: Path) -> None:
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise DeliveryError(f"{path}: cannot open the send log ({exc})") from None
        self.path = path

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def attempts(self, kind: str, month: str) -> dict[str, list[Attempt]]:
        """Every attempt for this kind and month, per recipient, oldest first."""
        rows = self._db.execute(
            "SELECT recipient, content_hash, message_id, state, started FROM attempts "
            "WHERE kind = ? AND month = ? ORDER BY id",
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
    ) -> int:
        """Record that a message is about to be handed over; returns the attempt's id."""
        cursor = self._db.execute(
            "INSERT INTO attempts (kind, recipient, month, content_hash, message_id, correction,"
            " state, started) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, recipient, month, content_hash, message_id, int(correction), SENDING, _now()),
        )
        return int(cursor.lastrowid or 0)

    def finish(self, attempt_id: int, state: str, detail: str) -> None:
        """Record how an attempt ended."""
        self._db.execute(
            "UPDATE attempts SET state = ?, detail = ?, finished = ? WHERE id = ?",
            (state, detail, _now(), attempt_id),
        )
