"""Forecasts that hold still (issue 10, item 6): runs into the same OUT, month after month.

The summary shows them in the team's words (docs/contract.md#outputs):
"Co-leading Balint groups: July 2027".

T1 co-leads; co-leading needs 20 sessions. A forecast is the month the target would be reached
at the pace of the last 12 months, from three or more dated records in that window.
"""

from __future__ import annotations

from pathlib import Path

from ..conftest import TRAINEE_HEADER, run_report, trainee_row, write_csv, write_xlsx
from .test_history import _changes, _letter, _overview

OCT, NOV, DEC = "2026-10-31", "2026-11-30", "2026-12-31"
HEADER = ["trainee", "date", "activity", "sessions", "event"]


def _inbox(inbox: Path, rows: list[tuple[str, int]]) -> None:
    """T1's co-led sessions: (date dd/mm/yyyy, sessions) each."""
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                trainee_row("T1", "Jane Smith", psychodynamic_training="no"),
            ]
        },
    )
    write_csv(
        inbox / "attendance.csv",
        [HEADER, *[["T1", date, "co_leader", sessions, ""] for date, sessions in rows]],
    )


def _forecast(out: Path, month: str) -> str | None:
    return _overview(out, month)["T1"]["Forecast"]


def _forecast_changes(out: Path, month: str) -> list[tuple]:
    return _changes(out, month, forecasts=True)


def test_no_forecast_from_fewer_than_three_dates(inbox: Path, tmp_path: Path) -> None:
    # Two dates in the last 12 months are not a pace, however many sessions they carry.
    _inbox(inbox, [("15/01/2026", 4), ("15/04/2026", 6)])
    run_report(inbox, tmp_path / "a", as_of=NOV)
    assert _forecast(tmp_path / "a", "2026-11") is None
    assert "At your pace" not in _letter(tmp_path / "a", "2026-11", "T1")
    # A third date gives one: 12 sessions in the year, 8 to go -> 8 months after November.
    _inbox(inbox, [("15/01/2026", 4), ("15/04/2026", 4), ("15/07/2026", 4)])
    run_report(inbox, tmp_path / "b", as_of=NOV)
    assert _forecast(tmp_path / "b", "2026-11") == "Co-leading Balint groups: July 2027"


def test_no_forecast_once_a_route_has_had_no_record_for_six_months(
    inbox: Path, tmp_path: Path
) -> None:
    """Three co-led dates in the year, the last in April: the dashboard calls her stalled, and
    a letter saying 'at your pace over the last 12 months, around …' would promise what has
    stopped."""
    out = tmp_path / "out"
    _inbox(inbox, [("15/12/2025", 4), ("15/02/2026", 4), ("15/04/2026", 4)])
    run_report(inbox, out, as_of=NOV)
    assert _forecast(out, "2026-11") is None
    assert "At your pace" not in _letter(out, "2026-11", "T1")
    dashboard = (out / "2026-11" / "index.html").read_text(encoding="utf-8")
    stalled = dashboard.split('id="stalled"')[1].split("</section>")[0]
    assert "T1" in stalled
    # a record in the last six months brings the forecast back
    _inbox(inbox, [("15/12/2025", 4), ("15/02/2026", 4), ("15/06/2026", 4)])
    run_report(inbox, tmp_path / "b", as_of=NOV)
    assert _forecast(tmp_path / "b", "2026-11") == "Co-leading Balint groups: July 2027"


def test_a_month_without_records_does_not_push_the_forecast_back(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _inbox(inbox, [(f"15/{m:02d}/2026", 2) for m in (1, 4, 7, 10)])
    run_report(inbox, out, as_of=OCT)
    # 8 sessions in the year, 12 to go: 18 months after October 2026.
    assert _forecast(out, "2026-10") == "Co-leading Balint groups: April 2028"
    run_report(inbox, out, as_of=NOV)
    # Worked out afresh it would be 18 months after November; nothing new, same pace: it holds.
    assert _forecast(out, "2026-11") == "Co-leading Balint groups: April 2028"
    assert "At your pace over the last 12 months, around April 2028." in _letter(
        out, "2026-11", "T1"
    )
    assert _forecast_changes(out, "2026-11") == []


def test_a_forecast_moves_later_when_the_pace_fell_and_says_so(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _inbox(inbox, [("15/11/2025", 2), *[(f"15/{m:02d}/2026", 2) for m in (1, 4, 7)]])
    run_report(inbox, out, as_of=OCT)
    assert _forecast(out, "2026-10") == "Co-leading Balint groups: April 2028"
    # By November the session of 15 November 2025 is over a year old: 6 a year, not 8.
    run_report(inbox, out, as_of=NOV)
    assert _forecast(out, "2026-11") == "Co-leading Balint groups: November 2028"
    assert _forecast_changes(out, "2026-11") == [
        (
            "T1",
            "Jane Smith",
            "Co-leading Balint groups",
            "April 2028",
            "November 2028",
            "forecast for co-leading Balint groups moved later, from April 2028 to November "
            "2028: the pace of the last 12 months fell from 8 to 6 co-led sessions a year",
        )
    ]


def test_new_records_move_a_forecast_earlier_and_the_letter_says_only_the_progress(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    rows = [(f"15/{m:02d}/2026", 2) for m in (1, 4, 7, 10)]
    _inbox(inbox, rows)
    run_report(inbox, out, as_of=OCT)
    _inbox(inbox, [*rows, ("10/11/2026", 4)])
    run_report(inbox, out, as_of=NOV)
    # 12 of 20, 12 in the year: 8 to go -> 8 months after November.
    assert _forecast(out, "2026-11") == "Co-leading Balint groups: July 2027"
    assert _forecast_changes(out, "2026-11") == [
        (
            "T1",
            "Jane Smith",
            "Co-leading Balint groups",
            "April 2028",
            "July 2027",
            "forecast for co-leading Balint groups moved earlier, from April 2028 to July 2027: "
            "4 more co-led sessions counted",
        )
    ]
    letter = _letter(out, "2026-11", "T1")
    assert "4 more co-led sessions." in letter
    assert "moved earlier" not in letter


def test_a_forecast_that_loses_its_third_date_goes_and_says_why(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _inbox(inbox, [("15/11/2025", 2), ("15/01/2026", 2), ("15/06/2026", 2)])
    run_report(inbox, out, as_of=OCT)
    assert _forecast(out, "2026-10") == "Co-leading Balint groups: February 2029"
    run_report(inbox, out, as_of=NOV)
    assert _forecast(out, "2026-11") is None
    assert _forecast_changes(out, "2026-11") == [
        (
            "T1",
            "Jane Smith",
            "Co-leading Balint groups",
            "February 2029",
            None,
            "no forecast for co-leading Balint groups now (it was February 2029): fewer than 3 "
            "dated records in the last 12 months",
        )
    ]


def test_a_held_forecast_lets_go_once_its_month_has_come(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _inbox(inbox, [(f"01/{m:02d}/2026", 6) for m in (2, 5, 8)])
    run_report(inbox, out, as_of=OCT)
    # 18 of 20 at 18 a year: 2 to go -> 2 months after October.
    assert _forecast(out, "2026-10") == "Co-leading Balint groups: December 2026"
    run_report(inbox, out, as_of=NOV)
    assert _forecast(out, "2026-11") == "Co-leading Balint groups: December 2026"  # held
    run_report(inbox, out, as_of=DEC)
    assert _forecast(out, "2026-12") == "Co-leading Balint groups: February 2027"
    assert _forecast_changes(out, "2026-12") == [
        (
            "T1",
            "Jane Smith",
            "Co-leading Balint groups",
            "December 2026",
            "February 2027",
            "forecast for co-leading Balint groups moved later, from December 2026 to February "
            "2027: December 2026 has come without it being met",
        )
    ]
