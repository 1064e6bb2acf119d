"""How fast each well-kept .xlsx writer writes a summary the size of the federation's.

    pip install xlsxwriter        # only for this comparison; the package does not need it
    python benchmarks/writers.py [--rows 47000]

Writes the same rows (text, numbers, dates, blanks; a bold header, frozen first row, filter
and column widths on each sheet: the formatting the summary uses today) with openpyxl's
write-only mode (what render.py uses, with lxml) and with xlsxwriter's constant-memory mode,
and prints the best of three times for each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

COLUMNS = ["Severity", "File", "Sheet", "Row", "Column", "Value", "Problem"]


def rows(count: int) -> list[list]:
    """Rows shaped like the Data issues and Requirements sheets."""
    day = dt.date(2026, 11, 30)
    return [
        [
            "Warning",
            f"attendance-{i % 200:03}.xlsx",
            "Attendance",
            i + 2,
            "date" if i % 3 else None,
            f"{day - dt.timedelta(days=i % 900):%Y-%m-%d}",
            f"same as attendance-{i % 200:03}.xlsx, Attendance, row {i}: counted once",
        ]
        for i in range(count)
    ]


def with_openpyxl(path: Path, data: list[list]) -> None:
    """openpyxl, write-only, as render.py writes the summary."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Data issues")
    for i in range(len(COLUMNS)):
        sheet.column_dimensions[get_column_letter(i + 1)].width = 20
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:G{len(data) + 1}"
    bold = Font(bold=True)
    header = []
    for name in COLUMNS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in data:
        sheet.append(row)
    book.save(path)


def with_xlsxwriter(path: Path, data: list[list]) -> None:
    """xlsxwriter, constant memory, with the same formatting."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("Data issues")
    sheet.set_column(0, len(COLUMNS) - 1, 20)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(data), len(COLUMNS) - 1)
    sheet.write_row(0, 0, COLUMNS, book.add_format({"bold": True}))
    for r, row in enumerate(data, start=1):
        sheet.write_row(r, 0, row)
    book.close()


def main() -> None:
    """Time both writers on the same rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=47_000)
    args = parser.parse_args()
    data = rows(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        for name, write in (("openpyxl", with_openpyxl), ("xlsxwriter", with_xlsxwriter)):
            times = []
            for attempt in range(3):
                began = time.process_time()
                write(Path(folder) / f"{name}-{attempt}.xlsx", data)
                times.append(time.process_time() - began)
            print(f"{name:<11} {min(times):.2f} s CPU for {args.rows:,} rows")


if __name__ == "__main__":
    main()
