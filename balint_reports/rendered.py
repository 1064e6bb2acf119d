"""Letters and digests kept in OUT/.cache/ by exactly what they are rendered from, so a run
after one file changed re-renders only the ones whose inputs moved.

A rendered letter is a function of its template and its context (the plain data a letter
shows, made from the trainee's result, records, changes, ruleset and config), and of the code
and template engine that render it. Its key is the sha256 of all of those: the package's
version and code, every template's bytes, Jinja2's and MarkupSafe's versions, and the context
written as canonical JSON. The same key therefore renders the same bytes, and the published
month is byte for byte what a full render gives (tests/e2e/test_rendered.py). The store is data
only: UTF-8 text, and a JSON index of where each entry's texts are with the sha256 of the key
and its texts, checked before an entry is used. A damaged store, or one whose entries were
mixed up (one trainee's texts under another's key), is rendered afresh, never served.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Protocol

from .cache import CACHE_FOLDER, _code_digest, _write_atomically

_INDEX = "rendered.json"
_TEXTS = "rendered.bin"
_FORMAT = 2


@lru_cache(maxsize=1)
def _renderer_digest() -> str:
    """What besides its context decides how a letter renders: code, templates, engine."""
    digest = hashlib.sha256()
    for name in ("balint-reports", "jinja2", "markupsafe"):
        try:
            digest.update(f"{name}={metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=unknown\0".encode())
    digest.update(_code_digest().encode())
    for template in sorted((Path(__file__).parent / "templates").glob("*")):
        digest.update(template.name.encode() + b"\0" + template.read_bytes() + b"\0")
    return digest.hexdigest()


class _NotPlain(TypeError):
    """A context value canonical JSON cannot say exactly: that letter is rendered, not kept."""


def _plain(value: object) -> object:
    """A context value JSON lacks, as data that names its type (json calls this for those)."""
    if isinstance(value, enum.Enum):
        return {"enum": type(value).__qualname__, "value": value.value}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {"dataclass": type(value).__qualname__, "fields": fields}
    if isinstance(value, (dt.date, dt.datetime)):
        return {"date": type(value).__qualname__, "value": value.isoformat()}
    raise _NotPlain(type(value).__qualname__)


def render_key(kind: str, context: dict) -> str | None:
    """The key of what `context` renders to with the `kind` templates; None when the context
    holds a value that cannot be written exactly (then it is rendered every time)."""
    try:
        text = json.dumps(
            context, default=_plain, sort_keys=True, ensure_ascii=False, allow_nan=True
        )
    except (_NotPlain, TypeError, ValueError):
        return None
    digest = hashlib.sha256(f"{_renderer_digest()}\0{kind}\0".encode())
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class Rendered:
    """Rendered texts by key: those kept by the last run, and those this run used or made."""

    def __init__(self, data: bytes = b"", kept: dict[str, list] | None = None) -> None:
        self._data = data  # the last run's texts, UTF-8, one after another
        # key -> each text's [start, stop] in `_data`, then the entry's sha256 (`_entry_hash`)
        self._kept = kept or {}
        self.used: dict[str, tuple[str, ...]] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: str | None) -> tuple[str, ...] | None:
        """The texts rendered for `key`, if kept."""
        entry = self._kept.get(key) if key is not None else None
        if key is None or entry is None:
            self.misses += 1
            return None
        *spans, expected = entry
        parts = [self._data[start:stop] for start, stop in spans]
        if _entry_hash(key, parts) != expected:
            self.misses += 1  # damaged, or another entry's texts: rendered afresh
            return None
        found = tuple(part.decode("utf-8", "surrogatepass") for part in parts)
        self.hits += 1
        self.used[key] = found
        return found

    def release(self) -> None:
        """Let go of the last run's texts once this run has taken what it needs."""
        self._data, self._kept = b"", {}

    def put(self, key: str | None, texts: tuple[str, ...]) -> None:
        """Keep what was rendered for `key`, for the next run."""
        if key is not None:
            self.used[key] = texts


class _Template(Protocol):
    def render(self, context: dict) -> str: ...


def rendered_texts(
    rendered: Rendered | None, kind: str, context: dict, templates: Sequence[_Template]
) -> tuple[str, ...]:
    """What `templates` render from `context`: taken from `rendered` when an earlier run
    rendered the same context with the `kind` templates, else rendered now and kept in it."""
    if rendered is None:
        return tuple(template.render(context) for template in templates)
    key = render_key(kind, context)
    texts = rendered.get(key)
    if texts is None:
        texts = tuple(template.render(context) for template in templates)
        rendered.put(key, texts)
    return texts


def load_rendered(out: Path) -> Rendered:
    """What the last run in OUT kept; empty when there is none or any doubt about it."""
    folder = out / CACHE_FOLDER
    try:
        index = json.loads((folder / _INDEX).read_text(encoding="utf-8"))
        data = (folder / _TEXTS).read_bytes()
    except (OSError, ValueError):
        return Rendered()
    if not isinstance(index, dict) or index.get("format") != _FORMAT:
        return Rendered()
    if index.get("renderer") != _renderer_digest():
        return Rendered()  # other code or templates: none of its keys can match
    if index.get("sha256") != hashlib.sha256(data).hexdigest():
        return Rendered()
    entries = index.get("entries")
    if not isinstance(entries, dict) or not all(
        isinstance(entry, list)
        and len(entry) == _TEXTS_PER_ENTRY + 1
        and isinstance(entry[-1], str)
        and all(
            isinstance(span, list)
            and len(span) == 2
            and all(isinstance(n, int) for n in span)
            and 0 <= span[0] <= span[1] <= len(data)
            for span in entry[:-1]
        )
        for entry in entries.values()
    ):
        return Rendered()
    return Rendered(data, entries)


# a letter or a digest: its HTML and its plain text
_TEXTS_PER_ENTRY = 2


def _entry_hash(key: str, parts: list[bytes]) -> str:
    """The sha256 of an entry's key and texts: texts filed under another key do not match."""
    digest = hashlib.sha256(key.encode())
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def save_rendered(out: Path, rendered: Rendered) -> None:
    """Keep what this run used and made (and nothing else: the inbox moved on)."""
    folder = out / CACHE_FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # the texts first: an index never names texts that are not there whole
        entries, sha256 = _write_texts(folder / _TEXTS, rendered.used)
        index = {"format": _FORMAT, "renderer": _renderer_digest(), "sha256": sha256}
        index["entries"] = entries
        _write_atomically(folder / _INDEX, json.dumps(index).encode())
    except OSError:
        pass  # a cache that cannot be written only makes the next run slower


def _write_texts(path: Path, used: dict[str, tuple[str, ...]]) -> tuple[dict, str]:
    """Write every text one after another, whole or not at all; return where each is and the
    sha256 of them all. One text at a time: a federation's letters are hundreds of MB, and a
    copy of them all joined would double the run's memory at its peak."""
    entries: dict[str, list[object]] = {}
    digest = hashlib.sha256()
    handle, temporary = tempfile.mkstemp(prefix=".entry-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            position = 0
            for key, texts in used.items():
                spans: list[object] = []
                parts = [text.encode("utf-8", "surrogatepass") for text in texts]
                for part in parts:
                    stream.write(part)
                    digest.update(part)
                    spans.append((position, position + len(part)))
                    position += len(part)
                entries[key] = [*spans, _entry_hash(key, parts)]
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return entries, digest.hexdigest()
