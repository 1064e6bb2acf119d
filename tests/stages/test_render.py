"""render: every view of a run is built in memory from the result, and says only what it holds."""

from __future__ import annotations

import datetime as dt
import io
import json

import jinja2
import openpyxl
import pandas as pd
import pytest
from markupsafe import escape

from balint_reports.config import Config
from balint_reports.evaluate import evaluate
from balint_reports.issues import ISSUE_FIELDS, IssueLog
from balint_reports.letters import list_items, template_environment
from balint_reports.model import Person, RunResult
from balint_reports.render import month_files
from balint_reports.ruleset import load_rulesets
from balint_reports.validate import SOURCE_COLUMNS

from .helpers import counted_tables

AS_OF = dt.date(2026, 11, 30)


def _result() -> RunResult:
    log = IssueLog()
    tables = counted_tables(
        {
            "trainees.xlsx": [
                ["trainee_id", "name", "status", "supervisor"],
                ["T1", "Ann Able", "", ""],
                ["T2", "Ben Best", "withdrawn", "L1"],
                ["T3", "Cat Cole", "paused", "L1"],
            ],
            "leaders.xlsx": [["leader_id", "name", "email"], ["L1", "Lea Leader", "lea@x.org"]],
            "group.xlsx": [
                ["trainee", "date", "activity", "sessions"],
                ["T1", "2026-03-12", "co-leader", 5],
                ["T3", "2026-03-12", "co-leader", 7],
            ],
        },
        pd.Timestamp(AS_OF),
        log,
    )
    issues = pd.DataFrame(
        [
            [
                "person_unknown",
                "error",
                "group.xlsx",
                "Sheet1",
                9,
                "trainee",
                "Ann Abel",
                "'Ann Abel' is not in the trainees register; did you mean Ann Able (T1)?",
                "'Ann Abel' is not in the trainees register: correct the name or add the person "
                "to the register",
                "T3",
                "",
                "rejected",
                "Name (A)",
            ]
        ],
        columns=ISSUE_FIELDS,
    )
    return RunResult(
        as_of=AS_OF,
        trainees=tuple(evaluate(tables, load_rulesets(()))),
        issues=issues,
        sources=pd.DataFrame(columns=SOURCE_COLUMNS),
        rulesets=load_rulesets(()),
        config=Config(),
        leaders={"L1": Person("L1", "Lea Leader", "lea@x.org")},
    )


def test_the_month_folder_is_built_in_memory_with_a_letter_per_trainee_on_the_pathway() -> None:
    month = month_files(_result(), [])
    letters = sorted(path for path in month.files if path.startswith("letters/"))
    assert letters == ["letters/T1.html", "letters/T1.txt", "letters/T3.html", "letters/T3.txt"]
    assert "digests/L1.html" in month.files
    progress = json.loads(month.files["progress.json"])
    assert [t["letter_file"] for t in progress["trainees"]] == [
        "letters/T1.html",
        None,
        "letters/T3.html",
    ]
    assert progress["issues"][0]["code"] == "person_unknown"
    book = openpyxl.load_workbook(io.BytesIO(month.files["summary.xlsx"]), read_only=True)
    assert "Data issues" in book.sheetnames


def test_a_letter_holds_its_own_trainee_only() -> None:
    month = month_files(_result(), [])
    ann = month.files["letters/T1.txt"].decode()
    assert "Ann Able" in ann and "Cat Cole" not in ann and "Ben Best" not in ann


def test_without_letters_only_the_summary_progress_dashboard_and_feedback_are_made() -> None:
    month = month_files(_result(), [], letters=False)
    assert set(month.files) == {
        "progress.json",
        "summary.xlsx",
        "index.html",
        "run.json",
        # the sender of a file with problems hears of them even when no letter is written
        "feedback/feedback.json",
        "feedback/group.xlsx.txt",
    }
    assert month.folders == ()


def test_a_digest_shows_its_trainees_issues_in_words_that_name_nobody_else() -> None:
    digest = month_files(_result(), []).files["digests/L1.txt"].decode()
    # worded from the issue's code and fields, not from the team's sentence
    assert "the trainee 'Ann Abel' is not in the society's registers" in digest
    assert "did you mean" not in digest and "Ann Able" not in digest  # not Lea's trainee


def test_templates_are_loaded_and_compiled_once_per_process() -> None:
    environment = template_environment()
    assert environment is template_environment()  # every renderer shares it
    assert environment.get_template("letter.txt.j2") is environment.get_template("letter.txt.j2")


def test_listed_records_are_escaped_as_one_text_or_line_by_line_alike() -> None:
    lines = ["12 Mar 2026 <script>alert(1)</script>", 'Tom & Jerry\'s "group"', "plain"]
    one_by_one = "\n    ".join(f"<li>{escape(line)}</li>" for line in lines)
    assert list_items(lines) == one_by_one
    assert "<script>" not in list_items(lines)
    # a NUL in a cell (a CSV can hold one) cannot split a line in two
    with_nul = ["a\0b <i>", "c"]
    assert list_items(with_nul) == "<li>a\0b &lt;i&gt;</li>\n    <li>c</li>"
    assert list_items([]) == ""


def test_templates_read_a_context_key_first_and_a_method_otherwise() -> None:
    environment = template_environment()
    template = environment.from_string('{{ d.title }} {{ d.get("absent", "default") }} {{ d.n }}')
    assert template.render(d={"title": "<b>", "n": 3}) == "&lt;b&gt; default 3"
    with pytest.raises(jinja2.UndefinedError):  # StrictUndefined, as before
        environment.from_string("{{ d.missing }}").render(d={})
