"""publish: the month folder is replaced whole, or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from balint_reports.errors import OutputError
from balint_reports.publish import MonthFolder, publish, recover_interrupted


def _temporaries(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


def test_a_month_is_written_whole_and_replaces_the_old_one_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, "2026-11", MonthFolder({"a.txt": b"one", "letters/T1.html": b"<p>1</p>"}))
    folder = publish(out, "2026-11", MonthFolder({"b.txt": b"two"}, folders=("letters",)))
    assert folder == out / "2026-11"
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == ["b.txt", "letters"]
    assert _temporaries(out) == []


class _Stop(Exception):
    pass


@pytest.mark.parametrize("point", ["before-swap", "mid-swap"])
def test_a_failure_at_any_point_leaves_the_previous_month_as_it_was(
    tmp_path: Path, point: str
) -> None:
    out = tmp_path / "out"
    publish(out, "2026-11", MonthFolder({"summary.xlsx": b"october's"}))

    def stop(at: str) -> None:
        if at == point:
            raise _Stop

    with pytest.raises(_Stop):
        publish(out, "2026-11", MonthFolder({"summary.xlsx": b"november's"}), stop)
    assert (out / "2026-11" / "summary.xlsx").read_bytes() == b"october's"
    assert _temporaries(out) == []


def test_a_write_the_disk_refuses_is_one_line_and_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, "2026-11", MonthFolder({"summary.xlsx": b"october's"}))
    # a file where a folder must go: the disk refuses the second file
    with pytest.raises(OutputError, match="cannot write the report"):
        publish(out, "2026-11", MonthFolder({"letters": b"x", "letters/T1.html": b"y"}))
    assert (out / "2026-11" / "summary.xlsx").read_bytes() == b"october's"
    assert _temporaries(out) == []


def test_recovery_puts_back_a_month_a_killed_run_had_moved_aside(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / ".2026-11-old-abc" / "2026-11").mkdir(parents=True)
    (out / ".2026-11-old-abc" / "2026-11" / "summary.xlsx").write_bytes(b"october's")
    (out / ".2026-11-new-def").mkdir()
    recover_interrupted(out)
    assert (out / "2026-11" / "summary.xlsx").read_bytes() == b"october's"
    assert _temporaries(out) == []


@pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="names a flushed file by /proc/self/fd (Linux)"
)
def test_every_file_is_whole_in_staging_before_the_swap_and_none_is_visible_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files are flushed together, not one by one: all of them, whole, before the swap."""
    out = tmp_path / "out"
    publish(out, "2026-11", MonthFolder({"summary.xlsx": b"october's"}))
    # What the system was asked to flush to disk, by path: the real fsync still runs.
    flushed: set[str] = set()
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        flushed.add(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    files = {f"letters/T{i:03}.html": f"<p>{i}</p>".encode() * (i + 1) for i in range(300)}
    files["digests/L1.txt"] = b"digest"
    files["summary.xlsx"] = b"november's"
    seen: dict[str, bytes] = {}

    def look(at: str) -> None:
        if at == "before-swap":
            (staging,) = [p for p in out.iterdir() if p.name.startswith(".2026-11-new-")]
            seen.update({str(p.relative_to(staging)): p.read_bytes() for p in staging.rglob("*.*")})
            assert (out / "2026-11" / "summary.xlsx").read_bytes() == b"october's"
            # durable before anything is renamed: every file, and every folder holding one
            staged = {str(p) for p in staging.rglob("*")} | {str(staging)}
            assert staged <= flushed

    folder = publish(out, "2026-11", MonthFolder(files), look)
    assert seen == files
    assert {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*.*")} == files
    assert _temporaries(out) == []
