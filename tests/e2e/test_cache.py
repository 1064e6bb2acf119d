"""The sheet cache in OUT/.cache: unchanged files are not re-read, and it never changes a report."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ..conftest import run_cli, write_xlsx
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

    assert "3 unchanged files not read again, 0 read." in _run(inbox, out)
    assert _progress(out) == first

    _groups_workbook(inbox, sessions=3)
    assert "2 unchanged files not read again, 1 read." in _run(inbox, out)
    assert b'"achieved": 12.0' in _progress(out)


def test_cached_and_cold_runs_write_the_same_report(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _registers(inbox)
    _september(inbox)
    _october(inbox)
    (inbox / "notes.txt").write_text("not a spreadsheet")
    _run(inbox, out, "--no-cache")
    cold = _progress(out)
    assert "not read again" in _run(inbox, out)
    assert _progress(out) == cold
    output = _run(inbox, out, "--no-cache")
    assert "not read again" not in output
    assert _progress(out) == cold


def test_cache_does_not_depend_on_the_report_date(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _registers(inbox)
    _september(inbox)
    _october(inbox)
    _run(inbox, out, "--no-cache", as_of="2026-09-30")
    cold_october = tmp_path / "cold"
    _run(inbox, cold_october, "--no-cache", as_of=OCT)
    assert "3 unchanged files not read again" in _run(inbox, out, as_of=OCT)
    assert _progress(out, "2026-10") == _progress(cold_october, "2026-10")


def test_a_config_change_or_a_damaged_entry_means_reading_again(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _registers(inbox)
    _september(inbox)
    _run(inbox, out)
    (inbox / "balint.toml").write_text('[columns.attendance]\n"Participant" = "trainee"\n')
    assert "not read again" not in _run(inbox, out)
    for entry in (out / ".cache").iterdir():
        entry.write_bytes(b"damaged")
    before = _progress(out)
    assert "not read again" not in _run(inbox, out)
    assert _progress(out) == before
    assert "2 unchanged files not read again" in _run(inbox, out)


def test_an_entry_its_index_does_not_name_is_never_used_and_is_dropped(
    inbox: Path, tmp_path: Path
) -> None:
    """The index is written once a reading of the inbox ends: a run killed before that leaves
    entries no index names. The next run reads those files again and keeps only what it used."""
    out = tmp_path / "out"
    _registers(inbox)
    _september(inbox)
    _run(inbox, out)
    index = out / ".cache" / "index.json"
    entries = sorted(p.name for p in (out / ".cache").glob("*.entry"))
    assert len(entries) == 2 and sorted(json.loads(index.read_text())["entries"]) == [
        name.removesuffix(".entry") for name in entries
    ]
    index.unlink()  # as if killed between the entries and their index
    orphan = out / ".cache" / ("0" * 64 + ".entry")
    orphan.write_bytes((out / ".cache" / entries[0]).read_bytes())
    assert "not read again" not in _run(inbox, out)
    assert sorted(p.name for p in (out / ".cache").glob("*.entry")) == entries
    assert "2 unchanged files not read again" in _run(inbox, out)


def test_each_file_is_read_once_cold_or_warm(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bytes hashed for the cache are the bytes parsed: one read of a file, not one to
    hash it and another to parse it; a file over the size limit is not even hashed."""
    from balint_reports.cache import SheetCache
    from balint_reports.config import Config
    from balint_reports.ingest import read_inbox
    from balint_reports.issues import IssueLog
    from balint_reports.limits import LIMITS

    _registers(inbox)
    _september(inbox)
    _groups_workbook(inbox, sessions=1)
    with (inbox / "huge.csv").open("wb") as handle:
        handle.truncate(LIMITS.file_bytes + 1)  # sparse: no disk used
    opened: Counter[str] = Counter()
    read_bytes: Counter[str] = Counter()
    real_open = Path.open

    def counting_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        stream = real_open(self, mode, *args, **kwargs)
        if "b" not in mode or not self.is_relative_to(inbox):
            return stream
        opened[self.name] += 1
        real_read = stream.read

        def read(size: int = -1) -> bytes:
            piece = real_read(size)
            read_bytes[self.name] += len(piece)
            return piece

        stream.read = read
        return stream

    monkeypatch.setattr(Path, "open", counting_open)
    monkeypatch.setenv("BALINT_WORKERS", "1")  # in this process, where the counting is
    names = sorted(p.name for p in inbox.iterdir())
    for run in ("cold", "warm"):
        cache = SheetCache(tmp_path / "out", Config())
        log = IssueLog()
        read_inbox(inbox, Config(), log, cache)
        assert dict(opened) == dict.fromkeys(names, 1), run
        assert read_bytes["huge.csv"] == 0, run
        assert "huge.csv" in set(log.frame()["file"])
        assert (cache.hits, cache.misses) == ((0, 4) if run == "cold" else (3, 1)), run
        opened.clear()
        read_bytes.clear()
