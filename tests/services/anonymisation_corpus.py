"""Evasions of the anonymisation check, each with a clean counterpart that must pass.

Every entry is (category, label, text that still identifies someone, the same text anonymised).
The case they are checked against is ``CASE``. Escapes spell out the characters that cannot be
seen or that look like others.
"""

from __future__ import annotations

CASE = {
    "person_name": "Jordan Blackwood",
    "date_of_birth": "1990-05-17",
    "crn": "X654321",
    "pnc": "2012/0052494X",
    "person_address": "14 Harbour Road, Eastleigh, SO50 5AB",
    "victim_names": "Zo\u00eb Smith-Jones\nSam Oduya",
    "staff_names": "Priya Lambert\nKwame Ng",
}

MR_A = "Mr A was supervised in the community."
NAMES = [
    ("zero-width space", "Jor\u200bdan Black\u200bwood was supervised in the community.", MR_A),
    ("soft hyphen", "Mr Black\u00adwood was supervised in the community.", MR_A),
    ("zero-width joiner", "Mr Black\u200dwood was supervised in the community.", MR_A),
    ("word joiner", "Mr Black\u2060wood was supervised in the community.", MR_A),
    ("right-to-left override", "Mr \u202eBlackwood\u202c was supervised in the community.", MR_A),
    ("byte order mark", "Mr Blackwood\ufeff was supervised in the community.", MR_A),
    ("Hangul filler", "Mr Black\u3164wood was supervised in the community.", MR_A),
    ("Cyrillic letters", "Mr Bl\u0430\u0441kw\u043e\u043ed was supervised in the community.", MR_A),
    ("Cyrillic capital", "Mr \u0412lackwood was supervised in the community.", MR_A),
    ("Greek capital", "Mr \u0392lackwood was supervised in the community.", MR_A),
    (
        "fullwidth letters",
        "Mr \uff22\uff4c\uff41\uff43\uff4b\uff57\uff4f\uff4f\uff44 was supervised in the community.",
        MR_A,
    ),
    (
        "mathematical bold",
        "Mr \U0001d401\U0001d425\U0001d41a\U0001d41c\U0001d424\U0001d430\U0001d428\U0001d428\U0001d41d was supervised.",
        "Mr A was supervised.",
    ),
    ("combining accent", "Mr Blackwo\u0301od was supervised in the community.", MR_A),
    ("Cyrillic letter with a mark", "Mr Odu\u04f1a called the police.", "Mr D called the police."),
    ("Cyrillic short u", "Ms Pri\u045ea completed the assessment.", "The practitioner completed the assessment."),
    ("Greek letter with a breathing mark", "Mr S\u1f01m called the police.", "Mr D called the police."),
    ("no-break space in the full name", "Jordan\u00a0Blackwood was supervised in the community.", MR_A),
    ("spaced-out letters", "Mr B l a c k w o o d was supervised in the community.", MR_A),
    ("dotted letters", "Mr B.l.a.c.k.w.o.o.d was supervised in the community.", MR_A),
    ("hyphen inside", "Mr Black-wood was supervised in the community.", MR_A),
    ("space inside", "Mr Black wood was supervised in the community.", MR_A),
    ("plural", "The Blackwoods moved house twice.", "The family moved house twice."),
    ("possessive", "Blackwood's risk was not reassessed.", "Mr A's risk was not reassessed."),
    ("curly apostrophe", "Blackwood\u2019s risk was not reassessed.", "Mr A\u2019s risk was not reassessed."),
    ("plural possessive", "The Blackwoods\u2019 home was visited.", "The family\u2019s home was visited."),
    ("upper case", "MR BLACKWOOD was supervised in the community.", "MR A was supervised in the community."),
    ("lower case", "mr blackwood was supervised in the community.", "mr a was supervised in the community."),
    ("digits for letters", "Mr Bl4ckw00d was supervised in the community.", MR_A),
    ("two letters for one: vv for w", "Mr Blackvvood was supervised in the community.", MR_A),
    (
        "two letters for one: rn for m",
        "Ms Larnbert completed the assessment.",
        "The practitioner completed the assessment.",
    ),
    ("rn for m in a short name", "Mr Kwarne countersigned the plan.", "The manager countersigned the plan."),
    ("misspelt", "Mr Blakwood was supervised in the community.", MR_A),
    ("letters swapped", "Mr Balckwood was supervised in the community.", MR_A),
    ("first name misspelt", "Jordon was supervised in the community.", MR_A),
    ("surname first", "Blackwood, Jordan was supervised in the community.", MR_A),
    ("initial and surname", "J. Blackwood was supervised in the community.", MR_A),
    ("initials with dots", "J.B. was supervised in the community.", MR_A),
    ("initials with spaces", "J B was supervised in the community.", MR_A),
    ("initials run together", "JB was supervised in the community.", MR_A),
    ("title and initial", "Mr B was supervised in the community.", MR_A),
    ("surname's initial before family", "The B family moved house twice.", "The family moved house twice."),
    ("victim's surname initial before household", "The O household was visited.", "The household was visited."),
    ("hyphenated surname, spaced", "Ms Smith Jones was at the address.", "Ms C was at the address."),
    ("hyphenated surname, joined", "Ms SmithJones was at the address.", "Ms C was at the address."),
    ("hyphenated surname, dash", "Ms Smith\u2013Jones was at the address.", "Ms C was at the address."),
    ("half of a hyphenated surname", "Ms Jones was at the address.", "Ms C was at the address."),
    ("missing diacritic", "Zoe was at the address.", "Ms C was at the address."),
    ("other diacritic", "Zo\u00e9 was at the address.", "Ms C was at the address."),
    ("victim's surname", "Mr Oduya called the police.", "Mr D called the police."),
    (
        "staff surname with initial",
        "P. Lambert completed the assessment.",
        "The practitioner completed the assessment.",
    ),
    ("staff first name", "Priya completed the assessment.", "The practitioner completed the assessment."),
    ("two-letter surname", "Mr Ng countersigned the plan.", "The manager countersigned the plan."),
    ("name run together in a username", "He posted as @jordanblackwood that night.", "He posted online that night."),
    ("name run together, capitals inside", "His account JordanBlackwood90 was closed.", "His account was closed."),
    ("surname first, run together", "The site blackwoodjordan.example was taken down.", "The site was taken down."),
    ("initial and surname in an email address", "He wrote from jblackwood@example.com.", "He wrote by email."),
    (
        "staff email address",
        "Reports went to plambert@probation.example daily.",
        "Reports went to the practitioner daily.",
    ),
    ("victim's name run together", "The appeal #samoduya was shared.", "The appeal was shared."),
    (
        "forename and one part of a double-barrelled surname run together",
        "Her friends wrote to zoesmith online.",
        "Her friends wrote to her online.",
    ),
    ("surname part first, run together", "The page jonesZoe was shared.", "The page was shared."),
    ("first name inside a hashtag in lower case", "The campaign #justiceforzoe spread.", "The campaign spread."),
    ("first name inside a username", "Messages came from @sam_o_2012.", "Messages came from an account."),
    ("surname inside a web address", "See www.oduyafamilyappeal.org for more.", "See the appeal for more."),
]

NO_DATE = "He was released on licence in his thirties."
DATES = [
    ("ordinal", "He was born on 17th May 1990.", NO_DATE),
    ("American order", "He was born on May 17, 1990.", NO_DATE),
    ("hyphens", "He was born on 17-05-1990.", NO_DATE),
    ("two-digit year", "His date of birth is 17/05/90.", NO_DATE),
    ("dots, no zeros", "His date of birth is 17.5.90.", NO_DATE),
    ("ISO", "His date of birth is 1990-05-17.", NO_DATE),
    ("apostrophe year", "He was born on 17 May '90.", NO_DATE),
    ("of", "He was born on the 17th of May, 1990.", NO_DATE),
    ("abbreviated month", "He was born on 17-May-1990.", NO_DATE),
    ("weekday", "He was born on Thursday 17 May 1990.", NO_DATE),
    ("month first numbers", "His date of birth is 05/17/1990.", NO_DATE),
    ("spaced", "His date of birth is 17 / 05 / 1990.", NO_DATE),
    ("digits only", "His date of birth is 17051990.", NO_DATE),
    ("fullwidth digits", "His date of birth is \uff11\uff17/\uff10\uff15/\uff11\uff19\uff19\uff10.", NO_DATE),
    ("year first with slashes", "His date of birth is 1990/05/17.", NO_DATE),
    ("month first, ordinal, short year", "He was born on May 17th '90.", NO_DATE),
    ("letter O for a zero", "His date of birth is 17/O5/199O.", NO_DATE),
    ("letter l for a one", "He was born on l7 May l990.", NO_DATE),
    ("year first, month name", "He was born on 1990 May 17.", NO_DATE),
    ("year first, month name, hyphens", "His date of birth is 1990-May-17.", NO_DATE),
    ("year first, day before the month", "His date of birth is 1990, 17th May.", NO_DATE),
    ("day of the month, as in a court record", "He was born on the 17th day of May 1990.", NO_DATE),
]

IDENTIFIERS = [
    ("CRN with a space", "His CRN is X 654321.", "His CRN is recorded."),
    ("CRN with hyphens", "His CRN is X-654-321.", "His CRN is recorded."),
    ("CRN in lower case", "His CRN is x654321.", "His CRN is recorded."),
    ("CRN with fullwidth digits", "His CRN is X\uff16\uff15\uff14\uff13\uff12\uff11.", "His CRN is recorded."),
    ("CRN digits alone", "Case 654321 was transferred.", "The case was transferred."),
    ("PNC short form", "PNC 12/52494X was checked.", "The PNC record was checked."),
    ("PNC short year, zeros kept", "PNC 12/0052494X was checked.", "The PNC record was checked."),
    ("PNC spaced", "PNC 2012 0052494 X was checked.", "The PNC record was checked."),
    ("PNC without the year", "PNC 52494X was checked.", "The PNC record was checked."),
    ("PNC without the letter", "PNC 2012/52494 was checked.", "The PNC record was checked."),
    ("CRN with a letter l for the one", "His CRN is X65432l.", "His CRN is recorded."),
    ("PNC with letters O for its zeros", "PNC 2012/OO52494X was checked.", "The PNC record was checked."),
]

ADDRESSES = [
    ("house and street", "He lived at 14 Harbour Road.", "He lived in a flat."),
    ("abbreviated street type", "He lived on Harbour Rd.", "He lived in a flat."),
    ("abbreviation with a dot", "Visits to Harbour Rd. were missed.", "Visits to his flat were missed."),
    ("street in capitals", "He lived on HARBOUR ROAD.", "He lived in a flat."),
    ("postcode", "The postcode SO50 5AB was flagged.", "The postcode was flagged."),
    ("postcode without its space", "The postcode SO505AB was flagged.", "The postcode was flagged."),
    ("postcode in lower case", "The postcode so50 5ab was flagged.", "The postcode was flagged."),
    ("postcode with a zero for the O", "The postcode S050 5AB was flagged.", "The postcode was flagged."),
    ("postcode with an O for the zero", "The postcode SO5O 5AB was flagged.", "The postcode was flagged."),
    ("postcode with a hyphen", "The postcode SO50-5AB was flagged.", "The postcode was flagged."),
    ("town", "He moved back to Eastleigh.", "He moved back to the area."),
    ("street run together", "He lived at 14 HarbourRoad.", "He lived in a flat."),
    ("street run together, abbreviated", "Visits to harbourrd were missed.", "Visits to his flat were missed."),
]

CORPUS = [
    *(("names", *entry) for entry in NAMES),
    *(("dates", *entry) for entry in DATES),
    *(("identifiers", *entry) for entry in IDENTIFIERS),
    *(("addresses", *entry) for entry in ADDRESSES),
]
