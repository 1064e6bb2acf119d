"""Resolve: merge the registers, then turn every person, competency and requirement cell into
an id (docs/contract.md#people). A cell that cannot be resolved is an issue on its row."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from .issue_text import DECISION_ISSUE_COLUMNS
from .issues import IssueLog
from .model import Outcome
from .ruleset import Ruleset, ruleset_for
from .schema import KINDS_BY_NAME, OUTCOME_COLUMN, ValueType
from .values import fold, fold_id, fold_name, invisible_characters, loose_key, name_keys

SUGGESTION_CUTOFF = 80


def place(row: pd.Series | dict) -> str:
    """Where a row is, in the words the Data issues sheet uses."""
    sheet = f", sheet {row['_sheet']}" if row["_sheet"] else ""
    return f"{row['_file']}{sheet}, row {row['_row']}"


def _is_unset(value: object) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or value == ""
        or (isinstance(value, float) and np.isnan(value))
    )


def merge_register(
    table: pd.DataFrame, kind_name: str, log: IssueLog
) -> tuple[pd.DataFrame, dict[int, str]]:
    """One record per id: later rows fill blanks; conflicting values are errors, the first wins.

    Returns the merged register (indexed by id, in first-seen order) and the outcome of every
    row that was merged into an earlier one (`duplicate`, or `rejected` on a conflict).
    """
    kind = KINDS_BY_NAME[kind_name]
    id_column = kind.id_column or ""
    # The built-in columns, then any a ruleset declared for this kind (docs/rulesets.md,
    # "Columns of your own"): the table carries them under their names, beside the "_" ones.
    builtin = [c.name for c in kind.columns]
    columns = builtin + [c for c in table.columns if c not in builtin and not c.startswith("_")]
    records: dict[str, dict] = {}
    # per id and column, the row its value came from: a blank filled from a later row is
    # that row's value, and a conflict must name where the value it lost to is
    origins: dict[str, dict[str, dict]] = {}
    outcomes: dict[int, str] = {}
    for row in table.to_dict("records"):
        key = fold_id(row[id_column])
        first = records.get(key)
        if first is None:
            records[key] = row
            origins[key] = dict.fromkeys(columns, row)
            continue
        fills, conflicts = {}, []
        for column in columns:
            mine, theirs = row[column], first[column]
            if _is_unset(mine):
                continue
            if _is_unset(theirs):
                fills[column] = mine
            elif _comparable(mine) != _comparable(theirs):
                conflicts.append((column, mine, theirs))
        if not conflicts:  # a rejected row lends nothing, not even its other fields
            first.update(fills)
            origins[key].update(dict.fromkeys(fills, row))
        for column, mine, theirs in conflicts:
            used = origins[key][column]
            log.add(
                "error",
                row["_file"],
                row["_sheet"],
                code="register_conflict",
                row=row["_row"],
                column=column,
                value=_shown(mine),
                rid=row["_rid"],
                id_column=id_column,
                person_id=row[id_column],
                here=place(row),
                theirs=_shown(theirs),
                there=place(used),
                first=_first_because(used, row),
            )
        if not conflicts:
            log.add(
                "warning",
                row["_file"],
                row["_sheet"],
                code="register_repeat",
                row=row["_row"],
                column=id_column,
                value=str(row[id_column]),
                rid=row["_rid"],
                first=place(first),
            )
        outcomes[row["_rid"]] = Outcome.REJECTED if conflicts else Outcome.DUPLICATE
    merged = pd.DataFrame(list(records.values()), columns=table.columns)
    for declared in kind.columns:
        if declared.default is not None and not merged.empty:
            merged[declared.name] = merged[declared.name].fillna(declared.default)
    return merged.set_index(id_column, drop=False), outcomes


def _first_because(first: dict, later: dict) -> str:
    """Why a register row wins over a later one, in the order the files are read: what comes
    first (issue_text.PHRASES["first_because"] words it)."""
    if first["_file"] != later["_file"]:
        return "file"
    if first["_sheet"] != later["_sheet"]:
        return "sheet"
    return "row"


# Two register files sharing more than this share of the smaller one's ids look like copies.
COPY_SHARE = 0.5


def warn_register_copies(registers: dict[str, pd.DataFrame], log: IssueLog) -> None:
    """One warning per pair of files whose register rows mostly hold the same ids (a copy).

    A stale `registers - Copy.xlsx` sorts first and wins every conflict: the team must hear
    of it once, by name, not only through a conflict per row.
    """
    per_file: dict[str, dict[str, set[str]]] = {}
    for kind_name, table in registers.items():
        id_column = KINDS_BY_NAME[kind_name].id_column or ""
        if table.empty:
            continue
        ids = table[id_column].astype(str).str.casefold()
        for file, group in ids.groupby(table["_file"], sort=False):
            per_file.setdefault(str(file), {})[kind_name] = set(group)
    files = sorted(per_file)
    for i, first in enumerate(files):
        for second in files[i + 1 :]:
            shared = []
            for kind_name, ids in per_file[first].items():
                other = per_file[second].get(kind_name, set())
                both = ids & other
                if len(both) >= 2 and len(both) > COPY_SHARE * min(len(ids), len(other)):
                    shared.append(f"{len(both)} {KINDS_BY_NAME[kind_name].id_column}s")
            if shared:
                log.add(
                    "warning", first, "", code="register_copy", value=second, shared=tuple(shared)
                )


def _comparable(value: object) -> object:
    if isinstance(value, str):
        return fold(value)
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def _shown(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    return str(value)


_DIGITS = re.compile(r"(\d+)(?:\.0+)?")


def _number(folded_id: str) -> str:
    """An all-digit id (`0072`, or `72.0` as a number exported as text) as its number, `72`;
    "" for any other id."""
    digits = _DIGITS.fullmatch(folded_id)
    return str(int(digits[1])) if digits else ""


@dataclass
class PeopleIndex:
    """Looks up people by id or normalised name in one or both registers."""

    # pool ("trainee" or "leader") -> folded id -> id
    ids: dict[str, dict[str, str]] = field(default_factory=dict)
    # pool -> name key -> ids
    names: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    display: dict[tuple[str, str], str] = field(default_factory=dict)
    # pool -> an all-digit id without its leading zeros -> ids
    numbers: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # folded id or name key -> where the rejected register row is
    rejected: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, pool: str, person_id: str, name: str) -> None:
        """Make a register person findable."""
        self.ids.setdefault(pool, {})[fold_id(person_id)] = person_id
        number = _number(fold_id(person_id))
        if number:
            numbers = self.numbers.setdefault(pool, {}).setdefault(number, [])
            if person_id not in numbers:
                numbers.append(person_id)
        for key in name_keys(name):
            ids = self.names.setdefault(pool, {}).setdefault(key, [])
            if person_id not in ids:
                ids.append(person_id)
        self.display[(pool, person_id)] = f"{name} ({person_id})"

    def add_rejected(self, pool: str, person_id: str, name: str, where: str) -> None:
        """Remember a register row that was rejected, to explain references to it."""
        book = self.rejected.setdefault(pool, {})
        for key in (fold_id(person_id), *name_keys(name)):
            if key:
                book.setdefault(key, where)

    def lookup(
        self, text: str, pools: tuple[str, ...]
    ) -> tuple[list[tuple[str, str]], str, tuple[str, str] | None]:
        """Matching (pool, id) pairs; when none, where a rejected register row for the text is
        ("" when there is none), or else the closest known person's (pool, id), if one is close."""
        folded_id = fold_id(text)
        by_id = [(p, self.ids[p][folded_id]) for p in pools if folded_id in self.ids.get(p, {})]
        if by_id:
            return by_id, "", None
        # Membership numbers lose their leading zeros when Excel takes them for numbers: `72`
        # is the register's `0072`, unless the register has two such (then both are named).
        number = _number(folded_id)
        by_number = [(p, i) for p in pools for i in self.numbers.get(p, {}).get(number, [])]
        if number and by_number:
            return by_number, "", None
        found: list[tuple[str, str]] = []
        for pool in pools:
            for key in name_keys(text):
                for person_id in self.names.get(pool, {}).get(key, []):
                    if (pool, person_id) not in found:
                        found.append((pool, person_id))
        if found:
            return found, "", None
        for pool in pools:
            for key in (folded_id, *name_keys(text)):
                where = self.rejected.get(pool, {}).get(key)
                if where:
                    return [], where, None
        return [], "", self._suggest(text, pools)

    def _suggest(self, text: str, pools: tuple[str, ...]) -> tuple[str, str] | None:
        choices = {
            key: (pool, ids[0]) for pool in pools for key, ids in self.names.get(pool, {}).items()
        }
        if not choices or not fold_name(text):
            return None
        best = process.extractOne(
            fold_name(text), list(choices), scorer=fuzz.WRatio, score_cutoff=SUGGESTION_CUTOFF
        )
        return None if best is None else choices[best[0]]


# The column of an activity table with, per row whose trainee matched nobody for certain, the
# trainees it is close to (a misspelt name) or matches several of: a tuple of ids, else ().
MAYBE_TRAINEE = "_maybe_trainee"

POOLS = {
    ValueType.TRAINEE: ("trainee",),
    ValueType.LEADER: ("leader",),
    ValueType.PERSON: ("trainee", "leader"),
}


def resolve_people(table: pd.DataFrame, kind_name: str, index: PeopleIndex, log: IssueLog) -> None:
    """Replace every person cell of `table` by the person's id, in place.

    A cell that matches several people is an error (the row will be rejected); one that matches
    nobody too, except in a lenient column, where it warns: the row is kept and the person
    counts as unknown (docs/contract.md#people).
    Person columns of kind PERSON become `<pool>:<id>`, so trainees and leaders stay apart.
    """
    # A row marked absent is no attendance whoever it names: a misspelt name on it is no error.
    absent = (
        (table["attended"] == "absent").to_numpy(dtype=bool)
        if "attended" in table
        else np.zeros(len(table), dtype=bool)
    )
    for column in KINDS_BY_NAME[kind_name].columns:
        pools = POOLS.get(column.type)
        if pools is None or column.name not in table:
            continue
        texts = table[column.name]
        codes, found = _resolve_distinct(texts, pools, index, column.lenient_reference)
        table[column.name] = np.array([f.person for f in found], dtype=object)[codes]
        if column.name == "trainee":
            table[MAYBE_TRAINEE] = _maybe_trainee(found, codes)
        # Compared once per distinct text, then spread over the rows: one add per kind of problem.
        kinds = np.array([f.code for f in found], dtype=object)[codes]
        for code in sorted({f.code for f in found if f.code}):
            hit = (kinds == code) & ~absent
            if not hit.any():
                continue
            first = next(f for f in found if f.code == code)
            per_row = [found[c] for c in codes[hit]]
            names = {name for f in per_row for name in f.fields}
            log.add_rows(
                first.severity,
                table.loc[hit],
                column.name,
                texts[hit],
                code=code,
                case=np.array([f.case for f in per_row], dtype=object),
                **{
                    name: np.array([f.fields.get(name, "") for f in per_row], dtype=object)
                    for name in sorted(names)
                },
            )


def resolve_unread(unread: pd.DataFrame, index: PeopleIndex) -> pd.DataFrame:
    """The rows of unreadable sheets (schema.UNREAD) with each trainee cell made an id, or ""
    with MAYBE_TRAINEE the ids it may be, as resolve_people does; nothing logged, as the sheet
    is an error of its own already."""
    codes, found = _resolve_distinct(unread["trainee"], POOLS[ValueType.TRAINEE], index, False)
    people = np.array([f.person for f in found], dtype=object)[codes]
    return unread.assign(trainee=people, **{MAYBE_TRAINEE: _maybe_trainee(found, codes)})


def _resolve_distinct(
    texts: pd.Series, pools: tuple[str, ...], index: PeopleIndex, lenient: bool
) -> tuple[np.ndarray, list[_Resolution]]:
    """Each distinct cell resolved once, and each row's code into the resolutions (code -1, a
    missing cell, picks the last: nobody, no problem)."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    found = [_resolve_one(text, pools, index, lenient) for text in uniques]
    found.append(_Resolution(""))
    return codes, found


def _maybe_trainee(found: list[_Resolution], codes: np.ndarray) -> np.ndarray:
    """Per row, whom a row that names no trainee for certain might be about: their letter says
    a row may be theirs, without anything of the row (records.py)."""
    maybe = np.empty(len(found), dtype=object)
    maybe[:] = [f.maybe for f in found]
    return maybe[codes]


@dataclass(frozen=True)
class _Resolution:
    """What a person cell resolved to, or why it did not."""

    person: str  # the id (pool-qualified for a column of trainees and leaders), or "" / "?"
    severity: str = ""
    code: str = ""
    case: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)  # for the team: may name others
    maybe: tuple[str, ...] = ()  # unresolved: the ids it is close to or matches several of


def _resolve_one(
    text: str, pools: tuple[str, ...], index: PeopleIndex, lenient: bool
) -> _Resolution:
    """The person's id, or the problem with its severity."""
    if not text:
        return _Resolution("")
    found, rejected_at, closest = index.lookup(text, pools)
    qualify = len(pools) > 1
    if len(found) == 1:
        pool, person_id = found[0]
        return _Resolution(f"{pool}:{person_id}" if qualify else person_id)
    if found:
        names = ", ".join(index.display[f] for f in found)
        return _Resolution(
            "",
            "error",
            "person_ambiguous",
            fields={"names": names},
            maybe=tuple(person_id for _, person_id in found),
        )
    words = {"pools": " ".join(pools), "invisible": invisible_characters(text)}
    if rejected_at:
        case, words["rejected_at"] = "rejected", rejected_at
    elif closest:
        case, words["closest"] = "suggestion", index.display[closest]
    else:
        case = "unknown"
    if lenient:
        return _Resolution("?", "warning", "person_unknown_kept", case, words)
    maybe = (closest[1],) if closest else ()
    return _Resolution("", "error", "person_unknown", case, words, maybe)


def register_people(
    table: pd.DataFrame, kind_name: str, log: IssueLog, index: PeopleIndex, pool: str
) -> pd.DataFrame:
    """Merge a register's rows (outcomes recorded in `_outcome`) and make its people findable."""
    rejected = table["_rid"].isin(log.error_rids())
    id_column = KINDS_BY_NAME[kind_name].id_column or ""
    merged, merge_outcomes = merge_register(table.loc[~rejected], kind_name, log)
    table[OUTCOME_COLUMN] = np.where(rejected, Outcome.REJECTED, Outcome.ACCEPTED)
    if merge_outcomes:
        merged_rids = table["_rid"].map(merge_outcomes)
        table[OUTCOME_COLUMN] = merged_rids.fillna(table[OUTCOME_COLUMN])
    for row in table.loc[rejected].to_dict("records"):
        index.add_rejected(pool, row[id_column], row["name"], place(row))
    for person_id, name in zip(merged[id_column], merged["name"], strict=True):
        index.add(pool, person_id, name)
    return merged


# `Competency 4`, `C4`, `3 - group process`: a competency's number, with its word before it or
# words of its title after it (folded as names are).
_NUMBERED = re.compile(r"(?:competency|comp|c)? ?(\d+)(?: (.+))?")


def _competency(ruleset: Ruleset, lookup: Mapping[str, str], text: object) -> str | None:
    """The competency id a cell names: its id, number or title, or its number written with the
    word competency before it or some words of its own title or id after it."""
    found = lookup.get(loose_key(text))
    if found or not (numbered := _NUMBERED.fullmatch(fold_name(text))):
        return found
    found = lookup.get(numbered[1])
    words = next((f"{c.title} {c.id}" for c in ruleset.competencies if c.id == found), "")
    if found and (not numbered[2] or set(numbered[2].split()) <= set(fold_name(words).split())):
        return found
    return None


def resolve_competencies(
    portfolio: pd.DataFrame,
    trainees: pd.DataFrame,
    rulesets: tuple[Ruleset, ...],
    log: IssueLog,
) -> None:
    """Replace competency cells by the id in the trainee's own ruleset; others are errors."""
    if portfolio.empty:
        return
    registered = portfolio["trainee"].map(trainees["registered"]) if len(trainees) else None
    lookups = {r.id: r.competency_lookup() for r in rulesets}
    resolved = []
    problems: list[tuple[str, str, int] | None] = []  # case, ruleset, its competencies
    for trainee_date, text in zip(
        registered if registered is not None else [pd.NaT] * len(portfolio),
        portfolio["competency"],
        strict=True,
    ):
        ruleset = ruleset_for(rulesets, None if pd.isna(trainee_date) else trainee_date.date())
        competency = _competency(ruleset, lookups[ruleset.id], text)
        resolved.append(competency or "")
        if competency or not text:
            problems.append(None)
        else:
            case = "unknown" if ruleset.competencies else "no_portfolio"
            problems.append((case, ruleset.id, len(ruleset.competencies)))
    bad = np.array([p is not None for p in problems], dtype=bool)
    if bad.any():
        rows = portfolio.loc[bad]
        found = [p for p in problems if p is not None]
        log.add_rows(
            "error",
            rows,
            "competency",
            rows["competency"],
            code="unknown_competency",
            case=np.array([p[0] for p in found], dtype=object),
            ruleset=np.array([p[1] for p in found], dtype=object),
            competencies=np.array([p[2] for p in found], dtype=object),
        )
    portfolio["competency"] = resolved


def resolve_decisions(
    decisions: pd.DataFrame,
    trainees: pd.DataFrame,
    rulesets: tuple[Ruleset, ...],
    log: IssueLog,
) -> None:
    """Replace requirement cells by the id in the trainee's own ruleset; others are errors.

    An `approve` must name the external event it approves.
    """
    if decisions.empty:
        return
    registered_on = trainees["registered"].to_dict() if len(trainees) else {}
    registered = [registered_on.get(t, pd.NaT) for t in decisions["trainee"]]
    lookups = {
        r.id: {fold(text): q.id for q in r.requirements for text in (q.id, q.title)}
        for r in rulesets
    }
    resolved = []
    # per checked column, per row: the row's ruleset when the cell is wrong, else None
    problems: dict[str, list[Ruleset | None]] = {c: [] for c in DECISION_ISSUE_COLUMNS}
    for trainee, day, text, decision, event in zip(
        decisions["trainee"],
        registered,
        decisions["requirement"],
        decisions["decision"],
        decisions["event"],
        strict=True,
    ):
        ruleset = ruleset_for(rulesets, None if pd.isna(day) else day.date())
        requirement = lookups[ruleset.id].get(fold(text), "")
        resolved.append(requirement)
        problems["requirement"].append(ruleset if trainee and text and not requirement else None)
        problems["event"].append(ruleset if decision == "approve" and not event else None)
    _log_decision_problems(decisions, problems, log)
    decisions["requirement"] = resolved


def _log_decision_problems(
    decisions: pd.DataFrame, problems: dict[str, list[Ruleset | None]], log: IssueLog
) -> None:
    """An error per wrong cell of each checked column, with the row's ruleset for the words."""
    for column, found in problems.items():
        bad = np.array([r is not None for r in found], dtype=bool)
        if not bad.any():
            continue
        rows = decisions.loc[bad]
        rulesets = [r for r in found if r is not None]
        fields = (
            {
                "ruleset": np.array([r.id for r in rulesets], dtype=object),
                "requirements": _tuples([tuple(q.id for q in r.requirements) for r in rulesets]),
            }
            if column == "requirement"
            else {}
        )
        log.add_rows(
            "error", rows, column, rows[column], code=f"invalid_decision_{column}", **fields
        )


def _tuples(items: list[tuple[str, ...]]) -> np.ndarray:
    """An object array of tuples, one per row (np.array would make a grid of them)."""
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out
