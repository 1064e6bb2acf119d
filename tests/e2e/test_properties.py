"""Property tests: the cell parsers never raise, and no row is ever lost."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from balint_reports.config import Config
from balint_reports.issues import IssueLog
from balint_reports.pipeline import validate_inbox
from balint_reports.ruleset import load_rulesets
from balint_reports.schema import KINDS
from balint_reports.values import (
    fold,
    fold_name,
    is_blank,
    name_keys,
    parse_date,
    parse_number,
    parse_yesno,
)

from ..conftest import TRAINEE_HEADER, trainee_row, write_csv, write_xlsx

cells = st.one_of(
    st.text(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.datetimes(),
    st.dates(),
)


@given(cells)
def test_parsers_never_raise(cell: object) -> None:
    for parser in (parse_date, parse_yesno):
        value, problem = parser(cell)
        assert value is None or problem is None
    parse_number(cell, whole=True)
    parse_number(cell, whole=False)
    fold(cell)
    fold_name(cell)
    name_keys(cell)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_dates_are_always_day_first(day: dt.date) -> None:
    for text in (
        f"{day.day:02}/{day.month:02}/{day.year}",
        f"{day.day}-{day.month}-{day.year}",
        f"{day.day}.{day.month}.{day.year % 100:02}",
        f"{day.day} {day:%B %Y}",
        f"{day.day} {day:%b %Y}",
        day.isoformat(),
    ):
        assert parse_date(text) == (day, None), text


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_a_day_of_the_week_before_a_date_must_be_its_own(day: dt.date) -> None:
    # "Sat 5 Dec 2026", as a weekend's register of its days has it: read when Saturday is
    # right, an error naming the real day when it is not.
    assert parse_date(f"{day:%a} {day.day} {day:%b %Y}") == (day, None)
    assert parse_date(f"{day:%A}, {day.day:02}/{day.month:02}/{day.year}") == (day, None)
    other = day + dt.timedelta(days=1)
    value, problem = parse_date(f"{other:%a} {day.day} {day:%B %Y}")
    assert value is None
    assert problem == (
        f"'{other:%a} {day.day} {day:%B %Y}': {day.day} {day:%B %Y} is a {day:%A}, not a "
        f"{other:%A}: correct the day of the week or the date"
    )


@given(st.text())
def test_unparseable_text_is_never_a_date_and_says_why(text: str) -> None:
    value, problem = parse_date(text)
    assert (value is None) == (problem is not None) or not text.strip()


NAMES = ["T1", "Jane Smith", "smith, jane", "Nobody", "", "T2", "Bob Jones", "jane smyth"]
DATES = ["05/03/2025", "31/02/2025", "2025-03-05", "", "05/03/2030", "tomorrow", "1.2.25"]
ACTIVITIES = ["member", "co-leader", "lead", "leadership weekend", "dancing", ""]
EVENTS = ["", "Tuesday", "tuesday", "Oxford weekend"]
SESSIONS = ["", "1", "2", "0", "x", "1.5"]
attendance_rows = st.lists(
    st.tuples(*(st.sampled_from(pool) for pool in (NAMES, DATES, ACTIVITIES, EVENTS, SESSIONS))),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attendance_rows, attendance_rows, st.booleans())
def test_every_row_is_counted_and_every_rejected_row_says_why(
    first: list[tuple], second: list[tuple], as_xlsx: bool
) -> None:
    header = ["trainee", "date", "activity", "event", "sessions"]
    with tempfile.TemporaryDirectory() as folder:
        inbox = Path(folder)
        write_xlsx(
            inbox / "registers.xlsx",
            {
                "Trainees": [
                    TRAINEE_HEADER,
                    trainee_row("T1", "Jane Smith", psychodynamic_training="no"),
                    trainee_row("T2", "Bob Jones"),
                ]
            },
        )
        write_csv(inbox / "a.csv", [header, *first])
        if as_xlsx:
            write_xlsx(inbox / "b.xlsx", {"Sheet1": [["A title"], header, *second]})
        else:
            write_csv(inbox / "b.csv", [header, *second], sep=";")
        log = IssueLog()
        report = validate_inbox(inbox, dt.date(2026, 11, 30), Config(), load_rulesets(()), log)
        issues = log.frame()

    # rows_read is the sum of the outcomes, so compare it with the rows actually written.
    read = dict(zip(report.sources["file"], report.sources["rows_read"], strict=True))
    assert read["a.csv"] == sum(1 for row in first if any(row))
    assert read["b.xlsx" if as_xlsx else "b.csv"] == sum(1 for row in second if any(row))

    errors = issues[issues["severity"] == "error"]
    flagged = set(zip(errors["file"], errors["sheet"], errors["row"], strict=True))
    rows = report.rows["attendance"]
    for row in rows.loc[rows["_outcome"] == "rejected"].to_dict("records"):
        assert (row["_file"], row["_sheet"], row["_row"]) in flagged


HEADERS = sorted(
    {text for kind in KINDS for column in kind.columns for text in (column.name, *column.aliases)}
    | {"Notes", "", "Total"}
)
ODD_CELLS = st.one_of(
    st.sampled_from(
        [
            "T1",
            "T2",
            "Jane Smith",
            "L1",
            "Ann Leader",
            "yes",
            "no",
            "member",
            "co-leader",
            "leadership day",
            "05/03/2025",
            "31/02/2025",
            "2030-01-01",
            "1",
            "0",
            "-3",
            "2.5",
            "=1+1",
            "  ",
            "\u00a0",
            "Smith, Jane, Dr",
            "safe_frame",
            "3",
            "zoom",
            "active",
            "withdrawn",
            "<b>x</b>",
        ]
    ),
    st.integers(-5, 40),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.none(),
    st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2030, 12, 31)),
    # Excel files cannot hold control characters, so openpyxl refuses to write them.
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
)
sheets = st.lists(
    st.tuples(
        st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8),
        st.lists(st.lists(ODD_CELLS, max_size=8), max_size=12),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets)
# found by hypothesis: a body row of `member` and two dates reads as a grid's heading row,
# with nothing below it, and then with a row below it
@example([([""], [["member", "05/03/2025", dt.date(2015, 1, 1)]])])
@example([([""], [["member", "05/03/2025", dt.date(2015, 1, 1)], ["Jane Smith", "x"]])])
def test_any_workbook_is_reported_not_raised(workbook: list[tuple[list, list]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        inbox = Path(folder)
        write_xlsx(
            inbox / "registers.xlsx",
            {
                "Trainees": [TRAINEE_HEADER, trainee_row("T1", "Jane Smith", supervisor="L1")],
                "Leaders": [["leader_id", "name", "accredited"], ["L1", "Ann Leader", "yes"]],
            },
        )
        write_xlsx(
            inbox / "random.xlsx",
            {f"S{i}": [header, *rows] for i, (header, rows) in enumerate(workbook)},
        )
        log = IssueLog()
        report = validate_inbox(inbox, dt.date(2026, 11, 30), Config(), load_rulesets(()), log)
        issues = log.frame()
    # Counted from what was written, not from the outcomes: a row lost before its outcome
    # was decided would show here. Rows count from below the heading row: the first, unless
    # the run found a grid's or a near miss's lower down (body cells can make either: `member`
    # and two dates), above which rows are titles.
    heading = {
        sheet: int(row)
        for sheet, code, row, file in zip(
            issues["sheet"], issues["code"], issues["row"], issues["file"], strict=True
        )
        if file == "random.xlsx" and code in ("grid_sheet", "near_miss_sheet")
    }
    written = {
        f"S{i}": sum(
            1
            for row in rows[heading.get(f"S{i}", 1) - 1 :]
            if not all(is_blank(cell) for cell in row)
        )
        for i, (_, rows) in enumerate(workbook)
    }
    for source in report.sources.to_dict("records"):
        if source["file"] != "random.xlsx":
            continue
        expected = 0 if source["kind"] == "ignored" else written[source["sheet"]]
        assert source["rows_read"] == expected, source
    errors = issues[issues["severity"] == "error"]
    flagged = set(zip(errors["file"], errors["sheet"], errors["row"], strict=True))
    for rows in report.rows.values():
        for row in rows.loc[rows["_outcome"] == "rejected"].to_dict("records"):
            assert (row["_file"], row["_sheet"], row["_row"]) in flagged
