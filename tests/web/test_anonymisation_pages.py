"""The anonymisation check on the task pages, without JavaScript: every problem in the error summary,
a match kept after review, and the approval refused to the person who anonymised."""

from __future__ import annotations

import html
import re

from tests.services.test_publication import clean_pack, convicted_case

FROM_JORDAN = "The family had moved to England from Jordan before he was born."


def posted(pack: dict) -> list[tuple[str, str]]:
    """The anonymisation form as the page posts it: list items as dotted paths, checkboxes repeated."""
    fields: list[tuple[str, str]] = []
    for name, value in pack.items():
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    fields += [(f"{name}.{index}.{key}", str(v)) for key, v in item.items()]
                else:
                    fields.append((name, str(item)))
        else:
            fields.append((name, str(value)))
    return [*fields, ("form_action", "submit")]


def error_summary(page) -> list[str]:
    summary = page.html.split("govuk-error-summary__list")[1].split("</ul>")[0]
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split())
        for item in re.findall(r"<li>(.*?)</li>", summary, re.S)
    ]


def test_every_problem_is_listed_and_a_reviewed_match_is_kept(sfo_definition, people, signed_in):
    case = convicted_case(people, sfo_definition)
    task = case.task("anonymise_report")
    web = signed_in(people.publication)
    web.get(f"/tasks/{task.id}")
    text = f"Mr Blackwood was born on 4th March 1990.\n{FROM_JORDAN}"
    page = web.post(f"/tasks/{task.id}", posted(clean_pack(anonymised_what_happened=text)), expect=200)
    problems = error_summary(page)
    assert [p.split(".")[0] for p in problems] == [
        "What happened, 1st paragraph, still contains a word that matches part of the name of the person on probation",
        "What happened, 1st paragraph, still contains a date that matches the person's date of birth",
        "What happened, 2nd paragraph, still contains a word that matches part of the name of the person on probation",
    ]
    assert all('href="#anonymised_what_happened"' in page.html for _ in problems)
    for secret in ("Blackwood", "Jordan", "1990", "4th March"):
        assert all(secret not in problem for problem in problems)
    reference = re.search(r"reference (R-[0-9A-F]{8})", problems[2]).group(1)

    kept = clean_pack(
        anonymised_what_happened=f"Mr A moved house.\n{FROM_JORDAN}",
        reviewed_matches=[{"reference": reference.lower(), "reason": "The country, not his name."}],
    )
    web.post(f"/tasks/{task.id}", posted(kept), expect=302)
    assert case.task("coordinate_publication")
    history = web.get(f"/cases/{case.row.business_key}").text
    assert f"kept a match after review ({reference})" in history

    case.do("provide_progress_summary")
    case.do("coordinate_publication", publication_date="2027-03-01")
    approver = signed_in(people.approver).get(f"/tasks/{case.task('approve_publication').id}")
    kept = approver.html.split('id="kept-matches"')[1].split("</div>")[0]
    assert people.publication.username in kept and "The country, not his name." in kept
    assert "What happened, 2nd paragraph, still contains a word that matches part of the name" in kept
    assert "Jordan" not in kept.replace("The country, not his name.", "")


def test_the_anonymiser_sees_why_they_cannot_approve(sfo_definition, people, signed_in):
    case = convicted_case(people, sfo_definition)
    case.do("anonymise_report", **clean_pack())
    case.do("provide_progress_summary")
    case.do("coordinate_publication", publication_date="2027-03-01")
    task = case.task("approve_publication")
    web = signed_in(people.publication)
    page = web.get(f"/tasks/{task.id}")
    assert 'id="duty-conflict"' in page.html and "someone else must approve" in page.text
    assert 'name="publish_approved"' not in page.html
    refused = web.post(f"/tasks/{task.id}", {"publish_approved": True, "form_action": "submit"}, expect=403)
    assert "someone else must approve" in refused.get_data(as_text=True)
    assert case.task("approve_publication").state == "ready"

    approver = signed_in(people.approver)
    assert 'name="publish_approved"' in approver.get(f"/tasks/{task.id}").html
