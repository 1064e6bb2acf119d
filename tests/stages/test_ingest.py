"""ingest: every file of the inbox read into one table per kind, with what became of each."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from balint_reports.config import Config
from balint_reports.ingest import read_inbox
from balint_reports.issues import IssueLog

from ..conftest import write_csv, write_xlsx


def test_files_of_every_kind_end_up_in_one_table_per_kind_with_provenance(tmp_path: Path) -> None:
    write_xlsx(
        tmp_path / "registers.xlsx",
        {
            "Trainees": [["trainee_id", "name"], ["T1", "Ann Able"]],
            "Leaders": [["leader_id", "name"], ["L1", "Lea Leader"]],
            "Notes": [["Remember to chase the references"]],
        },
    )
    write_csv(
        tmp_path / "b" / "group.csv",
        [["trainee", "date", "activity"], ["T1", "1/2/2026", "member"]],
    )
    (tmp_path / "notes.txt").write_text("not a spreadsheet")
    log = IssueLog()
    tables, sources, _ = read_inbox(tmp_path, Config(), log)
    assert tables["trainees"][["_file", "_sheet", "_row", "trainee_id"]].values.tolist() == [
        ["registers.xlsx", "Trainees", 2, "T1"]
    ]
    assert tables["attendance"]["_file"].tolist() == ["b/group.csv"]
    assert tables["supervision"].empty and "supervisor" in tables["supervision"]
    kinds = {(s["file"], s["sheet"]): s["kind"] for s in sources}
    assert kinds == {
        ("b/group.csv", ""): "attendance",
        ("notes.txt", ""): "ignored",
        ("registers.xlsx", "Trainees"): "trainees",
        ("registers.xlsx", "Leaders"): "leaders",
        ("registers.xlsx", "Notes"): "ignored",
    }
    # run-wide row ids: no two rows share one, whichever file they came from
    rids = [rid for table in tables.values() for rid in table["_rid"]]
    assert len(rids) == len(set(rids)) == 3


def test_an_unreadable_file_is_an_error_issue_and_the_rest_is_read(tmp_path: Path) -> None:
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    write_csv(tmp_path / "trainees.csv", [["trainee_id", "name"], ["T1", "Ann Able"]])
    log = IssueLog()
    tables, sources, _ = read_inbox(tmp_path, Config(), log)
    issues = log.frame()
    assert issues[["code", "severity", "file"]].values.tolist() == [
        # the code names what is wrong: a zip without its directory was cut short
        ["file_truncated", "error", "broken.xlsx"]
    ]
    assert len(tables["trainees"]) == 1
    assert {"file": "broken.xlsx", "sheet": "", "kind": "unreadable"}.items() <= sources[0].items()


def test_a_last_row_of_only_unsaved_formulas_is_read_and_reported(tmp_path: Path) -> None:
    # openpyxl saves formulas without a result, which the reader shows as empty cells: a last
    # row made only of them must still be a row (found by hypothesis in test_properties).
    write_xlsx(
        tmp_path / "group.xlsx",
        {"Register": [["trainee", "date", "activity"], ["T1", "1/2/2026", "member"], ["=1+1"]]},
    )
    log = IssueLog()
    tables, _, _ = read_inbox(tmp_path, Config(), log)
    assert tables["attendance"]["_row"].tolist() == [2, 3]
    issues = log.frame()
    assert issues[["code", "row", "column"]].values.tolist()[0] == ["formula_unsaved", 3, "trainee"]


def test_a_near_miss_sheet_counts_a_row_of_unsaved_formulas_among_those_it_loses(
    tmp_path: Path,
) -> None:
    # A sheet that lacks its trainee column loses every row; the error must count them all,
    # an unsaved formula's row included (found by hypothesis in test_properties).
    write_xlsx(tmp_path / "group.xlsx", {"Register": [["event date", "type"], ["=1+1"]]})
    log = IssueLog()
    read_inbox(tmp_path, Config(), log)
    problem = log.frame().set_index("code").loc["near_miss_sheet", "problem"]
    assert "so its one row could not be read" in problem


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork on Linux only")
def test_a_small_inbox_gets_two_parsing_workers_however_many_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each worker gets at least half of MINIMUM_BYTES of spreadsheets to parse: the sample
    inbox (87 KB) would otherwise start one per core on a large machine, most of them idle."""
    from balint_reports.parallel import MINIMUM_BYTES, worker_count
    from balint_reports.read import discover

    monkeypatch.delenv("BALINT_WORKERS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    for i in range(11):
        (tmp_path / f"group{i:02}.csv").write_bytes(b"x" * (MINIMUM_BYTES // 8))
    sources = discover(tmp_path, ())
    assert worker_count(sources) == 2  # 88 KB
    (tmp_path / "big.csv").write_bytes(b"x" * (4 * MINIMUM_BYTES))
    assert worker_count(discover(tmp_path, ())) == 10  # 344 KB: one worker per 32 KB
    for path in tmp_path.iterdir():
        path.write_bytes(b"x" * 1024)
    assert worker_count(discover(tmp_path, ())) == 1  # 12 KB: not worth a worker
