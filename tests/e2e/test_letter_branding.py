"""The society's own letterhead: opening paragraph and logo from [report], the logo embedded."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from ..conftest import TRAINEE_HEADER, run_cli, run_report, trainee_row, write_xlsx

PNG = base64.b64decode(  # a 1x1 PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def _inbox(inbox: Path, report: str) -> None:
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [TRAINEE_HEADER, trainee_row("T1", "Jane Smith", supervisor="L1")],
            "Leaders": [["leader_id", "name", "email"], ["L1", "Ann Leader", "ann@example.org"]],
        },
    )
    (inbox / "balint.toml").write_text(f"[report]\n{report}", encoding="utf-8")


def test_logo_is_embedded_and_the_opening_replaces_the_built_in_one(
    inbox: Path, tmp_path: Path
) -> None:
    (inbox / "art").mkdir()
    (inbox / "art" / "Logo.PNG").write_bytes(PNG)
    _inbox(inbox, 'logo = "art/Logo.PNG"\nopening = "Dear friends, a <short> note."\n')
    run_report(inbox, tmp_path / "out")
    month = tmp_path / "out" / "2026-11"
    html = (month / "letters" / "T1.html").read_text(encoding="utf-8")
    sources = re.findall(r'src="([^"]*)"', html)
    assert sources == ["data:image/png;base64," + base64.b64encode(PNG).decode()]
    assert "Dear friends, a &lt;short&gt; note." in html
    assert "Thank you for all you are putting into your training" not in html
    text = (month / "letters" / "T1.txt").read_text(encoding="utf-8")
    assert "Dear friends, a <short> note." in text
    digest = (month / "digests" / "L1.html").read_text(encoding="utf-8")
    assert re.findall(r'src="([^"]*)"', digest) == sources


def test_without_a_logo_the_letter_has_no_image_and_the_usual_opening(
    inbox: Path, tmp_path: Path
) -> None:
    _inbox(inbox, 'society = "The Test Society"\n')
    run_report(inbox, tmp_path / "out")
    html = (tmp_path / "out" / "2026-11" / "letters" / "T1.html").read_text(encoding="utf-8")
    assert "<img" not in html
    assert "Thank you for all you are putting into your training" in html


@pytest.mark.parametrize(
    ("setting", "file", "message"),
    [
        ('logo = "logo.bmp"', "logo.bmp", "logo = 'logo.bmp': use a PNG, JPEG, GIF or SVG file"),
        ('logo = "missing.png"', None, "[report] logo: cannot read"),
        ('logo = "big.png"', "big.png", "big.png is 300 kB; every letter carries it"),
        ("logo = 3", None, "[report] logo must be text in quotes"),
    ],
)
def test_a_logo_that_cannot_be_used_stops_the_run_with_a_clear_message(
    inbox: Path, tmp_path: Path, setting: str, file: str | None, message: str
) -> None:
    if file:
        (inbox / file).write_bytes(PNG + b"\0" * (300_000 if file == "big.png" else 0))
    _inbox(inbox, setting + "\n")
    result = run_cli("run", inbox, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_the_printed_pages_name_their_reader_without_letting_a_name_out_of_the_style(
    inbox: Path, tmp_path: Path
) -> None:
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", 'Jo "Q" </style><script>alert(1)</script>', supervisor="L1"),
            ],
            "Leaders": [["leader_id", "name", "email"], ["L1", "Siân O'Neil", "s@example.org"]],
        },
    )
    (inbox / "balint.toml").write_text('[report]\nsociety = "A & B Society"\n', encoding="utf-8")
    run_report(inbox, tmp_path / "out")
    month = tmp_path / "out" / "2026-11"
    letter = (month / "letters" / "T1.html").read_text(encoding="utf-8")
    style = letter[: letter.index("</style>")]
    assert "<script>" not in letter and letter.count("</style>") == 1
    # CSS escapes, not HTML ones: inside <style> an `&amp;` would print as written.
    assert '@top-left { content: "A \\26  B Society";' in style
    assert '@top-right { content: "Jo \\22 Q\\22  \\3c \\2f style\\3e \\3c script\\3e ' in style
    digest = (month / "digests" / "L1.html").read_text(encoding="utf-8")
    assert '@top-right { content: "Siân O\'Neil";' in digest
