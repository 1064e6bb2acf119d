"""One run at a time per OUT folder: an exclusive lock on OUT/.lock, refused at once if held.

The lock is the operating system's flock (Linux and macOS), so it is released when the run ends
in any way, even killed: a stale lock file blocks nobody. Windows has no flock; there the lock
is skipped and two runs at once are the team's to avoid.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError

LOCK_NAME = ".lock"

try:
    import fcntl
except ImportError:  # Windows: no flock; runs there are not protected from each other
    fcntl = None  # type: ignore[assignment]


def _try_lock(fd: int) -> bool:
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold OUT's lock for the block; if another run holds it, stop at once and say so."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the output folder ({exc.strerror})") from None
    try:
        if not _try_lock(fd):
            since = os.read(fd, 200).decode("utf-8", "replace").strip()
            raise OutputError(
                f"{out}: another balint-reports run is writing to this folder"
                + (f" (started {since})" if since else "")
                + "; wait for it to finish, then run again"
            )
        # Only a time: it tells the team how long the other run has been going, nothing personal.
        # Only a courtesy too: on a full disk the run goes on and says what failed later.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.write(fd, f"{dt.datetime.now():%Y-%m-%d %H:%M:%S}\n".encode())
        yield
    finally:
        os.close(fd)
