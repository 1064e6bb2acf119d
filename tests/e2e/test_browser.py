"""Real-browser checks: a letter, a digest and the dashboard in headless Chromium.

Each page is opened at 800 px and at 375 px (a phone): its key text must be visible, nothing
may be wider than the screen, nothing may be fetched from outside, and the console must stay
free of errors. Screenshots are kept in test-artefacts/screenshots/ (not committed) for a
person to look at. Debian's `chromium` is driven by Playwright for Python; .ci/run installs it.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from balint_reports.pdf import find_browser, letter_pdfs, print_pdf

from ..conftest import TRAINEE_HEADER, run_cli, run_report, trainee_row, write_csv, write_xlsx

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
SCREENSHOTS = ROOT / "test-artefacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).is_file(),
    reason="Chromium is not installed and could not be (apt-get install -y chromium); "
    ".ci/run installs it where the machine allows",
)
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="56">'
    '<circle cx="28" cy="28" r="28" fill="#1a3a5c"/></svg>'
)
# page name, file in the month folder, text that must be visible on it
PAGES = [
    ("letter", "letters/T04.html", ["Dear Priya Sharma,", "Where you stand", "19 of 20"]),
    ("digest", "digests/L02.html", ["Dear Dr Henry Whitfield,", "Priya Sharma (T04)"]),
    ("dashboard", "index.html", ["Accreditation dashboard", "Close to completion", "Priya"]),
    ("evidence", "evidence/T01.html", ["Evidence statement: Amelia Hart (T01)", "Rows that"]),
]


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample month with a logo and an opening paragraph of the society's own."""
    base = tmp_path_factory.mktemp("browser")
    inbox = base / "inbox"
    shutil.copytree(SAMPLE, inbox)
    (inbox / "logo.svg").write_text(LOGO, encoding="utf-8")
    config = inbox / "balint.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + 'logo = "logo.svg"\nopening = "Thank you for another year of groups."\n',
        encoding="utf-8",
    )
    run_report(inbox, base / "out")
    return base / "out" / "2026-11"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def _open(browser: object, url: str, width: int) -> tuple[object, list[str], list[str]]:
    """A page at `width` px with its console errors and every URL it asked for."""
    page = browser.new_page(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    return page, errors, requests


@needs_chromium
@pytest.mark.parametrize("width", [800, 375])
@pytest.mark.parametrize(("name", "path", "texts"), PAGES, ids=[p[0] for p in PAGES])
def test_page_reads_well_in_a_real_browser(
    browser: object, month: Path, name: str, path: str, texts: list[str], width: int
) -> None:
    page, errors, requests = _open(browser, (month / path).as_uri(), width)
    try:
        for text in texts:
            assert page.get_by_text(text).first.is_visible(), f"{text!r} not visible on {name}"
        # Nothing wider than the screen: a wide table scrolls inside its own box.
        overflow = page.evaluate("document.documentElement.scrollWidth")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    finally:
        page.close()
    assert overflow <= width, f"{name} is {overflow} px wide on a {width} px screen"
    assert errors == [], errors
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


@needs_chromium
def test_letter_shows_the_embedded_logo_and_the_society_opening(
    browser: object, month: Path
) -> None:
    page, errors, requests = _open(browser, (month / "letters" / "T04.html").as_uri(), 800)
    try:
        logo = page.locator("img").first
        assert logo.get_attribute("alt") == "The Balint Society (fictional sample)"
        assert page.evaluate("document.images[0].naturalWidth") == 120  # decoded from the letter
        assert page.get_by_text("Thank you for another year of groups.").is_visible()
    finally:
        page.close()
    assert errors == []
    assert not [url for url in requests if url.startswith("file:") and "logo" in url]


@needs_chromium
def test_letter_prints_on_white_with_cards_kept_whole(browser: object, month: Path) -> None:
    page, _, _ = _open(browser, (month / "letters" / "T04.html").as_uri(), 800)
    try:
        screen_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        page.emulate_media(media="print")
        printed = page.evaluate(
            """() => ({
              body: getComputedStyle(document.body).backgroundColor,
              cards: [...document.querySelectorAll('table table table')]
                .map(t => getComputedStyle(t).breakInside),
            })"""
        )
        page.screenshot(path=str(SCREENSHOTS / "letter-print.png"), full_page=True)
    finally:
        page.close()
    assert screen_background == "rgb(244, 244, 244)"  # the grey page of the email
    assert printed["body"] == "rgb(255, 255, 255)"
    assert printed["cards"] and set(printed["cards"]) == {"avoid"}


@needs_chromium
def test_dashboard_sorts_by_the_heading_chosen(browser: object, month: Path) -> None:
    page, errors, _ = _open(browser, (month / "index.html").as_uri(), 800)
    try:
        names = (
            "[...document.querySelectorAll('#trainees tbody tr')].map(r => r.cells[1].innerText)"
        )
        register_order = page.evaluate(names)
        page.get_by_role("button", name="Name").click()
        ascending = page.evaluate(names)
        page.get_by_role("button", name="Name").click()
        descending = page.evaluate(names)
        page.get_by_role("button", name="Co-leading Balint groups").click()
        by_co_leading = page.evaluate(
            "[...document.querySelectorAll('#trainees tbody tr')]"
            ".map(r => [r.cells[1].innerText, r.cells[5].innerText.trim()])"
        )
    finally:
        page.close()
    assert register_order[0] == "Amelia Hart"
    assert ascending == sorted(register_order, key=str.casefold)
    assert descending == ascending[::-1]
    percents = [int(re.search(r"(\d+)%", shown).group(1)) for _, shown in by_co_leading]
    assert percents == sorted(percents) and percents[0] == 0 and percents[-1] == 100
    assert ["Oliver Bennett", "Not yet met · 0%"] in by_co_leading  # never co-led
    assert errors == []


def _squeezed(text: str) -> str:
    """Text without white space: a PDF's lines break, and its cells join, where HTML's do not."""
    return re.sub(r"\s+", "", text)


@needs_chromium
def test_printed_letters_keep_each_card_on_one_page_under_a_running_header(
    browser: object, month: Path
) -> None:
    from pypdf import PdfReader

    stems = ["T01", "T02", "T03", "T04", "T05", "T06", "T07", "T08"]
    files = {f"letters/{s}.html": (month / "letters" / f"{s}.html").read_bytes() for s in stems}
    pdfs = letter_pdfs(files, find_browser())  # printed as `run --pdf` prints them
    later_pages = 0
    for stem in stems:
        page, _, _ = _open(browser, (month / "letters" / f"{stem}.html").as_uri(), 800)
        try:
            # Each card of "Where you stand": its first line (the title) and its last line.
            cards = page.evaluate(
                """() => [...document.querySelectorAll('table table table')]
                     .filter(t => !t.parentElement.closest('table table table')).map(t => {
                     const lines = t.innerText.split('\\n').filter(l => l.trim());
                     return [lines[0], lines[lines.length - 1]];
                   })"""
            )
            name = page.evaluate("document.body.innerText.match(/Dear (.*),/)[1]")
        finally:
            page.close()
        (SCREENSHOTS / "pdf").mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / "pdf" / f"{stem}.pdf").write_bytes(pdfs[f"letters/{stem}.pdf"])
        reader = PdfReader(SCREENSHOTS / "pdf" / f"{stem}.pdf")
        pages = [_squeezed(p.extract_text()) for p in reader.pages]

        def first_page_with(text: str, pages: list[str] = pages) -> int:
            return next(i for i, page in enumerate(pages) if _squeezed(text) in page)

        assert len(cards) == 5, cards
        for title, last in cards:
            where = first_page_with(title)
            assert first_page_with(last) == where, f"{stem}: the card {title!r} is split"
            later_pages += where > 0
        society = _squeezed("The Balint Society (fictional sample)")
        for number, text in enumerate(pages, start=1):
            assert _squeezed(f"Page {number} of {len(pages)}") in text
            if number > 1:  # a loose page says whose it is
                assert society in text and _squeezed(name) in text
    assert later_pages, "no card fell on a later page: the check above proved nothing"


@needs_chromium
def test_a_printed_evidence_statement_runs_on_under_headings_saying_whose_it_is(
    month: Path, tmp_path: Path
) -> None:
    from pypdf import PdfReader

    pdf = tmp_path / "T01.pdf"
    print_pdf(find_browser(), month / "evidence" / "T01.html", pdf)
    (SCREENSHOTS / "pdf").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pdf, SCREENSHOTS / "pdf" / "evidence-T01.pdf")
    pages = [_squeezed(p.extract_text()) for p in PdfReader(pdf).pages]
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert _squeezed("Evidence statement: Amelia Hart (T01)") in text
        assert _squeezed(f"Page {number} of {len(pages)}") in text
    # The 24 member sessions start on the first page (a requirement is not pushed whole to
    # the next, leaving half a page empty) and run on under repeated column headings.
    assert _squeezed("06/01/2022 group member 1 session") in pages[0]
    heading = pages[1].find(_squeezed("Date What Amount Detail File Sheet Row"))
    assert -1 < heading < pages[1].find(_squeezed("group member 1 session"))


@needs_chromium
def test_the_printed_dashboard_shows_every_column_and_every_files_issues(
    month: Path, tmp_path: Path
) -> None:
    from pypdf import PdfReader

    pdf = tmp_path / "index.pdf"
    print_pdf(find_browser(), month / "index.html", pdf)
    (SCREENSHOTS / "pdf").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pdf, SCREENSHOTS / "pdf" / "dashboard.pdf")
    reader = PdfReader(pdf)
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (
        297,
        210,
    )  # A4 across: the trainee table is wide
    pages = [_squeezed(p.extract_text()) for p in reader.pages]
    whole = "".join(pages)
    # The table's last columns are printed, not cut off with its scrolling box.
    assert _squeezed("Supervision and their supervisor's report") in whole
    assert _squeezed("Last record") in whole
    # A file's issues folded away on screen are printed too (registers.xlsx starts closed).
    assert _squeezed("the address has letters outside plain ASCII") in whole
    for number, text in enumerate(pages, start=1):
        assert _squeezed(f"Page {number} of {len(pages)}") in text


def _small_inbox(inbox: Path) -> None:
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Jane Smith", psychodynamic_training="no"),
                trainee_row("T2", "Tom Brown", psychodynamic_training="no", status="withdrawn"),
            ],
            "Leaders": [["leader_id", "name"], ["L1", "Ann Leader"]],
        },
    )
    write_csv(
        inbox / "group.csv", [["trainee", "date", "activity"], ["T1", "01/03/2026", "member"]]
    )


@needs_chromium
def test_run_pdf_writes_an_a4_pdf_per_letter(inbox: Path, tmp_path: Path) -> None:
    _small_inbox(inbox)
    run_report(inbox, tmp_path / "out", "--pdf")
    letters = tmp_path / "out" / "2026-11" / "letters"
    assert sorted(p.name for p in letters.iterdir()) == ["T1.html", "T1.pdf", "T1.txt"]
    pdf = (letters / "T1.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    width, height = map(float, re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf).groups())
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4, in mm


def test_run_pdf_without_a_browser_stops_before_reading(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_inbox(inbox)
    monkeypatch.setenv("BALINT_BROWSER", str(tmp_path / "no-such-browser"))
    result = run_cli("run", inbox, "--out", tmp_path / "out", "--pdf")
    assert result.exit_code == 1
    assert "BALINT_BROWSER=" in result.output and "apt-get install chromium" in result.output
    assert not (tmp_path / "out").exists()
    assert "Traceback" not in result.output
    assert os.environ["BALINT_BROWSER"].endswith("no-such-browser")
