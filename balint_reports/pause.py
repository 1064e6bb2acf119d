"""The hook a test passes to stop a read or a write at a named point: there it can kill the
process, fill the disk or change a file, and show what the program does about it."""

from __future__ import annotations

from collections.abc import Callable

# Called with the name of the point reached; each caller says which points it has.
Pause = Callable[[str], None]


def no_pause(point: str) -> None:
    """The pause of a real run: none."""
