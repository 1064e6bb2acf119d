"""Faults while writing (issue 14 item 7): a full disk and a folder that may not be written.

Each run is a real process: the CLI itself, or the monthly job with a hook that makes the disk
"full" (RLIMIT_FSIZE: no file may grow) at a named point of its write. Every fault must end
in one clear line, the previous report whole, no temporary folder, and a history store that
agrees with the month folders.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from balint_reports.lock import STARTED_NAME as STARTED

from ..conftest import run_report
from .test_history import NOV
from .test_safety import _assert_store_matches_folders, _stored_nov_co_leading, _two_reports

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="rlimits and modes: POSIX only")


def _no_file_may_grow() -> None:
    """As a full disk does: every write that would grow a file fails (EFBIG, not a signal)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))


# The month's files are written by a thread of their own from before the history store's
# snapshot is staged: a hook that fills the disk at "history-staged" holds that thread back
# until then, as if the disk filled while the files were being written.
_HOLD_THE_FILES = """
import threading

filled = threading.Event()


def held(at):
    if at == "staging" and point == "history-staged":
        filled.wait(60)
        return True
    return False
"""

# The monthly job as `run` does it, with a hook that fills the disk at the named point.
_FILLED_RUN = (
    """
import datetime as dt, resource, signal, sys
from pathlib import Path
from balint_reports.config import load_config
from balint_reports.errors import BalintError
from balint_reports.monthly import run_month
from balint_reports.ruleset import load_rulesets

inbox, out, as_of, point = sys.argv[1:]
"""
    + _HOLD_THE_FILES
    + """

def fill(at):
    if held(at):
        return
    if at == point:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
        filled.set()


try:
    run_month(
        Path(inbox), Path(out), dt.date.fromisoformat(as_of), load_config(None),
        load_rulesets(()), pause=fill,
    )
except BalintError as exc:
    print(f"Error: {exc}", file=sys.stderr)
    sys.exit(1)
"""
)


def _cli(inbox: Path, out: Path, prefix: list[str] | None = None, **options):
    return subprocess.run(
        [
            *(prefix or []),
            sys.executable,
            "-m",
            "balint_reports",
            "run",
            inbox,
            "--out",
            out,
            "--as-of",
            NOV,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        **options,
    )


def _assert_refused_cleanly(
    result: subprocess.CompletedProcess, out: Path, previous: bytes, says: str
) -> None:
    """One line naming the fault; November as it was, in the folder and in the store."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: {out}"), line
    assert says in line, line
    assert line.endswith(("; the previous report was left as it was", "; nothing was changed"))
    assert (out / "2026-11" / "progress.json").read_bytes() == previous
    left = _hidden_entries(out)
    assert left == [".cache", ".lock"]  # no temporary folder, nothing staged
    assert _stored_nov_co_leading(out) == [(12.0,)]
    _assert_store_matches_folders(out)


def _filled_run(inbox: Path, out: Path, point: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _FILLED_RUN, inbox, out, NOV, point],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _november_co_leading(out: Path) -> float:
    progress = json.loads((out / "2026-11" / "progress.json").read_text(encoding="utf-8"))
    return progress["trainees"][0]["requirements"]["co_leading"]["achieved"]


def _hidden_entries(out: Path) -> list[str]:
    """OUT's hidden entries but the lock's start time, which lives beside the lock file."""
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".") and p.name != STARTED)


@pytest.mark.parametrize(
    ("point", "says"),
    [
        # full from the start: the CLI itself, stopped before anything is written
        (None, "cannot write the history store, the disk could not be written"),
        # full once the inbox is read: the summary's temporary files cannot be written
        ("report-built", "cannot make the report's files in this computer's temporary folder"),
        # full once the store's snapshot is staged: the month's files cannot be written
        ("history-staged", "cannot write the report, a file would be larger than this computer"),
    ],
)
def test_a_full_disk_leaves_the_previous_report_and_says_so(
    inbox: Path, tmp_path: Path, point: str | None, says: str
) -> None:
    out = tmp_path / "out"
    previous = _two_reports(inbox, out)
    if point is None:
        result = _cli(inbox, out, preexec_fn=_no_file_may_grow)
    else:
        result = _filled_run(inbox, out, point)
    _assert_refused_cleanly(result, out, previous, says)
    # with room again, the same run goes through
    run_report(inbox, out, as_of=NOV)
    assert _november_co_leading(out) == 14.0
    _assert_store_matches_folders(out)


def test_a_disk_full_after_the_swap_is_put_right_by_the_next_run(
    inbox: Path, tmp_path: Path
) -> None:
    """The new month is in place but the store cannot take it in: the run says so, keeps the
    snapshot staged, and the next run takes it in before anything else."""
    out = tmp_path / "out"
    _two_reports(inbox, out)
    result = _filled_run(inbox, out, "after-swap")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: {out / 'history.sqlite'}: the report was written but "), line
    assert line.endswith("the next run brings it up to date"), line
    assert _november_co_leading(out) == 14.0
    assert _stored_nov_co_leading(out) == [(12.0,)]  # behind, for now
    assert (out / ".history-staged.sqlite").exists()

    result = _cli(inbox, out)
    assert result.returncode == 0, result.stderr
    assert _stored_nov_co_leading(out) == [(14.0,)]
    _assert_store_matches_folders(out)
    assert _hidden_entries(out) == [".cache", ".lock"]


def _as_an_ordinary_user() -> list[str]:
    """A command prefix under which file modes bind: none needed unless we are root, whom
    they do not stop; then a user namespace that maps us to an ordinary user."""
    if os.geteuid() != 0:
        return []
    prefix = ["unshare", "--user", "--map-user=1000", "--map-group=1000"]
    if not shutil.which("unshare") or subprocess.run([*prefix, "true"]).returncode != 0:
        pytest.skip("running as root, and no user namespace to drop the privilege in")
    return prefix


@pytest.mark.parametrize(
    ("read_only", "says", "kept"),
    [
        # the month's folder cannot be moved aside: found at the swap, after its files are made
        ("2026-11", "cannot write the report, permission denied", "the previous report was"),
        # found before anything is written
        ("history.sqlite", "cannot write the history store, permission denied", "nothing was"),
        (".", "cannot write the history store, permission denied", "nothing was"),
    ],
)
def test_a_folder_that_may_not_be_written_leaves_the_previous_report_and_says_so(
    inbox: Path, tmp_path: Path, read_only: str, says: str, kept: str
) -> None:
    out = tmp_path / "out"
    previous = _two_reports(inbox, out)
    prefix = _as_an_ordinary_user()
    path = out / read_only
    mode = path.stat().st_mode
    path.chmod(mode & ~0o222)
    try:
        result = _cli(inbox, out, prefix)
    finally:
        path.chmod(mode)
    _assert_refused_cleanly(result, out, previous, says)
    assert kept in result.stderr
    run_report(inbox, out, as_of=NOV)
    assert _november_co_leading(out) == 14.0


# A real full disk: a small tmpfs, mounted in a private mount namespace (where that is allowed),
# holding a copy of OUT; the run fills it to the last byte at the named point ("" = before it
# starts), then says what it found as JSON.
_ON_A_FULL_TMPFS = """
import hashlib, json, os, shutil, sqlite3, subprocess, sys
from pathlib import Path

inbox, prepared, mount, point, child = sys.argv[1:]
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount], check=True)
out = Path(mount) / "out"
shutil.copytree(prepared, out)
ballast = Path(mount) / "ballast"
command = [sys.executable, "-c", child, inbox, str(out), point, str(ballast)]
result = subprocess.run(command, capture_output=True, text=True)
with sqlite3.connect(out / "history.sqlite") as db:
    stored = db.execute(
        "SELECT achieved FROM requirements WHERE month = '2026-11' AND trainee_id = 'T1' "
        "AND requirement = 'co_leading'"
    ).fetchall()
found = {
    "returncode": result.returncode,
    "stderr": result.stderr,
    "progress": hashlib.sha256((out / "2026-11" / "progress.json").read_bytes()).hexdigest(),
    "left": sorted(
        p.name for p in out.iterdir() if p.name.startswith(".") and p.name != ".lock-started"
    ),
    "stored": stored,
}
ballast.unlink()  # room again: the same run goes through
again = subprocess.run(command[:3] + [inbox, str(out), "", ""], capture_output=True, text=True)
found["again"] = again.returncode
found["again_progress"] = json.loads((out / "2026-11" / "progress.json").read_text())
print(json.dumps(found))
"""

# Full from the start ("" = point): the CLI itself. Else the monthly job as `run` does it,
# with a hook that fills the disk to its last byte at `point`.
_FILLING_RUN = (
    """
import datetime as dt, os, sys
from pathlib import Path

inbox, out, point, ballast = sys.argv[1:]
"""
    + _HOLD_THE_FILES
    + """

def fill(at=""):
    if held(at) or at != point or not ballast:
        return
    handle = os.open(ballast, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    size = 1 << 20
    while size:
        try:
            os.write(handle, bytes(size))
        except OSError:
            size //= 2
    os.close(handle)
    filled.set()


if not point:
    from balint_reports.cli import main

    fill()
    main(["run", inbox, "--out", out, "--as-of", "2026-11-30"])

from balint_reports.config import load_config
from balint_reports.errors import BalintError
from balint_reports.monthly import run_month
from balint_reports.ruleset import load_rulesets

try:
    run_month(
        Path(inbox), Path(out), dt.date(2026, 11, 30), load_config(None), load_rulesets(()),
        pause=fill,
    )
except BalintError as exc:
    print(f"Error: {exc}", file=sys.stderr)
    sys.exit(1)
"""
)


@pytest.mark.parametrize(
    ("point", "says"),
    [
        ("", "cannot write the history store, the disk is full (database or disk is full)"),
        ("history-staged", "cannot write the report, the disk is full (No space left on device)"),
    ],
)
def test_a_really_full_disk_leaves_the_previous_report_and_says_so(
    inbox: Path, tmp_path: Path, point: str, says: str
) -> None:
    """As the tests above, on a tmpfs filled to the last byte: ENOSPC, not a file size limit."""
    prefix = ["unshare", "--user", "--map-root-user", "--mount"]
    if not shutil.which("unshare") or subprocess.run([*prefix, "true"]).returncode != 0:
        pytest.skip("no user and mount namespace here to mount a small tmpfs in")
    prepared = tmp_path / "out"
    previous = _two_reports(inbox, prepared)
    mount = tmp_path / "mount"
    mount.mkdir()
    result = subprocess.run(
        [
            *prefix,
            sys.executable,
            "-c",
            _ON_A_FULL_TMPFS,
            inbox,
            prepared,
            mount,
            point,
            _FILLING_RUN,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["returncode"] == 1, found["stderr"]
    assert "Traceback" not in found["stderr"]
    [line] = found["stderr"].splitlines()
    assert says in line, line
    assert line.endswith(("; the previous report was left as it was", "; nothing was changed"))
    assert found["progress"] == hashlib.sha256(previous).hexdigest()
    assert found["left"] == [".cache", ".lock"]
    assert found["stored"] == [[12.0]]
    assert found["again"] == 0
    assert found["again_progress"]["trainees"][0]["requirements"]["co_leading"]["achieved"] == 14
