"""Hostile and broken inbox files (issue 14): each is one clear error, and the month goes on.

Every file here is built in code (tests/e2e/hostile_files.py). Each defence has a test that fails
without it: the limits in balint_reports/limits.py, the format sniffing in read.py, the stable
read of a file that changes while it is read.
"""

from __future__ import annotations

import csv
import hashlib
import http.server
import io
import json
import os
import pickle
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
import python_calamine
import xlwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from balint_reports.limits import LIMITS, Limits, check_content
from balint_reports.read import SourceFile, read_source
from balint_reports.values import cell_text

from ..conftest import TRAINEE_HEADER, run_cli, trainee_row, write_csv, write_xlsx
from . import hostile_files as hostile
from .test_deliver import CONFIG as DELIVERY_CONFIG

_XLSX_ILLEGAL = "".join(chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32)])
_WINDOWS_RESERVED = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])")
GOOD_ROWS = [["trainee", "date", "activity"], ["T1", "05/03/2025", "member"]]


@pytest.fixture
def registered(inbox: Path) -> Path:
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Jane Smith", psychodynamic_training="no"),
            ]
        },
    )
    write_csv(inbox / "good.csv", GOOD_ROWS)
    return inbox


def _run(inbox: Path, out: Path) -> dict:
    result = run_cli("run", inbox, "--out", out, "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    return json.loads((out / "2026-11" / "progress.json").read_text(encoding="utf-8"))


def _file_error(progress: dict, name: str) -> str:
    """The one error about a whole file; the good file beside it still counted."""
    [issue] = [i for i in progress["issues"] if i["file"] == name]
    assert issue["severity"] == "error", issue
    trainee = progress["trainees"][0]
    assert trainee["requirements"]["membership"]["achieved"] == 1  # good.csv was read
    return issue["problem"]


# --- item 2: archive and size limits before any parser ----------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("bomb.xlsx", lambda: hostile.zip_bomb_xlsx(300), "would unpack to 300 MiB, more than"),
        ("ratio.xlsx", lambda: hostile.zip_bomb_xlsx(60), "more than the 100:1 limit"),
        ("liar.xlsx", hostile.lying_size_xlsx, "unpacks to more than the 1,024 bytes it declares"),
        ("entries.xlsm", hostile.many_entries_xlsx, "20,009 parts, more than the 10,000 limit"),
        ("shared.xlsx", hostile.shared_text_xlsx, "repeat its text to 1,000 MiB in all"),
        ("far.xlsx", hostile.far_cell_xlsx, "spans 1,048,576 rows by 16,384 columns"),
        ("repeated.ods", hostile.repeated_ods, "spans 1,048,576 rows by 16,384 columns"),
        ("cells.csv", lambda: b"," * (11 * 1024 * 1024), "more than the 10,000,000 limit"),
        ("far.xls", hostile.far_cell_xls, "spans 65,536 rows by 256 columns"),
        ("shared.xls", hostile.shared_text_xls, "repeat its text to 214 MiB in all"),
    ],
)
def test_archive_and_size_limits_refuse_the_file_and_name_the_limit(
    registered: Path, tmp_path: Path, name: str, make, says: str
) -> None:
    (registered / name).write_bytes(make())
    problem = _file_error(_run(registered, tmp_path / "out"), name)
    assert says in problem


@pytest.mark.parametrize(
    ("name", "limit", "says"),
    [
        ("huge.csv", LIMITS.csv_bytes, "more than the 20 MiB limit for one .csv file"),
        ("huge.xls", LIMITS.xls_bytes, "more than the 10 MiB limit for one .xls file"),
        ("huge.xlsx", LIMITS.file_bytes, "more than the 100 MiB limit for one .xlsx file"),
    ],
)
def test_files_over_the_size_limit_are_not_read(
    registered: Path, tmp_path: Path, name: str, limit: int, says: str
) -> None:
    hostile.sparse_file(registered / name, limit + 1)
    problem = _file_error(_run(registered, tmp_path / "out"), name)
    assert says in problem


def _xls_of_texts(texts: list[str]) -> bytes:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Groups")
    for row, text in enumerate(texts):
        sheet.write(row, 0, text)
        sheet.write(row, 1, text)  # named twice: each cell gets its own copy once read
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def test_xls_text_is_counted_exactly_across_its_shared_string_records() -> None:
    """Thousands of distinct strings, some in two-byte characters, so that the shared string
    table runs on over many CONTINUE records, some strings split between two of them."""
    rng = random.Random(7)
    texts = [
        rng.choice(["é中", "ab", "Ω"]) * rng.randint(0, 60) + f"note {i}" for i in range(3_000)
    ]
    data = _xls_of_texts(texts)
    assert data.count(b"\x3c\x00") > 10  # CONTINUE records (0x003C) there
    held = 2 * sum(len(t) for t in texts)
    assert check_content(".xls", data, Limits(text_bytes=held)) is None
    refused = check_content(".xls", data, Limits(text_bytes=held - 1))
    assert refused is not None and refused.code == "sheet_too_much_text"
    rows, columns = 3_000, 2
    assert check_content(".xls", data, Limits(sheet_cells=rows * columns)) is None
    refused = check_content(".xls", data, Limits(sheet_cells=rows * columns - 1))
    assert refused is not None and f"spans {rows:,} rows by {columns} columns" in refused


def test_a_large_ordinary_xls_passes_the_limits(registered: Path, tmp_path: Path) -> None:
    """5,000 rows of an old-format log (repeats, so duplicates) are read as any other."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("Groups")
    for column, value in enumerate(GOOD_ROWS[0]):
        sheet.write(0, column, value)
    for row in range(1, 5_001):
        for column, value in enumerate(GOOD_ROWS[1]):
            sheet.write(row, column, value)
    book.save(str(registered / "big.xls"))
    progress = _run(registered, tmp_path / "out")
    [big] = [s for s in progress["sources"] if s["file"] == "big.xls"]
    assert big["rows_read"] == 5_000
    assert not [
        i for i in progress["issues"] if i["file"] == "big.xls" and i["severity"] == "error"
    ]


def test_a_large_ordinary_workbook_passes_the_limits(registered: Path, tmp_path: Path) -> None:
    """The limits leave room for a big log: 5,000 rows (repeats, so duplicates)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Groups")
    sheet.append(GOOD_ROWS[0])
    for _ in range(5_000):
        sheet.append(["T1", "05/03/2025", "member"])
    book.save(registered / "big.xlsx")
    progress = _run(registered, tmp_path / "out")
    [big] = [s for s in progress["sources"] if s["file"] == "big.xlsx"]
    assert big["rows_read"] == 5_000
    assert not [
        i for i in progress["issues"] if i["file"] == "big.xlsx" and i["severity"] == "error"
    ]


_HOSTILE_RUN = """
import resource, sys, time
from click.testing import CliRunner
from balint_reports.cli import main
start = time.monotonic()
result = CliRunner().invoke(main, ["run", sys.argv[1], "--out", sys.argv[2], "--as-of",
                                   "2026-11-30"], catch_exceptions=False)
seconds = time.monotonic() - start
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(result.exit_code, round(seconds, 2), round(peak_mib))
"""


def test_an_inbox_of_only_hostile_files_runs_within_time_and_memory(tmp_path: Path) -> None:
    """Every hostile file at once, in a fresh process measured with resource: 500 MiB, 10 s."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, make in hostile.HOSTILE.items():
        (inbox / name).write_bytes(make())
    (inbox / "xxe.xlsx").write_bytes(hostile.external_entity_xlsx("file:///etc/passwd"))
    (inbox / "locked.xlsx").write_bytes(hostile.protected_xlsx())
    (inbox / "locked.xls").write_bytes(hostile.protected_xls())
    (inbox / "locked.ods").write_bytes(hostile.protected_ods())
    hostile.sparse_file(inbox / "huge.csv", LIMITS.file_bytes + 1)
    out = tmp_path / "out"
    measured = subprocess.run(
        [sys.executable, "-c", _HOSTILE_RUN, inbox, out],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    exit_code, seconds, peak_mib = measured.stdout.split()
    assert exit_code == "0", measured.stdout + measured.stderr
    assert float(seconds) < 10, seconds
    assert float(peak_mib) < 500, peak_mib
    progress = json.loads((out / "2026-11" / "progress.json").read_text(encoding="utf-8"))
    errors = {i["file"] for i in progress["issues"] if i["severity"] == "error"}
    assert errors == {p.name for p in inbox.iterdir()}
    assert "Traceback" not in measured.stderr


# --- item 3: XML entities, through our reading and through both libraries ----------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # the name http.server calls
        type(self).requests.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"FETCHED-SECRET")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listening() -> Iterator[tuple[str, list[str]]]:
    """A local web server that records every request: an external entity would show here."""
    _Recorder.requests = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/secret", _Recorder.requests
    finally:
        server.shutdown()


def test_entity_workbooks_are_refused_before_any_parser_and_nothing_is_fetched(
    registered: Path, tmp_path: Path, listening: tuple[str, list[str]]
) -> None:
    url, requests = listening
    secret = tmp_path / "secret.txt"
    secret.write_text("LOCAL-SECRET", encoding="utf-8")
    (registered / "laughs.xlsx").write_bytes(hostile.billion_laughs_xlsx())
    (registered / "web.xlsx").write_bytes(hostile.external_entity_xlsx(url))
    (registered / "file.xlsx").write_bytes(hostile.external_entity_xlsx(secret.as_uri()))
    started = time.monotonic()
    progress = _run(registered, tmp_path / "out")
    assert time.monotonic() - started < 30
    for name in ("laughs.xlsx", "web.xlsx", "file.xlsx"):
        assert (
            "declares an XML document type"
            in [i["problem"] for i in progress["issues"] if i["file"] == name][0]
        )
    assert requests == []
    written = b"".join(p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert b"LOCAL-SECRET" not in written and b"FETCHED-SECRET" not in written


def test_calamine_neither_expands_nor_fetches_entities(
    tmp_path: Path, listening: tuple[str, list[str]]
) -> None:
    """The reader itself, were our check ever bypassed: an error or the text unexpanded."""
    url, requests = listening
    for name, data in {
        "laughs.xlsx": hostile.billion_laughs_xlsx(),
        "web.xlsx": hostile.external_entity_xlsx(url),
    }.items():
        (tmp_path / name).write_bytes(data)
        try:
            book = python_calamine.CalamineWorkbook.from_path(str(tmp_path / name))
            cells = book.get_sheet_by_index(0).to_python()
        except python_calamine.CalamineError:
            continue
        assert "lollollol" not in repr(cells) and "FETCHED" not in repr(cells)
    assert requests == []


def test_openpyxl_reads_with_defusedxml_and_refuses_entities(
    tmp_path: Path, listening: tuple[str, list[str]]
) -> None:
    """openpyxl (which would read templates or feedback) uses defusedxml, a dependency of ours."""
    import defusedxml
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML, "defusedxml must be installed for openpyxl to use it"
    url, requests = listening
    for name, data in {
        "laughs.xlsx": hostile.billion_laughs_xlsx(),
        "web.xlsx": hostile.external_entity_xlsx(url),
    }.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError) as caught:
            openpyxl.load_workbook(tmp_path / name)
        assert isinstance(caught.value.__cause__, defusedxml.DefusedXmlException)
    assert requests == []


# --- item 4: a clear message for every broken file ----------------------------------------------


def _pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("locked.xlsx", hostile.protected_xlsx, "the file is password-protected"),
        ("locked.xls", hostile.protected_xls, "the file is password-protected"),
        ("locked.ods", hostile.protected_ods, "the file is password-protected"),
        ("cut.xlsx", lambda: hostile.xlsx_bytes()[:-200], "the file is incomplete or damaged"),
        ("cut.xls", lambda: hostile.xls_bytes()[:700], "the file is damaged or incomplete"),
        ("empty.xlsx", lambda: b"", "the file is empty (0 bytes)"),
        ("empty.csv", lambda: b"", "the file is empty (0 bytes)"),
        ("old.xlsx", hostile.xls_bytes, "old-format Excel (.xls) file named as .xlsx"),
        ("new.xls", hostile.xlsx_bytes, "new-format Excel (.xlsx) file named as .xls"),
        ("text.xlsx", lambda: b"trainee,date\nT1,05/03/2025\n", "a text (CSV) file named as"),
        ("scan.xlsx", _pdf, "this is a PDF document named as .xlsx"),
        (
            "quote.csv",
            lambda: b'trainee,date,activity\nT1,05/03/2025,member\nT1,"06/03/2025,member\nT1,1,x\n',
            'line 3 opens a quoted cell (") that is never closed',
        ),
        (
            "bytes.csv",
            lambda: b"trainee,date,activity\nT1,05/03/2025,member\nT\x81,06/03/2025,member\n",
            "line 3 is neither UTF-8 nor Windows-1252 text (byte 0x81)",
        ),
    ],
)
def test_every_broken_file_has_a_clear_message(
    registered: Path, tmp_path: Path, name: str, make, says: str
) -> None:
    (registered / name).write_bytes(make())
    problem = _file_error(_run(registered, tmp_path / "out"), name)
    assert says in problem, problem


def test_windows_1252_csv_is_still_read(registered: Path, tmp_path: Path) -> None:
    """The encoding check refuses only what is neither: a cp1252 file keeps working."""
    (registered / "groups.csv").write_bytes(
        "trainee,date,activity,notes\nT1,06/03/2025,member,caf\u00e9 \u2013 ok\n".encode("cp1252")
    )
    progress = _run(registered, tmp_path / "out")
    assert progress["trainees"][0]["requirements"]["membership"]["achieved"] == 2


# --- item 7: a file replaced while it is read ----------------------------------------------


def _attendance_csv(activity_rows: int, date: str) -> bytes:
    lines = ["trainee,date,activity,notes"]
    lines += [f"T1,{date},member,{'x' * 4000}"] * activity_rows
    return ("\n".join(lines) + "\n").encode()


def _rewriting(target: Path, versions: list[bytes]) -> Callable[[str], None]:
    """A read hook that saves the next version over the file, in place, at each pause."""

    def rewrite(point: str) -> None:
        assert point == "mid-read"
        if versions:
            with target.open("r+b") as handle:  # the same file, new bytes
                handle.write(versions.pop(0))

    return rewrite


def test_a_file_rewritten_while_it_is_read_is_read_again_whole(tmp_path: Path) -> None:
    """The read is held after its first 4 MiB piece and the file rewritten in place there.

    Without the check, the hash and the rows would come from half of each version.
    """
    old = _attendance_csv(1_200, "05/03/2025")
    new = _attendance_csv(1_200, "07/03/2025")  # same length, other dates
    assert len(old) == len(new) > 4 * 1024 * 1024
    target = tmp_path / "z.csv"
    target.write_bytes(old)
    result = read_source(SourceFile(target, "z.csv", True), pause=_rewriting(target, [new]))
    assert result.problem is None
    assert result.sha256 == hashlib.sha256(new).hexdigest()
    [sheet] = result.sheets
    assert len(sheet.cells) == 1_201
    # the rows are the new file's, whole: its date, not a mixture
    assert set(sheet.cells[1][1:]) == {"07/03/2025"}


def test_a_file_that_keeps_changing_while_it_is_read_is_reported(tmp_path: Path) -> None:
    """Rewritten during every attempt: one clear error, no rows from any version."""
    target = tmp_path / "z.csv"
    versions = [_attendance_csv(1_200, f"0{day}/03/2025") for day in range(1, 9)]
    target.write_bytes(versions.pop())
    result = read_source(SourceFile(target, "z.csv", True), pause=_rewriting(target, versions))
    assert result.sheets == ()
    assert result.problem is not None and result.problem.code == "file_changed_while_read"
    assert "changed while it was being read" in result.problem


# --- item 1: no value stops the month --------------------------------------------------------

_AWKWARD_IDS = [
    "CON",
    "nul",
    "COM1",
    "LPT9",
    "T1.",
    "T1 ",
    "x" * 300,
    "../../escape",
    "/etc/passwd",
    "a\\b",
    "T 1",
    "T.1",
    "T_1",
    "É1",
    "=cmd|' /C calc'!A0",
]
# what an .xlsx cell can hold: everything but surrogates and most control characters
_CELL_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters=_XLSX_ILLEGAL),
    max_size=120,
)
_SHORT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters=_XLSX_ILLEGAL), max_size=3
)
# short ids meet each other, in both cases: 'ab' and 'AB' are one id (docs/contract.md#people)
_IDS = st.one_of(
    st.sampled_from(_AWKWARD_IDS), _CELL_TEXT, _SHORT, _SHORT.map(str.upper), _SHORT.map(str.lower)
)


def _text_register(path: Path, rows: list[tuple[str, str]]) -> None:
    """A trainees register whose cells are all text, even those starting with `=`."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["trainee_id", "name"])
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(r, c, value)
            cell.data_type = "s"  # openpyxl would otherwise store `=...` as a formula
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_IDS, _CELL_TEXT), min_size=1, max_size=12))
def test_any_register_text_gives_one_letter_per_valid_active_trainee(
    rows: list[tuple[str, str]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        inbox, out = Path(folder) / "inbox", Path(folder) / "out"
        _text_register(inbox / "registers.xlsx", rows)
        result = run_cli("run", inbox, "--out", out, "--as-of", "2026-11-30")
        assert result.exit_code == 0, result.output
        progress = json.loads((out / "2026-11" / "progress.json").read_text(encoding="utf-8"))
        letters = out / "2026-11" / "letters"
        files = sorted(p.name for p in letters.iterdir()) if letters.exists() else []
    valid = {cell_text(i).casefold() for i, n in rows if cell_text(i) and cell_text(n)}
    assert len(progress["trainees"]) == len(valid)
    html = [name for name in files if name.endswith(".html")]
    assert len(html) == len(valid)  # one letter each, none overwritten by another
    assert len({name.casefold() for name in html}) == len(html)
    for name in files:
        stem = name.rsplit(".", 1)[0]
        assert len(name.encode()) <= 80 and name.isascii() and "/" not in name
        assert not _WINDOWS_RESERVED.fullmatch(stem.split(".")[0])
        assert not stem.endswith((".", " "))


# --- item 5: nothing written into a spreadsheet runs as a formula ----------------------------

# Each evaluates to 42 (or -42) if a spreadsheet program runs it.
_PAYLOADS = ["=6*7", "+6*7", "-6*7", "@SUM(40,2)", "\t=6*7", "\r=6*7"]


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        pytest.skip(
            "LibreOffice is not installed and cannot be here (`apt-get install -y "
            "libreoffice-calc`, which .ci/run does): the openpyxl checks still ran"
        )
    return found


def _calc_values(path: Path, outdir: Path, infilter: str = "") -> list[str]:
    """Every cell of every sheet as LibreOffice computes it, via its CSV export."""
    outdir.mkdir(parents=True, exist_ok=True)
    command = [_soffice(), "--headless", f"-env:UserInstallation={(outdir / 'profile').as_uri()}"]
    if infilter:
        command.append(f"--infilter={infilter}")
    # 44,34,UTF8: comma, quote, UTF-8; the last -1 writes every sheet (LibreOffice 7.2+)
    command += [
        "--convert-to",
        "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
        "--outdir",
        str(outdir),
        str(path),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=180)
    cells = []
    for written in sorted(outdir.glob("*.csv")):
        with written.open(encoding="utf-8", newline="") as handle:
            cells += [cell for row in csv.reader(handle) for cell in row]
    assert cells, "LibreOffice wrote nothing"
    return cells


@pytest.fixture
def injected(inbox: Path, tmp_path: Path) -> Path:
    """A month whose register, logs and addresses are full of formulas; its folder."""
    (inbox / "balint.toml").write_text(DELIVERY_CONFIG, encoding="utf-8")
    rows = [TRAINEE_HEADER]
    for i, payload in enumerate(_PAYLOADS):
        rows.append(
            trainee_row(f"{payload}{i}", f"{payload} Name{i}", email=f"{payload}{i}@example.org")
        )
    write_csv(inbox / "trainees.csv", rows)
    write_csv(
        inbox / "groups.csv",
        [["trainee", "date", "activity", "notes"]]
        + [[payload, payload, payload, payload] for payload in _PAYLOADS],
    )
    _run(inbox, tmp_path / "out")
    month = tmp_path / "out" / "2026-11"
    assert run_cli("send", month).exit_code == 0  # a dry run: writes send-report-dry-run.csv
    return month


def test_summary_cells_starting_like_formulas_are_text_in_openpyxl(injected: Path) -> None:
    book = openpyxl.load_workbook(injected / "summary.xlsx")
    seen = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                    assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
                    seen.add(cell.value)
    assert {"=6*7", "@SUM(40,2)", "=6*7 Name0", "-6*72"} <= seen


def test_error_values_and_characters_no_xml_holds_leave_a_readable_summary(
    inbox: Path, tmp_path: Path
) -> None:
    """`#N/A` is text someone typed, not an error value; U+FFFE (from a file's stray bytes)
    is dropped, where it once stopped the whole run with a traceback."""
    write_csv(
        inbox / "trainees.csv",
        [TRAINEE_HEADER, trainee_row("T1", "Ann \ufffe Lee"), trainee_row("T2", "#N/A")],
    )
    write_csv(inbox / "groups.csv", [["trainee", "date", "activity"], ["T1", "#N/A", "group"]])
    _run(inbox, tmp_path / "out")
    book = openpyxl.load_workbook(tmp_path / "out" / "2026-11" / "summary.xlsx")
    names = {row[1].value: row[1] for row in book["Overview"].iter_rows(min_row=2)}
    assert set(names) == {"Ann  Lee", "#N/A"}
    assert names["#N/A"].data_type == "s" and names["#N/A"].quotePrefix
    [value] = [r[5] for r in book["Data issues"].iter_rows(min_row=2) if r[5].value == "#N/A"]
    assert value.data_type == "s" and value.quotePrefix


def test_a_right_to_left_override_in_a_name_turns_nothing_backwards(
    inbox: Path, tmp_path: Path
) -> None:
    """U+202E in a register name showed 'Dear ,ronnoC'O leinaD' in the letter and turned the
    rest of Data issues cells backwards. Pages, letters and notes leave the bidirectional
    controls out; the summary shows them as a code, so the value is still as written."""
    write_csv(
        inbox / "trainees.csv",
        [TRAINEE_HEADER, trainee_row("T1", "\u202eDaniel O'Connor", email="d@example.org")],
    )
    write_csv(
        inbox / "groups.csv",
        [
            ["trainee", "date", "activity"],
            ["T1", "01/11/2026", "member"],
            ["Ann\u2067 Lee", "02/11/2026", "member"],
        ],
    )
    _run(inbox, tmp_path / "out")
    month = tmp_path / "out" / "2026-11"
    pages = [p for p in month.rglob("*") if p.suffix in (".html", ".txt", ".eml")]
    assert any(p.name.startswith("T1") and p.suffix == ".html" for p in pages)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not re.search("[\u202a-\u202e\u2066-\u2069]", text), page
    letter = next(p for p in pages if p.name.startswith("T1") and p.suffix == ".txt")
    assert "Dear Daniel O'Connor" in letter.read_text(encoding="utf-8")
    book = openpyxl.load_workbook(month / "summary.xlsx")
    cells = [c.value for sheet in book for row in sheet.iter_rows() for c in row]
    texts = [v for v in cells if isinstance(v, str)]
    assert not [t for t in texts if re.search("[\u202a-\u202e\u2066-\u2069]", t)]
    assert "[U+202E]Daniel O'Connor" in texts
    assert "Ann[U+2067] Lee" in texts  # the Data issue's value, as written


def test_summary_and_send_report_are_text_in_libreoffice(injected: Path, tmp_path: Path) -> None:
    """LibreOffice evaluates what it takes for formulas: no 42 may appear anywhere."""
    summary = _calc_values(injected / "summary.xlsx", tmp_path / "summary")
    assert "=6*7" in summary and "@SUM(40,2)" in summary
    assert not {"42", "-42"} & set(summary)
    # CSV opened with formula evaluation on (import option 13): first a control, then ours
    evaluate = "CSV:44,34,76,1,,0,false,true,false,false,false,-1,true"
    control = tmp_path / "control.csv"
    control.write_text("=6*7\n", encoding="utf-8")
    assert _calc_values(control, tmp_path / "control", evaluate) == ["42"]
    sent = _calc_values(injected / "send-report-dry-run.csv", tmp_path / "sent", evaluate)
    assert any(cell.startswith("'=6*7") or cell.startswith("=6*7") for cell in sent), sent
    assert not {"42", "-42"} & set(sent)


# --- item 6: the cache holds data only, checked before use ----------------------------------


class _Payload:
    """What a pickle can do when loaded: run any command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.marker}",))


def _cached_month(registered: Path, out: Path) -> tuple[bytes, dict]:
    _run(registered, out)
    index = json.loads((out / ".cache" / "index.json").read_text(encoding="utf-8"))
    assert len(index["entries"]) == 2  # registers.xlsx and good.csv
    return (out / "2026-11" / "progress.json").read_bytes(), index


def test_cache_entries_are_data_only_and_a_planted_pickle_never_runs(
    registered: Path, tmp_path: Path
) -> None:
    """Even an entry planted with its hash in the index is only data that fails to load."""
    out = tmp_path / "out"
    before, index = _cached_month(registered, out)
    marker = tmp_path / "ran"
    for key in index["entries"]:
        entry = out / ".cache" / f"{key}.entry"
        assert entry.read_bytes().startswith(b"balint-reports parsed file\n")
        planted = pickle.dumps(_Payload(marker))
        entry.write_bytes(planted)
        index["entries"][key] = hashlib.sha256(planted).hexdigest()
    (out / ".cache" / "index.json").write_text(json.dumps(index), encoding="utf-8")
    result = run_cli("run", registered, "--out", out, "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert not marker.exists()
    assert "not read again" not in result.output  # both read again
    assert (out / "2026-11" / "progress.json").read_bytes() == before


@pytest.mark.parametrize(
    ("arrays", "dtype"),
    [
        ("", "|O"),  # Python objects, what a pickle would bring back
        (".codes", "<f8"),  # text codes as fractions: indexing with them would raise
        (".codes", "<m8[ns]"),
    ],
)
def test_a_cache_entry_describing_other_arrays_than_it_should_is_not_loaded(
    registered: Path, tmp_path: Path, arrays: str, dtype: str
) -> None:
    """An entry whose description names other kinds of arrays than the entry was written
    with, with its hash in the index: refused, and the file read again, never a traceback."""
    out = tmp_path / "out"
    before, index = _cached_month(registered, out)
    for key in index["entries"]:
        entry = out / ".cache" / f"{key}.entry"
        data = entry.read_bytes()
        magic = b"balint-reports parsed file\n"
        start = len(magic) + 8
        end = start + int.from_bytes(data[len(magic) : start], "little")
        head = json.loads(data[start:end])
        for name, place in head["arrays"].items():
            if name.endswith(arrays):
                place[0] = dtype
        text = json.dumps(head).encode()
        planted = magic + len(text).to_bytes(8, "little") + text + data[end:]
        entry.write_bytes(planted)
        index["entries"][key] = hashlib.sha256(planted).hexdigest()
    (out / ".cache" / "index.json").write_text(json.dumps(index), encoding="utf-8")
    result = run_cli("run", registered, "--out", out, "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert "not read again" not in result.output  # both read again
    assert (out / "2026-11" / "progress.json").read_bytes() == before


def test_a_tampered_cache_entry_is_ignored_and_the_file_read_again(
    registered: Path, tmp_path: Path
) -> None:
    """An entry whose bytes no longer match its hash: a valid entry of other data, say."""
    out = tmp_path / "out"
    before, index = _cached_month(registered, out)
    entries = sorted(index["entries"])
    first, second = (out / ".cache" / f"{key}.entry" for key in entries)
    first.write_bytes(second.read_bytes())  # well-formed, but not what was written there
    result = run_cli("run", registered, "--out", out, "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert "1 unchanged file not read again, 1 read" in result.output
    assert (out / "2026-11" / "progress.json").read_bytes() == before
    # and the entry read again is whole again: next time both come from the cache
    again = run_cli("run", registered, "--out", out, "--as-of", "2026-11-30")
    assert "2 unchanged files not read again, 0 read" in again.output
