"""Write the fictional sample inbox in this folder: `python sample_data/make_sample_data.py`.

Every person, group and society here is invented. The data is fixed (no randomness), and the
workbooks are saved with fixed timestamps, so running this again rewrites identical files.
README.md in this folder says what each trainee illustrates;
tests/e2e/test_sample_data.py checks it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
FIXED_TIME = dt.datetime(2026, 11, 30, 9, 0, 0)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*")

Date = dt.date
Row = list[object]


def d(text: str) -> Date:
    """A date written as ISO text, to keep the tables below readable."""
    return Date.fromisoformat(text)


def every(start: str, count: int, weeks: int = 2) -> list[Date]:
    """`count` meeting dates, `weeks` apart, from `start`."""
    first = d(start)
    return [first + dt.timedelta(weeks=weeks * i) for i in range(count)]


def dmy(day: Date) -> str:
    """A date typed day-first, as a UK register would have it in a CSV."""
    return f"{day:%d/%m/%Y}"


# --------------------------------------------------------------------------------------------
# Files


def _fixed_zip(path: Path) -> None:
    """Rewrite an .xlsx with fixed timestamps so the same data gives the same bytes."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time here whatever the properties say
                data = _MODIFIED.sub(rb"\g<1>" + f"{FIXED_TIME:%Y-%m-%dT%H:%M:%SZ}".encode(), data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, data)


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]], header_row: dict) -> None:
    """A workbook with one sheet per entry; the header row (1-based, per sheet) is bold."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    book.properties.creator = "Balint Society sample data (fictional)"
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
        header = header_row.get(title, 1)
        widths: dict[int, int] = {}
        for row in rows[header - 1 :]:
            for i, value in enumerate(row, start=1):
                widths[i] = max(widths.get(i, 8), min(45, len(str(value or "")) + 2))
        for i, width in widths.items():
            sheet.column_dimensions[openpyxl.utils.get_column_letter(i)].width = width
        for cell in sheet[header]:
            cell.font = Font(bold=True)
        for row in sheet.iter_rows(min_row=header + 1):
            for cell in row:
                if isinstance(cell.value, Date):
                    cell.number_format = "DD/MM/YYYY"
        if header > 1:
            sheet["A1"].font = Font(bold=True, size=13)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    _fixed_zip(path)


def write_csv(path: Path, rows: Iterable[Sequence[object]], encoding: str, sep: str) -> None:
    """A CSV as Excel writes it: CRLF line ends, the given encoding and separator."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\r\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))


# --------------------------------------------------------------------------------------------
# The leadership team's registers

LEADERS = [
    # leader_id, name, email, accredited, experienced supervisor
    ("L01", "Dr Margaret Okafor", "m.okafor@example.org", "Yes", "Yes"),
    ("L02", "Dr Henry Whitfield", "h.whitfield@example.org", "Yes", "Yes"),
    ("L03", "Dr Anjali Raman", "a.raman@example.org", "Yes", "Yes"),
    ("L04", "Dr Peter Lindqvist", "p.lindqvist@example.org", "Yes", "No"),
    ("L05", "Ms Ruth Adebayo", "r.adebayo@example.org", "No", "Yes"),
    ("L06", "Dr Tom Fairbairn", "t.fairbairn@example.org", "No", ""),
    ("L07", "Dr Catherine Moreau", "c.moreau@example.org", "Yes", "Yes"),
    ("L08", "Dr Gareth Hughes", "g.hughes@example.org", "Yes", "Yes"),
]

TRAINEE_HEADER = [
    "Membership number",
    "Full name",
    "Email",
    "Psychodynamic training",
    "Professional training start",
    "Registered on pathway",
    "Supervisor",
    "Triangulating leader",
    "Status",
    "Ready to apply",
    "Reference requested",
    "Reference received",
    "Reference shared",
    "Reference forwarded",
]


@dataclass
class Trainee:
    """One row of the trainees register."""

    id: str
    name: str
    psychodynamic: str = ""
    training_from: Date | None = None
    registered: Date | None = None
    supervisor: str = ""
    overseen_by: str = ""
    status: str = "Active"
    ready: str = ""
    references: tuple[Date | None, Date | None, Date | None, Date | None] = (None,) * 4
    email: str = field(default="")

    def row(self) -> Row:
        """The register row."""
        email = self.email or self.name.split()[0].lower() + "." + self.id.lower() + "@example.org"
        return [
            self.id,
            self.name,
            email,
            self.psychodynamic,
            self.training_from,
            self.registered,
            self.supervisor,
            self.overseen_by,
            self.status,
            self.ready,
            *self.references,
        ]


TRAINEES = [
    Trainee(
        "T01",
        "Amelia Hart",
        "No",
        None,
        d("2021-09-01"),
        "Dr Henry Whitfield",
        "",
        ready="Yes",
        references=(d("2026-07-01"), d("2026-08-15"), d("2026-08-20"), d("2026-09-02")),
    ),
    Trainee(
        "T02",
        "Siân Pritchard",
        "Yes",
        d("2017-10-01"),
        d("2022-01-10"),
        "L08",
        "Dr Catherine Moreau",
        ready="Yes",
        references=(d("2026-09-01"), d("2026-10-12"), d("2026-10-14"), d("2026-10-20")),
    ),
    Trainee("T03", "José Álvarez", "No", None, d("2022-04-01"), "Ms Ruth Adebayo"),
    Trainee(
        "T04",
        "Priya Sharma",
        "No",
        None,
        d("2021-03-15"),
        "Dr Henry Whitfield",
        "Dr Anjali Raman",
        references=(d("2026-11-01"), None, None, None),
    ),
    Trainee("T05", "Oliver Bennett", "No", None, d("2023-01-09")),
    Trainee("T06", "Grace Mensah", "Yes", d("2015-09-01"), d("2023-02-01"), "Dr Margaret Okafor"),
    Trainee(
        "T07",
        "Hamish MacLeod",
        "No",
        None,
        d("2021-06-01"),
        "Dr Catherine Moreau",
        ready="No",
        references=(d("2026-09-20"), d("2026-10-30"), None, None),
    ),
    Trainee("T08", "Fatima Rahman", "Yes", None, d("2022-09-01"), "Dr Anjali Raman"),
    Trainee("T09", "Chloe Davies", "", None, d("2024-01-15"), "L02", "L07"),
    Trainee("T10", "Daniel O'Connor", "No", None, d("2022-05-03")),
    Trainee(
        "T11",
        "Mei Lin Chen",
        "no",
        None,
        d("2022-10-01"),
        "Dr Anjali Raman",
        "Dr Anjali Raman",
        status="Paused",
    ),
    Trainee("T12", "Robert Ashworth", "No", None, d("2021-11-01"), status="Withdrawn"),
    Trainee(
        "T13",
        "Aisha Bello",
        "No",
        None,
        d("2020-02-01"),
        "Dr Gareth Hughes",
        status="Accredited",
        ready="Yes",
        references=(d("2025-09-01"), d("2025-10-01"), d("2025-10-05"), d("2025-10-10")),
    ),
    Trainee("T14", "Tomasz Nowak", "", None, d("2026-09-01"), status=""),
    Trainee(
        "T15",
        "Eleanor Whitaker",
        "Yes",
        d("2016-02-01"),
        d("2022-03-01"),
        "Dr Margaret Okafor",
        "Dr Catherine Moreau",
        ready="Yes",
        references=(d("2026-09-01"), d("2026-10-20"), d("2026-11-02"), None),
    ),
    Trainee(
        "T16",
        "Kwame Asante",
        "Yes",
        d("2024-01-01"),
        d("2023-01-16"),
        "Dr Margaret Okafor",
        "Dr Gareth Hughes",
        references=(d("2026-11-10"), None, None, None),
    ),
    Trainee("T17", "Sophie Laurent", "Y", None, d("2023-09-01"), "L07", "L02"),
    Trainee(
        "T18",
        "Rhys Evans",
        "No",
        None,
        d("2021-01-11"),
        "Dr Catherine Moreau",
        ready="yes",
        references=(d("2026-06-01"), d("2026-07-01"), d("2026-07-03"), d("2026-07-10")),
    ),
    Trainee(
        "T19",
        "Nadia Haddad",
        "No",
        None,
        d("2022-06-01"),
        "Dr Peter Lindqvist",
        references=(d("2026-08-01"), d("2026-09-01"), None, None),
    ),
    Trainee("T20", "Jonathan Price", "No", None, d("2022-02-01"), "Dr Gareth Hughes"),
]


def registers() -> None:
    """registers.xlsx: the team's trainees and leaders registers, one sheet each."""
    write_xlsx(
        HERE / "registers.xlsx",
        {
            "Trainees": [TRAINEE_HEADER, *(t.row() for t in TRAINEES)],
            "Leaders": [
                ["Leader ID", "Full name", "Email", "Accredited leader", "Experienced supervisor"],
                *(list(leader) for leader in LEADERS),
            ],
        },
        {},
    )


# --------------------------------------------------------------------------------------------
# Ongoing groups: each group leader's register, one row per trainee per meeting.
# The leaders list trainees on the pathway only, and a co-leading trainee writes the
# group leader in the co-leader column.

OKAFOR, WHITFIELD, RAMAN = "Dr Margaret Okafor", "Dr Henry Whitfield", "Dr Anjali Raman"
LINDQVIST, FAIRBAIRN = "Dr Peter Lindqvist", "Dr Tom Fairbairn"
MOREAU, HUGHES = "Catherine Moreau", "Gareth Hughes"


@dataclass
class Block:
    """A run of meetings one trainee attended in one role."""

    trainee: str  # as the group leader wrote it
    role: str
    dates: list[Date]
    co_leader: str = ""


def okafor_group() -> None:
    """Thursday GP group: an .xlsx with a title and a note above the header row."""
    blocks = [
        Block("Amelia Hart", "Group member", every("2022-01-06", 24)),
        Block("Priya Sharma", "Group member", every("2022-01-06", 22)),
        Block("Robert Ashworth", "Group member", every("2022-01-06", 12)),
        Block("Grace Mensah", "Group member", every("2023-01-12", 10)),
        Block("Daniel O'Connor", "Group member", every("2024-01-11", 4)),
        Block("Amelia Hart", "Co-leader", every("2024-01-11", 16), OKAFOR),
        Block("Robert Ashworth", "Co-leader", every("2023-03-09", 4), OKAFOR),
        Block("Hamish MacLeod", "Co-leader", every("2024-09-05", 12), OKAFOR),
        Block("Chloe Davies", "Co-leader", every("2025-01-09", 8), OKAFOR),
        Block("Eleanor Whitaker", "Co-leader", every("2025-01-16", 20), OKAFOR),
        Block("Sophie Laurent", "Co-leader", every("2025-09-04", 10), OKAFOR),
        Block("Rhys Evans", "Co-leader", every("2026-01-08", 8), OKAFOR),
        Block("Nadia Haddad", "Co-leader", every("2025-09-11", 15), OKAFOR),
        Block("Tomasz Nowak", "Group member", every("2026-10-15", 3, weeks=1)),
    ]
    rows = _group_rows(blocks, "Thursday GP Balint group", "GP training scheme")
    # A slip: one of Rhys's meetings was typed in twice.
    dup = next(i for i, r in enumerate(rows) if r[1] == "Rhys Evans" and r[0] == d("2026-03-05"))
    rows.insert(dup + 1, list(rows[dup]))
    write_xlsx(
        HERE / "attendance" / "okafor_thursday_gp_group.xlsx",
        {
            "Register": [
                ["Thursday GP Balint Group, Leeds — attendance register"],
                ["Group leader: Dr Margaret Okafor. Trainees on the leadership pathway only."],
                [],
                ["Date", "Participant", "Role", "Group", "Setting", "Co-leader", "Notes"],
                *rows,
            ]
        },
        {"Register": 4},
    )


def _group_rows(blocks: list[Block], event: str, setting: str) -> list[Row]:
    rows = [
        [day, b.trainee, b.role, event, setting, b.co_leader, ""] for b in blocks for day in b.dates
    ]
    return sorted(rows, key=lambda r: (r[0], r[2] != "Co-leader", r[1]))


def whitfield_group() -> None:
    """St Luke's hospital group: a UTF-8 CSV (with BOM, as Excel's 'CSV UTF-8' saves it)."""
    blocks = [
        Block("Aisha Bello", "member", every("2021-01-07", 20)),
        Block("Hamish MacLeod", "member", every("2022-01-13", 20)),
        Block("O'Connor, Daniel", "member", every("2023-01-12", 16)),
        Block("José Álvarez", "member", every("2023-01-12", 20)),
        Block("Eleanor Whitaker", "member", every("2024-01-11", 9)),
        Block("Aisha Bello", "co-leader", every("2023-01-05", 16), WHITFIELD),
        Block("Priya Sharma", "co-leader", every("2025-01-09", 20), WHITFIELD),
        Block("Kwame Asante", "co-leader", every("2025-01-16", 20), WHITFIELD),
        Block("Chloe Davies", "co-leader", every("2025-06-05", 6), WHITFIELD),
    ]
    rows = [
        [dmy(day), b.trainee, b.role, "St Luke's Balint group", "Hospital", b.co_leader, ""]
        for b in blocks
        for day in b.dates
    ]
    rows.sort(key=lambda r: (Date(int(r[0][6:]), int(r[0][3:5]), int(r[0][:2])), r[2], r[1]))
    # A slip: Priya's surname mistyped once; the run suggests the right person.
    typo = next(i for i, r in enumerate(rows) if r[1] == "Priya Sharma" and r[0] == "20/03/2025")
    rows[typo][1] = "Priya Shrama"
    header = ["Session date", "Name", "Attended as", "Group name", "Setting", "With", "Notes"]
    write_csv(
        HERE / "attendance" / "whitfield_st_lukes_hospital.csv",
        [header, *rows],
        "utf-8-sig",
        ",",
    )


def raman_group() -> None:
    """Medical students' group at the university: an .xlsx with one sheet per year."""
    blocks = [
        Block("Sian Pritchard", "Member", every("2023-01-10", 9)),
        Block("Nadia Haddad", "Member", every("2023-01-17", 20, weeks=1)),
        Block("Mei Lin Chen", "Member", every("2023-01-10", 20)),
        Block("Kwame Asante", "Member", every("2023-09-05", 4)),
        Block("Kwame Asante", "Member", every("2024-01-09", 8)),
        Block("Fatima Rahman", "Member", every("2024-01-16", 8)),
        Block("Sian Pritchard", "Co-leader", every("2025-01-07", 18), RAMAN),
        Block("Fatima Rahman", "Co-leader", every("2025-01-14", 20), RAMAN),
        Block("Hamish MacLeod", "Co-leader", every("2025-01-21", 10), RAMAN),
        Block("Aisha Bello", "Co-leader", every("2024-01-09", 5), RAMAN),
        Block("Mei Lin Chen", "Co-leader", every("2025-09-02", 9), RAMAN),
        Block("Jonathan Price", "Co-leader", every("2025-10-07", 11), RAMAN),
    ]
    header = ["Trainee", "Date", "Role", "Group", "Setting", "Co-leader", "Notes"]
    by_year: dict[str, list[Row]] = {}
    meetings = sorted(
        ((b, day) for b in blocks for day in b.dates), key=lambda p: (p[1], p[0].trainee)
    )
    for block, day in meetings:
        by_year.setdefault(str(day.year), []).append(
            [
                block.trainee,
                day,
                block.role,
                "Medical students Balint group",
                "University",
                block.co_leader,
                "",
            ]
        )
    # A slip: a date typed as text that no calendar has.
    sheet_2026 = by_year["2026"]
    slip = next(
        i for i, r in enumerate(sheet_2026) if r[0] == "Jonathan Price" and r[1] == d("2026-02-24")
    )
    sheet_2026[slip][1] = "31/02/2026"
    write_xlsx(
        HERE / "attendance" / "raman_medical_students_group.xlsx",
        {year: [header, *rows] for year, rows in sorted(by_year.items())},
        {},
    )


def fairbairn_group() -> None:
    """VTS group led by a leader not (yet) accredited; dates typed as '12 Jan 2023'."""
    blocks = [
        Block("Rhys Evans", "group member", every("2022-01-11", 20)),
        Block("Oliver Bennett", "group member", every("2023-01-10", 20)),
        Block("Jonathan Price", "group member", every("2023-01-17", 20)),
        Block("Grace Mensah", "co-leading", every("2024-09-03", 14), FAIRBAIRN),
    ]
    rows = [
        [
            f"{day.day} {day:%b %Y}",
            b.trainee,
            b.role,
            "Wakefield VTS Balint group",
            "GP training scheme",
            b.co_leader,
        ]
        for b in blocks
        for day in b.dates
    ]
    rows.sort(key=lambda r: (dt.datetime.strptime(r[0], "%d %b %Y"), r[1]))
    write_xlsx(
        HERE / "attendance" / "fairbairn_vts_group.xlsx",
        {"Sessions": [["Meeting date", "Member", "Role", "Group", "Setting", "Co-leader"], *rows]},
        {},
    )


def lindqvist_group() -> None:
    """Hospice staff group."""
    blocks = [
        Block("Jose Alvarez", "Co-leader", every("2025-02-04", 12), LINDQVIST),
        Block("Rhys Evans", "Co-leader", every("2025-01-07", 12), LINDQVIST),
        Block("Jonathan Price", "Co-leader", every("2026-03-03", 6), LINDQVIST),
    ]
    rows = _group_rows(blocks, "Hospice staff Balint group", "Hospice")
    write_xlsx(
        HERE / "attendance" / "lindqvist_hospice_group.xlsx",
        {
            "Attendance": [
                ["Date", "Participant", "Role", "Group", "Setting", "Co-leader", "Notes"],
                *rows,
            ]
        },
        {},
    )


def trainee_led_groups() -> None:
    """Groups trainees lead on their own, as the team logs them from trainees' own records."""
    rows = [
        *[
            [
                day,
                "Oliver Bennett",
                "Leader",
                "Bradford practice Balint group",
                "GP practice",
                "monthly",
            ]
            for day in every("2025-05-07", 10, weeks=4)
        ],
        *[
            [day, "Priya Sharma", "Leader", "Hull foundation doctors group", "GP practice", ""]
            for day in every("2026-04-15", 6)
        ],
        *[
            [day, "Eleanor Whitaker", "Solo leader", "Hospice nurses group", "Hospice", ""]
            for day in every("2026-05-06", 4, weeks=4)
        ],
    ]
    write_xlsx(
        HERE / "attendance" / "trainee_led_groups.xlsx",
        {
            "Solo leading": [
                ["Groups led by trainees on their own (from trainees' logs)"],
                ["Date", "Trainee", "Role", "Group", "Setting", "Notes"],
                *sorted(rows, key=lambda r: (r[0], r[1])),
            ]
        },
        {"Solo leading": 2},
    )


# --------------------------------------------------------------------------------------------
# The Balint weekend organiser's register: one sheet per weekend or training day.

WEEKEND_HEADER = [
    "Member",
    "Date",
    "Attended as",
    "Weekend",
    "Sessions",
    "Days",
    "Setting",
    "Co-leader",
]


def weekends() -> None:
    """Weekend members, weekend co-leaders and leadership training, per event."""
    oxford_24, oxford_25, oxford_26 = (
        "Oxford Balint Weekend 2024",
        "Oxford Balint Weekend 2025",
        "Oxford Balint Weekend 2026",
    )
    london, manchester = (
        "Leadership training day, London, March 2026",
        "Leadership training day, Manchester, June 2026",
    )
    sat24, sat25, sat26, sun26 = d("2024-09-14"), d("2025-09-13"), d("2026-09-12"), d("2026-09-13")

    def member(name: str, day: Date, event: str) -> Row:
        return [name, day, "Weekend member", event, None, None, "Balint weekend", ""]

    def leadership(name: str, day: Date, event: str, days: int | None = 2) -> Row:
        return [name, day, "Leadership weekend", event, None, days, "", ""]

    def co_lead(name: str, day: Date, event: str, sessions: int, with_: str) -> Row:
        return [name, day, "Co-leader", event, sessions, None, "Balint weekend", with_]

    def day_course(name: str, day: Date, event: str) -> Row:
        return [name, day, "Leadership day", event, None, None, "", ""]

    sheets = {
        "Oxford Sep 2024": [
            member("Sophie Laurent", sat24, oxford_24),
            leadership("Amelia Hart", sat24, oxford_24),
            leadership("Fatima Rahman", sat24, oxford_24),
            leadership("José Álvarez", sat24, oxford_24),
            leadership("Kwame Asante", sat24, oxford_24),
            leadership("Aisha Bello", sat24, oxford_24),
            co_lead("Nadia Haddad", sat24, oxford_24, 5, HUGHES),
        ],
        "Oxford Sep 2025": [
            member("Sophie Laurent", sat25, oxford_25),
            co_lead("Amelia Hart", sat25, oxford_25, 5, MOREAU),
            co_lead("Siân Pritchard", sat25, oxford_25, 5, HUGHES),
            co_lead("José Álvarez", sat25, oxford_25, 5, LINDQVIST),
            co_lead("Fatima Rahman", sat25, oxford_25, 5, HUGHES),
            co_lead("Kwame Asante", sat25, oxford_25, 5, OKAFOR),
            leadership("Priya Sharma", sat25, oxford_25),
            leadership("Eleanor Whitaker", sat25, oxford_25),
            leadership("Rhys Evans", sat25, oxford_25),
            leadership("Nadia Haddad", sat25, oxford_25),
            leadership("Aisha Bello", sat25, oxford_25),
            leadership("Jonathan Price", sat25, oxford_25),
        ],
        "London day Mar 2026": [
            day_course(name, d("2026-03-14"), london)
            for name in (
                "Amelia Hart",
                "Siân Pritchard",
                "José Álvarez",
                "Grace Mensah",
                "Hamish MacLeod",
                "Eleanor Whitaker",
                "Nadia Haddad",
            )
        ],
        "Manchester day Jun 2026": [
            day_course(name, d("2026-06-13"), manchester)
            for name in (
                "Priya Sharma",
                "Hamish MacLeod",
                "Fatima Rahman",
                "Kwame Asante",
                "Rhys Evans",
                "Jonathan Price",
            )
        ],
        # This weekend was logged one row per day: two rows of one day each still make one
        # two-day event.
        "Oxford Sep 2026 by day": [
            row
            for day in (sat26, sun26)
            for row in (
                leadership("Siân Pritchard", day, oxford_26, days=1),
                leadership("Grace Mensah", day, oxford_26, days=1),
                co_lead("Sophie Laurent", day, oxford_26, 3 if day == sat26 else 2, MOREAU),
                member("Tomasz Nowak", day, oxford_26),
            )
        ],
    }
    write_xlsx(
        HERE / "weekends" / "balint_weekends_register.xlsx",
        {
            title: [
                [f"Balint Society weekends and training days — {title} (organiser's register)"],
                WEEKEND_HEADER,
                *rows,
            ]
            for title, rows in sheets.items()
        },
        {title: 2 for title in sheets},
    )


# --------------------------------------------------------------------------------------------
# Supervision logs

SUPERVISION_HEADER = [
    "Supervisee",
    "Supervisor",
    "Session date",
    "Duration",
    "Format",
    "Supervisees",
    "Co-leader present",
    "Notes",
]


def _sessions(
    trainee: str,
    supervisor: str,
    dates: list[Date],
    joined: int | None = None,
    hours: float = 1,
    pair: bool = False,
) -> list[Row]:
    """Supervision rows; the meeting at index `joined` had the co-leader present."""
    modes = ("Face to face", "Zoom", "Telephone")
    return [
        [
            trainee,
            supervisor,
            day,
            hours,
            modes[i % 3],
            2 if pair else 1,
            "Yes" if i == joined else "No",
            "",
        ]
        for i, day in enumerate(dates)
    ]


def supervision_logs() -> None:
    """One workbook, one sheet per supervisor."""
    moreau = [
        *_sessions("Hamish MacLeod", MOREAU, every("2025-03-03", 6, weeks=8), joined=2),
        *_sessions("Sophie Laurent", MOREAU, every("2025-11-10", 4, weeks=8), joined=1),
        *_sessions("Rhys Evans", MOREAU, every("2025-06-02", 5, weeks=10), joined=3, hours=1.5),
    ]
    moreau.sort(key=lambda r: r[2])
    # Booked ahead: a session after the report date is left out until it has happened.
    moreau.append(["Rhys Evans", MOREAU, d("2026-12-10"), 1.5, "Zoom", 1, "No", "booked"])
    sheets = {
        "Whitfield": [
            *_sessions("Amelia Hart", WHITFIELD, every("2024-03-04", 8, weeks=8), joined=4),
            *_sessions("Priya Sharma", WHITFIELD, every("2025-03-10", 5, weeks=10), pair=True),
            *_sessions("Chloe Davies", WHITFIELD, every("2025-07-07", 3, weeks=10), joined=1),
        ],
        "Raman": [
            *_sessions("Fatima Rahman", RAMAN, every("2025-02-10", 4, weeks=12), joined=2),
            *_sessions("Mei Lin Chen", RAMAN, every("2025-10-06", 2, weeks=6)),
        ],
        "Okafor": [
            *_sessions("Grace Mensah", OKAFOR, every("2025-01-20", 3, weeks=12)),
            *_sessions("Eleanor Whitaker", OKAFOR, every("2025-03-03", 6, weeks=10)),
            *_sessions("Kwame Asante", OKAFOR, every("2025-04-07", 5, weeks=12), joined=0),
        ],
        "Moreau": moreau,
        "Hughes": [
            *_sessions("Siân Pritchard", HUGHES, every("2025-02-03", 6, weeks=10), joined=3),
            *_sessions("Aisha Bello", HUGHES, every("2024-02-05", 6, weeks=8), joined=1),
            *_sessions("Jonathan Price", HUGHES, every("2025-11-03", 3, weeks=6), joined=2),
        ],
        "Lindqvist": _sessions(
            "Nadia Haddad", LINDQVIST, every("2025-10-06", 4, weeks=8), joined=0
        ),
    }
    for title, rows in sheets.items():
        if title != "Moreau":
            rows.sort(key=lambda r: r[2])
    write_xlsx(
        HERE / "supervision" / "supervision_logs.xlsx",
        {title: [SUPERVISION_HEADER, *rows] for title, rows in sheets.items()},
        {},
    )


def adebayo_log() -> None:
    """A supervisor's own log, saved by Excel on Windows: `;`-separated, Windows-1252."""
    dates = every("2025-02-17", 6, weeks=8)
    rows = [
        ["José Álvarez", "Ruth Adebayo", dmy(day), "1.5", mode, present, "no", note]
        for day, mode, present, note in zip(
            dates,
            ["In person", "Zoom", "Zoom", "WhatsApp", "Zoom", "In person"],
            ["1", "3", "3", "1", "2", "1"],
            [
                "Fee £65",
                "group of three",
                "group of three",
                "video dropped, finished by phone",
                "",
                "Fee £65",
            ],
            strict=True,
        )
    ]
    header = [
        "Supervisee",
        "Supervisor",
        "Date",
        "Hours",
        "How",
        "Number of trainees",
        "Co-leader joined",
        "Notes",
    ]
    write_csv(HERE / "supervision" / "adebayo_supervision_log.csv", [header, *rows], "cp1252", ";")


# --------------------------------------------------------------------------------------------
# Portfolio sign-offs: competencies by number, id or title, as supervisors write them.

TITLES = {
    1: "a safe and free environment, protecting the frame and boundaries",
    2: "exploring the patient–professional relationship rather than solutions or teaching",
    3: "awareness of group and unconscious processes",
    4: "openness to learning about one's own leading style",
    5: "accreditation as a beginning of ongoing development",
}
IDS = {
    1: "safe_frame",
    2: "relationship_focus",
    3: "group_process",
    4: "personal_style",
    5: "ongoing_development",
}


def portfolio() -> None:
    """Which competencies each trainee has signed off, and by whom."""
    signed = [
        # trainee, signer, first sign-off, competencies, how they are written
        ("Amelia Hart", WHITFIELD, "2025-06-02", (1, 2, 3, 4, 5), "number"),
        ("Siân Pritchard", HUGHES, "2025-09-29", (1, 2, 3, 4, 5), "id"),
        ("José Álvarez", "Ruth Adebayo", "2025-10-13", (1, 2, 3), "title"),
        ("Priya Sharma", WHITFIELD, "2025-11-17", (1, 2, 3, 4, 5), "number"),
        ("Grace Mensah", OKAFOR, "2025-07-14", (1, 3), "number"),
        ("Hamish MacLeod", MOREAU, "2026-01-12", (1, 2, 3, 4, 5), "id"),
        ("Fatima Rahman", RAMAN, "2026-02-09", (1, 2, 3, 4), "number"),
        ("Chloe Davies", WHITFIELD, "2026-03-16", (1,), "number"),
        ("Mei Lin Chen", RAMAN, "2026-02-02", (2,), "title"),
        ("Aisha Bello", HUGHES, "2025-03-03", (1, 2, 3, 4, 5), "number"),
        ("Eleanor Whitaker", OKAFOR, "2026-04-20", (1, 2, 3, 4, 5), "title"),
        ("Kwame Asante", OKAFOR, "2026-05-18", (1, 2, 3, 4, 5), "number"),
        ("Sophie Laurent", MOREAU, "2026-06-15", (1, 2, 4), "id"),
        ("Rhys Evans", MOREAU, "2026-03-02", (1, 2, 3, 4, 5), "number"),
        ("Nadia Haddad", LINDQVIST, "2026-04-13", (1, 2, 3, 4, 5), "number"),
        ("Jonathan Price", HUGHES, "2026-05-11", (1, 2), "id"),
    ]
    rows = []
    for trainee, signer, start, numbers, written in signed:
        for i, number in enumerate(numbers):
            competency = {"number": number, "id": IDS[number], "title": TITLES[number]}[written]
            day = d(start) + dt.timedelta(weeks=6 * i)
            rows.append([trainee, competency, day, signer, "discussed in supervision"])
    write_xlsx(
        HERE / "portfolio" / "portfolio_signoffs.xlsx",
        {
            "Sign-offs": [
                ["Trainee", "Competency", "Date signed off", "Signed off by", "Evidence"],
                *rows,
            ]
        },
        {},
    )


def main() -> None:
    """Write every file of the sample inbox."""
    registers()
    okafor_group()
    whitfield_group()
    raman_group()
    fairbairn_group()
    lindqvist_group()
    trainee_led_groups()
    weekends()
    supervision_logs()
    adebayo_log()
    portfolio()


if __name__ == "__main__":
    main()
