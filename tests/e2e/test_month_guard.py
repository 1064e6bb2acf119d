"""A run never silently replaces a better report (docs/contract.md#outputs): a later one, or
one that had trainees when this run found none; --replace overrides."""

from __future__ import annotations

import json
from pathlib import Path

from ..conftest import TRAINEE_HEADER, run_cli, run_report, trainee_row, write_xlsx


def _inbox(inbox: Path) -> None:
    write_xlsx(
        inbox / "registers.xlsx",
        {"Trainees": [TRAINEE_HEADER, trainee_row("T1", "Ann Able", psychodynamic_training="no")]},
    )


def _as_of(out: Path) -> str:
    return json.loads((out / "2026-12" / "progress.json").read_text())["as_of"]


def test_a_run_dated_earlier_in_the_month_keeps_the_later_report(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _inbox(inbox)
    run_report(inbox, out, as_of="2026-12-31")
    result = run_cli("run", inbox, "--out", out, "--as-of", "2026-12-04")
    assert result.exit_code == 1
    assert "holds the report as of 31 December 2026, later than this run's 4 December 2026" in (
        result.output
    )
    assert "--as-of 2026-12-31" in result.output and "--replace" in result.output
    assert _as_of(out) == "2026-12-31"
    assert "Traceback" not in result.output


def test_replace_overrides_and_the_output_says_which_report_was_written(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _inbox(inbox)
    run_report(inbox, out, as_of="2026-12-31")
    result = run_cli("run", inbox, "--out", out, "--as-of", "2026-12-04", "--replace")
    assert result.exit_code == 0, result.output
    assert f"Report as of 4 December 2026 written to {out / '2026-12'}" in result.output
    assert _as_of(out) == "2026-12-04"


def test_the_same_date_again_replaces_as_before(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _inbox(inbox)
    run_report(inbox, out, as_of="2026-12-31")
    run_report(inbox, out, as_of="2026-12-31")


def test_a_wrong_or_empty_folder_does_not_replace_a_month_with_trainees(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _inbox(inbox)
    run_report(inbox, out, as_of="2026-12-31")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("run", empty, "--out", out, "--as-of", "2026-12-31")
    assert result.exit_code == 1
    assert "found no trainees register in the inbox" in result.output
    assert "holds a report on 1 trainee: check the folder you named" in result.output
    assert _as_of(out) == "2026-12-31"
    assert json.loads((out / "2026-12" / "progress.json").read_text())["trainees"]
    # a register with nobody on it is refused too, saying so
    write_xlsx(empty / "registers.xlsx", {"Trainees": [TRAINEE_HEADER]})
    result = run_cli("run", empty, "--out", out, "--as-of", "2026-12-31")
    assert result.exit_code == 1 and "found no trainees in the inbox" in result.output
    result = run_cli("run", empty, "--out", out, "--as-of", "2026-12-31", "--replace")
    assert result.exit_code == 0, result.output
