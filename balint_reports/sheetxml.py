"""A write-only openpyxl sheet's rows written as the XML openpyxl would write, but directly.

openpyxl makes a cell object and an lxml element for every cell, which is most of the time
the summary takes: 6 of 6.4 s for 5,000 trainees (511,000 cells). Here each common cell
(text, a number, a blank) becomes its XML text at once, and any other (a date, text kept from
becoming a formula, text too long for a cell) is made and written by openpyxl's own code. The
bytes are the same either way: tests/stages/test_sheetxml.py writes every kind of value both
ways, and tests/e2e/test_fast_paths.py whole runs' workbooks, and they compare them part by
part. openpyxl still writes everything around the rows: the sheet's top and tail,
styles, the workbook.

openpyxl's sheet is a stream: the header row goes through it (which opens `<sheetData>`), the
rows collect in a temporary file, and `close` closes the sheet and puts them in after the
header, before `</sheetData>`.
"""

from __future__ import annotations

import io
import math
import shutil
import tempfile
from collections.abc import Callable, Sequence

import openpyxl
from lxml.etree import xmlfile
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell._writer import lxml_write_cell
from openpyxl.cell.cell import Cell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.hyperlink import Hyperlink

from .safecells import kept_as_is

LONGEST_TEXT = 32767  # characters: openpyxl cuts longer text, as Excel would
# What this module writes is what openpyxl 3.1 writes through lxml, and it uses some of that
# version's inner parts; with another openpyxl, or with lxml switched off (OPENPYXL_LXML=False),
# the summary is written cell by cell as before.
WRITES_AS_OPENPYXL = openpyxl.LXML and openpyxl.__version__.split(".")[:2] == ["3", "1"]
# Rows held as text before they are encoded and written out: about a megabyte.
_ROWS_PER_WRITE = 2000

# The cell for a value as the plain path makes it (workbook._Looks.cell): a value, or a cell.
MakeCell = Callable[[WriteOnlyWorksheet, object, str], object]
# The style of a look's cell, and (for a status) of its word: None for an unstyled cell.
StyleOf = Callable[[WriteOnlyWorksheet, str, object], StyleArray | None]


def _text(value: str) -> str:
    """Text as libxml2 writes it in an element: `&<>` and carriage returns escaped (the rest
    of what it escapes, characters beyond ASCII, `encode` turns into the same references)."""
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _plain_text(value: str) -> bool:
    """Text that goes into its cell as it is: nothing safecells.xlsx_cell changes or makes a
    text cell of, and nothing openpyxl cuts."""
    return len(value) <= LONGEST_TEXT and kept_as_is(value)


class DirectRows:
    """The rows of one sheet after its header row, in openpyxl's XML, each as it is given."""

    def __init__(
        self,
        sheet: WriteOnlyWorksheet,
        looks: Sequence[str],
        make_cell: MakeCell,
        style_of: StyleOf,
        first_row: int,
    ) -> None:
        self._sheet = sheet
        self._looks = looks
        self._make_cell = make_cell
        self._style_of = style_of
        self._styles = sheet.parent._cell_styles
        self._style_ids: dict[tuple[str, object], str] = {}
        self._letters = [get_column_letter(i) for i in range(1, len(looks) + 1)]
        self._row = first_row
        self._pending: list[str] = []
        self._rows = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()

    def _style_attribute(self, look: str, value: object) -> str:
        """` s="3"`: the cell's style, numbered as openpyxl numbers it, the first time it is
        used; empty for an unstyled cell. openpyxl numbers styles in the order cells are
        written, so this must be asked in that order too."""
        key = (look, value if look == "status" else None)
        attribute = self._style_ids.get(key)
        if attribute is None:
            style = self._style_of(self._sheet, look, value)
            attribute = f' s="{self._styles.add(style)}"' if style is not None else ""
            self._style_ids[key] = attribute
        return attribute

    def _openpyxl_cell(self, value: object, look: str, ref: str, column: int) -> str:
        """The XML openpyxl writes for the cell the plain path makes of `value`: for the few
        values this module does not write itself."""
        made = self._make_cell(self._sheet, value, look)
        if made is None:
            return ""
        cell = made if isinstance(made, Cell) else WriteOnlyCell(self._sheet, value=made)
        cell.column, cell.row = column, self._row
        if cell.hyperlink is not None:
            cell.hyperlink.ref = ref
        if cell._value is None and not cell.has_style:
            return ""
        out = io.BytesIO()
        with xmlfile(out) as xf:
            lxml_write_cell(xf, self._sheet, cell, cell.has_style)
        return out.getvalue().decode("ascii")

    def append(self, values: Sequence[object], height: float | None) -> None:
        """One row: `values` in the columns' looks, `height` in points when it needs one."""
        row = self._row
        if height:
            parts = [f'<row r="{row}" ht="{height:.16g}" customHeight="1">']
        else:
            parts = [f'<row r="{row}">']
        for column, (value, look, letter) in enumerate(
            zip(values, self._looks, self._letters, strict=True), start=1
        ):
            ref = f"{letter}{row}"
            if hasattr(value, "item"):  # a numpy number, as safecells.xlsx_cell takes it
                value = value.item()
            if value is None or (type(value) is float and math.isnan(value)):
                if look != "plain":  # an empty cell that still has its column's look
                    parts.append(f'<c r="{ref}"{self._style_attribute(look, None)} t="n"></c>')
            elif type(value) is str and _plain_text(value):
                style = "" if look == "plain" else self._style_attribute(look, value)
                if look == "link" and value:
                    self._sheet._hyperlinks.append(Hyperlink(ref=ref, target=value))
                if not value:
                    parts.append(f'<c r="{ref}"{style} t="inlineStr"></c>')
                else:
                    space = ' xml:space="preserve"' if value != value.strip() else ""
                    text = _text(value)
                    parts.append(
                        f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'
                    )
            elif (
                type(value) is int
                or type(value) is bool
                or (type(value) is float and math.isfinite(value))
            ):
                style = "" if look == "plain" else self._style_attribute(look, value)
                number_type = "b" if type(value) is bool else "n"
                parts.append(f'<c r="{ref}"{style} t="{number_type}"><v>{value:.16g}</v></c>')
            else:
                if look == "plain":
                    self._looks_before_plain(values, column)
                parts.append(self._openpyxl_cell(value, look, ref, column))
        parts.append("</row>")
        self._pending.append("".join(parts))
        self._row += 1
        if len(self._pending) >= _ROWS_PER_WRITE:
            self._write_pending()

    def _looks_before_plain(self, values: Sequence[object], column: int) -> None:
        """Before openpyxl makes a cell of a value in an unstyled column (a date, say): the
        styled cells after it in the row made first, as the plain path makes every styled
        cell of a row before openpyxl makes the unstyled ones, so that number formats new to
        the workbook are numbered in the same order. Making a cell again registers nothing."""
        for value, look in zip(values[column:], self._looks[column:], strict=True):
            if look != "plain":
                self._make_cell(self._sheet, value, look)

    def _write_pending(self) -> None:
        # libxml2 writes ASCII, every other character as a decimal reference: so does this.
        self._rows.write("".join(self._pending).encode("ascii", "xmlcharrefreplace"))
        self._pending.clear()

    def close(self) -> None:
        """Close the sheet (its tail written by openpyxl) and put the rows in before
        `</sheetData>`. Call after every setting the tail needs, such as the filter."""
        self._write_pending()
        self._sheet.close()
        path = self._sheet._writer.out
        with open(path, "rb") as sheet_file:
            written = sheet_file.read()
        end = written.rindex(b"</sheetData>")
        self._rows.seek(0)
        with open(path, "wb") as sheet_file:
            sheet_file.write(written[:end])
            shutil.copyfileobj(self._rows, sheet_file)
            sheet_file.write(written[end:])
        self._rows.close()
