"""The month's dashboard, index.html: totals, close, stalled, every trainee, issues per file."""

from __future__ import annotations

import datetime as dt
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from balint_reports.config import Config
from balint_reports.dashboard import dashboard_html
from balint_reports.pipeline import build_report
from balint_reports.ruleset import load_rulesets

from ..conftest import TRAINEE_HEADER, run_report, trainee_row, write_csv, write_xlsx

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


class _Sections(HTMLParser):
    """The visible text of each <section>, by the id of its heading; and every link target."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, str] = {}
        self.links: list[str] = []
        self._current: str | None = None
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "h2" and "id" in attributes:
            self._current = attributes["id"]
            self.sections[self._current] = ""
        if tag == "script":
            self._in_script = True
        for name in ("href", "src"):
            if name in attributes:
                self.links.append(attributes[name])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._current and not self._in_script:
            self.sections[self._current] += data


def _parse(html: str) -> _Sections:
    parser = _Sections()
    parser.feed(html)
    return parser


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def sample_month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dashboard") / "out"
    run_report(SAMPLE, out)
    return out / "2026-11"


def test_dashboard_totals_close_and_stalled_on_the_sample(sample_month: Path) -> None:
    page = _parse((sample_month / "index.html").read_text(encoding="utf-8"))
    # The tiles count the 18 on the pathway: the accredited T13 is no application to consider
    # and the withdrawn T12 is not in progress; both are named by their register status.
    assert _words(page.sections["totals"]).strip() == (
        "18 trainees on the pathway 3 Ready 13 In progress 2 Needs data "
        "Also in the register: 1 accredited, 1 withdrawn."
    )
    close = _words(page.sections["close"])
    # All met but feeling ready and the reference steps (T07, T15); all met but supervision.
    for trainee in ("(T07): 5 of 5 met", "(T15): 5 of 5 met", "(T16): 4 of 5", "(T19): 4 of 5"):
        assert trainee in close
    assert "waiting for the reference forwarded to the team" in close  # T15's only step left
    assert "(T01)" not in close  # ready already
    stalled = _words(page.sections["stalled"])
    assert re.findall(r"\((T\d\d)\)", stalled) == ["T03", "T05", "T09", "T10"]
    assert "(T10): last record 22 Feb 2024" in stalled
    # paused (T11) and withdrawn (T12) trainees are not chased, however old their records
    assert "T11" not in stalled and "T12" not in stalled


def test_dashboard_lists_every_trainee_with_bars_and_working_letter_links(
    sample_month: Path,
) -> None:
    html = (sample_month / "index.html").read_text(encoding="utf-8")
    page = _parse(html)
    everyone = _words(page.sections["everyone"])
    assert all(f"T{n:02d}" in everyone for n in range(1, 21))
    # five requirements per trainee, each a bar with its word and percentage
    assert len(re.findall(r'<div class="bar" role="img"', html)) == 20 * 5
    assert "Not yet met · 95%" in everyone  # T04: 19 of 20 co-led sessions
    # T04's supervision sessions are all there but her supervisor's report is not: the bar is
    # full, and says the count is done rather than "100%" under "Not yet met"
    t04 = re.search(r"<td>T04</td>.*?</tr>", html, re.S)
    assert t04 is not None and "Not yet met &middot; count done" in _words(t04.group())
    assert "Not yet met · 100%" not in everyone
    # T09 waits on an answer: no percentage beside "Cannot assess" (the Overview leaves it blank)
    t09 = re.search(r"<td>T09</td>.*?</tr>", html, re.S)
    assert t09 is not None and re.search(r"Cannot assess\s*</td>", t09.group())
    assert "Cannot assess &middot;" not in html
    letters = [link for link in page.links if link.startswith("letters/")]
    # every active or paused trainee's letter; none for the withdrawn (T12) or accredited (T13)
    expected = {f"T{n:02d}" for n in range(1, 21)} - {"T12", "T13"}
    assert {Path(link).stem for link in letters} == expected
    for link in letters:
        assert (sample_month / link).is_file(), link


def test_dashboard_needs_nothing_from_outside(sample_month: Path) -> None:
    html = (sample_month / "index.html").read_text(encoding="utf-8")
    page = _parse(html)
    assert all(not re.match(r"[a-z]+:", link) for link in page.links), page.links
    assert "<link" not in html and "@import" not in html and "url(" not in html


def test_dashboard_issues_grouped_by_file_errors_first(sample_month: Path) -> None:
    issues = _words(_parse((sample_month / "index.html").read_text("utf-8")).sections["issues"])
    raman = issues.index("attendance/raman_medical_students_group.xlsx: 1 error")
    okafor = issues.index("attendance/okafor_thursday_gp_group.xlsx: 0 errors, 1 warning")
    assert raman < okafor
    assert "'31/02/2026' is not a real date" in issues
    # in the workbook's words, not the machine's
    html = (sample_month / "index.html").read_text("utf-8")
    assert '<td class="error">Error</td>' in html and '<td class="error">error</td>' not in html
    t04 = re.search(r"<td>T04</td>.*?</tr>", html, re.S)
    assert t04 is not None and "<td>Active</td>" in t04.group()


def test_stalled_is_six_months_without_a_record_and_text_is_escaped(
    inbox: Path, tmp_path: Path
) -> None:
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Recent Rita", psychodynamic_training="no"),
                trainee_row("T2", "<b>Old</b> Olga", psychodynamic_training="no"),
                trainee_row("T3", "Nobody Ned", psychodynamic_training="no"),
            ],
            "Leaders": [["leader_id", "name"], ["L1", "Ann Leader"]],
        },
    )
    write_csv(
        inbox / "group.csv",
        [
            ["trainee", "date", "activity"],
            ["T1", "01/06/2026", "member"],  # under six months before 30 November
            ["T2", "29/05/2026", "member"],  # just over six months before
            ["T2", "01/01/2026", "member"],
        ],
    )
    report = build_report(inbox, dt.date(2026, 11, 30), Config(), load_rulesets(()))
    html = dashboard_html(report)
    page = _parse(html)
    stalled = _words(page.sections["stalled"])
    assert "(T2): last record 29 May 2026" in stalled
    assert "(T3): no records yet" in stalled
    assert "T1" not in stalled
    assert "<b>Old</b>" not in html and "&lt;b&gt;Old&lt;/b&gt; Olga" in html
    # the same page as the run writes it
    run_report(inbox, tmp_path / "out")
    written = (tmp_path / "out" / "2026-11" / "index.html").read_text(encoding="utf-8")
    assert written == html


def test_the_team_views_speak_of_the_trainee_not_to_them(sample_month: Path) -> None:
    """A requirement's title is written for the trainee's letter ("Supervision and your
    supervisor's report"); the dashboard and the evidence statements, read by the team and the
    panel, say "their"."""
    views = [sample_month / "index.html", *sorted((sample_month / "evidence").glob("*.html"))]
    assert len(views) > 1
    for view in views:
        text = _words(html.unescape(view.read_text(encoding="utf-8")))
        assert "your supervisor's report" not in text, view.name
        assert "their supervisor's report" in text, view.name
