"""The sheet cache in OUT/.cache: unchanged files are not re-read, and it never changes a report."""

from __future__ import annotations

from pathlib import Path

from .conftest import run_cli, write_xlsx
from .test_history import ATTENDANCE_HEADER, NOV, OCT, _october, _registers, _september


def _run(inbox: Path, out: Path, *extra: str, as_of: str = NOV) -> str:
    result = run_cli("run", inbox, "--out", out, "--as-of", as_of, *extra)
    assert result.exit_code == 0, result.output
    return result.output


def _progress(out: Path, month: str = "2026-11") -> bytes:
    return (out / month / "progress.json").read_bytes()


def _groups_workbook(inbox: Path, sessions: int) -> None:
    write_xlsx(
        inbox / "groups.xlsx",
        {
            "Tuesday": [
                ATTENDANCE_HEADER,
                ["T1", "02/06/2026", "co_leader", sessions, "", ""],
                ["T1", "09/06/2026", "co_leader", 1, "", ""],
            ]
        },
    )


def test_a_file_changed_by_one_cell_is_read_again(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _registers(inbox)
    _september(inbox)
    _groups_workbook(inbox, sessions=1)
    _run(inbox, out)
    first = _progress(out)
    assert b'"achieved": 10.0' in first  # 8 in September and 2 in groups.xlsx

    assert "3 unchanged files taken from the cache, 0 read." in _run(inbox, out)
    assert _progress(out) == first

    _groups_workbook(inbox, sessions=3)
    assert "2 unchanged files taken from the cache, 1 read." in _run(inbox, out)
    assert b'"achieved": 12.0' in _progress(out)


def test_cached_and_cold_runs_write_the_same_report(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _registers(inbox)
    _september(inbox)
    _october(inbox)
    (inbox / "notes.txt").write_text("not a spreadsheet")
    _run(inbox, out, "--no-cache")
    cold = _progress(out)
    assert "taken from the cache" in _run(inbox, out)
    assert _progress(out) == cold
    output = _run(inbox, out, "--no-cache")
    assert "taken from the cache" not in output
    assert _progress(out) == cold


def test_cache_does_not_depend_on_the_report_date(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _registers(inbox)
    _september(inbox)
    _october(inbox)
    _run(inbox, out, "--no-cache", as_of="2026-09-30")
    cold_october = tmp_path / "cold"
    _run(inbox, cold_october, "--no-cache", as_of=OCT)
    assert "3 unchanged files taken from the cache" in _run(inbox, out, as_of=OCT)
    assert _progress(out, "2026-10") == _progress(cold_october, "2026-10")


def test_a_config_change_or_a_damaged_entry_means_reading_again(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _registers(inbox)
    _september(inbox)
    _run(inbox, out)
    (inbox / "balint.toml").write_text('[columns.attendance]\n"Participant" = "trainee"\n')
    assert "taken from the cache" not in _run(inbox, out)
    for entry in (out / ".cache").iterdir():
        entry.write_bytes(b"damaged")
    before = _progress(out)
    assert "taken from the cache" not in _run(inbox, out)
    assert _progress(out) == before
    assert "2 unchanged files taken from the cache" in _run(inbox, out)
