"""The anonymisation check: what text to be published must not contain, and how it is found.

``text`` folds look-alike characters and finds invisible ones; ``names``, ``dates``, ``numbers``
and ``addresses`` match each kind of identifier; ``gate`` builds the matchers for a case and checks
a piece of text, naming the field, paragraph and kind of identifier but never the value.
"""

from .gate import OTHER_CASES, Finding, check_text, identifiers, reference_of, with_other_cases
from .numbers import NO_TAIL, reference_keys, reference_tails

__all__ = [
    "NO_TAIL",
    "OTHER_CASES",
    "Finding",
    "check_text",
    "identifiers",
    "reference_keys",
    "reference_of",
    "reference_tails",
    "with_other_cases",
]
