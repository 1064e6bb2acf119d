"""Every letter of a ~200-trainee generated inbox says only what is true for its reader.

The inbox mixes every state a register and the activity sheets can put a trainee in (training
answer yes/no/blank, paused, feeling ready or not, each prefix of the reference's steps,
eligible and ineligible supervisors, counts below, at and above target). Each letter is read
against that trainee's progress.json and register: no sentence may contradict them.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

import pytest

from ..conftest import TRAINEE_HEADER, run_report, trainee_row, write_csv, write_xlsx

TRAINEES = 200
CHAIN = ("reference_requested", "reference_received", "reference_shared", "reference_forwarded")
REQUIREMENT_TITLES = {
    "membership": "Experience as a Balint group member",
    "co_leading": "Co-leading Balint groups",
    "leadership_training": "Leadership training",
    "portfolio": "Portfolio of competencies",
    "supervision": "Supervision and your supervisor's report",
}


def _inbox(folder: Path, seed: int = 11) -> dict[str, dict]:
    """Write the inbox; return each trainee's register fields as written."""
    rng = random.Random(seed)
    registers: dict[str, dict] = {}
    attendance = [["trainee", "date", "activity", "sessions", "event", "setting", "co_leader"]]
    supervision = [["trainee", "supervisor", "date", "hours"]]
    portfolio = [["trainee", "competency", "signed_off", "signed_off_by"]]
    day = dt.date(2024, 1, 1)
    for i in range(TRAINEES):
        tid = f"T{i:03}"
        # One in ten has everything done, so that some are ready to apply.
        complete = i % 10 == 0

        def pick(options: list, complete: bool = complete) -> object:
            return options[-1] if complete else rng.choice(options)

        fields: dict[str, object] = {
            "psychodynamic_training": pick(["yes", "", "no"]),
            "supervisor": pick(["L2", "L3", "L1", "L1"]),
            "status": pick(["paused", "withdrawn"] + ["active"] * 6),
            "feels_ready": pick(["", "yes"]),
        }
        steps = pick([0, 0, 1, 2, 3, 4, 4])
        for n, name in enumerate(CHAIN[:steps]):
            fields[name] = f"{1 + n:02d}/10/2026"
        registers[tid] = fields
        for _ in range(pick([0, 5, 8, 12, 20, 25])):
            attendance.append(
                [
                    tid,
                    f"{day + dt.timedelta(rng.randrange(900)):%d/%m/%Y}",
                    "member",
                    1,
                    "Tuesday group",
                    "hospital",
                    "",
                ]
            )
        for n in range(pick([0, 3, 19, 20, 24])):
            attendance.append(
                [
                    tid,
                    f"{day + dt.timedelta(n):%d/%m/%Y}",
                    "co-leader",
                    1,
                    "Thursday group",
                    rng.choice(["hospital", "university"]),
                    "L1",
                ]
            )
        for n in range(pick([0, 1, 3, 2])):
            attendance.append(
                [
                    tid,
                    f"{day + dt.timedelta(100 * n + 50):%d/%m/%Y}",
                    "leadership day",
                    1,
                    f"Day {n}",
                    "",
                    "",
                ]
            )
        for n in range(pick([0, 2, 1])):
            attendance.append(
                [
                    tid,
                    f"{day + dt.timedelta(200 * n + 70):%d/%m/%Y}",
                    "weekend member",
                    3,
                    f"Weekend {n}",
                    "",
                    "",
                ]
            )
        for n in range(pick([0, 1, 6, 4])):
            who = pick([fields["supervisor"], "L3", "L1"])
            supervision.append([tid, who, f"{day + dt.timedelta(30 * n):%d/%m/%Y}", 1.5])
        for competency in rng.sample(range(1, 6), int(pick([0, 2, 5]))):
            portfolio.append([tid, competency, "01/06/2026", "L1"])
    write_xlsx(
        folder / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                *(trainee_row(t, f"Trainee {t}", **f) for t, f in registers.items()),
            ],
            "Leaders": [
                ["leader_id", "name", "accredited", "supervision_experience"],
                ["L1", "Ann Eligible", "yes", "yes"],
                ["L2", "Bob Inexperienced", "yes", "no"],
                ["L3", "Cat Unaccredited", "no", "yes"],
            ],
        },
    )
    write_csv(folder / "attendance.csv", attendance)
    write_csv(folder / "supervision.csv", supervision)
    write_csv(folder / "portfolio.csv", portfolio)
    return registers


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, Path]:
    root = tmp_path_factory.mktemp("truth")
    registers = _inbox(root / "inbox")
    progress = run_report(root / "inbox", root / "out")
    return registers, progress, root / "out" / "2026-11"


def _section(letter: str, title: str) -> str:
    body = letter.split("WHERE YOU STAND\n", 1)[1].split("\nIf anything here", 1)[0]
    return body.split(f"\n{title}: ", 1)[1].split("\n\n", 1)[0]


def _check_numbers(tid: str, trainee: dict, where: str) -> None:
    """Honest numbers: no invented target, no "5 of 1", "N of M" only below M."""
    assert "— of" not in where, tid
    assert not re.search(r"\b\d+(?:\.\d+)? of 1 ", where), tid
    # ... nor in the detail the summary and progress.json give
    details = " ".join(r["detail"] for r in trainee["requirements"].values())
    assert not re.search(r"\b\d+(?:\.\d+)? of 1 ", details), tid
    for text in (where, details):
        for achieved, target in re.findall(r"\b(\d+(?:\.\d+)?) of (\d+(?:\.\d+)?) ", text):
            assert float(achieved) < float(target), (tid, achieved, target)


def _check_nothing_done_is_asked(tid: str, trainee: dict, register: dict, where: str) -> None:
    """Never ask for what is done."""
    if (trainee["requirements"]["supervision"]["achieved"] or 0) > 0:
        assert "Arrange supervision" not in where, tid
    if register.get("reference_received"):
        assert "requested on" not in where and "ask them for their written report" not in where
    if register.get("reference_shared"):
        assert "share their written reference" not in where, tid
    if register.get("feels_ready") == "yes":
        assert "When you feel ready to apply" not in where, tid


def _check_next_steps(tid: str, trainee: dict, where: str) -> None:
    """Paused: nothing expected, no step of any kind, suggestions for when they resume; ready:
    none; else progress.json's."""
    if trainee["status"] == "paused":
        assert "nothing is expected of you until you resume" in where, tid
        assert "YOUR NEXT STEP" not in where and "\n  Next: " not in where, tid
        if "SOME SUGGESTIONS" in where:
            assert "SOME SUGGESTIONS\nFor when you resume: these do not hold up" in where, tid
    else:
        assert "For when you resume" not in where, tid
    if trainee["overall"] == "ready":
        assert "can now be considered" in where and "YOUR NEXT STEP" not in where, tid
    elif trainee["status"] == "active":
        step = where.split("YOUR NEXT STEP\n", 1)[1].split("\n", 1)[0]
        assert step == trainee["next_step"], tid


def _check_sections(tid: str, trainee: dict, where: str) -> None:
    """Each requirement's section agrees with its status; suggestions never hold anything up."""
    for rid, title in REQUIREMENT_TITLES.items():
        section = _section(where, title)
        status = trainee["requirements"][rid]["status"]
        if status == "met":
            assert section.startswith("Complete") and "Next:" not in section, (tid, rid)
        else:
            assert not section.startswith("Complete"), (tid, rid)
            has_step = "\n  Next: " in section
            assert has_step == (trainee["status"] == "active"), (tid, rid)
    if "SOME SUGGESTIONS" in where:
        suggestions = where.split("SOME SUGGESTIONS\n", 1)[1].split("\n\n", 1)[0]
        assert "do not count" not in suggestions, tid


def test_no_letter_contradicts_the_trainees_progress(run: tuple[dict, dict, Path]) -> None:
    registers, progress, folder = run
    checked = 0
    states: set[tuple[str, str]] = set()
    for trainee in progress["trainees"]:
        tid = trainee["trainee_id"]
        path = folder / "letters" / f"{tid}.txt"
        if trainee["status"] not in ("active", "paused"):
            assert not path.exists()
            continue
        where = path.read_text(encoding="utf-8").split("\n\nTHE RECORDS WE COUNTED", 1)[0]
        states.add((trainee["status"], trainee["overall"]))
        _check_numbers(tid, trainee, where)
        _check_nothing_done_is_asked(tid, trainee, registers[tid], where)
        _check_next_steps(tid, trainee, where)
        _check_sections(tid, trainee, where)
        checked += 1
    assert checked > 150
    # The inbox really covers the states the checks are about.
    assert {("paused", "in_progress"), ("active", "ready"), ("active", "needs_data")} <= states


def test_no_digest_speaks_jargon_or_to_the_trainee(run: tuple[dict, dict, Path]) -> None:
    _, _, folder = run
    digests = list((folder / "digests").glob("*.txt"))
    assert digests
    for path in digests:
        digest = path.read_text(encoding="utf-8")
        for words in ("[values", "[columns", "balint.toml", "Next step", "You have met"):
            assert words not in digest, (path.name, words)
