"""The wheel a user installs carries the letter templates and the built-in rulesets."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent


def test_wheel_ships_templates_and_rulesets(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("balint_reports-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "balint_reports" / "templates").iterdir():
        assert f"balint_reports/templates/{template.name}" in names
    for ruleset in (ROOT / "balint_reports" / "rulesets").glob("*.toml"):
        assert f"balint_reports/rulesets/{ruleset.name}" in names
