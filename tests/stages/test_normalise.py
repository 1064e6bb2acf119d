"""normalise: a sheet's header row and kind, and its cells as typed columns."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from balint_reports.config import Config
from balint_reports.issues import IssueLog
from balint_reports.normalise import _parser_for, classify
from balint_reports.schema import PARSED_TYPES, Column, ValueType

from .helpers import raw_sheet, table_of


def test_header_below_a_title_row_and_rows_keep_their_spreadsheet_numbers() -> None:
    log = IssueLog()
    kind, table = table_of(
        [
            ["Thursday group, autumn 2026"],
            ["Participant", "Session date", "Role", "Sessions"],
            ["Ann Able", "05/03/2026", "co-leader", 2],
            [None, None, None, None],
            ["Ann Able", dt.datetime(2026, 3, 12), "Co-Lead", None],
        ],
        log,
    )
    assert kind == "attendance"
    assert table["_row"].tolist() == [3, 5]  # blank row 4 is not a row at all
    assert table["date"].tolist() == [pd.Timestamp(2026, 3, 5), pd.Timestamp(2026, 3, 12)]
    assert table["activity"].tolist() == ["co_leader", "co_leader"]
    assert table["sessions"].tolist() == [2, 1]  # blank means the default
    assert log.frame().empty


def test_a_bad_cell_is_an_issue_with_its_code_and_place_not_an_exception() -> None:
    log = IssueLog()
    _, table = table_of(
        [["trainee", "date", "activity"], ["Ann Able", "31/02/2026", "juggling"]], log
    )
    issues = log.frame().set_index("code")
    assert set(issues.index) == {"invalid_date", "invalid_vocab"}
    assert issues.loc["invalid_date", "row"] == 2
    assert issues.loc["invalid_date", "value"] == "31/02/2026"
    assert issues.loc["invalid_vocab", "column"] == "activity"
    assert (issues["severity"] == "error").all()
    assert len(table) == 1  # kept, and rejected later because of the errors


def test_a_row_of_totals_is_one_issue_not_a_name_nobody_has_and_empty_columns() -> None:
    # A register's last row: "Total" (or "Total sessions", "Sum") and numbers only. A row with
    # a label like it and other words is not one: each of its problems is said as before.
    log = IssueLog()
    _, table = table_of(
        [
            ["Participant", "Session date", "Role", "Sessions"],
            ["Ann Able", "05/03/2026", "member", 2],
            ["Total sessions", None, None, 2],
            [None, "TOTAL", None, "2"],
            ["Sum", None, "member", 3],
        ],
        log,
    )
    issues = log.frame()
    totals = issues[issues["code"] == "totals_row"]
    assert totals[["row", "column", "value"]].values.tolist() == [
        [3, "trainee", "Total sessions"],
        [4, "date", "TOTAL"],
    ]
    assert totals["problem"].tolist()[0] == (
        "a row of totals ('Total sessions' and numbers), not a record, so it is not counted: "
        "to stop this message, delete the row or keep totals on a sheet of their own"
    )
    assert set(issues.loc[issues["row"].isin([3, 4]), "code"]) == {"totals_row"}
    assert set(issues.loc[issues["row"] == 5, "code"]) == {"required_missing"}
    # kept, to be rejected by their error, naming no one
    assert table["trainee"].fillna("").tolist() == ["Ann Able", "", "", "Sum"]


def test_a_sheet_that_fits_no_kind_says_why() -> None:
    found = classify(raw_sheet([["Shopping list"], ["milk", "eggs"]]), Config())
    assert found.match is None and found.near_miss is None and not found.tied
    assert found.not_used() == ("no_header", {"search_rows": 10})


def test_a_row_of_one_cell_lacking_a_required_column_is_one_issue_not_one_per_column() -> None:
    # A group leader's totals line, a comment in an unused column, a name with nothing else:
    # each is one error naming what it lacks by the sheet's own headings. A row with two cells
    # is a record half filled in, and each gap is said as before.
    log = IssueLog()
    _, table = table_of(
        [
            ["Participant", "Session date", "Role", "Comments"],
            ["Ann Able", "05/03/2026", "member", ""],
            ["Total sessions: 1", None, None, None],
            [None, None, None, "snowed off, no session"],
            ["Ann Able", "12/03/2026", None, None],
        ],
        log,
    )
    issues = log.frame()
    lone = issues[issues["code"] == "lone_cell"]
    assert lone[["row", "column", "value"]].values.tolist() == [
        [3, "trainee", "Total sessions: 1"],
        [4, "Comments", "snowed off, no session"],
    ]
    assert lone["problem"].tolist()[0] == (
        "the row holds only 'Total sessions: 1', with nothing under Session date (B) and "
        "Role (C), so it is not counted: if it is a note (a total, a comment), delete the "
        "row; if it is a record, fill it in"
    )
    assert (
        "with nothing under Participant (A), Session date (B) and Role (C)"
        in (lone["problem"].tolist()[1])
    )
    others = issues[(issues["code"] != "lone_cell") & (issues["severity"] == "error")]
    assert others[["row", "code", "column"]].values.tolist() == [
        [5, "required_missing", "activity"]
    ]
    # the lone rows are kept, to be rejected by their error, and hold no one's name
    assert table["_row"].tolist() == [2, 3, 4, 5]
    assert table["trainee"].fillna("").tolist() == ["Ann Able", "", "", "Ann Able"]


@pytest.mark.parametrize("value_type", ValueType)
def test_only_the_parsed_types_can_find_a_cell_unreadable(value_type: ValueType) -> None:
    # Each of PARSED_TYPES has an `invalid_<type>` issue code; any other type must have none.
    column = Column("x", value_type, vocabulary="activity")
    _, problem = _parser_for(column, Config())("-- not a value --")
    assert (problem is not None) == (value_type in PARSED_TYPES)
