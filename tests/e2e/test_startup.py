"""`--help` starts fast: it must not import the libraries only a run needs (issue 13)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from balint_reports.cli import main as cli

HEAVY = ("pandas", "numpy", "openpyxl", "jinja2", "rapidfuzz", "python_calamine")

PROBE = """
import json, sys
from balint_reports.cli import main
try:
    main(sys.argv[1:], prog_name="balint-reports")
except SystemExit:
    pass
heavy = {heavy!r}
print(json.dumps([name for name in heavy if name in sys.modules]), file=sys.stderr)
"""


# every command the CLI has, so that a new one cannot bring pandas back into --help unseen
@pytest.mark.parametrize("command", [[], *([name] for name in sorted(cli.commands))])
def test_help_does_not_import_pandas(command: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *command, "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Usage: balint-reports" in done.stdout
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []


def test_a_run_still_imports_what_it_needs(tmp_path) -> None:
    # The probe above would pass for a CLI that never loads pandas at all; this one shows it
    # does detect the import when a command really runs.
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), "check", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert "pandas" in json.loads(done.stderr.strip().splitlines()[-1])


def test_a_run_does_not_import_what_only_send_needs(tmp_path) -> None:
    """`run` starts without the sending code and the SMTP and TLS modules under it."""
    sample = Path(__file__).parents[2] / "sample_data"
    probe = PROBE.format(heavy=("balint_reports.deliver", "smtplib", "ssl", "pandas"))
    done = subprocess.run(
        [sys.executable, "-c", probe, "run", str(sample), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert "written to" in done.stdout, done.stdout + done.stderr
    assert json.loads(done.stderr.strip().splitlines()[-1]) == ["pandas"]


def test_the_copied_illegal_characters_pattern_is_openpyxls() -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from balint_reports.safecells import ILLEGAL_CHARACTERS_RE as copied

    assert copied.pattern == ILLEGAL_CHARACTERS_RE.pattern


def test_the_copied_error_values_are_openpyxls() -> None:
    from openpyxl.cell.cell import ERROR_CODES

    from balint_reports.safecells import ERROR_VALUES as copied

    assert copied == set(ERROR_CODES)


# The installed command, as its console script calls it, after the probe registers what the
# run itself might (a log to flush, a folder to remove) and, asked to, leaves a thread working.
COMMAND_LINE = """
import atexit, sys, threading, time
from pathlib import Path
from balint_reports.cli import command_line
mark = Path(sys.argv.pop(1))
atexit.register(lambda: mark.with_suffix(".atexit").write_text("ran"))


class TakenApart:  # freed when Python takes the interpreter apart: the command line skips it
    def __del__(self):
        mark.with_suffix(".teardown").write_text("freed")


kept = TakenApart()
if sys.argv.pop(1) == "thread":
    def finish():
        time.sleep(0.3)
        mark.with_suffix(".thread").write_text("finished")
    threading.Thread(target=finish).start()
sys.argv[0] = "balint-reports"
print("printed, not flushed")  # into a pipe: kept in Python's buffer until flushed
command_line()
"""


# As a team member's shell has it: output into a pipe is buffered until flushed.
BUFFERED = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}


@pytest.mark.parametrize(
    ("words", "code", "said"),
    [
        (["--version"], 0, "balint-reports, version"),
        (["run", "/no/such/folder"], 2, "does not exist"),
    ],
)
def test_the_command_line_leaves_with_its_code_its_output_and_its_exit_handlers(
    tmp_path, words: list[str], code: int, said: str
) -> None:
    """It skips taking the interpreter apart, and nothing else Python does on the way out:
    what it printed into the pipe (block-buffered there) arrives, and exit handlers run."""
    mark = tmp_path / "mark"
    done = subprocess.run(
        [sys.executable, "-c", COMMAND_LINE, str(mark), "no thread", *words],
        capture_output=True,
        text=True,
        env=BUFFERED,
    )
    assert done.returncode == code
    assert said in done.stdout + done.stderr
    assert "printed, not flushed" in done.stdout
    assert mark.with_suffix(".atexit").read_text() == "ran"
    assert not mark.with_suffix(".teardown").exists()  # the process ended without it


def test_the_command_line_waits_for_a_thread_still_working(tmp_path) -> None:
    mark = tmp_path / "mark"
    done = subprocess.run(
        [sys.executable, "-c", COMMAND_LINE, str(mark), "thread", "--version"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0
    assert mark.with_suffix(".thread").read_text() == "finished"
    assert mark.with_suffix(".atexit").read_text() == "ran"


def test_under_a_profiler_the_command_line_leaves_it_its_results(tmp_path) -> None:
    """cProfile (and coverage) write what they found once the program is over."""
    results = tmp_path / "profile.out"
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(results), "-m", "balint_reports", "--version"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert results.stat().st_size > 0
