"""Letters and digests kept by what they are rendered from: a warm run writes the same bytes."""

from __future__ import annotations

import datetime as dt
import email
import email.utils
import gc
import io
import json
import os
import re
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from balint_reports import render
from balint_reports.config import load_config
from balint_reports.model import RunResult
from balint_reports.monthly import MonthResult, run_month
from balint_reports.pipeline import build_report
from balint_reports.publish import MonthFolder
from balint_reports.render import month_files, render_workers
from balint_reports.rendered import Rendered, load_rendered, save_rendered
from balint_reports.ruleset import load_rulesets

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
AS_OF = dt.date(2026, 11, 30)


def _month(inbox: Path, out: Path, use_cache: bool = True) -> MonthResult:
    config = load_config(inbox / "balint.toml")
    return run_month(
        inbox, out, AS_OF, config, load_rulesets(config.rule_files), use_cache=use_cache
    )


def _sample_month(tmp_path: Path) -> tuple[Path, Path, MonthResult]:
    """A copy of the sample inbox, and its month run cold into tmp_path/out."""
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    out = tmp_path / "out"
    return inbox, out, _month(inbox, out, use_cache=False)


# What differs between any two runs, cached or not: the time stamps inside the workbook's zip,
# and its created/modified times. Nothing else (the emails are dated the report's day).
_RUN_TIME = re.compile(rb"<dcterms:(created|modified)[^<]*</dcterms")


def _files(folder: Path) -> dict[str, object]:
    """Every file of a month folder, as bytes, less what differs between any two runs."""
    files: dict[str, object] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = str(path.relative_to(folder))
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                files[name] = [
                    (i.filename, _RUN_TIME.sub(b"", book.read(i))) for i in book.infolist()
                ]
        else:
            files[name] = _RUN_TIME.sub(b"", path.read_bytes())
    return files


def _letter_of(folder: Path, name: str) -> str:
    trainees = json.loads((folder / "progress.json").read_text(encoding="utf-8"))["trainees"]
    (letter,) = [t["letter_file"] for t in trainees if t["name"] == name]
    return letter


def test_a_month_run_again_unchanged_keeps_every_file_but_the_workbook(tmp_path: Path) -> None:
    """The team's second run of a month with nothing new: every letter, email, digest and
    statement is the same file as before (publish links it), dated the report's day."""
    out = tmp_path / "out"
    _month(SAMPLE, out)
    folder = out / "2026-11"

    def held() -> dict[str, tuple[int, bytes]]:
        """Each file of the month folder: the file it is, and its bytes."""
        return {
            str(p.relative_to(folder)): (p.stat().st_ino, p.read_bytes())
            for p in folder.rglob("*")
            if p.is_file()
        }

    before = held()
    assert any(name.endswith(".eml") for name in before)
    _month(SAMPLE, out)
    after = held()
    assert after.keys() == before.keys()
    changed = {name for name in after if after[name] != before[name]}
    assert changed <= {"summary.xlsx"}  # it says when it was written, to the second
    letter = email.message_from_bytes((folder / "outbox" / "T01.eml").read_bytes())
    day = email.utils.parsedate_to_datetime(letter["Date"])
    assert day == dt.datetime(2026, 11, 30, 12).astimezone()  # noon, the report's day


def test_a_warm_run_writes_byte_for_byte_what_a_cold_one_does(tmp_path: Path) -> None:
    inbox, out, first = _sample_month(tmp_path)
    assert first.reused == 0 and first.rendered > 0
    before = _files(out / "2026-11")
    # one new session for one trainee
    (inbox / "attendance" / "late.csv").write_text(
        "Session date,Name,Attended as,Group name,Setting,With,Notes\n"
        "15/11/2026,Eleanor Whitaker,member,St Luke's Balint group,Hospital,,\n",
        encoding="utf-8",
    )
    warm = _month(inbox, out)
    cold_out = tmp_path / "cold"
    _month(inbox, cold_out, use_cache=False)

    warm_files, cold_files = _files(out / "2026-11"), _files(cold_out / "2026-11")
    assert warm_files == cold_files
    letter = _letter_of(out / "2026-11", "Eleanor Whitaker")
    assert warm_files[letter] != before[letter]  # hers changed...
    unchanged = [
        path
        for path in before
        if path.startswith("letters/") and Path(path).stem != Path(letter).stem
    ]
    assert unchanged and all(warm_files[path] == before[path] for path in unchanged)
    # ...and only the texts whose inputs moved were rendered again: her letter, her
    # supervisor's digest, and whatever else her new row reaches, not everyone's
    assert warm.reused > 0
    assert warm.rendered < first.rendered / 2
    assert warm.reused + warm.rendered == first.rendered


def test_a_change_only_the_record_lines_show_renders_that_letter_again(tmp_path: Path) -> None:
    # Letters are looked up by a key standing for each trainee's counted rows, not by the rows
    # written out: a change that moves no number, only what one line says (a group's name on
    # one row), must still reach that trainee's letter, and only hers.
    inbox, out, first = _sample_month(tmp_path)
    before = _files(out / "2026-11")
    register = inbox / "attendance" / "whitfield_st_lukes_hospital.csv"
    rows = register.read_text(encoding="utf-8-sig").splitlines()
    assert rows[93] == "11/01/2024,Eleanor Whitaker,member,St Luke's Balint group,Hospital,,"
    rows[93] = "11/01/2024,Eleanor Whitaker,member,St Luke's Balint group (Tuesdays),Hospital,,"
    register.write_text("\n".join(rows) + "\n", encoding="utf-8")
    warm = _month(inbox, out)
    _month(inbox, tmp_path / "cold", use_cache=False)
    warm_files = _files(out / "2026-11")
    assert warm_files == _files(tmp_path / "cold" / "2026-11")
    letter = _letter_of(out / "2026-11", "Eleanor Whitaker")
    assert b"St Luke&#39;s Balint group (Tuesdays)" in warm_files[letter]
    changed = {
        name for name in before if name.startswith("letters/") and warm_files[name] != before[name]
    }
    assert changed == {letter, letter.replace(".html", ".txt")}
    assert 1 <= warm.rendered < first.rendered / 4


def _segments(out: Path) -> list[Path]:
    return sorted((out / ".cache").glob("rendered-*.bin"))


def test_a_damaged_text_is_rendered_again_not_trusted(tmp_path: Path) -> None:
    inbox, out, first = _sample_month(tmp_path)
    before = _files(out / "2026-11")
    (store,) = _segments(out)
    data = bytearray(store.read_bytes())
    data[100:110] = b"<b>oops</b>"[:10]  # inside the first text kept
    store.write_bytes(bytes(data))
    again = _month(inbox, out)
    assert (again.rendered, again.reused) == (1, first.rendered - 1)  # that text, only it
    assert _files(out / "2026-11") == before


def test_a_run_writes_only_the_texts_it_rendered_and_drops_what_is_no_longer_used(
    tmp_path: Path,
) -> None:
    # A month run again after one file changed reuses nearly every letter: they stay in the
    # segment file they are in, and only the new texts are written, as a new segment.
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    out = tmp_path / "out"
    (out / ".cache").mkdir(parents=True)
    legacy = out / ".cache" / "rendered.bin"  # where an older version kept every text
    legacy.write_bytes(b"texts")
    first = _month(inbox, out, use_cache=False)
    assert not legacy.exists()
    (whole,) = _segments(out)
    kept = whole.read_bytes()
    (inbox / "attendance" / "late.csv").write_text(
        "Session date,Name,Attended as,Group name,Setting,With,Notes\n"
        "15/11/2026,Eleanor Whitaker,member,St Luke's Balint group,Hospital,,\n",
        encoding="utf-8",
    )
    warm = _month(inbox, out)
    assert 0 < warm.rendered < first.rendered / 2
    old, new = sorted(_segments(out), key=lambda p: p != whole)
    assert old == whole and old.read_bytes() == kept  # not written again
    assert 0 < new.stat().st_size < whole.stat().st_size / 2
    index = json.loads((out / ".cache" / "rendered.json").read_text(encoding="utf-8"))
    assert sorted(index["segments"]) == sorted([old.name, new.name])
    assert {entry[0] for entry in index["entries"].values()} == {old.name, new.name}
    # ...and the next run serves every text from the two, byte for byte
    before = _files(out / "2026-11")
    again = _month(inbox, out)
    assert (again.rendered, again.reused) == (0, first.rendered)
    assert _files(out / "2026-11") == before
    # a run that renders everything afresh leaves one segment: nothing dead is kept
    _month(inbox, out, use_cache=False)
    (only,) = _segments(out)
    index = json.loads((out / ".cache" / "rendered.json").read_text(encoding="utf-8"))
    assert index["segments"] == [only.name]
    assert {entry[0] for entry in index["entries"].values()} == {only.name}


def _texts(n: int) -> tuple[str, str]:
    return (f"<p>letter {n}</p>" * 50, f"letter {n}\n" * 50)


@pytest.mark.parametrize(("reused", "segments"), [(3, 2), (1, 1)])
def test_a_segment_mostly_dead_is_written_again_with_its_live_texts(
    tmp_path: Path, reused: int, segments: int
) -> None:
    # Four texts kept; the next run reuses some and renders one new. Three of four still used:
    # their segment stays as it is, and the new text gets one of its own. One of four: less
    # than half is live, so it goes into the new segment with the new text and the old
    # segment is deleted, so dead texts never pile up run after run.
    first = Rendered()
    for n in range(4):
        first.put(f"key{n}", _texts(n))
    save_rendered(tmp_path, first)
    (old,) = _segments(tmp_path)
    second = load_rendered(tmp_path)
    for n in range(reused):
        assert second.get(f"key{n}") == _texts(n)
    second.put("key9", _texts(9))
    second.release()
    save_rendered(tmp_path, second)
    assert len(_segments(tmp_path)) == segments
    assert old.exists() == (segments == 2)
    third = load_rendered(tmp_path)
    for n in [*range(reused), 9]:
        assert third.get(f"key{n}") == _texts(n)
    assert third.get("key3" if reused < 3 else "key8") is None  # not used last run: gone
    assert (third.hits, third.misses) == (reused + 1, 1)


def test_a_store_missing_a_segment_is_not_used(tmp_path: Path) -> None:
    kept = Rendered()
    kept.put("key0", _texts(0))
    save_rendered(tmp_path, kept)
    (segment,) = _segments(tmp_path)
    assert load_rendered(tmp_path).get("key0") == _texts(0)
    segment.unlink()
    again = load_rendered(tmp_path)
    assert again.get("key0") is None and again.misses == 1


@pytest.mark.parametrize("mix_up", ["swap", "trim"])
def test_mixed_up_or_trimmed_index_entries_are_rendered_again_never_served(
    tmp_path: Path, mix_up: str
) -> None:
    # An index whose entries were swapped (one trainee's texts under another's key) or cut
    # short: each such entry is rendered afresh, so nobody is sent another's letter and the
    # run does not fail.
    inbox, out, _ = _sample_month(tmp_path)
    before = _files(out / "2026-11")
    index_path = out / ".cache" / "rendered.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    first, second = list(index["entries"])[:2]
    entries = index["entries"]
    if mix_up == "swap":
        entries[first][:2], entries[second][:2] = entries[second][:2], entries[first][:2]
    else:
        entries[first] = entries[first][1:]  # one text fewer
    index_path.write_text(json.dumps(index), encoding="utf-8")
    again = _month(inbox, out)
    assert _files(out / "2026-11") == before
    if mix_up == "swap":
        assert again.rendered == 2  # the two mixed-up entries, and only they
    else:
        assert again.reused == 0  # an index of the wrong shape is not used at all


def _sample_report() -> RunResult:
    config = load_config(SAMPLE / "balint.toml")
    return build_report(SAMPLE, AS_OF, config, load_rulesets(config.rule_files))


def _normalised(files: Mapping[str, bytes]) -> dict[str, object]:
    """A month's files as bytes, less what differs between any two renders (as `_files`)."""
    normalised: dict[str, object] = {}
    for name, content in files.items():
        if name.endswith(".xlsx"):
            with zipfile.ZipFile(io.BytesIO(content)) as book:
                normalised[name] = [
                    (i.filename, _RUN_TIME.sub(b"", book.read(i))) for i in book.infolist()
                ]
        else:
            normalised[name] = _RUN_TIME.sub(b"", content)
    return normalised


def test_the_team_files_written_by_a_worker_process_are_the_bytes_one_process_writes(
    tmp_path: Path,
) -> None:
    report = _sample_report()
    assert render_workers(report, letters=True) == 0  # 19 letters: not worth a worker
    had = frozenset({"T01", "T02"})
    serial_store = Rendered()
    serial = month_files(report, [], had, workers=0, rendered=serial_store)
    store = Rendered()
    parallel = month_files(report, [], had, workers=1, rendered=store)
    assert list(parallel.files) == list(serial.files)  # the same files, in the same order
    assert _normalised(parallel.files) == _normalised(serial.files)
    assert store.used == serial_store.used
    assert (store.hits, store.misses) == (serial_store.hits, serial_store.misses) == (0, 25)
    # and from a store a run kept: every text reused, still the same bytes
    save_rendered(tmp_path, serial_store)
    kept = load_rendered(tmp_path)
    again = month_files(report, [], had, workers=1, rendered=kept)
    assert _normalised(again.files) == _normalised(serial.files)
    assert (kept.hits, kept.misses) == (25, 0)
    assert render._JOB is None  # nothing left for a later run's worker


def test_a_refused_fork_renders_everything_here_and_leaves_nothing_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The operating system may refuse a process (memory, a process limit): the month is then
    # written by this process, the same bytes, and no frozen objects or job are left over.
    report = _sample_report()
    serial = month_files(report, [], workers=0)

    def refused() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    _check_written_here(report, serial)


def _check_written_here(report: RunResult, serial: MonthFolder) -> None:
    """Asked for a worker for the team's files that never writes them, the month is the same
    bytes as a one-process month's, with no frozen objects or job left over."""
    frozen = gc.get_freeze_count()
    written = month_files(report, [], workers=1)
    assert _normalised(written.files) == _normalised(serial.files)
    assert gc.get_freeze_count() == frozen
    assert render._JOB is None


def test_a_big_month_writes_the_team_files_in_a_worker_unless_one_process_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = _sample_report()
    monkeypatch.setattr(render, "PARALLEL_LETTERS", 1)
    monkeypatch.delenv("BALINT_WORKERS", raising=False)
    assert render_workers(report, letters=True) == (1 if (os.cpu_count() or 1) > 1 else 0)
    assert render_workers(report, letters=False) == 0  # no letters to write meanwhile
    monkeypatch.setenv("BALINT_WORKERS", "1")
    assert render_workers(report, letters=True) == 0


def test_a_small_month_is_rendered_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    report = _sample_report()
    monkeypatch.delenv("BALINT_WORKERS", raising=False)
    assert render_workers(report, letters=True) == 0  # 19 letters: a worker would cost more


def test_a_worker_that_dies_leaves_the_team_files_to_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The out-of-memory killer may end the worker at any time: the run writes the team's files
    # itself, the same bytes, and leaves nothing frozen or pending behind.
    report = _sample_report()
    serial = month_files(report, [], workers=0)
    real_fork = os.fork

    def dying_fork() -> int:
        pid = real_fork()
        if pid == 0:
            os._exit(1)  # the worker, gone before it wrote anything
        return pid

    monkeypatch.setattr(os, "fork", dying_fork)
    _check_written_here(report, serial)
