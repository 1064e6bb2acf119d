"""The fast paths (issue 13) give exactly what the plain cell-by-cell paths give.

BALINT_PLAIN_PATHS=1 (with BALINT_WORKERS=1) reads through pandas' reader, one file after
another, and parses every distinct cell of each sheet on its own; without it, sheets come
straight from python-calamine, distinct cells are parsed once per run, files are parsed in
two worker processes and the summary's rows are written as XML directly (sheetxml). Each
inbox is reported both ways and the outputs compared: progress.json byte for byte, the
workbook cell for cell and part for part, every letter.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from ..conftest import TRAINEE_HEADER, run_cli, trainee_row, write_csv, write_xlsx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import Shape, generate, preset  # noqa: E402 - the benchmarks' own generator


def _messy_inbox(inbox: Path) -> None:
    """Everything the plain parsers have an opinion on, spread over workbooks and CSVs."""
    # sheets that cannot be read, whose rows' people are kept for their letters
    write_xlsx(
        inbox / "groups" / "unreadable.xlsx",
        {
            "Near": [["Name", "When", "Role"], ["Ann Lee", "01/11/2026", "member"], ["T2", 1, 2]],
            "Grid": [["Name", "03/11/2026", "10/11/2026"], ["Bo Chen", "x", ""], ["Cy Dun", 1, 1]],
        },
    )
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                ["Trainee register, November"],
                [],
                TRAINEE_HEADER,
                trainee_row(
                    "T1",
                    "Ann  Lee",
                    email="ann@example.org",
                    psychodynamic_training="Y",
                    registered=dt.datetime(2024, 1, 5),
                    supervisor="L1",
                    supervisor_overseen_by="L2",
                    status="Active",
                ),
                trainee_row(
                    "T2",
                    " Bo Chen ",
                    psychodynamic_training=True,
                    registered="05/03/2024",
                    supervisor="Dr Lee Leader",
                ),
                trainee_row(
                    "T3",
                    "Cy Dunn",
                    psychodynamic_training="maybe",
                    registered="2024-13-01",
                    status="paused",
                    feels_ready=1,
                ),
                trainee_row("T3", "Cy Dunn", email="cy@example", feels_ready="no"),
                trainee_row(
                    "T4",
                    "Di Eve",
                    registered=dt.date(1900, 1, 1),
                    status="retired",
                    reference_received="5 Mar 2026",
                    reference_shared="31/02/2026",
                ),
                trainee_row("", "Nobody"),
            ],
            "Leaders": [
                ["leader_id", "name", "accredited", "supervision_experience"],
                ["L1", "Dr Lee Leader", "yes", "yes"],
                ["L2", "Mo Other", "TRUE", 0],
                ["L1", "Lee Leader", "no", ""],
            ],
            "Notes": [["just", "some", "notes"], ["nothing", "to", "read"]],
        },
    )
    write_xlsx(
        inbox / "groups" / "group a.xlsx",
        {
            "Register": [
                ["Group A register"],
                [
                    "Participant",
                    "Session date",
                    "Role",
                    "Sessions",
                    "Group",
                    "Setting",
                    "Co-leader",
                ],
                ["T1", dt.datetime(2025, 1, 7), "member", 1, "Group A", "hospital", ""],
                ["Ann Lee", "07/01/2025", "Member", "1", "group a", "Hospital", ""],
                ["ann lee", "8.1.25", "group member", 2.0, "Group A", "", ""],
                ["T2", "2025-02-30", "member", 1, "Group A", "", ""],
                ["T2", "12 February 2025", "co-leader", "1,5", "Group A", "", "Dr Lee Leader"],
                ["T2", dt.datetime(2025, 2, 12, 18, 30), "co leader", -1, "Group A", "", "Zed"],
                [None, None, None, None, None, None, None],
                ["   ", "", "", "", "", "", ""],
                ["T9", "13/13/2025", "dancing", "lots", "Group B", "", ""],
                ["T1", dt.datetime(2027, 1, 1), "lead", 1, "Group A", "", ""],
                ["Bo  Chen", 45678, "leading", 1, "Group   A", "university", "T1"],
                ["T1", "1 Smarch 2025", "member", 1_000_001, "", "", ""],
                ["T3", True, "member", 1, "", "", ""],
                ["T4", "5/3/2024", "weekend member", "", "Oxford", "Balint weekend", ""],
            ]
        },
    )
    write_csv(
        inbox / "groups" / "group b.csv",
        [
            ["trainee", "date", "activity", "sessions", "notes", "extra column"],
            ["T1", "05/03/2025", "member", "1", "caf\u00e9  notes", "x"],
            ["T1", "05/03/2025", "member", "1", "again", ""],
            ["t2", " 6/3/2025 ", "leadership weekend", "", "", ""],
            ["T2", "6-3-25", "leadership day", "2", "", ""],
            ["", "", "", "", "", ""],
            ["T3", "2025/03/06", "member", "0", "", ""],
        ],
        encoding="cp1252",
        sep=";",
    )
    # month first (a US export): the same text as day first elsewhere must read differently
    write_csv(
        inbox / "groups" / "us export.csv",
        [
            ["trainee", "date", "activity"],
            ["T1", "11/17/2025", "member"],
            ["T1", "05/03/2025", "member"],
            ["T2", "12/25/2025", "member"],
        ],
    )
    write_xlsx(
        inbox / "supervision.xlsx",
        {
            "Log": [
                [
                    "supervisee",
                    "supervisor",
                    "session date",
                    "duration",
                    "format",
                    "number of trainees",
                    "co-leader present",
                ],
                ["T1", "L1", dt.datetime(2025, 3, 1), 1.5, "zoom", 1, "yes"],
                ["T1", "L1", "01/03/2025", "1.5", "Zoom", "", "y"],
                ["T2", "Mo Other", "2025-04-01", 0, "carrier pigeon", 3, "perhaps"],
                ["T2", "L3", "2025-04-02", "2", "f2f", 1, ""],
            ]
        },
    )
    write_xlsx(
        inbox / "portfolio.xlsx",
        {
            "Sign-offs": [
                ["trainee", "competency", "date signed off", "signed off by"],
                ["T1", 1, dt.datetime(2025, 6, 1), "L1"],
                ["T1", "1.0", "01/06/2025", "L1"],
                ["T2", "no such thing", "2025-06-01", "L2"],
                ["T2", 2, "", "Somebody"],
            ]
        },
    )

    # a weekend's date and event merged down beside its delegates, under a merged title
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Weekend"
    sheet.append(["Oxford weekend, delegates"])
    sheet.append(["Date", "Event", "Name", "Role"])
    sheet.append([dt.datetime(2025, 9, 13), "Oxford", "T1", "weekend_member"])
    sheet.append([None, None, "T2", "weekend_member"])
    for merged in ("A1:D1", "A3:A4", "B3:B4"):
        sheet.merge_cells(merged)
    book.save(inbox / "weekend_merged.xlsx")


def _small_federation(inbox: Path) -> None:
    # the federation's shape (title rows, team headings, ids and names), with fewer people
    shape = replace(preset("federation", 3000), trainees=300, leaders=30)
    generate(inbox, shape)


def _mixed(inbox: Path) -> None:
    generate(inbox, Shape(rows=2000, trainees=150, files=6, format="mixed"))


def _sample(inbox: Path) -> None:
    shutil.copytree(ROOT / "sample_data", inbox, dirs_exist_ok=True)


def _report(inbox: Path, out: Path) -> Path:
    result = run_cli("run", inbox, "--out", out, "--as-of", "2026-11-30", "--no-cache")
    assert result.exit_code == 0, result.output
    return out / "2026-11"


def _cells(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {s.title: list(s.iter_rows(values_only=True)) for s in book.worksheets}
    finally:
        book.close()


def _members(path: Path) -> dict[str, bytes]:
    """The workbook's parts, byte for byte, but for its properties: they carry the time."""
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}


@pytest.mark.parametrize("build", [_messy_inbox, _small_federation, _mixed, _sample])
def test_fast_paths_give_what_plain_paths_give(
    build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    build(inbox)
    monkeypatch.setenv("BALINT_PLAIN_PATHS", "1")
    monkeypatch.setenv("BALINT_WORKERS", "1")
    plain = _report(inbox, tmp_path / "plain")
    monkeypatch.delenv("BALINT_PLAIN_PATHS")
    # two workers even for a small inbox, so that the parallel reading is what is compared
    monkeypatch.setenv("BALINT_WORKERS", "2")
    fast = _report(inbox, tmp_path / "fast")

    plain_json = (plain / "progress.json").read_bytes()
    assert (fast / "progress.json").read_bytes() == plain_json
    assert _cells(fast / "summary.xlsx") == _cells(plain / "summary.xlsx")
    assert _members(fast / "summary.xlsx") == _members(plain / "summary.xlsx")
    letters = sorted(p.name for p in (plain / "letters").iterdir())
    assert sorted(p.name for p in (fast / "letters").iterdir()) == letters
    for name in letters:
        assert (fast / "letters" / name).read_bytes() == (plain / "letters" / name).read_bytes()
    if build is _messy_inbox:
        # The comparison means something only if the inbox exercised the parsers' messages.
        issues = _cells(plain / "summary.xlsx")["Data issues"]
        assert len(issues) > 25
        assert any("month first" in str(row[-1]) for row in issues)


def test_with_lxml_switched_off_the_summary_is_written_cell_by_cell(tmp_path: Path) -> None:
    """OPENPYXL_LXML=False (openpyxl's own switch) leaves the direct rows aside: they are what
    openpyxl writes through lxml. Values only openpyxl writes (text that would start a formula,
    an error value) are there, so that a direct path taken by mistake would fail."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _messy_inbox(inbox)
    write_csv(
        inbox / "more" / "trainees.csv",
        [TRAINEE_HEADER, trainee_row("T9", "=1+1"), trainee_row("T10", "#N/A")],
    )
    with_lxml = _report(inbox, tmp_path / "lxml")
    done = subprocess.run(
        [sys.executable, "-m", "balint_reports", "run", str(inbox), "--out", str(tmp_path / "no")]
        + ["--as-of", "2026-11-30", "--no-cache"],
        env={**os.environ, "OPENPYXL_LXML": "False"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    cells = _cells(tmp_path / "no" / "2026-11" / "summary.xlsx")
    assert cells == _cells(with_lxml / "summary.xlsx")
    assert any("=1+1" in row for row in cells["Overview"])


def test_parallel_reading_gives_the_serial_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tables, issues and sources themselves, not only the outputs made from them."""
    from balint_reports.config import Config
    from balint_reports.ingest import read_inbox
    from balint_reports.issues import IssueLog

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _messy_inbox(inbox)
    _mixed(inbox / "more")
    read = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("BALINT_WORKERS", workers)
        log = IssueLog()
        tables, sources, unread = read_inbox(inbox, Config(), log)
        read[workers] = ({**tables, "unread": unread}, sources, log.frame())
    (serial, serial_sources, serial_issues), (parallel, parallel_sources, parallel_issues) = (
        read["1"],
        read["2"],
    )
    assert parallel_sources == serial_sources
    assert parallel_issues.equals(serial_issues)
    assert set(parallel) == set(serial)
    for kind, table in serial.items():
        assert parallel[kind].equals(table), kind
    assert len(serial["attendance"]) > 2000


def test_a_file_the_cache_cannot_keep_comes_back_from_a_worker_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker sends back each file as a cache entry; one the cache refuses (a NUL inside a
    cell of a CSV) comes back as tables, read the same as in one process, and is not kept."""
    from balint_reports.cache import SheetCache
    from balint_reports.config import Config
    from balint_reports.ingest import read_inbox
    from balint_reports.issues import IssueLog

    inbox = tmp_path / "inbox"
    _mixed(inbox)
    (inbox / "odd.csv").write_bytes(
        b"trainee,date,activity,sessions\nT0001,2026-03-12,co-leader,5\nT00\x0002,2026-03-12,member,1\n"
    )
    read = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("BALINT_WORKERS", workers)
        out = tmp_path / f"out{workers}"
        cache = SheetCache(out, Config())
        log = IssueLog()
        tables, sources, _ = read_inbox(inbox, Config(), log, cache)
        read[workers] = (tables, sources, log.frame())
        kept = json.loads((out / ".cache" / "index.json").read_text(encoding="utf-8"))
        files = [s for s in sources if s["kind"] != "ignored"]
        assert len(kept["entries"]) == len({s["file"] for s in files}) - 1  # all but odd.csv
    (serial, serial_sources, serial_issues) = read["1"]
    (parallel, parallel_sources, parallel_issues) = read["2"]
    assert parallel_sources == serial_sources
    assert parallel_issues.equals(serial_issues)
    for kind, table in serial.items():
        assert parallel[kind].equals(table), kind
    odd = serial["attendance"][serial["attendance"]["_file"] == "odd.csv"]
    assert len(odd) == 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork on Linux only")
def test_workers_die_with_a_killed_run_and_leave_the_folder_unlocked(tmp_path: Path) -> None:
    """A run killed while its workers parse: they go too, so they cannot keep OUT's lock (which
    they were forked holding) and the next run starts."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    generate(inbox, Shape(rows=40000, trainees=150, files=8, format="xlsx"))
    command = [sys.executable, "-m", "balint_reports", "run", str(inbox), "--out", str(out)]
    run = subprocess.Popen(
        [*command, "--as-of", "2026-11-30"],
        env={**os.environ, "BALINT_WORKERS": "2"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers = _children_of(run.pid, wait=60)
    assert workers, "the run never started its workers"
    run.kill()
    run.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    again = subprocess.run(
        [*command, "--as-of", "2026-11-30"], capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert "another balint-reports run" not in again.stderr


def _children_of(parent: int, wait: float) -> list[int]:
    """The processes `parent` has started, as soon as there are any (none after `wait` s)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry.name))
        if found:
            return found
        time.sleep(0.02)
    return []
