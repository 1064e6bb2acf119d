"""`--help` starts fast: it must not import the libraries only a run needs (issue 13)."""

from __future__ import annotations

import json
import subprocess
import sys

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


def test_the_copied_illegal_characters_pattern_is_openpyxls() -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from balint_reports.safecells import ILLEGAL_CHARACTERS_RE as copied

    assert copied.pattern == ILLEGAL_CHARACTERS_RE.pattern
