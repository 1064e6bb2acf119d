"""The team's words for the machine values that progress.json keeps (docs/contract.md#outputs)."""

from __future__ import annotations

from .model import CANNOT_ASSESS, IN_PROGRESS, MET, NEEDS_DATA, NOT_MET, READY

STATUS_WORDS: dict[str, str] = {MET: "Met", NOT_MET: "Not yet met", CANNOT_ASSESS: "Cannot assess"}
OVERALL_WORDS: dict[str, str] = {
    READY: "Ready",
    IN_PROGRESS: "In progress",
    NEEDS_DATA: "Needs data",
}
SEVERITY_WORDS: dict[str, str] = {"error": "Error", "warning": "Warning", "info": "Note"}
REGISTER_WORDS: dict[str, str] = {
    "active": "Active",
    "paused": "Paused",
    "withdrawn": "Withdrawn",
    "accredited": "Accredited",
}


# The words of advice codes that are written otherwise in prose.
_ADVICE_SPELLINGS = {"coleader": "co-leader", "coleading": "co-leading", "signoff": "sign-off"}


def advice_words(code: str) -> str:
    """`no_accredited_coleader` -> `No accredited co-leader`, `no_two_day_event` -> `No two-day
    event`: an advice code as a heading, spelt as the letters spell it."""
    words = " ".join(_ADVICE_SPELLINGS.get(word, word) for word in code.split("_"))
    return words.replace("two day", "two-day").capitalize()
