"""Time the anonymisation check on a realistic report, and count what it finds in clean text.

python bench/anonymisation_gate.py [--runs N] [--words N]

The report is written like an SFO review (dates, places, roles, agencies, months, capitalised terms)
and names no one from the case, so everything the check finds in it is a false positive. It is
checked against the case of the test corpus and against cases of people whose names are also
English words (Walker, Hope, May, ...), which is where false positives come from. The fuzzy threshold
sweep counts misspelling matches in the clean report (false positives) and in the corpus' misspelt
names (caught), for each threshold.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.services import publication  # noqa: E402
from app.services.reports import SECTIONS  # noqa: E402

SENTENCES = (
    "Mr A was released from HMP Winchester on licence on 14 March 2024 and was allocated to a probation "
    "practitioner in the Southampton probation delivery unit.",
    "The initial OASys assessment was completed within the national standard of 15 working days, but it did not "
    "draw on the information held by the police about previous call-outs to the family home.",
    "A MAPPA referral was considered at the first supervision appointment and was not made, because the "
    "practitioner judged that the risk could be managed at level 1.",
    "In May the Child Safeguarding Practice Review panel wrote to the provider asking for the case records.",
    "The practitioner carried a caseload of 62 cases against a target of 45, and had no protected time for "
    "reflective supervision during the period under review.",
    "Home visits were planned every six weeks; three of the eight planned visits took place, and none of them "
    "was unannounced.",
    "The senior probation officer countersigned the risk management plan on 2 June 2024 without recording "
    "whether the information from children's social care had been considered.",
    "Partnership working with the Integrated Offender Management team was good, and information about arrests "
    "was shared promptly.",
    "On 21 August 2024 the police attended an address on the High Street after a report of a disturbance.",
    "The review found that the sentence plan did not address the person's use of alcohol, although it was "
    "identified as a factor in the index offence and in two previous convictions.",
    "Mr A missed appointments on 5 and 19 September; a warning letter was sent but enforcement action was not "
    "taken, and the reasons were not recorded.",
    "The practitioner told the reviewer that she felt unable to challenge the decision because the case had been "
    "discussed at a Wednesday allocation meeting chaired by a manager.",
    "HM Inspectorate of Probation has reported similar findings in its thematic inspection of domestic abuse work.",
    "Good practice was evident in the prompt response of the duty officer, who contacted the police within an "
    "hour of receiving the call from Mr A's employer.",
    "The provider should make sure that every risk management plan records the information sought from "
    "partner agencies and how it was used.",
    "Staff described the move to a new case management system in April as a period of considerable disruption.",
    "The Parole Board set licence conditions that included a curfew, an exclusion zone and a requirement to "
    "engage with a drug and alcohol service.",
    "The approved premises keyworker recorded concerns about Mr A's behaviour towards female residents, but "
    "these were not passed to the community practitioner.",
    "National guidance on the management of domestic abuse cases was updated in January and had not been "
    "briefed to the team.",
    "The review considered whether the outcome could have been predicted and concluded that it could not, but "
    "that the risk of harm to a partner was under-estimated.",
)
RESPONSES = (
    "A new checklist for transfers will be introduced by the head of the probation delivery unit.",
    "Senior managers will audit a sample of ten cases each quarter.",
)


def realistic_pack(words: int) -> dict[str, Any]:
    """An anonymised report of about ``words`` words, spread over the sections as real reports are."""
    paragraphs: list[str] = []
    count, index = 0, 0
    while count < words:
        paragraph = " ".join(SENTENCES[(index + k) % len(SENTENCES)] for k in range(4))
        paragraphs.append(paragraph)
        count += len(paragraph.split())
        index += 3
    share = max(1, len(paragraphs) // len(SECTIONS))
    pack: dict[str, Any] = {
        f"anonymised_{name}": "\n".join(paragraphs[i * share : (i + 1) * share]) or paragraphs[0]
        for i, (name, _) in enumerate(SECTIONS)
    }
    pack["anonymised_recommendations"] = [{"text": SENTENCES[14]}, {"text": SENTENCES[19]}]
    pack["anonymised_responses"] = [{"action": text, "owner": "Head of PDU"} for text in RESPONSES]
    pack["anonymised_progress_summary"] = "\n".join(paragraphs[:2])
    pack["redaction_log"] = [{"category": "person", "original": "Jordan Blackwood", "replacement": "Mr A"}]
    return pack


def case_for(pack: dict[str, Any], person: str = "Jordan Blackwood") -> dict[str, Any]:
    return {
        "person_name": person,
        "date_of_birth": "1990-05-17",
        "crn": "X654321",
        "pnc": "2012/0052494X",
        "person_address": "14 Harbour Road, Eastleigh, SO50 5AB",
        "victim_names": "Zoe Smith-Jones\nSam Oduya",
        "staff_names": "Priya Lambert\nKwame Ng",
        "recommendations": pack["anonymised_recommendations"],
        "responses": pack["anonymised_responses"],
    }


def timing(pack: dict[str, Any], runs: int) -> None:
    case = case_for(pack)
    times, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        problems = publication.check_pack(pack, case, "")
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    words = sum(len(str(v).split()) for v in pack.values())
    print(
        f"check_pack on a report of {words} words: median {statistics.median(times) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, CPU median {statistics.median(cpu) * 1000:.1f} ms, n={runs}; "
        f"problems found: {sum(len(v) for v in problems.values())}"
    )


WORD_NAMES = (
    "Sam Walker",
    "Hope Parker",
    "May Turner",
    "Grace Hill",
    "Mark Wood",
    "Rose Green",
    "Will White",
    "Faith Hall",
    "Lee Young",
    "Joy King",
    "Dawn Wright",
    "Robin Cooper",
    "Daisy Ward",
    "Ray Hughes",
    "Summer Price",
    "Jack Bell",
    "Ivy Mason",
    "Frank Marsh",
    "Amber Long",
    "Sunny Brown",
)


def false_positives(pack: dict[str, Any]) -> None:
    from app.services import anonymisation  # only in the new check

    demo = {f"anonymised_{name}": f"Example {title.lower()}" for name, title in SECTIONS}
    for label, text_pack, people in (
        ("demo report", demo, ("Jordan Blackwood",)),
        ("realistic report", pack, ("Jordan Blackwood", *WORD_NAMES)),
    ):
        kinds: dict[str, int] = {}
        for person in people:
            case = case_for(pack, person)
            matchers = anonymisation.identifiers(case, text_pack.get("redaction_log"))
            for passage in publication.passages(text_pack, case):
                for finding in anonymisation.check_text(passage.path, passage.where, passage.text, matchers):
                    kind = finding.message.split("still contains ")[-1].rstrip(".")
                    kinds[kind] = kinds.get(kind, 0) + 1
        paragraphs = sum(
            len([p for p in str(t).split("\n") if p.strip()]) for t in text_pack.values() if isinstance(t, str)
        )
        print(
            f"{label}: {len(people)} name set(s), {paragraphs} paragraphs each: "
            f"{sum(kinds.values())} findings {dict(sorted(kinds.items()))}"
        )


def threshold_sweep(pack: dict[str, Any]) -> None:
    from app.services.anonymisation import names
    from tests.services.anonymisation_corpus import CASE, NAMES

    misspelt = [text for label, text, _ in NAMES if label in ("misspelt", "letters swapped", "first name misspelt")]
    original = names.FUZZY_THRESHOLD
    for threshold in (0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
        names.FUZZY_THRESHOLD = threshold
        false = 0
        for person in ("Jordan Blackwood", *WORD_NAMES):
            matcher = names.NameMatcher(person, "the person", "person")
            for passage in publication.passages(pack, case_for(pack, person)):
                from app.services.anonymisation.text import paragraphs

                false += sum(
                    1 for p in paragraphs(passage.text) for m in matcher.matches(p) if m.kind.endswith("fuzzy")
                )
        matcher = names.NameMatcher(CASE["person_name"], "the person", "person")
        from app.services.anonymisation.text import paragraphs

        caught = sum(any(m.kind.endswith("fuzzy") for p in paragraphs(t) for m in matcher.matches(p)) for t in misspelt)
        print(
            f"fuzzy threshold {threshold:.2f}: {false} misspelling matches in the clean report over "
            f"{1 + len(WORD_NAMES)} names; {caught} of {len(misspelt)} corpus misspellings caught"
        )
    names.FUZZY_THRESHOLD = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--words", type=int, default=8000)
    options = parser.parse_args()
    pack = realistic_pack(options.words)
    timing(pack, options.runs)
    try:
        false_positives(pack)
        threshold_sweep(pack)
    except ImportError:
        print("(no false-positive figures: this version has no anonymisation module)")


if __name__ == "__main__":
    main()
