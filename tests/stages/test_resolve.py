"""resolve: registers merged per id, and every person cell turned into an id."""

from __future__ import annotations

from balint_reports.issues import IssueLog
from balint_reports.resolve import MAYBE_TRAINEE, PeopleIndex, register_people, resolve_people

from .helpers import table_of


def _index(log: IssueLog) -> PeopleIndex:
    index = PeopleIndex()
    _, trainees = table_of(
        [
            ["trainee_id", "name"],
            ["T1", "Dr Siân O'Neill"],
            ["T2", "Priya Sharma"],
            ["T3", "Priya Sharma"],
        ],
        log,
        "trainees.xlsx",
    )
    register_people(trainees, "trainees", log, index, "trainee")
    return index


def test_names_resolve_however_they_are_written() -> None:
    log = IssueLog()
    index = _index(log)
    _, rows = table_of(
        [
            ["trainee", "date", "activity"],
            ["O'Neill, Siân", "2026-03-05", "member"],
            ["SIAN O’NEILL", "2026-03-06", "member"],  # a curly apostrophe, no title
            ["t1", "2026-03-07", "member"],
        ],
        log,
        "group.xlsx",
        first_rid=100,
    )
    resolve_people(rows, "attendance", index, log)
    assert rows["trainee"].tolist() == ["T1", "T1", "T1"]
    assert log.frame().empty


def test_an_unknown_name_suggests_the_closest_known_person() -> None:
    log = IssueLog()
    index = _index(log)
    _, rows = table_of(
        [["trainee", "date", "activity"], ["Sian ONeil", "2026-03-05", "member"]],
        log,
        "group.xlsx",
        first_rid=100,
    )
    resolve_people(rows, "attendance", index, log)
    issue = log.frame().iloc[0]
    assert issue["code"] == "person_unknown"
    assert "did you mean Dr Siân O'Neill (T1)?" in issue["problem"]
    assert issue["rid"] == 100
    # The row names nobody, but may be T1's: her letter says so (records.py).
    assert rows["trainee"].tolist() == [""]
    assert rows[MAYBE_TRAINEE].tolist() == [("T1",)]


def test_a_name_close_to_nobody_may_be_nobodys() -> None:
    log = IssueLog()
    index = _index(log)
    _, rows = table_of(
        [
            ["trainee", "date", "activity"],
            ["Xavier Quinlan-Burke", "2026-03-05", "member"],
            ["t1", "2026-03-06", "member"],
        ],
        log,
        "group.xlsx",
    )
    resolve_people(rows, "attendance", index, log)
    assert "did you mean" not in log.frame().iloc[0]["problem"]
    assert rows[MAYBE_TRAINEE].tolist() == [(), ()]


def test_a_name_two_people_share_is_an_error_that_names_them() -> None:
    log = IssueLog()
    index = _index(log)
    _, rows = table_of(
        [["trainee", "date", "activity"], ["Priya Sharma", "2026-03-05", "member"]],
        log,
        "group.xlsx",
    )
    resolve_people(rows, "attendance", index, log)
    issue = log.frame().iloc[0]
    assert issue["code"] == "person_ambiguous"
    assert "T2" in issue["problem"] and "T3" in issue["problem"]
    assert rows[MAYBE_TRAINEE].tolist() == [("T2", "T3")]


def test_register_rows_with_one_id_merge_and_a_conflict_is_an_error_on_the_later_row() -> None:
    log = IssueLog()
    _, trainees = table_of(
        [
            ["trainee_id", "name", "email", "status"],
            ["T1", "Ann Able", "", "active"],
            ["t1", "Ann Able", "ann@example.org", ""],
            ["T1", "Ann Able", "", "withdrawn"],
        ],
        log,
        "trainees.xlsx",
    )
    merged = register_people(trainees, "trainees", log, PeopleIndex(), "trainee")
    assert len(merged) == 1
    assert merged.iloc[0]["email"] == "ann@example.org"  # filled from the second row
    assert merged.iloc[0]["status"] == "active"  # the first wins
    codes = log.frame().set_index("row")["code"].to_dict()
    assert codes == {3: "register_repeat", 4: "register_conflict"}
    assert trainees["_outcome"].tolist() == ["accepted", "duplicate", "rejected"]
