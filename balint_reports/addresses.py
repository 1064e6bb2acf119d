"""Email addresses and header values: which can be written into an email."""

from __future__ import annotations

import re

# Deliberately plain: one @, no spaces or brackets, a dotted domain. Anything cleverer
# (quoted local parts, comments) is legal but is far more likely a typing mistake here.
_ADDRESS = re.compile(r"[^\s@<>()\[\]\\,;:\"]+@[^\s@<>()\[\]\\,;:\"]+\.[^\s@<>()\[\]\\,;:\".]+")
_UNSAFE = re.compile(r"[\r\n\0]")


def valid_address(text: object) -> bool:
    """Whether a register cell holds exactly one plain email address."""
    return isinstance(text, str) and _ADDRESS.fullmatch(text.strip()) is not None


def unsafe_header(value: str) -> bool:
    """Whether a header value holds CR, LF or NUL (which could inject headers)."""
    return _UNSAFE.search(value) is not None


def can_email(name: str, address: object) -> bool:
    """Whether a message can be addressed to this person."""
    return valid_address(address) and not unsafe_header(name)
