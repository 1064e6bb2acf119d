"""Hostile and broken inbox files, built in code so that a reader sees how each is made."""

from __future__ import annotations

import io
import random
import string
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile

MIB = 1024 * 1024


def xlsx_bytes(rows: list[list[object]] | None = None) -> bytes:
    """A small real workbook."""
    book = openpyxl.Workbook()
    for row in rows or [["trainee", "date", "activity"], ["T1", "05/03/2025", "member"]]:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def xls_bytes() -> bytes:
    """A small real old-format workbook."""
    book = xlwt.Workbook()
    book.add_sheet("S").write(0, 0, "trainee")
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def _replace_part(data: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one part's content replaced (or added)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info), zipfile.ZIP_DEFLATED)
        target.writestr(name, content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def zip_bomb_xlsx(unpacked_mib: int = 300) -> bytes:
    """A real workbook whose sheet unpacks to hundreds of MiB of spaces from about 1 MiB."""
    sheet = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    sheet += b'spreadsheetml/2006/main"><sheetData>'
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes())) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                part = zipfile.ZipInfo(info.filename)
                part.compress_type = zipfile.ZIP_DEFLATED
                with target.open(part, "w", force_zip64=True) as stream:
                    stream.write(sheet)
                    blank = b" " * MIB
                    for _ in range(unpacked_mib):
                        stream.write(blank)
                    stream.write(b"</sheetData></worksheet>")
            else:
                target.writestr(info, source.read(info), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def lying_size_xlsx() -> bytes:
    """A workbook whose sheet says it unpacks to 1 KiB and really unpacks to 50 MiB."""
    sheet = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    sheet += b"<sheetData>" + b" " * (50 * MIB) + b"</sheetData></worksheet>"
    data = bytearray(_replace_part(xlsx_bytes(), "xl/worksheets/sheet1.xml", sheet))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    struct.pack_into("<I", data, info.header_offset + 22, 1024)  # local header
    central = data.rfind(b"PK\x01\x02", 0, len(data))
    while central != -1:  # the central directory entry of that part
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_length] == info.filename.encode():
            struct.pack_into("<I", data, central + 24, 1024)
            break
        central = data.rfind(b"PK\x01\x02", 0, central)
    return bytes(data)


def shared_text_xlsx(cells: int = 1000) -> bytes:
    """A 1 MiB random text in the shared strings, named by a thousand cells: 0.8 MB that a
    reader copies into every cell, 1 GiB in all."""
    chance = random.Random(7)
    text = "".join(chance.choice(string.ascii_letters) for _ in range(MIB))
    strings = (
        '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        f'2006/main" count="{cells}" uniqueCount="1"><si><t>{text}</t></si></sst>'
    )
    rows = "".join(
        f'<row r="{i}"><c r="A{i}" t="s"><v>0</v></c></row>' for i in range(1, cells + 1)
    )
    sheet = (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>'
    )
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx_bytes())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode()
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" '
                    b'Target="sharedStrings.xml"/></Relationships>',
                )
            elif info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            target.writestr(info.filename, data)
        target.writestr("xl/sharedStrings.xml", strings)
    return out.getvalue()


def many_entries_xlsx(entries: int = 20_000) -> bytes:
    """A real workbook with thousands of tiny extra parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes())) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        for i in range(entries):
            target.writestr(f"customXml/item{i}.xml", b"<a/>")
    return out.getvalue()


def far_cell_xlsx() -> bytes:
    """Two cells, at A1 and XFD1048576: 5 KB that a reader would lay out as 17 billion cells."""
    book = openpyxl.Workbook()
    book.active["A1"] = "trainee"
    book.active["XFD1048576"] = "x"
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


_ODS_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    '<office:body><office:spreadsheet><table:table table:name="S">{rows}</table:table>'
    "</office:spreadsheet></office:body></office:document-content>"
)
_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
    "{encryption}</manifest:file-entry></manifest:manifest>"
)


def ods_bytes(rows: str, encryption: str = "") -> bytes:
    """An OpenDocument spreadsheet with the given table rows (XML) in its one sheet."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr(
            "content.xml", _ODS_CONTENT.format(rows=rows), compress_type=zipfile.ZIP_DEFLATED
        )
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST.format(encryption=encryption))
    return out.getvalue()


def repeated_ods() -> bytes:
    """Under 1 KB: one cell repeated across every column of every row of a sheet."""
    return ods_bytes(
        '<table:table-row table:number-rows-repeated="1048576"><table:table-cell '
        'table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p>'
        "</table:table-cell></table:table-row>"
    )


def protected_ods() -> bytes:
    """What LibreOffice writes for a password: the manifest lists how content.xml is encrypted."""
    return ods_bytes(
        "<table:table-row><table:table-cell/></table:table-row>",
        encryption='<manifest:encryption-data manifest:checksum-type="SHA1/1K" '
        'manifest:checksum="x"><manifest:algorithm manifest:algorithm-name="Blowfish CFB" '
        'manifest:initialisation-vector="x"/></manifest:encryption-data>',
    )


def protected_xlsx() -> bytes:
    """A workbook saved with a password (an encrypted OLE2 package, as Excel writes)."""
    locked = io.BytesIO()
    OOXMLFile(io.BytesIO(xlsx_bytes())).encrypt("secret", locked)
    return locked.getvalue()


def protected_xls() -> bytes:
    """An old-format workbook with the FILEPASS record Excel writes when a password is set."""
    book = xlwt.Workbook()
    book.add_sheet("S").write(0, 0, "trainee")
    original = book.get_biff_data

    def with_filepass() -> bytes:
        data = original()
        bof_length = struct.unpack_from("<H", data, 2)[0]
        # FILEPASS (0x002F), RC4 encryption: type 1, version 1.1, salt, verifier and its hash
        filepass = struct.pack("<HHHHH", 0x002F, 54, 1, 1, 1) + bytes(48)
        return data[: 4 + bof_length] + filepass + data[4 + bof_length :]

    book.get_biff_data = with_filepass
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


_SHEET_WITH_DTD = (
    '<?xml version="1.0"?>\n<!DOCTYPE worksheet [{entities}]>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>{text}</t></is></c></row></sheetData>'
    "</worksheet>"
)


def billion_laughs_xlsx() -> bytes:
    """A sheet whose one cell is an entity that expands to 10^9 "lol"s."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10)
    )
    sheet = _SHEET_WITH_DTD.format(entities=entities, text="&lol9;")
    return _replace_part(xlsx_bytes(), "xl/worksheets/sheet1.xml", sheet.encode())


def external_entity_xlsx(url: str) -> bytes:
    """A sheet whose one cell is an external entity: a reader that resolves it fetches `url`."""
    sheet = _SHEET_WITH_DTD.format(entities=f'<!ENTITY xxe SYSTEM "{url}">', text="&xxe;")
    return _replace_part(xlsx_bytes(), "xl/worksheets/sheet1.xml", sheet.encode())


def _xls(write: Callable[[xlwt.Worksheet], None]) -> bytes:
    book = xlwt.Workbook()
    write(book.add_sheet("S"))
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def far_cell_xls() -> bytes:
    """5 KiB: a cell at A1 and one at IV65536, the last an .xls can have. A reader lays out
    the 16.7 million cells between them (30 s and 1.5 GiB when tried)."""

    def write(sheet: xlwt.Worksheet) -> None:
        sheet.write(0, 0, "trainee")
        sheet.write(65_535, 255, "x")

    return _xls(write)


def shared_text_xls(cells: int = 7_000) -> bytes:
    """270 KiB: one 32,000-character string, stored once, named by every cell; a reader gives
    each cell its own copy (700 MiB when tried)."""

    def write(sheet: xlwt.Worksheet) -> None:
        text = "y" * 32_000
        for row in range(cells):
            sheet.write(row, 0, text)

    return _xls(write)


def sparse_file(path: Path, size: int) -> Path:
    """A file of `size` bytes that takes no disk space (only its size is ever looked at)."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


HOSTILE: dict[str, Callable[[], bytes]] = {
    "bomb.xlsx": zip_bomb_xlsx,
    "liar.xlsx": lying_size_xlsx,
    "entries.xlsm": many_entries_xlsx,
    "shared.xlsx": shared_text_xlsx,
    "far.xlsx": far_cell_xlsx,
    "far.xls": far_cell_xls,
    "shared.xls": shared_text_xls,
    "repeated.ods": repeated_ods,
    "laughs.xlsx": billion_laughs_xlsx,
    "cells.csv": lambda: b"," * (12 * MIB),
}
