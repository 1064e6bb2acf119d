"""Feedback to the people who send spreadsheets: per inbox file with problems, a short list.

OUT/<month>/feedback/<file>.txt says, in plain words, which rows of the file need fixing and
why; where the config's [senders] maps the file to a leader with an email address, a ready
.eml to that leader sits beside it (with the note as HTML), listed in feedback/feedback.json,
which `send --feedback` reads: one message per file, each sent once.
"""

from __future__ import annotations

import fnmatch
import html
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from .addresses import can_email
from .config import sender
from .errors import DeliveryError
from .issue_text import TEAM_ONLY_CODES
from .model import RunResult
from .outbox import FEEDBACK_KIND, Outgoing, Recipient, build_message, eml_bytes, headers_for
from .ruleset import shared_vocabulary
from .safecells import without_bidi_controls
from .wording import month_text, signature_words

FEEDBACK_FOLDER = "feedback"
FEEDBACK_MANIFEST = "feedback.json"
# Errors lose rows and warnings change what counts; notes (unused columns) are the team's.
SENT_SEVERITIES = ("error", "warning")
DEFAULT_FEEDBACK_SUBJECT = "{society}: please check your spreadsheet {file}"


@dataclass(frozen=True)
class Feedback:
    """What one inbox file's sender is told."""

    file: str
    lines: tuple[str, ...]
    leader_id: str  # "" when no [senders] pattern names the file
    leader_name: str
    address: str


def _rows_words(rows: list[int]) -> str:
    """6 → "row 6"; 6, 7, 9 → "rows 6, 7 and 9" (first 12, then how many more)."""
    shown = [str(r) for r in rows[:12]]
    more = f" and {len(rows) - 12} more" if len(rows) > 12 else ""
    if len(shown) == 1:
        return f"row {shown[0]}"
    if more:
        return f"rows {', '.join(shown)}{more}"
    return f"rows {', '.join(shown[:-1])} and {shown[-1]}"


def _lines(issues: pd.DataFrame) -> list[str]:
    """One line per sheet and kind of problem: the rows it is on, and the problem in words."""
    lines = []
    # One line per code, so the same mistake on several rows is one line; in the words that
    # name nobody else (a sender is not told who else a name might have been).
    # Rows whose words for the sender differ from the team's (they name another sender's
    # file, or whom a name may be) are worded apart from those whose words do not.
    issues = issues.assign(reworded=issues["shared"] != issues["problem"], problem=issues["shared"])
    for (sheet, _, column, _), group in issues.groupby(
        ["sheet", "code", "heading", "reworded"], sort=False, dropna=False
    ):
        where = f"sheet {sheet}" if sheet else "the file"
        rows = sorted({int(r) for r in group["row"].dropna()})
        first = group.iloc[0]
        what = f", column {column}" if column else ""
        if not rows:
            lines.append(f"In {where}{what}: {first['problem']}")
        elif len(group) == 1:
            lines.append(f"{_rows_words(rows).capitalize()} of {where}{what}: {first['problem']}")
        else:
            lines.append(
                f"{_rows_words(rows).capitalize()} of {where}{what}: {first['problem']}"
                + (f" (row {int(first['row'])}; the others alike)" if len(rows) > 1 else "")
            )
    return lines


def sender_of(file: str, senders: dict[str, str]) -> str:
    """The leader id whose [senders] pattern first matches an inbox-relative path, or ""."""
    for pattern, leader in senders.items():
        if fnmatch.fnmatch(file.casefold(), pattern.casefold()):
            return leader
    return ""


def collect_feedback(result: RunResult, senders: dict[str, str]) -> list[Feedback]:
    """Per inbox file with errors or warnings on it, what its sender is told; grouped once."""
    issues = result.issues
    issues = issues.loc[
        issues["severity"].isin(SENT_SEVERITIES)
        & (issues["file"] != "")
        & ~issues["code"].isin(TEAM_ONLY_CODES)
    ]
    names = {leader_id: p.name for leader_id, p in result.leaders.items()}
    emails = {leader_id: p.email for leader_id, p in result.leaders.items()}
    found = []
    for file, rows in issues.groupby("file", sort=True):
        leader = sender_of(str(file), senders)
        found.append(
            Feedback(
                file=str(file),
                lines=tuple(_lines(rows)),
                leader_id=leader if leader in names else "",
                leader_name=str(names.get(leader, "")),
                address=str(emails.get(leader) or "") if leader in names else "",
            )
        )
    return found


def feedback_text(note: Feedback, society: str, signature: str, month: str) -> str:
    """The plain-text note for one file's sender."""
    greeting = f"Dear {note.leader_name}," if note.leader_name else "Hello,"
    body = "\n".join(f"- {line}" for line in note.lines)
    return without_bidi_controls(
        f"{greeting}\n\n"
        f"Thank you for sending {note.file}. When we read it for the {month} report, "
        "these rows could not be used as they are, or were read with a guess:\n\n"
        f"{body}\n\n"
        "Row numbers are as your spreadsheet shows them. Could you correct them and send the "
        "file again? If a row is right as it is, just tell us.\n\n"
        f"With thanks,\n{signature}\n{society}\n"
    )


def feedback_html(text: str) -> str:
    """The note as HTML for an email: the same words, kept as written."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body>'
        '<pre style="font-family:inherit;white-space:pre-wrap">'
        + html.escape(without_bidi_controls(text))
        + "</pre></body></html>"
    )


def feedback_entries(month_folder: Path) -> list[dict]:
    """The month's feedback notes as `send` reads them (none when the run wrote none)."""
    path = month_folder / FEEDBACK_FOLDER / FEEDBACK_MANIFEST
    if not path.is_file():
        return []
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["files"]
        if not all(isinstance(e, dict) and e["kind"] == FEEDBACK_KIND and e["id"] for e in entries):
            raise ValueError("not feedback")
    except (OSError, ValueError, KeyError, TypeError):
        raise DeliveryError(
            f"{path}: damaged or written by an earlier version: run the month again"
        ) from None
    return entries


def _file_stem(file: str) -> str:
    """A file name for the note: the inbox path with its folders joined by `__`."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", file.replace("/", "__")).strip("_") or "file"


def feedback_files(result: RunResult, senders: dict[str, str]) -> dict[str, bytes]:
    """feedback/<file>.txt (and .eml to a mapped leader) and feedback.json, by path."""
    notes = collect_feedback(result, senders)
    if not notes:
        return {}
    settings = result.config.report
    month = month_text(result.as_of)
    can_send = sender(result.config) is not None
    signature = signature_words(
        settings.signature, shared_vocabulary(r.vocabulary for r in result.rulesets)
    )
    files: dict[str, bytes] = {}
    entries = []
    for note in notes:
        stem = f"{FEEDBACK_FOLDER}/{_file_stem(note.file)}"
        text = feedback_text(note, settings.society, signature, month)
        files[f"{stem}.txt"] = text.encode("utf-8")
        mapped = sender_of(note.file, senders)
        subject = DEFAULT_FEEDBACK_SUBJECT.format(society=settings.society, file=note.file)
        # The keys `send` reads (kind, id, name, address, html, text, skip) are those of
        # mail.json's messages; the id is the file, so each file's note is sent once.
        entry = {
            "file": note.file,
            "note": f"{stem}.txt",
            "leader_id": "",
            "kind": FEEDBACK_KIND,
            "id": note.file,
            "name": note.leader_name,
            "address": note.address,
            "subject": subject,
            "text": f"{stem}.txt",
        }
        # Why there is no email, for the team (and `send`) to read in feedback.json.
        if not mapped:
            entry["no_email"] = "no [senders] pattern in the config names this file"
        elif not note.leader_id:
            entry["no_email"] = f"[senders] names {mapped}, who is not in the leaders register"
        elif not can_email(note.leader_name, note.address):
            entry["no_email"] = f"{note.leader_name} ({mapped}) has no valid email address"
        elif not can_send:
            entry["no_email"] = "no sender address: set [email] from in the config"
        else:
            page = feedback_html(text)
            item = Outgoing(
                stem=stem,
                html=page,
                text=text,
                recipient=Recipient(FEEDBACK_KIND, note.file, note.leader_name, note.address),
            )
            headers = replace(headers_for(result.config, "digest", result.as_of), subject=subject)
            message = build_message(item, headers, result.month, dated=result.as_of)
            files[f"{stem}.html"] = page.encode("utf-8")
            files[f"{stem}.eml"] = eml_bytes(message)
            entry.update(leader_id=note.leader_id, eml=f"{stem}.eml", html=f"{stem}.html")
        entry["skip"] = entry.get("no_email", "")
        entries.append(entry)
    manifest = {"month": result.month, "files": entries}
    files[f"{FEEDBACK_FOLDER}/{FEEDBACK_MANIFEST}"] = json.dumps(manifest, indent=2).encode()
    return files
