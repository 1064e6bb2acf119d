"""One run at a time per OUT folder: a lock on OUT/.lock, refused at once if another run holds it.

The lock is the `filelock` library's: the operating system's own file lock (flock on Linux and
macOS, msvcrt.locking on Windows), so it is released when the run ends in any way, even killed,
and a lock file left behind blocks nobody. We use the library rather than our own code for
each platform because its test suite runs on Windows and ours cannot. When the run started is
kept beside it, in OUT/.lock-started, to tell a second run how long the first has been going
(Windows does not let another process read a locked file).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import OutputError

LOCK_NAME = ".lock"
STARTED_NAME = ".lock-started"


@contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold OUT's lock for the block; if another run holds it, stop at once and say so."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the output folder ({exc.strerror})") from None
    lock = FileLock(out / LOCK_NAME, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        since = ""
        with suppress(OSError):
            since = (out / STARTED_NAME).read_text(encoding="utf-8").strip()
        raise OutputError(
            f"{out}: another balint-reports run is writing to this folder"
            + (f" (started {since})" if since else "")
            + "; wait for it to finish, then run again"
        ) from None
    except OSError as exc:
        raise OutputError(f"{out}: cannot lock the output folder ({exc.strerror})") from None
    try:
        # Only a time: it tells the team how long the other run has been going, nothing personal.
        # Only a courtesy too: on a full disk the run goes on and says what failed later.
        with suppress(OSError):
            (out / STARTED_NAME).write_text(f"{dt.datetime.now():%Y-%m-%d %H:%M:%S}\n", "utf-8")
        yield
    finally:
        lock.release()
