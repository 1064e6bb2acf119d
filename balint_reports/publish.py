"""Publish: put a month's files into OUT/<YYYY-MM>/ all at once, or not at all.

The one module that writes the month folder. Files are written to a private staging folder
inside OUT (or linked there, when the folder being replaced holds them byte for byte), flushed
to disk (every file, many at once, then every folder, fsync'd), and only then swapped into
place; a run killed at any point leaves either the previous report or the new one, and the next
run tidies what is left (`recover_interrupted`). Call these with OUT locked (`lock.locked`).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .errors import OutputError
from .pause import Pause, no_pause

# Temporary folders of a month being written (`new`) or replaced (`old`), inside OUT.
_TEMPORARY = re.compile(r"^\.(\d{4}-\d{2})-(new|old)-")


@dataclass(frozen=True)
class MonthFolder:
    """What a month folder holds: files by their path inside it, and folders that exist even
    when empty (a month with nobody to write to still has its letters/ folder)."""

    files: Mapping[str, bytes]
    folders: tuple[str, ...] = ()


def write_problem(exc: OSError) -> str:
    """Why a write failed and what to do, in one line of the team's words (no file names:
    those inside a month folder are made from trainees' ids)."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full ({reason}): free some space, then run again"
    if exc.errno == errno.EFBIG:
        return (
            f"a file would be larger than this computer allows ({reason}): free some space "
            "or ask whoever looks after it, then run again"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"permission denied ({reason}): check that you may write to this folder and "
            "everything in it (and that no file in it is open elsewhere), then run again"
        )
    if exc.errno == errno.EROFS:
        return f"the folder is on a disk that cannot be written ({reason})"
    return reason


def recover_interrupted(out: Path) -> None:
    """Undo what a killed run left in OUT: put back a month it had moved aside, drop its temps.

    A month moved aside (`old`) whose place is empty goes back, so the previous report is whole
    again; every other temporary folder is an unfinished write.
    """
    if not out.is_dir():
        return
    try:
        temporaries = sorted(p for p in out.iterdir() if p.is_dir() and _TEMPORARY.match(p.name))
        for path in temporaries:
            match = _TEMPORARY.match(path.name)
            assert match is not None
            month, role = match.groups()
            if role == "old" and (path / month).is_dir() and not (out / month).exists():
                os.replace(path / month, out / month)
            shutil.rmtree(path, ignore_errors=True)
    except OSError as exc:
        raise OutputError(
            f"{out}: cannot tidy what an interrupted run left: {write_problem(exc)}"
        ) from None
    sync_folder(out)


def sync_folder(folder: Path) -> None:
    """Make the folder's entries (new names, renames) durable; not every system can."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder: its renames are durable as they are
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# Threads that fsync the staged files: each fsync mostly waits for the disk, and the file
# system commits many at once, so a few dozen in flight take a fraction of one-by-one's time.
_SYNC_THREADS = 16


def _sync_file(path: Path) -> None:
    """Flush one written file's data to disk; an error the disk reported for it is raised."""
    # Opened for writing: Windows flushes only a handle that may write. An error writing the
    # file back is reported to the first fsync after it, whichever handle asks.
    descriptor = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sync_each(paths: list[Path]) -> None:
    """Flush these files to disk one after another."""
    for path in paths:
        _sync_file(path)


def _sync_files(paths: list[Path]) -> None:
    """Flush every file to disk, many at once; return only when all are, raise if any fails."""
    threads = min(_SYNC_THREADS, len(paths))
    if threads < 2:
        _sync_each(paths)
        return
    # Each thread takes its share of the files: one task per file cost more in the pool's
    # bookkeeping than the flushes (0.7 s against 0.4 s for a month of 10,857 files).
    with ThreadPoolExecutor(threads) as pool:
        # list(): wait for every share, and raise the first failure
        list(pool.map(_sync_each, [paths[i::threads] for i in range(threads)]))


@dataclass(frozen=True)
class _NewFile:
    """What a file written now in the staging folder gets: permissions, owner and group."""

    mode: int
    uid: int
    gid: int

    @classmethod
    def in_folder(cls, staging: Path, umask: int) -> _NewFile:
        folder = os.stat(staging)
        # a folder with the set-group-ID bit gives its files its group, else they get ours
        # (publish sets the staging folder's permissions without it: ours, then)
        gid = folder.st_gid if folder.st_mode & stat.S_ISGID else os.getegid()
        return cls(0o666 & ~umask, os.geteuid(), gid)


# Linux only: there a file's further access rights (POSIX ACLs, security labels) show as
# extended attributes, which are checked below. Elsewhere every file is written.
_LINKS = sys.platform.startswith("linux")


def _plain_files(folder: Path) -> dict[str, os.stat_result]:
    """The plain files under `folder` by their path in it, found without following any link:
    a month folder that is a symbolic link, or holds one (to a shared drive, say), offers only
    what is really in it, so a new report never takes over a file from outside OUT."""
    found: dict[str, os.stat_result] = {}

    def walk(path: str, prefix: str) -> None:
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path, f"{prefix}{entry.name}/")
                elif entry.is_file(follow_symlinks=False):
                    found[prefix + entry.name] = entry.stat(follow_symlinks=False)

    try:
        if stat.S_ISDIR(os.lstat(folder).st_mode):
            walk(os.fspath(folder), "")
    except OSError:
        return {}
    return found


def _link_if_unchanged(
    old: Path, status: os.stat_result, content: bytes, new: Path, fresh: _NewFile
) -> bool:
    """Link the replaced month's file `old` as `new` if it holds exactly `content` and is
    what a file written now would be: one link, our owner, the group and permissions a new
    file gets, no further access rights. Returns whether it did.

    In the team's "fix a sheet, run again" loop nearly every letter is unchanged, and linking
    it saves writing it again. The file is opened without following links, read and checked
    through that one handle, and the link is checked to be that same file.
    """
    if not _as_if_new(status, content, fresh):
        return False
    try:
        descriptor = os.open(old, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        opened = os.fstat(descriptor)
        if (opened.st_dev, opened.st_ino) != (status.st_dev, status.st_ino):
            return False  # replaced since the folder was listed
        if not _as_if_new(opened, content, fresh):
            return False  # its rights changed since the folder was listed
        if os.listxattr(descriptor):
            return False  # an ACL or a label: rights a file written now would not have
        with open(descriptor, "rb", closefd=False) as handle:
            if handle.read() != content:
                return False
        if os.fstat(descriptor).st_mtime_ns != opened.st_mtime_ns:
            return False  # changed while it was read
        os.link(old, new, follow_symlinks=False)
    except OSError:  # a file system without hard links, for one: write it
        return False
    finally:
        os.close(descriptor)
    linked = os.lstat(new)
    if (linked.st_dev, linked.st_ino, linked.st_nlink) != (opened.st_dev, opened.st_ino, 2):
        # Another file took the old one's name after it was read, or a link was made to it
        # meanwhile: ours is written instead.
        # Should this fail, publish fails and leaves the previous month as it was.
        os.unlink(new)
        return False
    return True


def _as_if_new(status: os.stat_result, content: bytes, fresh: _NewFile) -> bool:
    """Whether a file could not be told from one holding `content` written now, but by its
    extended attributes: one link, the size, and the permissions, owner and group."""
    return (
        stat.S_ISREG(status.st_mode)
        and status.st_nlink == 1
        and status.st_size == len(content)
        and stat.S_IMODE(status.st_mode) == fresh.mode
        and (status.st_uid, status.st_gid) == (fresh.uid, fresh.gid)
    )


def _stage(staging: Path, month: MonthFolder, previous: Path, umask: int) -> None:
    """Write every file under `staging`, then flush them all to disk, folders included.

    A file the month folder being replaced (`previous`, if there is one) already holds byte
    for byte is linked from there, not written (`_link_if_unchanged`); the replaced folder is
    deleted once the swap is done, so no file stays shared. Nothing is flushed file by file
    as it is written: the files are all written or linked, then all fsync'd at once from a
    few threads (a linked file too: whoever wrote it may not have flushed it), then their
    folders. Only after every flush returned does Staging.swap rename anything, so whatever the
    rename makes visible is already on disk.
    """
    folders = {staging}
    for relative in month.folders:
        (staging / relative).mkdir(parents=True, exist_ok=True)
        folders.add(staging / relative)
    kept = _plain_files(previous) if _LINKS else {}
    fresh = _NewFile.in_folder(staging, umask) if kept else None
    staged = []
    for relative, content in month.files.items():
        path = staging / relative
        if path.parent not in folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            folders.add(path.parent)
        status = kept.get(relative)
        if (
            status is None
            or fresh is None
            or not _link_if_unchanged(previous / relative, status, content, path, fresh)
        ):
            with open(path, "wb") as handle:
                handle.write(content)
        staged.append(path)
    _sync_files(staged)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        sync_folder(folder)


def _current_umask() -> int:
    """The process's umask (reading it means setting it: set it straight back)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


# `pause` is called at the named points of a write ("staging", from the thread that writes the
# files; "before-swap", "mid-swap"), as the monthly job calls it at its own ("report-built",
# "history-staged", "after-swap", "history-commit").
class Staging:
    """A month's files being written into a private folder in OUT by a thread of their own, from
    the moment this is made; `swap` then puts them in place as OUT/<month>/, or `discard` drops
    them.

    Writing them is mostly the kernel's work (creating, writing and flushing 10,857 files for
    the federation inbox: 0.9 s), during which Python lets the run go on: it saves the letter
    store and stages the history store meanwhile. The thread calls `pause("staging")` before
    its first write.
    """

    def __init__(
        self, out: Path, month: str, contents: MonthFolder, pause: Pause = no_pause
    ) -> None:
        try:
            out.mkdir(parents=True, exist_ok=True)
            self.folder = Path(tempfile.mkdtemp(prefix=f".{month}-new-", dir=out))
            # mkdtemp makes it private to us; the month's folder gets what the umask allows
            umask = _current_umask()
            self.folder.chmod(0o777 & ~umask)
        except OSError as exc:
            raise OutputError(
                f"{out}: cannot create the month's folder, {write_problem(exc)}; the previous "
                "report was left as it was"
            ) from None
        self.out, self.target, self.pause = out, out / month, pause
        self._failure: BaseException | None = None
        self._done = False
        self._thread = threading.Thread(
            target=self._write, args=(contents, umask), name="staging", daemon=True
        )
        self._thread.start()

    def _write(self, contents: MonthFolder, umask: int) -> None:
        try:
            self.pause("staging")
            _stage(self.folder, contents, self.target, umask)
        except BaseException as exc:  # raised in the run's own thread, by swap
            self._failure = exc

    def swap(self) -> Path:
        """Wait for the files to be written and flushed, then replace OUT/<month>/ with them.

        Returns the month folder. A failure leaves the previous month folder as it was and no
        temporary folder behind, and raises OutputError with the reason in one line.
        """
        self._thread.join()
        self._done = True
        retired: Path | None = None
        target = self.target
        try:
            if self._failure is not None:
                raise self._failure
            self.pause("before-swap")
            if target.exists():
                # Two renames, not one: a directory cannot replace a non-empty one. A run
                # killed between them is undone by recover_interrupted() at the next start.
                retired = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=self.out))
                os.replace(target, retired / target.name)
                self.pause("mid-swap")
            os.replace(self.folder, target)
            sync_folder(self.out)
        except OSError as exc:
            _undo(self.folder, retired, target)
            raise OutputError(
                f"{self.out}: cannot write the report, {write_problem(exc)}; the previous "
                "report was left as it was"
            ) from None
        except BaseException:
            _undo(self.folder, retired, target)
            raise
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
        return target

    def discard(self) -> None:
        """Stop here: wait for the writing to end, and remove what it wrote (unless swapped)."""
        if self._done:
            return
        self._thread.join()
        self._done = True
        shutil.rmtree(self.folder, ignore_errors=True)


def _undo(staging: Path, retired: Path | None, target: Path) -> None:
    """After a failed write: the previous month back in place, no temporary folders left."""
    if retired is not None and (retired / target.name).is_dir() and not target.exists():
        os.replace(retired / target.name, target)
    shutil.rmtree(staging, ignore_errors=True)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
