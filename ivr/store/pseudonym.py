"""The caller's number never reaches the database: it is stored as a salted SHA-256 pseudonym.

Numbers are first brought to one form (+46...), so "070-123 45 67", "0701234567" and "+46701234567" give the
same pseudonym and repeat callers can be counted. The pseudonym is only as private as the salt is secret:
set a salt of your own in production.
"""

from __future__ import annotations

import hashlib

DEFAULT_CALLER_SALT = "ivr-caller-ref-v1"
DEFAULT_COUNTRY_CODE = "46"
_HIDDEN_NUMBERS = frozenset({"", "anonymous", "unknown", "restricted", "private", "unavailable"})


def normalize_number(number: str, country_code: str = DEFAULT_COUNTRY_CODE) -> str | None:
    """The number in international form (+46701234567); None when it is hidden or has no digits."""
    stripped = number.strip()
    if stripped.lower() in _HIDDEN_NUMBERS:
        return None
    digits = "".join(char for char in stripped if char.isdigit())
    if not digits:
        return None
    if stripped.startswith("+"):
        return f"+{digits}"
    if digits.startswith("00"):
        return f"+{digits[2:]}"
    if digits.startswith("0"):
        return f"+{country_code}{digits[1:]}"
    return digits  # a short or internal number: kept as dialled


def caller_pseudonym(number: str | None, salt: str = DEFAULT_CALLER_SALT) -> str | None:
    """Hex SHA-256 of salt and normalized number; None for a hidden or missing number."""
    normalized = normalize_number(number) if number is not None else None
    if normalized is None:
        return None
    return hashlib.sha256(f"{salt}\x00{normalized}".encode()).hexdigest()
