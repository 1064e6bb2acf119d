"""The docs cannot drift from the code: every column, alias and command is documented."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from balint_reports.cli import main
from balint_reports.schema import KINDS, VOCABULARIES

from ..conftest import run_cli

ROOT = Path(__file__).parent.parent.parent
SPREADSHEETS = (ROOT / "docs" / "spreadsheets.md").read_text(encoding="utf-8")


def documented_aliases(kind: str) -> dict[str, set[str]]:
    """The kind's table in the spreadsheet guide: each column's "also recognised as" cell."""
    section = SPREADSHEETS.split(f"\n### {kind}\n", 1)[1].split("\n#", 1)[0]
    table: dict[str, set[str]] = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            column, _required, aliases = (cell.strip() for cell in line.split("|")[1:4])
            table[column.strip("`")] = {a.strip() for a in aliases.split(",") if a.strip()}
    return table


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_every_column_and_alias_is_in_the_spreadsheet_guide(kind) -> None:
    # Each kind's own row and cell: an alias written for another kind does not count.
    assert documented_aliases(kind.name) == {c.name: set(c.aliases) for c in kind.columns}


@pytest.mark.parametrize("vocabulary", VOCABULARIES.values(), ids=lambda v: v.name)
def test_every_vocabulary_value_is_in_the_spreadsheet_guide(vocabulary) -> None:
    for value, spellings in vocabulary.values.items():
        assert f"`{value}`" in SPREADSHEETS
        for spelling in spellings:
            assert spelling in SPREADSHEETS


@pytest.mark.parametrize(
    "command",
    [
        [name, *sub]
        for name in sorted(main.commands)
        for sub in [[], *([s] for s in getattr(main.commands[name], "commands", {}))]
    ],
    ids=" ".join,
)
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output


def cli_reference() -> str:
    """docs/cli.md as it should be: every command's --help, in order."""
    parts = [
        "# Command reference\n",
        "Generated from `--help`; `tests/e2e/test_docs.py` checks it is up to date (run it with",
        "`BALINT_UPDATE_DOCS=1` to rewrite this file).\n",
    ]
    commands: list[list[str]] = []
    for name in sorted(main.commands):
        commands.append([name])
        # a command group (rules) documents each of its commands too
        sub = getattr(main.commands[name], "commands", {})
        commands += [[name, s] for s in sorted(sub)]
    for args in ([], *commands):
        title = " ".join(["balint-reports", *args])
        parts += [f"## `{title}`\n", "```", run_cli(*args, "--help").output.rstrip(), "```\n"]
    return "\n".join(parts)


def test_cli_reference_matches_help() -> None:
    path = ROOT / "docs" / "cli.md"
    expected = cli_reference()
    if os.environ.get("BALINT_UPDATE_DOCS"):
        path.write_text(expected, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == expected, (
        "docs/cli.md is out of date: run BALINT_UPDATE_DOCS=1 pytest tests/e2e/test_docs.py"
    )
