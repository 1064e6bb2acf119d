"""Privacy (issue 14, item 8): a letter, digest or email shows one trainee's data to the right
person only, and what the program prints carries nobody's personal data.

A generated inbox of 200 trainees under 10 supervisors, with data issues on some of their rows.
Every trainee has a unique token in their name, id and address, so a leak shows as a token.
"""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import pytest

from ..conftest import TRAINEE_HEADER, run_cli, trainee_row, write_csv, write_xlsx
from .test_deliver import CONFIG

TRAINEES = 200
SUPERVISORS = 10


def _trainee(i: int) -> dict[str, str]:
    # fixed width, so no token is part of another
    return {
        "id": f"TR{i:04d}",
        "name": f"Quinn Tok{i:04d}",
        "email": f"mail{i:04d}@example.org",
        "supervisor": f"L{i % SUPERVISORS:02d}",
    }


_TOKEN = re.compile(r"TR\d{4}|Tok\d{4}|mail\d{4}")


def _tokens(text: str) -> set[int]:
    """The trainees whose id, name or address a text mentions."""
    return {int(found[-4:]) for found in _TOKEN.findall(text)}


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One run over the generated inbox: its month folder and everything the CLI printed."""
    root = tmp_path_factory.mktemp("privacy")
    inbox = root / "inbox"
    trainees = [_trainee(i) for i in range(TRAINEES)]
    (inbox / "balint.toml").parent.mkdir(parents=True)
    (inbox / "balint.toml").write_text(CONFIG, encoding="utf-8")
    write_xlsx(
        inbox / "registers.xlsx",
        {
            "Trainees": [
                TRAINEE_HEADER,
                *[
                    trainee_row(
                        t["id"],
                        t["name"],
                        email=t["email"],
                        supervisor=t["supervisor"],
                        psychodynamic_training="no",
                        reference_requested="01/10/2026" if i % 3 else "",
                    )
                    for i, t in enumerate(trainees)
                ],
            ],
            "Leaders": [
                ["leader_id", "name", "email", "accredited", "supervision_experience"],
                *[
                    [f"L{k:02d}", f"Leader Sup{k:02d}", f"sup{k:02d}@example.org", "yes", "yes"]
                    for k in range(SUPERVISORS)
                ],
            ],
        },
    )
    rows = [["trainee", "date", "activity", "co_leader"]]
    for i, t in enumerate(trainees):
        rows.append([t["name"], "05/03/2026", "member", ""])
        rows.append([t["id"], "12/03/2026", "co-leader", _trainee((i + 1) % TRAINEES)["name"]])
        if i % 7 == 0:  # a data issue on this trainee's row, for the digests to carry
            rows.append([t["id"], "31/02/2026", "member", ""])
    write_csv(inbox / "groups.csv", rows)
    supervision = [["trainee", "supervisor", "date"]]
    supervision += [[t["id"], t["supervisor"], "20/03/2026"] for t in trainees]
    write_csv(inbox / "supervision.csv", supervision)
    out = root / "out"
    printed = []
    result = run_cli("run", inbox, "--out", out, "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    printed.append(result.output)
    # a run that fails: OUT is a file, so the report cannot be written
    blocked = root / "blocked"
    blocked.write_text("in the way", encoding="utf-8")
    failed = run_cli("run", inbox, "--out", blocked, "--as-of", "2026-11-30")
    assert failed.exit_code != 0 and "Traceback" not in failed.output
    printed.append(failed.output)
    return out / "2026-11", "\n".join(printed)


def _email_text(path: Path) -> str:
    """Headers and every decoded part of an .eml (bodies may be base64 on disk)."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    parts = [str(value) for _, value in message.items()]
    for part in message.walk():
        if not part.is_multipart():
            content = part.get_content()
            parts.append(
                content if isinstance(content, str) else content.decode("utf-8", "replace")
            )
    return "\n".join(parts)


def test_every_letter_and_letter_email_is_about_its_trainee_only(month: tuple[Path, str]) -> None:
    folder, _ = month
    letters = sorted((folder / "letters").glob("*.html")) + sorted(
        (folder / "letters").glob("*.txt")
    )
    assert len(letters) == 2 * TRAINEES
    for letter in letters:
        assert _tokens(letter.read_text(encoding="utf-8")) == {int(letter.stem[-4:])}, letter
    emails = sorted((folder / "outbox").glob("*.eml"))
    assert len(emails) == TRAINEES
    for message in emails:
        assert _tokens(_email_text(message)) == {int(message.stem[-4:])}, message


def test_each_digest_is_about_its_supervisors_trainees_only(month: tuple[Path, str]) -> None:
    folder, _ = month
    digests = [p for p in (folder / "digests").iterdir() if p.suffix in (".html", ".txt", ".eml")]
    assert len(digests) == 3 * SUPERVISORS
    for digest in digests:
        supervisor = int(digest.stem[-2:])
        theirs = {i for i in range(TRAINEES) if i % SUPERVISORS == supervisor}
        text = (
            _email_text(digest) if digest.suffix == ".eml" else digest.read_text(encoding="utf-8")
        )
        mentioned = _tokens(text)
        assert mentioned <= theirs, (digest, sorted(mentioned - theirs)[:5])
        assert mentioned, digest  # and it does speak about them
        others = {f"Sup{k:02d}" for k in range(SUPERVISORS) if k != supervisor}
        assert not {o for o in others if o in text}, digest


def test_what_a_run_prints_names_nobody(month: tuple[Path, str]) -> None:
    """A run prints counts, files and folders, and its errors paths: no name, id or address.

    (`check` and `send` are the team's own screens: they show the cells to fix and who a
    letter would go to, on purpose.)
    """
    _, printed = month
    assert _tokens(printed) == set(), printed[:2000]
    assert "@example.org" not in printed
