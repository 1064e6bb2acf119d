"""The docs cannot drift from the code: every column, alias and command is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from balint_reports.cli import main
from balint_reports.schema import KINDS, VOCABULARIES

from .conftest import run_cli

ROOT = Path(__file__).parent.parent
SPREADSHEETS = (ROOT / "docs" / "spreadsheets.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_every_column_and_alias_is_in_the_spreadsheet_guide(kind) -> None:
    assert f"### {kind.name}" in SPREADSHEETS
    for column in kind.columns:
        assert f"`{column.name}`" in SPREADSHEETS
        for alias in column.aliases:
            assert alias in SPREADSHEETS, f"{kind.name}.{column.name}: {alias}"


@pytest.mark.parametrize("vocabulary", VOCABULARIES.values(), ids=lambda v: v.name)
def test_every_vocabulary_value_is_in_the_spreadsheet_guide(vocabulary) -> None:
    for value, spellings in vocabulary.values.items():
        assert f"`{value}`" in SPREADSHEETS
        for spelling in spellings:
            assert spelling in SPREADSHEETS


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = run_cli(command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output
