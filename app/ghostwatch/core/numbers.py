"""Caller-ID plausibility: does an incoming caller ID look like a number a real outside caller could have?"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

_SEPARATORS = re.compile(r"[\s\-().]")
_DIGITS = re.compile(r"^\+?\d+$")
_DIALLED = re.compile(r"^([0+]*\+)?(\d+)$")
PRIVACY = {"anonymous", "unknown", "restricted", "private", "unavailable", "withheld"}
SHORT = 6


@lru_cache(maxsize=32768)
def implausible(caller_id: str | None, region: str) -> str | None:
    """A plain-words explanation when `caller_id` cannot be a real outside number, else None.

    Names and withheld numbers are not judged here (withholding a number is legitimate).
    """
    if not caller_id:
        return None
    cid = _SEPARATORS.sub("", caller_id)
    if not _DIGITS.match(cid) or cid.lower() in PRIVACY:
        return None
    digits = cid.lstrip("+")
    if len(digits) <= SHORT and not cid.startswith("+"):
        return f"{caller_id} is a short, extension-like number; calls from outside carry a full phone number"
    try:
        number = phonenumbers.parse(cid, region)
    except phonenumbers.NumberParseException:
        return f"{caller_id} cannot be read as a phone number"
    if not phonenumbers.is_possible_number(number):
        return f"{caller_id} has the wrong length for a phone number"
    if not phonenumbers.is_valid_number(number):
        return f"{caller_id} is not a valid phone number (no such area code or number range)"
    return None


def looks_international(number: str | None, min_digits: int) -> bool:
    """A dialled number that reaches abroad or is long enough to be a premium/international destination."""
    if not number:
        return False
    n = _SEPARATORS.sub("", number)
    m = _DIALLED.match(n)
    if not m:
        return False
    prefix, digits = m.group(1) or "", m.group(2)
    if "+" in prefix:  # '+44...', and scanners' '++44...' or '0+44...' (fail2ban's asterisk test lines)
        return len(digits) >= 7
    return (n.startswith(("00", "011")) and len(n) >= 8) or len(n) >= min_digits
