"""Write a large fictional inbox for benchmarks: N attendance rows over many trainees.

Usage:
    python benchmarks/generate.py OUT_DIR [--rows 1000000] [--trainees 2000] [--files 20]
                                          [--format csv|xlsx|mixed]
    python benchmarks/generate.py OUT_DIR --preset federation [--rows 100000]

The `federation` preset is the inbox issue 13 measures: 5,000 trainees and 333 leaders in a
registers workbook, 1,000,000 attendance rows in 200 `.xlsx` workbooks (a title row above
team-style headings, trainees written by id or by name, real date cells and day-first text),
100,000 supervision rows and 25,000 portfolio rows in workbooks of their own. `--rows` scales
its attendance (and, in proportion, supervision and portfolio) rows.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
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
FORMATS = ("csv", "xlsx", "mixed")
START = dt.date(2020, 1, 1)


@dataclass(frozen=True)
class Shape:
    """What an inbox holds: how many rows of each kind, in how many files of which format."""

    rows: int = 1_000_000
    trainees: int = 2000
    leaders: int = 40
    files: int = 20
    format: str = "csv"
    supervision: int | None = None  # None: five per trainee
    portfolio: int | None = None  # None: three per trainee
    team_headings: bool = False  # a title row, then headings as the team writes them
    seed: int = 7


PRESETS = {
    "federation": Shape(
        rows=1_000_000,
        trainees=5000,
        leaders=333,
        files=200,
        format="xlsx",
        supervision=100_000,
        portfolio=25_000,
        team_headings=True,
    ),
}


def preset(name: str, rows: int | None = None) -> Shape:
    """A named shape, its activity rows scaled to `rows` when given."""
    shape = PRESETS[name]
    if rows is None or rows == shape.rows:
        return shape
    scale = rows / shape.rows
    return replace(
        shape,
        rows=rows,
        supervision=max(1, round((shape.supervision or 0) * scale)),
        portfolio=max(1, round((shape.portfolio or 0) * scale)),
        files=max(1, min(shape.files, rows // 50)),
    )


def _write(path: Path, title: str | None, header: list[str], rows: list[list]) -> None:
    """One table to a CSV, or to a one-sheet workbook (optionally with a title row above)."""
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(
                [f"{v:%d/%m/%Y}" if isinstance(v, dt.date) else v for v in row] for row in rows
            )
        return
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(path.stem.split("-")[0].title())
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)


def _registers(out: Path, shape: Shape, rng: random.Random) -> None:
    book = openpyxl.Workbook(write_only=True)
    register = book.create_sheet("Trainees")
    if shape.team_headings:
        register.append(["Trainee register (exported from the membership system)"])
        register.append(
            [
                "Member ID",
                "Full name",
                "E-mail",
                "Psychodynamic training",
                "Registered on pathway",
                "Supervisor",
                "Ready to apply",
                "Report received",
            ]
        )
    else:
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
    for i in range(shape.trainees):
        register.append(
            [
                f"T{i:05}",
                f"Trainee Number{i}",
                f"t{i}@example.org",
                rng.choice(["yes", "no", ""]),
                dt.date(2020 + i % 6, 1 + i % 12, 1),
                f"L{i % shape.leaders:03}",
                rng.choice(["yes", ""]),
                None,
            ]
        )
    leaders = book.create_sheet("Leaders")
    if shape.team_headings:
        leaders.append(["Leader ID", "Leader name", "Accredited leader", "Experienced supervisor"])
    else:
        leaders.append(["leader_id", "name", "accredited", "supervision_experience"])
    for i in range(shape.leaders):
        leaders.append([f"L{i:03}", f"Leader Number{i}", "yes", "yes" if i % 3 else "no"])
    book.save(out / "registers.xlsx")


def _attendance_file(out: Path, shape: Shape, f: int, rows: int) -> None:
    """One attendance file; its own seed, so files can be written in any order, in parallel."""
    rng = random.Random(shape.seed * 100_003 + f)
    suffix = shape.format if shape.format != "mixed" else ("xlsx", "csv")[f % 2]
    # A quarter of the workbooks hold dates as day-first text, as some exports do.
    text_dates = suffix == "xlsx" and f % 4 == 3
    body = []
    for r in range(rows):
        trainee = rng.randrange(shape.trainees)
        day = START + dt.timedelta(days=rng.randrange(2500))
        activity = rng.choice(ACTIVITIES)
        body.append(
            [
                f"T{trainee:05}" if r % 5 else f"Trainee Number{trainee}",
                f"{day:%d/%m/%Y}" if text_dates else day,
                activity,
                1 + r % 2,
                f"group {trainee % 300} {r % 7}",
                rng.choice(SETTINGS),
                f"L{rng.randrange(shape.leaders):03}" if "co" in activity else "",
            ]
        )
    if shape.team_headings:
        header = [
            "Participant",
            "Session date",
            "Attended as",
            "No of sessions",
            "Group name",
            "Venue type",
            "Co-leader",
        ]
        title = f"Balint group register {f} (please keep one row per person per meeting)"
    else:
        header = ["trainee", "date", "activity", "sessions", "event", "setting", "co-leader"]
        title = None
    _write(out / f"attendance-{f:03}.{suffix}", title, header, body)


def generate(
    out: Path,
    rows: int | Shape = 1_000_000,
    trainees: int = 2000,
    files: int = 20,
    seed: int = 7,
    format: str = "csv",
) -> None:
    """A registers workbook, supervision and portfolio files, and attendance files.

    Pass a `Shape` (e.g. `preset("federation")`) as `rows`, or the plain numbers.
    """
    shape = (
        rows
        if isinstance(rows, Shape)
        else Shape(rows=rows, trainees=trainees, files=files, seed=seed, format=format)
    )
    rng = random.Random(shape.seed)
    out.mkdir(parents=True, exist_ok=True)
    _registers(out, shape, rng)
    per_file = [shape.rows // shape.files] * shape.files
    per_file[-1] += shape.rows - sum(per_file)
    workers = min(os.cpu_count() or 1, 4)
    with ProcessPoolExecutor(workers) as pool:
        list(
            pool.map(
                _attendance_file,
                [out] * shape.files,
                [shape] * shape.files,
                range(shape.files),
                per_file,
            )
        )
    side = "csv" if shape.format == "csv" else "xlsx"
    supervision = []
    for i in range(shape.trainees * 5 if shape.supervision is None else shape.supervision):
        day = START + dt.timedelta(days=rng.randrange(2500))
        supervision.append(
            [f"T{i % shape.trainees:05}", f"L{i % shape.leaders:03}", day, 1.5, 1 + i % 3]
        )
    _write(
        out / f"supervision.{side}",
        "Supervision log" if shape.team_headings else None,
        ["supervisee", "supervisor", "session date", "duration", "number of trainees"]
        if shape.team_headings
        else ["trainee", "supervisor", "date", "hours", "trainees_present"],
        supervision,
    )
    signed = dt.date(2024, 6, 1)
    portfolio = [
        [f"T{i % shape.trainees:05}", 1 + i % 5, signed]
        for i in range(shape.trainees * 3 if shape.portfolio is None else shape.portfolio)
    ]
    _write(
        out / f"portfolio.{side}",
        "Portfolio sign-offs" if shape.team_headings else None,
        ["trainee", "competency", "date signed off"]
        if shape.team_headings
        else ["trainee", "competency", "signed_off"],
        portfolio,
    )


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--preset", choices=sorted(PRESETS))
    parser.add_argument("--rows", type=int, help="attendance rows (default 1,000,000)")
    parser.add_argument("--trainees", type=int, default=2000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--format", choices=FORMATS, default="csv")
    args = parser.parse_args()
    if args.preset:
        generate(args.out, preset(args.preset, args.rows))
    else:
        rows = args.rows or 1_000_000
        generate(args.out, rows, args.trainees, args.files, format=args.format)


if __name__ == "__main__":
    main()
