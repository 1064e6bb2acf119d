"""Data issues: problems in the team's spreadsheets, kept as values, never raised.

Each issue has a stable `code` (what kind of problem, whatever its wording), the place it is
about (file, sheet, row, column, value) and the words for the team (`problem`), worded from the
code's template in issue_text.py, which may name other people (a suggested match): a
supervisor's digest words an issue from its code and fields instead. Once a run has resolved
its people, each issue about a row also says which trainee or leader it concerns and what
became of the row (its outcome).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .issue_text import IssueTextError, has_shared_case, shared_case, team_text, team_texts
from .model import SEVERITY_ORDER

# The Data issues sheet's columns (docs/contract.md#outputs), in order.
ISSUE_COLUMNS = ["severity", "file", "sheet", "row", "column", "value", "problem"]
# Every field an issue of a finished run has, in order: RunResult.issues is built from it.
# `shared`: the problem in words that name nobody but the row's own person (no suggested
# match), for words that leave the team: feedback to a sender, an evidence statement.
# `heading`: the column as the sheet shows it ("Date of session (B)"), what the team's views
# print under Column; `column` keeps our name for it, which progress.json and history use.
ISSUE_FIELDS = [
    "code",
    *ISSUE_COLUMNS,
    "shared",
    "trainee_id",
    "leader_id",
    "outcome",
    "heading",
]
NO_ROW = -1  # an issue about a file or sheet, not about one data row


class IssueLog:
    """Collects issues one at a time or a whole column's worth at once.

    Each issue may carry the run-wide id of the data row it is about (`rid`), which is how
    an error decides that a row is rejected.
    """

    def __init__(self) -> None:
        self._single: list[dict] = []
        self._frames: list[pd.DataFrame] = []

    def add(
        self,
        severity: str,
        file: str,
        sheet: str,
        *,
        code: str,
        case: str = "",
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
        rid: int = NO_ROW,
        **fields: object,
    ) -> None:
        """Record one issue; `code` names its kind stably (snake_case), and its words come from
        the code's template (issue_text.py) filled with `fields`, `column` and `value`."""
        own = {"file": file, "sheet": sheet, "column": column, "value": value}
        given = {name: v for name, v in own.items() if v is not None}
        problem = team_text(code, case, {**given, **fields})
        if has_shared_case(code):
            shared = team_text(code, str(shared_case(code, case)), {**given, **fields})
        else:
            shared = problem
        self._single.append(
            {
                "code": code,
                "severity": severity,
                "file": file,
                "sheet": sheet,
                "row": row,
                "column": column or "",
                "value": value or "",
                "problem": problem,
                "shared": shared,
                "rid": rid,
            }
        )

    def add_rows(
        self,
        severity: str,
        rows: pd.DataFrame,
        column: str,
        values: pd.Series,
        *,
        code: str,
        case: str | pd.Series | np.ndarray = "",
        **fields: object,
    ) -> None:
        """Record one issue per row of `rows` (which carries `_file`, `_sheet`, `_row`, `_rid`).

        A field (or the case) given as a Series or array holds one value per row, in order;
        any other value is the same for every row.
        """
        if rows.empty:
            return
        shown = values.astype(object).fillna("").astype(str).to_numpy()
        per_row = {
            name: _per_row(name, v, len(rows)) if isinstance(v, pd.Series | np.ndarray) else v
            for name, v in fields.items()
        }
        cases = case if isinstance(case, str) else _per_row("case", case, len(rows))
        words = {"column": column, "value": shown, **per_row}
        problems = team_texts(code, cases, words, len(rows))
        shared = (
            team_texts(code, shared_case(code, cases), words, len(rows))
            if has_shared_case(code)
            else problems
        )
        self._frames.append(
            pd.DataFrame(
                {
                    "code": code,
                    "severity": severity,
                    "file": rows["_file"].to_numpy(),
                    "sheet": rows["_sheet"].to_numpy(),
                    "row": rows["_row"].to_numpy(),
                    "column": column,
                    "value": shown,
                    "problem": problems,
                    "shared": shared,
                    "rid": rows["_rid"].to_numpy(),
                }
            )
        )

    def absorb(self, issues: pd.DataFrame, rid_offset: int) -> None:
        """Take in another log's `frame()`, its row ids shifted into this run's numbering."""
        if issues.empty:
            return
        shifted = issues["rid"].where(issues["rid"] == NO_ROW, issues["rid"] + rid_offset)
        self._frames.append(issues.assign(rid=shifted))

    def frame(self) -> pd.DataFrame:
        """All issues so far, sorted by severity, file, sheet and row."""
        parts = [pd.DataFrame(self._single)] if self._single else []
        parts += self._frames
        if not parts:
            return pd.DataFrame(columns=["code", *ISSUE_COLUMNS, "shared", "rid"])
        issues = pd.concat(parts, ignore_index=True)
        issues["row"] = issues["row"].astype("Int64")
        issues["_order"] = issues["severity"].map(SEVERITY_ORDER)
        issues = issues.sort_values(
            ["_order", "file", "sheet", "row"], kind="stable", na_position="first"
        )
        return issues.drop(columns="_order").reset_index(drop=True)

    def error_rids(self) -> set[int]:
        """Ids of the data rows that at least one error issue is about."""
        rids: set[int] = {i["rid"] for i in self._single if i["severity"] == "error"}
        for frame in self._frames:
            rids.update(frame.loc[frame["severity"] == "error", "rid"].tolist())
        rids.discard(NO_ROW)
        return rids


def _per_row(name: str, values: pd.Series | np.ndarray, rows: int) -> np.ndarray:
    """A field's values, one per row, in order, as an object array."""
    found = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
    if len(found) != rows:
        raise IssueTextError(f"field {name} has {len(found)} values for {rows} rows")
    return np.asarray(found, dtype=object)


def _wrap(text: str, width: int) -> list[str]:
    """A cell's text in lines of at most `width`, broken at spaces or `/` where it can be."""
    if len(text) <= width:
        return [text]
    lines: list[str] = []
    while len(text) > width:
        cut = max(text.rfind(" ", 0, width + 1), text.rfind("/", 0, width) + 1)
        cut = cut if cut > 0 else width
        lines.append(text[:cut].rstrip())
        text = text[cut:].lstrip(" ")
    return [*lines, text] if text else lines


def issue_table(issues: pd.DataFrame, width: int = 40) -> str:
    """Issues as a plain-text table for a terminal; long cells wrap onto more lines, whole."""
    header = ["severity", "file", "sheet", "row", "column", "value"]
    records = issues.to_dict("records")
    shown = {c: c for c in header} | ({"column": "heading"} if "heading" in issues else {})
    cells = [
        [
            # A path in a sub-folder is usually longer than other cells: most fit on one line.
            _wrap(
                "" if r[shown[c]] is None or r[shown[c]] is pd.NA else str(r[shown[c]]),
                width + 20 * (c == "file"),
            )
            for c in header
        ]
        for r in records
    ]
    widths = [
        max([len(h)] + [len(line) for row in cells for line in row[i]])
        for i, h in enumerate(header)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + "  problem"]
    for row, record in zip(cells, records, strict=True):
        for depth in range(max(len(cell) for cell in row)):
            parts = [
                (cell[depth] if depth < len(cell) else "").ljust(w)
                for cell, w in zip(row, widths, strict=True)
            ]
            problem = f"  {record['problem']}" if depth == 0 else ""
            lines.append(("  ".join(parts) + problem).rstrip())
    return "\n".join(lines)
