"""Parsing single spreadsheet cells: folding, dates (day-first), yes/no, numbers, names.

Every parser takes any cell value and returns `(value, problem)`: it never raises, so a
messy cell becomes a data issue instead of a traceback.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

_FOLD_SEPARATORS = re.compile(r"[\s_\-./]+")
_WHITESPACE = re.compile(r"\s+")


def is_blank(cell: object) -> bool:
    """True for an empty cell: None, NaN, NaT or white space only."""
    if isinstance(cell, str):
        return not cell.strip()
    # pandas' NaT is a datetime unequal to itself: tested so without importing pandas, which
    # `--help` must not wait for (config imports this module).
    return (
        cell is None
        or (isinstance(cell, float) and math.isnan(cell))
        or (isinstance(cell, dt.datetime) and cell != cell)
    )


def cell_text(cell: object) -> str:
    """The cell as the user sees it: integral floats without `.0`, white space collapsed."""
    if is_blank(cell):
        return ""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return cell.strftime("%Y-%m-%d %H:%M") if cell.time() != dt.time() else f"{cell:%Y-%m-%d}"
    return _WHITESPACE.sub(" ", str(cell)).strip()


def fold(text: object) -> str:
    """Fold a header or vocabulary value: case-fold, trim, `_ - . /` and spaces as one space."""
    return _FOLD_SEPARATORS.sub(" ", cell_text(text).casefold()).strip()


# "e-mail" folds to "e mail": the same word as "email" in a heading.
_E_MAIL = re.compile(r"\be mail\b")


def fold_heading(text: object) -> str:
    """Fold a heading as `fold` does, and also drop a `?` or `:` it ends with and read
    `e-mail` as `email`: "Ready to apply?" and "E-mail address:" are headings we know."""
    return _E_MAIL.sub("email", fold(text).rstrip("?: "))


_TITLE_WORDS = frozenset(["dr", "prof", "professor", "mr", "mrs", "ms", "miss", "mx", "rev"])


# Characters that show as nothing: format characters (zero-width space and joiners, soft
# hyphen, byte order mark, direction marks and overrides) and control characters (NUL...).
# Pasted from a web page or a PDF they stick to a name or an id, which then matches nobody.
INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff"
    "\uffa0\ufff0-\ufffb\U000e0000-\U000e0fff]"
)


def and_list(words: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`: a list as a sentence says it."""
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 2 else list(words))


def invisible_characters(text: str) -> str:
    """The invisible characters a text holds, in words ("an invisible character, U+200B"), or
    "" when it holds none: said beside the text in a message, which would otherwise show a
    value that looks right and matches nothing."""
    found = list(dict.fromkeys(f"U+{ord(c):04X}" for c in INVISIBLE.findall(text)))
    if not found:
        return ""
    return (
        f"{'an invisible character' if len(found) == 1 else 'invisible characters'}, "
        + and_list(found)
    )


def fold_id(text: str) -> str:
    """An id folded for matching: capitals, outer spaces and invisible characters ignored."""
    return INVISIBLE.sub("", text).strip().casefold()


def _name_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", INVISIBLE.sub("", text).casefold())
    chars = []
    for ch in folded:
        category = unicodedata.category(ch)
        if category == "Mn":  # accents split off by NFKD
            continue
        chars.append(" " if category.startswith("P") else ch)
    return [w for w in "".join(chars).split() if w not in _TITLE_WORDS]


@functools.lru_cache(maxsize=1 << 16)  # a column of a million rows holds few distinct names
def fold_name(text: object) -> str:
    """A person's name folded for matching: case, accents, punctuation, titles.

    See docs/contract.md#people.
    """
    return " ".join(_name_words(cell_text(text)))


def name_keys(text: object) -> tuple[str, ...]:
    """Every normalised form a name may be matched by: itself, and `Surname, First` reordered."""
    raw = cell_text(text)
    keys = [fold_name(raw)]
    if raw.count(",") == 1:
        surname, first = raw.split(",")
        keys.append(fold_name(f"{first} {surname}"))
    return tuple(k for k in dict.fromkeys(keys) if k)


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})$")
# `5 March 2024`, and `5-Mar-24` as Excel writes its dates into a CSV (docs/contract.md#values)
_WRITTEN = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?(?:\s+|-)([a-z]+)\.?,?(?:\s+|-)(\d{4}|\d{2})$")
# `March 5, 2024`, `March 5th 2024`: a month in words cannot be misread, so it may come first
_WRITTEN_MONTH_FIRST = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")

DATE_HELP = "write it as day/month/year, e.g. 05/03/2024 or 5 March 2024"
# A day of the week before a date, as registers of a weekend's days have it: `Sat 5 Dec 2026`.
_WEEKDAY_FIRST = re.compile(r"^([a-z]+)\.?,?\s+(\S.*)$", re.IGNORECASE)
_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}


# Balint groups began in the 1950s; a year outside this range is a typing mistake.
EARLIEST_YEAR, LATEST_YEAR = 1950, 2100


def _checked(day: dt.date, text: str) -> tuple[dt.date | None, str | None]:
    if EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        return day, None
    return None, f"'{text}': the year {day.year} looks mistyped: correct the year"


# How a column's slash dates are read: a decision taken per column (see `slash_date_reading`),
# passed to `parse_date`.
DAY_FIRST, MONTH_FIRST = "day-first", "month-first"
DATE_ORDERS = ("auto", DAY_FIRST, MONTH_FIRST)


def _make_date(
    year: int, month: int, day: int, text: str, order: str = DAY_FIRST
) -> tuple[dt.date | None, str | None]:
    if not 1 <= month <= 12:
        first = "month first in this column" if order == MONTH_FIRST else "day first"
        return None, f"'{text}' has no month {month} (dates are {first}): correct the month"
    try:
        return _checked(dt.date(year, month, day), text)
    except ValueError:
        return None, f"'{text}' is not a real date (no day {day} in month {month}): correct the day"


def parse_date(cell: object, order: str = DAY_FIRST) -> tuple[dt.date | None, str | None]:
    """A date from a real date cell or text; `05/03/2024` is day first unless `order` says
    the column is month first (a decision about the whole column, never about one cell)."""
    if is_blank(cell):
        return None, None
    if isinstance(cell, dt.datetime):
        return _checked(cell.date(), cell_text(cell))
    if isinstance(cell, dt.date):
        return _checked(cell, cell_text(cell))
    if isinstance(cell, bool | int | float):
        return None, f"{cell_text(cell)!r} is a number, not a date: {DATE_HELP}"
    text = cell_text(cell)
    weekday, date_text = _without_weekday(text)
    day, problem = _text_date(date_text, text, order)
    if day is not None and weekday is not None and day.weekday() != weekday:
        said = next(name for name, number in _WEEKDAYS.items() if number == weekday)
        return None, (
            f"'{text}': {day.day} {day:%B %Y} is a {day:%A}, not a {said.capitalize()}: "
            "correct the day of the week or the date"
        )
    return day, problem


def _without_weekday(text: str) -> tuple[int | None, str]:
    """The day of the week a text date begins with (Monday 0), if any, and the rest."""
    m = _WEEKDAY_FIRST.match(text)
    if m is None or m[1].casefold() not in _WEEKDAYS:
        return None, text
    return _WEEKDAYS[m[1].casefold()], m[2]


def _text_date(text: str, shown: str, order: str) -> tuple[dt.date | None, str | None]:
    """A date from text without a day of the week; `shown`: the cell, for the messages."""
    if m := _ISO_DATE.match(text):
        return _make_date(int(m[1]), int(m[2]), int(m[3]), shown)
    if m := _DAY_FIRST.match(text):
        year = int(m[4]) + (2000 if len(m[4]) == 2 else 0)
        if order == MONTH_FIRST:
            return _make_date(year, int(m[1]), int(m[3]), shown, order)
        return _make_date(year, int(m[3]), int(m[1]), shown)
    if (m := _WRITTEN.match(text.casefold())) and m[2] in _MONTHS:
        year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
        return _make_date(year, _MONTHS[m[2]], int(m[1]), shown)
    if (m := _WRITTEN_MONTH_FIRST.match(text.casefold())) and m[1] in _MONTHS:
        return _make_date(int(m[3]), _MONTHS[m[1]], int(m[2]), shown)
    return None, f"'{shown}' is not a date: {DATE_HELP}"


def slash_date_reading(cell: object) -> str | None:
    """Which order alone makes a text date such as `11/17/2026` real: `DAY_FIRST`,
    `MONTH_FIRST`, or None (not such a date, valid both ways, or neither way)."""
    if not isinstance(cell, str) or not (
        m := _DAY_FIRST.match(_without_weekday(cell_text(cell))[1])
    ):
        return None
    year = int(m[4]) + (2000 if len(m[4]) == 2 else 0)
    day_first = _make_date(year, int(m[3]), int(m[1]), "")[0] is not None
    month_first = _make_date(year, int(m[1]), int(m[3]), "")[0] is not None
    if day_first == month_first:
        return None
    return DAY_FIRST if day_first else MONTH_FIRST


_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})


def parse_yesno(cell: object) -> tuple[bool | None, str | None]:
    """True/False from yes/no words, 1/0 or a real TRUE/FALSE cell; blank is unknown."""
    if is_blank(cell):
        return None, None
    if isinstance(cell, bool):
        return cell, None
    word = cell_text(cell).casefold()
    if word in _YES:
        return True, None
    if word in _NO:
        return False, None
    return None, f"'{cell_text(cell)}' is not yes or no: write yes or no"


_TYPED_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def parse_number(cell: object, whole: bool) -> tuple[float | int | None, str | None]:
    """A number from a number cell or text such as ' 3 ' or '1,5'."""
    if is_blank(cell):
        return None, None
    kind = "a whole number" if whole else "a number"
    if isinstance(cell, bool):
        return None, f"'{cell_text(cell)}' is not {kind}"
    if isinstance(cell, int | float):
        value = float(cell)
    else:
        text = cell_text(cell).replace(",", ".")
        # digits as people type them: Python's float() would also take 1e3, 1_000 and inf
        if not _TYPED_NUMBER.fullmatch(text):
            return None, f"'{cell_text(cell)}' is not {kind}: write digits only, e.g. 2"
        value = float(text)
    if not math.isfinite(value):
        return None, f"'{cell_text(cell)}' is not {kind}"
    if whole:
        if not value.is_integer():
            return None, f"'{cell_text(cell)}' is not a whole number: write e.g. 2"
        return int(value), None
    return value, None


_HOUR_WORDS = r"(?:h|hr|hrs|hour|hours)\.?"
_MINUTE_WORDS = r"(?:m|min|mins|minute|minutes)\.?"
_DURATION = re.compile(
    rf"(?:(?P<hours>\d+(?:[.,]\d+)?)\s*{_HOUR_WORDS}"
    rf"(?:\s*(?P<and_minutes>\d+)\s*(?:{_MINUTE_WORDS})?)?"
    rf"|(?P<minutes>\d+(?:[.,]\d+)?)\s*{_MINUTE_WORDS})"
)
_CLOCK = re.compile(r"(?P<hours>\d{1,2}):(?P<minutes>[0-5]\d)(?::00)?")
HOURS_HELP = "write hours as a number, e.g. 1.5 (or 1 hr 30, 90 mins, 1:30)"


def parse_hours(cell: object) -> tuple[float | None, str | None]:
    """A length of time in hours: a number (`1.5`, `1,5`), a number with its unit (`1 hr`,
    `1h30`, `90 mins`), `1:30`, or a time or duration cell (Excel keeps `1:30` typed in a
    cell as a time of day)."""
    if isinstance(cell, dt.timedelta):
        return cell.total_seconds() / 3600, None
    if isinstance(cell, dt.time):
        return cell.hour + cell.minute / 60 + cell.second / 3600, None
    if isinstance(cell, str):
        text = _WHITESPACE.sub(" ", cell.strip().casefold())
        if found := _DURATION.fullmatch(text):
            minutes = float((found["minutes"] or "0").replace(",", "."))
            hours = float((found["hours"] or "0").replace(",", "."))
            and_minutes = int(found["and_minutes"] or 0)
            # `1 hr 30` but not `1.5 hrs 30` nor `1 hr 75`
            if and_minutes == 0 or (hours.is_integer() and and_minutes < 60):
                return hours + (minutes + and_minutes) / 60, None
        elif found := _CLOCK.fullmatch(text):
            return int(found["hours"]) + int(found["minutes"]) / 60, None
    value, problem = parse_number(cell, whole=False)
    if problem is not None and not isinstance(cell, bool):
        return None, f"'{cell_text(cell)}' is not a number of hours: {HOURS_HELP}"
    return value, problem


_CREDIT = re.compile(r"^credit\s*:?\s*(\d+(?:[.,]\d+)?)\b")
_WAIVE = frozenset({"waive", "waived", "waiver"})
_APPROVE = frozenset({"approve", "approved", "equivalent", "approved as equivalent"})
DECISION_HELP = "write credit N (e.g. credit 4), waive or approve"


def parse_decision(cell: object) -> tuple[str | None, str | None]:
    """`credit N` (N > 0, words after it allowed), `waive` or `approve`, in canonical form."""
    if is_blank(cell):
        return None, None
    text = _WHITESPACE.sub(" ", cell_text(cell).casefold())
    if text in _WAIVE:
        return "waive", None
    if text in _APPROVE:
        return "approve", None
    if m := _CREDIT.match(text):
        amount = float(m[1].replace(",", "."))
        if amount > 0:
            return f"credit {amount:g}", None
    return None, f"'{cell_text(cell)}' is not a decision: {DECISION_HELP}"


def decision_credit(decision: str) -> float:
    """The N of a canonical `credit N` decision; 0 for any other decision."""
    return float(decision.removeprefix("credit ")) if decision.startswith("credit ") else 0.0


def loose_key(cell: object) -> str:
    """A key for an id, number or title typed loosely: `3`, `3.0` and ` 3 ` are one number;
    text folds as names do, so a hyphen for a dash or a curly apostrophe still matches."""
    number, _ = parse_number(cell, whole=True)
    return str(number) if number is not None else fold_name(cell)


def map_unique(series: pd.Series, function: Callable[[object], object]) -> pd.Series:
    """`series.map(function)`, calling it once per distinct value: columns repeat a lot."""
    import pandas as pd

    codes, results = written_once(series, function)
    return pd.Series(results[codes], index=series.index, dtype=object)


def written_once(
    series: pd.Series, function: Callable[[object], object]
) -> tuple[np.ndarray, np.ndarray]:
    """`function` of each distinct value of the series (a missing one as None), and each
    row's code into them: what `map_unique` gives, before it is spread over the rows."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    results = np.array([*(function(u) for u in uniques), function(None)], dtype=object)
    codes[codes < 0] = len(results) - 1
    return codes, results
