"""The team's words for every Data issue: one template per issue code, in one place.

A stage says what it found (a code, and fields: the column, the value, a count, a place...);
`IssueLog` (issues.py) words it from `TEAM_ISSUE_TEXT`, and so does a file's `Refusal`
(limits.py). The supervisor's words for the same codes are in wording.py (`_ISSUE_WORDS`).
docs/issues.md lists every code with its template (generated from this table; a test keeps
it in step).

A template is a `str.format` template over the issue's fields: `{column}` and `{value}` are
the issue's own column and value, other fields are passed by name. A code whose sentence
differs in kind from case to case has one template per case, keyed `code:case`. A field
that a template needs and the call does not pass, a field passed that no template of the code
uses, a case without a template and a code not in `ISSUE_CODES` all raise `IssueTextError`: a
slip shows in the tests, never as a sentence with a gap in a user's workbook.

Besides Python's own format specs (`{cells:,}`, `{day:%B %Y}`), a field may be shown as:

* `{x:list}` the items joined with ", "; `{x:quoted}` the same, each in single quotes;
  `{x:and}` as "a and b", "a, b and c";
* `{x:bytes}` a size in bytes, as "12 MiB" or "1,234 bytes";
* `{x:#one|many}` "one" when x is 1, else "many", with `%` replaced by x;
* `{x:?text}` nothing when x is empty, else the text with `%` replaced by x (a list joined
  with ", ");
* `{x:@name}` the phrase `PHRASES[name][x]`.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from functools import cache

import numpy as np

from .schema import PARSED_TYPES
from .values import and_list

MIB = 1024 * 1024

# The columns of a decisions row that resolve checks: each has a code of its own.
DECISION_ISSUE_COLUMNS = ("requirement", "event")

# Every code the package can emit: IssueLog and Refusal take no other. Families are expanded
# from what they range over, so a new value type or checked decision column needs words.
ISSUE_CODES: frozenset[str] = frozenset(
    {
        # files the reader refuses (limits.py, read.py): a Refusal carries the code
        "file_password_protected",
        "file_too_large",
        "file_changed_while_read",
        "file_cannot_open",
        "file_unreadable",
        "file_empty",
        "file_misnamed",
        "file_format",
        "file_exported",
        "file_damaged",
        "file_truncated",
        "csv_too_many_cells",
        "csv_encoding",
        "csv_unclosed_quote",
        "sheet_too_many_cells",
        "sheet_too_much_text",
        "archive_too_many_parts",
        "archive_too_large",
        "archive_ratio_too_high",
        "archive_size_mismatch",
        "xml_doctype",
        # sheets (ingest.py, normalise.py)
        "sheet_ambiguous",
        "sheet_not_used",
        "sheet_hidden",
        "near_miss_sheet",
        "grid_sheet",
        "columns_not_used",
        "register_column_unread",
        "attendance_ticks",
        "attendance_unmarked",
        "month_first_column",
        # cells (normalise.py): one code per value type that can fail to be read
        *(f"invalid_{value_type.value}" for value_type in PARSED_TYPES),
        "required_missing",
        "lone_cell",
        "totals_row",
        "formula_unsaved",
        # registers and references (resolve.py)
        "register_conflict",
        "register_repeat",
        "register_copy",
        "person_ambiguous",
        "person_unknown",
        "person_unknown_kept",
        "unknown_competency",
        *(f"invalid_decision_{column}" for column in DECISION_ISSUE_COLUMNS),
        # outcomes and addresses (validate.py)
        "future_row",
        "duplicate_row",
        "same_day_elsewhere",
        "register_date_future",
        "leading_alone_with_co_leader",
        "supervision_hours_long",
        "name_unaddressable",
        "trainee_address_invalid",
        "non_ascii_address",
        "address_shared",
        "supervisor_address_invalid",
        # register dates (evaluate.py)
        "reference_out_of_order",
        "reference_before_supervision",
        # the inbox as a whole (pipeline.py)
        "file_gone",
        "no_trainee_register",
    }
)

_FIX_COPY = "open it in Excel and save a fresh copy"
_BAD_PERSON = "'{value}'{invisible:? (it holds %)} is not in {pools:@registers}"
_KEPT = "; counted as an unknown, not accredited person"
_PERSON_CASES = {
    "rejected": _BAD_PERSON + "; their register row at {rejected_at} was rejected: fix it first",
    "suggestion": _BAD_PERSON + "; did you mean {closest}?",
    "unknown": _BAD_PERSON + ": correct the name or add the person to the register",
}
_NEAR_MISS = (
    "this sheet looks like {kind} but has no {column} column{also:? (nor a % column: each "
    "has an error of its own)}, so {rows:#its one row could not|none of its % rows could} be "
    "read (headings seen: {seen:list}): "
)
_GRID = (
    "this sheet is a grid, names down and dates across ({dates:list}), so {rows:#its one "
    "row could not|none of its % rows could} be read: {kind} is read as one row per person per "
    "session, under the headings {required:list}. "
)
_TOO_MANY_CELLS = (
    "spans {rows:,} rows by {columns:,} columns, {cells:,} cells, more than the {limit:,} "
    "limit: delete the far-away cells (Ctrl+End in Excel shows the last one) and save it again"
)
_TOO_LARGE = (
    " would unpack to {size:bytes}, more than the {limit:bytes} limit: split the workbook into "
    "smaller files (it may also be crafted to exhaust memory: if you did not expect it, ask "
    "the sender)"
)
_CONFLICT = (
    "{column} '{value}' here ({here}) but '{theirs}' at {there}; '{theirs}' is used because "
    "{first:@first_because}, and this row is left out: make the two rows agree (if one of the "
    "files is an old copy, take it out of the inbox)"
)
_REPORT_RECEIVED = "the {reference} was received on {on}"
_CANNOT_EMAIL = (
    ": the letter is written but cannot be emailed; add the address to the trainees register"
)

# code (or code:case) -> the sentence the team reads in the Data issues sheet.
TEAM_ISSUE_TEXT: dict[str, str] = {
    # --- files refused before any reader opens them (limits.py, read.py) ---
    "file_password_protected": (
        "the file is password-protected: save an unprotected copy into the folder"
    ),
    "file_too_large": (
        "the file is {size:bytes}, more than the {limit:bytes} limit for one {suffix} file: "
        "split it into smaller files, or remove what the report does not need"
    ),
    "file_too_large:no_suffix": (
        "the file is {size:bytes}, more than the {limit:bytes} limit for one such file: "
        "split it into smaller files, or remove what the report does not need"
    ),
    "file_changed_while_read": (
        "the file changed while it was being read (it is still being saved or synced): "
        "wait until it is complete, then run again"
    ),
    "file_cannot_open": (
        "the file cannot be opened ({reason}): check it is not open elsewhere and that you may "
        "read it"
    ),
    "file_unreadable": (
        "the file could not be read: it may be damaged or not really a {suffix} file; "
        f"{_FIX_COPY} into the folder"
    ),
    "file_empty": (
        "the file is empty (0 bytes): save it again from Excel and put it back in the folder"
    ),
    "file_misnamed:xls_as_xlsx": (
        "this is an old-format Excel (.xls) file named as .xlsx: "
        "open it in Excel and save it as .xlsx, or rename it to .xls"
    ),
    "file_misnamed:xlsx_as_xls": (
        "this is a new-format Excel (.xlsx) file named as .xls: rename it to .xlsx"
    ),
    "file_misnamed:pdf": (
        "this is a PDF document named as {suffix}, not a spreadsheet: ask the sender for "
        "the spreadsheet itself"
    ),
    "file_misnamed:text": (
        "this is a text (CSV) file named as {suffix}: rename it to .csv, or open it in "
        "Excel and save it as a workbook"
    ),
    "file_misnamed:html": (
        "this is a web page saved with a {suffix} name, not a workbook (as some websites and "
        "databases export tables): open it in Excel and save it as a workbook (.xlsx) into "
        "the folder"
    ),
    "file_misnamed:xml": (
        "this is an Excel 2003 XML spreadsheet saved with a {suffix} name: open it in Excel "
        "and save it as a workbook (.xlsx) into the folder"
    ),
    "file_misnamed:not_really": (
        "the file is not really a {suffix} spreadsheet (it may be damaged or truncated): "
        f"{_FIX_COPY} into the folder"
    ),
    "file_format:xlsb": (
        "this is an Excel binary workbook (.xlsb), which is not read: open it in Excel and "
        "save it as .xlsx (File > Save As > Excel Workbook) into the folder"
    ),
    "file_format:numbers": (
        "this is an Apple Numbers file, which is not read: open it in Numbers, choose File > "
        "Export To > Excel, and put the .xlsx file into the folder"
    ),
    "file_format:gsheet": (
        "this is only a link to a Google Sheets spreadsheet, which stays online: open it, "
        "choose File > Download > Microsoft Excel (.xlsx), and put that file into the folder"
    ),
    "file_exported:numbers": (
        "this Apple Numbers file is not read: {export} beside it, most likely exported from "
        "it, is read in its place. If this file was changed after that, export it again over "
        "{export} (File > Export To > Excel)"
    ),
    "file_exported:gsheet": (
        "this link to a Google Sheets spreadsheet is not read: {export} beside it, most likely "
        "its download, is read in its place. If the spreadsheet online was changed after that, "
        "download it again over {export} (File > Download > Microsoft Excel (.xlsx))"
    ),
    "file_format:template": (
        "this is a spreadsheet template ({suffix}), which is not read: open it in Excel or "
        "LibreOffice and save it as .xlsx (File > Save As) into the folder"
    ),
    "file_format:fods": (
        "this is a flat OpenDocument spreadsheet (.fods), which is not read: open it in "
        "LibreOffice and save it as .ods or .xlsx (File > Save As) into the folder"
    ),
    "file_damaged:structure": (
        "the file is damaged or incomplete (its internal structure is broken): ask the sender "
        f"for it again, or {_FIX_COPY}"
    ),
    "file_damaged:part": (
        "the file is damaged or incomplete (its part {part} is cut short or corrupt): "
        f"ask the sender for it again, or {_FIX_COPY}"
    ),
    "file_damaged:packing": (
        "its part {part} is packed in a way spreadsheets do not use: save a fresh "
        "copy from Excel into the folder"
    ),
    "file_truncated": (
        "the file is incomplete or damaged (its zip directory is missing, as when a "
        "download or copy was cut short): ask the sender for it again, or open it in Excel "
        "and save a fresh copy into the folder"
    ),
    "csv_too_many_cells": (
        "the file holds about {cells:,} cells, more than the {limit:,} limit for one sheet: "
        "split it into smaller files"
    ),
    "csv_encoding": (
        "line {line} is neither UTF-8 nor Windows-1252 text (byte 0x{byte:02X}): "
        "open the file in Excel and save it again as 'CSV UTF-8'"
    ),
    "csv_unclosed_quote": (
        'line {line} opens a quoted cell (") that is never closed, so every line after it '
        "would be one cell: close the quote or remove it, then save the file again"
    ),
    "sheet_too_many_cells": "a sheet " + _TOO_MANY_CELLS,
    "sheet_too_many_cells:part": "a sheet ({part}) " + _TOO_MANY_CELLS,
    "sheet_too_much_text": (
        "its cells repeat its text to {size:bytes} in all, more than the {limit:bytes} "
        "limit: a few long texts used by many cells can be crafted to exhaust memory. "
        "Split the workbook, or ask the sender"
    ),
    "archive_too_many_parts": (
        "the file is made of {parts:,} parts, more than the {limit:,} limit: a spreadsheet has "
        "a few dozen. It may be crafted to slow the run down; ask the sender for a fresh copy"
    ),
    "archive_too_large:all_parts": "all its parts" + _TOO_LARGE,
    "archive_too_large:part": "its part {part}" + _TOO_LARGE,
    "archive_ratio_too_high": (
        "its part {part} unpacks {times:,} times over ({packed:bytes} to {size:bytes}), more "
        "than the {ratio}:1 limit: real spreadsheets compress far less, so it may be crafted "
        "to exhaust memory; open it in Excel and save a fresh copy, or ask the sender"
    ),
    "archive_size_mismatch": (
        "its part {part} unpacks to more than the {size:bytes} it declares: it may be crafted "
        "to exhaust memory, so it was not opened. Ask the sender for a copy saved from Excel "
        "or LibreOffice"
    ),
    "xml_doctype": (
        "its part {part} declares an XML document type (<!DOCTYPE or <!ENTITY), which "
        "spreadsheets never do: it may be crafted to expand without end or to read other "
        "files, so it was not opened. Ask the sender for a copy saved from Excel or "
        "LibreOffice"
    ),
    # --- sheets (ingest.py, normalise.py) ---
    "sheet_ambiguous": (
        "the header in row {header_row} fits {kinds:and} equally well: rename a column so it "
        "says which it is (e.g. 'trainee_id' or 'leader_id')"
    ),
    "sheet_hidden:hidden": (
        "this sheet is hidden in the workbook, and its rows are read like any other sheet's: "
        "to see it in Excel, right-click a sheet tab and choose Unhide. If it is an old copy, "
        "delete it, or its rows count (or show as duplicates of the ones they copy)"
    ),
    "sheet_hidden:very_hidden": (
        "this sheet is 'very hidden' (Excel's Unhide does not list it: only a macro or the "
        "Visual Basic editor can show it), and its rows are read like any other sheet's: ask "
        "the sender what it holds, and for a copy without it if its rows should not count"
    ),
    "sheet_hidden:not_used": (
        "this sheet is hidden in the workbook and fits no kind of record, so it is not read "
        "(a hidden sheet most often holds the choices of the workbook's dropdowns): if it "
        "holds records, unhide it (right-click a sheet tab and choose Unhide) to see what its "
        "headings lack"
    ),
    "sheet_not_used:no_header": (
        "sheet not used: no header row of a known kind in the first {search_rows} rows"
    ),
    "sheet_not_used:closest": (
        "sheet not used: closest to {kind} but missing {missing:list}; headers seen: {seen:list}"
    ),
    "near_miss_sheet:suggestion": _NEAR_MISS
    + (
        "if '{value}' is the {column}, add the line {toml_line} under [columns.{kind}] in "
        "balint.toml, or rename that heading to {column}{aliases:? (also recognised as: %)}"
    ),
    "near_miss_sheet:no_suggestion": _NEAR_MISS
    + (
        "add a {column} column headed {column}{aliases:? (also recognised as: %)}, or map the "
        'heading that holds it by adding the line "<that heading>" = {column_toml} under '
        "[columns.{kind}] in balint.toml"
    ),
    # what the sheet's sender is told: the fix that is theirs, not the team's config line
    "near_miss_sheet:sender_suggestion": _NEAR_MISS
    + "if '{value}' is the {column}, rename that heading to {column}"
    + "{aliases:? (also recognised as: %)}",
    "near_miss_sheet:sender_no_suggestion": _NEAR_MISS
    + "add a {column} column headed {column}{aliases:? (also recognised as: %)}",
    "grid_sheet": _GRID
    + (
        "Put each session someone came to on a row of its own (balint-reports template "
        "{kind}.xlsx --kind {kind} writes a blank sheet with those columns), or ask the sender "
        "to keep the register that way"
    ),
    "grid_sheet:sender": _GRID + "Each session someone came to needs a row of its own",
    "columns_not_used": (
        "column(s) {headings:quoted} not used for {kind}; if one of them should be, "
        "map it under [columns.{kind}] in balint.toml"
    ),
    "register_column_unread:default": (
        "the heading '{value}' is not read, though it may be the register's {words} column "
        "(its cells read as such): without it, {words} is taken as '{default}' on every row. "
        "If it is, add the line {toml_line} under [columns.{kind}] in balint.toml, or rename "
        "the heading to {column}"
    ),
    "register_column_unread:blank": (
        "the heading '{value}' is not read, though it may be the register's {words} column "
        "(its cells read as such): without it, {words} is taken as blank on every row. If it "
        "is, add the line {toml_line} under [columns.{kind}] in balint.toml, or rename the "
        "heading to {column}"
    ),
    "attendance_ticks": (
        "the {heading} column marks only who came: its {rows} rows without a mark are read as "
        "not there, and count in Sources as not present"
    ),
    "attendance_unmarked": (
        "no mark here, while other rows of the column are marked present or absent: counted "
        "as present; if they were not there, mark them absent"
    ),
    "month_first_column": (
        "the {column} column has dates written month first ('{value}' can only be {day.day} "
        "{day:%B %Y}) and none that can only be day first, so all its dates are read month "
        "first, as US-style and Google Sheets exports write them. If they are day first, "
        'correct the ones that cannot be, or add order = "day-first" under [dates] in '
        "balint.toml"
    ),
    "month_first_column:other_sheet": (
        "the {column} column's dates are read month first, as sheet {where} of this workbook "
        "shows ('{value}' can only be {day.day} {day:%B %Y}) and no sheet has one that can only "
        "be day first. If they are day first, correct the ones that cannot be, or add order = "
        '"day-first" under [dates] in balint.toml'
    ),
    # --- cells (normalise.py): a parser's own words say what is wrong with the cell ---
    **{f"invalid_{value_type.value}": "{detail}" for value_type in PARSED_TYPES},
    "required_missing": "{column} is missing: fill it in",
    "totals_row": (
        "a row of totals ('{value}' and numbers), not a record, so it is not counted: to stop "
        "this message, delete the row or keep totals on a sheet of their own"
    ),
    "lone_cell": (
        "the row holds only '{value}', with nothing under {missing:and}, so it is not counted: "
        "if it is a note (a total, a comment), delete the row; if it is a record, fill it in"
    ),
    "formula_unsaved": (
        "cell {cell} holds a formula whose result was never saved: open the file in Excel or "
        "LibreOffice and save it again, or type the value in"
    ),
    # --- registers and references (resolve.py) ---
    "register_conflict": "{id_column} {person_id} has " + _CONFLICT,
    "register_repeat": "same {column} as {first}: counted once, blank fields filled from here",
    "register_copy": (
        "{file} and {value} hold mostly the same register rows ({shared:and} in both): if one "
        "is an old copy, take it out of the inbox or add it to [inbox] ignore in balint.toml. "
        "Where they disagree, {file} is used, as files are read in name order"
    ),
    "person_ambiguous": "'{value}' matches several people ({names}): write the id instead",
    "person_ambiguous:shared": "'{value}' matches several people: write the id instead",
    **{f"person_unknown:{case}": text for case, text in _PERSON_CASES.items()},
    **{f"person_unknown_kept:{case}": text + _KEPT for case, text in _PERSON_CASES.items()},
    "unknown_competency:no_portfolio": (
        "{ruleset}, the trainee's ruleset, has no portfolio of competencies: this sign-off "
        "cannot count"
    ),
    "unknown_competency:unknown": (
        "'{value}' is not a competency of {ruleset}: use its number (1–{competencies}), id or title"
    ),
    "invalid_decision_requirement": (
        "'{value}' is not a requirement of {ruleset}, the trainee's ruleset: use one of "
        "{requirements:list}"
    ),
    "invalid_decision_event": (
        "an approve decision needs the external event it approves in the event column"
    ),
    # --- outcomes and addresses (validate.py) ---
    "future_row": "dated after the report date: left out of this report until then",
    "duplicate_row": "same as {first}: counted once",
    "duplicate_row:other_file": "same as {first}: counted once",
    "duplicate_row:sender_other_file": (
        "the same record is in another spreadsheet the team received: counted once"
    ),
    "same_day_elsewhere": (
        "the same trainee, date and role are also at {first}, under a like group or event "
        "name or none: if both are one session, take one of them out; until then both count"
    ),
    "register_date_future": "after the report date: counted as not yet set",
    "leading_alone_with_co_leader": (
        "the role says leading alone, but '{co_leader}' is named as co-leader: the session "
        "counts as leading alone; if it was co-led, write co-leader as the role"
    ),
    "supervision_hours_long": (
        "{value} hours is longer than any supervision session ({longest} at most): if it is "
        "minutes, write {in_hours} (hours); it counts as {value} hours until corrected"
    ),
    "name_unaddressable": (
        "the name holds a control character: no email can be addressed to it; retype it"
    ),
    "trainee_address_invalid:blank": "no email address" + _CANNOT_EMAIL,
    "trainee_address_invalid:invalid": "'{value}' is not a valid email address" + _CANNOT_EMAIL,
    "non_ascii_address": (
        "the address has letters outside plain ASCII, like {letters:and}: most mail servers "
        "refuse such addresses (only some accept them), so this email may not "
        "be delivered; ask for a plain address, or check with your email provider before sending"
    ),
    "address_shared": (
        "another trainee in the register has the same address, so both letters go to one "
        "mailbox: check the register"
    ),
    "supervisor_address_invalid": (
        "this supervisor has no valid email address: their digest is written but cannot be "
        "emailed; add the address to the leaders register"
    ),
    # --- register dates (evaluate.py) ---
    "reference_out_of_order": (
        "the {reference} was {step} on {on}, before it was {earlier_step} on {earlier}: "
        "check both dates in the register (both are used as written)"
    ),
    "reference_before_supervision:before_first": (
        _REPORT_RECEIVED + ", before the first supervision session with an eligible supervisor "
        "on {first_session}: check the dates (both are used as written)"
    ),
    "reference_before_supervision:no_session": (
        _REPORT_RECEIVED + ", but no supervision session with an eligible supervisor is "
        "recorded: check the register and the supervision logs"
    ),
    # --- the inbox as a whole (pipeline.py) ---
    "file_gone": (
        "this file fed the {month} report but is no longer in the inbox: if it was removed by "
        "mistake, put it back and run again"
    ),
    "no_trainee_register": (
        "no trainees register found in the inbox, so there is nobody to report on: check the "
        "folder, or that the register's heading row has trainee_id and name"
    ),
}

# Phrases a template picks by a field's value: `{x:@name}` is PHRASES[name][x].
PHRASES: dict[str, dict[str, str]] = {
    # which register(s) a person column looks in (resolve.POOLS)
    "registers": {
        "trainee": "the trainees register",
        "leader": "the leaders register",
        "trainee leader": "the trainees or leaders registers",
    },
    # why the first of two register rows with the same id wins (the order files are read in)
    "first_because": {
        "file": "files are read in name order and that file comes first",
        "sheet": "that sheet comes first in the workbook",
        "row": "that row comes first",
    },
}


class IssueTextError(LookupError):
    """An issue whose words cannot be made: a code, case or field the templates do not know."""


def size_text(count: int) -> str:
    """A size in bytes as the team reads it: `12 MiB`, or `1,234 bytes` under one MiB."""
    return f"{count / MIB:,.0f} MiB" if count >= MIB else f"{count:,} bytes"


def _shown(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


class _TeamFormatter(string.Formatter):
    """str.format with the few specs the templates add (see the module's docstring)."""

    def format_field(self, value: object, format_spec: str) -> str:
        """One field's text, by its spec."""
        items: Iterable = value if isinstance(value, list | tuple) else ()
        if format_spec in ("list", "quoted", "and") and not isinstance(value, list | tuple):
            raise IssueTextError(f"a field shown as a {format_spec} needs a tuple, not {value!r}")
        match format_spec[:1], format_spec:
            case _, "list":
                return ", ".join(str(item) for item in items)
            case _, "quoted":
                return ", ".join(f"'{item}'" for item in items)
            case _, "and":
                return and_list([str(item) for item in items])
            case _, "bytes":
                return size_text(int(value))  # type: ignore[call-overload]
            case "#", _:
                one, many = format_spec[1:].split("|")
                return (one if value == 1 else many).replace("%", _shown(value))
            case "?", _:
                return format_spec[1:].replace("%", _shown(value)) if value else ""
            case "@", _:
                return PHRASES[format_spec[1:]][str(value)]
        return super().format_field(value, format_spec)


_FORMATTER = _TeamFormatter()


@cache
def _pieces(template: str) -> tuple[tuple[str, str | None, str, str | None], ...]:
    """The template parsed once: (literal, field, spec, conversion) pieces."""
    return tuple(
        (literal, field, spec or "", conversion)
        for literal, field, spec, conversion in _FORMATTER.parse(template)
    )


def fields_of(template: str) -> frozenset[str]:
    """The names of the fields a template uses (`{day.day}` uses `day`)."""
    return frozenset(
        field.split(".")[0].split("[")[0] for _, field, _, _ in _pieces(template) if field
    )


def templates_of(code: str) -> dict[str, str]:
    """A code's templates by case ("" for a code with one)."""
    return dict(_by_case(code))


@cache
def _by_case(code: str) -> tuple[tuple[str, str], ...]:
    if code not in ISSUE_CODES:
        raise IssueTextError(f"{code!r} is not an issue code (issue_text.ISSUE_CODES)")
    return tuple(
        (key.partition(":")[2], text)
        for key, text in TEAM_ISSUE_TEXT.items()
        if key.partition(":")[0] == code
    )


@cache
def _used_fields(code: str) -> frozenset[str]:
    """Every field some template of the code uses."""
    return frozenset().union(*(fields_of(text) for _, text in _by_case(code)))


def _check_fields(code: str, case: str, given: Iterable[str], passed: Iterable[str]) -> str:
    """The template of (code, case), once the fields are known to fit it: every field it uses
    is given, and every field passed (beyond the issue's own place and value) is used by some
    template of the code."""
    template = dict(_by_case(code)).get(case)
    if template is None:
        raise IssueTextError(f"issue {code!r} has no template for case {case!r}")
    missing = fields_of(template) - set(given)
    if missing:
        raise IssueTextError(
            f"issue {code}{':' + case if case else ''} needs the field(s) "
            f"{', '.join(sorted(missing))}; given: {', '.join(sorted(given)) or 'none'}"
        )
    unused = set(passed) - _used_fields(code)
    if unused:
        raise IssueTextError(
            f"issue {code} uses no field {', '.join(sorted(unused))} in any of its templates"
        )
    return template


# The cases whose words name other people (a suggested match, the people a name could be),
# or give a fix only the team can make (a line in its balint.toml): words that go beyond the
# team (feedback to a spreadsheet's sender, an evidence statement) take the case beside them,
# which says the same without the names, and the sender's own fix.
# Issues for the team alone, not in a sender's feedback nor a supervisor's digest: theirs to
# settle (two senders' rows that may be one session: each sender's rows are right).
TEAM_ONLY_CODES = ("same_day_elsewhere",)

SHARED_CASE: dict[tuple[str, str], str] = {
    ("person_unknown", "suggestion"): "unknown",
    ("person_unknown_kept", "suggestion"): "unknown",
    ("person_ambiguous", ""): "shared",
    ("near_miss_sheet", "suggestion"): "sender_suggestion",
    ("near_miss_sheet", "no_suggestion"): "sender_no_suggestion",
    ("grid_sheet", ""): "sender",
    ("duplicate_row", "other_file"): "sender_other_file",
}


def shared_case(code: str, case: str | np.ndarray) -> str | np.ndarray:
    """The case to word an issue with for people outside the team: one naming nobody else."""
    if isinstance(case, str):
        return SHARED_CASE.get((code, case), case)
    return np.array([SHARED_CASE.get((code, str(c)), c) for c in case], dtype=object)


def has_shared_case(code: str) -> bool:
    """Whether some case of the code has other words for people outside the team."""
    return any(named == code for named, _ in SHARED_CASE)


def team_text(code: str, case: str = "", fields: Mapping[str, object] | None = None) -> str:
    """One issue's sentence for the team, from its code's template and its fields."""
    fields = fields or {}
    template = _check_fields(code, case, fields, _passed(fields))
    return _FORMATTER.vformat(template, (), fields)


def team_texts(
    code: str, case: str | np.ndarray, fields: Mapping[str, object], rows: int
) -> str | np.ndarray:
    """Many issues' sentences at once: a field (or the case) may be an array with one value
    per row. One sentence (a str) when nothing varies from row to row."""
    if isinstance(case, str):
        return _texts_of_case(code, case, fields, rows)
    out = np.empty(rows, dtype=object)
    for one in dict.fromkeys(case.tolist()):
        mine = case == one
        count = int(mine.sum())
        picked = {k: v[mine] if isinstance(v, np.ndarray) else v for k, v in fields.items()}
        out[mine] = _texts_of_case(code, str(one), picked, count)
    return out


def _texts_of_case(
    code: str, case: str, fields: Mapping[str, object], rows: int
) -> str | np.ndarray:
    template = _check_fields(code, case, fields, _passed(fields))
    if not any(isinstance(v, np.ndarray) for v in fields.values()):
        return _FORMATTER.vformat(template, (), fields)
    # Joined piece by piece over whole columns: numpy adds object arrays of str element-wise.
    out: str | np.ndarray = ""
    for literal, field, spec, conversion in _pieces(template):
        out = out + literal
        if field is None:
            continue
        root = field.split(".")[0].split("[")[0]
        value = fields[root]
        if not isinstance(value, np.ndarray):
            one = "{" + field + _spec_text(spec, conversion) + "}"
            out = out + _FORMATTER.vformat(one, (), fields)
        elif field == root and not spec and conversion is None:
            out = out + value.astype(str).astype(object)
        else:
            one = "{x" + field[len(root) :] + _spec_text(spec, conversion) + "}"
            out = out + np.array([_FORMATTER.format(one, x=v) for v in value], dtype=object)
    return out if isinstance(out, np.ndarray) else np.full(rows, out, dtype=object)


def _spec_text(spec: str, conversion: str | None) -> str:
    return (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")


# The issue's own place and value, there for a template to use whether it does or not.
_OWN_FIELDS = ("file", "sheet", "column", "value")


def _passed(fields: Mapping[str, object]) -> list[str]:
    return [name for name in fields if name not in _OWN_FIELDS]
