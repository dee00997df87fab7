"""Notes and documents of a case through the API: the same rules as the case page, JSON errors."""

from __future__ import annotations

from io import BytesIO

from tests.document_samples import HTML, PDF

NORTH = {"provider_org": "north-probation"}


def test_notes_are_added_and_listed_by_who_may_see_the_case(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    path = f"/process-instances/{case.id}/notes"
    note = api.post(path, people.provider, {"text": "Line one\nLine two"}, expect=201)
    assert note["text"] == "Line one\nLine two" and note["added_by"] == people.provider.username
    listed = api.get(path, people.team)["items"]
    assert [n["id"] for n in listed] == [note["id"]] and listed[0]["added_at"]
    kinds = [e["kind"] for e in api.get(f"/process-instances/{case.id}/events", people.team)["items"]]
    assert "case-note" in kinds


def test_a_note_is_validated_with_a_json_error_body(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    path = f"/process-instances/{case.id}/notes"
    assert api.post(path, people.team, {"text": "  "}, expect=422)["error"]["fields"] == {"text": ["Enter the note"]}
    assert "text" in api.post(path, people.team, {"text": "x" * 4001}, expect=422)["error"]["fields"]
    assert "text" in api.post(path, people.team, {}, expect=422)["error"]["fields"]
    assert api.get(path, people.team)["items"] == []


def test_another_organisation_gets_not_found_for_notes_and_documents(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    base = f"/process-instances/{case.id}"
    api.post(f"{base}/notes", people.other_provider, {"text": "Not mine"}, expect=404)
    api.get(f"{base}/notes", people.other_provider, expect=404)
    api.get(f"{base}/attachments", people.other_provider, expect=404)
    added = _upload(api, base, people.provider, "letter.pdf", PDF, expect=201).get_json()
    api.call("GET", f"{base}/attachments/{added['id']}", people.other_provider, expect=404)
    _upload(api, base, people.other_provider, "mine.pdf", PDF, expect=404)
    assert api.get(f"{base}/notes", people.team)["items"] == []


def _upload(api, base, user, name, content, *, expect):  # type: ignore[no-untyped-def]
    data = {"files": (BytesIO(content), name)}
    return api.call("POST", f"{base}/attachments", user, expect=expect, data=data, content_type="multipart/form-data")


def test_a_document_is_uploaded_listed_and_downloaded_as_an_attachment(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    base = f"/process-instances/{case.id}"
    added = _upload(api, base, people.team, "../report.pdf", PDF, expect=201).get_json()
    assert (added["filename"], added["content_type"], added["size"]) == ("report.pdf", "application/pdf", len(PDF))
    assert [a["id"] for a in api.get(f"{base}/attachments", people.provider)["items"]] == [added["id"]]
    download = api.call("GET", f"{base}/attachments/{added['id']}", people.provider, expect=200)
    assert download.data == PDF and download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    kinds = [e["kind"] for e in api.get(f"{base}/events", people.team)["items"]]
    assert kinds.count("attachment-added") == 1 and kinds.count("attachment-downloaded") == 1


def test_a_file_that_is_not_what_it_is_called_is_refused(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    base = f"/process-instances/{case.id}"
    error = _upload(api, base, people.team, "report.pdf", HTML, expect=422).get_json()["error"]
    assert list(error["fields"]) == ["files"]
    assert api.get(f"{base}/attachments", people.team)["items"] == []


def test_an_id_too_large_for_a_row_is_not_found_on_a_path_with_get_and_post(api, people, small_definition):
    too_large = "30167733963120944"
    for method in ("GET", "POST"):
        response = api.call(method, f"/process-instances/{too_large}/notes", people.team, json={"text": "x"})
        assert response.status_code == 404, (method, response.get_data(as_text=True))
        assert response.get_json()["error"]["code"] == "not_found"
