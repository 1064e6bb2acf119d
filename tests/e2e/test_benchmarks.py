"""The benchmark runs, at a tiny scale, so that it cannot rot (issue 13)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from balint_reports.cli import main as cli

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_measures_every_target_at_a_tiny_scale(tmp_path: Path) -> None:
    numbers = tmp_path / "numbers.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--rows",
            "400",
            "--trainees",
            "30",
            "--start-repeat",
            "1",
            "--scales",
            "200,400",
            "--data",
            str(tmp_path / "data"),
            "--json",
            str(numbers),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(numbers.read_text(encoding="utf-8"))
    for name in ("cold / floor", "warm / cold", "peak memory GiB", "--help s", "sample inbox s"):
        assert results[name] > 0, name
        assert name in done.stdout
    # the command's own --help and every subcommand's, whichever commands there are now
    assert set(results["help per command"]) == {"", *cli.commands}
    assert results["stages"]["read_inbox"] > 0
    # each number is shown with the machine's load when it was measured
    assert set(results["load"]) == {"floor s", "cold s", "warm s", "stages", "warm stages"}
    assert "(load " in done.stdout
    assert [int(rows) for rows in results["scaling"]] == [200, 400]
    # the generated inbox is the federation's shape: registers, supervision, portfolio and
    # attendance workbooks with a title row above the team's headings
    inbox = Path(results["inbox"])
    assert sorted(p.name for p in inbox.glob("*.xlsx"))[:2] == [
        "attendance-000.xlsx",
        "attendance-001.xlsx",
    ]
    assert {"registers.xlsx", "supervision.xlsx", "portfolio.xlsx"} <= {
        p.name for p in inbox.iterdir()
    }
