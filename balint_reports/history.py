"""OUT/history.sqlite: what each month's report said, so the next one can say what moved.

One snapshot per report month (YYYY-MM): every trainee's requirement values, overall status and
advice codes, the data issues, and the sources with their sha256. Writing a month replaces its
snapshot in one transaction. The schema is versioned: `schema_version` holds the number of
migrations applied, and opening the store applies the missing ones in order.

The store and the month folder are written in two steps so that a run killed anywhere leaves
them consistent: the snapshot is first staged, durably, in a store of its own beside this one
(`stage`) together with the sha256 of the progress.json it describes; the month folder is
swapped in; then the staged snapshot is taken into the store in one transaction (`take_staged`).
A run killed after the swap leaves the staged snapshot behind, and the next run takes it in
before anything else if the month folder is the one it describes, or drops it if not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import OutputError
from .model import (
    IGNORED,
    UNREADABLE,
    Outlook,
    RequirementSnapshot,
    RunResult,
    TraineeSnapshot,
)
from .pause import Pause, no_pause
from .publish import sync_folder

STORE_NAME = "history.sqlite"
# A month's snapshot waiting for its folder to be swapped in (a dotfile: never read as input).
STAGED_NAME = ".history-staged.sqlite"
# The staged store's own table: which month folder, by its progress.json, the snapshot is of.
_STAGED_FOR = "staged_for"


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


def _add_issue_codes(db: sqlite3.Connection) -> None:
    # Months stored before issues had codes keep '' and are compared by their fields alone.
    db.execute("ALTER TABLE issues ADD COLUMN code TEXT NOT NULL DEFAULT ''")


# In order; never edit one that has shipped: add the next instead.
def _add_forecasts(db: sqlite3.Connection) -> None:
    """Each unmet requirement's forecast and what it rests on, so the next month can hold it."""
    _execute_script(
        db,
        """
        CREATE TABLE forecasts (
            month TEXT NOT NULL REFERENCES months(month) ON DELETE CASCADE,
            trainee_id TEXT NOT NULL,
            requirement TEXT NOT NULL,
            due TEXT,                        -- YYYY-MM-DD, the first of the month, or NULL
            route TEXT NOT NULL,             -- the label of the route it follows
            achieved REAL NOT NULL,          -- that route's count
            pace REAL NOT NULL,              -- its growth over the last 12 months
            why_none TEXT NOT NULL,          -- with no forecast: why
            PRIMARY KEY (month, trainee_id, requirement)
        )
        """,
    )


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _create_tables,
    _add_issue_codes,
    _add_forecasts,
)
# What identifies an issue from one month to the next: its code and where it is, not its words.
_ISSUE_PLACE = ("file", "sheet", "row", "column", "value")


@dataclass(frozen=True)
class StoredIssue:
    """An issue as a month recorded it."""

    code: str  # "" for months stored before issues had codes
    severity: str
    file: str
    sheet: str
    row: int | None
    column: str
    value: str
    problem: str


@dataclass(frozen=True)
class Snapshot:
    """One month as the store has it: trainees, issues and sources."""

    month: str
    as_of: dt.date
    trainees: tuple[TraineeSnapshot, ...]
    issues: tuple[StoredIssue, ...]
    sources: list[dict]
    # (trainee_id, requirement) -> the month's forecast of each unmet requirement; empty for
    # a month stored before forecasts were kept
    outlooks: dict[tuple[str, str], Outlook] = field(default_factory=dict)


# SQLite's primary result codes for a store that cannot be written, as opposed to one damaged.
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 3, 8, 10, 13, 14


def _cannot_write(exc: sqlite3.Error) -> str | None:
    """What to do when SQLite failed because it cannot write (disk full, permission), or None
    when it failed for another reason (a damaged file, say)."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == _SQLITE_FULL:
        return f"the disk is full ({exc}): free some space, then run again"
    if code in (_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_CANTOPEN):
        return (
            f"permission denied ({exc}): check that you may write to this folder and "
            "everything in it, then run again"
        )
    if code == _SQLITE_IOERR:
        return (
            f"the disk could not be written ({exc}): check that it has room and that you may "
            "write to this folder, then run again"
        )
    return None


def _connect(path: Path, shown: Path) -> sqlite3.Connection:
    """Open (creating it if need be) and migrate the store at `path`; errors name `shown`."""
    try:
        db = sqlite3.connect(path, isolation_level=None)  # transactions are explicit below
        db.execute("PRAGMA foreign_keys = ON")
        version = _schema_version(db)
    except sqlite3.DatabaseError as exc:
        problem = _cannot_write(exc)
        if problem:
            raise OutputError(f"{shown}: cannot write the history store, {problem}") from None
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
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            db.close()
            raise OutputError(
                f"{path}: cannot bring the history store up to date, {_cannot_write(exc) or exc}"
            ) from None
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

    def __init__(self, out: Path, name: str = STORE_NAME) -> None:
        self.path = out / name
        # the staged store is ours alone: a problem with it is one with the folder
        self._shown = self.path if name == STORE_NAME else out
        self._db = _connect(self.path, self._shown)

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
        rows = db.execute(
            "SELECT trainee_id, name, status, ruleset, overall FROM trainees "
            "WHERE month = ? ORDER BY position",
            (month,),
        ).fetchall()
        requirements: dict[str, dict[str, RequirementSnapshot]] = {row[0]: {} for row in rows}
        for tid, rid, status, achieved, target, detail in db.execute(
            "SELECT trainee_id, requirement, status, achieved, target, detail FROM requirements "
            "WHERE month = ? ORDER BY trainee_id, position",
            (month,),
        ):
            requirements[tid][rid] = RequirementSnapshot(status, achieved, target, detail)
        advisories: dict[str, list[str]] = {row[0]: [] for row in rows}
        for tid, code in db.execute(
            "SELECT trainee_id, code FROM advisories WHERE month = ? ORDER BY rowid", (month,)
        ):
            advisories[tid].append(code)
        trainees = tuple(
            TraineeSnapshot(
                tid, name, status, ruleset, overall, requirements[tid], tuple(advisories[tid])
            )
            for tid, name, status, ruleset, overall in rows
        )
        issues = tuple(
            StoredIssue(*values)
            for values in db.execute(
                'SELECT code, severity, file, sheet, row, "column", value, problem FROM issues '
                "WHERE month = ? ORDER BY rowid",
                (month,),
            )
        )
        source_columns = (
            "file, sheet, kind, sha256, rows_read, accepted, rejected, duplicate, future"
        )
        cursor = db.execute(
            f"SELECT {source_columns} FROM sources WHERE month = ? ORDER BY rowid", (month,)
        )
        names = [c[0] for c in cursor.description]
        sources = [dict(zip(names, values, strict=True)) for values in cursor]
        outlooks = {
            (tid, rid): Outlook(
                None if due is None else dt.date.fromisoformat(due), route, achieved, pace, why
            )
            for tid, rid, due, route, achieved, pace, why in db.execute(
                "SELECT trainee_id, requirement, due, route, achieved, pace, why_none "
                "FROM forecasts WHERE month = ?",
                (month,),
            )
        }
        return Snapshot(month, dt.date.fromisoformat(found[0]), trainees, issues, sources, outlooks)

    def save(self, month: str, result: RunResult, trainees: tuple[TraineeSnapshot, ...]) -> None:
        """Replace `month`'s snapshot with this report's (its trainees as `trainees` records
        them, its issues and its sources with sha256), all in one transaction."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM months WHERE month = ?", (month,))
            db.execute(
                "INSERT INTO months (month, as_of, written_at) VALUES (?, ?, ?)",
                (
                    month,
                    f"{result.as_of:%Y-%m-%d}",
                    dt.datetime.now().isoformat(timespec="seconds"),
                ),
            )
            db.executemany(
                "INSERT INTO trainees VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (month, t.trainee_id, t.name, str(t.status), t.ruleset, str(t.overall), i)
                    for i, t in enumerate(trainees)
                ],
            )
            db.executemany(
                "INSERT INTO requirements VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (month, t.trainee_id, rid, str(r.status), r.achieved, r.target, r.detail, i)
                    for t in trainees
                    for i, (rid, r) in enumerate(t.requirements.items())
                ],
            )
            db.executemany(
                "INSERT OR IGNORE INTO advisories VALUES (?, ?, ?)",
                [(month, t.trainee_id, code) for t in trainees for code in t.advisories],
            )
            db.executemany(
                'INSERT INTO issues (month, code, severity, file, sheet, row, "column", value, '
                "problem) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        month,
                        issue["code"],
                        str(issue["severity"]),
                        issue["file"],
                        issue["sheet"],
                        None if pd.isna(issue["row"]) else int(issue["row"]),
                        issue["column"],
                        issue["value"],
                        issue["problem"],
                    )
                    for issue in result.issues.to_dict("records")
                ],
            )
            sources = result.sources.to_dict("records")
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
            db.executemany(
                "INSERT INTO forecasts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        month,
                        tid,
                        rid,
                        None if o.due is None else o.due.isoformat(),
                        o.route,
                        o.achieved,
                        o.pace,
                        o.why_none,
                    )
                    for (tid, rid), o in result.outlooks.items()
                ],
            )
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise OutputError(
                f"{self._shown}: cannot write the history store, {_cannot_write(exc) or exc}"
            ) from None
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def stage(
        self, month: str, result: RunResult, trainees: tuple[TraineeSnapshot, ...], progress: bytes
    ) -> None:
        """Write `month`'s snapshot durably to the staged store, for the month folder whose
        progress.json is `progress`; `take_staged` takes it in once that folder is in place."""
        self.discard_staged()
        try:
            staged = HistoryStore(self.path.parent, STAGED_NAME)
            try:
                staged.save(month, result, trainees)
                # Last, so that a staged store without this row is an unfinished one
                staged._db.execute(f"CREATE TABLE {_STAGED_FOR} (month TEXT, progress_sha256 TEXT)")
                staged._db.execute(
                    f"INSERT INTO {_STAGED_FOR} VALUES (?, ?)",
                    (month, hashlib.sha256(progress).hexdigest()),
                )
            finally:
                staged.close()
            sync_folder(self.path.parent)
        except sqlite3.Error as exc:
            self.discard_staged()
            raise OutputError(
                f"{self.path.parent}: cannot write the history store, "
                f"{_cannot_write(exc) or exc}; the previous report was left as it was"
            ) from None
        except OutputError as exc:
            self.discard_staged()
            raise OutputError(f"{exc}; the previous report was left as it was") from None
        except BaseException:
            self.discard_staged()
            raise

    def check_writable(self) -> None:
        """Raise OutputError now, before anything is written, if the store cannot be written
        (a store that refused the month after its folder was swapped in would lag behind)."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("UPDATE schema_version SET version = version")
        except sqlite3.Error as exc:
            raise OutputError(
                f"{self.path}: cannot write the history store, {_cannot_write(exc) or exc}; "
                "nothing was changed"
            ) from None
        finally:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        # SQLite makes its journal only when it commits: see that the folder takes new files
        try:
            HistoryStore(self.path.parent, STAGED_NAME).close()
        except OutputError as exc:
            raise OutputError(f"{exc}; nothing was changed") from None
        finally:
            self.discard_staged()

    # `pause` is called at "history-commit" (written, not yet committed): a test kills the
    # process there.
    def take_staged(self, pause: Pause = no_pause) -> str | None:
        """Take a staged snapshot into the store if its month folder is the one in place, and
        drop the staged store either way. Returns the month taken in, or None."""
        staged = self.path.parent / STAGED_NAME
        if not staged.exists():
            return None
        month = _staged_month(staged)
        taken = None
        if month is not None:
            self._take(staged, month, pause)
            taken = month
        self.discard_staged()
        return taken

    def _take(self, staged: Path, month: str, pause: Pause) -> None:
        """Replace `month` with the staged store's snapshot of it, in one transaction."""
        db = self._db
        try:
            db.execute("ATTACH DATABASE ? AS staged", (str(staged),))
        except sqlite3.Error as exc:
            raise OutputError(
                f"{self.path}: the report was written but the history store could not be "
                f"updated, {_cannot_write(exc) or exc}; the next run brings it up to date"
            ) from None
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM months WHERE month = ?", (month,))  # cascades
            for table in _month_tables(db):
                columns = ", ".join(
                    f'"{row[1]}"' for row in db.execute(f'PRAGMA main.table_info("{table}")')
                )
                db.execute(
                    f'INSERT INTO main."{table}" ({columns}) SELECT {columns} '
                    f'FROM staged."{table}" WHERE month = ? ORDER BY rowid',
                    (month,),
                )
            pause("history-commit")
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise OutputError(
                f"{self.path}: the report was written but the history store could not be "
                f"updated, {_cannot_write(exc) or exc}; the next run brings it up to date"
            ) from None
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.execute("DETACH DATABASE staged")

    def discard_staged(self) -> None:
        """Remove the staged store and its journal, if any."""
        for name in (STAGED_NAME, f"{STAGED_NAME}-journal"):
            (self.path.parent / name).unlink(missing_ok=True)


def _staged_month(staged: Path) -> str | None:
    """The month of a complete staged snapshot whose month folder is the one now in place."""
    try:
        db = sqlite3.connect(f"{staged.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = db.execute(f"SELECT month, progress_sha256 FROM {_STAGED_FOR}").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None  # unfinished: the run was killed before its swap
    if row is None:
        return None
    month, digest = row
    try:
        progress = (staged.parent / month / "progress.json").read_bytes()
    except OSError:
        return None
    return month if hashlib.sha256(progress).hexdigest() == digest else None


def _month_tables(db: sqlite3.Connection) -> list[str]:
    """Every table of the store that holds rows per month, `months` first (the others refer
    to it)."""
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' ORDER BY name"
        )
    ]
    per_month = [
        name
        for name in names
        if any(row[1] == "month" for row in db.execute(f'PRAGMA main.table_info("{name}")'))
    ]
    return sorted(per_month, key=lambda name: name != "months")


def fed_files(previous: Snapshot) -> frozenset[str]:
    """The spreadsheets whose rows fed a month's report."""
    return frozenset(s["file"] for s in previous.sources if s["kind"] not in (IGNORED, UNREADABLE))


def missing_sources(previous: Snapshot, files: set[str]) -> list[str]:
    """Spreadsheets that fed the previous report but are not in the inbox now."""
    return sorted(fed_files(previous) - files)


def new_issues(previous: Snapshot | None, issues: pd.DataFrame) -> int:
    """How many of this report's issues the previous month's report did not have: the same
    code at the same place is the same issue, however it is worded now; and, failing that, at
    another row of the same sheet with the same column and value (a row taken out above it
    moves it up)."""
    if previous is None:
        return len(issues)
    earlier: Counter[tuple] = Counter()
    for old in previous.issues:
        place = tuple(getattr(old, c) for c in _ISSUE_PLACE)
        earlier[(old.code, *place)] += 1
    unmatched = []
    for issue in issues.to_dict("records"):
        place = (
            *(issue[c] for c in _ISSUE_PLACE[:2]),
            _row(issue["row"]),
            *(issue[c] for c in _ISSUE_PLACE[3:]),
        )
        # a month stored before issues had codes is matched on the place alone
        for key in ((issue["code"], *place), ("", *place)):
            if earlier[key]:
                earlier[key] -= 1
                break
        else:
            unmatched.append((issue["code"], *place))
    moved: Counter[tuple] = Counter()
    for key, left in earlier.items():
        moved[_without_row(key)] += left
    fresh = 0
    for key in unmatched:
        for loose in (_without_row(key), _without_row(("", *key[1:]))):
            if moved[loose]:
                moved[loose] -= 1
                break
        else:
            fresh += 1
    return fresh


def _without_row(key: tuple) -> tuple:
    """An issue's (code, *_ISSUE_PLACE) without its row."""
    return key[:3] + key[4:]


def _row(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)  # type: ignore[call-overload]
