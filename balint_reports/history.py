"""OUT/history.sqlite: what each month's report said, so the next one can say what moved.

One snapshot per report month (YYYY-MM): every trainee's requirement values, overall status and
advice codes, the data issues, and the sources with their sha256. Writing a month replaces its
snapshot in one transaction. The schema is versioned: `schema_version` holds the number of
migrations applied, and opening the store applies the missing ones in order.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import OutputError
from .issues import ISSUE_COLUMNS

STORE_NAME = "history.sqlite"


def _create_tables(db: sqlite3.Connection) -> None:
    _execute_script(
        db,
        """
        CREATE TABLE months (
            month TEXT PRIMARY KEY,          -- YYYY-MM, the report folder
            as_of TEXT NOT NULL,             -- YYYY-MM-DD
            written_at TEXT NOT NULL
        );
        CREATE TABLE trainees (
            month TEXT NOT NULL REFERENCES months(month) ON DELETE CASCADE,
            trainee_id TEXT NOT NULL,
            name TEXT NOT NULL,
            status TEXT NOT NULL,
            ruleset TEXT NOT NULL,
            overall TEXT NOT NULL,
            position INTEGER NOT NULL,       -- register order
            PRIMARY KEY (month, trainee_id)
        );
        CREATE TABLE requirements (
            month TEXT NOT NULL REFERENCES months(month) ON DELETE CASCADE,
            trainee_id TEXT NOT NULL,
            requirement TEXT NOT NULL,
            status TEXT NOT NULL,
            achieved REAL,
            target REAL NOT NULL,
            detail TEXT NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (month, trainee_id, requirement)
        );
        CREATE TABLE advisories (
            month TEXT NOT NULL REFERENCES months(month) ON DELETE CASCADE,
            trainee_id TEXT NOT NULL,
            code TEXT NOT NULL,
            PRIMARY KEY (month, trainee_id, code)
        );
        CREATE TABLE issues (
            month TEXT NOT NULL REFERENCES months(month) ON DELETE CASCADE,
            severity TEXT NOT NULL,
            file TEXT NOT NULL,
            sheet TEXT NOT NULL,
            row INTEGER,
            "column" TEXT NOT NULL,
            value TEXT NOT NULL,
            problem TEXT NOT NULL
        );
        CREATE INDEX issues_month ON issues(month);
        CREATE TABLE sources (
            month TEXT NOT NULL REFERENCES months(month) ON DELETE CASCADE,
            file TEXT NOT NULL,
            sheet TEXT NOT NULL,
            kind TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            rows_read INTEGER NOT NULL,
            accepted INTEGER NOT NULL,
            rejected INTEGER NOT NULL,
            duplicate INTEGER NOT NULL,
            future INTEGER NOT NULL
        );
        CREATE INDEX sources_month ON sources(month);
        """,
    )


def _execute_script(db: sqlite3.Connection, script: str) -> None:
    """Statement by statement: `executescript` would commit the migration's transaction early."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


# In order; never edit one that has shipped: add the next instead.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_create_tables,)


@dataclass(frozen=True)
class Snapshot:
    """One month as the store has it: trainees in progress.json's shape, issues and sources."""

    month: str
    as_of: dt.date
    trainees: list[dict]
    issues: list[tuple]  # values in ISSUE_COLUMNS order
    sources: list[dict]


def _connect(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(path, isolation_level=None)  # transactions are explicit below
        db.execute("PRAGMA foreign_keys = ON")
        version = _schema_version(db)
    except sqlite3.DatabaseError as exc:
        raise OutputError(
            f"{path}: the history store cannot be read ({exc}); move it aside and run again "
            "(the next report then has no Changes to show)"
        ) from None
    if version > len(MIGRATIONS):
        db.close()
        raise OutputError(
            f"{path}: the history store was written by a newer balint-reports; upgrade it first"
        )
    for number in range(version, len(MIGRATIONS)):
        db.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[number](db)
            db.execute("UPDATE schema_version SET version = ?", (number + 1,))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    return db


def _schema_version(db: sqlite3.Connection) -> int:
    db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = db.execute("SELECT version FROM schema_version").fetchone()
    if row is None:
        db.execute("INSERT INTO schema_version (version) VALUES (0)")
        return 0
    return int(row[0])


class HistoryStore:
    """The store of one OUT folder; opened (and migrated) on creation."""

    def __init__(self, out: Path) -> None:
        self.path = out / STORE_NAME
        self._db = _connect(self.path)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def previous(self, month: str) -> Snapshot | None:
        """The newest stored month before `month` (not the latest: a regenerated month
        compares with the one before it)."""
        row = self._db.execute(
            "SELECT month FROM months WHERE month < ? ORDER BY month DESC LIMIT 1", (month,)
        ).fetchone()
        return None if row is None else self.snapshot(row[0])

    def snapshot(self, month: str) -> Snapshot | None:
        """One stored month, or None."""
        db = self._db
        found = db.execute("SELECT as_of FROM months WHERE month = ?", (month,)).fetchone()
        if found is None:
            return None
        trainees: dict[str, dict] = {}
        for tid, name, status, ruleset, overall in db.execute(
            "SELECT trainee_id, name, status, ruleset, overall FROM trainees "
            "WHERE month = ? ORDER BY position",
            (month,),
        ):
            trainees[tid] = {
                "trainee_id": tid,
                "name": name,
                "status": status,
                "ruleset": ruleset,
                "overall": overall,
                "requirements": {},
                "advisories": [],
            }
        for tid, rid, status, achieved, target, detail in db.execute(
            "SELECT trainee_id, requirement, status, achieved, target, detail FROM requirements "
            "WHERE month = ? ORDER BY trainee_id, position",
            (month,),
        ):
            trainees[tid]["requirements"][rid] = {
                "status": status,
                "achieved": achieved,
                "target": target,
                "detail": detail,
            }
        for tid, code in db.execute(
            "SELECT trainee_id, code FROM advisories WHERE month = ? ORDER BY rowid", (month,)
        ):
            trainees[tid]["advisories"].append(code)
        issues = db.execute(
            'SELECT severity, file, sheet, row, "column", value, problem FROM issues '
            "WHERE month = ? ORDER BY rowid",
            (month,),
        ).fetchall()
        source_columns = (
            "file, sheet, kind, sha256, rows_read, accepted, rejected, duplicate, future"
        )
        cursor = db.execute(
            f"SELECT {source_columns} FROM sources WHERE month = ? ORDER BY rowid", (month,)
        )
        names = [c[0] for c in cursor.description]
        sources = [dict(zip(names, values, strict=True)) for values in cursor]
        return Snapshot(
            month, dt.date.fromisoformat(found[0]), list(trainees.values()), issues, sources
        )

    def save(self, month: str, document: dict, sources: list[dict]) -> None:
        """Replace `month`'s snapshot with this report (progress.json's facts, sources with
        sha256), all in one transaction."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM months WHERE month = ?", (month,))
            db.execute(
                "INSERT INTO months (month, as_of, written_at) VALUES (?, ?, ?)",
                (month, document["as_of"], dt.datetime.now().isoformat(timespec="seconds")),
            )
            trainees = document["trainees"]
            db.executemany(
                "INSERT INTO trainees VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (month, t["trainee_id"], t["name"], t["status"], t["ruleset"], t["overall"], i)
                    for i, t in enumerate(trainees)
                ],
            )
            db.executemany(
                "INSERT INTO requirements VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        month,
                        t["trainee_id"],
                        rid,
                        r["status"],
                        r["achieved"],
                        r["target"],
                        r["detail"],
                        i,
                    )
                    for t in trainees
                    for i, (rid, r) in enumerate(t["requirements"].items())
                ],
            )
            db.executemany(
                "INSERT OR IGNORE INTO advisories VALUES (?, ?, ?)",
                [(month, t["trainee_id"], code) for t in trainees for code in t["advisories"]],
            )
            db.executemany(
                "INSERT INTO issues VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(month, *[i[c] for c in ISSUE_COLUMNS]) for i in document["issues"]],
            )
            db.executemany(
                "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        month,
                        s["file"],
                        s["sheet"],
                        s["kind"],
                        s["sha256"],
                        s["rows_read"],
                        s["accepted"],
                        s["rejected"],
                        s["duplicate"],
                        s["future"],
                    )
                    for s in sources
                ],
            )
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise OutputError(
                f"{self.path}: the report was written but the history store could not be "
                f"updated ({exc}); run the same month again"
            ) from None
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise


def missing_sources(previous: Snapshot, files: set[str]) -> list[str]:
    """Spreadsheets that fed the previous report but are not in the inbox now."""
    fed = {s["file"] for s in previous.sources if s["kind"] not in ("ignored", "unreadable")}
    return sorted(fed - files)


def new_issues(previous: Snapshot | None, issues: list[dict]) -> int:
    """How many of this report's issues the previous month's report did not have."""
    if previous is None:
        return len(issues)
    earlier: dict[tuple, int] = {}
    for old in previous.issues:
        earlier[tuple(old)] = earlier.get(tuple(old), 0) + 1
    fresh = 0
    for issue in issues:
        key = tuple(issue[c] for c in ISSUE_COLUMNS)
        if earlier.get(key, 0):
            earlier[key] -= 1
        else:
            fresh += 1
    return fresh
