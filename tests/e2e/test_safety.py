"""A killed run and a second run at once: OUT keeps whole reports and a true history.

The runs under test are real processes running the monthly job with a pause hook that holds
it at a named point of the folder swap, where the test kills it with SIGKILL.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from balint_reports.lock import STARTED_NAME as STARTED

from ..conftest import run_cli, run_report
from .test_history import NOV, OCT, _november, _october, _registers, _september

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock and signals: POSIX only")


# The monthly job as `run` does it, with a pause hook that holds it at the named point.
_PAUSED_RUN = """
import datetime as dt, sys, time
from pathlib import Path
from balint_reports.config import load_config
from balint_reports.monthly import run_month
from balint_reports.ruleset import load_rulesets

inbox, out, as_of, point = sys.argv[1:]


def hold(at):
    if at == point:
        print(f"paused: {at}", file=sys.stderr, flush=True)
        time.sleep(600)


run_month(
    Path(inbox), Path(out), dt.date.fromisoformat(as_of), load_config(None), load_rulesets(()),
    pause=hold,
)
"""


@contextmanager
def _paused_run(inbox: Path, out: Path, as_of: str, point: str) -> Iterator[subprocess.Popen]:
    """A real run, held at `point` of its write; killed with SIGKILL when the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-c", _PAUSED_RUN, inbox, out, as_of, point],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith(f"paused: {point}"):
                break
        else:
            pytest.fail(f"the run ended without pausing at {point} (exit {process.wait()})")
        yield process
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


def _temporaries(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".2026"))


def _stored_nov_co_leading(out: Path) -> list[tuple]:
    with sqlite3.connect(out / "history.sqlite") as db:
        return db.execute(
            "SELECT achieved FROM requirements WHERE month = '2026-11' AND trainee_id = 'T1' "
            "AND requirement = 'co_leading'"
        ).fetchall()


def _two_reports(inbox: Path, out: Path) -> bytes:
    """October and a first November (12 co-led sessions); returns November's progress.json."""
    _registers(inbox)
    _september(inbox)
    _october(inbox)
    run_report(inbox, out, as_of=OCT)
    run_report(inbox, out, as_of=NOV)
    _november(inbox)  # the corrected November the killed run will be writing
    return (out / "2026-11" / "progress.json").read_bytes()


def _hidden_entries(out: Path) -> list[str]:
    """OUT's hidden entries but the lock's start time, which lives beside the lock file."""
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".") and p.name != STARTED)


def test_run_killed_before_the_swap_leaves_the_month_intact(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    previous = _two_reports(inbox, out)
    with _paused_run(inbox, out, NOV, "before-swap"):
        assert len(_temporaries(out)) == 1  # the new month, complete but not yet in place
    assert (out / "2026-11" / "progress.json").read_bytes() == previous
    assert _stored_nov_co_leading(out) == [(12.0,)]

    progress = run_report(inbox, out, as_of=NOV)
    assert progress["trainees"][0]["requirements"]["co_leading"]["achieved"] == 14.0
    assert _stored_nov_co_leading(out) == [(14.0,)]
    assert _temporaries(out) == []


def test_run_killed_mid_swap_gets_the_month_back(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    previous = _two_reports(inbox, out)
    with _paused_run(inbox, out, NOV, "mid-swap"):
        assert not (out / "2026-11").exists()  # moved aside, the new one not yet in
    # The next run, even of another month, first puts the interrupted month back.
    result = run_cli("run", inbox, "--out", out, "--as-of", "2026-12-31")
    assert result.exit_code == 0, result.output
    assert (out / "2026-11" / "progress.json").read_bytes() == previous
    assert _temporaries(out) == []
    assert (
        "Since the November 2026 report: 1 trainee moved" in result.output
    )  # 12 -> 14 co-led sessions


def test_second_run_at_the_same_time_is_refused_at_once(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    previous = _two_reports(inbox, out)
    with _paused_run(inbox, out, NOV, "before-swap"):
        result = run_cli("run", inbox, "--out", out, "--as-of", NOV)
        assert result.exit_code == 1
        assert "another balint-reports run is writing to this folder (started 20" in (result.output)
        assert "wait for it to finish, then run again" in result.output
        assert (out / "2026-11" / "progress.json").read_bytes() == previous
    # the lock dies with the process that held it
    assert run_report(inbox, out, as_of=NOV)["as_of"] == NOV


def _stored_achieved(out: Path, month: str) -> dict[tuple[str, str], float | None]:
    with sqlite3.connect(out / "history.sqlite") as db:
        rows = db.execute(
            "SELECT trainee_id, requirement, achieved FROM requirements WHERE month = ?", (month,)
        ).fetchall()
    return {(trainee, requirement): achieved for trainee, requirement, achieved in rows}


def _assert_store_matches_folders(out: Path) -> None:
    """Every month folder's values are the ones the history store holds for that month."""
    months = sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
    with sqlite3.connect(out / "history.sqlite") as db:
        stored = [row[0] for row in db.execute("SELECT month FROM months ORDER BY month")]
        as_of = dict(db.execute("SELECT month, as_of FROM months").fetchall())
    assert stored == months
    for month in months:
        progress = json.loads((out / month / "progress.json").read_text(encoding="utf-8"))
        assert as_of[month] == progress["as_of"]
        in_folder = {
            (trainee["trainee_id"], requirement): values["achieved"]
            for trainee in progress["trainees"]
            for requirement, values in trainee["requirements"].items()
        }
        assert _stored_achieved(out, month) == in_folder, month


@pytest.mark.parametrize(
    ("point", "november"),
    [
        ("history-staged", 12.0),  # snapshot staged, the month's files not yet written
        ("before-swap", 12.0),  # snapshot staged, folder not yet swapped: the old November
        ("mid-swap", 12.0),  # old November moved aside: put back by the next run
        ("after-swap", 14.0),  # new November in place, store not yet updated
        ("history-commit", 14.0),  # store written but its transaction not committed
    ],
)
def test_a_run_killed_anywhere_leaves_store_and_folders_consistent(
    inbox: Path, tmp_path: Path, point: str, november: float
) -> None:
    """Killed at each point of its write; the next run (of another month) starts by making the
    history store agree with the month folders, and compares with the November really there."""
    out = tmp_path / "out"
    _two_reports(inbox, out)
    with _paused_run(inbox, out, NOV, point):
        pass
    if point in ("after-swap", "history-commit"):
        # the folder is new and the store one month behind: until the next start repairs it
        assert _stored_nov_co_leading(out) == [(12.0,)]
        assert (out / ".history-staged.sqlite").exists()

    result = run_cli("run", inbox, "--out", out, "--as-of", "2026-12-31")
    assert result.exit_code == 0, result.output
    progress = json.loads((out / "2026-11" / "progress.json").read_text(encoding="utf-8"))
    assert progress["trainees"][0]["requirements"]["co_leading"]["achieved"] == november
    assert _stored_nov_co_leading(out) == [(november,)]
    _assert_store_matches_folders(out)
    moved = "1 trainee moved" if november == 12.0 else "0 trainees moved"
    assert (
        f"Since the November 2026 report: {moved}" in result.output
    )  # December: 14 co-led sessions
    assert _hidden_entries(out) == [".cache", ".lock"]


def test_a_completed_run_leaves_nothing_staged(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _two_reports(inbox, out)
    run_report(inbox, out, as_of=NOV)
    _assert_store_matches_folders(out)
    assert _stored_nov_co_leading(out) == [(14.0,)]
    assert _hidden_entries(out) == [".cache", ".lock"]
