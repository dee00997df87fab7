"""Every evasion in the corpus is refused, in the field it is in and without echoing the value; its
clean counterpart passes. Checked through ``publication_check.check_pack``, as every form submission is."""

from __future__ import annotations

import re

import pytest

from app.services import publication_check
from app.services.reports import SECTIONS
from tests.services.anonymisation_corpus import CASE, CORPUS

FIELD = "anonymised_what_happened"
SECRETS = (
    "Blackwood",
    "Smith",
    "Jones",
    "Zoe",
    "Zo\u00eb",
    "Oduya",
    "Lambert",
    "Ng",
    "654321",
    "52494",
    "1990",
    "Harbour",
    "SO50",
    "Eastleigh",
    "Jordan",
    "Priya",
)
IDS = [f"{category}: {label}" for category, label, _, _ in CORPUS]


def pack_with(text: str) -> dict:
    pack = {f"anonymised_{name}": "Nothing to say." for name, _ in SECTIONS}
    pack[FIELD] = text
    return pack


def test_the_corpus_is_large_enough():
    categories = [category for category, *_ in CORPUS]
    assert len(CORPUS) >= 60
    assert {c: categories.count(c) >= 8 for c in ("names", "dates", "identifiers", "addresses")} == dict.fromkeys(
        ("names", "dates", "identifiers", "addresses"), True
    )


@pytest.mark.parametrize(("category", "label", "evasion", "clean"), CORPUS, ids=IDS)
def test_an_evasion_is_refused(category, label, evasion, clean):
    problems = publication_check.check_pack(pack_with(evasion), CASE, "")
    assert FIELD in problems, f"{category} evasion passed the check: {label}"
    assert set(problems) == {FIELD}
    for message in problems[FIELD]:
        assert message.startswith("What happened")
        for secret in SECRETS:
            assert not re.search(rf"\b{secret}\b", message, re.IGNORECASE), message


@pytest.mark.parametrize(("category", "label", "evasion", "clean"), CORPUS, ids=IDS)
def test_its_clean_counterpart_passes(category, label, evasion, clean):
    assert publication_check.check_pack(pack_with(clean), CASE, "") == {}
