"""publish: the month folder is replaced whole, or not at all."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from balint_reports.errors import OutputError
from balint_reports.pause import Pause
from balint_reports.publish import MonthFolder, Staging, recover_interrupted

LINUX = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="publish links files on Linux only"
)


def publish(out: Path, month: str, contents: MonthFolder, pause: Pause | None = None) -> Path:
    """Write the month's files and swap them in, as the monthly job does."""
    return (Staging(out, month, contents, pause) if pause else Staging(out, month, contents)).swap()


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


@pytest.mark.parametrize("point", ["staging", "before-swap", "mid-swap"])
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


def test_a_month_discarded_while_its_files_are_written_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    """The run stops (the history store could not be staged, say) while the thread is still
    writing the month's files: it waits for the thread and removes what it wrote."""
    out = tmp_path / "out"
    publish(out, "2026-11", MonthFolder({"summary.xlsx": b"october's"}))
    letters = {f"letters/T{i}.html": b"<p>x</p>" for i in range(500)}
    Staging(out, "2026-11", MonthFolder({"summary.xlsx": b"november's", **letters})).discard()
    assert (out / "2026-11" / "summary.xlsx").read_bytes() == b"october's"
    assert sorted(p.name for p in (out / "2026-11").iterdir()) == ["summary.xlsx"]
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
    """The files are flushed together, not one by one: all of them, whole, before the swap,
    those linked from the month being replaced too (whoever wrote them may not have)."""
    out = tmp_path / "out"
    same = {f"letters/T{i:03}.html": f"<p>{i}</p>".encode() * (i + 1) for i in range(0, 300, 3)}
    publish(out, "2026-11", MonthFolder({"summary.xlsx": b"october's", **same}))
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
            if sys.platform.startswith("linux"):  # a hundred letters linked, not written
                kept = [p for p in (staging / "letters").iterdir() if p.stat().st_nlink == 2]
                assert len(kept) == len(same)
            # durable before anything is renamed: every file, and every folder holding one
            staged = {str(p) for p in staging.rglob("*")} | {str(staging)}
            assert staged <= flushed

    folder = publish(out, "2026-11", MonthFolder(files), look)
    assert seen == files
    assert {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*.*")} == files
    assert _temporaries(out) == []


@LINUX
def test_a_file_the_replaced_month_holds_byte_for_byte_is_linked_and_ends_unshared(
    tmp_path: Path,
) -> None:
    """The "fix a sheet, run again" loop: unchanged letters are not written and flushed again."""
    out = tmp_path / "out"
    first = publish(out, "2026-11", MonthFolder({"letters/T1.html": b"same", "summary.xlsx": b"1"}))
    kept = (first / "letters" / "T1.html").stat()
    rewritten = (first / "summary.xlsx").stat()

    folder = publish(
        out, "2026-11", MonthFolder({"letters/T1.html": b"same", "summary.xlsx": b"2"})
    )
    letter = (folder / "letters" / "T1.html").stat()
    assert letter.st_ino == kept.st_ino  # the same file, not a copy
    assert letter.st_nlink == 1  # the replaced month is gone: nothing shares it
    assert (folder / "summary.xlsx").read_bytes() == b"2"
    assert (folder / "summary.xlsx").stat().st_ino != rewritten.st_ino
    assert _temporaries(out) == []


@LINUX
def test_a_file_linked_elsewhere_or_with_other_permissions_or_a_link_is_written_anew(
    tmp_path: Path,
) -> None:
    """Only a plain file of ours alone is taken over: the new report never shares a file
    with anything outside it, and its files have the permissions a new file gets."""
    out = tmp_path / "out"
    files = {"shared.html": b"same", "private.html": b"same", "linked.html": b"same"}
    first = publish(out, "2026-11", MonthFolder(files))
    elsewhere = tmp_path / "copy-kept-by-the-team.html"
    os.link(first / "shared.html", elsewhere)
    (first / "private.html").chmod(0o600)
    (first / "linked.html").unlink()
    (first / "linked.html").symlink_to(elsewhere)

    folder = publish(out, "2026-11", MonthFolder(files))
    umask = os.umask(0)
    os.umask(umask)
    for name in files:
        status = (folder / name).lstat()
        assert (folder / name).read_bytes() == b"same"
        assert status.st_nlink == 1 and not (folder / name).is_symlink()
        assert status.st_mode & 0o777 == 0o666 & ~umask
    assert elsewhere.stat().st_nlink == 1  # the team's copy is theirs alone again


def test_a_failure_after_linking_leaves_the_previous_month_whole_and_unshared(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    publish(out, "2026-11", MonthFolder({"letters/T1.html": b"same", "summary.xlsx": b"1"}))

    def stop(at: str) -> None:
        if at == "before-swap":
            raise _Stop

    with pytest.raises(_Stop):
        publish(out, "2026-11", MonthFolder({"letters/T1.html": b"same"}), stop)
    previous = out / "2026-11"
    assert (previous / "letters" / "T1.html").stat().st_nlink == 1
    assert (previous / "summary.xlsx").read_bytes() == b"1"
    assert _temporaries(out) == []


@LINUX
@pytest.mark.parametrize("linked", ["month", "letters"])
def test_a_month_folder_that_is_a_link_never_shares_a_file_from_outside(
    tmp_path: Path, linked: str
) -> None:
    """A month folder, or a folder in it, that is a symbolic link (to a shared drive, say):
    its files are outside OUT, and the new report writes its own."""
    out = tmp_path / "out"
    elsewhere = tmp_path / "shared-drive"
    (elsewhere / "letters").mkdir(parents=True)
    (elsewhere / "letters" / "T1.html").write_bytes(b"same")
    out.mkdir()
    if linked == "month":
        (out / "2026-11").symlink_to(elsewhere)
    else:
        (out / "2026-11").mkdir()
        (out / "2026-11" / "letters").symlink_to(elsewhere / "letters")
    folder = publish(out, "2026-11", MonthFolder({"letters/T1.html": b"same"}))
    assert (folder / "letters" / "T1.html").read_bytes() == b"same"
    assert (elsewhere / "letters" / "T1.html").stat().st_nlink == 1
    assert not folder.is_symlink() and not (folder / "letters").is_symlink()


@LINUX
def test_a_file_with_another_group_is_written_anew(tmp_path: Path) -> None:
    """A group would follow a linked file into the new report, and its access with it."""
    out = tmp_path / "out"
    first = publish(out, "2026-11", MonthFolder({"grouped.html": b"same"}))
    try:
        os.chown(first / "grouped.html", -1, os.getegid() + 1)
    except OSError as exc:
        pytest.skip(f"cannot change a file's group here: {exc}")
    folder = publish(out, "2026-11", MonthFolder({"grouped.html": b"same"}))
    assert (folder / "grouped.html").stat().st_gid == os.getegid()


@LINUX
def test_a_file_with_further_access_rights_is_written_anew(tmp_path: Path) -> None:
    """An ACL or a label, which Linux keeps as extended attributes, would give the new report's
    file the old one's other readers: written anew, without them."""
    out = tmp_path / "out"
    first = publish(out, "2026-11", MonthFolder({"noted.html": b"same"}))
    try:
        os.setxattr(first / "noted.html", "user.shared_with", b"everyone")
    except OSError as exc:
        pytest.skip(f"this file system keeps no extended attributes: {exc}")
    folder = publish(out, "2026-11", MonthFolder({"noted.html": b"same"}))
    assert os.listxattr(folder / "noted.html") == []
