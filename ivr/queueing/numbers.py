"""Validation of the number a callback will dial (Google's libphonenumber, through `phonenumbers`).

A number that passes comes back in three forms; `digits_for_dialling` is the only one meant for a channel
string, and it is digits only. Everything else raises `InvalidNumber` with a reason code the inbound app can
turn into a Swedish prompt, and an English message for the log.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from phonenumbers import PhoneNumberType, ValidationResult, shortnumberinfo

InvalidReason = Literal[
    "empty",  # nothing was given
    "characters",  # something other than digits and one leading +
    "format",  # digits without 0, 00 or + in front (a Swedish number is written 0..., +46... or 0046...)
    "too_short",
    "too_long",
    "service_number",  # short numbers (112, 116 xxx, 118 xxx, 1177), toll-free, shared-cost, personal
    "premium_rate",  # 0900, 0939, 0944 ...
    "foreign",  # a country outside the allowed ones
    "invalid",  # no such number series
]

# Ordinary subscriber numbers: what a citizen can be called back on at ordinary cost.
DEFAULT_ALLOWED_TYPES: frozenset[int] = frozenset(
    {
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.VOIP,
        PhoneNumberType.UAN,  # Swedish 010 numbers: location-independent, charged as ordinary calls
    }
)
INTERNATIONAL_PREFIX = "00"  # Swedish trunks dial other countries with 00
MAX_INPUT_DIGITS = 17  # "00" and E.164's 15 digits; longer input is refused before it is parsed
_DIGITS_WITH_OPTIONAL_PLUS = re.compile(r"\+?[0-9]+")


class InvalidNumber(ValueError):
    """The number cannot be dialled back; `reason` says why (one of `InvalidReason`)."""

    def __init__(self, reason: InvalidReason, message: str) -> None:
        super().__init__(message)
        self.reason: InvalidReason = reason


@dataclass(frozen=True)
class CallbackNumber:
    e164: str  # "+46701234567"
    national: str  # "0701234567" (digits only, as written in its own country)
    digits_for_dialling: str  # what goes into the channel string: digits only

    def __post_init__(self) -> None:
        if not self.digits_for_dialling.isdigit():
            raise ValueError(f"digits_for_dialling must be digits only, got {self.digits_for_dialling!r}")


def validate_callback_number(
    text: str,
    *,
    default_region: str = "SE",
    allowed_regions: Collection[str] = ("SE",),
    allowed_types: Collection[int] = DEFAULT_ALLOWED_TYPES,
) -> CallbackNumber:
    """The number in `text` if a callback may dial it; raises `InvalidNumber` otherwise.

    `text` may carry surrounding whitespace, nothing else: digits, and a + only in front. National numbers
    (starting with 0) are read in `default_region`.
    """
    compact = text.strip()
    _check_characters(compact)
    parsed = _parse(compact, default_region)
    region = _region_of(parsed, compact)
    if region not in allowed_regions:
        allowed = ", ".join(sorted(allowed_regions))
        raise InvalidNumber("foreign", f"numbers from {region} are not called back (allowed: {allowed})")
    _check_length(parsed, compact)
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber("invalid", f"{region} has no number series like {compact!r}")
    _check_type(parsed, compact, allowed_types)
    return _callback_number(parsed, home_region=default_region)


def _check_characters(compact: str) -> None:
    if not compact:
        raise InvalidNumber("empty", "no number was given")
    if not _DIGITS_WITH_OPTIONAL_PLUS.fullmatch(compact):
        raise InvalidNumber("characters", "a number may hold only digits and one leading +")
    if len(compact.lstrip("+")) > MAX_INPUT_DIGITS:
        raise InvalidNumber("too_long", f"a number has at most {MAX_INPUT_DIGITS} digits")


def _parse(compact: str, default_region: str) -> phonenumbers.PhoneNumber:
    try:
        parsed = phonenumbers.parse(compact, default_region)
    except phonenumbers.NumberParseException as error:
        if error.error_type == phonenumbers.NumberParseException.TOO_LONG:
            raise InvalidNumber("too_long", f"{compact!r} is too long for a phone number") from error
        if error.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise InvalidNumber("invalid", f"{compact!r} has no known country code") from error
        raise InvalidNumber("too_short", f"{compact!r} is too short for a phone number") from error
    if _is_service_number(parsed, compact, default_region):
        raise InvalidNumber("service_number", f"{compact!r} is a short service or emergency number")
    if not compact.startswith(("0", "+")):
        raise InvalidNumber("format", f"{compact!r} has no 0, 00 or + in front")
    return parsed


def _is_service_number(parsed: phonenumbers.PhoneNumber, compact: str, default_region: str) -> bool:
    """Short numbers (112, 1177, 116 xxx, 118 xxx, 90000 ...), written as such or after a country code."""
    if compact.startswith("0") and not compact.startswith(INTERNATIONAL_PREFIX):
        return False  # a trunk prefix: a subscriber number, perhaps cut short
    return bool(
        shortnumberinfo.is_valid_short_number(parsed)
        or shortnumberinfo.is_emergency_number(compact, default_region)
        or (not compact.startswith(("+", INTERNATIONAL_PREFIX)) and _looks_short(parsed, default_region))
    )


def _looks_short(parsed: phonenumbers.PhoneNumber, region: str) -> bool:
    # libphonenumber does not list every 116/118 service; any 3-6 digit number starting with 1 is one
    national = phonenumbers.national_significant_number(parsed)
    return shortnumberinfo.is_possible_short_number_for_region(parsed, region) or (
        national.startswith("1") and len(national) <= 6
    )


def _region_of(parsed: phonenumbers.PhoneNumber, compact: str) -> str:
    region = phonenumbers.region_code_for_number(parsed)
    if region is None and parsed.country_code is not None:
        region = phonenumbers.region_code_for_country_code(parsed.country_code)
    if region is None or region == phonenumbers.UNKNOWN_REGION:
        raise InvalidNumber("invalid", f"{compact!r} has no known country code")
    return region


def _check_length(parsed: phonenumbers.PhoneNumber, compact: str) -> None:
    result = phonenumbers.is_possible_number_with_reason(parsed)
    if result == ValidationResult.TOO_SHORT:
        raise InvalidNumber("too_short", f"{compact!r} is too short")
    if result == ValidationResult.TOO_LONG:
        raise InvalidNumber("too_long", f"{compact!r} is too long")


def _check_type(parsed: phonenumbers.PhoneNumber, compact: str, allowed_types: Collection[int]) -> None:
    number_type = phonenumbers.number_type(parsed)
    if number_type == PhoneNumberType.PREMIUM_RATE:
        raise InvalidNumber("premium_rate", f"{compact!r} is a premium-rate number")
    if number_type not in allowed_types:
        kind = PhoneNumberType.to_string(number_type).lower().replace("_", " ")
        raise InvalidNumber("service_number", f"{compact!r} is not an ordinary subscriber number ({kind})")


def _callback_number(parsed: phonenumbers.PhoneNumber, *, home_region: str) -> CallbackNumber:
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    national_written = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    national = "".join(char for char in national_written if char.isdigit())
    if phonenumbers.region_code_for_number(parsed) == home_region:
        dialled = national
    else:
        dialled = INTERNATIONAL_PREFIX + e164.removeprefix("+")
    return CallbackNumber(e164=e164, national=national, digits_for_dialling=dialled)
