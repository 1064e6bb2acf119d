"""issue_text: every Data issue is worded from its code's template, and a slip fails loudly."""

from __future__ import annotations

import datetime as dt
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from balint_reports.issue_text import (
    _FORMATTER,
    ISSUE_CODES,
    PHRASES,
    SHARED_CASE,
    TEAM_ISSUE_TEXT,
    IssueTextError,
    fields_of,
    team_text,
    templates_of,
)
from balint_reports.issues import IssueLog
from balint_reports.limits import Refusal
from balint_reports.schema import PARSED_TYPES

DOCS = Path(__file__).parent.parent.parent / "docs" / "issues.md"


def test_every_code_the_package_can_emit_has_words_and_every_template_a_code() -> None:
    for code in ISSUE_CODES:
        assert templates_of(code), f"{code} has no template in TEAM_ISSUE_TEXT"
    for key in TEAM_ISSUE_TEXT:
        code, _, case = key.partition(":")
        assert code in ISSUE_CODES, f"{key}: a template for a code nothing emits"
        assert ":" not in case
    # Families are there whole: a new parsed type needs nothing more than its parser's words.
    assert {f"invalid_{t.value}" for t in PARSED_TYPES} <= ISSUE_CODES
    assert {"invalid_decision_requirement", "invalid_decision_event"} <= ISSUE_CODES


def _sample(field: str, spec: str) -> object:
    """A value a field of this spec can take."""
    if spec in ("list", "quoted", "and") or spec.startswith("?"):
        return ("one", "two")
    if spec.startswith("@"):
        return next(iter(PHRASES[spec[1:]]))
    if spec.startswith("#") or spec in ("bytes", ",", "02X"):
        return 2
    if field.startswith("day"):
        return dt.date(2026, 11, 17)
    return f"<{field}>"


@pytest.mark.parametrize("key", TEAM_ISSUE_TEXT)
def test_every_template_words_a_sentence_from_its_fields(key: str) -> None:
    code, _, case = key.partition(":")
    template = TEAM_ISSUE_TEXT[key]
    fields = {
        field.split(".")[0]: _sample(field, spec)
        for _, field, spec, _ in _FORMATTER.parse(template)
        if field
    }
    text = team_text(code, case, fields)
    assert text and "{" not in text and "}" not in text
    assert fields_of(template) == set(fields)
    for name, value in fields.items():
        if isinstance(value, str) and value.startswith("<"):
            assert value in text, f"{key}: {name} is not shown"


def test_a_missing_field_fails_loudly_naming_it() -> None:
    log = IssueLog()
    with pytest.raises(IssueTextError, match="file_gone needs the field\\(s\\) month"):
        log.add("warning", "old.xlsx", "", code="file_gone")
    rows = pd.DataFrame({"_file": ["a.xlsx"], "_sheet": [""], "_row": [2], "_rid": [0]})
    with pytest.raises(IssueTextError, match="duplicate_row needs the field\\(s\\) first"):
        log.add_rows("warning", rows, "date", pd.Series(["2026-11-01"]), code="duplicate_row")
    with pytest.raises(IssueTextError, match="file_too_large needs the field\\(s\\) limit"):
        Refusal("file_too_large", size=10, suffix=".xlsx")


def test_a_field_no_template_uses_an_unknown_code_or_case_fail_loudly() -> None:
    log = IssueLog()
    with pytest.raises(IssueTextError, match="uses no field mnth"):
        log.add("warning", "old.xlsx", "", code="file_gone", month="2026-10", mnth="x")
    with pytest.raises(IssueTextError, match="not an issue code"):
        log.add("warning", "old.xlsx", "", code="file_went")
    with pytest.raises(IssueTextError, match="no template for case 'zip'"):
        Refusal("file_misnamed", "zip", suffix=".xlsx")
    rows = pd.DataFrame(
        {"_file": ["a.xlsx"] * 2, "_sheet": [""] * 2, "_row": [2, 3], "_rid": [0, 1]}
    )
    with pytest.raises(IssueTextError, match="field first has 1 values for 2 rows"):
        log.add_rows(
            "warning",
            rows,
            "date",
            pd.Series(["x", "y"]),
            code="duplicate_row",
            first=np.array(["a"]),
        )
    assert log.frame().empty  # nothing half-recorded


def test_words_per_row_follow_each_rows_case_and_fields() -> None:
    log = IssueLog()
    rows = pd.DataFrame(
        {"_file": ["t.xlsx"] * 3, "_sheet": ["Trainees"] * 3, "_row": [2, 3, 4], "_rid": [0, 1, 2]}
    )
    emails = pd.Series(["ann@", "", "bob@@x"])
    log.add_rows(
        "warning",
        rows,
        "email",
        emails,
        code="trainee_address_invalid",
        case=np.where(emails != "", "invalid", "blank").astype(object),
    )
    tail = ": the letter is written but cannot be emailed; add the address to the trainees register"
    assert log.frame()["problem"].tolist() == [
        "'ann@' is not a valid email address" + tail,
        "no email address" + tail,
        "'bob@@x' is not a valid email address" + tail,
    ]


def test_words_that_leave_the_team_name_nobody_else_and_are_never_parsed_from_the_sentence() -> (
    None
):
    # Feedback to a sender and evidence statements use `shared`: the same problem worded from
    # a case that names nobody but the row's own person.
    assert all(f"{code}:{case}".rstrip(":") in TEAM_ISSUE_TEXT for code, case in SHARED_CASE)
    assert all(f"{code}:{case}" in TEAM_ISSUE_TEXT for (code, _), case in SHARED_CASE.items())
    log = IssueLog()
    rows = pd.DataFrame(
        {"_file": ["g.csv"] * 2, "_sheet": [""] * 2, "_row": [2, 3], "_rid": [0, 1]}
    )
    log.add_rows(
        "error",
        rows,
        "trainee",
        pd.Series(["Priya Shrama", "Nobody Known"]),
        code="person_unknown",
        case=np.array(["suggestion", "unknown"], dtype=object),
        pools="trainee",
        invisible="",
        closest=np.array(["Priya Sharma (T04)", ""], dtype=object),
    )
    log.add(
        "error",
        "g.csv",
        "",
        code="person_ambiguous",
        row=4,
        column="trainee",
        value="J Smith",
        names="Jane Smith (T1), John Smith (T2)",
    )
    issues = log.frame()
    assert "did you mean Priya Sharma (T04)?" in issues["problem"][0]
    assert "Jane Smith (T1)" in issues["problem"][2]
    unknown = ": correct the name or add the person to the register"
    assert issues["shared"].tolist() == [
        "'Priya Shrama' is not in the trainees register" + unknown,
        "'Nobody Known' is not in the trainees register" + unknown,
        "'J Smith' matches several people: write the id instead",
    ]


def test_a_field_shown_with_a_spec_is_worded_row_by_row() -> None:
    log = IssueLog()
    rows = pd.DataFrame(
        {"_file": ["d.xlsx"] * 2, "_sheet": [""] * 2, "_row": [2, 3], "_rid": [0, 1]}
    )
    requirements = np.empty(2, dtype=object)
    requirements[0], requirements[1] = ("attendance", "leading"), ("supervision",)
    log.add_rows(
        "error",
        rows,
        "requirement",
        pd.Series(["atendance", "sup"]),
        code="invalid_decision_requirement",
        ruleset=np.array(["uk-2019", "bsanz-2021"], dtype=object),
        requirements=requirements,
    )
    assert log.frame()["problem"].tolist() == [
        "'atendance' is not a requirement of uk-2019, the trainee's ruleset: use one of "
        "attendance, leading",
        "'sup' is not a requirement of bsanz-2021, the trainee's ruleset: use one of supervision",
    ]


def test_a_refusal_is_its_templates_words_and_survives_pickling() -> None:
    refusal = Refusal("archive_too_large", "part", part="xl/a.xml", size=3 * 2**20, limit=2**20)
    assert refusal.startswith("its part xl/a.xml would unpack to 3 MiB, more than the 1 MiB limit")
    again = pickle.loads(pickle.dumps(refusal))
    assert (again, again.code, again.case, again.fields) == (
        refusal,
        "archive_too_large",
        "part",
        refusal.fields,
    )


def issue_reference() -> str:
    """docs/issues.md as it should be: every code's templates, in the table's order."""
    lines = [
        "# Data issues: codes and wording",
        "",
        "Generated from `TEAM_ISSUE_TEXT` in `balint_reports/issue_text.py`;",
        "`tests/stages/test_issue_text.py` checks it is up to date (run it with",
        "`BALINT_UPDATE_DOCS=1` to rewrite this file).",
        "",
        "Every row of the Data issues sheet (and every issue in `progress.json`) has a stable",
        "`code`, its place (file, sheet, row, column, value) and the sentence the team reads,",
        "worded from the code's template below. `{column}` and `{value}` are the issue's own",
        "column and value; the other fields are passed by the stage that found the problem. A",
        "code whose sentence differs in kind from case to case has one template per case",
        "(`code:case`); the code in the sheet and in `progress.json` is the part before the colon.",
        "",
        "Besides Python's format specs (`{cells:,}`, `{day:%B %Y}`), a field may be shown as",
        '`{x:list}` (joined with ", "), `{x:quoted}` (each in single quotes), `{x:and}` (joined',
        'with " and "), `{x:bytes}` (a size: "12 MiB"), `{x:#one|many}` (by whether x is 1),',
        "`{x:?text}` (nothing when x is empty, else the text with `%` as x) or `{x:@name}` (a",
        "phrase below, picked by x).",
        "",
        "A stage that passes a field no template of its code uses, or leaves out one its",
        "template needs, or a code or case without a template, raises an error: the tests meet",
        "it, a user's workbook never shows a sentence with a gap. The supervisor's digest words",
        "the same codes differently, without other people's names (`wording.py`).",
        "",
        "## Templates",
        "",
    ]
    for key, template in TEAM_ISSUE_TEXT.items():
        lines.append(f"* `{key}`: `{template}`")
    lines += ["", "## Phrases", ""]
    for name, phrases in PHRASES.items():
        for value, phrase in phrases.items():
            lines.append(f"* `@{name}`, `{value}`: {phrase}")
    return "\n".join(lines) + "\n"


def test_the_issue_reference_is_up_to_date() -> None:
    expected = issue_reference()
    if os.environ.get("BALINT_UPDATE_DOCS"):
        DOCS.write_text(expected, encoding="utf-8")
    assert DOCS.read_text(encoding="utf-8") == expected, (
        "docs/issues.md is out of date: run BALINT_UPDATE_DOCS=1 pytest "
        "tests/stages/test_issue_text.py"
    )
