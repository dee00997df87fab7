"""Importing a process-model folder zip: damaged or hostile archives are refused with a clear message."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from app.services import modelling
from app.services.errors import Invalid
from tests.conftest import make_user

LIMIT = 20 * 1024 * 1024


def _zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _exported(app, sfo_definition) -> bytes:  # type: ignore[no-untyped-def]
    return modelling.export_zip(make_user("process-owner"), "sfo_review", 1)


def _flip_a_byte_of(content: bytes, entry: str, offset: int = 5) -> bytes:
    """Corrupt the stored data of ``entry`` (the archive's directory still looks fine)."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    info = archive.getinfo(entry)
    header = 30 + len(info.filename.encode()) + len(info.extra)
    position = info.header_offset + header + offset
    damaged = bytearray(content)
    damaged[position] ^= 0xFF
    return bytes(damaged)


def _refusal(content: bytes) -> Invalid:
    with pytest.raises(Invalid) as raised:
        modelling.read_zip(content, LIMIT)
    return raised.value


def test_a_bad_crc_is_refused(app):
    content = _zip({"p/process_model.json": b"{}", "p/a.bpmn": b"<definitions/>" * 50}, zipfile.ZIP_STORED)
    refusal = _refusal(_flip_a_byte_of(content, "p/a.bpmn"))
    assert "damaged" in refusal.message and "a.bpmn" in str(refusal.fields)


def test_corrupt_deflate_data_is_refused(app):
    content = _zip({"p/process_model.json": b"{}", "p/a.bpmn": bytes(range(256)) * 40})
    refusal = _refusal(_flip_a_byte_of(content, "p/a.bpmn", offset=2))
    assert "damaged" in refusal.message


@pytest.mark.parametrize("metadata", [b"[]", b"[1, 2]", b'"text"', b"3", b"null"])
def test_process_model_json_must_be_an_object(app, metadata):
    refusal = _refusal(_zip({"p/process_model.json": metadata, "p/a.bpmn": b"<definitions/>"}))
    assert "process_model.json" in refusal.fields and "object" in str(refusal.fields)


@pytest.mark.parametrize("name", ["p\\a.bpmn", "p/..\\..\\a.bpmn", "C:\\a.bpmn"])
def test_entries_with_backslashes_are_refused(app, name):
    refusal = _refusal(_zip({"p/process_model.json": b"{}", name: b"<definitions/>"}))
    assert "backslash" in str(refusal.fields)


def test_process_model_json_with_odd_fields_is_refused_not_a_500(app):
    metadata = json.dumps({"primary_process_id": ["x"], "files": "nope"}).encode()
    owner = make_user("process-owner")
    with pytest.raises(Invalid):
        modelling.import_zip(owner, _zip({"p/process_model.json": metadata, "p/a.bpmn": b"<definitions/>"}), LIMIT)
