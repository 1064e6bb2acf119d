"""validate: each row's outcome, in the order rejected, future, duplicate, accepted."""

from __future__ import annotations

import pandas as pd

from balint_reports.addresses import non_ascii_letters
from balint_reports.issues import IssueLog
from balint_reports.validate import (
    OUTCOMES,
    set_outcomes,
    source_counts,
    warn_leading_alone_with_co_leader,
)

from .helpers import table_of

AS_OF = pd.Timestamp(2026, 11, 30)


def _attendance(log: IssueLog) -> pd.DataFrame:
    _, table = table_of(
        [
            ["trainee", "date", "activity", "event"],
            ["T1", "2026-03-05", "member", "Thursday group"],  # accepted
            ["T1", "2026-03-05", "member", "THURSDAY  group"],  # duplicate of row 2
            ["T1", "2026-12-05", "member", "Thursday group"],  # future
            ["T1", "2026-12-05", "member", "Thursday group"],  # future, not duplicate
            ["T1", "2026-13-05", "member", "Thursday group"],  # rejected: a bad date
        ],
        log,
        "group.csv",
    )
    return table


def test_outcomes_in_spec_order_with_one_issue_each() -> None:
    log = IssueLog()
    table = _attendance(log)
    set_outcomes(table, "attendance", AS_OF, log)
    assert table["_outcome"].tolist() == [
        "accepted",
        "duplicate",
        "future",
        "future",
        "rejected",
    ]
    codes = log.frame().groupby("row")["code"].apply(list).to_dict()
    assert codes == {
        3: ["duplicate_row"],
        4: ["future_row"],
        5: ["future_row"],
        6: ["invalid_date"],
    }


def test_every_row_read_is_counted_once_in_its_source() -> None:
    log = IssueLog()
    table = _attendance(log)
    set_outcomes(table, "attendance", AS_OF, log)
    sources = [{"file": "group.csv", "sheet": "Sheet1", "kind": "attendance", "sha256": "x"}]
    counts = source_counts(sources, {"attendance": table}).iloc[0]
    assert counts["rows_read"] == len(table) == sum(counts[o] for o in OUTCOMES)
    assert (counts["accepted"], counts["duplicate"], counts["future"], counts["rejected"]) == (
        1,
        1,
        2,
        1,
    )


def test_leading_alone_with_a_co_leader_named_is_a_warning_on_that_row() -> None:
    log = IssueLog()
    _, table = table_of(
        [
            ["trainee", "date", "activity", "event", "co_leader"],
            ["T1", "2026-03-05", "Leader", "Thursday group", "Dr Margaret Okafor"],  # warned
            ["T1", "2026-03-12", "Leader", "Thursday group", "  "],  # alone, truly
            ["T1", "2026-03-19", "co-leader", "Thursday group", "Dr Margaret Okafor"],
        ],
        log,
        "group.csv",
    )
    warn_leading_alone_with_co_leader(table, log)
    set_outcomes(table, "attendance", AS_OF, log)
    issues = log.frame()
    assert issues[["code", "severity", "row", "column", "value"]].values.tolist() == [
        ["leading_alone_with_co_leader", "warning", 2, "activity", "leader"]
    ]
    assert "'Dr Margaret Okafor' is named as co-leader" in issues["problem"][0]
    assert "write co-leader as the role" in issues["problem"][0]
    # a warning: the row still counts, as leading alone
    assert table["_outcome"].tolist() == ["accepted"] * 3


def test_non_ascii_letters_are_the_first_few_distinct_ones_each_shown_safely() -> None:
    assert non_ascii_letters("siân@example.org") == ("â",)
    assert non_ascii_letters("jose\u0301@example.org") == ("é",)  # the accent typed apart
    assert non_ascii_letters("ééâüö@example.org") == ("é", "â", "ü")
    # A mark that would reorder or hide the text around it is named by its code point.
    assert non_ascii_letters("a\u202eb\u200b@example.org") == ("U+202E", "U+200B")
