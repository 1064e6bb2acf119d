"""What must hold on Windows too, tested here on Linux: file names Windows accepts, and OUT's
lock (the `filelock` library, which takes msvcrt's lock there and flock here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from balint_reports.errors import OutputError
from balint_reports.letters import file_stem
from balint_reports.lock import STARTED_NAME, locked


@pytest.mark.parametrize("person_id", ["CON", "con", "Nul", "PRN", "AUX", "COM1", "lpt9"])
def test_ids_that_windows_keeps_for_devices_get_another_file_name(person_id: str) -> None:
    stem = file_stem(person_id)
    assert stem.lower() != person_id.lower()
    assert person_id.lower() in stem.lower()  # still recognisable, with a hash of the id
    assert file_stem(person_id) == stem  # the same every month


@pytest.mark.parametrize("person_id", ["T1", "CONSTANCE", "COM", "NULL1", "T-01"])
def test_ordinary_ids_keep_their_own_name(person_id: str) -> None:
    assert file_stem(person_id) == person_id


@pytest.mark.parametrize("person_id", ["T 1.", "a/b", "x:y", 'q"r', "end ", "trailing."])
def test_file_names_hold_no_character_windows_refuses(person_id: str) -> None:
    stem = file_stem(person_id)
    # A `.` inside a name is fine on Windows (file_stem puts one before its hash on purpose);
    # a name ending in a dot or a space is not.
    assert not set(stem) & set('<>:"/\\|?* ')
    assert not stem.endswith((".", " "))


def test_a_second_holder_is_refused_with_when_the_first_started(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with locked(out):
        assert (out / STARTED_NAME).read_text(encoding="utf-8").startswith("20")
        with pytest.raises(OutputError) as refused, locked(out):
            pass
        assert "another balint-reports run is writing to this folder (started 20" in str(
            refused.value
        )
    with locked(out):  # released when the block ends
        pass


def test_the_lock_dies_with_a_killed_holder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\nfrom balint_reports.lock import locked\n"
            f"with locked(Path({str(out)!r})):\n    print('held', flush=True)\n    time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(OutputError), locked(out):
            pass
    finally:
        holder.kill()  # TerminateProcess on Windows, SIGKILL here: no clean-up runs
        holder.wait()
    assert (out / ".lock").exists()  # left behind, and stale
    with locked(out):
        pass
