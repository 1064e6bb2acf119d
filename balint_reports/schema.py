"""The record kinds, their columns, aliases and vocabularies: declared once, read by every stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ValueType(StrEnum):
    """How a column's cells are parsed."""

    TEXT = "text"
    DATE = "date"
    YESNO = "yesno"
    WHOLE = "whole"
    DECIMAL = "decimal"
    TRAINEE = "trainee"  # a reference to a trainee in the register
    LEADER = "leader"  # a reference to a leader in the register
    PERSON = "person"  # a trainee or a leader
    VOCAB = "vocab"  # one of a closed vocabulary
    COMPETENCY = "competency"  # a competency of the trainee's ruleset
    DECISION = "decision"  # `credit N`, `waive` or `approve`


# The types whose cells can fail to be read, each reported as `invalid_<type>`. Cells of the
# others are kept as written: references and competencies are checked by resolve instead.
PARSED_TYPES = (
    ValueType.DATE,
    ValueType.YESNO,
    ValueType.WHOLE,
    ValueType.DECIMAL,
    ValueType.VOCAB,
    ValueType.DECISION,
)


@dataclass(frozen=True)
class Column:
    """One column of a record kind."""

    name: str
    type: ValueType
    required: bool = False
    aliases: tuple[str, ...] = ()
    default: object = None
    minimum: float | None = None  # smallest allowed value, inclusive
    # largest believable value, inclusive: 999999 sessions is a slip, and would meet anything
    maximum: float | None = None
    greater_than: float | None = None  # exclusive lower bound
    vocabulary: str | None = None
    # A default that depends on another column: (column, ((value, default), ...)).
    default_from: tuple[str, tuple[tuple[str, object], ...]] | None = None
    # A person reference that does not resolve only warns (the row is kept).
    lenient_reference: bool = False
    # A number's unit, which its cells may be written with: "hours" reads `1 hr 30`, `90 mins`
    # and `1:30` (values.parse_hours).
    unit: str = ""


@dataclass(frozen=True)
class Kind:
    """A record kind: a sheet whose header fits it holds rows of this kind."""

    name: str
    columns: tuple[Column, ...]
    id_column: str | None = None  # set for a register: one row per id, same-id rows merged
    duplicate_key: tuple[str, ...] = ()
    date_column: str | None = None  # rows dated after the report date are `future`

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


@dataclass(frozen=True)
class Vocabulary:
    """A closed set of canonical values, each with the spellings that mean it."""

    name: str
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # An unknown value is an error unless the vocabulary keeps it with a warning.
    keep_unknown: bool = False
    # what an unknown value is not, when the column's name does not say it: "attendance mark"
    noun: str = ""


VOCABULARIES: dict[str, Vocabulary] = {
    v.name: v
    for v in (
        Vocabulary(
            "activity",
            {
                "member": ("group member", "ordinary member", "ongoing group"),
                "weekend_member": ("weekend member", "weekend group member"),
                "co_leader": ("co-leader", "co leader", "coleader", "co-lead", "co-leading"),
                "leader": ("lead", "solo leader", "leading"),
                "leadership_weekend": ("leadership weekend", "weekend leadership group"),
                "leadership_day": ("leadership day", "leadership training day", "training day"),
            },
        ),
        Vocabulary(
            "mode",
            {
                "face_to_face": ("face to face", "in person", "f2f"),
                "video": ("skype", "zoom", "teams", "video call"),
                "telephone": ("phone", "telephone call"),
            },
            keep_unknown=True,
        ),
        Vocabulary(
            "format",
            {
                "face_to_face": ("face to face", "in person", "f2f"),
                "online": ("video", "zoom", "teams", "virtual"),
            },
            keep_unknown=True,
        ),
        Vocabulary(
            # A register that lists everyone at every session marks who came: the rows of those
            # who did not are no attendance (docs/spreadsheets.md).
            "attended",
            {
                "present": ("yes", "y", "p", "attended", "true", "1", "✓", "✔"),
                "absent": (
                    "no",
                    "n",
                    "a",
                    "false",
                    "0",
                    "not present",
                    "apologies",
                    "apols",
                    "sent apologies",
                    "dna",
                    "did not attend",
                    "cancelled",
                    "✗",
                    "✘",
                ),
            },
            noun="attendance mark",
        ),
        Vocabulary(
            "status",
            {"active": (), "paused": (), "withdrawn": (), "accredited": ()},
        ),
    )
}

# Every table of rows carries these beside its kind's columns: where the row came from (file,
# sheet, the row number as the spreadsheet shows it), its run-wide id (which issues refer to),
# and, once validated, its outcome. Columns of a kind's own never start with "_".
PROVENANCE_COLUMNS = ("_file", "_sheet", "_row", "_rid")
OUTCOME_COLUMN = "_outcome"
# The rows of sheets that could not be read (a near miss, a grid), by the trainee they name:
# kept apart from every kind's table under UNREAD, for the letters alone (records.py).
UNREAD = "unread"
UNREAD_COLUMNS = ("_file", "_sheet", "_row", "kind", "trainee")

T = ValueType
# Where a leadership weekend's length is not given, it lasts two days (docs/spreadsheets.md).
DEFAULT_WEEKEND_DAYS = 2

KINDS: tuple[Kind, ...] = (
    Kind(
        "trainees",
        (
            Column(
                "trainee_id", T.TEXT, True, ("id", "trainee id", "member id", "membership number")
            ),
            Column("name", T.TEXT, True, ("trainee name", "full name")),
            Column("email", T.TEXT, aliases=("e-mail", "email address")),
            Column(
                "psychodynamic_training",
                T.YESNO,
                aliases=(
                    "psychoanalytic training",
                    "psychodynamic",
                    "psychoanalytic/psychodynamic training",
                ),
            ),
            Column("professional_training_from", T.DATE, aliases=("professional training start",)),
            Column(
                "registered", T.DATE, aliases=("registered on pathway", "pathway start", "joined")
            ),
            Column("supervisor", T.LEADER),
            Column("supervisor_overseen_by", T.LEADER, aliases=("triangulating leader",)),
            Column("status", T.VOCAB, default="active", vocabulary="status"),
            Column("feels_ready", T.YESNO, aliases=("ready to apply", "trainee ready")),
            Column("reference_requested", T.DATE, aliases=("reference requested",)),
            Column(
                "reference_received",
                T.DATE,
                aliases=("reference received", "supervisor report received", "report received"),
            ),
            Column("reference_shared", T.DATE, aliases=("reference shared", "shared with trainee")),
            Column(
                "reference_forwarded",
                T.DATE,
                aliases=("reference forwarded", "forwarded to leadership team"),
            ),
        ),
        id_column="trainee_id",
    ),
    Kind(
        "leaders",
        (
            Column("leader_id", T.TEXT, True, ("id", "leader id")),
            Column("name", T.TEXT, True, ("leader name", "full name")),
            Column("email", T.TEXT, aliases=("e-mail", "email address")),
            Column("accredited", T.YESNO, aliases=("accredited leader",), default=False),
            Column(
                "supervision_experience",
                T.YESNO,
                aliases=("experienced supervisor", "supervises"),
                default=False,
            ),
        ),
        id_column="leader_id",
    ),
    Kind(
        "attendance",
        (
            Column(
                "trainee",
                T.TRAINEE,
                True,
                # `delegate` and `delegate name` too, as weekend organisers head their lists
                # (docs/contract.md#sheets-and-headers)
                ("name", "participant", "trainee name", "member", "delegate", "delegate name"),
            ),
            Column("date", T.DATE, True, ("session date", "meeting date", "event date")),
            Column(
                "activity", T.VOCAB, True, ("role", "type", "attended as"), vocabulary="activity"
            ),
            Column(
                "sessions",
                T.WHOLE,
                # "No. sessions" folds to "no sessions"
                aliases=("number of sessions", "no of sessions", "no sessions", "count"),
                default=1,
                minimum=1,
                maximum=100,
            ),
            Column(
                "days",
                T.WHOLE,
                aliases=("event days", "length"),
                default=1,
                minimum=1,
                maximum=31,
                default_from=("activity", (("leadership_weekend", DEFAULT_WEEKEND_DAYS),)),
            ),
            Column("event", T.TEXT, aliases=("group", "group name", "event name", "weekend")),
            Column("setting", T.TEXT, aliases=("context", "venue type")),
            Column("format", T.VOCAB, aliases=("meeting format", "held"), vocabulary="format"),
            Column(
                "cases",
                T.WHOLE,
                aliases=("case discussions", "number of cases"),
                default=0,
                minimum=0,
            ),
            Column(
                "co_leader",
                T.PERSON,
                aliases=("co-leader", "co leader", "co-facilitator", "with"),
                lenient_reference=True,
            ),
            Column(
                "attended",
                T.VOCAB,
                # not "attendance": registers head how people came (in person, Zoom) so too
                aliases=("present", "present?", "attended?"),
                vocabulary="attended",
            ),
            Column("notes", T.TEXT),
        ),
        duplicate_key=("trainee", "date", "activity", "event_key"),
        date_column="date",
    ),
    Kind(
        "supervision",
        (
            Column("trainee", T.TRAINEE, True, ("supervisee", "name")),
            Column("supervisor", T.LEADER, True),
            Column("date", T.DATE, True, ("session date",)),
            Column(
                "hours",
                T.DECIMAL,
                aliases=("duration", "length"),
                default=1.0,
                greater_than=0,
                unit="hours",
            ),
            Column("mode", T.VOCAB, aliases=("format", "how"), vocabulary="mode"),
            Column(
                "trainees_present",
                T.WHOLE,
                aliases=("supervisees", "number of trainees"),
                default=1,
                minimum=1,
                maximum=50,
            ),
            Column(
                "co_leader_present",
                T.YESNO,
                aliases=("co-leader present", "co-leader joined"),
                default=False,
            ),
            Column("notes", T.TEXT),
        ),
        duplicate_key=("trainee", "supervisor", "date"),
        date_column="date",
    ),
    Kind(
        "portfolio",
        (
            Column("trainee", T.TRAINEE, True),
            Column("competency", T.COMPETENCY, True),
            Column("signed_off", T.DATE, True, ("date signed off", "date")),
            Column(
                "signed_off_by",
                T.LEADER,
                # what a supervisor's own log calls it
                aliases=("signed off by", "signed by"),
                lenient_reference=True,
            ),
            Column("evidence", T.TEXT),
        ),
        duplicate_key=("trainee", "competency", "signed_off"),
        date_column="signed_off",
    ),
    # The leadership team's recorded discretion: credit for prior learning, a waiver, or an
    # external event approved as equivalent. Each changes one requirement of one trainee.
    Kind(
        "decisions",
        (
            Column("trainee", T.TRAINEE, True, ("trainee name", "trainee id")),
            Column("requirement", T.TEXT, True, ("rule", "requirement id")),
            Column("decision", T.DECISION, True, ("ruling", "outcome")),
            Column("reason", T.TEXT, aliases=("why", "rationale")),
            Column(
                "decided_by",
                T.LEADER,
                aliases=("decided by", "approved by", "agreed by"),
                lenient_reference=True,
            ),
            Column("date", T.DATE, True, ("decision date", "date decided")),
            Column("event", T.TEXT, aliases=("event name", "external event", "equivalent event")),
        ),
        duplicate_key=("trainee", "requirement", "decision", "date", "event_key"),
        date_column="date",
    ),
)

KINDS_BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}


def with_columns(extra: tuple[tuple[str, Column], ...]) -> tuple[Kind, ...]:
    """KINDS with columns a ruleset declares (docs/rulesets.md, "Columns of your own") added to
    their kinds; KINDS itself when there are none."""
    if not extra:
        return KINDS
    added: dict[str, list[Column]] = {}
    for kind_name, column in extra:
        added.setdefault(kind_name, []).append(column)
    return tuple(
        Kind(
            kind.name,
            kind.columns + tuple(added.get(kind.name, ())),
            kind.id_column,
            kind.duplicate_key,
            kind.date_column,
        )
        for kind in KINDS
    )


# The blank workbooks `template` writes (template.TEMPLATE_KINDS has their sheets); named here,
# where the CLI can read them without loading openpyxl.
TEMPLATE_KIND_NAMES = ("attendance", "supervision", "portfolio", "registers")
