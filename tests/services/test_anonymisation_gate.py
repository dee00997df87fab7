"""The matchers one by one: what they must catch, what they must leave alone, and random disguises."""

from __future__ import annotations

import contextlib
import random
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.anonymisation import check_text, identifiers, reference_keys, reference_tails
from app.services.anonymisation.gate import reference_tails_in
from app.services.anonymisation.numbers import CaseReferenceMatcher
from app.services.anonymisation.text import fold, invisible_characters
from tests.services.anonymisation_corpus import CASE

MATCHERS = identifiers(CASE)
FORMAT_CHARACTERS = ("\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\u202e", "\u2066", "\u180e", "\u034f")
LOOK_ALIKES = {"a": "\u0430", "c": "\u0441", "o": "\u043e", "B": "\u0392", "k": "\u03ba", "d": "\u0501"}


def found(text: str) -> list[str]:
    return [f.message for f in check_text("anonymised_summary", "Summary", text, MATCHERS)]


@pytest.mark.parametrize(
    "text",
    [
        "He was born on 17 May 1991.",  # another year
        "He was born on 18/05/1990.",  # another day
        "The hearing was on 17 May.",  # no year
        "In May 1990 the law changed.",  # no day
        "The practitioner may visit and will call.",  # everyday words
        "She said she would do it.",  # "do" in lower case is not the surname Do
        "Case X654322 is another person's.",  # another CRN
        "PNC 13/52494X is another record.",  # another year
        "He lived on Harbour Street.",  # another street
        "The Blackburn office handled it.",  # two letters from Blackwood, far from a slip
        "Jordanian officials were contacted.",  # a longer word containing a part
        "Mr A, Ms C and Mr D were interviewed.",  # initials that are not theirs
        "The A family and the C household were visited.",  # nor theirs
        "Plan B family work was offered.",  # a capital letter before "family" without "the"
    ],
)
def test_near_misses_pass(text):
    assert found(text) == []


@pytest.mark.parametrize(
    "text, kind",
    [
        ("May he be the judge.", None),
        ("The meeting with Ng was cancelled.", "part of the name of a member of staff"),
        ("the manager, ng, was absent.", None),  # two letters in lower case: an everyday word
        ("Mr NG countersigned.", "part of the name of a member of staff"),
        ("Priya's notes were lost.", "part of the name of a member of staff"),
        ("Mrs B. was not told.", "initials that match the name of the person on probation"),
        ("BLACKWOODS", "part of the name of the person on probation"),
    ],
)
def test_case_rules_for_name_parts(text, kind):
    messages = found(text)
    if kind is None:
        assert messages == []
    else:
        assert any(kind in message for message in messages), messages


def test_folding_turns_look_alikes_and_marks_into_plain_letters():
    assert fold("\uff22l\u0430\u0441kw\u043eo\u0501 Zo\u00eb O\u2019Brien") == "Blackwood Zoe O'Brien"
    assert invisible_characters("a\u200bb\u00adc\u200bd\te\n") == ["U+200B ZERO WIDTH SPACE", "U+00AD SOFT HYPHEN"]


def test_random_disguises_of_the_name_are_always_refused():
    rng = random.Random(20270301)
    for _ in range(300):
        letters = list("Blackwood")
        for _ in range(rng.randint(1, 3)):
            index = rng.randrange(len(letters))
            if rng.random() < 0.5:
                letters[index] = LOOK_ALIKES.get(letters[index], letters[index])
            else:
                letters.insert(index + 1, rng.choice(FORMAT_CHARACTERS))
        text = f"The review met Mr {''.join(letters)} twice."
        messages = found(text)
        assert any("the name of the person on probation" in m for m in messages), (repr(text), messages)


def test_messages_say_which_paragraph():
    text = "Clean.\nClean again.\nBorn 17.05.1990."
    assert found(text) == ["Summary, 3rd paragraph, still contains a date that matches the person's date of birth."]


SHORT_NAMES = identifiers({"person_name": "Sally Hill", "victim_names": "Paul Bell"})


@pytest.mark.parametrize(
    "text",
    [
        "Ms SaIly was supervised.",  # a capital I for the l: the same stroke in the page's sans-serif font
        "Ms HiIl was supervised.",
        "Ms HiII was supervised.",
        "Mr PauI called the police.",
        "Mr BeIl called the police.",
        "Ms Hi11 was supervised.",  # a 1 for each l
        "Ms Sa11y was supervised.",
        "Ms Hil| was supervised.",  # a vertical line for the l
    ],
)
def test_a_letter_l_written_as_a_look_alike_is_refused(text):
    messages = [f.message for f in check_text("anonymised_summary", "Summary", text, SHORT_NAMES)]
    assert any("part of the name of" in m for m in messages), (text, messages)


@pytest.mark.parametrize(
    "text",
    [
        "Mr McIntyre chaired the MAPPA meeting.",  # a capital I inside another name
        "The iPhone was seized in 2021.",
        "The PIs met on 3 May.",
        "He was bailed and the Hall was booked.",
    ],
)
def test_a_capital_i_inside_other_words_passes(text):
    assert [f.message for f in check_text("anonymised_summary", "Summary", text, SHORT_NAMES)] == []


def test_words_that_an_initial_and_a_surname_make_pass_in_prose():
    matchers = identifiers({"person_name": "Amber Long", "victim_names": "Mark Ward\nIvy Mason"})
    text = "He walked along the road to collect an award; the imason@ address was not his."
    assert [f.message for f in check_text("anonymised_summary", "Summary", text, matchers)] == [
        "Summary still contains a word that runs together parts or initials of the name of a victim."
    ]


@pytest.mark.parametrize(
    "text",
    [
        "The review met Mr Black-\nwood twice.",  # hyphenated at the end of a line, as pasted from a PDF
        "The review met Mr Black\nwood twice.",
        "The review met Mr Blackwo\n\nod twice.",
        "She told Ms Smith-\nJones.",
    ],
)
def test_a_name_split_between_two_paragraphs_is_refused(text):
    messages = found(text)
    assert any("1st paragraph, still contains" in m and "the name of" in m for m in messages), messages


def test_words_either_side_of_a_paragraph_break_are_not_joined_into_other_words():
    assert found("The risk was assessed.\nWood was found at the scene.\nBlack paint was used.") == []


SURNAME_FIRST = identifiers({"person_name": "BLACKWOOD, Jordan", "victim_names": "ODUYA, Sam"})


@pytest.mark.parametrize(
    "text, kind",
    [
        ("Mr B was supervised.", "initials that match the name of the person on probation"),
        ("J.B. was supervised.", "initials that match the name of the person on probation"),
        ("JB was supervised.", "initials that match the name of the person on probation"),
        ("Mr O called the police.", "initials that match the name of a victim"),
        ("He posted as @jordanblackwood.", "the name of the person on probation"),
        ("Mr J was supervised.", None),  # his first name's initial, as for "Jordan Blackwood"
    ],
)
def test_a_name_recorded_surname_first_is_read_forenames_first(text, kind):
    messages = [f.message for f in check_text("anonymised_summary", "Summary", text, SURNAME_FIRST)]
    if kind is None:
        assert messages == []
    else:
        assert any(kind in m for m in messages), messages


def test_a_name_recorded_in_another_script_is_found_as_it_is_spelt_in_english():
    """Look-alike folding reads Cyrillic "р" as p and "С" as C, which unmasks a disguise but is not how the
    name is spelt in English: "Смирнова" is Smirnova, not Cmipnova."""
    matchers = identifiers({"person_name": "Дмитрий Петров", "victim_names": "Ирина Смирнова\nОльга Хачатрян"})
    for text, whose in [
        ("Ms Smirnova called the police.", "a victim"),
        ("Irina called the police.", "a victim"),
        ("Ms Khachatryan called the police.", "a victim"),
        ("Mr Petrov was supervised.", "the person on probation"),
        ("Ms Смирнова called the police.", "a victim"),  # and still as written
    ]:
        messages = [f.message for f in check_text("anonymised_summary", "Summary", text, matchers)]
        assert any(f"the name of {whose}" in m for m in messages), (text, messages)


def test_a_name_written_in_another_script_is_found_as_it_reads():
    """The name recorded in English and written in the report in Cyrillic: "Смирнова" reads Smirnova."""
    matchers = identifiers({"person_name": "Dmitriy Petrov", "victim_names": "Irina Smirnova\nOlga Khachatryan"})
    for text in ("Ms Смирнова called the police.", "Ирина called the police.", "Ms Хачатрян called the police."):
        messages = [f.message for f in check_text("anonymised_summary", "Summary", text, matchers)]
        assert any("the name of a victim" in m for m in messages), (text, messages)
    assert [f.message for f in check_text("s", "Summary", "Отчёт о проверке был отправлен.", matchers)] == []


@pytest.mark.parametrize(
    "text", ["Mr J0nes called.", "Mr Jon3s called.", "Mr D4vies called.", "Ms Ev4ns called.", "Ms Evan5 called."]
)
def test_a_name_ending_in_s_with_digits_for_letters_is_refused(text):
    """The disguised reading was cut to its singular only: "J0nes" read as jon, never as jones."""
    matchers = identifiers({"person_name": "Gareth Jones", "victim_names": "Rhys Davies\nCarys Evans"})
    messages = [f.message for f in check_text("anonymised_summary", "Summary", text, matchers)]
    assert any("with digits, symbols or look-alike letters" in m for m in messages), messages


@pytest.mark.parametrize("text", ["The Rowes moved house.", "The Lees were not told.", "The Pikes' home was visited."])
def test_the_plural_of_a_name_ending_in_e_is_refused(text):
    """A plural was cut to one stem, "es" off before "s": "Rowes" was row, never rowe."""
    matchers = identifiers({"person_name": "Dave Rowe", "victim_names": "Amy Lee\nJo Pike"})
    messages = [f.message for f in check_text("anonymised_summary", "Summary", text, matchers)]
    assert any("a word that matches part of the name of" in m for m in messages), messages


ONE_LINE_ADDRESS = identifiers({"person_address": "Flat 3 Kingfisher Court 14 Harbour Road Eastleigh SO50 5AB"})


@pytest.mark.parametrize(
    "text, kind",
    [
        ("He lived on Harbour Road.", "the street of the person's address"),
        ("He lived at 14 Harbour Rd.", "the street of the person's address"),
        ("Kingfisher Ct was visited.", "the street of the person's address"),
        ("He moved back to Eastleigh.", "a place named in the person's address"),
        ("He lived in a flat.", None),
    ],
)
def test_an_address_written_without_commas_is_read_part_by_part(text, kind):
    messages = [f.message for f in check_text("anonymised_summary", "Summary", text, ONE_LINE_ADDRESS)]
    if kind is None:
        assert messages == []
    else:
        assert any(kind in m for m in messages), messages


def test_a_word_left_after_a_street_that_only_qualifies_it_is_not_a_place():
    matchers = identifiers({"person_address": "2 Station Road North, Eastleigh"})
    assert [f.message for f in check_text("s", "Summary", "He moved north in 2023.", matchers)] == []
    messages = [f.message for f in check_text("s", "Summary", "He lived on Station Rd.", matchers)]
    assert messages == ["Summary still contains the street of the person's address."]


@pytest.mark.parametrize(
    "text", ["He moved back to East-\nleigh.", "He moved back to East-leigh.", "He moved to E a s t l e i g h."]
)
def test_a_town_split_up_is_refused(text):
    assert any("a place named in the person's address" in m for m in found(text)), found(text)


def test_rn_in_ordinary_words_is_not_read_as_m():
    matchers = identifiers({"person_name": "Tom Kerr", "victim_names": "Sam Leam"})
    text = "His jacket was torn; he had to learn to return on time. Barnes and Turner were not involved."
    assert [f.message for f in check_text("s", "Summary", text, matchers)] == []


@pytest.mark.parametrize(
    "text, whose",
    [
        ("The campaign #JusticeForZoe spread online.", "a victim"),
        ("The page RIPSamOduya was taken down.", "a victim"),
        ("Supporters used #FreeBlackwood.", "the person on probation"),
        ("His account PriyaLambertPO was closed.", "a member of staff"),
    ],
)
def test_a_name_inside_a_word_written_in_camel_case_is_refused(text, whose):
    """A hashtag or a username runs words together with a capital for each: the name is one of them."""
    assert any(f"part of the name of {whose}" in m for m in found(text)), found(text)


def test_words_in_camel_case_that_are_not_names_pass():
    assert found("He used WhatsApp, YouTube and PowerPoint; the PDUs and MAPPAs were told.") == []


ANNOTATED = identifiers(
    {
        "person_aliases": "Kane Dawson (street name)",
        "victim_names": "Sam Oduya (son, aged 12)\nZoe Smith - partner",
        "staff_names": "DS Kate Price, police",
    }
)


@pytest.mark.parametrize(
    "text, whose",
    [
        ("S.O. was at home.", "a victim"),
        ("ZS was at home.", "a victim"),
        ("Ms S was at home.", "a victim"),
        ("KP completed the assessment.", "a member of staff"),
        ("DS P completed the assessment.", "a member of staff"),
        ("KD was seen in the town centre.", "the person on probation"),
    ],
)
def test_the_initials_of_a_name_with_a_note_beside_it_are_refused(text, whose):
    """A note in a name line ("(son, aged 12)", "- partner", ", police") was read as more of the name, so
    its initials and "Ms S" were made from the wrong words and the real ones passed."""
    messages = [f.message for f in check_text("s", "Summary", text, ANNOTATED)]
    assert any(f"initials that match the name of {whose}" in m for m in messages), messages


def test_the_words_of_a_note_beside_a_name_pass():
    text = "Her son, aged 12, and her partner called the police; his street name was known to them."
    assert [f.message for f in check_text("s", "Summary", text, ANNOTATED)] == []


@pytest.mark.parametrize(
    "text, kind",
    [
        ("ZO was at home.", "initials that match the name of a victim"),
        ("Ms L called the police.", "initials that match the name of a victim"),
        ("BH called the police.", "initials that match the name of a victim"),
        ("Amy Lee called the police.", "the name of a victim"),
    ],
)
def test_several_people_on_one_name_line_are_each_read_as_a_name(text, kind):
    """Sam and Zoe Oduya is two people with one surname, "Amy Lee; Ben Hart" two people: read as one
    name of four words, neither's initials nor full name was found."""
    matchers = identifiers({"victim_names": "Sam and Zoe Oduya\nAmy Lee; Ben Hart"})
    messages = [f.message for f in check_text("s", "Summary", text, matchers)]
    assert any(f"still contains {kind}." in m for m in messages), messages


@pytest.mark.parametrize("line", ["Sam oduya", "Zoe smith-jones; Kwame ng"])
def test_a_name_typed_without_its_capitals_is_still_read_whole(line):
    """A word without a capital beside a name is a note only when it says who someone is ("son", "partner"):
    a surname typed in lower case is still the surname, and the report still may not name it."""
    matchers = identifiers({"victim_names": line})
    for text in ("Ms Oduya was at home.", "Ms Smith-Jones was at home.", "Mr Ng was at home."):
        surname = text.split()[1]
        if surname.lower() not in line.lower():
            continue
        messages = [f.message for f in check_text("s", "Summary", text, matchers)]
        assert any("a victim" in m for m in messages), (line, text, messages)


NOTED_IN_THE_LOG = identifiers(
    {},
    [
        {"category": "victim", "original": "Sam Oduya (son, aged 12)", "replacement": "Child B"},
        {"category": "staff", "original": "DS Kate Price - officer in the case", "replacement": "an officer"},
    ],
)


@pytest.mark.parametrize(
    "text, whose",
    [
        ("Sam was at home.", "a victim"),
        ("Mr O called the police.", "a victim"),
        ("Ms Price completed the assessment.", "a member of staff"),
        ("KP completed the assessment.", "a member of staff"),
    ],
)
def test_a_name_logged_as_removed_with_a_note_beside_it_is_read_as_a_name(text, whose):
    """A logged original with a note beside the name did not look like a name, so it was matched only as
    the whole text: the name alone, a part of it or its initials passed."""
    messages = [f.message for f in check_text("s", "Summary", text, NOTED_IN_THE_LOG)]
    assert any(f"the name of {whose}" in m for m in messages), messages


def test_a_place_of_two_words_run_together_is_refused():
    """A street run together ("HarbourRoad") was not refused, nor a town of two words: "BishopsWaltham"."""
    matchers = identifiers({"person_address": "3 Mill Lane, Bishops Waltham, SO32 1AB"})
    messages = [f.message for f in check_text("s", "Summary", "He moved to #BishopsWaltham in 2023.", matchers)]
    assert messages == ["Summary still contains a place named in the person's address."]
    assert [f.message for f in check_text("s", "Summary", "He worked at the mill in 2023.", matchers)] == []


@pytest.mark.parametrize(
    "text",
    [
        "Ms S was at the address.",
        "Ms S-J was at the address.",
        "ZS was at the address.",
        "Z.S-J. was there.",
        "Ms SJ was at the address.",  # the surname's two initials together after a title
        "The SJ family moved.",
    ],
)
def test_the_initials_of_a_double_barrelled_surname_are_refused(text):
    """Initials were made from the last part of the name only: for Zoë Smith-Jones "Ms J" and "ZSJ" were
    refused, but "Ms S", "Ms S-J" and "ZS", as she is as likely to be called, passed."""
    assert any("initials that match the name of a victim" in m for m in found(text)), found(text)


ROLES = identifiers(
    {
        "staff_names": "Priya Lambert, SPO\nKwame Ng - Senior Probation Officer\nTom Hale PO",
        "victim_names": "Ann Cole, Support Worker",
    }
)


def test_a_role_written_beside_a_name_is_not_read_as_a_name():
    """A role after a name ("SPO", "- Senior Probation Officer", "PO") was read as more names, so the
    words every SFO report uses for staff were refused as their names."""
    text = "The SPO countersigned the plan; the PO and a senior probation officer met the support worker."
    assert [f.message for f in check_text("s", "Summary", text, ROLES)] == []


def test_the_initials_of_a_name_with_a_role_after_it_are_refused():
    messages = [f.message for f in check_text("s", "Summary", "Mr H attended.", ROLES)]
    assert messages == ["Summary still contains initials that match the name of a member of staff."]


def test_a_surname_recorded_first_is_a_name_even_when_it_is_also_a_role():
    matchers = identifiers({"victim_names": "Head, John\nChild, Julia (victim)"})
    for text in ("Mr H called the police.", "JC called the police.", "Ms Child called the police."):
        messages = [f.message for f in check_text("s", "Summary", text, matchers)]
        assert any("the name of a victim" in m for m in messages), (text, messages)


@pytest.mark.parametrize(
    "names, text",
    [
        ("Samuel (Sam) Oduya", "Sam was at home."),
        ("Samuel (Sam) Oduya", "SO was at home."),
        ('Samuel "Sam" Oduya', "SO was at home."),
        ("Zoe Smith (nee Jones)", "Ms Jones called the police."),
        ("Zoe Smith (n\u00e9e Jones)", "ZJ called the police."),
        ("Zoe Smith nee Jones", "ZJ called the police."),
        ("Sam Oduya; Elizabeth Smith (Beth)", "BS called the police."),
        ("ODUYA, Samuel (Sam)", "SO was at home."),
    ],
)
def test_another_name_of_the_person_on_the_line_is_read_as_a_name(names, text):
    """A name in brackets or quotes beside a name is another name of the person, not a note: a nickname
    ("Sam") or a maiden name ("nee Jones"), with the rest of the name."""
    matchers = identifiers({"victim_names": names})
    messages = [f.message for f in check_text("s", "Summary", text, matchers)]
    assert any("the name of a victim" in m for m in messages), (names, text, messages)


NOTED_PERSON = identifiers({"person_name": "Jordan Blackwood (known as Jay)"})


@pytest.mark.parametrize(
    "text, kind",
    [
        ("Mr B was supervised.", "initials that match the name of the person on probation"),
        ("JB was supervised.", "initials that match the name of the person on probation"),
        ("Jay was supervised.", "part of the name of the person on probation"),
        ("He was known to the police as a prolific offender.", None),
    ],
)
def test_the_person_s_name_is_read_without_a_note_beside_it(text, kind):
    """The person's name was taken whole, so a note with it made "known" a name part (refused in every
    report) and the surname initial that of "Jay": "Mr B" passed."""
    messages = [f.message for f in check_text("s", "Summary", text, NOTED_PERSON)]
    if kind is None:
        assert messages == []
    else:
        assert any(kind in m for m in messages), messages


@pytest.mark.parametrize(
    "text, whose",
    [
        ("JB was supervised.", "the person on probation"),
        ("J.B. was supervised.", "the person on probation"),
        ("MS was at the address.", "a victim"),
    ],
)
def test_the_first_and_last_initials_of_a_name_of_three_parts_are_refused(text, whose):
    """Initials were made from every part of the name only: "JLB" for Jordan Lee Blackwood and "MJS" for
    Mary-Jane Smith, but the first and last, "JB" and "MS", as often written, passed."""
    matchers = identifiers({"person_name": "Jordan Lee Blackwood", "victim_names": "Mary-Jane Smith"})
    messages = [f.message for f in check_text("s", "Summary", text, matchers)]
    assert any(f"initials that match the name of {whose}" in m for m in messages), messages


@pytest.mark.parametrize(
    "address, text",
    [
        ("NFA - previously 14 Harbour Road, Eastleigh", "He lived on Harbour Road."),
        ("Kingfisher House 14 Harbour Road, Eastleigh", "He lived on Harbour Road."),
        ("14 Harbour Road, Eastleigh (bail address)", "He moved back to Eastleigh."),
        ("14 Harbour Road, Eastleigh - approved premises", "He moved back to Eastleigh."),
    ],
)
def test_an_address_with_words_before_the_house_number_or_a_note_after_it_is_still_found(address, text):
    """Every word before a street type was read as the street's name ("previously Harbour Road") and a
    note after the town was read as more of the town ("Eastleigh bail address"), so neither was found."""
    matchers = identifiers({"person_address": address})
    assert [f.message for f in check_text("s", "Summary", text, matchers)] != [], (address, text)


def test_a_note_beside_an_address_is_not_read_as_a_place():
    matchers = identifiers(
        {"person_address": "14 Harbour Road, Eastleigh (bail address)\nFlat 2, Eastleigh - approved premises"}
    )
    text = "The bail address was checked and he moved to approved premises."
    assert [f.message for f in check_text("s", "Summary", text, matchers)] == []


def test_words_before_the_house_number_that_are_not_a_name_are_not_a_place():
    matchers = identifiers({"person_address": "NFA - previously 14 Harbour Road, Eastleigh"})
    assert [f.message for f in check_text("s", "Summary", "He had previously lived with NFA.", matchers)] == []


OTHER_CASES_KEYS = reference_keys(["SFO-2027-001", "NPS-N-2026-0042", "SFO 2027/1138", "2026", "ab"])


@pytest.mark.parametrize(
    "text",
    [
        "As in SFO-2027-001, risk was not reassessed.",
        "As in s f o 2027 001, risk was not reassessed.",  # one letter a word: the start is short
        "See (NPS N 2026 0042).",
        "See nps-n-2O26-OO42.",  # an O for each 0
        "Compare SFO/2027/1138.",
    ],
)
def test_other_cases_references_are_found_whatever_separates_their_parts(text):
    matchers = [*MATCHERS, CaseReferenceMatcher(OTHER_CASES_KEYS, "the reference of another case", "ref", True)]
    messages = [f.message for f in check_text("anonymised_summary", "Summary", text, matchers)]
    assert any("another case" in message for message in messages), messages


@pytest.mark.parametrize(
    "text",
    ["In 2026 the service changed.", "SFO-2027-0011 is not a case here.", "XSFO-2027-001 is a longer word.", "ab"],
)
def test_text_that_only_resembles_another_case_s_reference_passes(text):
    """A year or a short code is no reference (they have no key), and a reference is never part of a word."""
    matcher = CaseReferenceMatcher(OTHER_CASES_KEYS, "the reference of another case", "ref", True)
    # each as written, and without the zeros that pad its numbers (SFO-2027-001 is also SFO 2027 1)
    assert {"SF02027001", "SF020271", "NPSN20260042", "NPSN202642", "SF020271138"} == OTHER_CASES_KEYS
    assert check_text("anonymised_summary", "Summary", text, [matcher]) == []


MIDDLE_AND_DOUBLE = identifiers({"person_name": "Jordan Lee Blackwood", "victim_names": "Zoë Blackwood-Smith"})


@pytest.mark.parametrize(
    "text, whose",
    [
        ("He posted as jordanblackwood that night.", "the person on probation"),  # without the middle name
        ("He posted as blackwoodjordan that night.", "the person on probation"),
        ("The site zoeblackwood.example was taken down.", "a victim"),  # one part of the surname
        ("The account smithzoe was closed.", "a victim"),
        ("The page blackwoodsmithzoe was shared.", "a victim"),  # the whole surname first
    ],
)
def test_a_name_run_together_from_some_of_its_parts_is_refused(text, whose):
    """Only all of a name's parts run together were refused, and a double-barrelled surname's first part
    was taken for a forename: "jordanblackwood" passed for Jordan Lee Blackwood, "zoeblackwood" and
    "smithzoe" for Zoë Blackwood-Smith."""
    messages = [f.message for f in check_text("s", "Summary", text, MIDDLE_AND_DOUBLE)]
    assert any(f"runs together parts or initials of the name of {whose}" in m for m in messages), messages


@pytest.mark.parametrize(
    "text, whose",
    [
        ("The campaign #justiceforzoe spread online.", "a victim"),  # lower case: no capital marks the name
        ("Supporters used #freejordan.", "the person on probation"),
        ("Messages came from @zoe_b_1990.", "a victim"),  # three letters in lower case, as a word would not be
        ("The site www.blackwoodappeal.example was taken down.", "the person on probation"),
        ("He wrote to teamzoe@example.com.", "a victim"),
    ],
)
def test_a_name_inside_a_hashtag_username_or_web_address_is_refused(text, whose):
    messages = [f.message for f in check_text("s", "Summary", text, MIDDLE_AND_DOUBLE)]
    # "@zoe_b_1990" is refused as a part after an @ ("a word that matches part of the name"), reported once
    assert any(f"part of the name of {whose}" in m for m in messages), messages


def test_hashtags_and_web_addresses_without_a_name_pass():
    text = "See www.gov.uk and #MeToo; write to enquiries@probation.example or @HMPPS."
    assert [f.message for f in check_text("s", "Summary", text, MIDDLE_AND_DOUBLE)] == []


def test_a_name_found_inside_a_hashtag_is_reported_once():
    messages = [f.message for f in check_text("s", "Summary", "The campaign #JusticeForZoe spread.", MIDDLE_AND_DOUBLE)]
    assert messages == ["Summary still contains a word that matches part of the name of a victim."]


@pytest.mark.parametrize(
    "text",
    [
        "The hashtag #EastleighStabbing trended.",  # camel case: a place was only found as the whole word
        "The hashtag #eastleighstabbing trended.",
        "The story ran on www.eastleighnews.example.",
        "The page BishopsWalthamNews covered it.",
    ],
)
def test_a_place_of_the_address_run_into_a_hashtag_or_web_address_is_refused(text):
    matchers = identifiers({"person_address": "14 Harbour Road, Eastleigh, SO50 5AB\nBishops Waltham"})
    messages = [f.message for f in check_text("s", "Summary", text, matchers)]
    assert messages == ["Summary still contains a place named in the person's address."], messages


def test_words_that_only_contain_a_place_in_prose_pass():
    matchers = identifiers({"person_address": "2 Mill Lane, Wells"})
    text = "He was well, and Wellsford Road is another town's; see #wellbeing and www.gov.uk."
    assert [f.message for f in check_text("s", "Summary", text, matchers)] == []


@pytest.mark.parametrize(
    "text",
    [
        "The hashtag #KingfisherAcademyAttack trended.",
        "The story ran on www.kingfisheracademy.example.",
        "Pupils posted as kingfisheracademy online.",
    ],
)
def test_text_logged_as_removed_is_refused_run_together_or_inside_a_hashtag_or_address(text):
    """A logged original (a school, a workplace) was found only as its words: run together, or inside a
    hashtag or web address, it passed, as a place of the address did."""
    matchers = identifiers({}, [{"category": "other", "original": "Kingfisher Academy", "replacement": "a school"}])
    messages = [f.message for f in check_text("s", "Summary", text, matchers)]
    assert messages == ["Summary still contains text recorded in the redaction log as removed."], messages


@pytest.mark.parametrize(
    "text, found_it",
    [
        ("She was born on the twenty-first of May 1990.", True),
        ("She was born on the twenty first of May in 1990.", True),
        ("She was born on May the Twenty-First, 1990.", True),
        ("She was born on the twenty-first of May 1991.", False),  # another year
        ("She was born on the twentieth of May 1990.", False),  # another day
        ("The first of May 1990 was a Tuesday.", False),
        ("In 1990 on the 21st he moved.", False),  # no month
    ],
)
def test_a_date_of_birth_with_the_day_in_words_is_refused(text, found_it):
    matchers = identifiers({"date_of_birth": "1990-05-21"})
    messages = [f.message for f in check_text("s", "Summary", text, matchers)]
    assert bool(messages) == found_it, messages


HOSTILE_LENGTH = 60_000


@pytest.mark.parametrize(
    "unit",
    ["a", "aB", "a-", "a.", "a1", "\u0430", "rn", "a\u200b", "O1", "Black-", "aI"],
    ids=["letters", "camel case", "hyphens", "dots", "digits", "cyrillic", "rn", "zero-width", "O for 0", "split", "I"],
)
def test_one_long_word_is_checked_in_time_that_grows_with_its_length_not_its_square(unit):
    """A paragraph that is one word of 60,000 characters (a paste gone wrong, or sent on purpose) took minutes:
    patterns tried from every position inside the word read on to its end. Each is now tried where a word
    begins. The alarm fails the test at once rather than holding the worker for minutes."""
    text = unit * (HOSTILE_LENGTH // len(unit))
    with _alarm(seconds=20):
        check_text("s", "Summary", text, MIDDLE_AND_DOUBLE)


def test_spaces_between_two_numbers_are_read_once():
    """ "17", 60,000 spaces and "x": the date pattern tried every way to split the spaces between its
    separators (quadratic in their number)."""
    matchers = identifiers({"date_of_birth": "1990-05-17"})
    with _alarm(seconds=20):
        assert check_text("s", "Summary", "17" + " " * HOSTILE_LENGTH + "x", matchers) == []


def test_a_name_repeated_in_one_long_sentence_is_checked_in_time():
    """Each match read its whole sentence again to make its reference: 6,000 matches in one sentence of
    60,000 characters."""
    with _alarm(seconds=20):
        found = check_text("s", "Summary", "Blackwood " * (HOSTILE_LENGTH // 10), MIDDLE_AND_DOUBLE)
    assert found and all("the name of" in f.message for f in found)


@contextlib.contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    def stop(_signal: int, _frame: Any) -> None:
        raise TimeoutError(f"still checking after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_long_address_is_read_in_time():
    """Reading an address into streets and places made its words again at each word: an address of 30,000
    one-letter words took minutes before any text was checked."""
    with _alarm(seconds=20):
        matchers = identifiers({"person_address": "A " * (HOSTILE_LENGTH // 2)})
        check_text("s", "Summary", "Nothing to see.", matchers)


@pytest.mark.parametrize(
    "text, whose",
    [
        ("He signed in as zoe123 on the forum.", "a victim"),  # a 3-letter part in lower case, glued to digits
        ("The handle 1990zoe was his.", "a victim"),
        ("Messages from lee77 continued.", "the person on probation"),
    ],
)
def test_a_short_name_part_glued_to_digits_is_refused(text, whose):
    """A part of 2 or 3 letters in lower case is an everyday word ("lee", "zoe" are not, but "may" is) and so
    was only refused with a capital; glued to digits, as in a username, it is a name."""
    messages = [f.message for f in check_text("s", "Summary", text, MIDDLE_AND_DOUBLE)]
    assert any(f"part of the name of {whose}" in m for m in messages), messages


@pytest.mark.parametrize(
    "text, whose",
    [
        ("He posted as zblackwood that night.", "a victim"),  # her initial and the first part of her surname
        ("He posted as jblackwood that night.", "the person on probation"),
        ("The account blackwoodj was closed.", "the person on probation"),
    ],
)
def test_an_initial_run_into_a_long_surname_is_refused(text, whose):
    """An initial run into the surname was refused only in an email address or username, because with a
    short surname it is often a word ("along" is A. Long); with a surname of 6 letters or more it is not."""
    messages = [f.message for f in check_text("s", "Summary", text, MIDDLE_AND_DOUBLE)]
    assert any(f"runs together parts or initials of the name of {whose}" in m for m in messages), messages


def test_an_initial_run_into_a_short_surname_in_prose_passes():
    matchers = identifiers({"person_name": "Alan Long"})
    assert [f.message for f in check_text("s", "Summary", "He walked along the road.", matchers)] == []


@pytest.mark.parametrize(
    "text",
    [
        "As in SFO 2027 1, risk was not reassessed.",  # SFO-2027-001 without its leading zeros
        "See NPS-N-2026-42.",
        "See nps n 2O26 42.",
    ],
)
def test_another_case_s_reference_without_its_leading_zeros_is_found(text):
    matcher = CaseReferenceMatcher(OTHER_CASES_KEYS, "the reference of another case", "ref", True)
    messages = [f.message for f in check_text("anonymised_summary", "Summary", text, [matcher])]
    assert any("another case" in message for message in messages), messages


def test_the_case_s_own_reference_without_its_leading_zeros_is_refused():
    matchers = identifiers({"case_reference": "SFO-2027-0042"})
    messages = [f.message for f in check_text("s", "Summary", "Review SFO/2027/42 found gaps.", matchers)]
    assert messages == ["Summary still contains the case's reference."], messages


@pytest.mark.parametrize(
    "text, whose",
    [
        ("The page teamblackwood was shared.", "the person on probation"),  # no capital marks where the name begins
        ("The group blackwoodfamily met.", "the person on probation"),
        ("Posts tagged RIPJORDAN spread.", "the person on probation"),  # in capitals
        ("Posts tagged RIPjordan spread.", "the person on probation"),  # capitals, then the name in lower case
    ],
)
def test_a_long_name_part_inside_a_word_without_capitals_to_mark_it_is_refused(text, whose):
    """A part of 6 letters or more inside a longer word was found only in a hashtag, username or web address;
    written as a plain word it passed."""
    messages = [f.message for f in check_text("s", "Summary", text, MIDDLE_AND_DOUBLE)]
    assert any(f"part of the name of {whose}" in m for m in messages), messages


@pytest.mark.parametrize(
    "text",
    [
        "Jordanian officials were contacted.",  # a capitalised word: another word that begins with the name
        "He worked as a blacksmith.",  # a part of 5 letters (Smith): too many words contain one
    ],
)
def test_words_that_contain_a_name_part_as_ordinary_words_do_pass(text):
    assert [f.message for f in check_text("s", "Summary", text, MIDDLE_AND_DOUBLE)] == []


def test_lower_case_words_that_contain_a_six_letter_surname_pass():
    """Surnames that are words are inside many more ("cooperation", "fostering", "stakeholders", "reporter"): in
    lower case a part must have 7 letters or more to be read inside a word."""
    matchers = identifiers({"person_name": "Ann Cooper", "victim_names": "Tom Foster\nSue Holder\nAl Porter"})
    text = "His cooperation with fostering, the stakeholders and a reporter was uncooperative at first."
    assert [f.message for f in check_text("s", "Summary", text, matchers)] == []


FAMILIAR = identifiers({"person_name": "Samuel Oduya", "victim_names": "Maggie Hale", "staff_names": "Priya Lambert"})


@pytest.mark.parametrize(
    "text, whose",
    [
        ("RIP Sammy, his friends wrote.", "the person on probation"),  # a familiar form of Samuel
        ("Sam's mother was not told.", "the person on probation"),
        ("Margaret was at home.", "a victim"),  # the full name of a person recorded by a familiar form
        ("Peggy was at home.", "a victim"),  # another familiar form of the same name
    ],
)
def test_a_familiar_form_of_a_forename_is_refused_for_review(text, whose):
    """A forename was found only as recorded: "Sam" and "Sammy" passed for Samuel, "Margaret" for Maggie."""
    found = check_text("s", "Summary", text, FAMILIAR)
    wanted = f"a familiar or full form of the forename of {whose}"
    assert [f for f in found if wanted in f.message and f.reference is not None], [f.message for f in found]


def test_a_familiar_form_in_lower_case_passes():
    """In lower case they are everyday words ("sam" is rare, but "will", "bill" and "pat" are not)."""
    assert [f.message for f in check_text("s", "Summary", "He paid the peg and sam bill.", FAMILIAR)] == []


_REFERENCE_PIECES = st.lists(st.text("SFONPX0123456789OIL", min_size=1, max_size=5), min_size=1, max_size=4)
_SEPARATORS = st.sampled_from(["", " ", "-", "/", ".", " - ", "#", "  "])


@settings(max_examples=300, deadline=None)
@given(
    pieces=_REFERENCE_PIECES,
    separators=st.lists(_SEPARATORS, min_size=4, max_size=4),
    written=st.lists(_SEPARATORS, min_size=4, max_size=4),
    zeros=st.sampled_from(["as written", "left out", "added"]),
    before=st.sampled_from(["", "As in ", "(", "see: ", "X"]),
    after=st.sampled_from(["", ", risk was missed.", ")", "."]),
)
def test_every_reference_the_gate_finds_is_among_those_its_tails_read(
    pieces, separators, written, zeros, before, after
):
    """A check reads only the cases whose reference tails the text holds (``with_other_cases``): whenever the
    matcher, given every reference, finds one in a text, that reference's tails are among the text's."""
    reference = "".join(piece + separator for piece, separator in zip(pieces, separators, strict=False)).strip()
    padding = {"as written": lambda p: p, "left out": lambda p: p.lstrip("0") or "0", "added": lambda p: "00" + p}
    shown = [padding[zeros](piece) if piece.isdigit() else piece for piece in pieces]
    text = before + "".join(piece + gap for piece, gap in zip(shown, written, strict=False)).rstrip() + after
    matcher = CaseReferenceMatcher(reference_keys([reference]), "the reference of another case", "ref", True)
    if check_text("s", "Summary", text, [matcher]):
        assert set(reference_tails(reference)) & reference_tails_in(text), (reference, text)


def test_months_days_and_the_court_are_not_read_as_familiar_forms():
    """The nicknames list gives "Court" for Courtney, "May" for Marietta, "August" for Gus and "June" for Junior:
    words every report writes with a capital."""
    matchers = identifiers({"victim_names": "Courtney Hale\nMarietta Lowe\nGus Hart\nJunior Oduya"})
    text = "The Crown Court sat on a Monday in May, June and August."
    assert [f.message for f in check_text("s", "Summary", text, matchers)] == []


@pytest.mark.parametrize(
    "text",
    ["He was born on twentyone May nineteen ninetyone.", "He was born on 21 May, nineteen-ninety-one."],
)
def test_numbers_in_words_written_as_one_word_or_hyphenated_are_read(text):
    matchers = identifiers({"date_of_birth": "1991-05-21"})
    messages = [f.message for f in check_text("s", "Summary", text, matchers)]
    assert messages == ["Summary still contains a date that matches the person's date of birth."], messages


@pytest.mark.parametrize(
    "text, wanted",
    [
        ("The tag #RIPSam spread.", "a familiar or full form of the forename of the person on probation"),
        ("He posted as samoduya.", "a word that runs together parts or initials of the name of the person on"),
        ("He posted as oduyasammy.", "a word that runs together parts or initials of the name of the person on"),
    ],
)
def test_a_familiar_form_run_into_a_hashtag_or_with_the_surname_is_refused(text, wanted):
    messages = [f.message for f in check_text("s", "Summary", text, FAMILIAR)]
    assert any(wanted in m for m in messages), messages


@pytest.mark.parametrize(
    "text, what",
    [
        ("He lived at No. 14 Harbour with his mother.", "the street of the person's address"),
        ("Officers went to 14 harbour that night.", "the street of the person's address"),
        ("The postcode SO50 5 AB was flagged.", "the postcode of the person's address"),
        ("The postcode S O 5 0 5 A B was flagged.", "the postcode of the person's address"),
    ],
)
def test_a_house_number_with_the_street_s_name_or_a_postcode_spaced_out_is_refused(text, what):
    """The street was found only with its type ("14 Harbour" passed) and the postcode only with one gap, between
    its halves ("SO50 5 AB" passed)."""
    matchers = identifiers({"person_address": "Flat 3, 14 Harbour Road, Eastleigh, SO50 5AB"})
    messages = [f.message for f in check_text("s", "Summary", text, matchers)]
    assert messages == [f"Summary still contains {what}."], messages


def test_the_street_s_name_without_the_house_number_or_its_type_passes():
    matchers = identifiers({"person_address": "14 Harbour Road, Eastleigh, SO50 5AB"})
    text = "The harbour was busy; 14 officers attended; he was 50 at the time."
    assert [f.message for f in check_text("s", "Summary", text, matchers)] == []


@pytest.mark.parametrize(
    "text, what",
    [
        ("He lived on H4rbour Road.", "the street of the person's address"),
        ("He lived on Harb0ur Rd.", "the street of the person's address"),
        ("He moved back to E4stleigh.", "a place named in the person's address"),
    ],
)
def test_a_street_or_town_spelt_with_digits_or_symbols_is_refused(text, what):
    """Names were read through digits and symbols standing for letters ("Bl4ckw00d"); the address was not."""
    matchers = identifiers({"person_address": "14 Harbour Road, Eastleigh, SO50 5AB"})
    messages = [f.message for f in check_text("s", "Summary", text, matchers)]
    assert messages == [f"Summary still contains {what}."], messages
