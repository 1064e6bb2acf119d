"""A killed run and a second run at once: OUT keeps whole reports and a true history.

The runs under test are real processes running the monthly job with a pause hook that holds
it at a named point of the folder swap, where the test kills it with SIGKILL.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import run_cli, run_report
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
    assert "Since 2026-11: 1 trainee moved" in result.output  # 12 -> 14 co-led sessions


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
