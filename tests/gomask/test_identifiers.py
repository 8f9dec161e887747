import pytest
from django.core.exceptions import ValidationError

from gomask.identifiers import (
    luhn_is_valid,
    make_finess,
    make_rpps,
    validate_adeli,
    validate_finess,
    validate_rpps,
)


def _flip_last_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def test_luhn_accepts_a_textbook_number_and_refuses_its_neighbour():
    assert luhn_is_valid("79927398713")
    assert not luhn_is_valid("79927398710")


def test_a_generated_rpps_number_is_valid():
    assert validate_rpps(make_rpps(12345)) == make_rpps(12345)


def test_rpps_with_spaces_is_normalised():
    number = make_rpps(42)
    spaced = f"{number[:3]} {number[3:7]} {number[7:]}"
    assert validate_rpps(spaced) == number


@pytest.mark.parametrize("value", ["1234567890", "123456789012", "1000000000A", "", "abcdefghijk"])
def test_rpps_must_have_eleven_digits(value):
    with pytest.raises(ValidationError, match="11 chiffres"):
        validate_rpps(value)


def test_rpps_with_a_wrong_key_is_refused():
    with pytest.raises(ValidationError, match="clé de contrôle"):
        validate_rpps(_flip_last_digit(make_rpps(777)))


def test_adeli_checks_nine_digits_only():
    assert validate_adeli("32 100 1234") == "321001234"
    with pytest.raises(ValidationError, match="9 chiffres"):
        validate_adeli("32100123")


def test_a_generated_finess_in_the_gers_is_valid():
    number = make_finess("32", 1)
    assert number.startswith("32") and len(number) == 9
    assert validate_finess(number) == number


def test_finess_with_a_wrong_key_is_refused():
    with pytest.raises(ValidationError, match="clé de contrôle"):
        validate_finess(_flip_last_digit(make_finess("31", 55)))


@pytest.mark.parametrize("number", ["2A0000123", "2B0001234"])
def test_corsican_finess_is_accepted_without_key_check(number):
    assert validate_finess(number) == number


def test_overseas_finess_is_accepted_with_its_key():
    number = make_finess("971", 7)
    assert validate_finess(number) == number


@pytest.mark.parametrize("number", ["990000001", "200000001", "000000001", "960000001"])
def test_finess_must_start_with_a_real_departement(number):
    with pytest.raises(ValidationError, match="département"):
        validate_finess(number)


@pytest.mark.parametrize("number", ["3200", "32000000000", "32ABCDEFG", "3A0000001"])
def test_malformed_finess_is_refused(number):
    with pytest.raises(ValidationError, match="9 caractères"):
        validate_finess(number)
