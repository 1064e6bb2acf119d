"""Which files a run or a check reads: the inbox's files less `[inbox] ignore`, or named files."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from .config import CONFIG_NAME
from .read import SPREADSHEET_SUFFIXES, SourceFile, _printable, discover


def ignored_by(relative: str, patterns: Sequence[str]) -> str:
    """The first `[inbox] ignore` pattern that matches an inbox-relative path, or "".

    Matched without regard to capitals (the team's files come from Windows and macOS): a
    pattern matches the whole path or one of its folders (`old` or `old/*` skips a folder),
    and one without `/` matches a file or folder name anywhere (`* - Copy.xlsx`).
    """
    path = PurePosixPath(relative.casefold())
    parents = [p.as_posix() for p in reversed(path.parents) if p.as_posix() != "."]
    for pattern in patterns:
        folded = pattern.casefold().strip().strip("/")
        candidates = [*parents, path.as_posix()]
        if "/" not in folded:
            candidates += list(path.parts)
        if any(fnmatch.fnmatchcase(candidate, folded) for candidate in candidates):
            return pattern
    return ""


def without_ignored(found: list[SourceFile], patterns: Sequence[str]) -> list[SourceFile]:
    """The inbox's files, those matching `[inbox] ignore` kept only to be listed as ignored."""
    if not patterns:
        return found
    return [
        SourceFile(s.path, s.relative, False) if ignored_by(s.relative, patterns) else s
        for s in found
    ]


def find_config(paths: Sequence[Path]) -> Path | None:
    """The inbox's balint.toml for `check`: in a folder named, else beside or above a file named.

    A spreadsheet checked on its own still gets the column headings the team mapped for it.
    """
    for path in paths:
        if path.is_dir() and (path / CONFIG_NAME).is_file():
            return path / CONFIG_NAME
    for path in paths:
        if path.is_file():
            for folder in path.resolve().parents:
                if (folder / CONFIG_NAME).is_file():
                    return folder / CONFIG_NAME
    return None


def gather(
    paths: Sequence[Path], patterns: Sequence[str], root: Path | None = None
) -> tuple[Path, list[SourceFile]]:
    """The files to check, named relative to `root` (the config's folder, when every path is in
    it, so names read as in a run's report), else relative to the folder they share.

    Files in a named folder are found as a run finds them, `[inbox] ignore` applying; a file
    named is read whatever its name, as it was asked for.
    """
    resolved = [p.resolve() for p in paths]
    folders = [p if p.is_dir() else p.parent for p in resolved]
    if root is None or not all(f.is_relative_to(root.resolve()) for f in folders):
        try:
            root = Path(os.path.commonpath(folders))
        except ValueError:  # different drives on Windows: there is no shared folder
            root = Path(resolved[0].anchor)
    root = root.resolve()
    chosen: dict[Path, SourceFile] = {}
    for path in resolved:
        if path.is_dir():
            for found in discover(path):
                relative = _printable(found.path.relative_to(root).as_posix())
                spreadsheet = found.spreadsheet and not ignored_by(relative, patterns)
                chosen.setdefault(
                    found.path.resolve(), SourceFile(found.path, relative, spreadsheet)
                )
        else:
            relative = _printable(path.relative_to(root).as_posix())
            spreadsheet = path.suffix.lower() in SPREADSHEET_SUFFIXES
            # A file named is checked even when a folder named holds it and ignores it.
            chosen[path] = SourceFile(path, relative, spreadsheet)
    return root, sorted(chosen.values(), key=lambda s: s.relative)


def inbox_context(
    paths: Sequence[Path], root: Path, named: Sequence[SourceFile], patterns: Sequence[str]
) -> list[SourceFile]:
    """For a check of files named in an inbox (`root`, its config's folder), the inbox's other
    spreadsheets: read with them, so that their names are matched against the registers there
    and their issues are those a run would give them. None when a folder is named or a file
    lies outside `root`: then what is named is all there is. A reports folder kept inside the
    inbox (it holds the history store) is left out, as `run` leaves out its own."""
    from .history import STORE_NAME  # here: `run` reads the inbox without this module

    if not all(p.is_file() and p.resolve().is_relative_to(root) for p in paths):
        return []
    # The same file by what it is, not by its name: macOS keeps a name as it was typed.
    taken = {_identity(source.path) for source in named}

    def of_reports(path: Path) -> bool:
        folders = path.resolve().parents
        return any((f / STORE_NAME).is_file() for f in folders if f.is_relative_to(root))

    return [
        source
        for source in without_ignored(discover(root), patterns)
        if source.spreadsheet
        and _identity(source.path) not in taken
        and not of_reports(source.path)
    ]


def _identity(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_dev, status.st_ino
