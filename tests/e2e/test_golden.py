"""Golden letters and digests: the sample inbox's plain-text letters, checked in as expected text.

Any change to what a trainee or a supervisor reads shows as a diff of tests/e2e/golden/ to review.
After a deliberate wording change, rewrite them and read the diff as the reader would:

    BALINT_UPDATE_GOLDEN=1 .venv/bin/pytest tests/e2e/test_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..conftest import run_report

SAMPLE = Path(__file__).parent.parent.parent / "sample_data"
GOLDEN = Path(__file__).parent / "golden"
# The cases of sample_data/README.md's next-step table, and the supervisors of most of them.
LETTERS = ("T03", "T04", "T07", "T09", "T11", "T15", "T16", "T18", "T20")
DIGESTS = ("L01", "L02", "L05")
UPDATE = os.environ.get("BALINT_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("golden") / "out"
    run_report(SAMPLE, out)
    return out / "2026-11"


@pytest.mark.parametrize(
    "path",
    [f"letters/{t}.txt" for t in LETTERS] + [f"digests/{leader}.txt" for leader in DIGESTS],
)
def test_golden(written: Path, path: str) -> None:
    actual = (written / path).read_text(encoding="utf-8")
    expected_file = GOLDEN / path
    if UPDATE:
        expected_file.parent.mkdir(parents=True, exist_ok=True)
        expected_file.write_text(actual, encoding="utf-8")
    assert expected_file.is_file(), f"{expected_file} is missing: run with BALINT_UPDATE_GOLDEN=1"
    assert actual == expected_file.read_text(encoding="utf-8"), (
        f"{path} differs from tests/e2e/golden/{path}: if the change is meant, rewrite the golden "
        "files with BALINT_UPDATE_GOLDEN=1 and review the diff"
    )
