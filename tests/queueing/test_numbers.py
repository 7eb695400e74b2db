from __future__ import annotations

import pytest

from ivr.queueing.numbers import CallbackNumber, InvalidNumber, validate_callback_number

ACCEPTED = [
    # (as given, E.164, national, digits for dialling)
    ("0701234567", "+46701234567", "0701234567", "0701234567"),
    ("+46701234567", "+46701234567", "0701234567", "0701234567"),
    ("0046701234567", "+46701234567", "0701234567", "0701234567"),
    ("+460701234567", "+46701234567", "0701234567", "0701234567"),  # the trunk 0 kept after +46
    ("  0731234567 ", "+46731234567", "0731234567", "0731234567"),  # surrounding whitespace
    ("0761234567", "+46761234567", "0761234567", "0761234567"),
    ("0791234567", "+46791234567", "0791234567", "0791234567"),
    ("08123456", "+468123456", "08123456", "08123456"),  # Stockholm, shortest
    ("0812345678", "+46812345678", "0812345678", "0812345678"),
    ("0311234567", "+46311234567", "0311234567", "0311234567"),  # Göteborg
    ("046123456", "+4646123456", "046123456", "046123456"),  # Lund
    ("0176123456", "+46176123456", "0176123456", "0176123456"),  # Norrtälje
    ("0909123456", "+46909123456", "0909123456", "0909123456"),  # Umeå (090, not 0900)
    ("0980123456", "+46980123456", "0980123456", "0980123456"),  # Kiruna
    ("0101234567", "+46101234567", "0101234567", "0101234567"),  # 010: ordinary cost
    ("+46812345678", "+46812345678", "0812345678", "0812345678"),
]

REJECTED = [
    ("", "empty"),
    ("   ", "empty"),
    ("070-123 45 67", "characters"),
    ("070 1234567", "characters"),
    ("0701234567#", "characters"),
    ("*0701234567", "characters"),
    ("0701234567,w123", "characters"),
    ("07012+34567", "characters"),
    ("++46701234567", "characters"),
    ("070\n1234567", "characters"),
    ("0７01234567", "characters"),  # a full-width digit
    ("701234567", "format"),  # the leading 0 forgotten
    ("46701234567", "format"),
    ("0900123456", "premium_rate"),
    ("0939123456", "premium_rate"),
    ("0944123456", "premium_rate"),
    ("+46900123456", "premium_rate"),
    ("118118", "service_number"),
    ("118100", "service_number"),
    ("118999", "service_number"),
    ("116000", "service_number"),
    ("116111", "service_number"),
    ("112", "service_number"),
    ("11414", "service_number"),
    ("1177", "service_number"),
    ("90000", "service_number"),
    ("+46118118", "service_number"),
    ("0046116111", "service_number"),
    ("0200123456", "service_number"),  # toll-free
    ("020123456", "service_number"),
    ("0771123456", "service_number"),  # shared cost
    ("0751234567", "service_number"),  # personal number (forwarded)
    ("0", "too_short"),
    ("00", "too_short"),
    ("+46", "too_short"),
    ("0701", "too_short"),
    ("08555", "too_short"),
    ("0900", "too_short"),
    ("+4670123456789", "invalid"),  # a mobile number two digits too long: no such length
    ("+467012345678901", "too_long"),
    ("070123456789012345", "too_long"),
    ("9" * 200, "too_long"),
    ("0761234567890", "invalid"),
    ("0741234567", "invalid"),  # unused series
    ("0974123456", "invalid"),
    ("+99912345678", "invalid"),  # no such country code
    ("+4570123456", "foreign"),  # Denmark
    ("+358401234567", "foreign"),  # Finland
    ("004915112345678", "foreign"),  # Germany
    ("+12025550123", "foreign"),
]


@pytest.mark.parametrize(("given", "e164", "national", "dialled"), ACCEPTED)
def test_swedish_subscriber_numbers_are_accepted(given: str, e164: str, national: str, dialled: str) -> None:
    assert validate_callback_number(given) == CallbackNumber(e164, national, dialled)


@pytest.mark.parametrize(("given", "reason"), REJECTED)
def test_other_input_is_rejected_with_its_reason(given: str, reason: str) -> None:
    with pytest.raises(InvalidNumber) as raised:
        validate_callback_number(given)
    assert raised.value.reason == reason
    assert str(raised.value)  # a message for the log


def test_the_table_is_large_enough() -> None:
    assert len(ACCEPTED) + len(REJECTED) >= 40


def test_allowed_countries_are_dialled_with_the_international_prefix() -> None:
    number = validate_callback_number("+4570123456", allowed_regions={"SE", "DK"})
    assert number == CallbackNumber("+4570123456", "70123456", "004570123456")
    nordic = validate_callback_number("00358401234567", allowed_regions=("SE", "FI"))
    assert nordic.digits_for_dialling == "00358401234567"


def test_a_premium_rate_number_stays_refused_in_an_allowed_country() -> None:
    with pytest.raises(InvalidNumber) as raised:
        validate_callback_number("+4590123456", allowed_regions={"SE", "DK"})
    assert raised.value.reason == "premium_rate"


def test_digits_for_dialling_can_never_carry_anything_but_digits() -> None:
    with pytest.raises(ValueError, match="digits only"):
        CallbackNumber("+46701234567", "0701234567", "0701234567@evil,Dial")
