"""Letters as PDF, printed by a headless Chromium-family browser (Chromium, Chrome or Edge).

Why a browser rather than an HTML-to-PDF library: the letters are email HTML, and a browser
prints them exactly as the team and the trainee see them on screen (the same engine the
real-browser tests use); the team's computers already have one (Edge on every Windows), so
nothing else needs installing there; and Debian ships `chromium` as a package. WeasyPrint,
the well-kept library alternative, needs Pango/GTK libraries that are hard to install on
Windows and lays out table-based email HTML differently from a browser.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from markupsafe import Markup

from .errors import OutputError

BROWSER_VARIABLE = "BALINT_BROWSER"
# Looked for on PATH, in this order.
BROWSER_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "msedge",
    "microsoft-edge",
)
# Where Windows and macOS install them when they are not on PATH.
KNOWN_PLACES = (
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)
# Nothing but the local file: no updates, no sync, no first-run pages, no network chatter.
QUIET = (
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pdf-header-footer",
)
SECONDS_PER_LETTER = 90
NO_BROWSER = (
    "--pdf needs Chromium, Google Chrome or Microsoft Edge: install one (on Debian or Ubuntu: "
    f"apt-get install chromium), or set {BROWSER_VARIABLE} to the browser's program file"
)


def css_string(value: object) -> Markup:
    """`value` as a quoted CSS string, safe inside a <style> element (for the print footer)."""
    # HTML escaping does not apply inside <style>: everything but letters, digits and plain
    # punctuation becomes a CSS escape, so no quote, backslash or `</style>` can get out.
    text = "".join(c if c.isalnum() or c in " .,·()'-" else f"\\{ord(c):x} " for c in str(value))
    return Markup(f'"{text}"')


def find_browser() -> str:
    """The browser to print with: BALINT_BROWSER, else the first one found; raises if none."""
    chosen = os.environ.get(BROWSER_VARIABLE, "").strip()
    if chosen:
        found = shutil.which(chosen) or (chosen if Path(chosen).is_file() else None)
        if found is None:
            raise OutputError(f"{BROWSER_VARIABLE}={chosen}: no such program. {NO_BROWSER}")
        return found
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    for place in KNOWN_PLACES:
        if Path(place).is_file():
            return place
    raise OutputError(NO_BROWSER)


def _arguments(browser: str, page: Path, pdf: Path, profile: str) -> list[str]:
    arguments = [browser, *QUIET, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}"]
    # Chromium refuses to start as root with its sandbox (CI and containers run as root); it
    # only ever opens our own letter, which has no scripts.
    if sys.platform != "win32" and os.geteuid() == 0:
        arguments.append("--no-sandbox")
    return [*arguments, page.resolve().as_uri()]


def print_pdf(browser: str, page: Path, pdf: Path) -> None:
    """Print one HTML file to a PDF file; raises OutputError saying which and why."""
    # Each browser gets a profile of its own: several print at once, none touches the user's.
    with tempfile.TemporaryDirectory(prefix="balint-browser-") as profile:
        try:
            done = subprocess.run(
                _arguments(browser, page, pdf, profile),
                capture_output=True,
                text=True,
                timeout=SECONDS_PER_LETTER,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise OutputError(
                f"{page.name}: the browser took over {SECONDS_PER_LETTER} s to print it"
            ) from None
        except OSError as exc:
            raise OutputError(f"{browser}: cannot be started ({exc.strerror or exc})") from None
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        said = [line for line in done.stderr.splitlines() if line.strip()]
        raise OutputError(
            f"{page.name}: the browser could not print it as PDF"
            + (f" ({said[-1].strip()})" if said else f" (exit status {done.returncode})")
        )


def letter_pdfs(files: Mapping[str, bytes], browser: str) -> dict[str, bytes]:
    """A PDF for every letters/*.html of a month's files, printed a few at a time."""
    letters = sorted(p for p in files if p.startswith("letters/") and p.endswith(".html"))
    if not letters:
        return {}
    # The browser prints files, so the letters go to a private folder first; it goes after.
    with tempfile.TemporaryDirectory(prefix="balint-letters-") as folder:
        pages = []
        for path in letters:
            page = Path(folder) / Path(path).name
            page.write_bytes(files[path])
            pages.append(page)
        workers = max(1, min(4, os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(print_pdf, browser, p, p.with_suffix(".pdf")) for p in pages]
            for future in futures:
                future.result()  # the first failure stops the run with its message
        return {
            path.removesuffix(".html") + ".pdf": page.with_suffix(".pdf").read_bytes()
            for path, page in zip(letters, pages, strict=True)
        }
