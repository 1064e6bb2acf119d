"""Email addresses and header values: which can be written into an email."""

from __future__ import annotations

import re
import unicodedata

# Deliberately plain: one @, no spaces or brackets, a dotted domain. Anything cleverer
# (quoted local parts, comments) is legal but is far more likely a typing mistake here.
_ADDRESS = re.compile(r"[^\s@<>()\[\]\\,;:\"]+@[^\s@<>()\[\]\\,;:\"]+\.[^\s@<>()\[\]\\,;:\".]+")
_UNSAFE = re.compile(r"[\r\n\0]")
# Characters shown by their code point, never as themselves: controls, format characters
# (a right-to-left override would reorder the sentence around it), spaces, lone surrogates
# and combining marks (which would sit on the character before them in the sentence).
_UNSHOWN_CATEGORIES = ("C", "Z", "M")


def valid_address(text: object) -> bool:
    """Whether a register cell holds exactly one plain email address."""
    return isinstance(text, str) and _ADDRESS.fullmatch(text.strip()) is not None


def unsafe_header(value: str) -> bool:
    """Whether a header value holds CR, LF or NUL (which could inject headers)."""
    return _UNSAFE.search(value) is not None


def can_email(name: str, address: object) -> bool:
    """Whether a message can be addressed to this person."""
    return valid_address(address) and not unsafe_header(name)


def non_ascii_letters(address: str, most: int = 3) -> tuple[str, ...]:
    """The first few distinct non-ASCII characters of an address, as a sentence can show them.

    An accent typed as a separate mark is joined to its letter first (NFC); a character that
    would not show as itself, or would disturb the text around it, is given as `U+202E`.
    """
    found: dict[str, None] = {}
    for char in unicodedata.normalize("NFC", address):
        if char.isascii():
            continue
        if unicodedata.category(char).startswith(_UNSHOWN_CATEGORIES):
            char = f"U+{ord(char):04X}"
        found[char] = None
        if len(found) == most:
            break
    return tuple(found)
