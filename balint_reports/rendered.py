"""Letters and digests kept in OUT/.cache/ by exactly what they are rendered from, so a run
after one file changed re-renders only the ones whose inputs moved.

A rendered letter is a function of its template and its context (the plain data a letter
shows, made from the trainee's result, records, changes, ruleset and config), and of the code
and template engine that render it. Its key is the sha256 of all of those: the package's
version and code, every template's bytes, Jinja2's and MarkupSafe's versions, and the context
written as canonical JSON. The same key therefore renders the same bytes, and the published
month is byte for byte what a full render gives (tests/e2e/test_rendered.py). The store is data
only: segment files of UTF-8 text, and a JSON index of where each entry's texts are with the
sha256 of the key and its texts, checked before an entry is used. A damaged entry, or one
mixed up with another (one trainee's texts under another's key), is rendered afresh, never
served.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Protocol

from .cache import CACHE_FOLDER, _code_digest, _write_atomically

_INDEX = "rendered.json"
_SEGMENT = re.compile(r"rendered-[0-9a-f]{32}\.bin")
_FORMAT = 3


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

    def __init__(
        self, segments: dict[str, bytes] | None = None, kept: dict[str, list] | None = None
    ) -> None:
        # the last run's segment files by name: texts, UTF-8, one after another
        self._segments = segments or {}
        # key -> the segment, each text's [start, stop] in it, the entry's sha256 (_entry_hash)
        self._kept = kept or {}
        self.used: dict[str, tuple[str, ...]] = {}
        # key -> where a reused entry already is, so that saving need not write it again
        self.found_in: dict[str, list] = {}
        self.sizes = {name: len(data) for name, data in self._segments.items()}
        self.hits = 0
        self.misses = 0

    def get(self, key: str | None) -> tuple[str, ...] | None:
        """The texts rendered for `key`, if kept."""
        entry = self._kept.get(key) if key is not None else None
        if key is None or entry is None:
            self.misses += 1
            return None
        segment, *spans, expected = entry
        data = self._segments[segment]
        parts = [data[start:stop] for start, stop in spans]
        if _entry_hash(key, parts) != expected:
            self.misses += 1  # damaged, or another entry's texts: rendered afresh
            return None
        found = tuple(part.decode("utf-8", "surrogatepass") for part in parts)
        self.hits += 1
        self.used[key] = found
        self.found_in[key] = entry
        return found

    def release(self) -> None:
        """Let go of the last run's texts once this run has taken what it needs."""
        self._segments, self._kept = {}, {}

    def put(self, key: str | None, texts: tuple[str, ...]) -> None:
        """Keep what was rendered for `key`, for the next run."""
        if key is not None:
            self.used[key] = texts
            self.found_in.pop(key, None)


class _Template(Protocol):
    def render(self, context: dict) -> str: ...


def rendered_texts(
    rendered: Rendered | None,
    kind: str,
    context: dict,
    templates: Sequence[_Template],
    complete: Callable[[dict], dict] | None = None,
) -> tuple[str, ...]:
    """What `templates` render from `context`: taken from `rendered` when an earlier run
    rendered the same context with the `kind` templates, else rendered now and kept in it.

    `complete`: given with a store, the context is the key's, with stand-ins for what is
    costly to make, and `complete(context)` is what is rendered; a stand-in must differ
    wherever what it stands for does. Without a store the context is rendered as it is.
    """
    if rendered is None:
        return tuple(template.render(context) for template in templates)
    key = render_key(kind, context)
    texts = rendered.get(key)
    if texts is None:
        shown = complete(context) if complete else context
        texts = tuple(template.render(shown) for template in templates)
        rendered.put(key, texts)
    return texts


def load_rendered(out: Path) -> Rendered:
    """What the last run in OUT kept; empty when there is none or any doubt about its index.

    A segment whose bytes were damaged costs only its damaged entries: each is checked when
    it is used.
    """
    folder = out / CACHE_FOLDER
    try:
        index = json.loads((folder / _INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Rendered()
    if not isinstance(index, dict) or index.get("format") != _FORMAT:
        return Rendered()
    if index.get("renderer") != _renderer_digest():
        return Rendered()  # other code or templates: none of its keys can match
    names, entries = index.get("segments"), index.get("entries")
    if not isinstance(names, list) or not all(_is_segment_name(n) for n in names):
        return Rendered()
    segments = {}
    for name in names:
        try:
            segments[name] = (folder / name).read_bytes()
        except OSError:
            return Rendered()  # gone or unreadable: the index cannot be trusted
    if not isinstance(entries, dict) or not all(
        _well_formed(entry, segments) for entry in entries.values()
    ):
        return Rendered()
    return Rendered(segments, entries)


def _well_formed(entry: object, segments: dict[str, bytes]) -> bool:
    """An index entry: a known segment, a text span within it for each text, a hash."""
    return (
        isinstance(entry, list)
        and len(entry) == _TEXTS_PER_ENTRY + 2
        and entry[0] in segments
        and isinstance(entry[-1], str)
        and all(
            isinstance(span, list)
            and len(span) == 2
            and all(isinstance(n, int) for n in span)
            and 0 <= span[0] <= span[1] <= len(segments[entry[0]])
            for span in entry[1:-1]
        )
    )


# a letter or a digest: its HTML and its plain text
_TEXTS_PER_ENTRY = 2


def _entry_hash(key: str, parts: list[bytes]) -> str:
    """The sha256 of an entry's key and texts: texts filed under another key do not match."""
    digest = hashlib.sha256(key.encode())
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _is_segment_name(name: object) -> bool:
    return isinstance(name, str) and _SEGMENT.fullmatch(name) is not None


def save_rendered(out: Path, rendered: Rendered) -> None:
    """Keep what this run used and made (and nothing else: the inbox moved on).

    Texts reused from the store stay in the segment file they are in, and only what this run
    rendered is written, as a new segment: a month run again after one file changed writes a
    few letters, not the 200 MB of a federation's. A segment less than half of which is still
    used is written again, its live texts with the new ones, so dead texts never pile up.
    """
    folder = out / CACHE_FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
        live: dict[str, int] = {}
        for where in rendered.found_in.values():
            live[where[0]] = live.get(where[0], 0) + sum(
                stop - start for start, stop in where[1:-1]
            )
        kept = {name for name, size in live.items() if 2 * size >= rendered.sizes.get(name, 0)}
        entries: dict[str, list] = {}
        fresh: dict[str, tuple[str, ...]] = {}
        for key, texts in rendered.used.items():
            entry = rendered.found_in.get(key)
            if entry is not None and entry[0] in kept:
                entries[key] = entry
            else:
                fresh[key] = texts
        if fresh:
            # the texts first: an index never names texts that are not there whole
            name, spans = _write_segment(folder, fresh)
            kept.add(name)
            entries.update({key: [name, *where] for key, where in spans.items()})
        index = {"format": _FORMAT, "renderer": _renderer_digest(), "segments": sorted(kept)}
        index["entries"] = entries
        _write_atomically(folder / _INDEX, json.dumps(index).encode())
    except OSError:
        return  # a cache that cannot be written only makes the next run slower
    # also an older version's single `rendered.bin`
    for path in folder.glob("rendered*.bin"):
        if path.name not in kept:
            with contextlib.suppress(OSError):  # left for the next run to remove
                path.unlink()


def _write_segment(folder: Path, texts: dict[str, tuple[str, ...]]) -> tuple[str, dict]:
    """Write every text one after another as a new segment file, whole or not at all; return
    its name (from its sha256, so that it never replaces another) and where each entry is.
    One text at a time: a federation's letters are hundreds of MB, and a copy of them all
    joined would double the run's memory at its peak."""
    spans: dict[str, list[object]] = {}
    digest = hashlib.sha256()
    handle, temporary = tempfile.mkstemp(prefix=".entry-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            position = 0
            for key, entry_texts in texts.items():
                where: list[object] = []
                parts = [text.encode("utf-8", "surrogatepass") for text in entry_texts]
                for part in parts:
                    stream.write(part)
                    digest.update(part)
                    where.append((position, position + len(part)))
                    position += len(part)
                spans[key] = [*where, _entry_hash(key, parts)]
        name = f"rendered-{digest.hexdigest()[:32]}.bin"
        os.replace(temporary, folder / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name, spans
