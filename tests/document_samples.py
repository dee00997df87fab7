"""Small files of each kind people attach to a case, and files that only pretend to be one."""

from __future__ import annotations

import io
import zipfile

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of Office 97-2003 files (and .msi, .msg, ...)
WORD_97 = OLE2 + b"\x00" * 504 + b"\xec\xa5\xc1\x00" + b"\x00" * 64  # Word's file information block at 512
EXCEL_97 = OLE2 + b"\x00" * 600
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def zipped(*names: str) -> bytes:
    """A zip of ``names``, the same bytes in every process: a test named after its content (pytest-xdist's
    workers must collect the same names) would differ with each entry's time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name in names:
            package.writestr(zipfile.ZipInfo(name, date_time=(2027, 3, 1, 9, 0, 0)), "<x/>")
    return buffer.getvalue()


DOCX = zipped("[Content_Types].xml", "_rels/.rels", "word/document.xml")
XLSX = zipped("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml")
PLAIN_ZIP = zipped("notes.txt")
