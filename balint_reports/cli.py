"""The `balint-reports` command: thin click wrappers around the pipeline."""

from __future__ import annotations

import atexit
import datetime as dt
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

# Only what the help texts need is imported here: `--help` must not wait for pandas, openpyxl
# or jinja2, so each command imports the pipeline it runs when it runs (`run` does not import
# `deliver`, nor the SMTP and TLS modules it brings).
from .addresses import valid_address
from .config import CONFIG_NAME, PASSWORD_VARIABLE, Config, load_config
from .errors import BalintError
from .explain import explain as explain_ruleset
from .explain import problems as ruleset_problems
from .model import IGNORED, IN_PROGRESS, NEEDS_DATA, READY, UNREADABLE, RunResult, Severity
from .pdf import find_browser
from .ruleset import load_ruleset, load_rulesets
from .schema import TEMPLATE_KIND_NAMES
from .values import parse_date
from .wording import day_text, month_text

if TYPE_CHECKING:
    import pandas as pd

    from . import deliver
    from .monthly import MonthResult


class _Date(click.ParamType):
    """A date as the team types it: 2026-12-31, 31/12/2026 or 31 Dec 2026 (day first)."""

    name = "DATE"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date:
        if isinstance(value, dt.date):
            return value
        # The spreadsheet cells' own rules, so a date typed here reads as it would in a sheet.
        day, problem = parse_date(str(value).strip())
        if day is None:
            self.fail(problem or "give a date, e.g. 31/12/2026", param, ctx)
        return day


def _report_date(as_of: dt.date | None) -> dt.date:
    """The report date of `run` and `check` alike: --as-of, else today."""
    return as_of or dt.date.today()


def _config_for(inbox: Path, config_file: Path | None) -> Config:
    if config_file is None and (inbox / CONFIG_NAME).is_file():
        config_file = inbox / CONFIG_NAME
    return load_config(config_file)


def _issue_counts(report: RunResult, summary_written: bool) -> str:
    """The errors and warnings counted, sending the team to the summary when there is one."""
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    if not errors and not warnings:
        return "No data issues."

    counted = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    return f"{counted} — see Data issues in summary.xlsx" if summary_written else f"{counted}."


def _register_headings_unread(report: RunResult) -> str:
    """A line naming the register headings that may be columns it lacks: an unread status makes
    every trainee active, withdrawn ones included, and letters would go to them."""
    issues = report.issues
    unread = issues.loc[issues["code"] == "register_column_unread", ["file", "value", "column"]]
    if unread.empty:
        return ""
    named = [
        f"'{heading}' ({file}: its {column.replace('_', ' ')} column?)"
        for file, heading, column in unread.to_numpy()
    ]
    return (
        f"Warning: register {'heading' if len(named) == 1 else 'headings'} not read: "
        + ", ".join(named)
        + ". See Data issues for the line that reads "
        + ("it" if len(named) == 1 else "them")
        + ", then run again before sending."
    )


def _not_read(report: RunResult, notes: str) -> str:
    """A line naming the sheets that fit no kind and so were not read, if any: a register
    with headings of its own is one of them, and its note (`notes`: where) is easily missed."""
    issues = report.issues
    unused = issues.loc[issues["code"] == "sheet_not_used", ["file", "sheet"]]
    if unused.empty:
        return ""
    named = [f"{file}{f' ({sheet})' if sheet else ''}" for file, sheet in unused.to_numpy()]
    shown = ", ".join(named[:3]) + (f" and {len(named) - 3} more" if len(named) > 3 else "")
    one = len(named) == 1
    return (
        f"{_plural(len(named), 'sheet')} {'fits' if one else 'fit'} no kind of record and "
        f"{'was' if one else 'were'} not read: {shown}. If {'it holds' if one else 'one holds'} "
        "records, name its headings under [columns.<kind>] in balint.toml ("
        + (f"its note {notes} says" if one else f"their notes {notes} say")
        + f" which kind {'it' if one else 'each'} came closest to)."
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _since_previous(result: MonthResult) -> list[str]:
    """What the team hears about the month before: who moved, new issues, lost files."""
    if not result.previous_month:
        # also when the first month is run again: "first report" would no longer be true
        return [
            "No earlier month in this folder to compare with: next month's report will show "
            "what changed."
        ]
    # "the October 2026 report", as the team names it, not its folder's "2026-10"
    previous = f"the {month_text(result.previous_month)} report"
    moved = f"{_plural(result.moved, 'trainee')} moved"
    if result.new_trainees:
        moved += f", {result.new_trainees} new"
    lines = [
        f"Since {previous}: {moved}; "
        f"{_plural(result.new_issues, 'data issue')} new — see Changes and Data issues."
    ]
    if result.missing:
        shown = ", ".join(result.missing[:3]) + (", …" if len(result.missing) > 3 else "")
        lines.append(
            f"Warning: {_plural(len(result.missing), 'file')} that fed "
            f"{previous} {'is' if len(result.missing) == 1 else 'are'} "
            f"missing from the inbox: {shown}"
        )
    return lines


def command_line() -> None:
    """The installed `balint-reports` command (and `python -m balint_reports`): `main`, then
    out of the process without Python taking it apart.

    Once a command has finished and every exit handler has run (log files flushed, temporary
    folders removed, worker processes ended), all that is left is freeing the run's objects
    one by one: a tenth of a second on the sample inbox, a fifth on a federation's. The
    system takes the whole process back at once instead. Tests call `main` through click.
    """
    code: str | int | None = 0
    try:
        main()
    except SystemExit as finished:
        code = 0 if finished.code is None else finished.code
    if (
        not isinstance(code, int)
        or threading.active_count() > 1
        or sys.gettrace() is not None
        or sys.getprofile() is not None
    ):
        # A message to print, a thread still working, or a profiler or coverage that writes
        # its results once the program is over: Python's own way out.
        sys.exit(code)
    atexit._run_exitfuncs()  # what Python itself runs first on the way out
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # e.g. a closed pipe: Python's own way out reports it
        sys.exit(code)
    os._exit(code)


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
    help="Report date, e.g. 2026-11-30, 30/11/2026 or 30 Nov 2026 (day first). Records "
    "after it are left out. Default: today.",
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
@click.option(
    "--replace",
    is_flag=True,
    help="Replace the month's report even if it is dated later than this run, or had "
    "trainees when this run found none (both are refused otherwise).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Read every spreadsheet and render every letter again, even those unchanged since "
    "the last run (the cache in OUT/.cache is rebuilt).",
)
@click.option(
    "--pdf",
    is_flag=True,
    help="Also write each letter as a PDF (letters/ID.pdf), printed by Chromium, Chrome or "
    "Edge, whichever is installed (or the browser named by BALINT_BROWSER).",
)
def run(
    inbox: Path,
    out: Path,
    as_of: dt.date | None,
    config_file: Path | None,
    rules: tuple[str, ...],
    strict: bool,
    replace: bool,
    no_cache: bool,
    pdf: bool,
) -> None:
    """Read every spreadsheet in INBOX and write this month's report into OUT.

    Writes OUT/YYYY-MM/summary.xlsx (with a Data issues sheet pointing at the
    file, sheet and row of every problem), progress.json, and a progress letter
    per active or paused trainee in OUT/YYYY-MM/letters/ (HTML and plain text).

    Problems in the spreadsheets do not stop the run: fix what the Data issues
    sheet lists, and run again. Running a month again replaces that month's
    report, unless that report is dated later or had trainees when this run
    finds none (--replace overrides); an earlier month can be written again
    with --as-of. The Changes
    sheet and each letter's "Since your last letter" compare with the month
    before, as recorded in OUT/history.sqlite. Only one run at a time may write
    to OUT.

    Example:

        balint-reports run inbox --out reports --as-of 2026-11-30

        balint-reports run inbox --out reports --pdf
    """
    from .monthly import run_month

    try:
        # Before reading anything: a missing browser should not cost the team a whole run.
        browser = find_browser() if pdf else None
        config = _config_for(inbox, config_file)
        rulesets = load_rulesets(rules or config.rule_files)
        result = run_month(
            inbox,
            out,
            _report_date(as_of),
            config,
            rulesets,
            use_cache=not no_cache,
            strict=strict,
            replace=replace,
            pdf_browser=browser,
        )
    except BalintError as exc:
        raise click.ClickException(str(exc)) from None
    report, folder = result.report, result.folder
    click.echo(f"Report as of {day_text(report.as_of)} written to {folder}: {_who(report)}.")
    click.echo(_issue_counts(report, summary_written=True))
    if unread := _register_headings_unread(report):
        click.echo(unread)
    if not_read := _not_read(report, "in Data issues"):
        click.echo(not_read)
    for line in _since_previous(result):
        click.echo(line)
    if result.from_cache:
        click.echo(
            f"{_plural(result.from_cache, 'unchanged file')} not read again, {result.read} read."
        )
    if not result.letters_written:
        raise click.ClickException("errors found and --strict given: no letters were written")


@main.command()
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    metavar="FILE_OR_FOLDER...",
    type=click.Path(exists=True, path_type=Path),
)
@click.option(
    "--as-of",
    type=_Date(),
    default=None,
    help="Report date, as for `run`: records after it are listed as future. Default: today.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"Config file to use instead of the inbox's {CONFIG_NAME} (looked for in a folder "
    "given, else beside a file given or in a folder above it).",
)
@click.option("--rules", "rules", multiple=True, help="As for `run`.")
def check(
    paths: tuple[Path, ...], as_of: dt.date | None, config_file: Path | None, rules: tuple[str, ...]
) -> None:
    """Check spreadsheets (files, folders, or both) without writing a report.

    Reads every file given and every spreadsheet in every folder given, as `run`
    would, and prints every data issue as a table (file, sheet, row, column,
    value and the problem). Exits with status 1 when anything would be lost in
    a run (a row rejected, a sheet or file that cannot be read), 0 otherwise.

    Names in attendance and supervision sheets are matched against the trainee
    and leader registers. A file named inside an inbox (the folder its
    balint.toml is found in) is checked with the inbox's other files, as a run
    reads it, so their registers are used; only the named files' issues are
    listed. Elsewhere, or with --config, give the registers too (without them
    every row is reported as naming an unknown person).

    Example:

    \b
        balint-reports check inbox
        balint-reports check inbox/december.xlsx inbox/registers.xlsx \\
            --as-of 31/12/2026
    """
    from .inbox import find_config, gather, inbox_context
    from .issues import issue_table
    from .pipeline import build_report

    try:
        found = config_file is None
        config_file = config_file or find_config(paths)
        config = load_config(config_file)
        inbox = config_file.parent.resolve() if found and config_file else None
        root, files = gather(paths, config.ignore, inbox)
        context = inbox_context(paths, root, files, config.ignore) if root == inbox else []
        report_date = _report_date(as_of)
        read = sorted(files + context, key=lambda source: source.relative)
        report = build_report(
            root, report_date, config, load_rulesets(rules or config.rule_files), files=read
        )
    except BalintError as exc:
        raise click.ClickException(str(exc)) from None
    all_sources = report.sources
    if context:
        report = _about(report, {source.relative for source in files})
    sources = report.sources
    sheets = int((~sources["kind"].isin([IGNORED, UNREADABLE])).sum())
    rows = int(sources["rows_read"].sum())
    click.echo(
        f"Checked {_plural(sources['file'].nunique(), 'file')}, {_plural(sheets, 'sheet')}, "
        f"{_plural(rows, 'row')}, as of {day_text(report_date)}"
        f"{' (today)' if as_of is None else ''}."
    )
    if config_file is not None:
        click.echo(f"Config: {config_file}")
    registers = sorted({s.relative for s in context} & set(_register_files(all_sources)))
    if registers:
        click.echo(
            f"Names were matched against the inbox's registers ({', '.join(registers)}); "
            "its other files were read for that, but their own issues are not listed here."
        )
    if not report.issues.empty:
        click.echo(issue_table(report.issues))
    click.echo(_issue_counts(report, summary_written=False))
    future = int(sources["future"].sum())
    if future and as_of is None:
        click.echo(
            f"{_plural(future, 'row')} dated after today would be left out: to check a month "
            "that has not ended yet, give its last day, e.g. --as-of 31/12/2026."
        )
    kinds = set(all_sources["kind"])  # the files read, named or not
    if "trainees" not in kinds and kinds & {"attendance", "supervision", "portfolio"}:
        # a file checked on its own, from an email say: its names cannot be wrong for want of
        # a register, and the table's "not in the trainees register" would say they were
        click.echo(
            "No trainees register among these files, so every name above is reported as "
            "unknown: give the registers too, e.g. balint-reports check FILE "
            "inbox/registers.xlsx, or check the file inside the inbox."
        )
    if "trainees" in kinds and "supervision" not in kinds:
        click.echo(
            "No supervision log among these files, so the dates the supervisors' reports were "
            "received were not compared with supervision sessions: give the logs too to check that."
        )
    if not_read := _not_read(report, "above"):
        click.echo(not_read)
    lost = _losses(report)
    if lost:
        click.echo(f"A run now would leave out {lost}: see the errors above.")
    if report.count(Severity.ERROR):
        raise SystemExit(1)


def _about(report: RunResult, files: set[str]) -> RunResult:
    """The report of a check that read the inbox's other files too, narrowed to the files
    named: their sources, and the issues about them or about no file in particular."""
    issues = report.issues
    return replace(
        report,
        issues=issues[issues["file"].isin(files) | (issues["file"] == "")],
        sources=report.sources[report.sources["file"].isin(files)],
    )


def _register_files(sources: pd.DataFrame) -> list[str]:
    """The files holding a trainees or leaders register, by the sources of a report."""
    return list(sources.loc[sources["kind"].isin(["trainees", "leaders"]), "file"])


def _who(report: RunResult) -> str:
    """The trainees in words: those on the pathway by overall status, the others by register
    status."""
    counts, others = report.headcount()
    overall = ", ".join(
        f"{counts[k]} {label}"
        for k, label in (
            (READY, "ready"),
            (IN_PROGRESS, "in progress"),
            (NEEDS_DATA, "need data"),
        )
        if counts.get(k)
    )
    on_pathway = sum(counts.values())
    words = f"{_plural(on_pathway, 'trainee')} on the pathway ({overall or 'none'})"
    return ", ".join([words, *(f"{n} {status}" for status, n in sorted(others.items()))])


def _losses(report: RunResult) -> str:
    """What a run of these files would not count, in words: rejected rows, unreadable files."""
    parts = []
    rejected = int(report.sources["rejected"].sum())
    if rejected:
        parts.append(_plural(rejected, "row"))
    unreadable = int((report.sources["kind"] == UNREADABLE).sum())
    if unreadable:
        parts.append(_plural(unreadable, "unreadable file"))
    return " and ".join(parts)


# --- send: deliver the month's outbox ---
def _print_outcomes(outcomes: list[deliver.Outcome]) -> None:
    columns = (("status", "status"), ("id", "recipient"), ("name", "name"), ("to", "to"))
    widths = [max([len(h), *(len(str(getattr(o, a))) for o in outcomes)]) for h, a in columns]
    click.echo(
        "  ".join(h.ljust(w) for (h, _), w in zip(columns, widths, strict=True)) + "  detail"
    )
    for o in outcomes:
        cells = "  ".join(
            str(getattr(o, a)).ljust(w) for (_, a), w in zip(columns, widths, strict=True)
        )
        click.echo(f"{cells}  {o.detail}".rstrip())


def _ask_password(username: str) -> str:
    return click.prompt(f"SMTP password for {username}", hide_input=True)


def _people(people: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} ({person})" for person, name in people)


MAX_ERROR_LINES = 10  # problems listed one by one before send points to Data issues


def _errors_line(errors: deliver.MonthErrors) -> str:
    if errors.not_read:
        shown = errors.not_read[:3]
        more = len(errors.not_read) - len(shown)
        unread = (
            "Not read this month, though it may hold records: "
            + ", ".join(shown)
            + (f" and {more} more" if more else "")
            + " (see Data issues).\n"
        )
    else:
        unread = ""
    return unread + _errors_words(errors)


def _errors_words(errors: deliver.MonthErrors) -> str:
    if not errors.total:
        return "This month's report has no errors in its data."
    whom = [f"{n} about {name} ({person})" for person, name, n in errors.by_trainee]
    # The problem's own words: for a misspelt trainee they name whom the row may be about.
    whom += [
        problem if rows == 1 else f"{problem} ({rows} rows)"
        for problem, rows in errors.about_nobody
    ]
    listed = sum(n for *_, n in errors.by_trainee) + sum(n for _, n in errors.about_nobody)
    if errors.total > listed:
        whom.append(
            f"{errors.total - listed} not tied to a trainee in the register (e.g. a misspelt name)"
        )
    if len(whom) > MAX_ERROR_LINES:
        more = len(whom) - MAX_ERROR_LINES + 1
        whom = [*whom[: MAX_ERROR_LINES - 1], f"and {more} more"]
    lines = "".join(f"\n  {line}" for line in whom)
    return (
        f"This month's report has {_plural(errors.total, 'error')} in its data (rows left out "
        f"of the counts):{lines}\nSee Data issues in summary.xlsx: fix "
        f"{'it' if errors.total == 1 else 'them'} and run the month again before sending, or "
        "send anyway."
    )


def _say_nothing(errors: deliver.MonthErrors) -> None:
    """No question before sending feedback: the errors are what it is about."""


def _proceed(real_send: bool, yes: bool) -> Callable[[deliver.MonthErrors], None]:
    def proceed(errors: deliver.MonthErrors) -> None:
        click.echo(_errors_line(errors))
        if not (real_send and errors.total) or yes:
            return
        if sys.stdin.isatty():
            if click.confirm("Send anyway?", default=False):
                return
            raise click.ClickException("nothing was sent")
        them = "it" if errors.total == 1 else "them"
        raise click.ClickException(
            f"nothing was sent: the report has {_plural(errors.total, 'error')}; fix {them} and "
            "run the month again, or add --yes to send anyway"
        )

    return proceed


def _closing(result: deliver.SendResult) -> list[str]:
    """What to do next, after the table."""
    from . import deliver

    counts = result.counts
    lines = []
    if result.no_utf8:
        kind = result.no_utf8[0].kind
        lines.append(
            f"{_plural(len(result.no_utf8), kind)} not sent: this server does not take addresses "
            "with non-ASCII letters (it does not offer SMTPUTF8): "
            + _people([(o.recipient, o.name) for o in result.no_utf8])
            + ". Ask for a plain address and run the month again, or send from a mail program "
            "that can."
        )
    failed = [(o.recipient, o.name) for o in result.outcomes if o.status == deliver.FAILED]
    if failed:
        lines.append(
            f"Refused for good by the server: {_people(failed)}. A plain re-run does not try "
            "them again: correct the address in the register and run the month again, or use "
            "--retry-failed --only ID to try one as it is."
        )
    if result.stopped_by == deliver.INTERRUPTED:
        lines.append(
            f"The send was interrupted. To send the rest (nothing is sent twice):\n  {result.again}"
        )
    elif result.stopped_by:
        lines.append(
            f"The send stopped: {result.stopped_by}. Put that right, then resume; nothing is "
            f"sent twice:\n  {result.again}"
        )
    elif counts.get(deliver.PENDING, 0) > result.left_by_limit:
        lines.append(
            "Some were not sent. Run the same command again to send the rest; nothing is "
            f"sent twice:\n  {result.again}"
        )
    elif result.left_by_limit:
        lines.append(
            f"{counts.get(deliver.SENT, 0)} sent, {result.left_by_limit} left: run again "
            f"without --limit to send the rest:\n  {result.again}"
        )
    if counts.get(deliver.UNKNOWN):
        lines.append(
            "For those marked 'unknown' the connection was lost after the message was handed "
            "over: check whether they arrived; they are not resent unless you use "
            "--retry-unknown --only ID."
        )
    return lines


def _email_address(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An option's value, refused (a usage error) unless it is one plain email address."""
    if value is not None and not valid_address(value):
        raise click.BadParameter(f"{value!r} is not an email address, e.g. me@example.org")
    return value.strip() if value is not None else None


def _held_lines(result: deliver.SendResult) -> list[str]:
    """What earlier sends of the month hold back, by name, and the option that sends it."""
    from . import deliver

    lines = []
    changed = result.held(deliver.CHANGED)
    if changed:
        it = "it" if len(changed) == 1 else "them"
        lines.append(
            f"Changed since sent this month: {_named(changed)}. Add --resend-changed to send "
            f"{it} as a correction that opens with what changed."
        )
    unknown = result.held(deliver.HELD_UNKNOWN)
    if unknown:
        lines.append(
            f"Delivery unknown from an earlier send: {_named(unknown)}. Check with them; if it "
            "did not arrive, use --retry-unknown --only ID."
        )
    refused = result.held(deliver.HELD_REFUSED)
    if refused:
        lines.append(
            f"Refused for good by the server in an earlier send: {_named(refused)}. Correct "
            "the address in the register and run the month again, or use --retry-failed "
            "--only ID."
        )
    return lines


def _named(outcomes: list[deliver.Outcome]) -> str:
    return _people([(o.recipient, o.name) for o in outcomes])


def _other_kind(result: deliver.SendResult) -> str:
    if not result.other_kind:
        return ""
    if result.kind == "letter":
        return (
            f"{_plural(result.other_kind, 'supervisor digest')} ready too: add --digests to "
            "send them."
        )
    return f"{_plural(result.other_kind, 'trainee letter')} ready too: leave out --digests."


@main.command()
@click.argument("report_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--dry-run/--no-dry-run",
    default=True,
    show_default=True,
    help="Dry run: show who would get what, and send nothing. Give --no-dry-run to send.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    help="Send at most N messages this time (e.g. 1 to try first); the rest wait for a re-run.",
)
@click.option(
    "--only",
    multiple=True,
    metavar="ID",
    help="Send only to this trainee (or, with --digests, supervisor) id. Repeatable.",
)
@click.option(
    "--digests", is_flag=True, help="Send the supervisor digests instead of the trainee letters."
)
@click.option(
    "--feedback",
    is_flag=True,
    help="Send the notes to the people who sent spreadsheets with problems (feedback/), to "
    "the leaders [senders] in balint.toml names, instead of the trainee letters.",
)
@click.option(
    "--yes",
    is_flag=True,
    help="Send even though the month's report has errors in its data (otherwise you are "
    "asked, or, away from a terminal, nothing is sent).",
)
@click.option(
    "--test-to",
    metavar="ADDRESS",
    callback=_email_address,
    help="Send one letter and one digest (those of --only ID, else the first) to ADDRESS "
    "instead, marked as a test. Sends at once; never counts as sent.",
)
@click.option(
    "--resend-changed",
    is_flag=True,
    help="Send letters that changed since they were sent this month, marked as a correction.",
)
@click.option(
    "--retry-unknown",
    is_flag=True,
    help="Send again messages whose delivery is unknown (check with the recipient first).",
)
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Send again messages the server refused for good (a 5xx reply), to the same address.",
)
@click.option("--host", help="SMTP server. Default: host in [smtp] of balint.toml.")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Default: 587, 465 for ssl, 25 for none."
)
@click.option(
    "--security",
    type=click.Choice(["starttls", "ssl", "none"]),
    help="How to encrypt the connection. Default: starttls.",
)
@click.option(
    "--username",
    help="SMTP login. The password is read from "
    f"{PASSWORD_VARIABLE} or asked for; it is never an option.",
)
@click.option(
    "--messages-per-minute",
    type=click.FloatRange(min=0, min_open=True),
    help="Keep under your provider's sending limit.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Config file for [email] and [smtp]. Default: the one the month's run used, as it is now.",
)
@click.pass_context
def send(
    ctx: click.Context, report_dir: Path, dry_run: bool, limit: int | None, **params: Any
) -> None:
    """Email the month's letters (or supervisor digests, or feedback) from REPORT_DIR.

    REPORT_DIR is a month folder written by `run`, e.g. reports/2026-11. Each
    message is built when it is sent, from the letter and the config as it is
    then ([email] from, reply_to, subject; [smtp]).

    Safe by default: without --no-dry-run nothing is sent. It first says how
    many errors the month's data has, and for whom; with any, a real send asks
    first (or needs --yes). A send log in the reports folder remembers what went
    out, so running the same command again sends only what is left, never a
    message twice. The SMTP password comes from the environment variable
    BALINT_SMTP_PASSWORD, or you are asked for it.

    Ends with a table of every trainee (or supervisor) and what was sent,
    skipped or failed, also written to REPORT_DIR/send-report.csv
    (send-report-dry-run.csv for a dry run, so it never replaces the table of a
    real send).

    Example:

        balint-reports send reports/2026-11

        balint-reports send reports/2026-11 --test-to me@example.org

        balint-reports send reports/2026-11 --no-dry-run --limit 1

        balint-reports send reports/2026-11 --no-dry-run --digests

        balint-reports send reports/2026-11 --no-dry-run --feedback
    """
    from . import deliver

    clock = (ctx.obj or {}).get("clock") or deliver.SystemClock()
    options = deliver.SendOptions(dry_run=dry_run, limit=limit, **params)
    if options.feedback and (options.digests or options.test_to):
        raise click.UsageError("--feedback goes alone: not with --digests or --test-to")
    real_send = not dry_run and not options.test_to
    # Feedback is about the data's errors, so it is sent without asking about them.
    proceed = _proceed(real_send, options.yes) if not options.feedback else _say_nothing
    try:
        result = deliver.send_month(report_dir, options, clock, _ask_password, proceed)
    except BalintError as exc:
        raise click.ClickException(str(exc)) from None
    _say_sent(result)


def _say_sent(result: deliver.SendResult) -> None:
    """What `send` did: the table, the counts, then what to do next (a test, a dry run, a send)."""
    from . import deliver

    if not result.outcomes:
        what = "feedback notes" if result.kind == "feedback" else f"{result.kind}s"
        click.echo(f"No {what} to send in {result.report_dir}.")
        return
    _print_outcomes(result.outcomes)
    counts = result.counts
    click.echo(", ".join(f"{n} {status}" for status, n in counts.items()) + ".")
    if result.test:
        if counts.get(deliver.FAILED):
            raise click.ClickException(f"the test was not delivered: see {result.report_file}")
        click.echo("Test copies only: nobody else was sent anything, and nothing counts as sent.")
    elif result.dry_run:
        _say_dry_run(result)
    else:
        _say_real_send(result)


def _say_dry_run(result: deliver.SendResult) -> None:
    """After a dry run: what was held back, and the command that would send the rest."""
    from . import deliver

    other = _other_kind(result)
    for line in _held_lines(result):
        click.echo(line)
    if other:
        click.echo(other)
    if result.sender_problem:
        click.echo(f"Before sending: {result.sender_problem}.")
    would = result.counts.get(deliver.WOULD_SEND, 0)
    if not would:
        click.echo("This was a dry run: nothing was sent, and as it is this command sends nothing.")
        return
    click.echo(
        f"This was a dry run: nothing was sent. To send the {would} marked 'would send', "
        f"run:\n  {result.again}"
    )


def _say_real_send(result: deliver.SendResult) -> None:
    """After a real send: the closing lines, and an error when not everything went out."""
    for line in [*_closing(result), *_held_lines(result)]:
        click.echo(line)
    other = _other_kind(result)
    if result.complete and other:
        click.echo(other)
    if not result.complete:
        raise click.ClickException(f"not everything was sent: see {result.report_file}")


# --- template and init: what the team fills in, and where they start ---
@main.command()
@click.argument("out_file", metavar="OUT.xlsx", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(TEMPLATE_KIND_NAMES),
    default="attendance",
    show_default=True,
    help="Which spreadsheet: a group's attendance register, a supervisor's log, portfolio "
    "sign-offs, or the team's trainee and leader registers.",
)
@click.option(
    "--inbox",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Read the registers in this folder and offer their trainees' and leaders' names "
    "in dropdowns.",
)
@click.option("--rules", "rules", multiple=True, help="As for `run`: the competencies offered.")
@click.option("--force", is_flag=True, help="Replace OUT.xlsx if it exists.")
def template(
    out_file: Path, kind: str, inbox: Path | None, rules: tuple[str, ...], force: bool
) -> None:
    """Write a blank spreadsheet to fill in, with dropdowns that prevent mistakes.

    The workbook has the headings `run` reads, an Instructions sheet, dropdowns
    for activity, format, mode, status, competency and yes/no columns, and date
    checks on date columns. With --inbox, the trainee, supervisor and co-leader
    columns offer the names in that folder's registers. Send it to the group
    leaders and supervisors; what they fill in reads back with no data issues.

    Example:

    \b
        balint-reports template attendance.xlsx --inbox inbox
        balint-reports template supervision.xlsx --kind supervision
    """
    from .pipeline import build_report
    from .template import People, write_template

    if out_file.suffix.casefold() != ".xlsx":
        # An Excel workbook under another name is a file nothing reads: put in the inbox as
        # `notes.csv`, it would be reported as a CSV in the wrong encoding.
        raise click.ClickException(
            f"{out_file.name}: the template is an Excel workbook: give a name ending in .xlsx, "
            f"e.g. {out_file.stem or 'attendance'}.xlsx"
        )
    if out_file.exists() and not force:
        raise click.ClickException(f"{out_file} exists: choose another name, or add --force")
    try:
        config = _config_for(inbox, None) if inbox else load_config(None)
        rulesets = load_rulesets(rules or config.rule_files)
        people = People()
        if inbox is not None:
            report = build_report(inbox, dt.date.today(), config, rulesets)
            people = People(
                trainees=tuple(sorted({t.name for t in report.trainees if t.name})),
                leaders=tuple(sorted({p.name for p in report.leaders.values() if p.name})),
            )
        write_template(out_file, kind, rulesets, people)
    except BalintError as exc:
        raise click.ClickException(str(exc)) from None
    names = f" with {_plural(len(people.trainees), 'trainee')} and " if inbox else ""
    names += f"{_plural(len(people.leaders), 'leader')} in its dropdowns" if inbox else ""
    click.echo(f"Template written to {out_file}{names}.")


@main.command()
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
def init(folder: Path) -> None:
    """Start a working folder: an inbox with blank templates, settings and a how-to.

    Creates DIR/inbox/ with a blank spreadsheet of each kind (registers,
    attendance, supervision, portfolio), a commented DIR/inbox/balint.toml to
    fill in, and DIR/HOW-TO.txt: the monthly routine, and how to schedule it
    with cron or the Windows Task Scheduler. A file that is there already is
    kept as it is: init never overwrites.

    Example:

    \b
        balint-reports init accreditation
        balint-reports run accreditation/inbox --out accreditation/reports
    """
    from .template import init_folder

    try:
        files = init_folder(folder, load_rulesets(()))
    except BalintError as exc:
        raise click.ClickException(str(exc)) from None
    for path, written in files:
        click.echo(f"{'created' if written else 'kept   '}  {path}")
    click.echo(f"Next: read {folder / 'HOW-TO.txt'}, and fill in {folder / 'inbox'}/balint.toml.")


# --- evidence: one trainee's evidence statement ---
@main.command()
@click.argument("report_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("trainee_id")
@click.option(
    "--inbox",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Where the inbox the report read is now, if it has moved.",
)
def evidence(report_dir: Path, trainee_id: str, inbox: Path | None) -> None:
    """Write one trainee's evidence statement into REPORT_DIR/evidence/.

    REPORT_DIR is a month folder written by `run`, e.g. reports/2026-11. The
    statement lists, for each requirement, every row that counted (file, sheet
    and row), the trainee's rows that did not count and why, and the decisions
    the leadership team recorded: what goes before council with an application.
    The run writes one for every trainee who is ready; this command writes one
    for anyone.

    It reads the same inbox as the run again (run.json in REPORT_DIR says
    which), and stops if a file there has changed since: run the month again
    first, so that the statement matches the report.

    Example:

        balint-reports evidence reports/2026-11 T07
    """
    from .statements import statement_for

    try:
        path = statement_for(report_dir, trainee_id, inbox)
    except BalintError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Evidence statement written to {path} (and {path.with_suffix('.json').name}).")


# --- rules: a ruleset in plain words, and a check of a society's own file ---
@main.group()
def rules() -> None:
    """Read a ruleset in plain words, or check a society's own ruleset file.

    A ruleset is a society's requirements as a TOML file (see docs/rulesets.md);
    four are built in: uk-2019 (the default), uk-2023-example, bsanz-2021 and
    abs-credentialing.

    Example:

        balint-reports rules explain uk-2019

        balint-reports rules check society-2025.toml
    """


@rules.command("explain")
@click.argument("ruleset")
def rules_explain(ruleset: str) -> None:
    """Print RULESET in plain words: what counts for each requirement, readiness, advice, fee.

    RULESET is a built-in id (uk-2019, uk-2023-example, bsanz-2021, abs-credentialing) or a
    ruleset file.

    Example:

        balint-reports rules explain bsanz-2021

        balint-reports rules explain society-2025.toml
    """
    try:
        loaded = load_rulesets((ruleset,))[0]
    except BalintError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(explain_ruleset(loaded), nl=False)


@rules.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def rules_check(file: Path) -> None:
    """Check a ruleset FILE; each mistake names the file and the key to put right.

    Exit 0 with one line when the file can be used; exit 1 with the mistakes otherwise.
    Run `balint-reports rules explain FILE` next to read what the rules mean.

    Example:

        balint-reports rules check society-2025.toml
    """
    try:
        loaded = load_ruleset(file)
    except BalintError as exc:
        click.echo(str(exc))
        raise SystemExit(1) from None
    found = ruleset_problems(loaded)
    for problem in found:
        click.echo(problem)
    if found:
        raise SystemExit(1)
    click.echo(
        f"{file}: ruleset {loaded.id} can be used: "
        f"{_plural(len(loaded.requirements), 'requirement')}, "
        f"{_plural(len(loaded.advice), 'advice check')}, from {day_text(loaded.effective_from)}."
    )
