"""The run's config (`balint.toml`): the society's details and the team's extra spellings."""

from __future__ import annotations

import base64
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

from .addresses import unsafe_header, valid_address
from .errors import ConfigError
from .schema import KINDS_BY_NAME, VOCABULARIES
from .values import DATE_ORDERS, fold, fold_heading

CONFIG_NAME = "balint.toml"
CONFIGURABLE_VOCABULARIES = ("activity", "mode", "format", "attended")
KNOWN_SECTIONS = {
    "report",
    "columns",
    "values",
    "rules",
    "email",
    "smtp",
    "inbox",
    "dates",
    "senders",
}


@dataclass(frozen=True)
class ReportSettings:
    """Who the letters come from."""

    society: str = "The Balint Society"
    # blank: "The <team>" in the trainee's ruleset's words (wording.signature_words)
    signature: str = ""
    contact_email: str = ""
    opening: str = ""  # the letter's first paragraph, instead of the built-in one
    logo: str = ""  # the logo file as a data: URI, read once when the config is loaded
    # a supervisor's report asked for longer ago than this, and not received, is flagged
    reference_chase_weeks: int = 6


@dataclass(frozen=True)
class Config:
    """Everything the config file says, checked."""

    path: Path | None = None
    report: ReportSettings = field(default_factory=ReportSettings)
    # kind -> folded header text -> column name
    column_aliases: dict[str, dict[str, str]] = field(default_factory=dict)
    # vocabulary -> folded spelling -> canonical value
    value_aliases: dict[str, dict[str, str]] = field(default_factory=dict)
    rule_files: tuple[Path, ...] = ()
    email: dict = field(default_factory=dict)
    smtp: dict = field(default_factory=dict)
    # inbox-relative file pattern -> the leader id who sends those files (for feedback)
    senders: dict[str, str] = field(default_factory=dict)
    # [inbox] ignore: glob patterns of inbox-relative paths that are never read
    ignore: tuple[str, ...] = ()
    # [dates] order: how text dates such as 05/03/2024 are read ("auto": per column)
    date_order: str = "auto"


# Logo files a letter can carry inside itself, by extension.
LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}
# Every letter carries the logo: a large one would make every email large.
LOGO_MAX_BYTES = 200_000


def logo_data_uri(path: Path, where: str) -> str:
    """The logo file as a data: URI, so letters carry it and never fetch it from anywhere."""
    kind = LOGO_TYPES.get(path.suffix.lower())
    if kind is None:
        raise ConfigError(
            f"{where}: [report] logo = {path.name!r}: use a PNG, JPEG, GIF or SVG file"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"{where}: [report] logo: cannot read {path} ({exc.strerror or exc}); the path is "
            "taken from the config file's folder"
        ) from None
    if len(data) > LOGO_MAX_BYTES:
        raise ConfigError(
            f"{where}: [report] logo: {path.name} is {len(data) // 1000} kB; every letter "
            f"carries it, so keep it under {LOGO_MAX_BYTES // 1000} kB"
        )
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def _table(data: dict, key: str, where: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] must be a table of settings")
    return value


def load_config(path: Path | None) -> Config:
    """Read and check a config file; `None` gives the defaults."""
    if path is None:
        return Config()
    data = _read_toml(path)
    where = str(path)
    for section in data:
        if section not in KNOWN_SECTIONS:
            known = ", ".join(sorted(KNOWN_SECTIONS))
            raise ConfigError(f"{where}: unknown section [{section}] (known: {known})")
    report = _check_report(_table(data, "report", where), path)
    return Config(
        path=path,
        report=ReportSettings(**report),
        column_aliases=_check_columns(_table(data, "columns", where), where),
        value_aliases=_check_values(_table(data, "values", where), where),
        rule_files=_check_rules(_table(data, "rules", where), path),
        email=_check_email(_table(data, "email", where), report, where),
        smtp=_check_smtp(_table(data, "smtp", where), where),
        senders=_check_senders(_table(data, "senders", where), where),
        ignore=_check_inbox(_table(data, "inbox", where), where),
        date_order=_check_dates(_table(data, "dates", where), where),
    )


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _refuse_unknown_keys(table: dict, section: str, known: set[str], where: str) -> None:
    unknown = set(table) - known
    if unknown:
        raise ConfigError(f"{where}: [{section}] has unknown key {sorted(unknown)[0]!r}")


REPORT_KEYS = {"society", "signature", "contact_email", "opening", "logo", "reference_chase_weeks"}


def _check_report(report: dict, path: Path) -> dict:
    where = str(path)
    _refuse_unknown_keys(report, "report", REPORT_KEYS, where)
    weeks = report.get("reference_chase_weeks", 6)
    if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
        raise ConfigError(
            f"{where}: [report] reference_chase_weeks must be a whole number of weeks, e.g. 6"
        )
    for key, value in report.items():
        if key != "reference_chase_weeks" and not isinstance(value, str):
            raise ConfigError(f"{where}: [report] {key} must be text in quotes")
    if report.get("logo", "").strip():
        report = {**report, "logo": logo_data_uri(path.parent / report["logo"].strip(), where)}
    return report


def _check_columns(table: dict, where: str) -> dict[str, dict[str, str]]:
    """[columns.KIND]: header text -> column name, for each input kind."""
    column_aliases: dict[str, dict[str, str]] = {}
    for kind_name, aliases in table.items():
        if kind_name not in KINDS_BY_NAME:
            known = ", ".join(KINDS_BY_NAME)
            raise ConfigError(f"{where}: [columns.{kind_name}]: unknown kind (known: {known})")
        names = {c.name for c in KINDS_BY_NAME[kind_name].columns}
        if not isinstance(aliases, dict):
            raise ConfigError(f"{where}: [columns.{kind_name}] must be a table")
        for header, column in aliases.items():
            if not isinstance(column, str) or column not in names:
                raise ConfigError(
                    f"{where}: [columns.{kind_name}] {header!r} = {column!r}: "
                    f"{kind_name} has no column {column!r} (columns: {', '.join(sorted(names))})"
                )
            column_aliases.setdefault(kind_name, {})[fold_heading(header)] = column
    return column_aliases


def _check_values(table: dict, where: str) -> dict[str, dict[str, str]]:
    """[values.VOCABULARY]: a team's own spelling -> the canonical value."""
    value_aliases: dict[str, dict[str, str]] = {}
    for vocab_name, spellings in table.items():
        if vocab_name not in CONFIGURABLE_VOCABULARIES:
            raise ConfigError(
                f"{where}: [values.{vocab_name}]: only "
                + ", ".join(f"[values.{v}]" for v in CONFIGURABLE_VOCABULARIES)
                + " can be given"
            )
        canonical = VOCABULARIES[vocab_name].values
        if not isinstance(spellings, dict):
            raise ConfigError(f"{where}: [values.{vocab_name}] must be a table")
        for spelling, value in spellings.items():
            if not isinstance(value, str) or value not in canonical:
                raise ConfigError(
                    f"{where}: [values.{vocab_name}] {spelling!r} = {value!r}: "
                    f"unknown {vocab_name} (known: {', '.join(canonical)})"
                )
            value_aliases.setdefault(vocab_name, {})[fold(spelling)] = value
    return value_aliases


def _check_rules(rules: dict, path: Path) -> tuple[Path, ...]:
    files = rules.get("files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise ConfigError(f"{path}: [rules] files must be a list of file names in quotes")
    # Relative to the config file, so the team's folder can move as a whole.
    return tuple((path.parent / f).resolve() for f in files)


def _check_inbox(inbox: dict, where: str) -> tuple[str, ...]:
    _refuse_unknown_keys(inbox, "inbox", {"ignore"}, where)
    ignore = inbox.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(g, str) and g.strip() for g in ignore):
        raise ConfigError(
            f"{where}: [inbox] ignore must be a list of file patterns in quotes, "
            'e.g. ignore = ["old/*", "* - Copy.xlsx"]'
        )
    return tuple(g.strip() for g in ignore)


def _check_dates(dates: dict, where: str) -> str:
    _refuse_unknown_keys(dates, "dates", {"order"}, where)
    date_order = dates.get("order", "auto")
    if date_order not in DATE_ORDERS:
        raise ConfigError(
            f"{where}: [dates] order = {date_order!r}: use one of "
            + ", ".join(f'"{o}"' for o in DATE_ORDERS)
        )
    return str(date_order)


# --- [email] and [smtp]: checked here so that `send` never meets a bad setting mid-batch ---
EMAIL_KEYS = ("from", "reply_to", "subject", "digest_subject")
SUBJECT_FIELDS = ("month", "society", "accreditation")
SMTP_SECURITY = ("starttls", "ssl", "none")
# Where `send` finds the SMTP password: never in the config, never an option.
PASSWORD_VARIABLE = "BALINT_SMTP_PASSWORD"


def _check_subject(value: str, key: str, where: str) -> None:
    try:
        value.format(**dict.fromkeys(SUBJECT_FIELDS, ""))
    except (KeyError, IndexError, ValueError):
        fields = ", ".join("{" + f + "}" for f in SUBJECT_FIELDS)
        raise ConfigError(
            f"{where}: [email] {key} = {value!r}: only {fields} may be written in braces"
        ) from None


def _check_address(value: str, key: str, where: str) -> None:
    """A sender address that does not parse would quietly turn emailing off: refuse it."""
    _, address = parseaddr(value)
    if value.strip() and not valid_address(address):
        raise ConfigError(
            f"{where}: {key} = {value!r} is not an email address: write it like "
            '"team@example.org" or "Balint Accreditation <team@example.org>"'
        )


def _check_email(table: dict, report: dict, where: str) -> dict:
    """[email]: from, reply_to, subject and digest_subject, all text; the sender's addresses."""
    # They go into email headers, where a line break could add headers of its own.
    for key in ("society", "contact_email"):
        if unsafe_header(report.get(key, "")):
            raise ConfigError(f"{where}: [report] {key} must be one line")
    for key, value in table.items():
        if key not in EMAIL_KEYS:
            raise ConfigError(
                f"{where}: [email] has unknown key {key!r} (known: {', '.join(EMAIL_KEYS)})"
            )
        if not isinstance(value, str):
            raise ConfigError(f"{where}: [email] {key} must be text in quotes")
        if unsafe_header(value):
            raise ConfigError(f"{where}: [email] {key} must be one line")
        if key.endswith("subject"):
            _check_subject(value, key, where)
        else:
            _check_address(value, f"[email] {key}", where)
    _check_address(report.get("contact_email", ""), "[report] contact_email", where)
    return table


def _check_smtp(table: dict, where: str) -> dict:
    """[smtp]: host, port, security, username, messages_per_minute, timeout, retry_waits."""
    for key, value in table.items():
        if key == "password":
            raise ConfigError(
                f"{where}: [smtp] password: never write the password in the config; set the "
                f"environment variable {PASSWORD_VARIABLE} or type it when `send` asks"
            )
        if key not in _SMTP_CHECKS:
            raise ConfigError(
                f"{where}: [smtp] has unknown key {key!r} (known: {', '.join(_SMTP_CHECKS)})"
            )
        is_valid, how_to_write = _SMTP_CHECKS[key]
        if not is_valid(value):
            raise ConfigError(f"{where}: [smtp] {how_to_write.format(key=key, value=value)}")
    return table


def _positive(value: object) -> bool:
    # bool is an int to Python, but `true` is no number of seconds
    return not isinstance(value, bool) and isinstance(value, int | float) and value > 0


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _port(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536


def _waits(value: object) -> bool:
    return isinstance(value, list) and all(
        _positive(v) or (v == 0 and not isinstance(v, bool)) for v in value
    )


# key -> (valid?, the message that says how to write it)
_SMTP_CHECKS: dict[str, tuple[Callable[[object], bool], str]] = {
    "host": (_text, "{key} must be text in quotes"),
    "port": (_port, "port must be a whole number, e.g. 587"),
    "security": (
        lambda v: v in SMTP_SECURITY,
        "security = {value!r}: use one of " + ", ".join(SMTP_SECURITY),
    ),
    "username": (_text, "{key} must be text in quotes"),
    "messages_per_minute": (_positive, "{key} must be a number above 0"),
    "timeout": (_positive, "{key} must be a number above 0"),
    "retry_waits": (
        _waits,
        "retry_waits must be a list of seconds to wait before each retry of a temporary "
        "refusal, e.g. [30, 60, 120] (or [] for none)",
    ),
}


def sender(config: Config) -> tuple[str, str] | None:
    """The From display name and address: [email] from, else [report] contact_email."""
    name, address = parseaddr(config.email.get("from", ""))
    if not address:
        name, address = "", config.report.contact_email.strip()
    if not valid_address(address):
        return None
    return (name or config.report.society), address


def _check_senders(table: dict, where: str) -> dict[str, str]:
    """[senders]: "attendance/whitfield*" = "L02": who sends which files, for their feedback."""
    for pattern, leader in table.items():
        if not isinstance(leader, str) or not leader.strip():
            raise ConfigError(
                f"{where}: [senders] {pattern!r} = {leader!r}: give the leader id in quotes, "
                'e.g. "attendance/whitfield*" = "L02"'
            )
    return {pattern: leader.strip() for pattern, leader in table.items()}
