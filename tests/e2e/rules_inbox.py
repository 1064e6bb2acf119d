"""Build a one-trainee inbox for the rule tests, run the CLI and read back what it wrote."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from balint_reports.labels import STATUS_WORDS, advice_words

from ..conftest import AS_OF, TRAINEE_HEADER, run_report, trainee_row, write_xlsx

ATTENDANCE = [
    "trainee",
    "date",
    "activity",
    "sessions",
    "days",
    "event",
    "setting",
    "co_leader",
    "format",
    "cases",
]
SUPERVISION = [
    "trainee",
    "supervisor",
    "date",
    "hours",
    "mode",
    "trainees_present",
    "co_leader_present",
]
PORTFOLIO = ["trainee", "competency", "signed_off", "signed_off_by"]
DECISIONS = ["trainee", "requirement", "decision", "reason", "decided_by", "date", "event"]

# L1 is an eligible supervisor; L2 and L3 each lack one of the two things that make one.
LEADERS = [
    ["leader_id", "name", "accredited", "supervision_experience"],
    ["L1", "Ann Leader", "yes", "yes"],
    ["L2", "Bob Accredited", "yes", "no"],
    ["L3", "Cat Novice", "no", "yes"],
    ["L4", "Dan Blank", "", ""],
]
OTHER_TRAINEE = trainee_row("T2", "Tom Other", psychodynamic_training="no")


def att(date: object, activity: str, **fields: object) -> dict[str, object]:
    """An attendance row for T1 (trainee overridable), the other columns blank unless given."""
    return {"trainee": "T1", "date": date, "activity": activity, **fields}


def sup(date: object, supervisor: str = "L1", **fields: object) -> dict[str, object]:
    """A supervision row for T1 with the given supervisor."""
    return {"trainee": "T1", "supervisor": supervisor, "date": date, **fields}


def comp(competency: object, date: object = "01/06/2025", **fields: object) -> dict[str, object]:
    """A portfolio sign-off for T1."""
    return {"trainee": "T1", "competency": competency, "signed_off": date, **fields}


def decide(requirement: str, decision: str, date: object = "01/06/2025", **fields: object) -> dict:
    """A decision of the leadership team about one of T1's requirements."""
    return {
        "trainee": "T1",
        "requirement": requirement,
        "decision": decision,
        "date": date,
        **fields,
    }


def _rows(header: list[str], rows: Sequence[dict[str, object]]) -> list[list[object]]:
    """The header, with any column a row names beyond it (a ruleset's own), then the rows."""
    header = list(dict.fromkeys([*header, *(column for row in rows for column in row)]))
    return [header] + [[row.get(column, "") for column in header] for row in rows]


@dataclass(frozen=True)
class Outcome:
    """What the run wrote about T1: progress.json, the Requirements/Advisories/Overview sheets."""

    progress: dict  # T1's entry in progress.json
    document: dict  # the whole of progress.json
    requirements: dict[str, dict]  # Requirements sheet rows for T1, by requirement id
    advisories: list[str]  # Advisories sheet advice (in words) for T1
    overview: dict  # Overview sheet row for T1, by the sheet's headings
    book: dict[str, list[dict]]  # every table sheet of summary.xlsx, rows as dicts
    letter: str  # T1's plain-text letter

    def requirement(self, requirement_id: str) -> tuple[str, object, object]:
        """(status, achieved, target) of a requirement, checking the JSON and the sheet agree."""
        data = self.progress["requirements"][requirement_id]
        row = self.requirements[requirement_id]
        assert (row["Status"], row["Achieved"], row["Target"], row["Detail"]) == (
            STATUS_WORDS[data["status"]],
            data["achieved"],
            data["target"],
            data["detail"],
        )
        return data["status"], data["achieved"], data["target"]

    def advice(self) -> list[str]:
        """T1's advice codes, checking the JSON and the Advisories sheet agree."""
        assert self.advisories == [advice_words(c) for c in self.progress["advisories"]]
        return self.progress["advisories"]


def _sheet(book: openpyxl.Workbook, title: str) -> list[dict]:
    rows = list(book[title].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def table_sheets(path: Path) -> dict[str, list[dict]]:
    """Every sheet of a summary.xlsx but About (which is not a table), rows by heading."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {title: _sheet(book, title) for title in book.sheetnames if title != "About"}
    finally:
        book.close()  # a read-only workbook keeps its file open until closed


def run_rules(
    tmp_path: Path,
    trainee: dict[str, object] | None = None,
    attendance: Sequence[dict[str, object]] = (),
    supervision: Sequence[dict[str, object]] = (),
    portfolio: Sequence[dict[str, object]] = (),
    as_of: str = AS_OF,
    decisions: Sequence[dict[str, object]] = (),
    rules: Sequence[str | Path] = (),
    leaders: Sequence[Sequence[object]] = LEADERS,
) -> Outcome:
    """Write T1 (Jane Smith) with `trainee` register fields, plus the leaders and rows; run.

    `rules`: rulesets for --rules (files or built-in ids); a Decisions sheet only if given.
    A `trainee` field outside TRAINEE_HEADER (a ruleset's own column) gets a column of its own.
    """
    sheets = {"Decisions": _rows(DECISIONS, decisions)} if decisions else {}
    inbox = tmp_path / "inbox"
    write_xlsx(
        inbox / "inbox.xlsx",
        {
            "Trainees": _rows(
                TRAINEE_HEADER,
                [
                    {"trainee_id": "T1", "name": "Jane Smith", **(trainee or {})},
                    dict(zip(TRAINEE_HEADER, OTHER_TRAINEE, strict=True)),
                ],
            ),
            "Leaders": list(leaders),
            "Attendance": _rows(ATTENDANCE, attendance),
            "Supervision": _rows(SUPERVISION, supervision),
            "Portfolio": _rows(PORTFOLIO, portfolio),
            **sheets,
        },
    )
    out = tmp_path / "out"
    extra = [arg for spec in rules for arg in ("--rules", str(spec))]
    document = run_report(inbox, out, *extra, as_of=as_of)
    sheets = table_sheets(out / as_of[:7] / "summary.xlsx")
    letter = out / as_of[:7] / "letters" / "T1.txt"
    progress = next(t for t in document["trainees"] if t["trainee_id"] == "T1")
    # The sheet names requirements by title, in the order progress.json lists them.
    rows = [r for r in sheets["Requirements"] if r["Trainee ID"] == "T1"]
    assert len(rows) == len(progress["requirements"])
    return Outcome(
        progress=progress,
        document=document,
        requirements=dict(zip(progress["requirements"], rows, strict=True)),
        advisories=[a["Advice"] for a in sheets["Advisories"] if a["Trainee ID"] == "T1"],
        overview=next(r for r in sheets["Overview"] if r["Trainee ID"] == "T1"),
        book=sheets,
        letter=letter.read_text(encoding="utf-8") if letter.is_file() else "",
    )
