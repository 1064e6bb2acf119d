"""Write a large fictional inbox for benchmarks: N attendance rows over many trainees.

Usage: python benchmarks/generate.py OUT_DIR [--rows 1000000] [--trainees 2000] [--files 20]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from pathlib import Path

import openpyxl

ACTIVITIES = [
    "member",
    "member",
    "member",
    "weekend member",
    "co-leader",
    "lead",
    "leadership weekend",
    "leadership day",
]
SETTINGS = ["GP training scheme", "hospital", "university", "Balint weekend"]


def generate(out: Path, rows: int, trainees: int, files: int, seed: int = 7) -> None:
    """A registers workbook, supervision and portfolio CSVs, and `files` attendance CSVs."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook(write_only=True)
    register = book.create_sheet("Trainees")
    register.append(
        [
            "trainee_id",
            "name",
            "email",
            "psychodynamic_training",
            "registered",
            "supervisor",
            "feels_ready",
            "reference_received",
        ]
    )
    for i in range(trainees):
        register.append(
            [
                f"T{i:05}",
                f"Trainee Number{i}",
                f"t{i}@example.org",
                rng.choice(["yes", "no", ""]),
                dt.date(2020 + i % 6, 1 + i % 12, 1),
                f"L{i % 40:03}",
                rng.choice(["yes", ""]),
                None,
            ]
        )
    leaders = book.create_sheet("Leaders")
    leaders.append(["leader_id", "name", "accredited", "supervision_experience"])
    for i in range(40):
        leaders.append([f"L{i:03}", f"Leader Number{i}", "yes", "yes" if i % 3 else "no"])
    book.save(out / "registers.xlsx")

    start = dt.date(2020, 1, 1)
    per_file = rows // files
    for f in range(files):
        with (out / f"attendance-{f:03}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["trainee", "date", "activity", "sessions", "event", "setting", "co-leader"]
            )
            for r in range(per_file):
                trainee = rng.randrange(trainees)
                day = start + dt.timedelta(days=rng.randrange(2500))
                activity = rng.choice(ACTIVITIES)
                writer.writerow(
                    [
                        f"T{trainee:05}" if r % 5 else f"Trainee Number{trainee}",
                        f"{day:%d/%m/%Y}",
                        activity,
                        1 + r % 2,
                        f"group {trainee % 300} {r % 7}",
                        rng.choice(SETTINGS),
                        f"L{rng.randrange(40):03}" if "co" in activity else "",
                    ]
                )
    with (out / "supervision.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["trainee", "supervisor", "date", "hours", "trainees_present"])
        for i in range(trainees * 5):
            day = start + dt.timedelta(days=rng.randrange(2500))
            writer.writerow(
                [f"T{i % trainees:05}", f"L{i % 40:03}", f"{day:%d/%m/%Y}", 1.5, 1 + i % 3]
            )
    with (out / "portfolio.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["trainee", "competency", "signed_off"])
        for i in range(trainees * 3):
            writer.writerow([f"T{i % trainees:05}", 1 + i % 5, "01/06/2024"])


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--trainees", type=int, default=2000)
    parser.add_argument("--files", type=int, default=20)
    args = parser.parse_args()
    generate(args.out, args.rows, args.trainees, args.files)


if __name__ == "__main__":
    main()
