"""The `balint-reports` command: thin click wrappers around the pipeline."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from .config import CONFIG_NAME, Config, load_config
from .errors import BalintError
from .issues import issue_table
from .pipeline import Report, build_report
from .render import write_report
from .ruleset import load_rulesets


class _Date(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):  # noqa: ANN001, ANN201 - click's signature
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date written as YYYY-MM-DD, e.g. 2026-11-30", param, ctx)


def _config_for(inbox: Path, config_file: Path | None) -> Config:
    if config_file is None and (inbox / CONFIG_NAME).is_file():
        config_file = inbox / CONFIG_NAME
    return load_config(config_file)


def _issue_counts(report: Report) -> str:
    errors, warnings = report.count("error"), report.count("warning")
    if not errors and not warnings:
        return "No data issues."

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    counted = f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"
    return f"{counted} — see Data issues in summary.xlsx"


inbox_argument = click.argument(
    "inbox", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"Config file to use instead of INBOX/{CONFIG_NAME}.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="balint-reports")
def main() -> None:
    """Monthly accreditation progress reports for Balint group leaders in training.

    Put the month's spreadsheets (attendance registers, supervision logs,
    portfolio sign-offs, and the trainee and leader registers) into one folder,
    then run `balint-reports run FOLDER --out REPORTS`.

    Run `balint-reports COMMAND --help` for the details of each command.
    """


@main.command()
@inbox_argument
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the reports; each month goes in OUT/YYYY-MM/.",
)
@click.option(
    "--as-of",
    type=_Date(),
    default=None,
    help="Report date (YYYY-MM-DD). Records after it are left out. Default: today.",
)
@config_option
@click.option(
    "--rules",
    "rules",
    multiple=True,
    help="A ruleset TOML file, or the name of a built-in ruleset (e.g. uk-2019). "
    "Repeat to load several: each trainee is assessed under the newest one in "
    "effect on their registration date.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="If any spreadsheet error is found, write the summary but no letters, and exit 1.",
)
def run(
    inbox: Path,
    out: Path,
    as_of: dt.date | None,
    config_file: Path | None,
    rules: tuple[str, ...],
    strict: bool,
) -> None:
    """Read every spreadsheet in INBOX and write this month's report into OUT.

    Writes OUT/YYYY-MM/summary.xlsx (with a Data issues sheet pointing at the
    file, sheet and row of every problem), progress.json, and a progress letter
    per active or paused trainee in OUT/YYYY-MM/letters/ (HTML and plain text).

    Problems in the spreadsheets do not stop the run: fix what the Data issues
    sheet lists, and run again.

    Example:

        balint-reports run inbox --out reports --as-of 2026-11-30
    """
    try:
        config = _config_for(inbox, config_file)
        rulesets = load_rulesets(rules or config.rule_files)
        report = build_report(inbox, as_of or dt.date.today(), config, rulesets)
        blocked = strict and report.count("error") > 0
        folder = write_report(report, out, letters=not blocked)
    except BalintError as exc:
        raise click.ClickException(str(exc)) from None
    counts: dict[str, int] = {}
    for t in report.trainees:
        counts[t.overall] = counts.get(t.overall, 0) + 1
    overall = ", ".join(
        f"{counts[k]} {label}"
        for k, label in (
            ("ready", "ready"),
            ("in_progress", "in progress"),
            ("needs_data", "need data"),
        )
        if counts.get(k)
    )
    click.echo(
        f"Report written to {folder}: {len(report.trainees)} trainees ({overall or 'none'})."
    )
    click.echo(_issue_counts(report))
    if blocked:
        raise click.ClickException("errors found and --strict given: no letters were written")


@main.command()
@inbox_argument
@click.option(
    "--as-of",
    type=_Date(),
    default=None,
    help="Report date (YYYY-MM-DD): records after it are listed as future. Default: today.",
)
@config_option
@click.option("--rules", "rules", multiple=True, help="As for `run`.")
def check(
    inbox: Path, as_of: dt.date | None, config_file: Path | None, rules: tuple[str, ...]
) -> None:
    """Check the spreadsheets in INBOX without writing a report.

    Prints every data issue as a table (file, sheet, row, column, value and the
    problem) and exits with status 1 when any error is found, 0 otherwise. Use it
    to check a spreadsheet before the monthly run: put it in a folder on its own,
    or with the registers it refers to.

    Example:

        balint-reports check inbox
    """
    try:
        config = _config_for(inbox, config_file)
        report = build_report(
            inbox, as_of or dt.date.today(), config, load_rulesets(rules or config.rule_files)
        )
    except BalintError as exc:
        raise click.ClickException(str(exc)) from None
    files = report.sources["file"].nunique()
    rows = int(report.sources["rows_read"].sum())
    click.echo(f"Checked {files} files, {len(report.sources)} sheets, {rows} rows.")
    if not report.issues.empty:
        click.echo(issue_table(report.issues))
    click.echo(_issue_counts(report).replace(" — see Data issues in summary.xlsx", "."))
    if report.count("error"):
        raise SystemExit(1)
