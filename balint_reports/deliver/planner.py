"""The planner: what to send to whom, from the month folder and the send log (no network).

`load_month` reads what a run left for `send` (mail.json, the letters and digests, the count of
errors in progress.json); `plan` decides, from the send log, which messages go and why the
others do not.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..changes import requirement_words
from ..errors import DeliveryError
from ..outbox import (
    FEEDBACK_KIND,
    MANIFEST,
    MANIFEST_VERSION,
    NO_ADDRESS,
    Outgoing,
    Recipient,
    content_hash,
)
from ..sendlog import (
    FAILED,
    MAYBE_DELIVERED,
    SENDING,
    SENT,
    UNKNOWN,
    Attempt,
    SendLog,
    address_hash,
)
from ..values import fold_name
from ..wording import day_text
from .report import CHANGED, HELD_REFUSED, HELD_UNKNOWN, MonthErrors

REGISTER = {"letter": "trainees", "digest": "leaders", FEEDBACK_KIND: "leaders"}


@dataclass(frozen=True)
class Item:
    """One trainee's letter or one supervisor's digest: what to send, or why there is none."""

    recipient: Recipient
    piece: Outgoing | None  # None when there is nothing to send (see `skip`)
    skip: str = ""
    facts: dict = field(default_factory=dict)  # the letter's figures, for a correction
    subject: str = ""  # its own subject (a feedback note names its file), else the config's

    @property
    def content_hash(self) -> str:
        """The hash of the bodies: what makes it the same letter."""
        return content_hash(self.piece) if self.piece is not None else ""


@dataclass(frozen=True)
class Month:
    """What a run left in a month folder for `send`."""

    folder: Path
    month: str  # YYYY-MM
    as_of: dt.date
    config: Path | None  # the config the run used
    items: list[Item]  # of the kind asked for (and only the ids asked for)
    errors: MonthErrors
    # the recipients of the other kind's messages (digests beside letters, and letters beside
    # digests) that could be sent: the CLI says how many are still to go
    other_kind: tuple[str, ...]
    # the society's word the run found in its rulesets, for the subject's {accreditation}
    accreditation: str = "accreditation"


@dataclass(frozen=True)
class Step:
    """What to do with one message: send it (perhaps as a correction), or why not."""

    item: Item
    send: bool
    reason: str = ""
    references: str = ""  # Message-ID of the message this one corrects
    opening: str = ""  # the line a correction opens with
    held: str = ""  # why an earlier send holds it back (report.CHANGED, ...), if it does


def not_a_month(manifest: Path) -> str:
    """The message for a folder that is not a month written by `run`."""
    return (
        f"{manifest}: not found. Give the month's folder written by `balint-reports run`, "
        "e.g. reports/2026-11"
    )


def _read_json(path: Path) -> Any:  # what json gives: checked by the caller
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeliveryError(not_a_month(path)) from None
    except (OSError, ValueError) as exc:
        raise DeliveryError(f"{path}: cannot read it ({exc}); run the month again") from None


def _body(folder: Path, relative: str) -> str:
    path = folder / relative
    if not path.resolve().is_relative_to(folder.resolve()):
        raise DeliveryError(f"{folder / MANIFEST}: damaged ({relative!r}): run the month again")
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DeliveryError(
            f"{path}: cannot read it ({exc.strerror}): run the month again to write it afresh"
        ) from None


def _errors(folder: Path, manifest: dict, letters: list[dict]) -> MonthErrors:
    progress = _read_json(folder / "progress.json")
    try:
        issues = progress["issues"]
        total = sum(1 for issue in issues if issue["severity"] == "error")
    except (KeyError, TypeError):
        raise DeliveryError(
            f"{folder / 'progress.json'}: damaged: run the month again to write it afresh"
        ) from None
    by_trainee = tuple((e["id"], e["name"], e["errors"]) for e in letters if e.get("errors"))
    # Absent from a month prepared before it was recorded: those are then only counted.
    nobody = manifest.get("errors_about_nobody")
    about_nobody = tuple(
        (str(e["problem"]), int(e["rows"]))
        for e in (nobody if isinstance(nobody, list) else [])
        if isinstance(e, dict) and "problem" in e and isinstance(e.get("rows"), int)
    )
    return MonthErrors(total, by_trainee, about_nobody, _not_read(issues))


def _not_read(issues: list[dict]) -> tuple[str, ...]:
    """The sheets that fit no kind and the register headings that may be a column, as the run
    named them."""
    named = []
    for issue in issues:
        code, file, sheet = issue.get("code"), issue.get("file", ""), issue.get("sheet", "")
        if code == "sheet_not_used":
            named.append(f"{file} ({sheet})" if sheet else str(file))
        elif code == "register_column_unread":
            named.append(f"the heading '{issue.get('value', '')}' in {file}")
    return tuple(dict.fromkeys(named))


def _entry(e: dict) -> dict:
    """One message's entry with its fields as text (a KeyError when one is missing)."""
    return {
        **e,
        "kind": e["kind"],
        "id": str(e["id"]),
        "name": str(e["name"]),
        "address": str(e.get("address") or ""),
        "skip": str(e.get("skip") or ""),
    }


def _entries(path: Path) -> tuple[dict, list[dict]]:
    manifest = _read_json(path)
    try:
        if manifest.get("version") != MANIFEST_VERSION:
            raise DeliveryError(
                f"{path}: written by an earlier version of balint-reports: run the month again "
                "to prepare its emails afresh"
            )
        entries = [_entry(e) for e in manifest["messages"]]
        str(manifest["month"]), dt.date.fromisoformat(manifest["as_of"])
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        missing = f" (no {exc})" if isinstance(exc, KeyError) else ""
        raise DeliveryError(
            f"{path}: damaged{missing}: run the month again to write it afresh"
        ) from None
    return manifest, entries


def _item(folder: Path, entry: dict) -> Item:
    recipient = Recipient(entry["kind"], entry["id"], entry["name"], entry["address"])
    skip = entry["skip"]
    if skip == NO_ADDRESS:
        register = REGISTER[entry["kind"]]
        written = str(entry["address"] or "").strip()
        # the address as the register has it, when there is one: that it is mistyped is news
        skip = (
            f"'{written}' is not a valid address: correct it in the {register} register, then "
            "run the month again"
            if written
            else f"no address: add it to the {register} register, then run the month again"
        )
    if skip:
        return Item(recipient, None, skip)
    try:
        html, text = _body(folder, entry["html"]), _body(folder, entry["text"])
        stem = Path(entry["html"]).stem
    except (KeyError, TypeError):
        raise DeliveryError(
            f"{folder / MANIFEST}: damaged: run the month again to write it afresh"
        ) from None
    facts = entry.get("facts") if isinstance(entry.get("facts"), dict) else {}
    subject = str(entry.get("subject") or "")
    return Item(recipient, Outgoing(stem, html, text, recipient), "", facts or {}, subject)


def load_month(folder: Path, kind: str, only: Iterable[str] = ()) -> Month:
    """The month folder's messages of one kind (perhaps only some ids), read for sending."""
    path = folder / MANIFEST
    manifest, entries = _entries(path)
    # Feedback to spreadsheet senders is listed apart, in feedback/feedback.json; its module
    # is imported only here, so that `--help` stays free of pandas (tests/e2e/test_startup.py).
    from ..feedback import feedback_entries

    pool = [_entry(e) for e in feedback_entries(folder)] if kind == FEEDBACK_KIND else entries
    wanted = {i.casefold() for i in only}
    chosen = [e for e in pool if e["kind"] == kind and (not wanted or e["id"].casefold() in wanted)]
    found = {e["id"].casefold() for e in chosen}
    missing = [i for i in only if i.casefold() not in found]
    if missing:
        raise DeliveryError(_not_an_id(missing[0], kind, folder, pool))
    return _month(folder, manifest, entries, kind, [_item(folder, e) for e in chosen])


def _not_an_id(asked: str, kind: str, folder: Path, pool: list[dict]) -> str:
    """Why --only found nothing, and what to give instead: the id of a name typed for one."""
    named = [e for e in pool if e["kind"] == kind and fold_name(e["name"]) == fold_name(asked)]
    if named:
        hint = f"{named[0]['name']}'s id is {named[0]['id']}: give --only {named[0]['id']}"
    else:
        hint = f"a dry run (balint-reports send {folder}) lists each {kind} with its id"
    return f"--only {asked}: no {kind} for this id in the {folder.name} report; {hint}"


def _month(
    folder: Path, manifest: dict, entries: list[dict], kind: str, items: list[Item]
) -> Month:
    config = manifest.get("config")
    return Month(
        folder=folder,
        month=str(manifest["month"]),
        as_of=dt.date.fromisoformat(manifest["as_of"]),
        config=Path(config) if config else None,
        items=items,
        # Feedback is about the data's errors: sending it never waits for them to be fixed.
        errors=MonthErrors(0, ())
        if kind == FEEDBACK_KIND
        else _errors(folder, manifest, [e for e in entries if e["kind"] == "letter"]),
        other_kind=()
        if kind == FEEDBACK_KIND
        else tuple(e["id"] for e in entries if e["kind"] != kind and not e["skip"]),
        accreditation=str(manifest.get("accreditation") or "accreditation"),
    )


def load_for_test(folder: Path, only: Iterable[str]) -> tuple[Month, list[Item]]:
    """The month, and one letter and one digest for a test send: those of `only`, else the first."""
    manifest, entries = _entries(folder / MANIFEST)
    wanted = {i.casefold() for i in only}
    unknown = wanted - {e["id"].casefold() for e in entries}
    if unknown:
        raise DeliveryError(f"--only {sorted(unknown)[0]}: nobody with this id in mail.json")
    picked = []
    for kind in ("letter", "digest"):
        # A letter exists for a trainee without an address too: a test goes to the team anyway.
        usable = [e for e in entries if e["kind"] == kind and e.get("html")]
        chosen = [e for e in usable if e["id"].casefold() in wanted] or usable[:1]
        picked += [_item(folder, {**e, "skip": ""}) for e in chosen[:1]]
    return _month(folder, manifest, entries, "letter", picked), picked


def _day(started: str) -> str:
    """The day of a send log timestamp, as the rest of the team's messages write days."""
    return day_text(dt.date.fromisoformat(started[:10]))


def correction_line(item: Item, sent: Attempt) -> str:
    """The line a corrected letter opens with: what changed since the version that was sent."""
    kind = item.recipient.kind
    opening = f"This {kind} replaces the one we sent on {_day(sent.started)}"
    try:
        before = json.loads(sent.facts)["requirements"] if sent.facts else None
    except (ValueError, KeyError, TypeError):
        before = None
    now = item.facts.get("requirements", {})
    if before is None or not now:
        return f"{opening}, after the records were corrected."
    words = [
        requirement_words(q["title"], q["label"], before[rid], q)
        for rid, q in now.items()
        if rid in before
    ]
    changed = "; ".join(w for w in words if w)
    if not changed:
        return f"{opening}: the records it lists were corrected; your figures are unchanged."
    return f"{opening}, after the records were corrected: {changed}."


def _decide(
    item: Item,
    earlier: list[Attempt],
    resend_changed: bool,
    retry_unknown: bool,
    retry_failed: bool,
) -> Step:
    if item.piece is None:
        return Step(item, False, item.skip)
    same = [a for a in earlier if a.content_hash == item.content_hash]
    if any(a.state == SENT for a in same):
        sent_on = next(a.started for a in same if a.state == SENT)
        return Step(item, False, f"already sent on {_day(sent_on)}")
    person = item.recipient.person_id
    if any(a.state in (UNKNOWN, SENDING) for a in same) and not retry_unknown:
        return Step(
            item,
            False,
            "delivery unknown from an earlier send: check with the recipient, then use "
            f"--retry-unknown --only {person} if it did not arrive",
            held=HELD_UNKNOWN,
        )
    address = address_hash(item.recipient.address)
    refused = [a for a in earlier if a.state == FAILED and a.address_hash == address]
    if refused and not retry_failed:
        last = refused[-1]
        return Step(
            item,
            False,
            f"refused by the server on {_day(last.started)} ({last.detail}): correct the address "
            f"in the {REGISTER[item.recipient.kind]} register and run the month again, or use "
            f"--retry-failed --only {person} to try it as it is",
            held=HELD_REFUSED,
        )
    other = [
        a for a in earlier if a.content_hash != item.content_hash and a.state in MAYBE_DELIVERED
    ]
    if not other:
        return Step(item, True)
    if not resend_changed:
        return Step(
            item,
            False,
            f"an earlier version was sent on {_day(other[-1].started)} and this one differs: "
            "use --resend-changed to send it as a correction",
            held=CHANGED,
        )
    return Step(
        item,
        True,
        "correction",
        references=other[-1].message_id,
        opening=correction_line(item, other[-1]),
    )


def plan(
    items: list[Item],
    log: SendLog,
    month: str,
    resend_changed: bool = False,
    retry_unknown: bool = False,
    retry_failed: bool = False,
) -> list[Step]:
    """Decide, from the send log, which messages to send and why the others are skipped."""
    earlier = log.attempts(items[0].recipient.kind, month) if items else {}
    return [
        _decide(
            i,
            earlier.get(i.recipient.person_id, []),
            resend_changed,
            retry_unknown,
            retry_failed,
        )
        for i in items
    ]
