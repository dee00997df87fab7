"""Documents added to a case: PDF, Word (.docx, .doc) and PNG/JPEG/GIF images, recognised by their
content, never by their name or what the browser said. Anyone who may see the case may add and download
them; every upload and download is in the case's audit trail.

The bytes are kept in the database (the default) or, when SFO_ATTACHMENT_DIR is set, in a file of that
directory named by a random id: the sanitised name people gave the file is only ever shown and offered as
the download name. A stored attachment is read back from where it was put, whatever the setting is now."""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import Response, current_app, send_file
from sqlalchemy import select

from ..extensions import db
from ..models import CaseAttachment, ProcessInstance, User
from .access import check_instance_visible
from .audit import record_event
from .errors import Invalid, NotFound
from .runtime import now, transactional

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# content type -> (what people call it, the file name endings it may have; the first is added when missing)
ACCEPTED = {
    "application/pdf": ("a PDF", (".pdf",)),
    DOCX: ("a Word document", (".docx",)),
    "application/msword": ("a Word 97-2003 document", (".doc",)),
    "image/png": ("a PNG image", (".png",)),
    "image/jpeg": ("a JPEG image", (".jpg", ".jpeg")),
    "image/gif": ("a GIF image", (".gif",)),
}
ACCEPTED_TEXT = "a PDF, a Word document (.docx or .doc), or a PNG, JPEG or GIF image"
FIELD = "attachment"
NAME_LIMIT = 120
STORAGES = ("database", "directory")


def max_bytes() -> int:
    return int(current_app.config["SFO_ATTACHMENT_MAX_BYTES"])


def size_text(size: int) -> str:
    """A size as people read it: 12 KB, 3.4 MB."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def content_type_of(content: bytes) -> str | None:
    """The accepted type the content is, or None. A .docx must be a zip holding a Word document part."""
    import filetype  # only uploads need it: a web worker may never load it

    kind = filetype.guess(content)
    mime = kind.mime if kind is not None else None
    if mime == "application/zip" or mime == DOCX:
        return DOCX if _is_word_package(content) else None
    return mime if mime in ACCEPTED else None


def _is_word_package(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            names = set(package.namelist())  # the central directory only: nothing is decompressed
    except (zipfile.BadZipFile, ValueError):
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*;]+')


def safe_filename(given: str | None, content_type: str) -> str:
    """The name to show and offer for download: no folders, control or markup characters, leading dots or
    runs of spaces; at most NAME_LIMIT characters; ending as the content's type does."""
    base = unicodedata.normalize("NFC", given or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = " ".join(_UNSAFE.sub(" ", base).split()).lstrip(". ").rstrip(". ")
    endings = ACCEPTED[content_type][1]
    stem, dot, ending = base.rpartition(".")
    if not dot or f".{ending.lower()}" not in endings:
        stem = base
    stem = stem.rstrip(". ")[: NAME_LIMIT - 5] or "document"
    chosen = f".{ending.lower()}" if dot and f".{ending.lower()}" in endings else endings[0]
    return stem + chosen


def _wrong_ending(given: str | None, content_type: str) -> str | None:
    """A message when the file's name says another accepted type than its content is (report.pdf that is a PNG)."""
    name = (given or "").lower()
    ending = "." + name.rpartition(".")[2] if "." in name else ""
    for other, (called, endings) in ACCEPTED.items():
        if other != content_type and ending in endings:
            return f"The selected file is called {ending} but it is {ACCEPTED[content_type][0]}, not {called}"
    return None


def _refuse(message: str) -> Invalid:
    return Invalid(message + ".", {FIELD: [message]})


def check_upload(filename: str | None, content: bytes) -> str:
    """The content type of an acceptable upload; Invalid (the field ``attachment``) otherwise."""
    if not filename and not content:
        raise _refuse("Select a file")
    if not content:
        raise _refuse("The selected file is empty")
    if len(content) > max_bytes():
        raise _refuse(f"The selected file must be smaller than {size_text(max_bytes())}")
    content_type = content_type_of(content)
    if content_type is None:
        raise _refuse(f"The selected file must be {ACCEPTED_TEXT}")
    wrong = _wrong_ending(filename, content_type)
    if wrong:
        raise _refuse(wrong)
    return content_type


# --- where the bytes are kept ------------------------------------------------------------------


def _directory() -> Path:
    folder = current_app.config.get("SFO_ATTACHMENT_DIR")
    if not folder:
        raise RuntimeError("SFO_ATTACHMENT_DIR is not set, but an attachment is stored in a directory")
    return Path(folder)


def _put(attachment: CaseAttachment, content: bytes) -> None:
    if not current_app.config.get("SFO_ATTACHMENT_DIR"):
        attachment.storage, attachment.content = "database", content
        return
    folder = _directory()
    folder.mkdir(parents=True, exist_ok=True)
    name = uuid.uuid4().hex
    partial = folder / f".{name}.partial"
    with open(partial, "xb") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, folder / name)
    attachment.storage, attachment.stored_name = "directory", name


def stored_content(attachment: CaseAttachment) -> bytes:
    if attachment.storage == "directory":
        try:
            return (_directory() / str(attachment.stored_name)).read_bytes()
        except FileNotFoundError:
            raise NotFound("The document's file is missing from the attachment directory.") from None
    return attachment.content or b""


def stored_files(instance_id: int) -> list[Path]:
    """The files of a case's attachments kept in the directory: removed after their rows are deleted."""
    names = db.session.scalars(
        select(CaseAttachment.stored_name).where(
            CaseAttachment.instance_id == instance_id, CaseAttachment.storage == "directory"
        )
    )
    return [_directory() / name for name in names if name]


def remove_files(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


# --- use cases ------------------------------------------------------------------------------------


def add_attachment(user: User, row: ProcessInstance, filename: str | None, content: bytes) -> CaseAttachment:
    """Check, store and record a document; a file written to the directory is removed again when its row
    cannot be committed."""
    check_instance_visible(user, row)
    content_type = check_upload(filename, content)
    attachment = CaseAttachment(
        instance_id=row.id,
        filename=safe_filename(filename, content_type),
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=user.username,
        uploaded_at=now(),
    )
    _put(attachment, content)
    try:
        return _keep(user, row, attachment)
    except BaseException:
        if attachment.storage == "directory":
            remove_files([_directory() / str(attachment.stored_name)])
        raise


@transactional
def _keep(user: User, row: ProcessInstance, attachment: CaseAttachment) -> CaseAttachment:
    db.session.add(attachment)
    db.session.flush()
    record_event(
        row,
        user.username,
        "attachment-added",
        f"Document added: {attachment.filename} ({size_text(attachment.size)})",
        attachment_id=attachment.id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=attachment.sha256,
        storage=attachment.storage,
    )
    return attachment


def attachments_of(user: User, row: ProcessInstance) -> list[CaseAttachment]:
    """The case's documents, oldest first (without their bytes)."""
    check_instance_visible(user, row)
    query = (
        select(CaseAttachment)
        .where(CaseAttachment.instance_id == row.id)
        .order_by(CaseAttachment.uploaded_at, CaseAttachment.id)
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    content: bytes

    def response(self) -> Response:
        """Always a download, never shown in the browser, never sniffed, never kept in a cache on the way."""
        response = send_file(
            io.BytesIO(self.content),
            mimetype=self.content_type,
            as_attachment=True,
            download_name=self.filename,
            max_age=0,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response


@transactional
def download_attachment(user: User, row: ProcessInstance, attachment_id: int) -> Download:
    """The document's bytes for someone who may see the case; the download is audited."""
    check_instance_visible(user, row)
    attachment = db.session.get(CaseAttachment, attachment_id)
    if attachment is None or attachment.instance_id != row.id:
        raise NotFound("There is no such document on this case.")
    content = stored_content(attachment)
    record_event(
        row,
        user.username,
        "attachment-downloaded",
        f"Document downloaded: {attachment.filename}",
        attachment_id=attachment.id,
        filename=attachment.filename,
    )
    return Download(attachment.filename, attachment.content_type, content)
